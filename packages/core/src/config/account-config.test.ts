import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/config-error.js';
import { type AccountConfig, accountConfigSchema, parseAccountConfig } from './account-config.js';

const API_KEY = 'ak_live_9f8e7d6c5b4a39281706';
const USER_SIG = 'eJwtzMEKgjAMBuB3GbvbZKpTiDx1qYOnsLMoW5PhxMrZ1g3fvSQ8fj8-3w8IyRkiqGcrTkdSg';
const SECRET_KEY = 'c0ffee0ddba11deadbeef0123456789a';

function configError(input: unknown): ConfigError {
  try {
    parseAccountConfig(input);
  } catch (error) {
    if (ConfigError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const messageOf = (error: ConfigError, path: string) =>
  error.issues.find((issue) => issue.path === path)?.message;

describe('parseAccountConfig', () => {
  it('accepts an exchange account and applies the defaults', () => {
    const config: AccountConfig = parseAccountConfig({
      accountId: 'support-bot',
      credentials: {
        kind: 'exchange',
        endpoint: 'https://clawlink.example.com',
        agentId: 'a1',
        apiKey: API_KEY,
      },
    });
    expect(config).toEqual({
      accountId: 'support-bot',
      credentials: {
        kind: 'exchange',
        endpoint: 'https://clawlink.example.com',
        agentId: 'a1',
        apiKey: API_KEY,
      },
      onKicked: 'stop',
      reconnect: { initialDelayMs: 1000, maxDelayMs: 60_000 },
      credentialRetry: { initialDelayMs: 2000, maxDelayMs: 300_000 },
      groups: { requireMention: true, mentionAll: false, allow: ['*'], deny: [], channels: {} },
      direct: { enabled: true, allowFrom: ['*'], typing: true, markRead: true },
      debounce: { windowMs: 300, maxBatch: 20 },
      catchUp: { maxAgeMs: 3_600_000, maxMessages: 50 },
      dispatch: { concurrency: 4, timeoutMs: 120_000, maxAttempts: 3 },
      replies: { mentionSender: true, quote: true, mentionText: '@{nick} ' },
      stream: { intervalMs: 500 },
      agentRequests: { allowFrom: [], timeoutMs: 300_000 },
    });
  });

  it('names the pipeline and agent-request fields in its errors', () => {
    expect(() =>
      parseAccountConfig({
        accountId: 'a',
        credentials: { kind: 'static', sdkAppId: 1400000000, userId: 'bot', userSig: USER_SIG },
        groups: { requireMention: 'yes', nope: 1 },
        agentRequests: { allowFrom: 'everyone' },
      }),
    ).toThrow(
      /groups\.requireMention[\s\S]*groups\.nope[\s\S]*requireMention, mentionAll[\s\S]*agentRequests\.allowFrom/,
    );
  });

  it('accepts static and secretKey accounts with every optional field', () => {
    expect(
      parseAccountConfig({
        accountId: 'a',
        server: 'ws://127.0.0.1:9000',
        credentials: { kind: 'static', sdkAppId: 1400000000, userId: 'bot', userSig: USER_SIG },
        stateDir: '/var/lib/clawlink',
        onKicked: 'reconnect',
        reconnect: { initialDelayMs: 10 },
        credentialRetry: { maxDelayMs: 5000 },
      }),
    ).toMatchObject({
      server: 'ws://127.0.0.1:9000',
      onKicked: 'reconnect',
      reconnect: { initialDelayMs: 10, maxDelayMs: 60_000 },
      credentialRetry: { initialDelayMs: 2000, maxDelayMs: 5000 },
    });
    expect(
      parseAccountConfig({
        accountId: 'b',
        server: 'wss://tim.internal/ws',
        credentials: {
          kind: 'secretKey',
          sdkAppId: 1,
          userId: 'bot',
          secretKey: SECRET_KEY,
          userSigTtlSeconds: 3600,
        },
      }).credentials,
    ).toEqual({
      kind: 'secretKey',
      sdkAppId: 1,
      userId: 'bot',
      secretKey: SECRET_KEY,
      userSigTtlSeconds: 3600,
    });
  });

  it('lists every problem at once, each with its path and what to write', () => {
    const error = configError({
      accountId: '',
      server: 'http://not-a-socket',
      credentials: { kind: 'secretKey', sdkAppId: 1.5, userId: 'has space', secretKey: '' },
      onKicked: 'fight',
      reconnect: { initialDelayMs: 5000, maxDelayMs: 100 },
      credentialRetry: { initialDelayMs: -1 },
      statedir: '/tmp',
    });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.issues.map((i) => i.path).sort()).toEqual(
      [
        'accountId',
        'server',
        'credentials.sdkAppId',
        'credentials.userId',
        'credentials.secretKey',
        'onKicked',
        'reconnect.maxDelayMs',
        'credentialRetry.initialDelayMs',
        'statedir',
      ].sort(),
    );
    expect(messageOf(error, 'accountId')).toMatch(/must not be empty/);
    expect(messageOf(error, 'server')).toMatch(/ws:\/\/ or wss:\/\/.*omit server/);
    expect(messageOf(error, 'credentials.sdkAppId')).toMatch(/positive integer/);
    expect(messageOf(error, 'credentials.userId')).toMatch(/spaces/);
    expect(messageOf(error, 'credentials.secretKey')).toMatch(/secret key/);
    expect(messageOf(error, 'onKicked')).toMatch(/'stop'.*'reconnect'/);
    expect(messageOf(error, 'reconnect.maxDelayMs')).toMatch(/at least initialDelayMs/);
    expect(messageOf(error, 'statedir')).toMatch(/unknown field.*stateDir/);
    for (const issue of error.issues) expect(error.message).toContain(issue.message);
  });

  it('explains the credential kinds when kind is wrong or credentials are missing', () => {
    const wrong = configError({ accountId: 'a', credentials: { kind: 'apiKey', apiKey: API_KEY } });
    expect(wrong.issues).toEqual([
      {
        path: 'credentials.kind',
        message: expect.stringContaining(
          "expected one of 'static', 'secretKey', 'exchange' — for the clawlink service use { kind: 'exchange', endpoint, agentId, apiKey }",
        ),
      },
    ]);
    const missing = configError({ accountId: 'a' });
    expect(missing.issues[0]?.message).toMatch(/^missing — write one of 'static'/);
  });

  it('says what is missing in an exchange account and refuses a non-http endpoint', () => {
    const error = configError({
      accountId: 'a',
      credentials: { kind: 'exchange', endpoint: 'ftp://x', apiKey: API_KEY, apikey: API_KEY },
    });
    expect(messageOf(error, 'credentials.endpoint')).toMatch(/http:\/\/ or https:\/\//);
    expect(messageOf(error, 'credentials.agentId')).toMatch(/^missing — write the agent id/);
    expect(messageOf(error, 'credentials.apikey')).toMatch(
      /unknown field.*kind, endpoint, agentId, apiKey/,
    );
  });

  it('refuses an accountId over 64 characters, a non-object reconnect and a non-object config', () => {
    expect(
      messageOf(
        configError({
          accountId: 'x'.repeat(65),
          credentials: { kind: 'static', sdkAppId: 1, userId: 'u', userSig: 's' },
        }),
        'accountId',
      ),
    ).toMatch(/at most 64/);
    expect(
      messageOf(
        configError({
          accountId: 'a',
          credentials: { kind: 'static', sdkAppId: 1, userId: 'u', userSig: 's' },
          reconnect: 5,
        }),
        'reconnect',
      ),
    ).toMatch(/an object \{ initialDelayMs\?, maxDelayMs\? \}/);
    expect(configError('accountId=a').issues).toEqual([
      { path: '', message: expect.stringContaining('expected an account config object') },
    ]);
  });

  it('never puts apiKey, userSig or secretKey into the message or the issues', () => {
    const inputs: unknown[] = [
      // each secret in a wrong place, a wrong type next to it, or under a misspelt key
      {
        accountId: 7,
        credentials: { kind: 'exchange', endpoint: API_KEY, agentId: 1, apiKey: API_KEY },
      },
      { credentials: { kind: API_KEY, apiKey: API_KEY } },
      {
        accountId: USER_SIG + USER_SIG,
        credentials: {
          kind: 'static',
          sdkAppId: USER_SIG,
          userId: 1,
          userSig: USER_SIG,
          extra: USER_SIG,
        },
      },
      {
        accountId: 'a',
        server: SECRET_KEY,
        credentials: {
          kind: 'secretKey',
          sdkAppId: 1,
          userId: 'u',
          secretKey: SECRET_KEY,
          userSigTtlSeconds: SECRET_KEY,
        },
      },
      {
        accountId: 'a',
        onKicked: API_KEY,
        credentials: { kind: 'static', sdkAppId: 1, userId: 'u', userSig: [USER_SIG] },
      },
    ];
    for (const input of inputs) {
      const error = configError(input);
      const everything = `${error.message}\n${JSON.stringify(error.issues)}`;
      for (const secret of [API_KEY, USER_SIG, SECRET_KEY]) {
        expect(everything).not.toContain(secret);
        expect(everything).not.toContain(secret.slice(0, 12));
      }
    }
  });

  it('exports the schema for adapters to extend', () => {
    const extended = accountConfigSchema.extend({ greeting: accountConfigSchema.shape.accountId });
    expect(
      extended.parse({
        accountId: 'a',
        greeting: 'hi',
        credentials: { kind: 'static', sdkAppId: 1, userId: 'u', userSig: 's' },
      }).greeting,
    ).toBe('hi');
  });
});
