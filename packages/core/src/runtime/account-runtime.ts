import { captureRejectionSymbol, EventEmitter } from 'node:events';
import { type AgentRequests, createAgentRequests } from '../agents/agent-requests.js';
import { isAgentEnvelope } from '../agents/envelope.js';
import { type AccountConfig, parseAccountConfig } from '../config/account-config.js';
import { conversationKey } from '../conversation/conversation-ref.js';
import {
  type CredentialManager,
  createCredentialManager,
  type TimCredentials,
} from '../credentials/credential-manager.js';
import { ClawlinkError } from '../errors/clawlink-error.js';
import { CredentialError } from '../errors/credential-error.js';
import { StateStoreError } from '../errors/state-store-error.js';
import { TimError } from '../errors/tim-error.js';
import { outOfFileDescriptors, tooManyOpenFilesAdvice } from '../errors/too-many-open-files.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { redactingLogger } from '../logging/redacting-logger.js';
import type { Dispatch } from '../pipeline/inbound-event.js';
import type { InboundPipeline } from '../pipeline/inbound-pipeline.js';
import { createPipelineMetrics, type PipelineMetricsSnapshot } from '../pipeline/metrics.js';
import { mergePipelineConfig, type PipelineConfigInput } from '../pipeline/pipeline-config.js';
import { isTypingStatus } from '../pipeline/typing-indicator.js';
import { openSqliteStateStore } from '../state/sqlite-state-store.js';
import type { LedgerAdmission, StateStore } from '../state/state-store.js';
import { listChannels } from '../tim/channels.js';
import {
  createTimClient,
  type KickReason,
  type TimClient,
  type TimMessage,
} from '../tim/tim-client.js';
import type { AccountStatus } from './account-status.js';
import { ChannelOperations } from './channel-operations.js';
import { type Clock, systemClock } from './clock.js';
import { ConnectionSupervisor } from './connection-supervisor.js';
import { MessageOperations } from './message-operations.js';
import {
  createRuntimePipeline,
  dispatchAgentRequest,
  runtimeCatchUpSource,
} from './runtime-pipeline.js';
import { describeKick, nextStatus, type StatusEvent } from './status-transitions.js';

/** TIM's error code for an expired UserSig. */
const TIM_USER_SIG_EXPIRED = 70001;
/** TIM's error code for a request refused as illegal: in practice, a session it no longer knows. */
const TIM_INVALID_REQUEST = 10008;

/**
 * How long the TIM SDK may try to restore a dropped connection on its own before the runtime
 * replaces the client and logs in afresh (`reconnect.graceMs`). When the SDK gives up sooner
 * (it does for a socket that closes within a second of opening), the runtime does not wait.
 */
const DEFAULT_RECONNECT_GRACE_MS = 20_000;

/** Options for {@link createAccountRuntime}. */
export interface AccountRuntimeOptions {
  /** The account's configuration; validated at once (a bad one throws `ConfigError`). */
  config: unknown;
  /** Where the runtime logs; secrets are never passed to it. Defaults to silence. */
  logger?: Logger;
  /** A state store to use instead of the account's SQLite file (e.g. an in-memory one). */
  store?: StateStore;
  /** Time source and timers; defaults to the system clock. */
  clock?: Clock;
  /** `fetch` for the credential exchange; defaults to the global one. */
  fetch?: typeof fetch;
  /**
   * The host's function that answers inbound messages and agent requests (see `Dispatch`).
   * With one, the runtime runs the inbound pipeline: ledger, gate, queue, dispatch, replies,
   * catch-up. Without one, inbound messages are `message` events and `markHandled` is the
   * host's job. Can also be set later with `setDispatch`.
   */
  dispatch?: Dispatch;
  /**
   * Called before each inbound message is gated, for hosts that read their own config per
   * message (OpenClaw publishes edits without telling plugins): call `runtime.updateConfig`
   * in it and the edit applies to this very message. It runs for every message, so keep it
   * cheap (compare a config snapshot's identity first); if it throws, the error is logged and
   * the message is gated with the config as it was.
   */
  refreshConfig?: (runtime: AccountRuntime) => void;
}

/** Options of {@link AccountRuntime.setDispatch}. */
export interface SetDispatchOptions {
  /**
   * Whether the dispatch takes inbound messages (default `true`). `false`: it answers agent
   * requests only, and messages wait unhandled for a dispatch that takes them.
   */
  messages?: boolean;
}

/** An inbound message from someone else, delivered to this account's `message` listeners. */
export interface InboundMessage extends TimMessage {
  readonly accountId: string;
}

/** Events of an {@link AccountRuntime}. */
export interface AccountRuntimeEvents {
  /** Every change of {@link AccountStatus}. */
  status: [AccountStatus];
  /**
   * A message from someone else that is not handled yet: the first time it arrives, and again
   * when TIM delivers it again after it was seen but never handled (e.g. a crash before
   * `markHandled`). A message in flight in this run, handled or failed is not delivered again.
   */
  message: [InboundMessage];
  /**
   * Something went wrong that the runtime works around but the host should know of: the
   * state store failed while recording an inbound message (a `StateStoreError`; the message is
   * delivered anyway), or a `message`/`status`/`kicked` listener threw or rejected. Always
   * logged too; without an `error` listener it is logged at error level instead of emitted.
   */
  error: [error: Error, detail: { accountId: string; messageId?: string }];
  /** The session was taken over by another login or an admin. */
  kicked: [{ accountId: string; reason: KickReason }];
}

/**
 * One TIM account: its state store, credentials and TIM connection.
 *
 * `start()` never throws for credential problems: without usable credentials the runtime is
 * *half-alive* (store open, no connection, `status().reason` says why) and keeps trying in the
 * background as the reason allows. Operations connect lazily through {@link ensureConnected};
 * concurrent callers share one login. A lost connection comes back on its own; an expired
 * UserSig is replaced with a new one; a kick by another login of the same user is reported
 * and, by default, not fought over.
 */
export class AccountRuntime extends EventEmitter<AccountRuntimeEvents> {
  readonly accountId: string;
  /** Channel operations: list, search, get, join, leave, members, create, skill, custom fields. */
  readonly channels: ChannelOperations;
  /** Message operations: send to a channel, send directly to a user, read history. */
  readonly messages: MessageOperations;

  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #options: AccountRuntimeOptions;
  #status: AccountStatus;
  #started = false;
  #store: StateStore | undefined;
  #credentials: CredentialManager | undefined;
  #client: TimClient | undefined;
  #userSigInUse: string | undefined;
  #connecting: Promise<TimClient> | undefined;
  /**
   * The session check running ({@link #confirmSession}): the client it checks, and whether a
   * restored connection waits on it to be reported connected.
   */
  #checking: { client: TimClient; restored: boolean } | undefined;
  #stopping: Promise<void> | undefined;
  /** The retry, refresh and grace timers, and the backoff count. */
  readonly #supervisor: ConnectionSupervisor;
  /** Set after a kick when `onKicked` is `stop`: no login until `resume()`. */
  #kickedBy: KickReason | undefined;
  /** Ids of messages delivered in this run and not yet marked handled. */
  readonly #inFlight = new Set<string>();
  #config: AccountConfig;
  #dispatch: Dispatch | undefined;
  /** Whether the dispatch takes inbound messages too, not only agent requests. */
  #dispatchTakesMessages = true;
  /** The inbound pipeline, while started with a dispatch that takes messages. */
  #pipeline: InboundPipeline | undefined;
  /** Agent-to-agent requests, while started. */
  #agents: AgentRequests | undefined;

  constructor(options: AccountRuntimeOptions) {
    // A listener's rejected promise is reported (see #report), never an unhandled rejection.
    super({ captureRejections: true });
    this.#config = parseAccountConfig(options.config);
    this.#dispatch = options.dispatch;
    this.accountId = this.#config.accountId;
    this.#options = options;
    // A logger from the user gets only redacted lines, whatever logged them (the runtime, the
    // TIM layer, a host's dispatch through ctx.logger).
    this.#logger = redactingLogger(options.logger ?? silentLogger).child({
      accountId: this.accountId,
    });
    this.#clock = options.clock ?? systemClock;
    this.#supervisor = new ConnectionSupervisor(this.#clock);
    this.#status = { accountId: this.accountId, state: 'stopped', since: this.#clock.now() };
    const context = {
      connect: () => this.ensureConnected(),
      store: () => this.store,
      now: () => this.#clock.now(),
    };
    this.channels = new ChannelOperations(context);
    this.messages = new MessageOperations(context);
  }

  /** The current status; every change is also emitted as a `status` event. */
  status(): AccountStatus {
    return this.#status;
  }

  /** The account's configuration, validated, with defaults applied. */
  get config(): AccountConfig {
    return this.#config;
  }

  /**
   * Agent-to-agent requests: `request(userId, task, options)`, `pending()`, `result(id)`.
   * Throws `STOPPED` before `start()`.
   */
  get agents(): AgentRequests {
    if (!this.#agents) throw this.#notStarted();
    return this.#agents;
  }

  /**
   * Attaches the host's dispatch (or replaces it); `undefined` detaches it, after which inbound
   * messages are `message` events again and nothing is answered or marked handled. Hosts that
   * build their agent from tools over this runtime attach it once both exist.
   *
   * With `{ messages: false }` the dispatch answers agent requests only: inbound messages are
   * not taken (they are `message` events, as without a dispatch, and stay unhandled), and the
   * next call that takes messages again catches them up (after the time the account was last
   * online, within `catchUp.maxAgeMs`). Events being answered when the messages are let go are
   * aborted and stay unhandled too.
   */
  setDispatch(dispatch: Dispatch | undefined, options: SetDispatchOptions = {}): void {
    this.#dispatch = dispatch;
    this.#dispatchTakesMessages = options.messages ?? true;
    if (!dispatch || !this.#dispatchTakesMessages) {
      const pipeline = this.#pipeline;
      this.#pipeline = undefined;
      pipeline?.stop().catch(() => {});
      return;
    }
    if (this.#started && !this.#pipeline) {
      this.#pipeline = this.#createPipeline();
      if (this.#client?.isReady) this.#catchUp();
    }
  }

  /**
   * Changes the inbound pipeline's settings (`groups`, `direct`, `debounce`, `catchUp`,
   * `dispatch`, `replies`, `stream`) while running; the next message sees them. Objects merge
   * deeply, arrays replace. Throws `ConfigError` listing every problem (nothing changes then).
   */
  updateConfig(partial: PipelineConfigInput): void {
    const { groups, direct, debounce, catchUp, dispatch, replies, stream } = this.#config;
    const current = { groups, direct, debounce, catchUp, dispatch, replies, stream };
    this.#config = { ...this.#config, ...mergePipelineConfig(current, partial) };
  }

  /** The inbound pipeline's counters (all zero without a dispatch). */
  metrics(): PipelineMetricsSnapshot {
    return this.#pipeline?.metrics() ?? createPipelineMetrics().snapshot();
  }

  /** The account's state store; throws `STOPPED` before `start()`. */
  get store(): StateStore {
    if (!this.#store) throw this.#notStarted();
    return this.#store;
  }

  /**
   * Opens the state store and tries to connect once. Resolves connected or half-alive; throws
   * only when the state store cannot be opened (`StateStoreError`). Idempotent.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    // Synchronous up to the first login when not stopping: an ensureConnected() or stop()
    // called right after start() then sees the started runtime and its login.
    if (this.#stopping) await this.#stopping;
    if (this.#started) return;
    this.#started = true;
    this.#kickedBy = undefined;
    this.#inFlight.clear();
    this.#supervisor.resetBackoff();
    try {
      this.#store =
        this.#options.store ??
        // A new account's file gets its database at its first write (an existing file is
        // opened, or refused when damaged, now): starting thousands of new accounts stays cheap.
        openSqliteStateStore({
          accountId: this.accountId,
          stateDir: this.config.stateDir,
          openAtFirstWrite: true,
        });
    } catch (error) {
      this.#started = false;
      throw error;
    }
    this.#agents = this.#createAgents(this.#store);
    if (this.#dispatch && this.#dispatchTakesMessages) this.#pipeline = this.#createPipeline();
    this.#credentials = createCredentialManager({
      source: this.config.credentials,
      logger: this.#logger,
      now: () => this.#clock.now(),
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
      backoff: this.config.credentialRetry,
    });
    this.#transition({ type: 'start' });
    await this.ensureConnected().catch(() => {
      // Reflected in status(); a retry is scheduled where the reason allows one.
    });
  }

  /**
   * Resolves with a ready TIM client, logging in first when needed. Concurrent callers share
   * one login. Rejects with `CredentialError` (no usable credentials), `TimError` (login
   * failed), or `ClawlinkError` with code `STOPPED` or `KICKED`.
   */
  ensureConnected(): Promise<TimClient> {
    if (!this.#started) return Promise.reject(this.#notStarted());
    if (this.#client?.isReady) return Promise.resolve(this.#client);
    if (this.#kickedBy) {
      return Promise.reject(
        new ClawlinkError(
          'KICKED',
          `Account '${this.accountId}' was signed out because ${describeKick(this.#kickedBy)}. ` +
            'It does not fight over the session: call resume() to log in again, or set onKicked: "reconnect".',
        ),
      );
    }
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /** Logs in again after a kick (when `onKicked` is `stop`). */
  async resume(): Promise<void> {
    this.#kickedBy = undefined;
    await this.ensureConnected();
  }

  /**
   * Marks an inbound message handled and advances its conversation's watermark, so a restart
   * neither re-delivers it nor catches up before it.
   */
  markHandled(message: Pick<InboundMessage, 'id' | 'conversation' | 'time' | 'seq'>): void {
    const store = this.store;
    store.markHandled(message.id);
    this.#inFlight.delete(message.id);
    store.advanceWatermark(conversationKey(message.conversation), {
      time: message.time,
      messageId: message.id,
      ...(message.seq === undefined ? {} : { seq: message.seq }),
    });
    // Durable on return (the store batches writes): a crash now keeps it handled.
    store.flush();
  }

  /** Disconnects, clears every timer and closes the store it opened. Idempotent. */
  stop(): Promise<void> {
    if (!this.#started) return this.#stopping ?? Promise.resolve();
    this.#started = false;
    this.#supervisor.cancelAll();
    const client = this.#client;
    this.#client = undefined;
    const pipeline = this.#pipeline;
    this.#pipeline = undefined;
    this.#agents?.stop();
    this.#agents = undefined;
    this.#stopping = (async () => {
      await pipeline?.stop().catch((error: unknown) => {
        this.#logger.warn({ err: error }, 'the inbound pipeline did not stop cleanly');
      });
      await client?.destroy().catch((error: unknown) => {
        this.#logger.warn({ err: error }, 'TIM client did not shut down cleanly');
      });
      await this.#connecting?.catch(() => {});
      if (!this.#options.store) this.#store?.close();
      this.#store = undefined;
      this.#credentials = undefined;
      this.#transition({ type: 'stopped' });
    })().finally(() => {
      this.#stopping = undefined;
    });
    return this.#stopping;
  }

  /**
   * A request of the pipeline was refused with 10008: when it was the current client's session
   * that TIM no longer knows ({@link #confirmSession} tells), the runtime logs in afresh.
   */
  #onRequestRefused(): void {
    const client = this.#client;
    if (client?.isReady && this.#started) this.#confirmSession(client, { restored: false });
  }

  /** After every (re)connect: the pipeline catches up on what was missed meanwhile. */
  #catchUp(): void {
    const source = runtimeCatchUpSource(this, () => this.#onRequestRefused());
    this.#pipeline?.catchUp(source).catch(() => {});
  }

  #createPipeline(): InboundPipeline {
    return createRuntimePipeline(this, {
      dispatch: (event, ctx) => {
        const dispatch = this.#dispatch;
        return dispatch ? dispatch(event, ctx) : undefined;
      },
      config: () => this.#config,
      selfUserId: () => this.#client?.userId ?? this.status().userId,
      ...(this.#options.refreshConfig
        ? { refreshConfig: () => this.#options.refreshConfig?.(this) }
        : {}),
      store: () => this.store,
      clock: this.#clock,
      logger: this.#logger,
      onError: (error) => {
        this.#report(error, error.message);
        // The message stays unrecorded: the connection pauses and catch-up delivers it again.
        if (StateStoreError.isInstance(error)) this.#onStoreError(error);
      },
      isAgentEnvelope: isAgentMessage,
      onAgentEnvelope: (message) => this.#handleEnvelope(message),
      onSessionRefused: () => this.#onRequestRefused(),
    });
  }

  #createAgents(store: StateStore): AgentRequests {
    return createAgentRequests({
      store,
      config: this.#config.agentRequests,
      clock: this.#clock,
      logger: this.#logger,
      sendDirect: (userId, custom) => this.messages.send({ type: 'c2c', id: userId }, { custom }),
      dispatch: (request, { signal }) => {
        const dispatch = this.#dispatch;
        if (!dispatch) {
          return Promise.reject(
            new Error('This agent takes no requests right now (it has no dispatch attached).'),
          );
        }
        return dispatchAgentRequest(this, dispatch, request, {
          signal,
          logger: this.#logger,
          now: this.#clock.now(),
        });
      },
    });
  }

  #handleEnvelope(message: TimMessage): Promise<void> {
    const agents = this.#agents;
    if (!agents || !message.custom) return Promise.resolve();
    return agents.handleEnvelope(message.from, message.custom);
  }

  #notStarted(): ClawlinkError {
    return new ClawlinkError(
      'STOPPED',
      `Account '${this.accountId}' is not started; call start() first.`,
    );
  }

  async #connect(): Promise<TimClient> {
    this.#supervisor.cancel('retry');
    const credentials = this.#credentials!;
    this.#transition({ type: 'connecting' });
    try {
      let creds = await credentials.getCredentials();
      let client: TimClient;
      try {
        client = await this.#login(creds);
      } catch (error) {
        if (!(TimError.isInstance(error) && error.timCode === TIM_USER_SIG_EXPIRED)) throw error;
        this.#logger.info('UserSig refused as expired at login; fetching a new one');
        credentials.invalidate();
        creds = await credentials.getCredentials();
        client = await this.#login(creds);
      }
      this.#supervisor.resetBackoff();
      this.#transition({ type: 'connected', userId: creds.userId });
      this.#scheduleRefresh();
      return client;
    } catch (error) {
      if (!this.#started) {
        throw new ClawlinkError(
          'STOPPED',
          `Account '${this.accountId}' was stopped while connecting.`,
          {
            cause: error,
          },
        );
      }
      this.#onConnectFailure(error);
      throw error;
    }
  }

  async #login(creds: TimCredentials): Promise<TimClient> {
    this.#dropClient();
    // stop() may have run while the credentials were obtained: it had no client to cut then.
    if (!this.#started) {
      throw new ClawlinkError(
        'STOPPED',
        `Account '${this.accountId}' was stopped while connecting.`,
      );
    }
    const client = createTimClient({
      sdkAppId: creds.sdkAppId,
      logger: this.#logger,
      clock: this.#clock,
      ...(this.config.server ? { server: this.config.server } : {}),
    });
    this.#client = client;
    this.#userSigInUse = creds.userSig;
    this.#wire(client);
    try {
      await client.login({ userId: creds.userId, userSig: creds.userSig });
    } catch (error) {
      if (this.#client === client) this.#dropClient();
      throw error;
    }
    if (this.#client !== client) {
      await client.destroy().catch(() => {});
      throw new ClawlinkError(
        'STOPPED',
        `Account '${this.accountId}' was stopped while logging in.`,
      );
    }
    return client;
  }

  #wire(client: TimClient): void {
    const current = () => this.#client === client && this.#started;
    /** The SDK's last reported network state, to tell a given-up connection from a retry. */
    let network: string | undefined;
    /** Whether login() finished: a later `ready` is the SDK restoring the connection itself. */
    let loggedIn = false;
    client.on('ready', () => {
      if (!current()) return;
      this.#supervisor.cancel('grace');
      // Catching up at once holds the live messages that follow until the history is through.
      if (!loggedIn) {
        loggedIn = true;
        this.#transition({ type: 'connected', userId: client.userId ?? '' });
        this.#catchUp();
        return;
      }
      this.#catchUp();
      this.#confirmSession(client, { restored: true });
    });
    client.on('network', ({ state }) => {
      network = state;
      if (!current() || state === 'connected') return;
      if (this.#status.state === 'connected') {
        this.#transition({ type: 'network_lost' });
        this.#startGrace(client);
      }
      // tim-js-sdk gives up on a socket that closed within a second of opening: it reports
      // `disconnected` and, unlike a retry (`disconnected` then at once `connecting`), nothing
      // follows. Seen from the next turn of the event loop, no fixed wait.
      if (state === 'disconnected') {
        setImmediate(() => {
          if (current() && network === 'disconnected' && !client.isReady) this.#onGaveUp(client);
        });
      }
    });
    client.on('credential_expired', () => {
      if (!current()) return;
      this.#logger.info('UserSig expired during the session; fetching a new one and reconnecting');
      if (this.#credentials?.cached?.userSig === this.#userSigInUse)
        this.#credentials?.invalidate();
      this.#dropClient();
      this.#transition({ type: 'credential_expired' });
      this.ensureConnected().catch(() => {});
    });
    client.on('kicked', ({ reason }) => {
      if (!current() || reason === 'userSigExpired') return;
      // The client tears its SDK instance down once the SDK's kick dispatch has returned.
      this.#dropClient();
      this.emit('kicked', { accountId: this.accountId, reason });
      const reconnect = this.config.onKicked === 'reconnect';
      if (!reconnect) this.#kickedBy = reason;
      this.#transition({ type: 'kicked', reason, reconnect });
      if (reconnect) this.#scheduleRetry(this.#supervisor.nextBackoff(this.config.reconnect));
    });
    client.on('message', (message) => {
      if (!current()) return;
      if (this.#pipeline) this.#pipeline.accept(message);
      else if (isAgentMessage(message)) this.#handleEnvelope(message);
      else this.#ingest(client, message);
    });
  }

  #ingest(client: TimClient, message: TimMessage): void {
    // Own messages (sent from another session), group tips and typing statuses are not
    // conversation.
    if (message.from === client.userId || message.kind === 'system' || isTypingStatus(message)) {
      return;
    }
    const messageId = message.id;
    let admission: LedgerAdmission;
    try {
      admission = this.#store!.recordSeen({
        messageId,
        conversationId: conversationKey(message.conversation),
        time: message.time,
        ...(message.seq === undefined ? {} : { seq: message.seq }),
      });
      // Durable before the host sees it (the store batches writes).
      this.#store!.flush();
    } catch (error) {
      // Never a silent drop: without the ledger the message is delivered (at least once).
      this.#report(
        StateStoreError.isInstance(error)
          ? error
          : new StateStoreError(
              `Could not record inbound message '${messageId}' in the ledger; it is delivered anyway.`,
              { operation: 'recordSeen', file: this.#store?.file, cause: error },
            ),
        `could not record inbound message ${messageId} in the ledger; delivering it anyway`,
        messageId,
      );
      admission = 'new';
    }
    if (admission === 'handled' || admission === 'failed') {
      this.#logger.debug({ messageId, status: admission }, 'duplicate inbound message dropped');
      return;
    }
    if (this.#inFlight.has(messageId)) {
      this.#logger.debug({ messageId }, 'inbound message already in flight; not delivered again');
      return;
    }
    this.#inFlight.add(messageId);
    try {
      this.emit('message', { ...message, accountId: this.accountId });
    } catch (error) {
      this.#report(error, `a message listener threw for message ${messageId}`, messageId);
    }
  }

  /** A listener's promise rejected (`captureRejections`): reported like a thrown error. */
  override [captureRejectionSymbol]<K>(
    error: Error,
    event: keyof AccountRuntimeEvents | K,
    ...args: K extends keyof AccountRuntimeEvents ? AccountRuntimeEvents[K] : never
  ): void {
    const messageId = event === 'message' ? (args[0] as InboundMessage | undefined)?.id : undefined;
    this.#report(error, `a ${String(event)} listener failed`, messageId);
  }

  /**
   * Logs a problem the runtime works around and emits it as an `error` event when someone
   * listens (an unhandled `error` event would crash the host), else logs it at error level.
   */
  #report(error: unknown, what: string, messageId?: string): void {
    const err = error instanceof Error ? error : new Error(String(error));
    const fields = { err, ...(messageId === undefined ? {} : { messageId }) };
    if (this.listenerCount('error') === 0) {
      this.#logger.error(fields, what);
      return;
    }
    this.#logger.warn(fields, what);
    try {
      this.emit('error', err, {
        accountId: this.accountId,
        ...(messageId === undefined ? {} : { messageId }),
      });
    } catch (listenerError) {
      this.#logger.error({ err: listenerError }, 'an error listener threw');
    }
  }

  #onConnectFailure(error: unknown): void {
    if (CredentialError.isInstance(error)) {
      this.#transition({ type: 'credential_failed', reason: error.reason, detail: error.message });
      if (error.retryable) {
        this.#scheduleRetry(
          error.retryAfterMs ?? this.#supervisor.nextBackoff(this.config.credentialRetry),
        );
      }
      return;
    }
    if (TimError.isInstance(error) && error.code === 'CREDENTIALS_UNAVAILABLE') {
      // A UserSig refused as expired twice in a row: a source that signs or fetches new ones
      // can still renew it (e.g. a clock a little behind TIM's): try again with backoff.
      if (error.timCode === TIM_USER_SIG_EXPIRED && this.#credentials?.source !== 'static') {
        this.#credentials?.invalidate();
        this.#transition({ type: 'credential_expired' });
        this.#scheduleRetry(this.#supervisor.nextBackoff(this.config.reconnect));
        return;
      }
      this.#transition({ type: 'credential_failed', reason: 'invalid', detail: error.message });
      return;
    }
    // The SDK hides why its socket did not open; out of descriptors is worth saying plainly.
    const message = outOfFileDescriptors()
      ? tooManyOpenFilesAdvice('the connection to TIM could not be opened')
      : error instanceof Error
        ? error.message
        : String(error);
    this.#transition({
      type: 'login_failed',
      reason:
        ClawlinkError.isInstance(error) && error.code === 'TIM_ERROR' ? 'login_failed' : 'network',
      detail: `Could not log in to TIM: ${message}`,
    });
    this.#scheduleRetry(this.#supervisor.nextBackoff(this.config.reconnect));
  }

  #scheduleRetry(delayMs: number): void {
    this.#transition({ type: 'retry_scheduled', at: this.#clock.now() + delayMs });
    this.#supervisor.schedule('retry', delayMs, () => {
      if (this.#started) this.ensureConnected().catch(() => {});
    });
  }

  /** Fetches fresh credentials ahead of expiry, so a re-login after expiry is immediate. */
  #scheduleRefresh(): void {
    this.#supervisor.cancel('refresh');
    const at = this.#credentials?.refreshAt();
    if (at === undefined) return;
    this.#supervisor.schedule('refresh', Math.max(0, at - this.#clock.now()), () => {
      this.#credentials
        ?.getCredentials()
        .then(() => this.#scheduleRefresh())
        .catch((error: unknown) => {
          this.#logger.warn({ err: error }, 'Could not refresh credentials ahead of expiry');
        });
    });
  }

  /**
   * Makes sure TIM still knows the session of `client`; once the SDK `restored` a connection,
   * then reports it connected. Needed because the SDK restores a connection on
   * its own by logging in again with its session key and ignores a refusal (the session ended
   * meanwhile: a kick or a TIM restart while it was away), after which TIM refuses every
   * request with 10008. One request tells; refused, the runtime logs in afresh. Also run when a
   * request of the pipeline was refused with 10008. One check at a time per client.
   */
  #confirmSession(client: TimClient, { restored }: { restored: boolean }): void {
    if (this.#checking?.client === client) {
      this.#checking.restored ||= restored;
      return;
    }
    const check = { client, restored };
    this.#checking = check;
    void listChannels(client)
      .then(
        () => {
          if (!check.restored || this.#client !== client || !this.#started) return;
          if (!client.isReady) return;
          this.#supervisor.resetBackoff();
          this.#transition({ type: 'connected', userId: client.userId ?? '' });
        },
        (error: unknown) => {
          if (this.#client !== client || !this.#started) return;
          if (TimError.isInstance(error) && error.timCode === TIM_INVALID_REQUEST) {
            this.#onSessionRefused(client);
            return;
          }
          // Anything else (the connection dropped again, a slow TIM) says nothing about the
          // session: a restored connection is reported, and the next `ready` checks again.
          if (!check.restored || !client.isReady) return;
          this.#transition({ type: 'connected', userId: client.userId ?? '' });
        },
      )
      .finally(() => {
        if (this.#checking === check) this.#checking = undefined;
      });
  }

  /** TIM no longer knows the session of `client`: the runtime logs in afresh. */
  #onSessionRefused(client: TimClient): void {
    this.#logger.warn(
      'TIM no longer knows the session (10008: it ended while the connection was away); logging in again',
    );
    this.#transition({
      type: 'login_failed',
      reason: 'login_failed',
      detail:
        'TIM no longer knows this session (it ended while the connection was away: a kick or a TIM restart); logging in again.',
    });
    if (this.#client === client) this.#replaceClient();
  }

  /** Gives the SDK's own reconnect `reconnect.graceMs`, then replaces the client. */
  #startGrace(client: TimClient): void {
    const graceMs = this.config.reconnect.graceMs ?? DEFAULT_RECONNECT_GRACE_MS;
    this.#supervisor.schedule('grace', graceMs, () => {
      if (this.#client !== client || client.isReady || !this.#started) return;
      this.#logger.warn('TIM did not reconnect on its own; replacing the client');
      this.#replaceClient();
    });
  }

  /** The SDK stopped restoring the connection: log in afresh now, not after the grace. */
  #onGaveUp(client: TimClient): void {
    this.#logger.warn('TIM gave up restoring the connection; logging in again');
    this.#transition({ type: 'network_given_up' });
    if (this.#client === client) this.#replaceClient();
  }

  #replaceClient(): void {
    this.#dropClient();
    this.ensureConnected().catch(() => {});
  }

  /**
   * For a state store failure while running (e.g. recording an inbound message): status says
   * so (`half-alive`, `store_error`), and the connection is dropped so that no message is taken
   * that cannot be recorded; a login is tried again with the reconnect backoff.
   */
  #onStoreError(error: unknown): void {
    if (!this.#started) return;
    const message = error instanceof Error ? error.message : String(error);
    this.#logger.error({ err: error }, 'The state store failed; pausing the TIM connection');
    this.#dropClient();
    this.#transition({
      type: 'store_error',
      detail: `The state store failed: ${message}. Retrying; check the state directory (disk space, permissions).`,
    });
    this.#scheduleRetry(this.#supervisor.nextBackoff(this.config.reconnect));
  }

  #dropClient(): void {
    const client = this.#client;
    if (!client) return;
    this.#client = undefined;
    this.#supervisor.cancel('grace');
    client.destroy().catch((error: unknown) => {
      this.#logger.debug({ err: error }, 'destroying a replaced TIM client failed');
    });
  }

  /** Applies `event` to the status ({@link nextStatus}); logs and emits a real change. */
  #transition(event: StatusEvent): void {
    const previous = this.#status;
    const next = nextStatus(previous, event, this.#clock.now());
    if (next === previous) return;
    this.#status = next;
    if (next.state !== previous.state || next.reason !== previous.reason) {
      const { state, reason } = next;
      this.#logger.info({ state, reason }, `account ${state}${reason ? ` (${reason})` : ''}`);
    }
    this.emit('status', next);
  }
}

/** A one-to-one custom message carrying a clawlink agent request or response. */
function isAgentMessage(message: TimMessage): boolean {
  return (
    message.conversation.type === 'c2c' &&
    message.kind === 'custom' &&
    isAgentEnvelope(message.custom)
  );
}

/** Creates the runtime of one account; call `start()` to open it. */
export function createAccountRuntime(options: AccountRuntimeOptions): AccountRuntime {
  return new AccountRuntime(options);
}
