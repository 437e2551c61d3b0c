/**
 * Tencent Cloud IM's documented limits ("使用限制" / usage limits page of the IM docs,
 * cloud.tencent.com/document/product/269/1502, and the group system page 269/1502#群组限制,
 * checked 2026-11), plus the page sizes tim-js-sdk 2.27.6 uses. `@clawlink/core` checks them
 * before a request is sent; `@clawlink/emulator` enforces them like TIM. TIM's UserID rule
 * (at most 32 bytes, ...) lives with the UserSig code: `checkUserId` in `@clawlink/usersig`.
 */
export const TIM_LIMITS = Object.freeze({
  /** One message (text, custom data/description/extension, plus cloud custom data), in UTF-8 bytes. */
  messageBytes: 12 * 1024,
  /** Messages per second per group. */
  groupMessagesPerSecond: 40,
  /** Group name, in UTF-8 bytes. */
  groupNameBytes: 30,
  /** Group introduction (clawlink's channel description), in UTF-8 bytes. */
  groupIntroductionBytes: 240,
  /** Group notification, in UTF-8 bytes. */
  groupNotificationBytes: 300,
  /** A custom group id, in bytes: printable ASCII, not starting with `@TGS#`. */
  groupIdBytes: 48,
  /** Group-level custom field key, in bytes: letters, digits, underscore. */
  customFieldKeyBytes: 16,
  /** Group-level custom field value, in bytes. */
  customFieldValueBytes: 512,
  /** Group-level custom fields per group. */
  customFieldCount: 10,
  /** Members of a Public/Work/Meeting group in the default edition. */
  maxMembers: 2000,
  /** Messages per page of history the SDK fetches at once. */
  historyPage: 15,
  /** Members per page of the SDK's `getGroupMemberList`. */
  memberPage: 100,
} as const);
