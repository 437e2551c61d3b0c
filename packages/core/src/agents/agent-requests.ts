import { randomUUID } from 'node:crypto';
import { TIM_LIMITS } from '@clawlink/tim-facts';
import { checkUserId } from '@clawlink/usersig';
import { ClawlinkError } from '../errors/clawlink-error.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { type Clock, systemClock, type TimerHandle } from '../runtime/clock.js';
import type {
  PendingRequest,
  PendingRequestDirection,
  SettledRequest,
  SettledRequestOutcome,
  StateStore,
} from '../state/state-store.js';
import { utf8Bytes } from '../tim/tim-limits.js';
import { AgentRequestError } from './agent-request-error.js';
import {
  type AgentRequestsConfig,
  type AgentRequestsConfigInput,
  ANYONE,
  MAX_AGENT_REQUEST_TIMEOUT_MS,
  parseAgentRequestsConfig,
} from './agent-requests-config.js';
import {
  AGENT_ENVELOPE_VERSION,
  AGENT_REQUEST_TYPE,
  AGENT_RESPONSE_TYPE,
  type AgentCustomContent,
  type AgentEnvelope,
  type AgentRequestEnvelope,
  type AgentResponseEnvelope,
  type EnvelopeProblem,
  encodeEnvelope,
  parseEnvelope,
} from './envelope.js';
import { customBytes, MAX_RESULT_PARTS, ResultAssembler, splitResult } from './result-parts.js';

/** The part of the state store agent requests use. */
export type AgentRequestStore = Pick<
  StateStore,
  | 'putPendingRequest'
  | 'getPendingRequest'
  | 'deletePendingRequest'
  | 'listPendingRequests'
  | 'takeExpiredRequests'
  | 'putSettledRequest'
  | 'getSettledRequest'
  | 'settlePendingRequest'
  | 'flush'
>;

/** A request another agent sent this one, as given to the {@link AgentRequestDispatch}. */
export interface IncomingAgentRequest {
  /** The request's correlation id. */
  id: string;
  /** What the other agent asks for. */
  task: string;
  /** Anything else it sent along. */
  context: string | undefined;
  /** The asking agent's TIM UserID. */
  from: string;
}

/**
 * Does what another agent asked; the text it resolves with is the answer. A rejection's
 * message (never its stack) is sent back as the failure reason. `signal` aborts when the
 * request's deadline passes or the requests are stopped.
 */
export type AgentRequestDispatch = (
  request: IncomingAgentRequest,
  options: { signal: AbortSignal },
) => Promise<string>;

/** Sends a custom message to a user (the runtime passes `runtime.messages.send` to a C2C conversation). */
export type SendDirect = (userId: string, custom: AgentCustomContent) => Promise<unknown>;

/** Options of {@link createAgentRequests}. */
export interface AgentRequestsOptions {
  /** Where pending and settled requests are kept (the account's state store). */
  store: AgentRequestStore;
  /** Sends envelopes. */
  sendDirect: SendDirect;
  /** Runs requests other agents send (the runtime routes them through its pipeline). */
  dispatch: AgentRequestDispatch;
  /** The account's `agentRequests` settings; validated here (default: nobody may ask). */
  config?: AgentRequestsConfigInput;
  /** Time and timers; defaults to the system clock. */
  clock?: Clock;
  logger?: Logger;
  /** Makes request ids; defaults to random UUIDs. */
  newId?: () => string;
}

/** Options of {@link AgentRequests.request}. */
export interface AgentRequestOptions {
  /** How long to wait for the answer, in milliseconds; default the config's `timeoutMs`. */
  timeoutMs?: number;
  /** Anything else the other agent needs, as text. */
  context?: string;
  /** Gives up waiting (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** The answer to a request. */
export interface AgentRequestResult {
  /** The request's correlation id. */
  id: string;
  /** The agent that answered. */
  from: string;
  /** Its answer. */
  result: string;
}

/** A request still waiting for its answer (`outbound`) or still being worked on (`inbound`). */
export interface PendingAgentRequest {
  id: string;
  /** The other agent's TIM UserID. */
  peer: string;
  direction: PendingRequestDirection;
  task: string;
  context: string | undefined;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** When it times out, in milliseconds since the epoch. */
  deadlineAt: number;
}

/** What {@link AgentRequests.result} knows of a request. */
export type AgentRequestState = SettledRequest | (PendingAgentRequest & { status: 'pending' });

/** Longest failure reason sent back, in characters. */
const MAX_REASON_LENGTH = 2000;
/** Why a request timed out, by direction (stored with it, and sent for an inbound one). */
const TIMEOUT_REASONS = {
  outbound: 'no answer came before the deadline',
  inbound: 'the request did not finish before its deadline',
} as const;

interface Waiter {
  timeoutMs: number;
  resolve(result: AgentRequestResult): void;
  reject(error: unknown): void;
  /** Detaches the abort listener. */
  release(): void;
}

/**
 * Agent-to-agent requests over one-to-one TIM custom messages (the object behind
 * `runtime.agents`). Outbound: {@link request} persists the request, sends it and settles it
 * on the matching response, its deadline, or its signal. Inbound: {@link handleEnvelope}
 * answers requests from `config.allowFrom` through `dispatch` (anyone else gets an immediate
 * refusal), answers a duplicate from the stored outcome, and records responses to this
 * agent's requests, also those that arrive after a restart.
 *
 * The constructor times out requests whose deadline passed while the process was down and
 * arms a timer for the next deadline; {@link stop} clears it. This agent's requests still
 * pending from an earlier run are sent again, with the same id, on the next turn of the clock:
 * the other agent answers a finished one again from its stored outcome (and ignores one it is
 * still working on), so an answer lost while this process was down (say, more parts than
 * catch-up fetches) still arrives.
 */
export class AgentRequests {
  readonly #store: AgentRequestStore;
  readonly #sendDirect: SendDirect;
  readonly #dispatch: AgentRequestDispatch;
  readonly #config: AgentRequestsConfig;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #newId: () => string;
  readonly #waiters = new Map<string, Waiter>();
  /** Inbound requests being dispatched, to abort them at their deadline. */
  readonly #running = new Map<string, AbortController>();
  readonly #parts = new ResultAssembler();
  #timer: { handle: TimerHandle; at: number } | undefined;
  /** Set while the requests of an earlier run wait to be asked again. */
  #askAgainTimer: TimerHandle | undefined;
  #stopped = false;

  constructor(options: AgentRequestsOptions) {
    this.#store = options.store;
    this.#sendDirect = options.sendDirect;
    this.#dispatch = options.dispatch;
    this.#config = parseAgentRequestsConfig(options.config);
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'agent-requests' });
    this.#newId = options.newId ?? randomUUID;
    this.#sweep();
    if (this.#store.listPendingRequests({ direction: 'outbound' }).length > 0) {
      // On the next turn, so that the owner (the account runtime) has finished starting.
      this.#askAgainTimer = this.#clock.setTimeout(() => {
        this.#askAgainTimer = undefined;
        void this.#askAgain();
      }, 0);
    }
  }

  /**
   * Asks agent `userId` to do `task`; resolves with its answer. Rejects with an
   * {@link AgentRequestError}: `AGENT_REQUEST_REFUSED` (not allowed; `reason` says why),
   * `AGENT_REQUEST_TIMEOUT`, or `AGENT_REQUEST_FAILED` (its dispatch failed; `reason` is the
   * message). Bad arguments reject with `INVALID_ARGUMENT` or `TOO_LARGE`, a failed send
   * with the send's error, an abort with the signal's reason, {@link stop} with `STOPPED`
   * (the request stays pending: an answer arriving after a restart is still recorded).
   */
  async request(
    userId: string,
    task: string,
    options: AgentRequestOptions = {},
  ): Promise<AgentRequestResult> {
    this.#assertRunning();
    const timeoutMs = options.timeoutMs ?? this.#config.timeoutMs;
    checkRequest(userId, task, options, timeoutMs);
    options.signal?.throwIfAborted();
    const id = this.#newId();
    const createdAt = this.#clock.now();
    const envelope: AgentRequestEnvelope = {
      type: AGENT_REQUEST_TYPE,
      v: AGENT_ENVELOPE_VERSION,
      id,
      task,
      ...(options.context === undefined ? {} : { context: options.context }),
      deadline: createdAt + timeoutMs,
    };
    const custom = encodeEnvelope(envelope);
    const bytes = customBytes(custom);
    if (bytes > TIM_LIMITS.messageBytes) {
      throw new ClawlinkError(
        'TOO_LARGE',
        `agents.request failed: the task and context make a ${bytes}-byte message, over TIM's ${TIM_LIMITS.messageBytes}-byte limit; shorten them or pass large inputs by reference (a URL or a file name).`,
      );
    }
    this.#store.putPendingRequest({
      id,
      peer: userId,
      direction: 'outbound',
      task,
      ...(options.context === undefined ? {} : { payload: options.context }),
      createdAt,
      deadlineAt: envelope.deadline,
    });
    // Durable before it leaves the process: the answer must find it after a crash.
    this.#store.flush();
    const answer = new Promise<AgentRequestResult>((resolve, reject) => {
      const { signal } = options;
      const onAbort = () => {
        const waiter = this.#waiters.get(id);
        if (waiter) this.#release(id, waiter);
        if (this.#settle(id, { status: 'failed', reason: 'cancelled by the asker' })) {
          this.#logger.info({ requestId: id, peer: userId }, 'agent request cancelled');
        }
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.set(id, {
        timeoutMs,
        resolve,
        reject,
        release: () => signal?.removeEventListener('abort', onAbort),
      });
    });
    // It may settle while the envelope is being sent; the caller sees it when we return it.
    answer.catch(() => undefined);
    this.#arm();
    try {
      await this.#sendDirect(userId, custom);
    } catch (error) {
      // Never sent: forget it (unless an answer somehow came first).
      if (this.#store.deletePendingRequest(id)) {
        const waiter = this.#waiters.get(id);
        if (waiter) this.#release(id, waiter);
        this.#arm();
        throw error;
      }
    }
    this.#logger.debug({ requestId: id, peer: userId }, 'agent request sent');
    return answer;
  }

  /** Requests not settled yet, oldest first; optionally of one direction only. */
  pending(options: { direction?: PendingRequestDirection } = {}): PendingAgentRequest[] {
    return this.#store.listPendingRequests(options).map(toPendingAgentRequest);
  }

  /**
   * What is known of request `id`: its outcome once settled (also when the answer came after
   * a restart), `status: 'pending'` while it waits, `undefined` for an unknown id.
   */
  result(id: string): AgentRequestState | undefined {
    const settled = this.#store.getSettledRequest(id);
    if (settled) return settled;
    const pending = this.#store.getPendingRequest(id);
    return pending ? { ...toPendingAgentRequest(pending), status: 'pending' } : undefined;
  }

  /**
   * Handles a custom message from `from` for which `isAgentEnvelope` holds: runs or refuses
   * a request and sends the answer, or records a response to one of this agent's requests.
   * A malformed request or one of an unknown version is answered with `status: 'failed'`
   * saying what was wrong; a malformed response is never answered (that could loop between
   * two agents) but fails the request it names. Resolves once handled (for a request, after
   * the answer was sent); never rejects.
   */
  async handleEnvelope(from: string, custom: { data?: unknown }): Promise<void> {
    if (this.#stopped) {
      this.#logger.debug({ peer: from }, 'agent envelope ignored: stopped');
      return;
    }
    try {
      const parsed = parseEnvelope(custom);
      if (!parsed.ok) await this.#onProblem(from, parsed.problem);
      else if (parsed.envelope.type === AGENT_REQUEST_TYPE)
        await this.#onRequest(from, parsed.envelope);
      else this.#onResponse(from, parsed.envelope);
    } catch (error) {
      this.#logger.error(
        { peer: from, error: messageOf(error) },
        'agent envelope could not be handled',
      );
    }
  }

  /**
   * Stops: clears the deadline timer, aborts inbound dispatches (no answer is sent for them)
   * and rejects waiting {@link request} calls with `STOPPED`. Pending requests stay in the
   * store. Idempotent.
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) this.#clock.clearTimeout(this.#timer.handle);
    this.#timer = undefined;
    if (this.#askAgainTimer) this.#clock.clearTimeout(this.#askAgainTimer);
    this.#askAgainTimer = undefined;
    const stopped = (what: string) =>
      new ClawlinkError(
        'STOPPED',
        `Agent requests stopped while ${what}; an answer that arrives after a restart is still recorded (see agents.result(id)).`,
      );
    for (const [id, controller] of this.#running) {
      controller.abort(stopped(`request ${id} was being worked on`));
    }
    this.#running.clear();
    for (const [id, waiter] of this.#waiters) {
      this.#release(id, waiter);
      waiter.reject(stopped(`request ${id} waited for its answer`));
    }
  }

  async #onRequest(from: string, request: AgentRequestEnvelope): Promise<void> {
    const { id } = request;
    if (!this.#allowed(from)) {
      this.#logger.info({ requestId: id, peer: from }, 'agent request refused: sender not allowed');
      await this.#send(from, failure(id, 'refused', refusal(from)));
      return;
    }
    const settled = this.#store.getSettledRequest(id);
    if (settled) {
      this.#logger.info({ requestId: id, peer: from }, 'duplicate agent request: answered again');
      await this.#answer(
        from,
        settled.direction === 'inbound' && settled.peer === from
          ? settled
          : { status: 'failed', reason: `request id '${id}' was already used; send a new id` },
        id,
      );
      return;
    }
    const pending = this.#store.getPendingRequest(id);
    if (pending) {
      if (pending.direction === 'inbound' && pending.peer === from) {
        this.#logger.debug({ requestId: id, peer: from }, 'duplicate agent request: still running');
      } else {
        await this.#send(
          from,
          failure(id, 'failed', `request id '${id}' is already in use; send a new id`),
        );
      }
      return;
    }
    const now = this.#clock.now();
    if (request.deadline <= now) {
      const outcome = {
        status: 'timeout' as const,
        reason: 'the request arrived after its deadline; it was not run',
        settledAt: now,
      };
      this.#store.putSettledRequest({ id, peer: from, direction: 'inbound', ...outcome });
      await this.#answer(from, outcome, id);
      return;
    }
    this.#store.putPendingRequest({
      id,
      peer: from,
      direction: 'inbound',
      task: request.task,
      ...(request.context === undefined ? {} : { payload: request.context }),
      createdAt: now,
      deadlineAt: request.deadline,
    });
    this.#arm();
    const outcome = await this.#run(from, request);
    if (this.#stopped) return;
    if (!this.#settle(id, outcome)) {
      this.#logger.info({ requestId: id, peer: from }, 'agent request finished after its deadline');
      return;
    }
    await this.#answer(from, outcome, id);
  }

  async #run(
    from: string,
    request: AgentRequestEnvelope,
  ): Promise<Pick<SettledRequestOutcome, 'status' | 'result' | 'reason'>> {
    const controller = new AbortController();
    this.#running.set(request.id, controller);
    try {
      const result: unknown = await this.#dispatch(
        { id: request.id, task: request.task, context: request.context, from },
        { signal: controller.signal },
      );
      if (typeof result !== 'string') {
        return { status: 'failed', reason: 'the agent gave no text answer' };
      }
      if (
        utf8Bytes(result) > MAX_RESULT_PARTS * TIM_LIMITS.messageBytes ||
        splitResult(request.id, result).length > MAX_RESULT_PARTS
      ) {
        return {
          status: 'failed',
          reason: `the answer is too large to send (more than ${MAX_RESULT_PARTS} messages of 12 KB); ask for less`,
        };
      }
      return { status: 'ok', result };
    } catch (error) {
      this.#logger.warn(
        { requestId: request.id, peer: from, error: messageOf(error) },
        'agent request dispatch failed',
      );
      return { status: 'failed', reason: messageOf(error) };
    } finally {
      this.#running.delete(request.id);
    }
  }

  #onResponse(from: string, response: AgentResponseEnvelope): void {
    const { id } = response;
    const pending = this.#store.getPendingRequest(id);
    if (pending?.direction !== 'outbound' || pending.peer !== from) {
      this.#logger.debug({ requestId: id, peer: from }, 'agent response for no pending request');
      return;
    }
    if (response.status !== 'ok') {
      this.#settle(id, { status: response.status, reason: response.reason });
      return;
    }
    const outcome = this.#parts.add(response);
    if (outcome.state === 'complete') this.#settle(id, { status: 'ok', result: outcome.result });
    else if (outcome.state === 'invalid') {
      this.#settle(id, { status: 'failed', reason: `malformed answer: ${outcome.problem}` });
    }
  }

  async #onProblem(from: string, problem: EnvelopeProblem): Promise<void> {
    this.#logger.warn(
      { peer: from, requestId: problem.id, problem: problem.message },
      'malformed agent envelope',
    );
    if (problem.type === AGENT_RESPONSE_TYPE) {
      // Never answer a response; fail the request it names, if it is ours and theirs.
      const pending =
        problem.id === undefined ? undefined : this.#store.getPendingRequest(problem.id);
      if (pending?.direction === 'outbound' && pending.peer === from) {
        this.#settle(pending.id, {
          status: 'failed',
          reason: `the other agent's answer could not be read: ${problem.message}`,
        });
      }
      return;
    }
    if (problem.type !== AGENT_REQUEST_TYPE) return;
    const id = problem.id ?? '';
    await this.#send(
      from,
      this.#allowed(from)
        ? failure(id, 'failed', `malformed agent request: ${problem.message}`)
        : failure(id, 'refused', refusal(from)),
    );
  }

  /** Sends every outbound request still pending again, as it was first sent. */
  async #askAgain(): Promise<void> {
    for (const request of this.#store.listPendingRequests({ direction: 'outbound' })) {
      if (this.#stopped) return;
      this.#logger.info(
        { requestId: request.id, peer: request.peer },
        'agent request pending from an earlier run: asked again',
      );
      await this.#send(request.peer, {
        type: AGENT_REQUEST_TYPE,
        v: AGENT_ENVELOPE_VERSION,
        id: request.id,
        task: request.task,
        ...(request.payload === undefined ? {} : { context: request.payload }),
        deadline: request.deadlineAt,
      });
    }
  }

  /** Sends the answer for an inbound request (all parts of a large result). */
  async #answer(
    to: string,
    outcome: Pick<SettledRequestOutcome, 'status' | 'result' | 'reason'>,
    id: string,
  ): Promise<void> {
    if (outcome.status === 'ok') {
      for (const part of splitResult(id, outcome.result ?? '')) await this.#send(to, part);
      return;
    }
    const status = outcome.status === 'refused' ? 'refused' : 'failed';
    await this.#send(to, failure(id, status, outcome.reason ?? `the request ${outcome.status}`));
  }

  async #send(to: string, envelope: AgentEnvelope): Promise<void> {
    // What the envelope says (settled, answered) is durable before anyone outside hears it.
    this.#store.flush();
    try {
      await this.#sendDirect(to, encodeEnvelope(envelope));
    } catch (error) {
      this.#logger.error(
        { requestId: envelope.id, peer: to, error: messageOf(error) },
        `agent ${envelope.type === AGENT_REQUEST_TYPE ? 'request' : 'response'} could not be sent`,
      );
    }
  }

  /**
   * Settles pending request `id` (atomically, once) and, for this agent's own requests,
   * answers the waiting caller. Returns whether it was still pending.
   */
  #settle(
    id: string,
    outcome: Pick<SettledRequestOutcome, 'status' | 'result' | 'reason'>,
  ): boolean {
    const pending = this.#store.getPendingRequest(id);
    const settledAt = this.#clock.now();
    if (!pending || !this.#store.settlePendingRequest(id, { ...outcome, settledAt })) return false;
    if (pending.direction === 'outbound') {
      this.#parts.forget(id);
      this.#notify({ id, peer: pending.peer, direction: 'outbound', ...outcome, settledAt });
    }
    this.#arm();
    return true;
  }

  /** Resolves or rejects the caller waiting for outbound request `settled.id`, if any. */
  #notify(settled: SettledRequest): void {
    const waiter = this.#waiters.get(settled.id);
    if (!waiter) return;
    this.#release(settled.id, waiter);
    const { id, peer } = settled;
    switch (settled.status) {
      case 'ok':
        waiter.resolve({ id, from: peer, result: settled.result ?? '' });
        return;
      case 'refused':
        waiter.reject(
          new AgentRequestError(
            'AGENT_REQUEST_REFUSED',
            `Agent '${peer}' refused request ${id}: ${settled.reason ?? 'no reason given'}`,
            { requestId: id, peer, ...(settled.reason ? { reason: settled.reason } : {}) },
          ),
        );
        return;
      case 'timeout':
        waiter.reject(
          new AgentRequestError(
            'AGENT_REQUEST_TIMEOUT',
            `Agent '${peer}' did not answer request ${id} within ${waiter.timeoutMs} ms; try again later, give it more time (timeoutMs), or check that it is online.`,
            { requestId: id, peer },
          ),
        );
        return;
      default:
        waiter.reject(
          new AgentRequestError(
            'AGENT_REQUEST_FAILED',
            `Agent '${peer}' could not do request ${id}: ${settled.reason ?? 'no reason given'}`,
            { requestId: id, peer, ...(settled.reason ? { reason: settled.reason } : {}) },
          ),
        );
    }
  }

  #release(id: string, waiter: Waiter): void {
    this.#waiters.delete(id);
    waiter.release();
  }

  /** Settles every request past its deadline as timed out, then re-arms the timer. */
  #sweep(): void {
    this.#timer = undefined;
    const now = this.#clock.now();
    for (const expired of this.#store.takeExpiredRequests(now)) {
      const settled: SettledRequest = {
        id: expired.id,
        peer: expired.peer,
        direction: expired.direction,
        status: 'timeout',
        reason: TIMEOUT_REASONS[expired.direction],
        settledAt: now,
      };
      this.#store.putSettledRequest(settled);
      this.#logger.info(
        { requestId: expired.id, peer: expired.peer, direction: expired.direction },
        'agent request timed out',
      );
      if (expired.direction === 'outbound') {
        this.#parts.forget(expired.id);
        this.#notify(settled);
      } else {
        this.#running
          .get(expired.id)
          ?.abort(
            new AgentRequestError(
              'AGENT_REQUEST_TIMEOUT',
              `Agent request ${expired.id} from '${expired.peer}' passed its deadline.`,
              { requestId: expired.id, peer: expired.peer },
            ),
          );
      }
    }
    this.#arm();
  }

  /** Keeps one timer, set for the earliest deadline of any pending request. */
  #arm(): void {
    if (this.#stopped) return;
    let next: number | undefined;
    for (const request of this.#store.listPendingRequests()) {
      if (next === undefined || request.deadlineAt < next) next = request.deadlineAt;
    }
    if (this.#timer && this.#timer.at === next) return;
    if (this.#timer) this.#clock.clearTimeout(this.#timer.handle);
    this.#timer = undefined;
    if (next === undefined) return;
    const handle = this.#clock.setTimeout(
      () => {
        try {
          this.#sweep();
        } catch (error) {
          this.#logger.error({ error: messageOf(error) }, 'agent request deadlines not checked');
        }
      },
      Math.max(0, next - this.#clock.now()),
    );
    this.#timer = { handle, at: next };
  }

  #allowed(from: string): boolean {
    const { allowFrom } = this.#config;
    return allowFrom.includes(ANYONE) || allowFrom.includes(from);
  }

  #assertRunning(): void {
    if (this.#stopped) {
      throw new ClawlinkError('STOPPED', 'agents.request failed: the agent requests are stopped.');
    }
  }
}

/** Creates the agent requests of one account; see {@link AgentRequests}. */
export function createAgentRequests(options: AgentRequestsOptions): AgentRequests {
  return new AgentRequests(options);
}

function checkRequest(
  userId: unknown,
  task: unknown,
  options: AgentRequestOptions,
  timeoutMs: unknown,
): void {
  const invalid = (message: string) =>
    new ClawlinkError('INVALID_ARGUMENT', `agents.request failed: ${message}.`);
  const problem = checkUserId(userId);
  if (problem !== undefined) throw invalid(`userId is not a valid TIM UserID: ${problem}`);
  if (typeof task !== 'string' || task.trim() === '') {
    throw invalid('task must be a non-empty string saying what to do');
  }
  if (options.context !== undefined && typeof options.context !== 'string') {
    throw invalid('context must be a string (serialise structured context, e.g. as JSON)');
  }
  if (
    typeof timeoutMs !== 'number' ||
    !Number.isInteger(timeoutMs) ||
    timeoutMs < 1 ||
    timeoutMs > MAX_AGENT_REQUEST_TIMEOUT_MS
  ) {
    throw invalid(
      `timeoutMs must be an integer from 1 to ${MAX_AGENT_REQUEST_TIMEOUT_MS} milliseconds`,
    );
  }
}

function failure(id: string, status: 'refused' | 'failed', reason: string): AgentResponseEnvelope {
  return {
    type: AGENT_RESPONSE_TYPE,
    v: AGENT_ENVELOPE_VERSION,
    id,
    status,
    reason: reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH)}…` : reason,
  };
}

function refusal(from: string): string {
  return `this agent does not take requests from '${from}'; its owner can add '${from}' to agentRequests.allowFrom`;
}

/** An error's message, never its stack. */
function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  return 'the request failed without an error message';
}

function toPendingAgentRequest(request: PendingRequest): PendingAgentRequest {
  return {
    id: request.id,
    peer: request.peer,
    direction: request.direction,
    task: request.task,
    context: request.payload,
    createdAt: request.createdAt,
    deadlineAt: request.deadlineAt,
  };
}
