import { describe, expect, it } from 'vitest';
import { createSettledWatermarks, type WatermarkMessage } from './settled-watermark.js';

// The pipeline's use (a gated-out message settled while an earlier one is mid-dispatch, then a
// real SIGKILL) is proven in runtime/account-runtime.crash.test.ts.

const inGroup = (seq: number): WatermarkMessage => ({
  id: `g-${seq}`,
  conversation: 'group:team',
  time: 1_800_000_000_000 + seq * 1000,
  seq,
});
const direct = (id: string, time: number): WatermarkMessage => ({
  id,
  conversation: 'c2c:carol',
  time,
});
const at = (m: WatermarkMessage) => ({ time: m.time, messageId: m.id, seq: m.seq });

describe('createSettledWatermarks', () => {
  it('holds the watermark below a message still unsettled, then moves to the newest settled', () => {
    const marks = createSettledWatermarks();
    for (const seq of [1, 2, 3]) marks.track(inGroup(seq));
    expect(marks.settle(inGroup(2))).toBeUndefined();
    expect(marks.settle(inGroup(3))).toBeUndefined();
    expect(marks.settle(inGroup(1))).toEqual(at(inGroup(3)));
  });

  it('moves at once when the settled message is the oldest one taken', () => {
    const marks = createSettledWatermarks();
    marks.track(inGroup(1));
    marks.track(inGroup(2));
    expect(marks.settle(inGroup(1))).toEqual(at(inGroup(1)));
    expect(marks.settle(inGroup(2))).toEqual(at(inGroup(2)));
  });

  it('keeps conversations apart', () => {
    const marks = createSettledWatermarks();
    marks.track(inGroup(1));
    marks.track(direct('d1', 1000));
    expect(marks.settle(direct('d1', 1000))).toEqual({ time: 1000, messageId: 'd1' });
    expect(marks.settle(inGroup(1))).toEqual(at(inGroup(1)));
  });

  it('puts a message caught up late in its place (by sequence, else by time)', () => {
    const marks = createSettledWatermarks();
    marks.track(inGroup(5));
    marks.track(inGroup(3));
    expect(marks.settle(inGroup(5))).toBeUndefined();
    expect(marks.settle(inGroup(3))).toEqual(at(inGroup(5)));

    marks.track(direct('late', 2000));
    marks.track(direct('early', 1000));
    expect(marks.settle(direct('late', 2000))).toBeUndefined();
    expect(marks.settle(direct('early', 1000))).toEqual({ time: 2000, messageId: 'late' });
  });

  it('keeps arrival order for messages in the same second', () => {
    const marks = createSettledWatermarks();
    marks.track(direct('a', 1000));
    marks.track(direct('b', 1000));
    expect(marks.settle(direct('a', 1000))).toEqual({ time: 1000, messageId: 'a' });
  });

  it('tracks a message taken again (a redelivery after a stop) once, in its place', () => {
    const marks = createSettledWatermarks();
    marks.track(inGroup(1));
    marks.track(inGroup(2));
    marks.track(inGroup(1));
    expect(marks.settle(inGroup(2))).toBeUndefined();
    expect(marks.settle(inGroup(1))).toEqual(at(inGroup(2)));
  });

  it('lets a forgotten message hold nothing back from the next settle on', () => {
    const marks = createSettledWatermarks();
    for (const seq of [1, 2, 3]) marks.track(inGroup(seq));
    expect(marks.settle(inGroup(2))).toBeUndefined();
    marks.forget(inGroup(1));
    expect(marks.settle(inGroup(3))).toEqual(at(inGroup(3)));
  });

  it('does not move for a message it never tracked', () => {
    const marks = createSettledWatermarks();
    marks.track(inGroup(1));
    expect(marks.settle(inGroup(2))).toBeUndefined();
  });
});
