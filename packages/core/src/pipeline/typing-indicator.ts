import type { Logger } from '../logging/logger.js';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import type { TimMessage } from '../tim/tim-message.js';

// While a direct message is being answered, the agent shows "typing..." in the sender's chat,
// as TUIKit's clients show it for each other: online custom messages (never stored) whose data
// is TUIKit's typing status. TUIKit's receivers show it for 5 s after each "typing" status and
// clear it at an "ended" one; its senders repeat it every 4 s.

/** TUIKit's `businessID` of a typing status. */
export const TYPING_BUSINESS_ID = 'user_typing_status';

/** How often a running dispatch says again that the agent is typing, in ms (TUIKit: 4 s). */
export const TYPING_REFRESH_MS = 4000;

/**
 * How recent the message being answered must be for the indicator, in ms: TUIKit sends typing
 * statuses only while the peer wrote within the last 30 s (someone likely looking at the chat).
 */
export const TYPING_RECENT_MS = 30_000;

/**
 * The custom data of a typing status as TUIKit writes and reads it: `typingStatus` 1 or 0, and
 * the older clients' `userAction` / `actionParam` pair.
 */
export function typingStatusData(typing: boolean): string {
  return JSON.stringify({
    businessID: TYPING_BUSINESS_ID,
    typingStatus: typing ? 1 : 0,
    version: 1,
    userAction: typing ? 14 : 0,
    actionParam: typing ? 'EIMAMSG_InputStatus_Ing' : 'EIMAMSG_InputStatus_End',
  });
}

/**
 * Whether `message` is a typing status (TUIKit's, or another agent's): a hint about the chat,
 * not something said in it.
 */
export function isTypingStatus(message: Pick<TimMessage, 'kind' | 'custom'>): boolean {
  const data = message.kind === 'custom' ? message.custom?.data : undefined;
  if (data === undefined || !data.includes(TYPING_BUSINESS_ID)) return false;
  try {
    return (JSON.parse(data) as { businessID?: unknown } | null)?.businessID === TYPING_BUSINESS_ID;
  } catch {
    return false;
  }
}

/** Options of {@link showTyping}. */
export interface ShowTypingOptions {
  /** Sends one typing status to `peer` (an online message); may reject. */
  readonly send: (peer: string, typing: boolean) => Promise<void>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Time between two "typing" statuses; default {@link TYPING_REFRESH_MS}. */
  readonly refreshMs?: number;
}

/**
 * Shows `peer` that the agent is typing: a "typing" status now and every `refreshMs` until the
 * returned function is called, which sends "ended" (once; later calls do nothing). A status
 * that cannot be sent is logged (debug) and never retried: it is a hint, not a message.
 */
export function showTyping(peer: string, options: ShowTypingOptions): () => void {
  const { send, clock, logger } = options;
  const refreshMs = options.refreshMs ?? TYPING_REFRESH_MS;
  let timer: TimerHandle | undefined;
  let ended = false;
  const say = (typing: boolean): void => {
    send(peer, typing).catch((error: unknown) => {
      logger.debug(
        { peer, typing, err: error instanceof Error ? error.message : String(error) },
        'typing status not sent',
      );
    });
  };
  const repeat = (): void => {
    say(true);
    timer = clock.setTimeout(repeat, refreshMs);
  };
  repeat();
  return () => {
    if (ended) return;
    ended = true;
    if (timer !== undefined) clock.clearTimeout(timer);
    say(false);
  };
}
