import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createUserSig, decodeUserSig, verifyUserSig } from '@clawlink/usersig';
import { afterEach, describe, expect, it } from 'vitest';
import { CredentialError, type CredentialErrorReason } from '../errors/credential-error.js';
import type { Logger } from '../logging/logger.js';
import {
  type CredentialManagerOptions,
  type CredentialSource,
  createCredentialManager,
} from './credential-manager.js';

const SDK_APP_ID = 1400000042;
const SECRET_KEY = 'unit-secret-key-0123456789abcdef';
const API_KEY = 'ak_unit_0123456789abcdef_SECRET';
const START = Date.parse('2026-03-04T05:06:07.250Z');

// Every secret a test handles, and every text clawlink produced (log lines, error messages and
// causes). After each test, no text may contain a secret.
const secrets = new Set<string>([SECRET_KEY, API_KEY]);
const texts: string[] = [];

function captureLogger(bindings: Record<string, unknown> = {}): Logger {
  const write =
    (level: string) =>
    (objOrMsg: object | string, msg?: string): void => {
      texts.push(JSON.stringify({ level, bindings, objOrMsg, msg }));
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => captureLogger({ ...bindings, ...more }),
  };
}

/** Awaits a rejection, records its text for the secret check and returns it as a CredentialError. */
async function failure(promise: Promise<unknown>): Promise<CredentialError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a CredentialError, got credentials');
    },
    (e: unknown) => e,
  );
  if (!CredentialError.isInstance(error)) throw error;
  texts.push(error.message, String(error.cause ?? ''), JSON.stringify(error));
  return error;
}

function expectReason(error: CredentialError, reason: CredentialErrorReason): void {
  expect({ reason: error.reason, message: error.message }).toMatchObject({ reason });
}

function clock(start = START) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

function manager(source: CredentialSource, extra: Partial<CredentialManagerOptions> = {}) {
  const c = clock();
  const m = createCredentialManager({
    source,
    logger: captureLogger(),
    now: c.now,
    random: () => 0,
    ...extra,
  });
  return { m, clock: c };
}

function sigFor(userId: string, issuedAtMs: number, expireSeconds: number): string {
  const sig = createUserSig({
    sdkAppId: SDK_APP_ID,
    secretKey: SECRET_KEY,
    userId,
    expireSeconds,
    now: () => issuedAtMs,
  });
  secrets.add(sig);
  return sig;
}

afterEach(() => {
  for (const text of texts.splice(0)) {
    for (const secret of secrets) expect(text).not.toContain(secret);
  }
});

describe('static source', () => {
  it('reads the expiry from the UserSig and keeps returning it; it cannot refresh', async () => {
    const userSig = sigFor('alice', START - 1000, 3600);
    const { m, clock: c } = manager({
      kind: 'static',
      sdkAppId: SDK_APP_ID,
      userId: 'alice',
      userSig,
    });
    const creds = await m.getCredentials();
    expect(creds).toEqual({
      sdkAppId: SDK_APP_ID,
      userId: 'alice',
      userSig,
      expiresAt: Math.floor((START - 1000) / 1000) * 1000 + 3_600_000,
    });
    expect(m.cached).toBe(creds);
    expect(m.refreshAt()).toBeUndefined();
    expect(m.source).toBe('static');
    c.advance(3_500_000); // inside any refresh margin: still the same sig, with a warning
    expect(await m.getCredentials()).toBe(creds);
    expect(texts.some((t) => t.includes('expires soon'))).toBe(true);
  });

  it('treats an undecodable UserSig as never expiring', async () => {
    const userSig = 'opaque-sig-from-elsewhere';
    secrets.add(userSig);
    const { m } = manager({ kind: 'static', sdkAppId: SDK_APP_ID, userId: 'alice', userSig });
    expect((await m.getCredentials()).expiresAt).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses an expired UserSig as invalid and says to supply a new one', async () => {
    const userSig = sigFor('alice', START - 7200_000, 3600);
    const { m } = manager({ kind: 'static', sdkAppId: SDK_APP_ID, userId: 'alice', userSig });
    const error = await failure(m.getCredentials());
    expectReason(error, 'invalid');
    expect(error.message).toMatch(/expired at .*fresh UserSig/);
    expect(error.retryable).toBe(false);
  });

  it('refuses a UserSig made for another user', async () => {
    const userSig = sigFor('bob', START, 3600);
    const { m } = manager({ kind: 'static', sdkAppId: SDK_APP_ID, userId: 'alice', userSig });
    const error = await failure(m.getCredentials());
    expectReason(error, 'invalid');
    expect(error.message).toContain('signed for user "bob"');
  });

  it('after invalidate(), fails and says to configure a fresh UserSig or switch source', async () => {
    const userSig = sigFor('alice', START, 3600);
    const { m } = manager({ kind: 'static', sdkAppId: SDK_APP_ID, userId: 'alice', userSig });
    await m.getCredentials();
    m.invalidate();
    expect(m.cached).toBeUndefined();
    const error = await failure(m.getCredentials());
    expectReason(error, 'invalid');
    expect(error.message).toMatch(/fresh UserSig.*`secretKey` or `exchange`/);
  });
});

it('an unknown source kind is invalid', async () => {
  const { m } = manager({ kind: 'magic' } as unknown as CredentialSource);
  const error = await failure(m.getCredentials());
  expectReason(error, 'invalid');
  expect(error.message).toContain('"magic"');
});

describe('secretKey source', () => {
  const source = (ttl?: number): CredentialSource => ({
    kind: 'secretKey',
    sdkAppId: SDK_APP_ID,
    userId: 'carol',
    secretKey: SECRET_KEY,
    ...(ttl === undefined ? {} : { userSigTtlSeconds: ttl }),
  });

  it('signs a verifiable UserSig valid for one day by default, cached until the refresh margin', async () => {
    const { m, clock: c } = manager(source());
    const creds = await m.getCredentials();
    secrets.add(creds.userSig);
    expect(
      verifyUserSig(creds.userSig, { sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, now: c.now }),
    ).toMatchObject({ ok: true, userId: 'carol', expireSeconds: 86_400 });
    const issued = Math.floor(START / 1000) * 1000;
    expect(creds.expiresAt).toBe(issued + 86_400_000);
    // margin = min(10 min, 10% of a day) = 10 min
    expect(m.refreshAt()).toBe(creds.expiresAt - 600_000);
    c.advance(creds.expiresAt - 600_000 - START - 1);
    expect(await m.getCredentials()).toBe(creds);
    c.advance(1);
    const renewed = await m.getCredentials();
    secrets.add(renewed.userSig);
    expect(renewed.userSig).not.toBe(creds.userSig);
    expect(renewed.expiresAt).toBeGreaterThan(creds.expiresAt);
  });

  it('uses 10% of a short lifetime as margin, or the configured margin capped at half of it', async () => {
    const short = manager(source(600));
    const creds = await short.m.getCredentials();
    secrets.add(creds.userSig);
    expect(short.m.refreshAt()).toBe(creds.expiresAt - 60_000);
    const huge = manager(source(600), { refreshMarginMs: 3_600_000 });
    const c2 = await huge.m.getCredentials();
    secrets.add(c2.userSig);
    expect(huge.m.refreshAt()).toBe(c2.expiresAt - 300_000);
  });

  it('after invalidate() within the same second, signs a different UserSig every time', async () => {
    const { m, clock: c } = manager(source());
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const creds = await m.getCredentials();
      secrets.add(creds.userSig);
      expect(seen.has(creds.userSig)).toBe(false);
      seen.add(creds.userSig);
      expect(
        verifyUserSig(creds.userSig, { sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, now: c.now })
          .ok,
      ).toBe(true);
      m.invalidate();
    }
    // The clock never moved: the sigs were issued at consecutive seconds.
    const times = [...seen].map((s) => decodeUserSig(s)?.issuedAtSeconds);
    const first = Math.floor(START / 1000);
    expect(times).toEqual([first, first + 1, first + 2]);
  });

  it('reports a bad option as invalid without the key', async () => {
    const { m } = manager({ ...source(), secretKey: '' } as CredentialSource);
    expectReason(await failure(m.getCredentials()), 'invalid');
    const bad = manager(source(-5));
    const error = await failure(bad.m.getCredentials());
    expectReason(error, 'invalid');
    expect(error.message).toContain('expireSeconds');
  });

  it('reports a UserID over the limit without echoing it', async () => {
    const userId = `agent-${'x'.repeat(40)}`;
    const { m } = manager({ ...source(), userId } as CredentialSource);
    const error = await failure(m.getCredentials());
    expectReason(error, 'invalid');
    expect(error.message).toMatch(/over the 32-byte limit/);
    expect(error.message).not.toContain(userId.slice(0, 12));
  });
});

// ---- exchange, against a local HTTP server ----

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

interface Exchange {
  url: string;
  requests: Array<{ path: string; body: unknown }>;
  handle(handler: Handler): void;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

async function startExchange(): Promise<Exchange> {
  let handler: Handler = (_req, _body, res) => res.writeHead(500).end();
  const requests: Exchange['requests'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      requests.push({ path: req.url ?? '', body: body ? JSON.parse(body) : undefined });
      handler(req, body, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(h) {
      handler = h;
    },
  };
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(JSON.stringify(body));
}

/** Answers 200 with a fresh sig for `dave`, issued at the (test) clock's current second. */
function issuing(now: () => number, ttlSeconds = 3600): Handler {
  return (_req, _body, res) => {
    const userSig = sigFor('dave', now(), ttlSeconds);
    json(res, 200, {
      sdkAppId: SDK_APP_ID,
      userId: 'dave',
      userSig,
      expiresAt: decodeUserSig(userSig)?.expiresAt,
    });
  };
}

async function exchangeManager(extra: Partial<CredentialManagerOptions> = {}) {
  const ex = await startExchange();
  const { m, clock: c } = manager(
    { kind: 'exchange', endpoint: `${ex.url}/`, agentId: 'agent-7', apiKey: API_KEY },
    { backoff: { initialDelayMs: 1000, maxDelayMs: 8000 }, ...extra },
  );
  return { ex, m, clock: c };
}

describe('exchange source', () => {
  it('POSTs {agentId, apiKey} and returns the credentials; 20 concurrent callers share one request', async () => {
    const { ex, m, clock: c } = await exchangeManager();
    ex.handle(issuing(c.now));
    const all = await Promise.all(Array.from({ length: 20 }, () => m.getCredentials()));
    expect(ex.requests).toEqual([
      { path: '/v1/agents/credentials', body: { agentId: 'agent-7', apiKey: API_KEY } },
    ]);
    expect(new Set(all).size).toBe(1);
    expect(all[0]).toMatchObject({ sdkAppId: SDK_APP_ID, userId: 'dave' });
    await m.getCredentials();
    expect(ex.requests).toHaveLength(1);
    // A 3600 s sig: margin min(10 min, 6 min) = 6 min before expiry.
    expect(m.refreshAt()).toBe((all[0]?.expiresAt ?? 0) - 360_000);
  });

  it('429 with Retry-After in seconds: cooldown, and no request until it ends', async () => {
    const { ex, m, clock: c } = await exchangeManager();
    ex.handle((_req, _body, res) =>
      json(
        res,
        429,
        { error: { code: 'rate_limited', message: 'slow down' } },
        { 'Retry-After': '30' },
      ),
    );
    const first = await failure(m.getCredentials());
    expectReason(first, 'cooldown');
    expect(first.retryAfterMs).toBe(30_000);
    expect(first.retryable).toBe(true);

    c.advance(10_000);
    const second = await failure(m.getCredentials());
    expectReason(second, 'cooldown');
    expect(second.retryAfterMs).toBe(20_000);
    expect(ex.requests).toHaveLength(1);

    c.advance(20_000);
    ex.handle(issuing(c.now));
    expect((await m.getCredentials()).userId).toBe('dave');
    expect(ex.requests).toHaveLength(2);
  });

  it('429 with Retry-After as an HTTP date, or retryAfterMs in the body', async () => {
    const { ex, m, clock: c } = await exchangeManager();
    const at = new Date(START + 45_000).toUTCString(); // second precision
    ex.handle((_req, _body, res) => json(res, 429, {}, { 'Retry-After': at }));
    const byDate = await failure(m.getCredentials());
    expectReason(byDate, 'cooldown');
    expect(byDate.retryAfterMs).toBe(Date.parse(at) - START);

    c.advance(60_000);
    ex.handle((_req, _body, res) =>
      json(
        res,
        429,
        { error: { code: 'rate_limited', retryAfterMs: 1234 } },
        { 'Retry-After': '2' },
      ),
    );
    const byBody = await failure(m.getCredentials());
    expect(byBody.retryAfterMs).toBe(1234);

    c.advance(2000);
    ex.handle((_req, _body, res) => json(res, 429, {}));
    const bare = await failure(m.getCredentials());
    expectReason(bare, 'cooldown');
    expect(bare.retryAfterMs).toBeGreaterThan(0); // backoff when the exchange says nothing
  });

  it('500s and refused connections are unreachable, with growing capped backoff reset by a success', async () => {
    const { ex, m, clock: c } = await exchangeManager();
    ex.handle((_req, _body, res) =>
      json(res, 503, { error: { code: 'down', message: 'maintenance' } }),
    );
    const delays: Array<number | undefined> = [];
    for (let i = 0; i < 6; i++) {
      const error = await failure(m.getCredentials());
      expectReason(error, 'unreachable');
      expect(error.message).toContain('HTTP 503');
      expect(error.message).toContain('maintenance');
      delays.push(error.retryAfterMs);
    }
    // random() = 0: half of min(8000, 1000 * 2^n)
    expect(delays).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    ex.handle(issuing(c.now));
    await m.getCredentials();
    m.invalidate();
    c.advance(1000);
    ex.handle((_req, _body, res) => json(res, 500, {}));
    expect((await failure(m.getCredentials())).retryAfterMs).toBe(500);
  });

  it('a refused connection is unreachable', async () => {
    const ex = await startExchange();
    const url = ex.url;
    await new Promise<void>((resolve) => servers.splice(0)[0]?.close(() => resolve()));
    const { m } = manager({ kind: 'exchange', endpoint: url, agentId: 'agent-7', apiKey: API_KEY });
    const error = await failure(m.getCredentials());
    expectReason(error, 'unreachable');
    expect(error.message).toMatch(/Could not reach .*ECONNREFUSED/);
  });

  it('a request that gets no answer times out as unreachable', async () => {
    const { ex, m } = await exchangeManager({ requestTimeoutMs: 100 });
    ex.handle(() => {}); // never answers
    const error = await failure(m.getCredentials());
    expectReason(error, 'unreachable');
    expect(error.message).toContain('did not answer within 100 ms');
    expect(error.retryAfterMs).toBe(500);
  });

  it('a 200 without proper JSON is unreachable, and the message never quotes the body', async () => {
    const { ex, m, clock: c } = await exchangeManager();
    const leaky = sigFor('dave', START, 3600);
    ex.handle((_req, _body, res) => res.writeHead(200).end(`{"userSig":"${leaky}", oops`));
    const notJson = await failure(m.getCredentials());
    expectReason(notJson, 'unreachable');
    expect(notJson.message).toContain('not with JSON');
    expect(notJson.cause).toBeUndefined();

    c.advance(60_000);
    ex.handle((_req, _body, res) =>
      json(res, 200, { sdkAppId: SDK_APP_ID, userId: 'dave', expiresAt: START + 9e6 }),
    );
    const noSig = await failure(m.getCredentials());
    expect(noSig.message).toContain('without a userSig');

    c.advance(60_000);
    ex.handle((_req, _body, res) =>
      json(res, 200, { sdkAppId: '1400', userId: 'dave', userSig: leaky, expiresAt: 1 }),
    );
    expect((await failure(m.getCredentials())).message).toContain('sdkAppId');
  });

  it('maps 401, 403 unclaimed, 403 revoked, redirects and other 4xx', async () => {
    const { ex, m } = await exchangeManager();
    ex.handle((_req, _body, res) =>
      json(res, 401, { error: { code: 'invalid', message: `bad key ${API_KEY}` } }),
    );
    const invalid = await failure(m.getCredentials());
    expectReason(invalid, 'invalid');
    expect(invalid.message).toContain('[redacted]'); // a server echoing the key does not leak it
    expect(invalid.retryAfterMs).toBeUndefined();

    ex.handle((_req, _body, res) =>
      json(res, 403, { error: { code: 'unclaimed', message: 'claim it' } }),
    );
    const unclaimed = await failure(m.getCredentials());
    expectReason(unclaimed, 'unclaimed');
    expect(unclaimed.message).toContain('not claimed');
    expect(unclaimed.retryAfterMs).toBe(500);
    expect((await failure(m.getCredentials())).retryAfterMs).toBe(1000);

    ex.handle((_req, _body, res) =>
      json(res, 403, { error: { code: 'revoked', message: 'gone' } }),
    );
    const revoked = await failure(m.getCredentials());
    expectReason(revoked, 'revoked');
    expect(revoked.retryable).toBe(false);

    ex.handle((_req, _body, res) =>
      res.writeHead(302, { location: 'http://127.0.0.1:1/steal' }).end(),
    );
    const redirect = await failure(m.getCredentials());
    expectReason(redirect, 'invalid');
    expect(redirect.message).toContain('redirect');

    ex.handle((_req, _body, res) =>
      json(res, 404, { error: { code: 'not_found', message: 'no route' } }),
    );
    const missing = await failure(m.getCredentials());
    expectReason(missing, 'invalid');
    expect(missing.message).toContain('HTTP 404 (not_found)');
    expect(ex.requests.every((r) => r.path === '/v1/agents/credentials')).toBe(true);
  });

  it('after invalidate(), asks again; the same UserSig again is an error, not a loop', async () => {
    const { ex, m, clock: c } = await exchangeManager();
    const fixed = sigFor('dave', START, 3600);
    ex.handle((_req, _body, res) =>
      json(res, 200, {
        sdkAppId: SDK_APP_ID,
        userId: 'dave',
        userSig: fixed,
        expiresAt: decodeUserSig(fixed)?.expiresAt,
      }),
    );
    expect((await m.getCredentials()).userSig).toBe(fixed);
    m.invalidate();
    const stale = await failure(m.getCredentials());
    expectReason(stale, 'unreachable');
    expect(stale.message).toContain('returned the UserSig TIM just refused');
    expect(stale.retryAfterMs).toBeGreaterThanOrEqual(750); // at least until the second turns
    expect(ex.requests).toHaveLength(2);

    c.advance(1000);
    ex.handle(issuing(c.now));
    const fresh = await m.getCredentials();
    expect(fresh.userSig).not.toBe(fixed);
    expect(ex.requests).toHaveLength(3);
  });

  it('an already expired UserSig from the exchange is refused', async () => {
    const { ex, m } = await exchangeManager();
    ex.handle(issuing(() => START - 7200_000));
    const error = await failure(m.getCredentials());
    expectReason(error, 'unreachable');
    expect(error.message).toContain('already expired');
  });

  it('a failed refresh keeps the still-valid credentials and moves refreshAt to the retry time', async () => {
    const { ex, m, clock: c } = await exchangeManager();
    ex.handle(issuing(c.now));
    const creds = await m.getCredentials();
    const due = m.refreshAt() ?? 0;
    c.advance(due - START);
    ex.handle((_req, _body, res) => json(res, 429, {}, { 'Retry-After': '60' }));
    expect(await m.getCredentials()).toBe(creds);
    expect(m.refreshAt()).toBe(due + 60_000);
    expect(await m.getCredentials()).toBe(creds); // before the retry time: no request
    expect(ex.requests).toHaveLength(2);

    c.advance(60_000);
    ex.handle(issuing(c.now));
    const renewed = await m.getCredentials();
    expect(renewed.userSig).not.toBe(creds.userSig);
    expect(m.refreshAt()).toBe(renewed.expiresAt - 360_000);

    // Revoked while still valid: that is not hidden.
    c.advance(renewed.expiresAt - 360_000 - c.now());
    ex.handle((_req, _body, res) => json(res, 403, { error: { code: 'revoked' } }));
    expectReason(await failure(m.getCredentials()), 'revoked');
  });

  it('logs what happened without any secret', async () => {
    const { ex, m, clock: c } = await exchangeManager();
    ex.handle(issuing(c.now));
    await m.getCredentials();
    m.invalidate();
    await m.getCredentials().catch((e: unknown) => failure(Promise.reject(e)));
    const lines = texts.join('\n');
    expect(lines).toContain('Obtained TIM credentials');
    expect(lines).toContain('"component":"credentials"');
    expect(lines).toContain('invalidated');
  });
});
