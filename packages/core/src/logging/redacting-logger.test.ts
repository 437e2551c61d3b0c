import { createUserSig } from '@clawlink/usersig';
import { describe, expect, it } from 'vitest';
import { type Logger, silentLogger } from './logger.js';
import { redactingLogger } from './redacting-logger.js';

const USER_SIG = createUserSig({ sdkAppId: 1400000001, secretKey: 'r'.repeat(64), userId: 'bot' });

type Call = { level: string; args: unknown[]; bindings: Record<string, unknown>[] };

/** A logger that records every call it receives, with the bindings of its chain. */
function recorder(calls: Call[], bindings: Record<string, unknown>[] = []): Logger {
  const method =
    (level: string) =>
    (...args: unknown[]) => {
      calls.push({ level, args, bindings });
    };
  return {
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    child: (more) => recorder(calls, [...bindings, more]),
  };
}

describe('redactingLogger', () => {
  it('redacts the object, the message and child bindings of every level', () => {
    const calls: Call[] = [];
    const logger = redactingLogger(recorder(calls));
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      logger[level]({ userSig: USER_SIG, ok: 1 }, `sig ${USER_SIG}`);
      logger[level](`only text apiKey=abc123`);
    }
    logger.child({ secretKey: 'sk', accountId: 'a' }).child({ note: USER_SIG }).info({ x: 1 });

    expect(calls).toHaveLength(9);
    expect(calls[0]).toEqual({
      level: 'debug',
      args: [{ userSig: '[redacted]', ok: 1 }, 'sig [redacted]'],
      bindings: [],
    });
    expect(calls[1]?.args).toEqual(['only text apiKey=[redacted]']);
    expect(calls[8]).toEqual({
      level: 'info',
      args: [{ x: 1 }],
      bindings: [{ secretKey: '[redacted]', accountId: 'a' }, { note: '[redacted]' }],
    });
    expect(JSON.stringify(calls)).not.toContain(USER_SIG.slice(0, 16));
  });

  it('logs an Error object under err, redacted, as pino does', () => {
    const calls: Call[] = [];
    redactingLogger(recorder(calls)).error(
      Object.assign(new Error(`bad ${USER_SIG}`), { token: 't' }),
      'login failed',
    );
    expect(calls[0]?.args).toEqual([
      {
        err: expect.objectContaining({
          name: 'Error',
          message: 'bad [redacted]',
          token: '[redacted]',
        }),
      },
      'login failed',
    ]);
  });

  it('makes a child of the inner logger only when the child logs, with its bindings as given', () => {
    const calls: Call[] = [];
    let children = 0;
    const counting: Logger = {
      ...recorder(calls),
      child: (more) => {
        children++;
        return recorder(calls, [more]);
      },
    };
    const logger = redactingLogger(counting);
    for (let i = 0; i < 100; i++) logger.child({ messageId: `m${i}` });
    expect(children).toBe(0);

    const bindings: Record<string, unknown> = { messageId: 'm1', token: 't' };
    const child = logger.child(bindings);
    bindings.messageId = 'changed';
    child.info('one');
    child.warn({ n: 2 }, 'two');
    expect(children).toBe(1);
    expect(calls.map((c) => c.bindings)).toEqual([
      [{ messageId: 'm1', token: '[redacted]' }],
      [{ messageId: 'm1', token: '[redacted]' }],
    ]);
  });

  it('returns the silent logger as it is: nothing it drops needs redacting', () => {
    expect(redactingLogger(silentLogger)).toBe(silentLogger);
  });
});
