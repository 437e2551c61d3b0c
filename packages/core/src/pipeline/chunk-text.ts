import { TIM_LIMITS } from '@clawlink/tim-facts';
import { utf8Bytes } from '../tim/tim-limits.js';

/** Default bytes kept free in every part for the message's cloud custom data (quote, marker). */
export const DEFAULT_CHUNK_RESERVE_BYTES = 1024;

/** How {@link chunkText} sizes its parts. */
export interface ChunkTextOptions {
  /** TIM's limit for one message, in UTF-8 bytes. Default `TIM_LIMITS.messageBytes` (12 KB). */
  maxBytes?: number;
  /**
   * Bytes kept free in every part for a prefix the caller puts before the text (the sender's
   * @mention in a group reply). Default 0.
   */
  prefixBytes?: number;
  /**
   * Bytes kept free in every part for what else TIM counts against the limit (the reply's cloud
   * custom data: quote and answered-id marker). Default {@link DEFAULT_CHUNK_RESERVE_BYTES}.
   */
  reserveBytes?: number;
  /**
   * The text starts inside a code fence opened by this line (e.g. "```ts"): streaming uses it
   * to continue a message that began inside a fence. Default: not in a fence.
   */
  openFence?: string;
}

/** One part of a chunked text. */
export interface TextChunk {
  /** What to send: `reopened + body + closed`, at most the byte budget. */
  readonly text: string;
  /** The slice of the input this part carries: the bodies of all parts, joined, are the input. */
  readonly body: string;
  /** The code fence line reopened before the body ("```ts\n"), or '' when none was added. */
  readonly reopened: string;
  /** The fence closed after the body ("\n```"), or '' when none was added. */
  readonly closed: string;
}

/** No budget below this: there must be room for fence markers and any code point. */
const MIN_BUDGET_BYTES = 64;
/** Bytes of the longest code point in UTF-8. */
const MAX_CODE_POINT_BYTES = 4;
const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

interface Fence {
  /** The fence run, e.g. "```" or "~~~~". */
  readonly run: string;
  /** The opening line without indentation, e.g. "```ts". */
  readonly line: string;
}

/** A fence opened (`fence`) or closed (`null`) by the line starting at `at`. */
interface FenceChange {
  readonly at: number;
  readonly fence: Fence | null;
}

/**
 * Splits `text` into parts that each fit one TIM message: at most `maxBytes - prefixBytes -
 * reserveBytes` UTF-8 bytes per part, fence markers included. Each part ends at the last
 * paragraph boundary (a blank line) that fits, else the last line break, else the last space,
 * else the last code point that fits: never inside a surrogate pair or a UTF-8 sequence. A
 * boundary is only taken in the second half of what fits, so no part is needlessly short.
 *
 * A code fence open where a part ends is closed there and reopened, with its info string, at the
 * start of the next part. Nothing is dropped: joining the parts' `body` gives back `text`
 * exactly. A part is never blank unless the text holds a whitespace run longer than a part (the
 * last non-blank character always starts or belongs to the final part). An empty text gives no
 * parts.
 *
 * @throws RangeError when the options leave fewer than 64 bytes per part, or `openFence` is not
 *   a fence line.
 */
export function chunkText(text: string, options: ChunkTextOptions = {}): TextChunk[] {
  const budget = budgetOf(options);
  const initial = initialFence(options.openFence);
  const changes = fenceChanges(text, initial);
  /** The fence open at `index`: after every line that starts before it. */
  const fenceAt = (index: number): Fence | null => {
    let fence = initial;
    for (const change of changes) {
      if (change.at >= index) break;
      fence = change.fence;
    }
    return fence;
  };
  const lastContent = lastNonBlankIndex(text);
  const chunks: TextChunk[] = [];
  let start = 0;
  let fence = initial;
  while (start < text.length) {
    const reopened = fence ? `${fence.line}\n` : '';
    const rest = text.slice(start);
    if (utf8Bytes(reopened) + utf8Bytes(rest) <= budget) {
      chunks.push({ text: reopened + rest, body: rest, reopened, closed: '' });
      break;
    }
    const chunk = nextChunk(text, start, budget, reopened, lastContent, fenceAt);
    chunks.push(chunk);
    start += chunk.body.length;
    fence = fenceAt(start);
  }
  return chunks;
}

function nextChunk(
  text: string,
  start: number,
  budget: number,
  reopenedIfAny: string,
  lastContent: number,
  fenceAt: (index: number) => Fence | null,
): TextChunk {
  let reopened = reopenedIfAny;
  let closeReserve = 0;
  let markers = true;
  for (;;) {
    let available = budget - utf8Bytes(reopened) - closeReserve;
    if (available < MAX_CODE_POINT_BYTES) {
      // A fence line too long to repeat: this part goes without markers.
      markers = false;
      reopened = '';
      available = budget;
    }
    const end = splitPoint(text, start, available, lastContent);
    const body = text.slice(start, end);
    const open = markers ? fenceAt(end) : null;
    const closed = open ? `${body.endsWith('\n') ? '' : '\n'}${open.run}` : '';
    const closedBytes = utf8Bytes(closed);
    if (closedBytes <= closeReserve || !markers) {
      return { text: reopened + body + closed, body, reopened, closed };
    }
    closeReserve = closedBytes;
  }
}

/** Where the part starting at `start` ends, given `available` bytes for its body. */
function splitPoint(text: string, start: number, available: number, lastContent: number): number {
  let maxEnd = furthestFit(text, start, available);
  // Leave the last non-blank character to a later part, so no part after this one is blank.
  if (lastContent > start && maxEnd > lastContent) maxEnd = lastContent;
  const minEnd = firstContentEnd(text, start, maxEnd);
  const window = text.slice(start, maxEnd);
  // A boundary in the first half of the window would make a needlessly short part.
  const half = Math.floor(window.length / 2);
  for (const candidate of [paragraphEnd(window), lineEnd(window), wordEnd(window)]) {
    if (candidate >= half && candidate > 0 && start + candidate >= minEnd) return start + candidate;
  }
  return maxEnd;
}

/** The furthest code-point boundary after `start` whose slice is at most `available` bytes. */
function furthestFit(text: string, start: number, available: number): number {
  let bytes = 0;
  let index = start;
  while (index < text.length) {
    const codePoint = text.codePointAt(index) ?? 0;
    const size = codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
    if (bytes + size > available) break;
    bytes += size;
    index += codePoint > 0xffff ? 2 : 1;
  }
  return index;
}

/** The end of the first non-blank code point from `start` (so a part ending there is not blank). */
function firstContentEnd(text: string, start: number, maxEnd: number): number {
  for (let index = start; index < maxEnd; index++) {
    if (!/\s/.test(text[index] ?? '')) return index + 1;
  }
  return maxEnd;
}

/** Index just after the last paragraph boundary (a line break, blank line, line break). */
function paragraphEnd(window: string): number {
  for (
    let index = window.lastIndexOf('\n');
    index > 0;
    index = window.lastIndexOf('\n', index - 1)
  ) {
    let before = index - 1;
    while (
      before >= 0 &&
      (window[before] === ' ' || window[before] === '\t' || window[before] === '\r')
    )
      before--;
    if (before >= 0 && window[before] === '\n') return index + 1;
  }
  return -1;
}

function lineEnd(window: string): number {
  const index = window.lastIndexOf('\n');
  return index < 0 ? -1 : index + 1;
}

function wordEnd(window: string): number {
  for (let index = window.length - 1; index >= 0; index--) {
    if (window[index] === ' ' || window[index] === '\t') return index + 1;
  }
  return -1;
}

/** Index of the last code point that is not whitespace, or -1. */
function lastNonBlankIndex(text: string): number {
  for (let index = text.length - 1; index >= 0; index--) {
    if (!/\s/.test(text[index] ?? '')) {
      // Step onto the high half of a surrogate pair.
      const code = text.charCodeAt(index);
      return code >= 0xdc00 && code <= 0xdfff && index > 0 ? index - 1 : index;
    }
  }
  return -1;
}

/** Every fence opened or closed in `text`, by the start of its line. */
function fenceChanges(text: string, initial: Fence | null): FenceChange[] {
  const changes: FenceChange[] = [];
  let fence = initial;
  let at = 0;
  while (at <= text.length) {
    const newline = text.indexOf('\n', at);
    const lineEndIndex = newline < 0 ? text.length : newline;
    const line = text.slice(at, lineEndIndex).replace(/\r$/, '');
    const match = FENCE_LINE.exec(line);
    if (match) {
      const run = match[1] ?? '';
      const info = match[2] ?? '';
      if (fence === null) {
        if (!(run.startsWith('`') && info.includes('`'))) {
          fence = { run, line: line.trimStart() };
          changes.push({ at, fence });
        }
      } else if (run[0] === fence.run[0] && run.length >= fence.run.length && info.trim() === '') {
        fence = null;
        changes.push({ at, fence });
      }
    }
    if (newline < 0) break;
    at = newline + 1;
  }
  return changes;
}

function initialFence(openFence: string | undefined): Fence | null {
  if (openFence === undefined) return null;
  const match = FENCE_LINE.exec(openFence);
  if (!match || openFence.includes('\n')) {
    throw new RangeError(
      `openFence must be one code fence line such as "\`\`\`ts", got ${JSON.stringify(openFence)}`,
    );
  }
  return { run: match[1] ?? '```', line: openFence.trimStart() };
}

function budgetOf(options: ChunkTextOptions): number {
  const maxBytes = options.maxBytes ?? TIM_LIMITS.messageBytes;
  const prefixBytes = options.prefixBytes ?? 0;
  const reserveBytes = options.reserveBytes ?? DEFAULT_CHUNK_RESERVE_BYTES;
  for (const [name, value] of [
    ['maxBytes', maxBytes],
    ['prefixBytes', prefixBytes],
    ['reserveBytes', reserveBytes],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`${name} must be a non-negative integer, got ${String(value)}`);
    }
  }
  const budget = maxBytes - prefixBytes - reserveBytes;
  if (budget < MIN_BUDGET_BYTES) {
    throw new RangeError(
      `maxBytes - prefixBytes - reserveBytes leaves ${budget} bytes per part; at least ${MIN_BUDGET_BYTES} are needed (lower the reserve or the prefix)`,
    );
  }
  return budget;
}
