import { ClawlinkError } from '@clawlink/core';
import { describe, expect, it } from 'vitest';
import { firstAnswer } from './first-answer.js';

async function* stream(...parts: string[]): AsyncIterable<string> {
  yield* parts;
}

describe('firstAnswer', () => {
  it('calls every listener in order before awaiting any, with the event and this', async () => {
    const calls: string[] = [];
    const self = {};
    const listeners = [
      async function (this: unknown, event: string) {
        calls.push(`a:${event}:${this === self}`);
        await new Promise((resolve) => setImmediate(resolve));
        calls.push('a done');
      },
      function (this: unknown, event: string) {
        calls.push(`b:${event}:${this === self}`);
      },
    ];
    await firstAnswer(listeners, 'hi', self);
    expect(calls).toEqual(['a:hi:true', 'b:hi:true', 'a done']);
  });

  it('picks the first registered answer, even when a later one settles sooner', async () => {
    const settled: string[] = [];
    const slow = async () => {
      await new Promise((resolve) => setImmediate(resolve));
      settled.push('first');
      return 'first';
    };
    const fast = () => {
      settled.push('second');
      return 'second';
    };
    const { answer, failures } = await firstAnswer([() => undefined, slow, fast], 0, null);
    expect(settled).toEqual(['second', 'first']);
    expect(answer).toBe('first');
    expect(failures).toEqual([]);
  });

  it('takes an async iterable (or a promise of one) as an answer and leaves it unread', async () => {
    let read = false;
    const iterable = {
      async *[Symbol.asyncIterator]() {
        read = true;
        yield 'x';
      },
    };
    const { answer } = await firstAnswer([() => iterable, () => stream('no')], 0, null);
    expect(answer).toBe(iterable);
    expect(read).toBe(false);
    const promised = await firstAnswer([async () => iterable], 0, null);
    expect(promised.answer).toBe(iterable);
    expect(read).toBe(false);
  });

  it('treats undefined, null and the empty string as no answer', async () => {
    const { answer } = await firstAnswer([() => undefined, () => null, () => ''], 0, null);
    expect(answer).toBeUndefined();
  });

  it('lists sync throws and rejections in order, and still returns the answer', async () => {
    const sync = new Error('sync');
    const rejected = new Error('rejected');
    const { answer, failures } = await firstAnswer(
      [
        () => {
          throw sync;
        },
        () => 'ok',
        () => Promise.reject(rejected),
      ],
      0,
      null,
    );
    expect(failures).toEqual([sync, rejected]);
    expect(answer).toBe('ok');
  });

  it('refuses an answer that is neither text nor an async iterable, saying what to return', async () => {
    const { failures } = await firstAnswer(
      [() => 42, () => ({ text: 'hi' }), () => ['a']],
      0,
      null,
    );
    expect(failures).toHaveLength(3);
    for (const failure of failures) {
      expect(ClawlinkError.isInstance(failure)).toBe(true);
      expect((failure as ClawlinkError).code).toBe('INVALID_ARGUMENT');
    }
    expect((failures[0] as Error).message).toMatch(/answered with a number; return a string/);
    expect((failures[1] as Error).message).toMatch(/an object that is not an async iterable/);
    expect((failures[2] as Error).message).toMatch(/an array/);
  });
});
