import type { Logger } from '../logging/logger.js';

/** Set while a promise's own containment handler is being attached (see the constructor). */
let attaching = false;

/**
 * The `Promise` the TIM SDK is given instead of the global one. The SDK is Babel output that
 * names `Promise` as a free identifier (no `async`/`await`), so every promise it makes, and
 * every promise derived from one through `then`/`catch`/`finally`, is an `SdkPromise`.
 *
 * Each `SdkPromise` is marked handled when it is created, so the SDK's internal rejections
 * that nobody handles (e.g. the `group_create` notice `createGroup` sends without a `catch`,
 * or the telemetry POST that fails after a kick) never become unhandled rejections: the
 * process is not killed, and no `unhandledRejection` listener of the host (or of a test
 * runner) ever sees them. The host's own promises are untouched, and no process-wide listener
 * is installed: Node treats every other rejection exactly as it would without clawlink.
 * A rejection nobody but this mark observed is logged at debug on the owning client's logger.
 *
 * Handlers the SDK or clawlink attach still receive every rejection as usual.
 *
 * @internal
 */
export class SdkPromise<T> extends Promise<T> {
  /** Where unobserved rejections are logged; set on per-client subclasses. */
  static logger: Logger | undefined;

  #observed = false;

  constructor(
    executor: (
      resolve: (value: T | PromiseLike<T>) => void,
      reject: (reason?: unknown) => void,
    ) => void,
  ) {
    super(executor);
    if (attaching) return;
    attaching = true;
    try {
      // The derived promise this creates is constructed while `attaching` is set, so it gets
      // no handler of its own (no recursion); it resolves with undefined and never rejects.
      super.then(undefined, (reason: unknown) => this.#onRejected(reason));
    } finally {
      attaching = false;
    }
  }

  // biome-ignore lint/suspicious/noThenProperty: a Promise subclass overrides `then` on purpose.
  override then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    // `catch`, `finally`, `await` and the Promise combinators all go through `then`.
    this.#observed = true;
    return super.then(onFulfilled, onRejected);
  }

  #onRejected(reason: unknown): void {
    // One more microtask, so handlers attached in the same turn (e.g. by `await`) count.
    queueMicrotask(() => {
      if (this.#observed) return;
      const logger = (this.constructor as SdkPromiseClass).logger;
      logger?.debug(
        { err: describe(reason) },
        'TIM SDK left a promise rejection unhandled; ignored',
      );
    });
  }
}

/** The `SdkPromise` class of one client; its static `logger` says where its rejections go. */
export type SdkPromiseClass = typeof SdkPromise;

/**
 * A subclass of {@link SdkPromise} for one client, so an ignored rejection is logged on the
 * logger of the client whose SDK raised it.
 *
 * @internal
 */
export function createSdkPromiseClass(logger: Logger): SdkPromiseClass {
  const ClientSdkPromise = class<T> extends SdkPromise<T> {};
  ClientSdkPromise.logger = logger;
  return ClientSdkPromise;
}

function describe(reason: unknown): unknown {
  if (reason instanceof Error) return { name: reason.name, message: reason.message };
  if (typeof reason === 'object' && reason !== null) {
    const { code, message } = reason as { code?: unknown; message?: unknown };
    return { code, message };
  }
  return reason;
}
