import { TIM_LIMITS } from '@clawlink/tim-facts';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope, parseEnvelope } from './envelope.js';
import { customBytes, MAX_RESULT_PARTS, ResultAssembler, splitResult } from './result-parts.js';

/** 40 KB of text that is hard to cut: multi-byte letters, emoji (surrogate pairs), escapes. */
const hardText = (bytes: number) => {
  const unit = 'ab€ 😀 "q" \\ \n\t\u0001 字';
  return unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit)));
};

describe('splitResult', () => {
  it('keeps a result that fits in one message whole', () => {
    const [only, ...rest] = splitResult('r-1', 'short answer');
    expect(rest).toEqual([]);
    expect(only).toEqual({
      type: 'clawlink.response',
      v: 1,
      id: 'r-1',
      status: 'ok',
      result: 'short answer',
    });
  });

  it('splits a 40 KB result into parts that each fit in a TIM message, on code points', () => {
    const result = hardText(40 * 1024);
    const parts = splitResult('8f9c3a52-5b8e-4c61-9d7e-0f1e2d3c4b5a', result);
    expect(parts.length).toBeGreaterThan(3);
    parts.forEach((part, index) => {
      expect(part.part).toEqual({ index, count: parts.length });
      const custom = encodeEnvelope(part);
      expect(customBytes(custom)).toBeLessThanOrEqual(TIM_LIMITS.messageBytes);
      // No lone surrogate: each piece is well-formed text on its own.
      expect(Buffer.from(part.result, 'utf8').toString('utf8')).toBe(part.result);
      expect(parseEnvelope(custom)).toEqual({ ok: true, envelope: part });
    });
    expect(parts.map((p) => p.result).join('')).toBe(result);
    // Parts are filled: all but the last are close to the limit.
    for (const part of parts.slice(0, -1)) {
      expect(customBytes(encodeEnvelope(part))).toBeGreaterThan(TIM_LIMITS.messageBytes - 64);
    }
  });

  it('widens the part numbers when a result needs ten or more parts', () => {
    const result = 'x'.repeat(2000);
    const parts = splitResult('r-2', result, 200);
    expect(parts.length).toBeGreaterThanOrEqual(10);
    for (const part of parts) expect(customBytes(encodeEnvelope(part))).toBeLessThanOrEqual(200);
    expect(parts.map((p) => p.result).join('')).toBe(result);
  });
});

describe('ResultAssembler', () => {
  it('reassembles parts in any order; a repeated part is harmless', () => {
    const result = hardText(40 * 1024);
    const parts = splitResult('r-1', result);
    const assembler = new ResultAssembler();
    const arrival = [...parts].reverse();
    arrival.splice(1, 0, parts[parts.length - 1] as (typeof parts)[number]);
    const outcomes = arrival.map((part) => assembler.add(part));
    expect(outcomes.slice(0, -1).every((o) => o.state === 'incomplete')).toBe(true);
    expect(outcomes.at(-1)).toEqual({ state: 'complete', result });
  });

  it('takes a whole result at once and keeps results of different requests apart', () => {
    const assembler = new ResultAssembler();
    const a = splitResult('a', 'A'.repeat(30_000));
    const b = splitResult('b', 'B'.repeat(30_000));
    expect(assembler.add(a[0] as (typeof a)[number]).state).toBe('incomplete');
    expect(assembler.add(b[0] as (typeof b)[number]).state).toBe('incomplete');
    for (const part of a.slice(1, -1)) assembler.add(part);
    expect(assembler.add(a.at(-1) as (typeof a)[number])).toEqual({
      state: 'complete',
      result: 'A'.repeat(30_000),
    });
    expect(assembler.add(splitResult('c', 'whole')[0] as (typeof a)[number])).toEqual({
      state: 'complete',
      result: 'whole',
    });
  });

  it('refuses parts that disagree on their count or announce too many', () => {
    const assembler = new ResultAssembler();
    const base = { type: 'clawlink.response', v: 1, id: 'r', status: 'ok', result: 'x' } as const;
    assembler.add({ ...base, part: { index: 0, count: 3 } });
    expect(assembler.add({ ...base, part: { index: 1, count: 4 } })).toEqual({
      state: 'invalid',
      problem: "the result's parts disagree on their count (3 and 4)",
    });
    expect(
      assembler.add({ ...base, id: 'big', part: { index: 0, count: MAX_RESULT_PARTS + 1 } }).state,
    ).toBe('invalid');
    assembler.forget('r');
    expect(assembler.add({ ...base, part: { index: 0, count: 1 } })).toEqual({
      state: 'complete',
      result: 'x',
    });
  });
});
