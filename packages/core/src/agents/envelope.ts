/**
 * The agent-to-agent envelope: what one agent sends another in a one-to-one TIM custom
 * message. The JSON body (the custom message's `data`) is small and versioned:
 *
 * - request: `{type: 'clawlink.request', v: 1, id, task, context?, deadline}`
 * - response: `{type: 'clawlink.response', v: 1, id, status: 'ok', result, part?}` or
 *   `{type: 'clawlink.response', v: 1, id, status: 'refused' | 'failed', reason}`
 *
 * `id` correlates a response with its request; `deadline` is when the asker stops waiting, in
 * milliseconds since the epoch; `part: {index, count}` marks one piece of a result too large
 * for one message (see `result-parts.ts`). Fields a version-1 reader does not know are
 * ignored, so a field can be added without a new version; anything else needs `v: 2`. The
 * custom message's `description` is a one-line summary for human clients (TIM's own apps show
 * it in place of the custom data); `extension` is left empty.
 */

/** The envelope version this code writes and reads. */
export const AGENT_ENVELOPE_VERSION = 1;
/** `type` of a request envelope. */
export const AGENT_REQUEST_TYPE = 'clawlink.request';
/** `type` of a response envelope. */
export const AGENT_RESPONSE_TYPE = 'clawlink.response';

/** Longest request id accepted, in characters. */
const MAX_ID_LENGTH = 128;
/** Longest summary put in a custom message's `description`, in code points. */
const DESCRIPTION_LENGTH = 80;

/** One agent asks another to do `task`. */
export interface AgentRequestEnvelope {
  type: typeof AGENT_REQUEST_TYPE;
  v: typeof AGENT_ENVELOPE_VERSION;
  /** Correlation id, chosen by the asker (unique per request). */
  id: string;
  /** What to do, in words. */
  task: string;
  /** Anything else the other agent needs, as text. */
  context?: string;
  /** When the asker stops waiting, in milliseconds since the epoch. */
  deadline: number;
}

/** One piece of a result split across several responses: `index` counts from 0. */
export interface ResultPart {
  index: number;
  count: number;
}

/** The task was done: `result` is the answer (or, with `part`, one piece of it). */
export interface AgentResultEnvelope {
  type: typeof AGENT_RESPONSE_TYPE;
  v: typeof AGENT_ENVELOPE_VERSION;
  id: string;
  status: 'ok';
  result: string;
  part?: ResultPart;
}

/** The task was not done: refused (not allowed) or failed; `reason` says why. */
export interface AgentFailureEnvelope {
  type: typeof AGENT_RESPONSE_TYPE;
  v: typeof AGENT_ENVELOPE_VERSION;
  id: string;
  status: 'refused' | 'failed';
  reason: string;
}

/** A response envelope. */
export type AgentResponseEnvelope = AgentResultEnvelope | AgentFailureEnvelope;

/** Any envelope. */
export type AgentEnvelope = AgentRequestEnvelope | AgentResponseEnvelope;

/** A TIM custom message's content, as `sendMessage` takes it and `TimMessage` gives it. */
export interface AgentCustomContent {
  data: string;
  description: string;
  extension: string;
}

/** Why a custom message that claims to be an envelope could not be read. */
export interface EnvelopeProblem {
  /** The envelope's `type` (known whenever {@link isAgentEnvelope} held). */
  type: typeof AGENT_REQUEST_TYPE | typeof AGENT_RESPONSE_TYPE | undefined;
  /** The envelope's id, when it had a usable one (so the answer can be correlated). */
  id: string | undefined;
  /** What was wrong, for the other side to read. */
  message: string;
}

/** The outcome of {@link parseEnvelope}: an envelope, or what was wrong with it. */
export type ParsedEnvelope =
  | { ok: true; envelope: AgentEnvelope }
  | { ok: false; problem: EnvelopeProblem };

type EnvelopeType = EnvelopeProblem['type'];

/** Encodes an envelope as a TIM custom message's content. */
export function encodeEnvelope(envelope: AgentEnvelope): AgentCustomContent {
  return { data: JSON.stringify(bodyOf(envelope)), description: describe(envelope), extension: '' };
}

/**
 * True when a custom message is meant as an agent envelope: its data is a JSON object whose
 * `type` is `clawlink.request` or `clawlink.response` (of any version, well-formed or not; the
 * pipeline hands these to `AgentRequests.handleEnvelope`, which answers malformed ones).
 */
export function isAgentEnvelope(custom: { data?: unknown } | undefined): boolean {
  return typeOf(readObject(custom?.data)) !== undefined;
}

/**
 * Reads an envelope from a custom message's content. Never throws: bad JSON, an unknown type
 * or version, and missing or mistyped fields give `{ok: false, problem}` saying what was wrong.
 */
export function parseEnvelope(custom: { data?: unknown } | undefined): ParsedEnvelope {
  const body = readObject(custom?.data);
  const type = typeOf(body);
  const rawId = body?.id;
  const id = validId(rawId) ? rawId : undefined;
  const fail = (message: string): ParsedEnvelope => ({ ok: false, problem: { type, id, message } });
  if (!body) return fail('the custom data is not a JSON object');
  if (!type) {
    return fail(`type must be '${AGENT_REQUEST_TYPE}' or '${AGENT_RESPONSE_TYPE}'`);
  }
  if (body.v !== AGENT_ENVELOPE_VERSION) {
    return fail(
      `unsupported envelope version ${JSON.stringify(body.v) ?? 'undefined'}; this agent reads version ${AGENT_ENVELOPE_VERSION}`,
    );
  }
  if (!id) return fail(`id must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  const problem = type === AGENT_REQUEST_TYPE ? requestProblem(body) : responseProblem(body);
  if (problem) return fail(problem);
  return { ok: true, envelope: toEnvelope(type, id, body) };
}

function requestProblem(body: Record<string, unknown>): string | undefined {
  if (typeof body.task !== 'string' || body.task.trim() === '') {
    return 'task must be a non-empty string';
  }
  if (body.context !== undefined && typeof body.context !== 'string') {
    return 'context must be a string when present';
  }
  if (!Number.isSafeInteger(body.deadline) || (body.deadline as number) <= 0) {
    return 'deadline must be a time in milliseconds since the epoch (a positive integer)';
  }
  return undefined;
}

function responseProblem(body: Record<string, unknown>): string | undefined {
  if (body.status === 'ok') {
    if (typeof body.result !== 'string') return "result must be a string when status is 'ok'";
    if (body.part !== undefined && !validPart(body.part)) {
      return 'part must be {index, count} with integers 0 <= index < count';
    }
    return undefined;
  }
  if (body.status === 'refused' || body.status === 'failed') {
    return typeof body.reason === 'string'
      ? undefined
      : `reason must be a string when status is '${body.status}'`;
  }
  return "status must be 'ok', 'refused' or 'failed'";
}

function toEnvelope(type: EnvelopeType, id: string, body: Record<string, unknown>): AgentEnvelope {
  const v = AGENT_ENVELOPE_VERSION;
  if (type === AGENT_REQUEST_TYPE) {
    return {
      type,
      v,
      id,
      task: body.task as string,
      ...(typeof body.context === 'string' ? { context: body.context } : {}),
      deadline: body.deadline as number,
    };
  }
  if (body.status === 'ok') {
    const part = body.part as ResultPart | undefined;
    return {
      type: AGENT_RESPONSE_TYPE,
      v,
      id,
      status: 'ok',
      result: body.result as string,
      ...(part ? { part: { index: part.index, count: part.count } } : {}),
    };
  }
  return {
    type: AGENT_RESPONSE_TYPE,
    v,
    id,
    status: body.status as 'refused' | 'failed',
    reason: body.reason as string,
  };
}

/** The JSON body, fields in a fixed order and nothing else. */
function bodyOf(envelope: AgentEnvelope): Record<string, unknown> {
  const { type, v, id } = envelope;
  if (envelope.type === AGENT_REQUEST_TYPE) {
    const { task, context, deadline } = envelope;
    return { type, v, id, task, ...(context === undefined ? {} : { context }), deadline };
  }
  if (envelope.status === 'ok') {
    const { result, part } = envelope;
    return { type, v, id, status: 'ok', result, ...(part ? { part } : {}) };
  }
  return { type, v, id, status: envelope.status, reason: envelope.reason };
}

function describe(envelope: AgentEnvelope): string {
  if (envelope.type === AGENT_REQUEST_TYPE) return `Agent request: ${shorten(envelope.task)}`;
  if (envelope.status === 'ok') {
    return envelope.part
      ? `Agent response (part ${envelope.part.index + 1} of ${envelope.part.count})`
      : `Agent response: ${shorten(envelope.result)}`;
  }
  return `Agent request ${envelope.status}: ${shorten(envelope.reason)}`;
}

/** `text` on one line, at most {@link DESCRIPTION_LENGTH} code points (cut ones end in '…'). */
function shorten(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const points = [...line];
  return points.length <= DESCRIPTION_LENGTH
    ? line
    : `${points.slice(0, DESCRIPTION_LENGTH - 1).join('')}…`;
}

function readObject(data: unknown): Record<string, unknown> | undefined {
  if (typeof data !== 'string' || !data.trimStart().startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function typeOf(body: Record<string, unknown> | undefined): EnvelopeType {
  const type = body?.type;
  return type === AGENT_REQUEST_TYPE || type === AGENT_RESPONSE_TYPE ? type : undefined;
}

function validId(id: unknown): id is string {
  return typeof id === 'string' && id.trim() !== '' && id.length <= MAX_ID_LENGTH;
}

function validPart(part: unknown): part is ResultPart {
  if (typeof part !== 'object' || part === null) return false;
  const { index, count } = part as Record<string, unknown>;
  return (
    Number.isSafeInteger(index) &&
    Number.isSafeInteger(count) &&
    (index as number) >= 0 &&
    (index as number) < (count as number)
  );
}
