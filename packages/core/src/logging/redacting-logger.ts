import type { Logger, LogLevel } from './logger.js';
import { redact, redactString } from './redact.js';

/**
 * Wraps a logger (a pino instance, a console logger, anything of {@link Logger}'s shape) so
 * that every object, message and child binding passes through `redact` first. An `Error`
 * given as the object is logged as `{ err: ... }`, pino's convention.
 */
export function redactingLogger(inner: Logger): Logger {
  const method =
    (level: LogLevel) =>
    (objOrMsg: object | string, msg?: string): void => {
      if (typeof objOrMsg === 'string') {
        inner[level](redactString(objOrMsg));
        return;
      }
      const obj = objOrMsg instanceof Error ? { err: redact(objOrMsg) } : redact(objOrMsg);
      if (msg === undefined) inner[level](obj);
      else inner[level](obj, redactString(msg));
    };
  return {
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    child: (bindings) => redactingLogger(inner.child(redact(bindings))),
  };
}
