import { checkUserId, createUserSig, decodeUserSig, MAX_USER_ID_BYTES } from '@clawlink/usersig';
import { CredentialError } from '../errors/credential-error.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import type { CredentialSource, TimCredentials } from './credential-source.js';
import { describeEndpoint, requestExchangeCredentials } from './exchange-request.js';

export type { CredentialSource, TimCredentials } from './credential-source.js';

/** Options for {@link createCredentialManager}. */
export interface CredentialManagerOptions {
  /** Where the credentials come from. */
  source: CredentialSource;
  /** Receives what happens (never a secret); silent by default. */
  logger?: Logger;
  /** Clock in milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number;
  /** `fetch` for the `exchange` source; defaults to the global one. */
  fetch?: typeof fetch;
  /** Randomness for backoff jitter, in [0, 1); defaults to `Math.random`. */
  random?: () => number;
  /**
   * Credentials are refreshed when less than this remains before they expire. Default:
   * `min(10 minutes, 10% of their lifetime)`. Never more than half the lifetime, so a short-lived
   * UserSig is not refetched on every call.
   */
  refreshMarginMs?: number;
  /**
   * Backoff for `unclaimed` and `unreachable` (and a 429 that names no wait), over consecutive
   * failures; defaults 2000 ms initial, 300000 ms cap. See {@link backoffDelay}.
   */
  backoff?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Timeout of one credential-exchange request, in milliseconds; default 10000. */
  requestTimeoutMs?: number;
}

const STATIC_ADVICE =
  'Configure a fresh UserSig, or switch to the `secretKey` or `exchange` credential source so clawlink can renew it.';
const DEFAULT_SECRET_KEY_TTL_SECONDS = 86_400;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const MAX_DEFAULT_MARGIN_MS = 10 * 60_000;
/** How many invalidated exchange UserSigs are remembered, to refuse them if served again. */
const REMEMBERED_BAD_SIGS = 8;

interface Held {
  credentials: TimCredentials;
  /** When this UserSig became valid (its issue time, or when it was obtained). */
  issuedAt: number;
}

/**
 * Turns an account's {@link CredentialSource} into TIM credentials: caches them, refreshes them
 * ahead of expiry, replaces a UserSig TIM refused, and reports why none are available with a
 * {@link CredentialError} whose message never contains a secret.
 *
 * Reasons, where the choice is not obvious:
 * - an expired or refused `static` UserSig is `invalid`, not `revoked`: the configured value is
 *   what is wrong, and changing the configuration is the fix;
 * - an exchange answering with the UserSig that was just {@link invalidate}d (or one already
 *   expired) is `unreachable`: the service did not deliver usable credentials, and asking again
 *   later can succeed (a UserSig's issue time has second precision, so a service may well hand
 *   out the same one within a second). Its `retryAfterMs` waits at least until the next second,
 *   and grows with backoff if the service keeps doing it, so this never spins.
 */
export class CredentialManager {
  /** The kind of source the credentials come from. */
  readonly source: CredentialSource['kind'];
  readonly #config: CredentialSource;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #fetch: typeof fetch | undefined;
  readonly #backoff: BackoffOptions;
  readonly #marginOption: number | undefined;
  readonly #timeoutMs: number;

  #held: Held | undefined;
  /** After a failed refresh of still-valid credentials: when to try again. */
  #retryRefreshAt: number | undefined;
  #inFlight: Promise<TimCredentials> | undefined;
  /** Consecutive failures, for backoff; reset by a success. */
  #failures = 0;
  /** `exchange`: no request before this time (a 429 asked us to wait). */
  #cooldownUntil: number | undefined;
  /** `exchange`: UserSigs TIM refused, newest last. */
  readonly #badSigs: string[] = [];
  /** `secretKey`: sign no earlier than this second, so a new UserSig differs from refused ones. */
  #minIssueSecond = 0;
  /** `static`: TIM refused the configured UserSig. */
  #staticRefused = false;
  #warnedStaticExpiry = false;

  constructor(options: CredentialManagerOptions) {
    this.#config = options.source;
    this.source = options.source.kind;
    this.#logger = (options.logger ?? silentLogger).child({
      component: 'credentials',
      source: options.source.kind,
    });
    this.#now = options.now ?? Date.now;
    this.#fetch = options.fetch;
    this.#backoff = { ...options.backoff, ...(options.random ? { random: options.random } : {}) };
    this.#marginOption = options.refreshMarginMs;
    this.#timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** The credentials last obtained, unless {@link invalidate}d since. May be close to expiry. */
  get cached(): TimCredentials | undefined {
    return this.#held?.credentials;
  }

  /**
   * Credentials to log in with. Cached ones are returned while they are outside the refresh
   * margin; otherwise new ones are obtained, and concurrent callers share that one attempt.
   *
   * When refreshing still-valid credentials fails for a reason that can pass (`unreachable`,
   * `cooldown`, `unclaimed`), the still-valid ones are returned and {@link refreshAt} moves to
   * the retry time.
   *
   * @throws CredentialError when no usable credentials can be had; `retryAfterMs` says when to
   *   try again where trying again can help.
   */
  getCredentials(): Promise<TimCredentials> {
    const held = this.#held;
    const now = this.#now();
    if (held && now < this.#dueAt(held)) {
      this.#warnIfStaticExpiring(held, now);
      return Promise.resolve(held.credentials);
    }
    if (!this.#inFlight) {
      this.#inFlight = this.#renew(held).finally(() => {
        this.#inFlight = undefined;
      });
    }
    return this.#inFlight;
  }

  /**
   * Drops the current UserSig because TIM refused it (error 70001, or the SDK's
   * `credential_expired`). The next {@link getCredentials} obtains a new one and never returns
   * this string again: a `static` source then fails with `invalid`.
   */
  invalidate(): void {
    const held = this.#held;
    this.#held = undefined;
    this.#retryRefreshAt = undefined;
    const config = this.#config;
    if (config.kind === 'static') {
      this.#staticRefused = true;
    } else if (held && config.kind === 'secretKey') {
      this.#minIssueSecond = Math.max(this.#minIssueSecond, Math.floor(held.issuedAt / 1000) + 1);
    } else if (held && config.kind === 'exchange') {
      this.#badSigs.push(held.credentials.userSig);
      if (this.#badSigs.length > REMEMBERED_BAD_SIGS) this.#badSigs.shift();
    }
    this.#logger.info(
      { userId: held?.credentials.userId },
      'UserSig invalidated; the next request obtains a new one',
    );
  }

  /**
   * When to call {@link getCredentials} again to refresh ahead of expiry, in milliseconds since
   * the epoch; `undefined` when nothing is cached or the source cannot renew (`static`).
   */
  refreshAt(): number | undefined {
    const held = this.#held;
    if (!held || this.#config.kind === 'static') return undefined;
    return this.#dueAt(held);
  }

  #dueAt(held: Held): number {
    if (this.#config.kind === 'static') return held.credentials.expiresAt;
    return this.#retryRefreshAt ?? held.credentials.expiresAt - this.#marginFor(held);
  }

  #marginFor(held: Held): number {
    const lifetime = Math.max(0, held.credentials.expiresAt - held.issuedAt);
    const margin = this.#marginOption ?? Math.min(MAX_DEFAULT_MARGIN_MS, lifetime / 10);
    return Math.min(margin, lifetime / 2);
  }

  /** A static UserSig cannot be renewed: say so once when it enters the refresh margin. */
  #warnIfStaticExpiring(held: Held, now: number): void {
    if (this.#config.kind !== 'static' || this.#warnedStaticExpiry) return;
    const { expiresAt, userId } = held.credentials;
    if (now < expiresAt - this.#marginFor(held)) return;
    this.#warnedStaticExpiry = true;
    this.#logger.warn(
      { userId, expiresAt: new Date(expiresAt).toISOString() },
      `The static UserSig expires soon and cannot be renewed. ${STATIC_ADVICE}`,
    );
  }

  async #renew(previous: Held | undefined): Promise<TimCredentials> {
    let fresh: Held;
    try {
      fresh = await this.#obtain();
    } catch (error) {
      const stillValid =
        previous !== undefined &&
        this.#held === previous &&
        this.#now() < previous.credentials.expiresAt;
      if (stillValid && CredentialError.isInstance(error) && error.retryable) {
        const wait = error.retryAfterMs ?? this.#nextBackoff();
        this.#retryRefreshAt = Math.min(this.#now() + wait, previous.credentials.expiresAt);
        this.#logger.warn(
          { reason: error.reason, retryAfterMs: wait },
          `Could not refresh credentials ahead of expiry; using the current ones meanwhile. ${error.message}`,
        );
        return previous.credentials;
      }
      this.#logger.warn(
        {
          reason: CredentialError.isInstance(error) ? error.reason : undefined,
          retryAfterMs: CredentialError.isInstance(error) ? error.retryAfterMs : undefined,
        },
        error instanceof Error ? error.message : 'Could not obtain credentials',
      );
      throw error;
    }
    this.#failures = 0;
    this.#retryRefreshAt = undefined;
    this.#held = fresh;
    const { credentials } = fresh;
    this.#logger.info(
      {
        userId: credentials.userId,
        sdkAppId: credentials.sdkAppId,
        expiresAt: Number.isFinite(credentials.expiresAt)
          ? new Date(credentials.expiresAt).toISOString()
          : 'unknown',
      },
      'Obtained TIM credentials',
    );
    return credentials;
  }

  #obtain(): Promise<Held> {
    const config = this.#config;
    switch (config.kind) {
      case 'static':
        return Promise.resolve(this.#fromStatic(config));
      case 'secretKey':
        return Promise.resolve(this.#fromSecretKey(config));
      case 'exchange':
        return this.#fromExchange(config);
      default:
        return Promise.reject(
          new CredentialError(
            'invalid',
            `Unknown credential source kind "${String((config as { kind?: unknown }).kind)}"; use "static", "secretKey" or "exchange".`,
          ),
        );
    }
  }

  #fromStatic(config: Extract<CredentialSource, { kind: 'static' }>): Held {
    const advice = STATIC_ADVICE;
    if (this.#staticRefused) {
      throw new CredentialError(
        'invalid',
        `TIM refused the configured static UserSig for user "${config.userId}" (expired or revoked), and a static source cannot make a new one. ${advice}`,
      );
    }
    const fields = decodeUserSig(config.userSig);
    const now = this.#now();
    if (!fields) {
      return {
        credentials: freeze({ ...pick(config), expiresAt: Number.POSITIVE_INFINITY }),
        issuedAt: now,
      };
    }
    if (fields.userId !== config.userId || fields.sdkAppId !== config.sdkAppId) {
      throw new CredentialError(
        'invalid',
        `The configured UserSig was signed for user "${fields.userId}" of SDKAppID ${fields.sdkAppId}, but the account is user "${config.userId}" of SDKAppID ${config.sdkAppId}. Configure a UserSig made for this user and application.`,
      );
    }
    if (now >= fields.expiresAt) {
      throw new CredentialError(
        'invalid',
        `The configured static UserSig for user "${config.userId}" expired at ${new Date(fields.expiresAt).toISOString()}. ${advice}`,
      );
    }
    const held = {
      credentials: freeze({ ...pick(config), expiresAt: fields.expiresAt }),
      issuedAt: fields.issuedAtSeconds * 1000,
    };
    this.#warnIfStaticExpiring(held, now);
    return held;
  }

  #fromSecretKey(config: Extract<CredentialSource, { kind: 'secretKey' }>): Held {
    const ttlSeconds = config.userSigTtlSeconds ?? DEFAULT_SECRET_KEY_TTL_SECONDS;
    if (checkUserId(config.userId) !== undefined) {
      // Named by its problem only: an invalid value is never echoed (it may be anything).
      const bytes = typeof config.userId === 'string' ? Buffer.byteLength(config.userId) : 0;
      throw new CredentialError(
        'invalid',
        `Cannot sign a UserSig: the \`secretKey\` source's userId is not a valid TIM UserID (${bytes > MAX_USER_ID_BYTES ? `${bytes} bytes, over the ${MAX_USER_ID_BYTES}-byte limit` : 'it must be a non-empty string without spaces or control characters, not a reserved name'}). Configure the agent's TIM UserID.`,
      );
    }
    // TIM's issue time has second precision: sign at a later second than any refused UserSig
    // (at most one second ahead of the clock) rather than sleeping.
    const issueSecond = Math.max(Math.floor(this.#now() / 1000), this.#minIssueSecond);
    let userSig: string;
    try {
      userSig = createUserSig({
        sdkAppId: config.sdkAppId,
        userId: config.userId,
        secretKey: config.secretKey,
        expireSeconds: ttlSeconds,
        now: () => issueSecond * 1000,
      });
    } catch (error) {
      const problem = error instanceof Error ? error.message : 'bad option';
      throw new CredentialError(
        'invalid',
        `Cannot sign a UserSig for user "${String(config.userId)}": ${problem}. Fix the \`secretKey\` credential source (sdkAppId, userId, secretKey, userSigTtlSeconds).`,
      );
    }
    return {
      credentials: freeze({
        sdkAppId: config.sdkAppId,
        userId: config.userId,
        userSig,
        expiresAt: (issueSecond + ttlSeconds) * 1000,
      }),
      issuedAt: issueSecond * 1000,
    };
  }

  async #fromExchange(config: Extract<CredentialSource, { kind: 'exchange' }>): Promise<Held> {
    const where = describeEndpoint(config.endpoint);
    const cooldownUntil = this.#cooldownUntil;
    if (cooldownUntil !== undefined && this.#now() < cooldownUntil) {
      const retryAfterMs = cooldownUntil - this.#now();
      this.#logger.debug({ retryAfterMs }, 'Credential exchange cooldown; not asking yet');
      throw new CredentialError(
        'cooldown',
        `The credential exchange at ${where} asked clawlink to wait; asking again in ${seconds(retryAfterMs)} s.`,
        { retryAfterMs },
      );
    }
    const outcome = await requestExchangeCredentials({
      endpoint: config.endpoint,
      agentId: config.agentId,
      apiKey: config.apiKey,
      fetch: this.#fetch ?? globalThis.fetch,
      now: this.#now,
      timeoutMs: this.#timeoutMs,
    });
    if (!outcome.ok) {
      const cause = outcome.cause === undefined ? {} : { cause: outcome.cause };
      switch (outcome.reason) {
        case 'cooldown': {
          const backoff = this.#nextBackoff();
          const retryAfterMs = outcome.retryAfterMs ?? backoff;
          this.#cooldownUntil = this.#now() + retryAfterMs;
          throw new CredentialError(
            'cooldown',
            `${outcome.message} Next attempt in ${seconds(retryAfterMs)} s.`,
            { retryAfterMs },
          );
        }
        case 'unclaimed':
        case 'unreachable': {
          const retryAfterMs = this.#nextBackoff();
          throw new CredentialError(outcome.reason, outcome.message, { retryAfterMs, ...cause });
        }
        default:
          throw new CredentialError(outcome.reason, outcome.message, cause);
      }
    }
    this.#cooldownUntil = undefined;
    const { credentials } = outcome;
    const now = this.#now();
    if (this.#badSigs.includes(credentials.userSig)) {
      // TIM issue times have second precision: a service may hand out the same UserSig again
      // within the second, or keep serving a cached one. Retry after the second turns, with
      // backoff, instead of logging in with a UserSig TIM already refused.
      const retryAfterMs = Math.max(this.#nextBackoff(), 1000 - (now % 1000));
      throw new CredentialError(
        'unreachable',
        `The credential exchange at ${where} returned the UserSig TIM just refused; asking again in ${seconds(retryAfterMs)} s. If this persists, the exchange is serving a stale UserSig: check the service.`,
        { retryAfterMs },
      );
    }
    if (credentials.expiresAt <= now) {
      const retryAfterMs = this.#nextBackoff();
      throw new CredentialError(
        'unreachable',
        `The credential exchange at ${where} returned a UserSig that already expired (${new Date(credentials.expiresAt).toISOString()}); asking again in ${seconds(retryAfterMs)} s. If this persists, check the service's clock and configuration.`,
        { retryAfterMs },
      );
    }
    const issuedAtSeconds = decodeUserSig(credentials.userSig)?.issuedAtSeconds;
    return {
      credentials: freeze(credentials),
      issuedAt: issuedAtSeconds === undefined ? now : issuedAtSeconds * 1000,
    };
  }

  #nextBackoff(): number {
    return backoffDelay(this.#failures++, this.#backoff);
  }
}

/** Creates a {@link CredentialManager} for one account's credential source. */
export function createCredentialManager(options: CredentialManagerOptions): CredentialManager {
  return new CredentialManager(options);
}

function pick(config: { sdkAppId: number; userId: string; userSig: string }) {
  return { sdkAppId: config.sdkAppId, userId: config.userId, userSig: config.userSig };
}

function freeze(credentials: TimCredentials): TimCredentials {
  return Object.freeze({ ...credentials });
}

function seconds(ms: number): string {
  return String(Math.ceil(ms / 1000));
}
