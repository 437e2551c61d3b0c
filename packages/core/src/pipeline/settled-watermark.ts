import type { WatermarkPosition } from '../state/state-store.js';

/** A message as {@link SettledWatermarks} orders it: its conversation and position. */
export interface WatermarkMessage {
  readonly id: string;
  /** The conversation key (`conversationKey`). */
  readonly conversation: string;
  /** Server time in milliseconds since the epoch. */
  readonly time: number;
  /** Group message sequence, when known (ordered by it, else by time). */
  readonly seq?: number;
}

/**
 * Where each conversation's watermark may move: catch-up reads only after the watermark, so it
 * must never pass a message the pipeline took but has not settled yet (still queued or being
 * dispatched, or stopped before it was): after a crash such a message would never be read
 * again. The watermark may move to the newest settled message below the oldest unsettled one;
 * settled messages above that are read again by catch-up and dropped by the ledger.
 */
export interface SettledWatermarks {
  /** A message taken into the pipeline; taking one already tracked again changes nothing. */
  track(message: WatermarkMessage): void;
  /**
   * Settles `message` (handled or failed); returns the position its conversation's watermark
   * may now move to, or undefined when an older message there is still unsettled.
   */
  settle(message: WatermarkMessage): WatermarkPosition | undefined;
  /**
   * Forgets a tracked message that will not be settled in this run (it could not be processed):
   * it no longer holds the watermark back from the next settled message on.
   */
  forget(message: WatermarkMessage): void;
}

interface Entry {
  readonly message: WatermarkMessage;
  settled: boolean;
}

/** Creates an empty {@link SettledWatermarks}. */
export function createSettledWatermarks(): SettledWatermarks {
  /** Per conversation, the tracked messages oldest first. */
  const conversations = new Map<string, Entry[]>();
  const find = (message: WatermarkMessage): { entries: Entry[]; index: number } | undefined => {
    const entries = conversations.get(message.conversation);
    const index = entries?.findIndex((entry) => entry.message.id === message.id) ?? -1;
    return entries && index !== -1 ? { entries, index } : undefined;
  };
  /** Drops the settled front entries; returns the position of the newest of them. */
  const popSettled = (key: string, entries: Entry[]): WatermarkPosition | undefined => {
    let newest: WatermarkMessage | undefined;
    while (entries[0]?.settled) newest = entries.shift()?.message;
    if (entries.length === 0) conversations.delete(key);
    if (!newest) return undefined;
    return {
      time: newest.time,
      messageId: newest.id,
      ...(newest.seq === undefined ? {} : { seq: newest.seq }),
    };
  };
  return {
    track(message) {
      if (find(message)) return;
      let entries = conversations.get(message.conversation);
      if (!entries) {
        entries = [];
        conversations.set(message.conversation, entries);
      }
      // Arrival order is conversation order, but a message caught up late goes in its place.
      let at = entries.length;
      while (at > 0 && isAfter(entries[at - 1]?.message as WatermarkMessage, message)) at--;
      entries.splice(at, 0, { message, settled: false });
    },
    settle(message) {
      const found = find(message);
      if (!found) return undefined;
      const entry = found.entries[found.index] as Entry;
      entry.settled = true;
      return popSettled(message.conversation, found.entries);
    },
    forget(message) {
      const found = find(message);
      if (!found) return;
      found.entries.splice(found.index, 1);
      if (found.entries.length === 0) conversations.delete(message.conversation);
    },
  };
}

/** Whether `a` comes after `b` in their conversation (by sequence when both have one). */
function isAfter(a: WatermarkMessage, b: WatermarkMessage): boolean {
  if (a.seq !== undefined && b.seq !== undefined) return a.seq > b.seq;
  return a.time > b.time;
}
