/** What every redacted secret is replaced with. */
export const REDACTED = '[redacted]';

// Keys are compared lowercase with `_` and `-` removed, so `api_key`, `API-KEY` and `apiKey`
// are one key. A key is secret when it IS one of these names or ENDS with one
// (`accessToken`, `clientSecret`, `x-api-key`, `proxy-authorization`, `set-cookie`).
const SECRET_KEY_SUFFIXES = [
  'apikey',
  'usersig',
  'secretkey',
  'secret',
  'a2key',
  'password',
  'passwd',
  'token',
  'authorization',
  'cookie',
  'cookies',
];
const SECRET_KEYS_EXACT = new Set(['a2']);

/** Whether a field of this name holds a secret (case, `_` and `-` ignored). */
export function isSecretKey(key: string): boolean {
  const normalised = key.toLowerCase().replace(/[-_]/g, '');
  return (
    SECRET_KEYS_EXACT.has(normalised) || SECRET_KEY_SUFFIXES.some((s) => normalised.endsWith(s))
  );
}

// A tls-sig-api-v2 UserSig is zlib output (starts 0x78 0x9c / 0x78 0xda) in TIM's URL-safe
// base64 (`*`, `-`, `_` for `+`, `/`, `=`), so it starts with `eJ` and is long.
const USER_SIG_PATTERN = /(?<![A-Za-z0-9*+/_=-])eJ[A-Za-z0-9*+/_=-]{30,}/g;
// `apiKey=...`, `"userSig": "..."`, `accessToken: ...`, `Authorization: Bearer ...` in text.
const SECRET_ASSIGNMENT_PATTERN =
  /\b((?:[A-Za-z0-9_-]*(?:api[-_]?key|user[-_]?sig|secret[-_]?key|secret|a2[-_]?key|password|passwd|token|authorization|cookie)|a2)["']?\s*[:=]\s*["']?)(?:(?:Bearer|Basic)\s+)?[^\s"'&,;}]+/gi;

/**
 * Replaces secrets inside free text: every occurrence of the `known` secrets (e.g. the UserSig
 * or API key in use), anything that looks like a UserSig, and the value of `key=value` /
 * `"key": "value"` pairs whose key names a secret. The one redaction of free text in clawlink:
 * the logger, TIM's error text and the credential exchange's answers all go through it.
 */
export function redactString(text: string, known: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of known) {
    if (!secret) continue;
    for (const form of encodedForms(secret)) out = out.split(form).join(REDACTED);
  }
  return out
    .replace(USER_SIG_PATTERN, REDACTED)
    .replace(SECRET_ASSIGNMENT_PATTERN, (_match, prefix: string) => `${prefix}${REDACTED}`);
}

/**
 * A secret as it may appear in text: as it is, URL-encoded (query strings, form bodies),
 * base64 and base64url (headers, tokens) and JSON-escaped (a JSON body). Longest first, so a
 * longer form is replaced before a shorter one inside it.
 */
function encodedForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms = new Set([
    secret,
    encodeURIComponent(secret),
    bytes.toString('base64'),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
    JSON.stringify(secret).slice(1, -1),
  ]);
  return [...forms].filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
}

const MAX_DEPTH = 12;

function redactError(error: Error, ancestors: Set<object>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: error.name,
    message: redactString(error.message),
  };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out.code = redactValue(code, ancestors, depth + 1);
  for (const [key, value] of Object.entries(error)) {
    if (key === 'code' || key === 'message' || key === 'name') continue;
    out[key] = isSecretKey(key) ? REDACTED : redactValue(value, ancestors, depth + 1);
  }
  if (error.stack !== undefined) out.stack = redactString(error.stack);
  if (error.cause !== undefined) out.cause = redactValue(error.cause, ancestors, depth + 1);
  return out;
}

function redactValue(value: unknown, ancestors: Set<object>, depth: number): unknown {
  if (typeof value === 'string') return redactString(value);
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (value instanceof Date) return new Date(value.getTime());
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    return `[binary: ${value.byteLength} bytes]`;
  }
  ancestors.add(value);
  try {
    if (value instanceof Error) return redactError(value, ancestors, depth);
    if (Array.isArray(value)) return value.map((item) => redactValue(item, ancestors, depth + 1));
    if (value instanceof Map) {
      const copy = new Map<unknown, unknown>();
      for (const [key, item] of value) {
        const secret = typeof key === 'string' && isSecretKey(key) && item != null;
        copy.set(
          redactValue(key, ancestors, depth + 1),
          secret ? REDACTED : redactValue(item, ancestors, depth + 1),
        );
      }
      return copy;
    }
    if (value instanceof Set) {
      return new Set([...value].map((item) => redactValue(item, ancestors, depth + 1)));
    }
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      copy[key] =
        isSecretKey(key) && item != null ? REDACTED : redactValue(item, ancestors, depth + 1);
    }
    return copy;
  } finally {
    ancestors.delete(value);
  }
}

/**
 * A deep copy of `value` that is safe to log. Replaced with `'[redacted]'`:
 * - the value of every field whose name is a secret (`apiKey`, `api_key`, `userSig`,
 *   `user_sig`, `secretKey`, `secret`, `a2Key`, `a2`, `password`, `token`, `authorization`,
 *   `cookie`, case-insensitive, also as a suffix such as `accessToken`), unless it is `null`
 *   or `undefined`;
 * - anything that looks like a UserSig, and `key=value` secrets, inside any string.
 *
 * Errors become plain objects (`name`, `message`, `code`, their own fields, `stack`,
 * `cause`, all redacted); Maps and Sets are copied; binary data is summarised by size; a
 * cycle becomes `'[circular]'` and nesting deeper than 12 levels `'[too deep]'`.
 */
export function redact<T>(value: T): T;
export function redact(value: unknown): unknown {
  return redactValue(value, new Set(), 0);
}
