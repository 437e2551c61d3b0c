import type { Emulator } from './types.js';

/**
 * The object `startEmulator()` returns: the public {@link Emulator} plus what the emulator's
 * own HTTP layer needs and the public type does not expose. Structurally the same as
 * `HttpApiEmulator` in `http/route-types.ts`.
 */
export interface EmulatorInternals extends Emulator {
  /** True when `agentId` is registered and `apiKey` is its key (hashes compared in constant time). */
  verifyAgentKey(agentId: string, apiKey: string): boolean;
}
