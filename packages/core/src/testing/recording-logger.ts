import type { Logger } from '../logging/logger.js';

/** One line a {@link createRecordingLogger} received. */
export interface RecordedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  /**
   * The line's object, with the bindings of the `child()` loggers it came through merged in (as
   * pino writes them: nested children add theirs, a later key wins, the line's own keys last); a
   * string-only line from a child gets the bindings as its object. Undefined for a string-only
   * line of the logger itself.
   */
  obj: object | undefined;
  msg: string;
}

/**
 * A {@link Logger} that keeps every line it gets, so a test can assert what was logged, e.g. that
 * a message id was logged and no secret was. Its `child(bindings)` records into the same list and
 * merges `bindings` into the object of each of its lines (see {@link RecordedLine.obj}), so what a
 * component puts in its child logger's bindings is seen as pino would write it.
 */
export function createRecordingLogger(
  lines: RecordedLine[] = [],
): Logger & { lines: RecordedLine[] } {
  return recordingLogger(lines, undefined);
}

function recordingLogger(
  lines: RecordedLine[],
  bindings: Record<string, unknown> | undefined,
): Logger & { lines: RecordedLine[] } {
  const record =
    (level: RecordedLine['level']) =>
    (objOrMsg: object | string, msg?: string): void => {
      if (typeof objOrMsg === 'string') {
        lines.push({ level, obj: bindings && { ...bindings }, msg: objOrMsg });
      } else {
        lines.push({
          level,
          obj: bindings ? { ...bindings, ...objOrMsg } : objOrMsg,
          msg: msg ?? '',
        });
      }
    };
  return {
    lines,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}
