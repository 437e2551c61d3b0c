import { captureRejectionSymbol, EventEmitter } from 'node:events';
import {
  type AccountConfigInput,
  type AccountRuntime,
  type AccountStatus,
  type Clock,
  createAccountRuntime,
  type Dispatch,
  type DispatchContext,
  type InboundEvent,
  type Logger,
  type Reply,
  type StateStore,
  silentLogger,
} from '@clawlink/core';
import type { AgentErrorDetail, AgentEvent, AgentEvents } from './agent-events.js';
import { EventStream } from './event-stream.js';
import { firstAnswer } from './first-answer.js';

/**
 * Options of {@link createAgent}: the account's configuration (validated at once: a bad one
 * throws `ConfigError` listing every problem) plus the environment the agent runs in.
 */
export interface AgentOptions extends AccountConfigInput {
  /** Where the agent logs (pino-compatible); secrets are never passed to it. Defaults to silence. */
  logger?: Logger;
  /** A state store to use instead of the account's SQLite file (e.g. an in-memory one). */
  store?: StateStore;
  /** Time source and timers; defaults to the system clock. */
  clock?: Clock;
  /** `fetch` for the credential exchange; defaults to the global one. */
  fetch?: typeof fetch;
}

/**
 * One TIM account as an `EventEmitter`: `message` and `agent_request` listeners answer what the
 * agent is asked, `status` and `error` report on the connection. `for await (const event of
 * agent)` iterates the same inbound events. Everything else (ledger, gating, debounce,
 * chunking, streaming, retries, catch-up) is `@clawlink/core`'s pipeline; {@link runtime} is the
 * underlying `AccountRuntime`, for tools and metrics.
 *
 * The agent takes inbound events only while someone listens: with no `message` or
 * `agent_request` listener and no `for await` loop, nothing is answered or marked handled, so
 * messages wait for a later catch-up; with `agent_request` listeners only, it takes agent
 * requests and the messages wait the same way.
 */
export class Agent extends EventEmitter<AgentEvents> implements AsyncIterable<AgentEvent> {
  /** The account's id (`accountId` of its config). */
  readonly accountId: string;
  /** The underlying core runtime: for `createToolSpecs(agent.runtime)`, `metrics()`, ... */
  readonly runtime: AccountRuntime;

  readonly #logger: Logger;
  readonly #streams = new Set<EventStream<AgentEvent>>();
  #attached = false;
  /** Whether the attached dispatch takes messages too (else agent requests only). */
  #attachedMessages = false;
  /** Dispatches running now (waiting ones included): the dispatch is not detached under them. */
  #running = 0;
  /** Of those, the message events (not agent requests): messages are not let go under them. */
  #runningMessages = 0;
  /** Messages that arrived while nobody listened, waiting for a listener (or the detach). */
  readonly #waiting = new Set<() => void>();

  constructor(options: AgentOptions) {
    // An async status/error listener that rejects is reported, never an unhandled rejection.
    super({ captureRejections: true });
    const { logger, store, clock, fetch, ...config } = options;
    this.runtime = createAccountRuntime({
      config,
      ...(logger ? { logger } : {}),
      ...(store ? { store } : {}),
      ...(clock ? { clock } : {}),
      ...(fetch ? { fetch } : {}),
    });
    this.accountId = this.runtime.accountId;
    this.#logger = (logger ?? silentLogger).child({ accountId: this.accountId });
    this.runtime.on('status', (status) => this.#emitStatus(status));
    this.runtime.on('error', (error, detail) => this.#report(error, detail));
    this.#installHooks();
  }

  /** Channel operations: list, search, get, join, leave, members, create, skill. */
  get channels(): AccountRuntime['channels'] {
    return this.runtime.channels;
  }

  /** Message operations: send to a channel or a user, read history. */
  get messages(): AccountRuntime['messages'] {
    return this.runtime.messages;
  }

  /** Agent-to-agent requests: `request(userId, task, options)`, `pending()`, `result(id)`. */
  get agents(): AccountRuntime['agents'] {
    return this.runtime.agents;
  }

  /** The account's current status; every change is also emitted as `status`. */
  status(): AccountStatus {
    return this.runtime.status();
  }

  /**
   * Opens the state store and connects. Resolves connected or half-alive (no usable
   * credentials yet: `status().reason` says why, and the agent keeps trying); rejects only
   * when the state store cannot be opened. Idempotent.
   */
  start(): Promise<void> {
    return this.runtime.start();
  }

  /**
   * Disconnects and closes the state store; `for await` loops over the agent end. Events being
   * answered are aborted (their `signal` fires).
   * Idempotent.
   */
  async stop(): Promise<void> {
    // The runtime aborts running dispatches at once; the loops end after that, so the event a
    // loop holds is not taken as finished with.
    const stopping = this.runtime.stop();
    for (const stream of [...this.#streams]) stream.close();
    await stopping;
  }

  /**
   * Iterates inbound events (messages and agent requests) in arrival order, one at a time.
   * Answer with `event.reply(...)` in the loop body: an event is finished with when the loop
   * asks for the next one or leaves, and only then marked handled. The loop ends when the
   * agent stops.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<AgentEvent> {
    const stream: EventStream<AgentEvent> = new EventStream(() => {
      this.#streams.delete(stream);
      this.#sync();
    });
    this.#streams.add(stream);
    this.#sync();
    return stream;
  }

  /** Also puts back the agent's own bookkeeping listeners when called with no event name. */
  override removeAllListeners(
    eventName?: Parameters<EventEmitter<AgentEvents>['removeAllListeners']>[0],
  ): this {
    // EventEmitter tells "no argument" (every event) from an `undefined` one by arguments.length.
    if (eventName === undefined) super.removeAllListeners();
    else super.removeAllListeners(eventName);
    this.#installHooks();
    this.#sync();
    return this;
  }

  /** A rejected status or error listener (`captureRejections`): reported like a thrown one. */
  override [captureRejectionSymbol]<K>(
    error: Error,
    event: keyof AgentEvents | K,
    ..._args: K extends keyof AgentEvents ? AgentEvents[K] : never
  ): void {
    if (event === 'error') {
      this.#logger.error({ err: error }, 'an error listener failed');
      return;
    }
    this.#report(error, { accountId: this.accountId });
  }

  readonly #dispatch: Dispatch = async (event, ctx) => {
    const message = event.kind !== 'agent_request';
    this.#running += 1;
    if (message) this.#runningMessages += 1;
    try {
      const answer = await this.#answer(event, ctx);
      if (answer === undefined || (message ? this.#takesMessages() : this.#wanted())) {
        return answer;
      }
      // The last listener went away while this event ran (a `once` listener, a loop that
      // left): the dispatch is detached when this returns, which would stop the reply, so it
      // is sent before returning.
      await ctx.reply(answer).catch((error: unknown) => {
        this.#report(asError(error), { accountId: this.accountId, ...idOf(event) });
      });
      return undefined;
    } finally {
      this.#running -= 1;
      if (message) this.#runningMessages -= 1;
      // Once the pipeline has settled this event (its remaining steps are promise callbacks).
      setImmediate(() => this.#sync());
    }
  };

  /** Hands `event` to the listeners and loops; resolves with the first listener's answer. */
  async #answer(event: InboundEvent, ctx: DispatchContext): Promise<Reply> {
    const agentEvent = toAgentEvent(event, ctx);
    const name = event.kind === 'agent_request' ? 'agent_request' : 'message';
    const listeners = this.rawListeners(name) as ((event: AgentEvent) => unknown)[];
    const streams = [...this.#streams];
    if (listeners.length === 0 && streams.length === 0) return this.#notTaken(event, ctx);
    const taken = Promise.all(streams.map((stream) => stream.push(agentEvent, ctx.signal)));
    const [{ answer, failures }, takenBy] = await Promise.all([
      firstAnswer(listeners, agentEvent, this),
      taken,
    ]);
    for (const failure of failures) {
      this.#report(asError(failure), {
        accountId: this.accountId,
        ...idOf(event),
        event: agentEvent,
      });
    }
    if (failures.length > 0) throw failures[0];
    if (listeners.length === 0 && !takenBy.includes(true)) return this.#notTaken(event, ctx);
    return answer;
  }

  /**
   * Nobody takes `event`. An agent request is refused with a reason. A message that arrives
   * while nobody takes messages (the last message listener just went; the runtime is told to
   * let messages go once the message events still running are done) waits: for a message
   * listener, then it is answered, or for the runtime to let it go, which aborts it and leaves
   * it unhandled for a later catch-up.
   */
  async #notTaken(event: InboundEvent, ctx: DispatchContext): Promise<Reply> {
    if (event.kind === 'agent_request') {
      throw new Error('This agent takes no requests right now (it has no agent_request listener).');
    }
    const listening = await new Promise<boolean>((resolve) => {
      const onAbort = () => {
        this.#waiting.delete(onListener);
        resolve(false);
      };
      const onListener = () => {
        ctx.signal.removeEventListener('abort', onAbort);
        resolve(true);
      };
      this.#waiting.add(onListener);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
    });
    return listening ? this.#answer(event, ctx) : undefined;
  }

  /** `newListener` fires before the listener is added: it counts as there already. */
  readonly #onNewListener = (eventName: string | symbol): void => {
    if (eventName === 'message' || eventName === 'agent_request') this.#sync(eventName);
  };

  readonly #onRemoveListener = (eventName: string | symbol): void => {
    if (eventName === 'message' || eventName === 'agent_request') this.#sync();
  };

  #installHooks(): void {
    // EventEmitter's own events, outside the typed AgentEvents map.
    const emitter = this as unknown as EventEmitter;
    if (!emitter.listeners('newListener').includes(this.#onNewListener)) {
      emitter.on('newListener', this.#onNewListener);
    }
    if (!emitter.listeners('removeListener').includes(this.#onRemoveListener)) {
      emitter.on('removeListener', this.#onRemoveListener);
    }
  }

  /**
   * Attaches the dispatch while someone takes events and detaches it when nobody does; tells
   * the runtime whether it takes messages or agent requests only. `adding`: the event a
   * listener is about to be added for.
   */
  #sync(adding?: 'message' | 'agent_request'): void {
    const takesMessages = adding === 'message' || this.#takesMessages();
    if (takesMessages) {
      const waiting = [...this.#waiting];
      this.#waiting.clear();
      // After the listener is added (`newListener` fires before).
      if (waiting.length > 0) {
        queueMicrotask(() => {
          for (const wake of waiting) wake();
        });
      }
    }
    // Events still being answered keep the dispatch (detaching aborts them); waiting ones do not.
    const wanted = adding !== undefined || this.#wanted() || this.#running > this.#waiting.size;
    const messages =
      wanted &&
      (takesMessages || (this.#attachedMessages && this.#runningMessages > this.#waiting.size));
    if (wanted === this.#attached && messages === this.#attachedMessages) return;
    this.#attached = wanted;
    this.#attachedMessages = messages;
    this.runtime.setDispatch(wanted ? this.#dispatch : undefined, { messages });
  }

  /** Whether anyone takes events: a `message` or `agent_request` listener, or a loop. */
  #wanted(): boolean {
    return this.listenerCount('agent_request') > 0 || this.#takesMessages();
  }

  /** Whether anyone takes messages: a `message` listener or a loop. */
  #takesMessages(): boolean {
    return this.listenerCount('message') + this.#streams.size > 0;
  }

  #emitStatus(status: AccountStatus): void {
    try {
      this.emit('status', status);
    } catch (error) {
      this.#report(asError(error), { accountId: this.accountId });
    }
  }

  /** Emits `error` when someone listens (an unhandled `error` would crash the host), else logs. */
  #report(error: Error, detail: AgentErrorDetail): void {
    const fields = { err: error, ...(detail.messageId ? { messageId: detail.messageId } : {}) };
    if (this.listenerCount('error') === 0) {
      this.#logger.error(fields, 'agent error (add an error listener to handle it)');
      return;
    }
    try {
      this.emit('error', error, detail);
    } catch (listenerError) {
      this.#logger.error({ err: listenerError }, 'an error listener threw');
    }
  }
}

/**
 * Creates an agent for one TIM account; add `message` (and `agent_request`) listeners, then
 * `start()` it.
 *
 * ```js
 * const agent = createAgent({ accountId: 'echo', server, credentials });
 * agent.on('message', (event) => `You said: ${event.text}`);
 * await agent.start();
 * ```
 *
 * @throws ConfigError when the account configuration is invalid (every problem listed).
 */
export function createAgent(options: AgentOptions): Agent {
  return new Agent(options);
}

/** The core event as listeners see it: the same fields, with `reply` and `signal` of its dispatch. */
function toAgentEvent(event: InboundEvent, ctx: DispatchContext): AgentEvent {
  return { ...event, reply: (content) => ctx.reply(content), signal: ctx.signal } as AgentEvent;
}

function idOf(event: InboundEvent): { messageId?: string } {
  const messageId = event.messages.at(-1)?.id;
  return messageId === undefined ? {} : { messageId };
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
