import { EventEmitter } from 'node:events';
import { parseAccountConfig } from '../config/account-config.js';
import { ClawlinkError } from '../errors/clawlink-error.js';
import type { Logger } from '../logging/logger.js';
import type { Dispatch } from '../pipeline/inbound-event.js';
import { openSharedStateFile, type SharedStateFile } from '../state/shared-state-file.js';
import type { StateStore } from '../state/state-store.js';
import { AccountRuntime, type AccountRuntimeEvents } from './account-runtime.js';
import type { AccountStatus } from './account-status.js';
import type { Clock } from './clock.js';
import { type LoginPoolProgress, runLoginPool } from './login-pool.js';

/** How many accounts {@link AccountRegistry.startAll} logs in at once by default. */
export const DEFAULT_MAX_CONCURRENT_LOGINS = 32;

/** Options shared by every account of an {@link AccountRegistry}. */
export interface AccountRegistryOptions {
  logger?: Logger;
  clock?: Clock;
  fetch?: typeof fetch;
  /**
   * Makes the state store of each account; by default each opens its own SQLite file (in its
   * config's `stateDir`). Not with {@link AccountRegistryOptions.sharedStateFile}.
   */
  createStore?: (accountId: string) => StateStore;
  /**
   * Keeps the state of every account in this one SQLite file (one connection, rows keyed by
   * account; accounts never see each other's rows) instead of a file per account: about one
   * file descriptor per account (its socket) instead of four. Opened at the first `add`,
   * closed by {@link AccountRegistry.close}.
   */
  sharedStateFile?: string;
  /**
   * How many accounts {@link AccountRegistry.startAll} logs in at once (a positive integer;
   * default {@link DEFAULT_MAX_CONCURRENT_LOGINS}, 32). Starting thousands at once stalls the
   * event loop and makes every login wait for all the others, so none is ready until nearly
   * all are; with a bound the first accounts are ready at once and the rest follow. Whatever
   * the bound, each account's start begins on a turn of the event loop of its own.
   */
  maxConcurrentLogins?: number;
}

/** Options of {@link AccountRegistry.add}. */
export interface AccountRegistryAddOptions {
  /** The host's dispatch: the account's messages go through the inbound pipeline to it. */
  dispatch?: Dispatch;
}

/** Progress of {@link AccountRegistry.startAll}, emitted as a `startProgress` event. */
export interface StartProgress extends LoginPoolProgress {
  /** The account whose start just settled. */
  readonly accountId: string;
  /** Its status then (`connected`, or why not). */
  readonly status: AccountStatus;
}

/**
 * Events of an {@link AccountRegistry}: every account's events, in one place, and
 * `startProgress` after each account's start in {@link AccountRegistry.startAll} settles.
 */
export type AccountRegistryEvents = AccountRuntimeEvents & { startProgress: [StartProgress] };

/**
 * Many accounts in one process, keyed by accountId. Each account has its own runtime and TIM
 * connection, and its own state file unless the registry has a `sharedStateFile`; the
 * registry forwards their events.
 */
export class AccountRegistry extends EventEmitter<AccountRegistryEvents> {
  readonly #accounts = new Map<string, AccountRuntime>();
  readonly #options: AccountRegistryOptions;
  readonly #maxConcurrentLogins: number;
  #shared: SharedStateFile | undefined;
  /** The stores the registry made from its shared file, by account: it closes them. */
  readonly #sharedStores = new Map<string, StateStore>();

  /** @throws ClawlinkError `INVALID_ARGUMENT` for a bad `maxConcurrentLogins`, or `createStore` with `sharedStateFile`. */
  constructor(options: AccountRegistryOptions = {}) {
    super();
    const limit = options.maxConcurrentLogins ?? DEFAULT_MAX_CONCURRENT_LOGINS;
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new ClawlinkError(
        'INVALID_ARGUMENT',
        `maxConcurrentLogins must be a positive integer (got ${String(options.maxConcurrentLogins)}); leave it out for the default of ${DEFAULT_MAX_CONCURRENT_LOGINS}.`,
      );
    }
    if (options.createStore && options.sharedStateFile !== undefined) {
      throw new ClawlinkError(
        'INVALID_ARGUMENT',
        'Give an AccountRegistry either createStore or sharedStateFile, not both: sharedStateFile makes every store itself.',
      );
    }
    this.#options = options;
    this.#maxConcurrentLogins = limit;
  }

  /** The state store of a new account: from `createStore`, the shared file, or none (own file). */
  #storeFor(accountId: string): StateStore | undefined {
    const { createStore, sharedStateFile } = this.#options;
    if (createStore) return createStore(accountId);
    if (sharedStateFile === undefined) return undefined;
    this.#shared ??= openSharedStateFile({ file: sharedStateFile });
    const store = this.#shared.store(accountId);
    this.#sharedStores.set(accountId, store);
    return store;
  }

  /**
   * Adds an account (validated at once; a bad config throws `ConfigError`). It is not started.
   * With a `dispatch`, the account answers through the inbound pipeline (ledger, gate, queue,
   * replies), as `createAccountRuntime({ config, dispatch })` does; without one, it emits its
   * messages as `message` events for the host to mark handled.
   * @throws ClawlinkError `INVALID_ARGUMENT` when the accountId is already registered.
   */
  add(config: unknown, options: AccountRegistryAddOptions = {}): AccountRuntime {
    const parsed = parseAccountConfig(config);
    if (this.#accounts.has(parsed.accountId)) {
      throw new ClawlinkError(
        'INVALID_ARGUMENT',
        `Account '${parsed.accountId}' is already registered; remove() it first or use another accountId.`,
      );
    }
    const { logger, clock, fetch } = this.#options;
    const store = this.#storeFor(parsed.accountId);
    const runtime = new AccountRuntime({
      config: parsed,
      ...(logger ? { logger } : {}),
      ...(clock ? { clock } : {}),
      ...(fetch ? { fetch } : {}),
      ...(store ? { store } : {}),
      ...(options.dispatch ? { dispatch: options.dispatch } : {}),
    });
    this.#accounts.set(runtime.accountId, runtime);
    runtime.on('status', (status) => this.emit('status', status));
    runtime.on('message', (message) => this.emit('message', message));
    runtime.on('kicked', (event) => this.emit('kicked', event));
    // Forwarded only to a listener: an unhandled `error` event would crash the host.
    runtime.on('error', (error, detail) => {
      if (this.listenerCount('error') > 0) this.emit('error', error, detail);
      else
        logger?.error(
          { err: error, ...detail },
          'account error (the registry has no error listener)',
        );
    });
    return runtime;
  }

  /** The runtime of `accountId`, if registered. */
  get(accountId: string): AccountRuntime | undefined {
    return this.#accounts.get(accountId);
  }

  /** The runtime of `accountId`. @throws ClawlinkError `INVALID_ARGUMENT` when unknown. */
  require(accountId: string): AccountRuntime {
    const runtime = this.#accounts.get(accountId);
    if (!runtime) {
      const known = [...this.#accounts.keys()].join(', ') || 'none';
      throw new ClawlinkError(
        'INVALID_ARGUMENT',
        `No account '${accountId}' is registered (known: ${known}).`,
      );
    }
    return runtime;
  }

  /** Every registered runtime, in the order added. */
  list(): AccountRuntime[] {
    return [...this.#accounts.values()];
  }

  /** The status of every account. */
  statuses(): AccountStatus[] {
    return this.list().map((runtime) => runtime.status());
  }

  /**
   * Starts every account, at most `maxConcurrentLogins` logging in at once, in the order
   * added, each start on a turn of the event loop of its own (so the logins in flight and
   * everything else the process does run between two starts, never behind a burst of them);
   * emits `startProgress` after each start settles. Resolves when each is connected or
   * half-alive (see its status).
   * @throws the first error of an account whose start threw (e.g. a `StateStoreError` when
   *   its state file cannot be opened), once every other start has settled; those keep running.
   */
  async startAll(): Promise<void> {
    const failures = await runLoginPool(
      this.list(),
      this.#maxConcurrentLogins,
      (runtime) => runtime.start(),
      (progress, runtime) => {
        const event = { ...progress, accountId: runtime.accountId, status: runtime.status() };
        try {
          this.emit('startProgress', event);
        } catch (error) {
          this.#options.logger?.error({ err: error }, 'a startProgress listener threw');
        }
      },
    );
    const first = failures[0];
    if (first) throw first.error;
  }

  /** Stops every account. Idempotent. */
  async stopAll(): Promise<void> {
    await Promise.all(this.list().map((runtime) => runtime.stop()));
  }

  /**
   * Stops every account and closes the shared state file, if there is one (a registry with a
   * `sharedStateFile` cannot start its accounts again after this). Idempotent.
   */
  async close(): Promise<void> {
    await this.stopAll();
    this.#shared?.close();
  }

  /** Stops and forgets one account; false when it was not registered. */
  async remove(accountId: string): Promise<boolean> {
    const runtime = this.#accounts.get(accountId);
    if (!runtime) return false;
    this.#accounts.delete(accountId);
    await runtime.stop();
    runtime.removeAllListeners();
    // A store of the shared file is the registry's to close (the runtime closes only its own).
    this.#sharedStores.get(accountId)?.close();
    this.#sharedStores.delete(accountId);
    return true;
  }
}

/** Creates an empty registry. */
export function createAccountRegistry(options: AccountRegistryOptions = {}): AccountRegistry {
  return new AccountRegistry(options);
}
