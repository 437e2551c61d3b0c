/** TIM's limit on a UserID, in UTF-8 bytes. */
export const MAX_USER_ID_BYTES = 32;

const RESERVED_PREFIXES = ['@TLS#', '@TGS#', '@TIM#'];

/**
 * Checks a TIM UserID against TIM's rules: non-empty, at most 32 UTF-8 bytes, no control
 * characters or spaces, no reserved `@TLS#`/`@TGS#`/`@TIM#` prefix, and not `administrator`.
 *
 * @returns `undefined` when the UserID is acceptable, otherwise what is wrong with it.
 */
export function checkUserId(userId: unknown): string | undefined {
  if (typeof userId !== 'string' || userId.length === 0)
    return 'a UserID must be a non-empty string';
  const bytes = Buffer.byteLength(userId, 'utf8');
  if (bytes > MAX_USER_ID_BYTES) {
    return `a UserID may be at most ${MAX_USER_ID_BYTES} bytes; this one is ${bytes}`;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to refuse them
  if (/[\s\u0000-\u001f\u007f]/.test(userId)) {
    return 'a UserID may not contain spaces or control characters';
  }
  if (RESERVED_PREFIXES.some((p) => userId.toUpperCase().startsWith(p))) {
    return `a UserID may not start with ${RESERVED_PREFIXES.join(', ')}`;
  }
  if (userId.toLowerCase() === 'administrator') return '"administrator" is reserved by TIM';
  return undefined;
}
