type Handle = ReturnType<typeof setTimeout>;

/**
 * The timer functions one SDK instance sees, tracked so that every timer it leaves behind can
 * be cleared when the instance is released. tim-js-sdk 2.27.6 starts a 1 s "not logged in"
 * interval in its constructor that only its own tick clears, and `destroy()` does not: a client
 * destroyed between login and that tick would otherwise keep the process alive forever.
 *
 * @internal
 */
export interface SdkTimers {
  setTimeout: (fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => Handle;
  clearTimeout: (handle: Handle | undefined) => void;
  setInterval: (fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => Handle;
  clearInterval: (handle: Handle | undefined) => void;
  /** Clears every timer still pending; returns how many there were. */
  clearAll(): number;
}

/** @internal */
export function createSdkTimers(): SdkTimers {
  const live = new Set<Handle>();
  const clear = (handle: Handle | undefined) => {
    if (handle === undefined) return;
    live.delete(handle);
    clearTimeout(handle);
  };
  return {
    setTimeout(fn, ms, ...args) {
      const handle = setTimeout(() => {
        live.delete(handle);
        fn(...args);
      }, ms);
      live.add(handle);
      return handle;
    },
    setInterval(fn, ms, ...args) {
      const handle = setInterval(fn, ms, ...args);
      live.add(handle);
      return handle;
    },
    clearTimeout: clear,
    clearInterval: clear,
    clearAll() {
      const count = live.size;
      for (const handle of live) clearTimeout(handle);
      live.clear();
      return count;
    },
  };
}
