import { Writable } from 'node:stream';
import { createUserSig } from '@clawlink/usersig';
import { describe, expect, it } from 'vitest';
import { createConsoleLogger } from './console-logger.js';
import type { LogLevel } from './logger.js';

const USER_SIG = createUserSig({ sdkAppId: 1400000001, secretKey: 's'.repeat(64), userId: 'bot' });
const SECRET = 'sk_live_do_not_print_me';

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return {
    stream,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createConsoleLogger', () => {
  it('writes one JSON line per entry with level, time, msg, bindings and fields', () => {
    const out = capture();
    const logger = createConsoleLogger({
      stream: out.stream,
      bindings: { service: 'clawlink' },
      now: () => 1_700_000_000_000,
    });
    logger.info('hello');
    logger.warn({ attempt: 2, level: 'spoofed', time: 0 }, 'retrying');
    logger.child({ accountId: 'bot' }).error({ big: 10n, ids: new Set(['a']) });
    expect(out.text().split('\n')).toHaveLength(4);
    expect(out.lines()).toEqual([
      { level: 'info', time: 1_700_000_000_000, msg: 'hello', service: 'clawlink' },
      { level: 'warn', time: 1_700_000_000_000, msg: 'retrying', service: 'clawlink', attempt: 2 },
      {
        level: 'error',
        time: 1_700_000_000_000,
        service: 'clawlink',
        accountId: 'bot',
        big: '10',
        ids: ['a'],
      },
    ]);
    expect(Object.keys(out.lines()[1]!).slice(0, 3)).toEqual(['level', 'time', 'msg']);
  });

  it('drops entries below its level (default info)', () => {
    const levels = (level?: LogLevel) => {
      const out = capture();
      const logger = createConsoleLogger(
        level ? { stream: out.stream, level } : { stream: out.stream },
      );
      logger.debug('d');
      logger.info('i');
      logger.warn('w');
      logger.error('e');
      return out.lines().map((line) => line.level);
    };
    expect(levels()).toEqual(['info', 'warn', 'error']);
    expect(levels('debug')).toEqual(['debug', 'info', 'warn', 'error']);
    expect(levels('error')).toEqual(['error']);
  });

  it('never writes a secret: not under any secret key, not in bindings, not in messages', () => {
    const out = capture();
    const logger = createConsoleLogger({
      stream: out.stream,
      level: 'debug',
      bindings: { apiKey: SECRET },
    });
    const keys = ['apiKey', 'api_key', 'userSig', 'usersig', 'user_sig', 'secretKey', 'secret'];
    const more = ['A2Key', 'a2Key', 'a2', 'password', 'token', 'authorization', 'cookie'];
    for (const key of [...keys, ...more]) {
      logger.info({ [key]: SECRET, nested: { [key]: SECRET } }, `${key}=${SECRET}`);
    }
    logger.child({ token: SECRET, note: USER_SIG }).warn(`TIM refused ${USER_SIG}`);
    logger.error(new Error(`login failed for sig ${USER_SIG} and apiKey: ${SECRET}`));
    logger.debug({ credentials: { kind: 'static', userSig: USER_SIG }, echo: USER_SIG });

    const text = out.text();
    expect(out.lines()).toHaveLength(keys.length + more.length + 3);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(USER_SIG.slice(0, 16));
    expect(text).toContain('[redacted]');
    expect(out.lines().at(-2)).toMatchObject({ err: { name: 'Error' } });
  });
});
