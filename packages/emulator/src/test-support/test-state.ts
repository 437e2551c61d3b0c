/** Test-only: a state over memory storage, and the TIM code a call throws. */
import { createEmulatorState } from '../emulator-state.js';
import { TimCodeError } from '../protocol/tim-codes.js';
import { createMemoryStorage } from '../storage/memory-storage.js';

/** A fresh state over memory storage, at a fixed clock (tests only). */
export function newTestState() {
  const storage = createMemoryStorage();
  return { storage, state: createEmulatorState({ storage, now: () => 1_700_000_000_000 }) };
}

/** The TIM code `fn` throws, or undefined when it throws nothing or something else (tests only). */
export function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof TimCodeError ? error.code : undefined;
  }
  return undefined;
}
