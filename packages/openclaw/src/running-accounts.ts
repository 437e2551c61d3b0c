import type { AccountRuntime } from '@clawlink/core';

/**
 * The account runtimes running in this process, shared by every copy of this module:
 * OpenClaw may load the plugin more than once in one gateway (the channel and the tools can
 * get different module instances), and a tool must still find the account the channel
 * started. Keyed by a symbol in the global registry, so all copies see one map.
 */
const KEY = Symbol.for('clawlink.openclaw.runningAccounts');

type Registry = Map<string, AccountRuntime>;

function registry(): Registry {
  const holder = globalThis as { [KEY]?: Registry };
  holder[KEY] ??= new Map();
  return holder[KEY];
}

/** Records a started account; the previous runtime of the same id, if any, is replaced. */
export function addRunningAccount(runtime: AccountRuntime): void {
  registry().set(runtime.accountId, runtime);
}

/** Forgets `runtime` (only if it is still the one recorded for its id). */
export function removeRunningAccount(runtime: AccountRuntime): void {
  if (registry().get(runtime.accountId) === runtime) registry().delete(runtime.accountId);
}

/** The running account of that id, if any. */
export function getRunningAccount(accountId: string): AccountRuntime | undefined {
  return registry().get(accountId);
}

/** The ids of every running account, in start order. */
export function runningAccountIds(): string[] {
  return [...registry().keys()];
}
