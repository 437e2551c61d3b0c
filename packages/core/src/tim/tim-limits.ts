import { checkUserId } from '@clawlink/usersig';
import { TimError } from '../errors/tim-error.js';

// TIM's limits themselves are in @clawlink/tim-facts (shared with the emulator); these are the
// checks core runs before a request is sent, so the caller gets a clear error, not a server code.

/** Length of `text` in UTF-8 bytes. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Throws `INVALID_ARGUMENT` unless `value` is a non-empty string (after trimming). */
export function requireText(operation: string, what: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TimError(
      'INVALID_ARGUMENT',
      `${operation} failed: ${what} must be a non-empty string.`,
      {
        operation,
      },
    );
  }
  return value;
}

/** Throws `TOO_LARGE` when `value` is over `maxBytes` UTF-8 bytes. */
export function requireMaxBytes(
  operation: string,
  what: string,
  value: string,
  maxBytes: number,
  advice: string,
): void {
  const bytes = utf8Bytes(value);
  if (bytes > maxBytes) {
    throw new TimError(
      'TOO_LARGE',
      `${operation} failed: ${what} is ${bytes} bytes, over TIM's ${maxBytes}-byte limit; ${advice}.`,
      { operation },
    );
  }
}

/**
 * Throws `INVALID_ARGUMENT` unless `userId` is a valid TIM UserID (TIM's rule, from
 * `@clawlink/usersig`: non-empty, at most 32 bytes, no spaces, no reserved prefix).
 */
export function requireUserId(operation: string, what: string, userId: unknown): string {
  const problem = checkUserId(userId);
  if (problem !== undefined) {
    throw new TimError(
      'INVALID_ARGUMENT',
      `${operation} failed: ${what} is not a valid TIM UserID: ${problem}.`,
      { operation },
    );
  }
  return userId as string;
}
