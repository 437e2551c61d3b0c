import { createUserSig } from '@clawlink/usersig';
import { describe, expect, it } from 'vitest';
import { isSecretKey, REDACTED, redact, redactString } from './redact.js';

const USER_SIG = createUserSig({ sdkAppId: 1400000001, secretKey: 'k'.repeat(64), userId: 'bot' });
const SECRET = 'hunter2-correct-horse';

describe('redact', () => {
  it('uses a real tls-sig-api-v2 UserSig in these tests', () => {
    expect(USER_SIG).toMatch(/^eJ/);
    expect(USER_SIG.length).toBeGreaterThan(100);
  });

  it.each([
    'apiKey',
    'api_key',
    'APIKEY',
    'userSig',
    'usersig',
    'user_sig',
    'UserSig',
    'secretKey',
    'secret',
    'A2Key',
    'a2Key',
    'a2',
    'A2',
    'password',
    'token',
    'authorization',
    'Authorization',
    'cookie',
    'accessToken',
    'clientSecret',
    'x-api-key',
    'set-cookie',
  ])('replaces the value of %s, at any depth', (key) => {
    const input = { [key]: SECRET, nested: { list: [{ [key]: { deep: SECRET } }] } };
    const out = redact(input);
    expect(out).toEqual({ [key]: REDACTED, nested: { list: [{ [key]: REDACTED }] } });
    expect(JSON.stringify(out)).not.toContain(SECRET);
    expect(input[key]).toBe(SECRET); // a copy: the input is untouched
  });

  it('leaves innocent keys alone, and keeps null or absent secrets as they are', () => {
    for (const key of ['userId', 'tokens', 'tokenCount', 'sdkAppId', 'userSigTtlSeconds', 'a22']) {
      expect(isSecretKey(key)).toBe(false);
    }
    expect(redact({ userId: 'bot', count: 3, ok: true, apiKey: null, token: undefined })).toEqual({
      userId: 'bot',
      count: 3,
      ok: true,
      apiKey: null,
      token: undefined,
    });
  });

  it('finds a UserSig under an innocent key and inside a longer string', () => {
    const out = redact({
      value: USER_SIG,
      note: `login with ${USER_SIG} failed`,
      url: `wss://x/?usersig=${USER_SIG}&sdkappid=1`,
      list: [USER_SIG],
    });
    expect(JSON.stringify(out)).not.toContain(USER_SIG.slice(0, 20));
    expect(out.note).toBe(`login with ${REDACTED} failed`);
    expect(out.url).toBe(`wss://x/?usersig=${REDACTED}&sdkappid=1`);
  });

  it('redacts key=value and JSON-style secrets inside free text', () => {
    expect(redactString(`apiKey=${SECRET} next`)).toBe(`apiKey=${REDACTED} next`);
    expect(redactString(`{"api_key": "${SECRET}", "a": 1}`)).toBe(
      `{"api_key": "${REDACTED}", "a": 1}`,
    );
    expect(redactString(`Authorization: Bearer ${SECRET}`)).toBe(`Authorization: ${REDACTED}`);
    expect(redactString('password=1234 token:abcd')).toBe(`password=${REDACTED} token:${REDACTED}`);
    expect(redactString('a2=ffee A2Key=1 accessToken=abc data2=kept')).toBe(
      `a2=${REDACTED} A2Key=${REDACTED} accessToken=${REDACTED} data2=kept`,
    );
    expect(redactString('eJ is short and ordinary text stays')).toBe(
      'eJ is short and ordinary text stays',
    );
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'a', token: SECRET };
    a.self = a;
    a.list = [a];
    expect(redact(a)).toEqual({
      name: 'a',
      token: REDACTED,
      self: '[circular]',
      list: ['[circular]'],
    });
  });

  it('keeps an error’s name, message and code, and redacts its fields, stack and cause', () => {
    const cause = Object.assign(new Error(`inner ${USER_SIG}`), { secretKey: SECRET });
    const error = Object.assign(new TypeError(`bad sig ${USER_SIG}`, { cause }), {
      code: 'E_SIG',
      apiKey: SECRET,
      status: 401,
    });
    const out = redact(error) as unknown as Record<string, unknown>;
    expect(out).toMatchObject({
      name: 'TypeError',
      message: `bad sig ${REDACTED}`,
      code: 'E_SIG',
      apiKey: REDACTED,
      status: 401,
      cause: { name: 'Error', message: `inner ${REDACTED}`, secretKey: REDACTED },
    });
    expect(out.stack).toMatch(/^TypeError: bad sig \[redacted\]/);
    const text = JSON.stringify(out);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(USER_SIG.slice(0, 20));
  });

  it('copies Maps and Sets with their secrets redacted, and summarises binary data', () => {
    const out = redact({
      headers: new Map<string, unknown>([
        ['authorization', SECRET],
        ['accept', 'json'],
        ['sig', USER_SIG],
      ]),
      sigs: new Set([USER_SIG]),
      body: Buffer.from(SECRET),
    });
    expect(out.headers).toEqual(
      new Map([
        ['authorization', REDACTED],
        ['accept', 'json'],
        ['sig', REDACTED],
      ]),
    );
    expect(out.sigs).toEqual(new Set([REDACTED]));
    expect(out.body).toBe(`[binary: ${SECRET.length} bytes]`);
  });

  it('passes primitives through and redacts a bare string', () => {
    expect(redact(42)).toBe(42);
    expect(redact(null)).toBe(null);
    expect(redact(USER_SIG)).toBe(REDACTED);
  });
});

describe('redactString with known secrets', () => {
  it('scrubs a known secret in its encoded forms too (URL, base64, base64url, JSON-escaped)', () => {
    const apiKey = 'ak_live/9+Zq="quoted"&x';
    const forms = [
      apiKey,
      encodeURIComponent(apiKey),
      Buffer.from(apiKey).toString('base64'),
      Buffer.from(apiKey).toString('base64url'),
      JSON.stringify(apiKey).slice(1, -1),
    ];
    for (const form of forms) {
      const out = redactString(`the server said: ${form} was refused`, [apiKey]);
      expect(out).toBe(`the server said: ${REDACTED} was refused`);
    }
  });
});
