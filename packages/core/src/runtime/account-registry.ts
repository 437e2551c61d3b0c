import { EventEmitter } from 'node:events';
import { parseAccountConfig } from '../config/account-config.js';
import { ClawlinkError } from '../errors/clawlink-error.js';
import type { Logger } from '../logging/logger.js';
import type { StateStore } from '../state/state-store.js';
import { AccountRuntime, type AccountRuntimeEvents } from './account-runtime.js';
import type { AccountStatus } from './account-status.js';
import type { Clock } from './clock.js';

/** Options shared by every account of an {@link AccountRegistry}. */
export interface AccountRegistryOptions {
  logger?: Logger;
  clock?: Clock;
  fetch?: typeof fetch;
  /** Makes the state store of each account; by default each opens its own SQLite file. */
  createStore?: (accountId: string) => StateStore;
}

/** Events of an {@link AccountRegistry}: every account's events, in one place. */
export type AccountRegistryEvents = AccountRuntimeEvents;

/**
 * Many accounts in one process, keyed by accountId. Each account has its own runtime, state
 * file and TIM connection; the registry forwards their events.
 */
export class AccountRegistry extends EventEmitter<AccountRegistryEvents> {
  readonly #accounts = new Map<string, AccountRuntime>();
  readonly #options: AccountRegistryOptions;

  constructor(options: AccountRegistryOptions = {}) {
    super();
    this.#options = options;
  }

  /**
   * Adds an account (validated at once; a bad config throws `ConfigError`). It is not started.
   * @throws ClawlinkError `INVALID_ARGUMENT` when the accountId is already registered.
   */
  add(config: unknown): AccountRuntime {
    const parsed = parseAccountConfig(config);
    if (this.#accounts.has(parsed.accountId)) {
      throw new ClawlinkError(
        'INVALID_ARGUMENT',
        `Account '${parsed.accountId}' is already registered; remove() it first or use another accountId.`,
      );
    }
    const { logger, clock, fetch, createStore } = this.#options;
    const runtime = new AccountRuntime({
      config: parsed,
      ...(logger ? { logger } : {}),
      ...(clock ? { clock } : {}),
      ...(fetch ? { fetch } : {}),
      ...(createStore ? { store: createStore(parsed.accountId) } : {}),
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

  /** Starts every account; resolves when each is connected or half-alive. */
  async startAll(): Promise<void> {
    await Promise.all(this.list().map((runtime) => runtime.start()));
  }

  /** Stops every account. Idempotent. */
  async stopAll(): Promise<void> {
    await Promise.all(this.list().map((runtime) => runtime.stop()));
  }

  /** Stops and forgets one account; false when it was not registered. */
  async remove(accountId: string): Promise<boolean> {
    const runtime = this.#accounts.get(accountId);
    if (!runtime) return false;
    this.#accounts.delete(accountId);
    await runtime.stop();
    runtime.removeAllListeners();
    return true;
  }
}

/** Creates an empty registry. */
export function createAccountRegistry(options: AccountRegistryOptions = {}): AccountRegistry {
  return new AccountRegistry(options);
}
