/** Options for {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Attempts allowed per key within `windowMs`. */
  attempts: number;
  windowMs: number;
  /** Clock in milliseconds since the epoch. */
  now: () => number;
}

/** Outcome of one attempt: allowed, or refused with the wait until the next one is. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/** A sliding-window limiter of attempts per key (here: per agentId). */
export interface RateLimiter {
  /** Records an attempt for `key` if allowed; a refused attempt is not counted. */
  attempt(key: string): RateDecision;
}

/** Builds a {@link RateLimiter}; keys whose attempts have all aged out are forgotten. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const attemptsByKey = new Map<string, number[]>();
  let lastSweep = options.now();

  function sweep(now: number): void {
    if (now - lastSweep < options.windowMs) return;
    lastSweep = now;
    for (const [key, times] of attemptsByKey) {
      if ((times.at(-1) ?? 0) <= now - options.windowMs) attemptsByKey.delete(key);
    }
  }

  return {
    attempt(key) {
      const now = options.now();
      sweep(now);
      const recent = (attemptsByKey.get(key) ?? []).filter((t) => t > now - options.windowMs);
      if (recent.length >= options.attempts) {
        attemptsByKey.set(key, recent);
        const oldest = recent[recent.length - options.attempts] ?? now;
        return { allowed: false, retryAfterMs: Math.max(1, oldest + options.windowMs - now) };
      }
      recent.push(now);
      attemptsByKey.set(key, recent);
      return { allowed: true };
    },
  };
}
