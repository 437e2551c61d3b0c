import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limiter.js';

describe('createRateLimiter', () => {
  it('allows `attempts` per key per sliding window and says how long to wait', () => {
    let now = 1_000_000;
    const limiter = createRateLimiter({ attempts: 2, windowMs: 1_000, now: () => now });
    expect(limiter.attempt('a')).toEqual({ allowed: true });
    now += 400;
    expect(limiter.attempt('a')).toEqual({ allowed: true });
    expect(limiter.attempt('a')).toEqual({ allowed: false, retryAfterMs: 600 });
    expect(limiter.attempt('b')).toEqual({ allowed: true });
    // Refused attempts are not counted: the wait only shrinks with time.
    now += 599;
    expect(limiter.attempt('a')).toEqual({ allowed: false, retryAfterMs: 1 });
    now += 1;
    expect(limiter.attempt('a')).toEqual({ allowed: true });
    expect(limiter.attempt('a')).toEqual({ allowed: false, retryAfterMs: 400 });
  });

  it('starts a key afresh once its attempts have aged out, across sweeps', () => {
    let now = 0;
    const limiter = createRateLimiter({ attempts: 1, windowMs: 100, now: () => now });
    expect(limiter.attempt('a')).toEqual({ allowed: true });
    expect(limiter.attempt('a')).toEqual({ allowed: false, retryAfterMs: 100 });
    now += 1_000;
    expect(limiter.attempt('b')).toEqual({ allowed: true });
    expect(limiter.attempt('a')).toEqual({ allowed: true });
  });
});
