import { createRequire } from 'node:module';
import { createDeflate, deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  createUserSig,
  decodeUserSig,
  MAX_USER_SIG_JSON_BYTES,
  MAX_USER_SIG_LENGTH,
  verifyUserSig,
} from './user-sig.js';

const require = createRequire(import.meta.url);
// Tencent's own tls-sig-api-v2 package: the reference our implementation must agree with.
const TLSSigAPIv2 = require('tls-sig-api-v2') as {
  Api: new (
    sdkAppId: number,
    key: string,
  ) => {
    genSig(userId: string, expire: number): string;
  };
};

const app = { sdkAppId: 1400000001, secretKey: 'emulator-secret-key' };

describe('createUserSig', () => {
  it('is verified by the same key and app', () => {
    const sig = createUserSig({ ...app, userId: 'alice', expireSeconds: 600 });
    const result = verifyUserSig(sig, app);
    expect(result).toMatchObject({ ok: true, userId: 'alice', sdkAppId: app.sdkAppId });
  });

  it('matches what Tencent tls-sig-api-v2 produces for the same second', () => {
    const api = new TLSSigAPIv2.Api(app.sdkAppId, app.secretKey);
    for (let i = 0; i < 5; i++) {
      const before = Math.floor(Date.now() / 1000);
      const theirs = api.genSig('bob_01', 3600);
      const ours = createUserSig({
        ...app,
        userId: 'bob_01',
        expireSeconds: 3600,
        now: () => before * 1000,
      });
      if (decodeUserSig(theirs)?.issuedAtSeconds !== before) continue; // crossed a second
      expect(decodeUserSig(ours)).toEqual(decodeUserSig(theirs));
      expect(verifyUserSig(theirs, app).ok).toBe(true);
      // JSON key order differs between the two encoders; the signed content must not.
      expect(verifyUserSig(ours, app).ok).toBe(true);
      return;
    }
    throw new Error('could not sign within one second five times');
  });

  it('refuses bad options without echoing the key', () => {
    expect(() => createUserSig({ ...app, userId: '' })).toThrow(/userId/);
    expect(() => createUserSig({ ...app, sdkAppId: 0, userId: 'a' })).toThrow(/sdkAppId/);
    expect(() => createUserSig({ ...app, secretKey: '', userId: 'a' })).toThrow(/secretKey/);
    expect(() => createUserSig({ ...app, userId: 'a', expireSeconds: -1 })).toThrow(/expire/);
  });
});

describe('verifyUserSig', () => {
  it('refuses a signature made with another key', () => {
    const forged = createUserSig({ ...app, secretKey: 'not-the-key', userId: 'alice' });
    expect(verifyUserSig(forged, app)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a signature for another app', () => {
    const other = createUserSig({ ...app, sdkAppId: 1400000002, userId: 'alice' });
    expect(verifyUserSig(other, app)).toMatchObject({ ok: false, reason: 'wrong-app' });
  });

  it('refuses an expired signature and reports when it expired', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const sig = createUserSig({ ...app, userId: 'alice', expireSeconds: 10, now: () => t0 });
    expect(verifyUserSig(sig, { ...app, now: () => t0 + 9_999 }).ok).toBe(true);
    const late = verifyUserSig(sig, { ...app, now: () => t0 + 10_000 });
    expect(late).toMatchObject({ ok: false, reason: 'expired' });
    expect(decodeUserSig(sig)?.expiresAt).toBe(t0 + 10_000);
  });

  it('refuses text that is not a UserSig', () => {
    for (const junk of ['', 'abc', 'eJwrSS0uAQAEXQHB', '****']) {
      expect(verifyUserSig(junk, app)).toMatchObject({ ok: false, reason: 'malformed' });
      expect(decodeUserSig(junk)).toBeUndefined();
    }
  });

  it('refuses a signature whose fields were edited after signing', () => {
    const sig = createUserSig({ ...app, userId: 'alice', expireSeconds: 10 });
    const unsafe = sig.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=');
    const doc = JSON.parse(inflateSync(Buffer.from(unsafe, 'base64')).toString());
    doc['TLS.expire'] = 999999;
    const tampered = deflateSync(Buffer.from(JSON.stringify(doc)))
      .toString('base64')
      .replace(/\+/g, '*')
      .replace(/\//g, '-')
      .replace(/=/g, '_');
    expect(verifyUserSig(tampered, app)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });
});

/** The URL-safe base64 of tls-sig-api-v2 applied to deflated bytes. */
function encode(deflated: Buffer): string {
  return deflated.toString('base64').replace(/\+/g, '*').replace(/\//g, '-').replace(/=/g, '_');
}

/** A zlib stream that inflates to `megabytes` MB of spaces, built 1 MB at a time. */
async function deflateBomb(megabytes: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 });
  const chunks: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  const megabyte = Buffer.alloc(1024 * 1024, ' ');
  for (let i = 0; i < megabytes; i++) {
    if (!deflate.write(megabyte)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await done;
  return Buffer.concat(chunks);
}

describe('inflate bombs', () => {
  it('refuses a 0.5 MB UserSig that inflates to 400 MB by its length, before inflating', async () => {
    const bomb = encode(await deflateBomb(400));
    expect(bomb.length).toBeGreaterThan(500_000);
    const result = verifyUserSig(bomb, app);
    expect(result).toMatchObject({ ok: false, reason: 'malformed' });
    expect(result.ok || result.detail).toMatch(
      new RegExp(`${bomb.length} characters.*at most ${MAX_USER_SIG_LENGTH}`),
    );
    expect(decodeUserSig(bomb)).toBeUndefined();
  });

  it('refuses a short UserSig whose JSON inflates past the cap', async () => {
    const bomb = encode(await deflateBomb(2));
    expect(bomb.length).toBeLessThanOrEqual(MAX_USER_SIG_LENGTH);
    const result = verifyUserSig(bomb, app);
    expect(result).toMatchObject({ ok: false, reason: 'malformed' });
    expect(result.ok || result.detail).toMatch(
      new RegExp(`inflates to more than ${MAX_USER_SIG_JSON_BYTES} bytes`),
    );
  });

  it('refuses a correctly signed UserSig padded past the JSON cap', () => {
    const sig = createUserSig({ ...app, userId: 'alice' });
    const unsafe = sig.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=');
    const json = inflateSync(Buffer.from(unsafe, 'base64')).toString();
    const padded = encode(deflateSync(Buffer.from(json + ' '.repeat(MAX_USER_SIG_JSON_BYTES))));
    expect(verifyUserSig(encode(deflateSync(Buffer.from(`${json}   `))), app).ok).toBe(true);
    expect(verifyUserSig(padded, app)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});
