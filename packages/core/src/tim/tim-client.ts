import { EventEmitter } from 'node:events';
import { TimError } from '../errors/tim-error.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { redactString } from '../logging/redact.js';
import { type Clock, systemClock, type TimerHandle } from '../runtime/clock.js';
import { createSdkPromiseClass } from './rejection-containment.js';
import { createSdkEnvironment } from './sdk-environment.js';
import { keepSdkGroupPushOrder } from './sdk-group-push-order.js';
import { instantiateSdk } from './sdk-loader.js';
import { boundSdkMessageLists, sdkMessageListsOf } from './sdk-message-list.js';
import { createSdkTimers, type SdkTimers } from './sdk-timers.js';
import type { SdkInstance, SdkListener, SdkMessage, SdkModule } from './sdk-types.js';
import { toTimError } from './tim-error-map.js';
import { requireUserId } from './tim-limits.js';
import { type TimMessage, toTimMessage } from './tim-message.js';

export type { TimMessage } from './tim-message.js';

/** Options for {@link createTimClient}. */
export interface TimClientOptions {
  /** The TIM application id. */
  sdkAppId: number;
  /**
   * A TIM-compatible server to use instead of Tencent's (the SDK's `proxyServer`), e.g. the
   * emulator's `wsUrl` or a private deployment: `ws://host:port` or `wss://...`.
   */
  server?: string;
  /** Where the client logs (and, at debug, the SDK's own output). Defaults to silence. */
  logger?: Logger;
  /** The SDK's own log level: 0 = everything ... 3 = errors, 4 = nothing (default). */
  sdkLogLevel?: 0 | 1 | 2 | 3 | 4;
  /** How long `login()` may take up to SDK_READY, in milliseconds (default 30000). */
  loginTimeoutMs?: number;
  /** Times the login timeout and the throttle waits; defaults to the system clock. */
  clock?: Clock;
  /**
   * Whether the SDK's 1 s intervals ride the one clock every client in the process shares
   * (default `true`: one timer wake-up a second however many clients run). `false` gives this
   * client's SDK its own Node intervals, as before the shared clock.
   */
  sharedTimers?: boolean;
}

/**
 * Where a client is:
 * - `idle`: not logged in (new, logged out, or a login failed);
 * - `connecting`: `login()` is running;
 * - `ready`: logged in, operations work;
 * - `reconnecting`: the connection dropped; the SDK is restoring it on its own;
 * - `kicked`: signed out by TIM (another login, an admin, or UserSig expiry); `login()` again;
 * - `destroyed`: final.
 */
export type TimClientState =
  | 'idle'
  | 'connecting'
  | 'ready'
  | 'reconnecting'
  | 'kicked'
  | 'destroyed';

/**
 * Why TIM signed the session out: another login of the same user on the same platform
 * (`multipleAccount`) or another device (`multipleDevice`), UserSig expiry, or an admin
 * (REST API) kick.
 */
export type KickReason =
  | 'multipleAccount'
  | 'multipleDevice'
  | 'userSigExpired'
  | 'kickedByAdmin'
  | 'unknown';

/** The TIM connection's state as the SDK reports it. */
export type TimNetworkState = 'connected' | 'connecting' | 'disconnected';

/**
 * Events of a {@link TimClient}.
 *
 * - `ready`: the client became ready: at the end of `login()` and again each time the SDK
 *   restored a dropped connection on its own.
 * - `not_ready`: the client stopped being ready (connection lost, kicked, logged out).
 * - `message`: every message received live, including group tips and system notices
 *   (`kind: 'system'`) and the client's own messages sent from another session.
 * - `kicked`: TIM signed the session out; the SDK instance is released. For
 *   `reason: 'userSigExpired'` it is followed by `credential_expired`.
 * - `credential_expired`: the UserSig expired during the session; log in with a new one.
 * - `network`: the SDK's connection state changed (only while a session is active).
 */
export interface TimClientEvents {
  ready: [];
  not_ready: [];
  message: [TimMessage];
  kicked: [{ reason: KickReason }];
  credential_expired: [];
  network: [{ state: TimNetworkState }];
}

/** The user a client logs in as. */
export interface TimLoginCredentials {
  userId: string;
  /** Never logged and never put into an error message. */
  userSig: string;
}

const KICK_REASONS: Record<string, KickReason> = {
  multipleAccount: 'multipleAccount',
  multipleDevice: 'multipleDevice',
  userSigExpired: 'userSigExpired',
  REST_API_Kick: 'kickedByAdmin',
};

/** The SDK's code for its own per-command throttle (OVER_FREQUENCY_LIMIT). */
const SDK_THROTTLED = 2996;
/** How often, and how long apart, a throttled call is tried again. */
const THROTTLE_RETRIES = 3;
const THROTTLE_WAIT_MS = 1_000;
/** TIM's code for an expired UserSig (the SDK's ACCOUNT_A2KEY_EXPIRED). */
const TIM_USER_SIG_EXPIRED = 70001;

/**
 * One TIM user's connection: a real, isolated tim-js-sdk instance (several clients of the same
 * SDKAppID coexist in one process), with typed events and TIM errors mapped to
 * {@link TimError}. Create with {@link createTimClient}.
 */
export class TimClient extends EventEmitter<TimClientEvents> {
  /** The TIM application id. */
  readonly sdkAppId: number;

  readonly #server: string | undefined;
  readonly #logger: Logger;
  readonly #sdkLogLevel: number;
  readonly #loginTimeoutMs: number;
  readonly #clock: Clock;
  readonly #sharedTimers: boolean;
  #state: TimClientState = 'idle';
  #userId: string | undefined;
  #userSig: string | undefined;
  #sdk: SdkModule | undefined;
  #sdkTimers: SdkTimers | undefined;
  #tim: SdkInstance | undefined;
  #sdkListeners: Array<[string, SdkListener]> = [];
  #sdkReady = false;
  /** Why TIM signed the current session out, while `kicked`. */
  #kickReason: KickReason | undefined;
  #login: { userId: string; userSig: string; promise: Promise<void> } | undefined;
  /** The destruction of the last released SDK instance, while it runs. */
  #teardown: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  readonly #pauses = new Set<() => void>();
  readonly #detachers = new Set<() => void>();

  constructor(options: TimClientOptions) {
    super();
    if (!Number.isSafeInteger(options.sdkAppId) || options.sdkAppId <= 0) {
      throw new TimError(
        'INVALID_ARGUMENT',
        `sdkAppId must be a positive integer (got ${String(options.sdkAppId)}); copy it from the TIM console.`,
      );
    }
    if (options.server !== undefined && !/^wss?:\/\/[^\s]+$/.test(options.server)) {
      throw new TimError(
        'INVALID_ARGUMENT',
        `server must be a ws:// or wss:// URL (got '${options.server}'); e.g. the emulator's wsUrl.`,
      );
    }
    this.sdkAppId = options.sdkAppId;
    this.#server = options.server;
    this.#logger = (options.logger ?? silentLogger).child({
      component: 'tim',
      sdkAppId: options.sdkAppId,
    });
    this.#sdkLogLevel = options.sdkLogLevel ?? 4;
    this.#loginTimeoutMs = options.loginTimeoutMs ?? 30_000;
    this.#clock = options.clock ?? systemClock;
    this.#sharedTimers = options.sharedTimers ?? true;
  }

  /** Where the client is; see {@link TimClientState}. */
  get state(): TimClientState {
    return this.#state;
  }

  /** Whether operations can run now. */
  get isReady(): boolean {
    return this.#state === 'ready';
  }

  /** The user logged in (or logging in), if any. */
  get userId(): string | undefined {
    return this.#userId;
  }

  /**
   * Logs in and resolves once the SDK is ready (SDK_READY). Creates the SDK instance if
   * needed (also after a kick or logout). Concurrent calls for the same user share one login;
   * when already logged in as `userId` it resolves at once (even while `reconnecting`: check
   * `isReady` or wait for `ready`).
   * Rejects with a {@link TimError}: `CREDENTIALS_UNAVAILABLE` for an expired (timCode 70001)
   * or invalid UserSig, `NOT_CONNECTED`/`TIMEOUT` when TIM cannot be reached in time,
   * `STOPPED` when the client is logged out or destroyed meanwhile.
   */
  login(credentials: TimLoginCredentials): Promise<void> {
    const { userId, userSig } = credentials;
    if (this.#state === 'destroyed') return Promise.reject(destroyedError('login'));
    if (typeof userId !== 'string' || userId.trim() === '') {
      return Promise.reject(
        new TimError('INVALID_ARGUMENT', 'login needs a non-empty userId.', { operation: 'login' }),
      );
    }
    try {
      requireUserId('login', 'userId', userId);
    } catch (error) {
      return Promise.reject(error);
    }
    if (typeof userSig !== 'string' || userSig.trim() === '') {
      return Promise.reject(
        new TimError('CREDENTIALS_UNAVAILABLE', 'login needs a UserSig; none was given.', {
          operation: 'login',
        }),
      );
    }
    if (this.#login) {
      if (this.#login.userId === userId && this.#login.userSig === userSig)
        return this.#login.promise;
      return Promise.reject(
        new TimError(
          'INVALID_ARGUMENT',
          `A login as '${this.#login.userId}' is in progress; wait for it or log out first.`,
          {
            operation: 'login',
          },
        ),
      );
    }
    if (this.#tim && (this.#state === 'ready' || this.#state === 'reconnecting')) {
      if (this.#userId === userId) return Promise.resolve();
      return Promise.reject(
        new TimError(
          'INVALID_ARGUMENT',
          `Already logged in as '${this.#userId}'; log out before logging in as '${userId}'.`,
          {
            operation: 'login',
          },
        ),
      );
    }
    const promise = this.#runLogin(userId, userSig).finally(() => {
      if (this.#login?.promise === promise) this.#login = undefined;
    });
    this.#login = { userId, userSig, promise };
    return promise;
  }

  /** Logs out and releases the SDK instance; the client can log in again. Never rejects. */
  async logout(): Promise<void> {
    if (this.#state === 'destroyed') return;
    const wasReady = this.#state === 'ready';
    this.#setState('idle');
    this.#userId = undefined;
    if (wasReady) this.emit('not_ready');
    await this.#releaseSdkInstance();
  }

  /**
   * Logs out, releases the SDK instance and every listener; final and idempotent. Afterwards
   * the client holds no socket, timer or process listener.
   */
  async destroy(): Promise<void> {
    if (this.#state === 'destroyed') return;
    this.#setState('destroyed');
    await this.#releaseSdkInstance();
    this.#sdk = undefined;
    this.removeAllListeners();
  }

  /**
   * Runs one SDK call for an operation of `channels`/`messages`: refuses with `NOT_CONNECTED`
   * unless the client is ready, and maps whatever the SDK rejects with to a {@link TimError}
   * naming `operation`.
   *
   * @internal
   */
  async call<T>(operation: string, run: (tim: SdkInstance) => Promise<T> | T): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const tim = this.#tim;
      if (this.#state !== 'ready' || !tim) {
        throw new TimError(
          'NOT_CONNECTED',
          `${operation} failed: the TIM client is ${this.#state}, not ready; log in (or wait for the reconnect) and retry.`,
          { operation },
        );
      }
      const attached = this.#whileAttached(operation);
      try {
        return await Promise.race([run(tim), attached.ended]);
      } catch (error) {
        // The SDK's own per-command throttle (e.g. 20 group profile reads per second) clears
        // within its window: wait it out a few times before reporting RATE_LIMITED.
        if (sdkCode(error) === SDK_THROTTLED && attempt < THROTTLE_RETRIES) {
          await this.#pause(THROTTLE_WAIT_MS);
          continue;
        }
        // TIM just said the UserSig expired; the SDK signs the session out with it.
        if (sdkCode(error) === TIM_USER_SIG_EXPIRED) throw userSigExpiredError(operation);
        throw toTimError(operation, error, this.#scrub);
      } finally {
        attached.dispose();
      }
    }
  }

  /**
   * A promise that rejects with NOT_CONNECTED when the current SDK instance is released (kick,
   * logout, destroy): the SDK never settles requests that are in flight when it is destroyed.
   */
  #whileAttached(operation: string): { ended: Promise<never>; dispose: () => void } {
    let detach = () => {};
    const ended = new Promise<never>((_, reject) => {
      detach = () => {
        this.#detachers.delete(detach);
        reject(
          this.#kickReason === 'userSigExpired'
            ? userSigExpiredError(operation)
            : new TimError(
                'NOT_CONNECTED',
                `${operation} failed: the TIM session ended while it ran (${this.#state}); log in again and retry.`,
                { operation },
              ),
        );
      };
    });
    this.#detachers.add(detach);
    return { ended, dispose: () => this.#detachers.delete(detach) };
  }

  /** Waits `ms`; cut short (resolving) when the client logs out or is destroyed. */
  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.#clock.clearTimeout(timer);
        this.#pauses.delete(done);
        resolve();
      };
      const timer = this.#clock.setTimeout(done, ms);
      this.#pauses.add(done);
    });
  }

  async #runLogin(userId: string, userSig: string): Promise<void> {
    const wasKicked = this.#state === 'kicked';
    this.#setState('connecting');
    if (wasKicked || this.#tim) {
      await this.#releaseSdkInstance();
      if (this.#state !== 'connecting') throw stoppedError();
    }
    // The instances of one client share the SDK copy's timers: the last one must be gone
    // before the next starts, or its leftover sweep would clear the new instance's timers.
    if (this.#teardown) {
      await this.#teardown;
      if (this.#state !== 'connecting') throw stoppedError();
    }
    this.#userId = userId;
    this.#userSig = userSig;
    let tim: SdkInstance;
    try {
      tim = this.#createSdkInstance();
    } catch (error) {
      this.#setState('idle');
      throw toTimError('login', error, this.#scrub);
    }
    let timer: TimerHandle | undefined;
    const attached = this.#whileAttached('login');
    try {
      const timedOut = new Promise<never>((_, reject) => {
        timer = this.#clock.setTimeout(() => {
          reject(
            new TimError(
              'TIMEOUT',
              `login failed: TIM did not become ready within ${this.#loginTimeoutMs} ms; check the network (or the server address) and retry.`,
              { operation: 'login' },
            ),
          );
        }, this.#loginTimeoutMs);
      });
      // logout()/destroy() meanwhile ends the login at once (`attached`), not at the timeout.
      await Promise.race([
        tim.login({ userID: userId, userSig }).then(() => this.#untilSdkReady(tim)),
        timedOut,
        attached.ended,
      ]);
    } catch (error) {
      // Detached meanwhile by logout()/destroy(): report that, not the SDK's reaction to it.
      if (this.#tim !== tim) throw stoppedError();
      this.#setState('idle');
      this.#userId = undefined;
      await this.#releaseSdkInstance();
      throw toTimError('login', error, this.#scrub);
    } finally {
      attached.dispose();
      if (timer !== undefined) this.#clock.clearTimeout(timer);
    }
    if (this.#tim !== tim || this.#state !== 'connecting') throw stoppedError();
    this.#setState('ready');
    this.#logger.info({ userId }, 'TIM client ready');
    this.emit('ready');
  }

  /** Resolves once SDK_READY was seen for `tim`; rejects if `tim` is released meanwhile. */
  #untilSdkReady(tim: SdkInstance): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.#tim !== tim) {
          this.#wake = undefined;
          reject(stoppedError());
        } else if (this.#sdkReady) {
          this.#wake = undefined;
          resolve();
        } else {
          this.#wake = check;
        }
      };
      check();
    });
  }

  #createSdkInstance(): SdkInstance {
    if (!this.#sdk) {
      const SdkPromiseClass = createSdkPromiseClass(this.#logger);
      this.#sdkTimers = createSdkTimers({
        ...(this.#sharedTimers ? {} : { ticker: null }),
        onError: (error) =>
          this.#logger.warn(
            { err: describeSdkError(error) },
            'A TIM SDK timer callback threw; ignored (the other timers still run)',
          ),
      });
      this.#sdk = instantiateSdk(
        createSdkEnvironment({
          logger: this.#logger.child({ source: 'tim-js-sdk' }),
          Promise: SdkPromiseClass,
          scrub: this.#scrub,
          timers: this.#sdkTimers,
          logLevel: this.#sdkLogLevel,
          onInstanceCreated: (instance, internals) => {
            boundSdkMessageLists(instance, internals, { clock: this.#clock });
            if (!keepSdkGroupPushOrder(internals)) {
              this.#logger.warn(
                'This tim-js-sdk build is not laid out as 2.27.6: a group push it holds back at login can come out after later ones',
              );
            }
          },
        }),
      );
    }
    const sdk = this.#sdk;
    const tim = sdk.create({
      SDKAppID: this.sdkAppId,
      ...(this.#server ? { proxyServer: this.#server } : {}),
    });
    tim.setLogLevel(this.#sdkLogLevel);
    if (!sdkMessageListsOf(tim)) {
      this.#logger.warn(
        'This tim-js-sdk build is not laid out as 2.27.6: its in-memory message lists stay unbounded',
      );
    }
    this.#tim = tim;
    this.#sdkReady = false;
    const on = (name: string, listener: (data: unknown) => void) => {
      const wrapped: SdkListener = (event) => {
        if (this.#tim === tim) listener(event?.data);
      };
      tim.on(name, wrapped);
      this.#sdkListeners.push([name, wrapped]);
    };
    const { EVENT } = sdk;
    on(EVENT.SDK_READY ?? 'sdkStateReady', () => this.#onSdkReady());
    on(EVENT.SDK_NOT_READY ?? 'sdkStateNotReady', () => this.#onSdkNotReady());
    on(EVENT.NET_STATE_CHANGE ?? 'netStateChange', (data) => this.#onNetState(data));
    on(EVENT.KICKED_OUT ?? 'kickedOut', (data) => this.#onKicked(data));
    on(EVENT.MESSAGE_RECEIVED ?? 'onMessageReceived', (data) => this.#onMessages(data));
    on(EVENT.ERROR ?? 'error', (data) =>
      this.#logger.debug({ err: data }, 'TIM SDK reported an error'),
    );
    return tim;
  }

  #onSdkReady(): void {
    this.#sdkReady = true;
    this.#wake?.();
    if (this.#state === 'reconnecting') {
      this.#setState('ready');
      this.emit('ready');
    }
  }

  #onSdkNotReady(): void {
    this.#sdkReady = false;
    if (this.#state === 'ready') {
      this.#setState('reconnecting');
      this.emit('not_ready');
    }
  }

  #onNetState(data: unknown): void {
    const state = (data as { state?: unknown } | undefined)?.state;
    if (state !== 'connected' && state !== 'connecting' && state !== 'disconnected') return;
    if (this.#state !== 'connecting' && this.#state !== 'ready' && this.#state !== 'reconnecting')
      return;
    this.#logger.debug({ network: state }, 'TIM network state changed');
    if (state !== 'connected' && this.#state === 'ready') {
      this.#setState('reconnecting');
      this.emit('not_ready');
      this.emit('network', { state });
      return;
    }
    this.emit('network', { state });
    if (state === 'connected' && this.#state === 'reconnecting' && this.#sdkReady) {
      this.#setState('ready');
      this.emit('ready');
    }
  }

  #onKicked(data: unknown): void {
    const type = (data as { type?: unknown } | undefined)?.type;
    const reason = (typeof type === 'string' && KICK_REASONS[type]) || 'unknown';
    if (this.#state === 'destroyed' || this.#state === 'idle' || this.#state === 'kicked') return;
    const wasReady = this.#state === 'ready';
    this.#setState('kicked');
    this.#kickReason = reason;
    this.#logger.warn({ reason }, 'TIM signed this session out');
    // The SDK instance is finished: release it (after the SDK's own handling of the kick).
    const tim = this.#tim;
    setImmediate(() => {
      if (this.#tim === tim && this.#state === 'kicked') void this.#releaseSdkInstance();
    });
    if (wasReady) this.emit('not_ready');
    this.emit('kicked', { reason });
    if (reason === 'userSigExpired') this.emit('credential_expired');
  }

  #onMessages(data: unknown): void {
    if (!Array.isArray(data)) return;
    for (const raw of data as SdkMessage[]) {
      let message: TimMessage;
      try {
        message = toTimMessage(raw);
      } catch (error) {
        this.#logger.warn({ err: error }, 'Dropped a TIM message that could not be read');
        continue;
      }
      this.emit('message', message);
    }
    // Keep the SDK's in-memory copy of each conversation to its newest messages.
    const conversationIDs = new Set((data as SdkMessage[]).map((raw) => raw?.conversationID));
    if (this.#tim) sdkMessageListsOf(this.#tim)?.trim(conversationIDs);
  }

  /** Detaches from the current SDK instance and destroys it (socket closed, timers stopped). */
  async #releaseSdkInstance(): Promise<void> {
    for (const cut of [...this.#pauses]) cut();
    for (const detach of [...this.#detachers]) detach();
    const tim = this.#tim;
    if (!tim) return;
    this.#tim = undefined;
    this.#sdkReady = false;
    this.#wake?.();
    for (const [name, listener] of this.#sdkListeners) tim.off(name, listener);
    this.#sdkListeners = [];
    const teardown = this.#tearDown(tim);
    this.#teardown = teardown;
    await teardown;
    if (this.#teardown === teardown) this.#teardown = undefined;
  }

  /**
   * Destroys a detached SDK instance. Never inside the SDK's own event dispatch (e.g. a
   * `kicked` listener that destroys the client): a destroy() started there never settles, and
   * the instance's 1 s timers and its socket would stay alive; so it waits for the dispatch to
   * return first.
   */
  async #tearDown(tim: SdkInstance): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      await tim.destroy();
    } catch (error) {
      // destroy() = logout().finally(cleanup): it rejects when not logged in, after cleaning up.
      this.#logger.debug(
        { err: describeSdkError(error) },
        'TIM SDK destroy reported an error (cleanup done)',
      );
    }
    // The released instance's leftovers (see sdk-timers.ts); a new instance starts clean.
    const leftover = this.#sdkTimers?.clearAll() ?? 0;
    if (leftover > 0) this.#logger.debug({ timers: leftover }, 'cleared timers the SDK left');
  }

  #setState(state: TimClientState): void {
    if (this.#state === state) return;
    if (state === 'connecting' || state === 'idle') this.#kickReason = undefined;
    this.#logger.debug({ from: this.#state, to: state }, 'TIM client state');
    this.#state = state;
  }

  /** Removes the UserSig and session keys from text the SDK or TIM produced. */
  readonly #scrub = (text: string): string => redactString(text, [this.#userSig]);
}

/**
 * Creates a {@link TimClient}. Nothing connects until `login()`. Requires Node.js 22.12 or
 * newer (the SDK uses Node's native WebSocket); no global of the process is modified.
 */
export function createTimClient(options: TimClientOptions): TimClient {
  return new TimClient(options);
}

function destroyedError(operation: string): TimError {
  return new TimError(
    'STOPPED',
    `${operation} failed: this TIM client was destroyed; create a new one.`,
    { operation },
  );
}

/**
 * An operation met the end of its session by UserSig expiry: nothing is wrong with the
 * operation, only with the session, and an account runtime logs in with a new UserSig on its
 * own; so the advice is to retry.
 */
function userSigExpiredError(operation: string): TimError {
  return new TimError(
    'NOT_CONNECTED',
    `${operation} failed: TIM reported the session's UserSig expired (70001); the session is being renewed with a new UserSig: retry the operation (once the client is ready).`,
    { operation, timCode: TIM_USER_SIG_EXPIRED },
  );
}

function stoppedError(): TimError {
  return new TimError(
    'STOPPED',
    'login failed: the client was logged out or destroyed while logging in.',
    {
      operation: 'login',
    },
  );
}

function sdkCode(error: unknown): number | undefined {
  const code =
    typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'number' ? code : undefined;
}

function describeSdkError(error: unknown): unknown {
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    return { code, message };
  }
  return error;
}
