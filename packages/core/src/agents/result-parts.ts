import { TIM_LIMITS } from '@clawlink/tim-facts';
import { utf8Bytes } from '../tim/tim-limits.js';
import {
  AGENT_ENVELOPE_VERSION,
  AGENT_RESPONSE_TYPE,
  type AgentCustomContent,
  type AgentResultEnvelope,
  encodeEnvelope,
  type ResultPart,
} from './envelope.js';

/** Most parts one result may have (about 12 MB of text); more is refused on both sides. */
export const MAX_RESULT_PARTS = 1024;

/** The size TIM counts for a custom message: data, description and extension, in UTF-8 bytes. */
export function customBytes(custom: AgentCustomContent): number {
  return utf8Bytes(custom.data) + utf8Bytes(custom.description) + utf8Bytes(custom.extension);
}

/**
 * The response envelopes that carry `result` for request `id`: one when it fits in a TIM
 * message of `maxBytes` (default TIM's 12 KB), else parts `{index, count}` whose encoded
 * messages each fit. Parts are cut on code-point boundaries (a surrogate pair is never split)
 * and joined in index order they give `result` back exactly.
 */
export function splitResult(
  id: string,
  result: string,
  maxBytes: number = TIM_LIMITS.messageBytes,
): AgentResultEnvelope[] {
  const whole = resultEnvelope(id, result);
  if (customBytes(encodeEnvelope(whole)) <= maxBytes) return [whole];
  // The part numbers take room too: size the parts for numbers of `digits` digits, and widen
  // when the result needs more parts than such numbers can count.
  for (let digits = 1; ; digits++) {
    const widest = 10 ** digits - 1;
    const overhead = customBytes(
      encodeEnvelope(resultEnvelope(id, '', { index: widest, count: widest })),
    );
    const pieces = cut(result, maxBytes - overhead);
    if (pieces.length <= widest) {
      return pieces.map((piece, index) =>
        resultEnvelope(id, piece, { index, count: pieces.length }),
      );
    }
  }
}

/** What {@link ResultAssembler.add} makes of a result envelope. */
export type PartOutcome =
  | { state: 'incomplete' }
  | { state: 'complete'; result: string }
  | { state: 'invalid'; problem: string };

/**
 * Puts split results back together on the asker's side: parts may arrive in any order and
 * more than once (a repeated part is ignored). Keeps parts only until their result is
 * complete or {@link forget} is called (when the request is settled another way).
 */
export class ResultAssembler {
  readonly #results = new Map<string, { count: number; pieces: Map<number, string> }>();

  /** Adds one response; a response without `part` is a whole result at once. */
  add(envelope: AgentResultEnvelope): PartOutcome {
    const { id, part } = envelope;
    if (!part) {
      this.#results.delete(id);
      return { state: 'complete', result: envelope.result };
    }
    if (part.count > MAX_RESULT_PARTS) {
      return {
        state: 'invalid',
        problem: `the result came in ${part.count} parts, more than the ${MAX_RESULT_PARTS} accepted`,
      };
    }
    let entry = this.#results.get(id);
    if (!entry) {
      entry = { count: part.count, pieces: new Map() };
      this.#results.set(id, entry);
    } else if (entry.count !== part.count) {
      return {
        state: 'invalid',
        problem: `the result's parts disagree on their count (${entry.count} and ${part.count})`,
      };
    }
    if (!entry.pieces.has(part.index)) entry.pieces.set(part.index, envelope.result);
    if (entry.pieces.size < entry.count) return { state: 'incomplete' };
    this.#results.delete(id);
    const ordered: string[] = [];
    for (let index = 0; index < entry.count; index++) ordered.push(entry.pieces.get(index) ?? '');
    return { state: 'complete', result: ordered.join('') };
  }

  /** Drops the parts held for request `id`. */
  forget(id: string): void {
    this.#results.delete(id);
  }
}

function resultEnvelope(id: string, result: string, part?: ResultPart): AgentResultEnvelope {
  return {
    type: AGENT_RESPONSE_TYPE,
    v: AGENT_ENVELOPE_VERSION,
    id,
    status: 'ok',
    result,
    ...(part ? { part } : {}),
  };
}

/**
 * Cuts `text` into pieces whose JSON string form (escapes included, quotes not) is at most
 * `budget` UTF-8 bytes each, on code-point boundaries.
 */
function cut(text: string, budget: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let bytes = 0;
  for (const point of text) {
    const cost = utf8Bytes(JSON.stringify(point)) - 2;
    if (bytes + cost > budget && piece !== '') {
      pieces.push(piece);
      piece = '';
      bytes = 0;
    }
    piece += point;
    bytes += cost;
  }
  if (piece !== '') pieces.push(piece);
  return pieces;
}
