import type { TimError } from '../errors/tim-error.js';
import type { Logger } from '../logging/logger.js';

/** One line a {@link createRecordingLogger} received. */
export interface RecordedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object | undefined;
  msg: string;
}

/** A logger that keeps every line, for tests of the TIM layer. Not exported by the package. */
export function createRecordingLogger(
  lines: RecordedLine[] = [],
): Logger & { lines: RecordedLine[] } {
  const record =
    (level: RecordedLine['level']) =>
    (objOrMsg: object | string, msg?: string): void => {
      if (typeof objOrMsg === 'string') lines.push({ level, obj: undefined, msg: objOrMsg });
      else lines.push({ level, obj: objOrMsg, msg: msg ?? '' });
    };
  const logger = {
    lines,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    child: () => logger,
  };
  return logger;
}

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
