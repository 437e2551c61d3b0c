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
  const account = resolve(currentConfig(ctx.cfg));
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
  let seenConfig = currentConfig(ctx.cfg);
  const runtime = createAccountRuntime({
    config: account.core,
    logger,
    // Before each message is gated: an edit of OpenClaw's config applies to this very message.
    refreshConfig: () => {
      const now = currentConfig(ctx.cfg);
      if (now === seenConfig) return;
      seenConfig = now;
      sync();
    },
    dispatch: createOpenClawDispatch({
      accountId: ctx.accountId,
      channelRuntime: ctx.channelRuntime,
      currentConfig: () => currentConfig(ctx.cfg),
      resolveAccount: (cfg) => {
        latest = syncPolicy(runtime, resolve(cfg), latest, logger);
        return latest;
      },
      onError: (error, what) => logger.warn({ err: error }, what),
    }),
  });
  const report = () => ctx.setStatus(snapshotOf(latest, runtime.status()));
  const sync = () => {
    latest = syncPolicy(runtime, resolve(currentConfig(ctx.cfg)), latest, logger);
  };
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
  // while no message arrives, whenever the snapshot changes (checked once a second).
  const unwatch = watchConfig(() => currentConfig(ctx.cfg), sync);
  return waitUntilAbort(ctx.abortSignal, async () => {
    unwatch();
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
  const { direct, groups } = runtime.config;
  const live = { direct, groups };
  const wanted = { direct: next.core.direct, groups: next.core.groups };
  const patch = replacement(live, wanted as Record<string, unknown>);
  if (JSON.stringify(mergedView(live, patch)) !== JSON.stringify(live)) {
    runtime.updateConfig(patch);
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

/** `current` with `patch` applied the way core merges it, for change detection only. */
function mergedView(
  current: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    const existing = out[key];
    if (value === undefined) delete out[key];
    else if (isRecord(value) && isRecord(existing)) out[key] = mergedView(existing, value);
    else out[key] = value;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Calls `onChange` whenever `read()` returns a different config object; returns the stop. */
function watchConfig(read: () => OpenClawConfig, onChange: () => void): () => void {
  let seen = read();
  const timer = setInterval(() => {
    const now = read();
    if (now === seen) return;
    seen = now;
    onChange();
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
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
