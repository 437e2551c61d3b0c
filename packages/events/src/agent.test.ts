/** The agent's bookkeeping, without a connection: config errors, dispatch attach/detach, errors. */
import { ConfigError, type Logger } from '@clawlink/core';
import { describe, expect, it, vi } from 'vitest';
import { type Agent, createAgent } from './agent.js';

const CONFIG = {
  accountId: 'echo',
  server: 'ws://127.0.0.1:1',
  credentials: { kind: 'static', sdkAppId: 1400000001, userId: 'echo', userSig: 'sig' },
} as const;

/**
 * The agent, and the dispatch its runtime was given on every change: `attached` (messages and
 * agent requests), `requests only` (`{ messages: false }`) or `detached`.
 */
function watched(options: { logger?: Logger } = {}): { agent: Agent; changes: unknown[] } {
  const agent = createAgent({ ...CONFIG, ...options });
  const changes: unknown[] = [];
  const setDispatch = agent.runtime.setDispatch.bind(agent.runtime);
  vi.spyOn(agent.runtime, 'setDispatch').mockImplementation((dispatch, options) => {
    const messages = options?.messages ?? true;
    changes.push(dispatch === undefined ? 'detached' : messages ? 'attached' : 'requests only');
    setDispatch(dispatch, options);
  });
  return { agent, changes };
}

describe('createAgent', () => {
  it('throws ConfigError listing every problem of the account config', () => {
    const bad = { accountId: '', credentials: { kind: 'static', sdkAppId: -1 } } as never;
    const error = (() => {
      try {
        createAgent(bad);
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(ConfigError.isInstance(error)).toBe(true);
    const paths = (error as ConfigError).issues.map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining(['accountId', 'credentials.sdkAppId', 'credentials.userId']),
    );
  });

  it('passes the config through to core and keeps logger, store, clock and fetch out of it', () => {
    const agent = createAgent({ ...CONFIG, agentRequests: { allowFrom: ['planner'] } });
    expect(agent.accountId).toBe('echo');
    expect(agent.runtime.config.agentRequests.allowFrom).toEqual(['planner']);
    expect(agent.status()).toMatchObject({ accountId: 'echo', state: 'stopped' });
  });
});

describe('the dispatch is attached while someone takes events', () => {
  it('from the first message or agent_request listener until the last is removed', () => {
    const { agent, changes } = watched();
    const a = () => 'a';
    const b = () => 'b';
    agent.on('status', () => {});
    agent.on('error', () => {});
    expect(changes).toEqual([]);
    agent.on('message', a);
    agent.on('agent_request', b);
    expect(changes).toEqual(['attached']);
    agent.off('message', a);
    expect(changes).toEqual(['attached', 'requests only']);
    agent.off('agent_request', b);
    expect(changes).toEqual(['attached', 'requests only', 'detached']);
  });

  it('for agent requests only while it has agent_request listeners and no message taker', async () => {
    const { agent, changes } = watched();
    const b = () => 'b';
    agent.on('agent_request', b);
    expect(changes).toEqual(['requests only']);
    const iterator = agent[Symbol.asyncIterator]();
    expect(changes).toEqual(['requests only', 'attached']);
    await iterator.return?.();
    expect(changes).toEqual(['requests only', 'attached', 'requests only']);
    agent.on('message', () => 'a');
    expect(changes).toEqual(['requests only', 'attached', 'requests only', 'attached']);
  });

  it('counts once() listeners and survives removeAllListeners()', () => {
    const { agent, changes } = watched();
    agent.once('message', () => 'once');
    agent.removeAllListeners();
    expect(changes).toEqual(['attached', 'detached']);
    agent.prependListener('message', () => 'again');
    expect(changes).toEqual(['attached', 'detached', 'attached']);
    agent.removeAllListeners('message');
    expect(changes).toEqual(['attached', 'detached', 'attached', 'detached']);
  });

  it('while a for-await iterator is open', async () => {
    const { agent, changes } = watched();
    const iterator = agent[Symbol.asyncIterator]();
    expect(changes).toEqual(['attached']);
    await iterator.return?.();
    expect(changes).toEqual(['attached', 'detached']);
  });
});

describe('errors', () => {
  it('a status listener that throws or rejects is reported on error', async () => {
    const { agent } = watched();
    const reported: string[] = [];
    agent.on('error', (error, detail) => reported.push(`${detail.accountId}: ${error.message}`));
    agent.on('status', () => {
      throw new Error('sync status bug');
    });
    agent.on('status', async () => {
      throw new Error('async status bug');
    });
    agent.runtime.emit('status', { accountId: 'echo', state: 'connecting', since: 0 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(reported).toEqual(['echo: sync status bug']);
    agent.removeAllListeners('status');
    agent.on('status', async () => {
      throw new Error('async status bug');
    });
    agent.runtime.emit('status', { accountId: 'echo', state: 'connecting', since: 0 });
    await vi.waitFor(() => expect(reported).toContain('echo: async status bug'));
  });

  it('without an error listener, errors are logged at error level instead of thrown', () => {
    const lines: { level: string; msg: string }[] = [];
    const record =
      (level: string) =>
      (obj: object | string, msg?: string): void => {
        lines.push({ level, msg: typeof obj === 'string' ? obj : (msg ?? '') });
      };
    const logger: Logger = {
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
      child: () => logger,
    };
    const { agent } = watched({ logger });
    expect(() =>
      agent.runtime.emit('error', new Error('store failed'), { accountId: 'echo' }),
    ).not.toThrow();
    expect(lines).toContainEqual({
      level: 'error',
      msg: 'agent error (add an error listener to handle it)',
    });
  });
});
