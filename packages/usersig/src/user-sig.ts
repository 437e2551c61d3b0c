import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';

/** TIM's default UserSig validity: 180 days, in seconds. */
export const DEFAULT_USER_SIG_TTL_SECONDS = 180 * 24 * 60 * 60;

/**
 * The longest UserSig text accepted, in characters. A real tls-sig-api-v2 UserSig is 200-400
 * characters; longer text is refused as `malformed` before it is decoded.
 */
export const MAX_USER_SIG_LENGTH = 4096;

/**
 * The most bytes a UserSig's JSON may inflate to. A real one is well under 1 KB; inflating
 * stops at this cap (zlib's `maxOutputLength`), so a deflate bomb costs at most this much memory
 * and is refused as `malformed`.
 */
export const MAX_USER_SIG_JSON_BYTES = 16 * 1024;

/** What is needed to sign a UserSig for one user of one TIM application. */
export interface CreateUserSigOptions {
  /** The TIM application's SDKAppID. */
  sdkAppId: number;
  /** The application's secret key (from the TIM console, or the emulator's own). */
  secretKey: string;
  /** The TIM UserID the signature is for. */
  userId: string;
  /** Validity in seconds from `now`; defaults to 180 days as TIM does. */
  expireSeconds?: number;
  /** Clock in milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number;
}

/** The fields carried inside a UserSig, readable without the secret key. */
export interface UserSigFields {
  userId: string;
  sdkAppId: number;
  /** Issue time, seconds since the epoch (`TLS.time`). */
  issuedAtSeconds: number;
  /** Validity from the issue time, in seconds (`TLS.expire`). */
  expireSeconds: number;
  /** Expiry as milliseconds since the epoch. */
  expiresAt: number;
}

/** Why a UserSig was refused by {@link verifyUserSig}. */
export type UserSigRejection = 'malformed' | 'wrong-app' | 'bad-signature' | 'expired';

/** Outcome of {@link verifyUserSig}. */
export type UserSigVerification =
  | ({ ok: true } & UserSigFields)
  | { ok: false; reason: UserSigRejection; detail: string; fields?: UserSigFields };

/** What {@link verifyUserSig} checks a signature against. */
export interface VerifyUserSigOptions {
  sdkAppId: number;
  secretKey: string;
  /** Clock in milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number;
}

function signContent(
  secretKey: string,
  userId: string,
  sdkAppId: number,
  time: number,
  expire: number,
): string {
  const content =
    `TLS.identifier:${userId}\n` +
    `TLS.sdkappid:${sdkAppId}\n` +
    `TLS.time:${time}\n` +
    `TLS.expire:${expire}\n`;
  return createHmac('sha256', secretKey).update(content).digest('base64');
}

function toUrlSafe(base64: string): string {
  return base64.replace(/\+/g, '*').replace(/\//g, '-').replace(/=/g, '_');
}

function fromUrlSafe(text: string): string {
  return text.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=');
}

/**
 * Signs a TIM UserSig with Tencent's public tls-sig-api-v2 algorithm (HMAC-SHA256 over the
 * identity fields, wrapped in deflated JSON and a URL-safe base64 variant).
 *
 * @throws TypeError when an option is missing or out of range; the message never contains the key.
 */
export function createUserSig(options: CreateUserSigOptions): string {
  const { sdkAppId, secretKey, userId } = options;
  const expire = options.expireSeconds ?? DEFAULT_USER_SIG_TTL_SECONDS;
  if (!Number.isSafeInteger(sdkAppId) || sdkAppId <= 0) {
    throw new TypeError(`sdkAppId must be a positive integer, got ${String(sdkAppId)}`);
  }
  if (typeof secretKey !== 'string' || secretKey.length === 0) {
    throw new TypeError('secretKey must be a non-empty string');
  }
  if (typeof userId !== 'string' || userId.length === 0) {
    throw new TypeError('userId must be a non-empty string');
  }
  if (!Number.isSafeInteger(expire) || expire <= 0) {
    throw new TypeError(`expireSeconds must be a positive integer, got ${String(expire)}`);
  }
  const time = Math.floor((options.now ?? Date.now)() / 1000);
  const doc = {
    'TLS.ver': '2.0',
    'TLS.identifier': userId,
    'TLS.sdkappid': sdkAppId,
    'TLS.expire': expire,
    'TLS.time': time,
    'TLS.sig': signContent(secretKey, userId, sdkAppId, time, expire),
  };
  return toUrlSafe(deflateSync(Buffer.from(JSON.stringify(doc))).toString('base64'));
}

interface RawDoc {
  fields: UserSigFields;
  sig: string;
}

function parse(userSig: string): RawDoc | string {
  if (typeof userSig !== 'string' || userSig.length === 0) return 'empty UserSig';
  if (userSig.length > MAX_USER_SIG_LENGTH) {
    return `UserSig is ${userSig.length} characters, but a tls-sig-api-v2 UserSig has at most ${MAX_USER_SIG_LENGTH} (a real one is 200-400); pass the UserSig itself`;
  }
  let inflated: Buffer;
  try {
    inflated = inflateSync(Buffer.from(fromUrlSafe(userSig), 'base64'), {
      maxOutputLength: MAX_USER_SIG_JSON_BYTES,
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      return `UserSig inflates to more than ${MAX_USER_SIG_JSON_BYTES} bytes (a real one is under 1 KB); refused without inflating the rest`;
    }
    return 'not a tls-sig-api-v2 UserSig (cannot be inflated)';
  }
  let json: unknown;
  try {
    json = JSON.parse(inflated.toString('utf8'));
  } catch {
    return 'not a tls-sig-api-v2 UserSig (its inflated body is not JSON)';
  }
  if (typeof json !== 'object' || json === null) return 'UserSig body is not an object';
  const doc = json as Record<string, unknown>;
  const userId = doc['TLS.identifier'];
  const sdkAppId = Number(doc['TLS.sdkappid']);
  const time = Number(doc['TLS.time']);
  const expire = Number(doc['TLS.expire']);
  const sig = doc['TLS.sig'];
  if (typeof userId !== 'string' || typeof sig !== 'string') {
    return 'UserSig lacks TLS.identifier or TLS.sig';
  }
  if (![sdkAppId, time, expire].every(Number.isSafeInteger)) {
    return 'UserSig has a non-numeric TLS.sdkappid, TLS.time or TLS.expire';
  }
  return {
    sig,
    fields: {
      userId,
      sdkAppId,
      issuedAtSeconds: time,
      expireSeconds: expire,
      expiresAt: (time + expire) * 1000,
    },
  };
}

/**
 * Reads the identity and validity fields of a UserSig without checking its signature.
 * Returns `undefined` when the text is not a tls-sig-api-v2 UserSig, including text longer than
 * {@link MAX_USER_SIG_LENGTH} or inflating past {@link MAX_USER_SIG_JSON_BYTES}.
 */
export function decodeUserSig(userSig: string): UserSigFields | undefined {
  const parsed = parse(userSig);
  return typeof parsed === 'string' ? undefined : parsed.fields;
}

/**
 * Verifies a UserSig against an application's secret key, as TIM's login does: the format,
 * the SDKAppID, the HMAC and the expiry, in that order. Text longer than
 * {@link MAX_USER_SIG_LENGTH} or inflating past {@link MAX_USER_SIG_JSON_BYTES} is refused as
 * `malformed` (the detail says which cap) without being inflated in full.
 */
export function verifyUserSig(userSig: string, options: VerifyUserSigOptions): UserSigVerification {
  const parsed = parse(userSig);
  if (typeof parsed === 'string') return { ok: false, reason: 'malformed', detail: parsed };
  const { fields, sig } = parsed;
  if (fields.sdkAppId !== options.sdkAppId) {
    return {
      ok: false,
      reason: 'wrong-app',
      detail: `UserSig is for SDKAppID ${fields.sdkAppId}, not ${options.sdkAppId}`,
      fields,
    };
  }
  const expected = Buffer.from(
    signContent(
      options.secretKey,
      fields.userId,
      fields.sdkAppId,
      fields.issuedAtSeconds,
      fields.expireSeconds,
    ),
  );
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return {
      ok: false,
      reason: 'bad-signature',
      detail: 'UserSig signature does not match',
      fields,
    };
  }
  if ((options.now ?? Date.now)() >= fields.expiresAt) {
    return {
      ok: false,
      reason: 'expired',
      detail: `UserSig expired at ${new Date(fields.expiresAt).toISOString()}`,
      fields,
    };
  }
  return { ok: true, ...fields };
}
