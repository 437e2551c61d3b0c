import type { TimError } from '../errors/tim-error.js';

/** Resolves when `predicate` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function waitUntil(
  predicate: () => boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The TimError an operation failed with; throws when it did not fail. */
export async function failure(promise: Promise<unknown>): Promise<TimError> {
  const result = await promise.then(
    () => undefined,
    (error: unknown) => error as TimError,
  );
  if (!result) throw new Error('expected the operation to fail');
  return result;
}
