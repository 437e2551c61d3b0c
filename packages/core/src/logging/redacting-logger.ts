import { type Logger, type LogLevel, silentLogger } from './logger.js';
import { redact, redactString } from './redact.js';

/**
 * Wraps a logger (a pino instance, a console logger, anything of {@link Logger}'s shape) so
 * that every object, message and child binding passes through `redact` first. An `Error`
 * given as the object is logged as `{ err: ... }`, pino's convention.
 *
 * A child costs nothing until it logs: its bindings (a shallow copy taken at `child()`) are
 * redacted, and the inner logger's child made, at its first line; so a child per message is
 * cheap when the message logs nothing. {@link silentLogger} is returned as it is: what it drops
 * needs no redaction.
 */
export function redactingLogger(inner: Logger): Logger {
  if (inner === silentLogger) return silentLogger;
  return redactingOver(() => inner);
}

/** A redacting logger over the logger `target()` returns (made when the first line is logged). */
function redactingOver(target: () => Logger): Logger {
  const method =
    (level: LogLevel) =>
    (objOrMsg: object | string, msg?: string): void => {
      const inner = target();
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
    child: (bindings) => {
      const copy = { ...bindings };
      let child: Logger | undefined;
      return redactingOver(() => {
        child ??= target().child(redact(copy));
        return child;
      });
    },
  };
}
