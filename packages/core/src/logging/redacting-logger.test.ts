import { createUserSig } from '@clawlink/usersig';
import { describe, expect, it } from 'vitest';
import type { Logger } from './logger.js';
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
});
