import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

const policy = { initialDelayMs: 1_000, maxDelayMs: 10_000 };

describe('backoffDelay', () => {
  it('doubles the ceiling per attempt and draws from its upper half', () => {
    const low = (attempt: number) => backoffDelay(attempt, { ...policy, random: () => 0 });
    const high = (attempt: number) => backoffDelay(attempt, { ...policy, random: () => 0.999999 });
    expect([0, 1, 2, 3].map(low)).toEqual([500, 1_000, 2_000, 4_000]);
    expect([0, 1, 2, 3].map(high)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(backoffDelay(2, { ...policy, random: () => 0.5 })).toBe(3_000);
  });

  it('never exceeds maxDelayMs, even for huge attempt numbers', () => {
    for (const attempt of [4, 5, 10, 100, 5_000]) {
      const delay = backoffDelay(attempt, { ...policy, random: () => 0.999999 });
      expect(delay).toBe(10_000);
      expect(backoffDelay(attempt, { ...policy, random: () => 0 })).toBe(5_000);
    }
  });

  it('uses 2 s and 5 min by default and Math.random when none is injected', () => {
    expect(backoffDelay(0, { random: () => 0 })).toBe(1_000);
    expect(backoffDelay(50, { random: () => 0.999999 })).toBe(300_000);
    for (let i = 0; i < 50; i++) {
      const delay = backoffDelay(1);
      expect(delay).toBeGreaterThanOrEqual(2_000);
      expect(delay).toBeLessThanOrEqual(4_000);
    }
  });

  it('clamps a random source that strays outside [0, 1)', () => {
    expect(backoffDelay(0, { ...policy, random: () => -3 })).toBe(500);
    expect(backoffDelay(0, { ...policy, random: () => 7 })).toBe(1_000);
  });

  it('rejects nonsense arguments', () => {
    expect(() => backoffDelay(-1, policy)).toThrow(RangeError);
    expect(() => backoffDelay(1.5, policy)).toThrow(RangeError);
    expect(() => backoffDelay(0, { initialDelayMs: 0 })).toThrow(/initialDelayMs/);
    expect(() => backoffDelay(0, { initialDelayMs: 5_000, maxDelayMs: 1_000 })).toThrow(
      /maxDelayMs/,
    );
  });
});
