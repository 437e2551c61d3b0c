import { EventEmitter } from 'node:events';
import { type AccountConfig, parseAccountConfig } from '../config/account-config.js';
import { backoffDelay } from '../credentials/backoff.js';
import {
  type CredentialManager,
  createCredentialManager,
  type TimCredentials,
} from '../credentials/credential-manager.js';
import { ClawlinkError } from '../errors/clawlink-error.js';
import { CredentialError } from '../errors/credential-error.js';
import { TimError } from '../errors/tim-error.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { openSqliteStateStore } from '../state/sqlite-state-store.js';
import type { StateStore } from '../state/state-store.js';
import {
  createTimClient,
  type KickReason,
  type TimClient,
  type TimMessage,
} from '../tim/tim-client.js';
import type { AccountState, AccountStatus, AccountStatusReason } from './account-status.js';
import { ChannelOperations } from './channel-operations.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import { MessageOperations } from './message-operations.js';

/** TIM's error code for an expired UserSig. */
const TIM_USER_SIG_EXPIRED = 70001;

/**
 * How long the TIM SDK may try to restore a dropped connection on its own before the runtime
 * replaces the client and reconnects with its own capped backoff.
 */
const SDK_RECONNECT_GRACE_MS = 20_000;

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
}

/** An inbound message seen for the first time by this account. */
export interface InboundMessage extends TimMessage {
  readonly accountId: string;
  /** The ledger's conversation key: `group:<groupId>` or `c2c:<userId>`. */
  readonly ledgerConversationId: string;
}

/** Events of an {@link AccountRuntime}. */
export interface AccountRuntimeEvents {
  /** Every change of {@link AccountStatus}. */
  status: [AccountStatus];
  /** A message from someone else, first time seen (duplicates are dropped by the ledger). */
  message: [InboundMessage];
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
  readonly config: AccountConfig;
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
  #stopping: Promise<void> | undefined;
  #failures = 0;
  readonly #timers = new Map<'retry' | 'refresh' | 'grace', TimerHandle>();
  /** Set after a kick when `onKicked` is `stop`: no login until `resume()`. */
  #kickedBy: KickReason | undefined;

  constructor(options: AccountRuntimeOptions) {
    super();
    this.config = parseAccountConfig(options.config);
    this.accountId = this.config.accountId;
    this.#options = options;
    this.#logger = (options.logger ?? silentLogger).child({ accountId: this.accountId });
    this.#clock = options.clock ?? systemClock;
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
    await this.#stopping;
    this.#started = true;
    this.#kickedBy = undefined;
    this.#failures = 0;
    try {
      this.#store =
        this.#options.store ??
        openSqliteStateStore({ accountId: this.accountId, stateDir: this.config.stateDir });
    } catch (error) {
      this.#started = false;
      throw error;
    }
    this.#credentials = createCredentialManager({
      source: this.config.credentials,
      logger: this.#logger,
      now: () => this.#clock.now(),
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
      backoff: this.config.credentialRetry,
    });
    this.#setStatus('connecting');
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
  markHandled(message: Pick<InboundMessage, 'id' | 'ledgerConversationId' | 'time' | 'seq'>): void {
    const store = this.store;
    store.markHandled(message.id);
    store.advanceWatermark(message.ledgerConversationId, {
      time: message.time,
      messageId: message.id,
      ...(message.seq === undefined ? {} : { seq: message.seq }),
    });
  }

  /** Disconnects, clears every timer and closes the store it opened. Idempotent. */
  stop(): Promise<void> {
    if (!this.#started) return this.#stopping ?? Promise.resolve();
    this.#started = false;
    this.#clearTimers();
    const client = this.#client;
    this.#client = undefined;
    this.#stopping = (async () => {
      await client?.destroy().catch((error: unknown) => {
        this.#logger.warn({ err: error }, 'TIM client did not shut down cleanly');
      });
      await this.#connecting?.catch(() => {});
      if (!this.#options.store) this.#store?.close();
      this.#store = undefined;
      this.#credentials = undefined;
      this.#setStatus('stopped');
    })().finally(() => {
      this.#stopping = undefined;
    });
    return this.#stopping;
  }

  #notStarted(): ClawlinkError {
    return new ClawlinkError(
      'STOPPED',
      `Account '${this.accountId}' is not started; call start() first.`,
    );
  }

  async #connect(): Promise<TimClient> {
    this.#clearTimer('retry');
    const credentials = this.#credentials!;
    if (this.#status.state !== 'reconnecting') this.#setStatus('connecting', this.#status.reason);
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
      this.#failures = 0;
      this.#setStatus('connected', undefined, undefined, creds.userId);
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
    const client = createTimClient({
      sdkAppId: creds.sdkAppId,
      logger: this.#logger,
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
    client.on('ready', () => {
      if (!current()) return;
      this.#clearTimer('grace');
      this.#failures = 0;
      if (this.#status.state !== 'connected')
        this.#setStatus('connected', undefined, undefined, client.userId);
    });
    client.on('network', ({ state }) => {
      if (!current() || state === 'connected' || this.#status.state !== 'connected') return;
      this.#setStatus('reconnecting', 'network', 'The TIM connection was lost; reconnecting.');
      this.#startGrace(client);
    });
    client.on('credential_expired', () => {
      if (!current()) return;
      this.#logger.info('UserSig expired during the session; fetching a new one and reconnecting');
      if (this.#credentials?.cached?.userSig === this.#userSigInUse)
        this.#credentials?.invalidate();
      this.#dropClient();
      this.#setStatus(
        'reconnecting',
        'credential_expired',
        'The UserSig expired; logging in with a new one.',
      );
      this.ensureConnected().catch(() => {});
    });
    client.on('kicked', ({ reason }) => {
      if (!current() || reason === 'userSigExpired') return;
      this.#dropClient();
      this.emit('kicked', { accountId: this.accountId, reason });
      const detail = `Signed out because ${describeKick(reason)}.`;
      if (this.config.onKicked === 'reconnect') {
        this.#setStatus(
          'reconnecting',
          'kicked',
          `${detail} Logging in again (onKicked: "reconnect").`,
        );
        this.#scheduleRetry(this.#nextBackoff(this.config.reconnect));
      } else {
        this.#kickedBy = reason;
        this.#setStatus('half-alive', 'kicked', `${detail} Call resume() to log in again.`);
      }
    });
    client.on('message', (message) => {
      if (current()) this.#ingest(client, message);
    });
  }

  #ingest(client: TimClient, message: TimMessage): void {
    // Own messages (sent from another session) and group tips are not conversation.
    if (message.from === client.userId || message.kind === 'system') return;
    const ledgerConversationId = `${message.conversationType}:${message.conversationId}`;
    const isNew = this.#store!.recordSeen({
      messageId: message.id,
      conversationId: ledgerConversationId,
      time: message.time,
      ...(message.seq === undefined ? {} : { seq: message.seq }),
    });
    if (!isNew) return;
    this.emit('message', { ...message, accountId: this.accountId, ledgerConversationId });
  }

  #onConnectFailure(error: unknown): void {
    if (CredentialError.isInstance(error)) {
      this.#setStatus('half-alive', error.reason, error.message);
      if (error.retryable) {
        this.#scheduleRetry(error.retryAfterMs ?? this.#nextBackoff(this.config.credentialRetry));
      }
      return;
    }
    if (TimError.isInstance(error) && error.code === 'CREDENTIALS_UNAVAILABLE') {
      this.#setStatus('half-alive', 'invalid', error.message);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.#setStatus(
      'reconnecting',
      ClawlinkError.isInstance(error) && error.code === 'TIM_ERROR' ? 'login_failed' : 'network',
      `Could not log in to TIM: ${message}`,
    );
    this.#scheduleRetry(this.#nextBackoff(this.config.reconnect));
  }

  #nextBackoff(policy: { initialDelayMs: number; maxDelayMs: number }): number {
    return backoffDelay(this.#failures++, policy);
  }

  #scheduleRetry(delayMs: number): void {
    this.#status = { ...this.#status, retryAt: this.#clock.now() + delayMs };
    this.emit('status', this.#status);
    this.#setTimer('retry', delayMs, () => {
      if (this.#started) this.ensureConnected().catch(() => {});
    });
  }

  /** Fetches fresh credentials ahead of expiry, so a re-login after expiry is immediate. */
  #scheduleRefresh(): void {
    this.#clearTimer('refresh');
    const at = this.#credentials?.refreshAt();
    if (at === undefined) return;
    this.#setTimer('refresh', Math.max(0, at - this.#clock.now()), () => {
      this.#credentials
        ?.getCredentials()
        .then(() => this.#scheduleRefresh())
        .catch((error: unknown) => {
          this.#logger.warn({ err: error }, 'Could not refresh credentials ahead of expiry');
        });
    });
  }

  /** Gives the SDK's own reconnect a grace period, then replaces the client. */
  #startGrace(client: TimClient): void {
    this.#setTimer('grace', SDK_RECONNECT_GRACE_MS, () => {
      if (this.#client !== client || client.isReady || !this.#started) return;
      this.#logger.warn('TIM did not reconnect on its own; replacing the client');
      this.#dropClient();
      this.ensureConnected().catch(() => {});
    });
  }

  #dropClient(): void {
    const client = this.#client;
    if (!client) return;
    this.#client = undefined;
    this.#clearTimer('grace');
    client.destroy().catch((error: unknown) => {
      this.#logger.debug({ err: error }, 'destroying a replaced TIM client failed');
    });
  }

  #setTimer(which: 'retry' | 'refresh' | 'grace', delayMs: number, fn: () => void): void {
    this.#clearTimer(which);
    this.#timers.set(
      which,
      this.#clock.setTimeout(() => {
        this.#timers.delete(which);
        fn();
      }, delayMs),
    );
  }

  #clearTimer(which: 'retry' | 'refresh' | 'grace'): void {
    const handle = this.#timers.get(which);
    if (handle === undefined) return;
    this.#clock.clearTimeout(handle);
    this.#timers.delete(which);
  }

  #clearTimers(): void {
    for (const which of [...this.#timers.keys()]) this.#clearTimer(which);
  }

  #setStatus(
    state: AccountState,
    reason?: AccountStatusReason,
    detail?: string,
    userId: string | undefined = this.#status.userId,
  ): void {
    const previous = this.#status;
    if (previous.state === state && previous.reason === reason && previous.detail === detail)
      return;
    this.#status = {
      accountId: this.accountId,
      state,
      since: this.#clock.now(),
      ...(reason ? { reason } : {}),
      ...(detail ? { detail } : {}),
      ...(userId ? { userId } : {}),
    };
    this.#logger.info({ state, reason }, `account ${state}${reason ? ` (${reason})` : ''}`);
    this.emit('status', this.#status);
  }
}

function describeKick(reason: KickReason): string {
  switch (reason) {
    case 'multipleAccount':
    case 'multipleDevice':
      return 'another login of the same TIM user took over the session';
    case 'kickedByAdmin':
      return 'an administrator kicked the session';
    case 'userSigExpired':
      return 'the UserSig expired';
    default:
      return 'TIM ended the session';
  }
}

/** Creates the runtime of one account; call `start()` to open it. */
export function createAccountRuntime(options: AccountRuntimeOptions): AccountRuntime {
  return new AccountRuntime(options);
}
