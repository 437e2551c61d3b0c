import type { Logger, LogLevel } from './logger.js';
import { redact } from './redact.js';
import { redactingLogger } from './redacting-logger.js';

/** Options of {@link createConsoleLogger}. */
export interface ConsoleLoggerOptions {
  /** The least severe level written; default `'info'`. */
  level?: LogLevel;
  /**
   * Where lines go; default `process.stderr` (stdout often belongs to the host, e.g. a
   * stdio protocol).
   */
  stream?: NodeJS.WritableStream;
  /** Fields added to every line. */
  bindings?: Record<string, unknown>;
  /** The clock for `time`, in milliseconds since the epoch; default `Date.now`. */
  now?: () => number;
}

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** JSON for values `JSON.stringify` would drop or choke on. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}

/**
 * A logger that writes one JSON object per line, `{"level","time","msg",...bindings,
 * ...fields}`, with `time` in milliseconds since the epoch. Secrets are redacted before
 * anything is written (see `redact`). Use it when the host has no logger of its own; a pino
 * instance works in its place.
 */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const threshold = SEVERITY[options.level ?? 'info'];
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;

  const writer = (bindings: Record<string, unknown>): Logger => {
    const method =
      (level: LogLevel) =>
      (objOrMsg: object | string, msg?: string): void => {
        if (SEVERITY[level] < threshold) return;
        const fields = typeof objOrMsg === 'string' ? {} : objOrMsg;
        const text = typeof objOrMsg === 'string' ? objOrMsg : msg;
        const time = now();
        // level, time and msg come first, and fields cannot overwrite them.
        const entry: Record<string, unknown> = {
          level,
          time,
          ...(text === undefined ? {} : { msg: text }),
          ...bindings,
          ...fields,
        };
        entry.level = level;
        entry.time = time;
        if (text !== undefined) entry.msg = text;
        stream.write(`${JSON.stringify(entry, jsonReplacer)}\n`);
      };
    return {
      debug: method('debug'),
      info: method('info'),
      warn: method('warn'),
      error: method('error'),
      child: (more) => writer({ ...bindings, ...more }),
    };
  };

  return redactingLogger(writer(redact(options.bindings ?? {})));
}
