import {
  type AccountRuntime,
  createAccountRuntime,
  type Logger,
  StateStoreError,
} from '@clawlink/core';
import type { OpenClawConfig } from 'openclaw/plugin-sdk/channel-core';
import { waitUntilAbort } from 'openclaw/plugin-sdk/channel-outbound';
import { type ResolvedClawlinkAccount, resolveAccount } from './account-config.js';
import {
  type ClawlinkAccountSnapshot,
  describeIssues,
  misconfiguredSnapshot,
  snapshotOf,
} from './account-snapshot.js';
import { createOpenClawDispatch, type InboundChannelRuntime } from './inbound-dispatch.js';
import { type ChannelLogSink, openClawLogger } from './openclaw-logger.js';
import { currentConfig } from './plugin-runtime.js';
import { addRunningAccount, getRunningAccount, removeRunningAccount } from './running-accounts.js';

/** What OpenClaw's gateway hands `startAccount` (the parts this plugin reads). */
export interface ClawlinkGatewayContext {
  cfg: OpenClawConfig;
  accountId: string;
  abortSignal: AbortSignal;
  log?: ChannelLogSink;
  getStatus(): object;
  setStatus(next: ClawlinkAccountSnapshot): void;
  channelRuntime?: InboundChannelRuntime;
}

/** Where an account keeps its state when its config names no `stateDir`. */
export type StateDirResolver = (accountId: string) => string | undefined;

/**
 * OpenClaw's `startAccount`: runs one core AccountRuntime for the account until the abort
 * signal fires, reporting its status truthfully through `setStatus`. It stays pending for a
 * misconfigured, disabled or half-alive account too (a settled start makes OpenClaw restart
 * the channel in a loop); a bad config is reported, never thrown.
 */
export async function startAccount(
  ctx: ClawlinkGatewayContext,
  stateDirOf: StateDirResolver = () => undefined,
): Promise<void> {
  const defaults = stateDefaults(stateDirOf, ctx.accountId);
  const resolve = (cfg: OpenClawConfig) => resolveAccount(cfg, ctx.accountId, defaults);
  const startConfig = currentConfig(ctx.cfg);
  const account = resolve(startConfig);
  if (!account.enabled) {
    ctx.setStatus({ ...snapshotBase(account), running: false, lifecycle: 'stopped' });
    return waitUntilAbort(ctx.abortSignal);
  }
  if (!account.core) {
    ctx.log?.warn(
      `clawlink: account ${ctx.accountId} is misconfigured: ${describeIssues(account.issues)}`,
    );
    ctx.setStatus(misconfiguredSnapshot(account));
    return waitUntilAbort(ctx.abortSignal);
  }
  if (!ctx.channelRuntime) {
    ctx.setStatus({
      ...misconfiguredSnapshot(account),
      lastError:
        'OpenClaw gave this account no channel runtime; update OpenClaw to 2026.9.6 or newer',
    });
    return waitUntilAbort(ctx.abortSignal);
  }
  const logger = openClawLogger(ctx.log);
  let latest = account;
  let seenConfig = startConfig;
  /** The account in effect under OpenClaw's config `cfg`, its policy applied when `cfg` is new. */
  const refresh = (cfg = currentConfig(ctx.cfg)): ResolvedClawlinkAccount => {
    if (cfg !== seenConfig) {
      seenConfig = cfg;
      latest = syncPolicy(runtime, resolve(cfg), latest, logger);
    }
    return latest;
  };
  const runtime = createAccountRuntime({
    config: account.core,
    logger,
    // Before each message is gated: an edit of OpenClaw's config applies to this very message.
    refreshConfig: () => refresh(),
    dispatch: createOpenClawDispatch({
      accountId: ctx.accountId,
      channelRuntime: ctx.channelRuntime,
      currentConfig: () => currentConfig(ctx.cfg),
      resolveAccount: refresh,
      onError: (error, what) => logger.warn({ err: error }, what),
    }),
  });
  const report = () => ctx.setStatus(snapshotOf(latest, runtime.status()));
  runtime.on('status', report);
  runtime.on('error', (error) => logger.warn({ err: error }, 'account problem'));
  try {
    await runtime.start();
  } catch (error) {
    const detail = StateStoreError.isInstance(error) ? error.message : String(error);
    ctx.setStatus({
      ...misconfiguredSnapshot(account),
      statusState: 'store_error',
      lastError: detail,
    });
    return waitUntilAbort(ctx.abortSignal);
  }
  addRunningAccount(runtime);
  report();
  // OpenClaw publishes config edits without telling plugins: the policy keys are read again
  // before every message is gated (refreshConfig above) and, so that status shows a bad edit
  // while no message arrives, once a second.
  const poll = setInterval(() => refresh(), 1000);
  poll.unref();
  return waitUntilAbort(ctx.abortSignal, async () => {
    clearInterval(poll);
    removeRunningAccount(runtime);
    await runtime.stop();
    report();
  });
}

/** OpenClaw's `stopAccount`: stops the account's runtime if it runs in this process. */
export async function stopAccount(ctx: { accountId: string }): Promise<void> {
  const runtime = getRunningAccount(ctx.accountId);
  if (!runtime) return;
  removeRunningAccount(runtime);
  await runtime.stop();
}

/**
 * Applies the live OpenClaw policy (dmPolicy, allowFrom, groupPolicy, groupAllowFrom, groups,
 * mentionAll) to core's gate when it changed: a key removed from OpenClaw's config returns to
 * core's default. An invalid edit keeps the last valid policy and is logged with the field and
 * what to write. Returns the account now in effect.
 */
function syncPolicy(
  runtime: AccountRuntime,
  next: ResolvedClawlinkAccount,
  current: ResolvedClawlinkAccount,
  log: Logger,
): ResolvedClawlinkAccount {
  if (!next.core) {
    const problems = describeIssues(next.issues);
    if (problems !== describeIssues(current.issues)) {
      log.warn(`config edit not applied, the last valid policy stays in effect: ${problems}`);
    }
    return { ...current, issues: next.issues };
  }
  const wanted = policyOf(next);
  if (JSON.stringify(wanted) !== JSON.stringify(policyOf(current))) {
    const { direct, groups } = runtime.config;
    runtime.updateConfig(replacement({ direct, groups }, wanted));
  }
  return next;
}

/**
 * `next` as a patch for `runtime.updateConfig` over `current`: every key of `current` that
 * `next` lacks is set to `undefined` (back to core's default), nested objects alike.
 */
function replacement(
  current: Record<string, unknown>,
  next: Record<string, unknown>,
): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...next };
  for (const [key, value] of Object.entries(current)) {
    const wanted = next[key];
    if (wanted === undefined) patch[key] = undefined;
    else if (isRecord(value) && isRecord(wanted)) patch[key] = replacement(value, wanted);
  }
  return patch;
}

/** The policy sections of an account's core config, as OpenClaw's config gives them. */
function policyOf(account: ResolvedClawlinkAccount): Record<string, unknown> {
  return { direct: account.core?.direct, groups: account.core?.groups };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stateDefaults(stateDirOf: StateDirResolver, accountId: string): { stateDir?: string } {
  const stateDir = stateDirOf(accountId);
  return stateDir ? { stateDir } : {};
}

function snapshotBase(account: ResolvedClawlinkAccount): ClawlinkAccountSnapshot {
  return {
    accountId: account.accountId,
    enabled: account.enabled,
    configured: account.configured && account.issues.length === 0,
  };
}
