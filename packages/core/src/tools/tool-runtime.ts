import type { AccountRuntime } from '../runtime/account-runtime.js';

/**
 * What the tools use of an account: its channel and message operations, agent requests and
 * status. An `AccountRuntime` is one.
 */
export type ToolRuntime = Pick<AccountRuntime, 'accountId' | 'channels' | 'messages' | 'status'> & {
  readonly agents?: {
    request(
      userId: string,
      task: string,
      options?: { timeoutMs?: number; context?: string; signal?: AbortSignal },
    ): Promise<{ id: string; from: string; result: string }>;
  };
};
