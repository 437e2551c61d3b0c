import type { Logger } from '../logging/logger.js';

/** One line a {@link createRecordingLogger} received. */
export interface RecordedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object | undefined;
  msg: string;
}

/**
 * A {@link Logger} that keeps every line it gets (its `child()` records into the same list), so a
 * test can assert what was logged, e.g. that a message id was logged and no secret was.
 */
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
