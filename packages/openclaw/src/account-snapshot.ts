import type { AccountStatus, ConfigIssue } from '@clawlink/core';
import type { ResolvedClawlinkAccount } from './account-config.js';

/** The subset of OpenClaw's `ChannelAccountSnapshot` this plugin reports. */
export interface ClawlinkAccountSnapshot {
  accountId: string;
  name?: string;
  enabled?: boolean;
  configured?: boolean;
  running?: boolean;
  connected?: boolean;
  statusState?: string;
  stateReason?: string;
  lifecycle?: 'starting' | 'ready' | 'recovering' | 'blocked' | 'stopped';
  lastError?: string | null;
  lastConnectedAt?: number | null;
  lastInboundAt?: number | null;
  dmPolicy?: string;
  allowFrom?: string[];
  mode?: string;
}

const LIFECYCLE = {
  stopped: 'stopped',
  'half-alive': 'blocked',
  connecting: 'starting',
  connected: 'ready',
  reconnecting: 'recovering',
} as const;

/**
 * OpenClaw's account snapshot for a core status: `connected` only when TIM is logged in;
 * half-alive is `blocked` with core's reason and what to do (e.g. `unclaimed: ...`);
 * reconnecting is `recovering`. `running` stays true while the account task runs.
 */
export function snapshotOf(
  account: ResolvedClawlinkAccount,
  status: AccountStatus,
): ClawlinkAccountSnapshot {
  const connected = status.state === 'connected';
  return {
    ...base(account),
    running: status.state !== 'stopped',
    connected,
    statusState: status.state,
    lifecycle: LIFECYCLE[status.state],
    ...(status.reason ? { stateReason: status.reason } : {}),
    lastError: connected
      ? null
      : status.reason
        ? `${status.reason}: ${status.detail ?? 'not connected'}`
        : null,
    ...(connected ? { lastConnectedAt: status.since } : {}),
  };
}

/** The snapshot of an account that cannot start: its config has problems. */
export function misconfiguredSnapshot(account: ResolvedClawlinkAccount): ClawlinkAccountSnapshot {
  return {
    ...base(account),
    running: true,
    connected: false,
    statusState: 'misconfigured',
    stateReason: 'config',
    lifecycle: 'blocked',
    lastError: describeIssues(account.issues),
  };
}

/** Config problems as one line each: `path: what is wrong — what to write`. */
export function describeIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
}

/**
 * What OpenClaw's `describeAccount` shows of an account, and every snapshot starts with: its
 * id and name, whether it is enabled and fully configured (no config issue), its DM policy and
 * allow-list.
 */
export function describeAccount(account: ResolvedClawlinkAccount): ClawlinkAccountSnapshot {
  return {
    accountId: account.accountId,
    ...(account.name ? { name: account.name } : {}),
    enabled: account.enabled,
    configured: account.configured && account.issues.length === 0,
    dmPolicy: account.dmPolicy,
    allowFrom: [...account.allowFrom],
  };
}

function base(account: ResolvedClawlinkAccount): ClawlinkAccountSnapshot {
  return { ...describeAccount(account), mode: 'websocket' };
}
