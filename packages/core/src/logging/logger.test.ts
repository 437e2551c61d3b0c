import { describe, expect, it } from 'vitest';
import { type Logger, silentLogger } from './logger.js';
import { redactingLogger } from './redacting-logger.js';

/**
 * pino's own method shapes (from pino's type definitions), written out so the test needs no
 * pino dependency: `LogFn` overloads and `child(bindings, options?)`, plus members we ignore.
 */
interface PinoLogFn {
  <T extends object>(obj: T, msg?: string, ...args: unknown[]): void;
  (obj: unknown, msg?: string, ...args: unknown[]): void;
  (msg: string, ...args: unknown[]): void;
}
interface PinoLike {
  level: string;
  fatal: PinoLogFn;
  error: PinoLogFn;
  warn: PinoLogFn;
  info: PinoLogFn;
  debug: PinoLogFn;
  trace: PinoLogFn;
  silent: PinoLogFn;
  child(bindings: Record<string, unknown>, options?: { level?: string }): PinoLike;
  isLevelEnabled(level: string): boolean;
}

function fakePino(lines: unknown[][]): PinoLike {
  const fn: PinoLogFn = (...args: unknown[]) => {
    lines.push(args);
  };
  return {
    level: 'info',
    fatal: fn,
    error: fn,
    warn: fn,
    info: fn,
    debug: fn,
    trace: fn,
    silent: fn,
    child: () => fakePino(lines),
    isLevelEnabled: () => true,
  };
}

describe('Logger', () => {
  it('accepts a pino-shaped logger as it is, and wrapped in redactingLogger', () => {
    const lines: unknown[][] = [];
    const pino: Logger = fakePino(lines);
    pino.info({ a: 1 }, 'x');
    redactingLogger(fakePino(lines)).child({ b: 2 }).warn('y');
    expect(lines).toEqual([[{ a: 1 }, 'x'], ['y']]);
  });

  it('refuses an object missing child (checked by the type checker)', () => {
    const noop = () => {};
    // @ts-expect-error a Logger must have child()
    const broken: Logger = { debug: noop, info: noop, warn: noop, error: noop };
    expect(typeof broken.info).toBe('function');
  });

  it('has a silent logger whose children are silent too', () => {
    expect(silentLogger.child({ a: 1 })).toBe(silentLogger);
  });
});
