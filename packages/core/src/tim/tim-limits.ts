import { TimError } from '../errors/tim-error.js';

/**
 * Tencent Cloud IM's documented limits ("使用限制" / usage limits page of the IM docs,
 * checked 2026-11): checked before a request is sent, so the caller gets a clear error
 * instead of a server code.
 */
export const TIM_LIMITS = {
  /** One message (text plus custom data), in UTF-8 bytes. */
  messageBytes: 12 * 1024,
  /** A UserID, in bytes. */
  userIdBytes: 32,
  /** A custom group id: printable ASCII, not starting with `@TGS#`. */
  groupIdBytes: 48,
  /** Group name. */
  groupNameBytes: 30,
  /** Group introduction (clawlink's channel description). */
  groupIntroductionBytes: 240,
  /** Group-level custom field key: letters, digits, underscore. */
  customFieldKeyBytes: 16,
  /** Group-level custom field value. */
  customFieldValueBytes: 512,
  /** Group-level custom fields per app. */
  customFieldCount: 10,
  /** Messages per page of history the SDK fetches at once. */
  historyPage: 15,
  /** Members per page of `getGroupMemberList`. */
  memberPage: 100,
} as const;

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
