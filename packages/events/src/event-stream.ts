/** An event waiting in (or taken from) an {@link EventStream}, and how its turn ended. */
interface Delivery<T> {
  readonly value: T;
  /** true: the loop took it and has finished with it; false: the stream ended before the loop took it. */
  readonly settle: (taken: boolean) => void;
}

/**
 * One `for await` consumer of an agent's events: events are queued in the order they are
 * pushed and yielded one at a time. An event counts as finished with when the loop asks for the
 * next one or leaves (`break`, `return`, a throw); {@link push} resolves then, so the agent
 * answers (and marks handled) only after the loop body has done its work.
 */
export class EventStream<T> implements AsyncIterableIterator<T> {
  readonly #queue: Delivery<T>[] = [];
  readonly #onClose: () => void;
  #current: Delivery<T> | undefined;
  #waiting: ((result: IteratorResult<T>) => void) | undefined;
  #closed = false;

  /** @param onClose called once, when the stream ends (the loop left, or {@link close}). */
  constructor(onClose: () => void) {
    this.#onClose = onClose;
  }

  /** Whether the stream has ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queues `value` for the loop. Resolves true when the loop took it and finished with it,
   * false when the stream ended (or `signal` fired) before the loop took it.
   */
  push(value: T, signal?: AbortSignal): Promise<boolean> {
    if (this.#closed || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        const index = this.#queue.indexOf(delivery);
        if (index >= 0) this.#queue.splice(index, 1);
        settle(index < 0);
      };
      let done = false;
      const settle = (taken: boolean) => {
        if (done) return;
        done = true;
        signal?.removeEventListener('abort', onAbort);
        resolve(taken);
      };
      const delivery: Delivery<T> = { value, settle };
      signal?.addEventListener('abort', onAbort, { once: true });
      const waiting = this.#waiting;
      if (waiting) {
        this.#waiting = undefined;
        this.#current = delivery;
        waiting({ value, done: false });
      } else {
        this.#queue.push(delivery);
      }
    });
  }

  /** Finishes the event the loop holds, then yields the next one (waiting for it if needed). */
  next(): Promise<IteratorResult<T>> {
    this.#finishCurrent();
    const delivery = this.#queue.shift();
    if (delivery) {
      this.#current = delivery;
      return Promise.resolve({ value: delivery.value, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  /** The loop left: finishes the event it held and ends the stream. */
  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  /**
   * Ends the stream: the event the loop holds counts as finished with, events not yet taken
   * are released (their {@link push} resolves false), a waiting `next()` resolves done.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#finishCurrent();
    for (const delivery of this.#queue.splice(0)) delivery.settle(false);
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ value: undefined, done: true });
    this.#onClose();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #finishCurrent(): void {
    const current = this.#current;
    this.#current = undefined;
    current?.settle(true);
  }
}
