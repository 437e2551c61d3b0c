import { describe, expect, it } from 'vitest';
import { EventStream } from './event-stream.js';

describe('EventStream', () => {
  it('yields pushed events in order; each push resolves when the loop asks for the next', async () => {
    const stream = new EventStream<string>(() => {});
    const finished: string[] = [];
    const a = stream.push('a').then((taken) => finished.push(`a:${taken}`));
    const b = stream.push('b').then((taken) => finished.push(`b:${taken}`));
    expect(await stream.next()).toEqual({ value: 'a', done: false });
    await Promise.resolve();
    expect(finished).toEqual([]);
    expect(await stream.next()).toEqual({ value: 'b', done: false });
    await a;
    expect(finished).toEqual(['a:true']);
    stream.close();
    await b;
    expect(finished).toEqual(['a:true', 'b:true']);
  });

  it('hands an event to a loop already waiting for one', async () => {
    const stream = new EventStream<number>(() => {});
    const next = stream.next();
    const taken = stream.push(1);
    expect(await next).toEqual({ value: 1, done: false });
    await stream.return();
    expect(await taken).toBe(true);
  });

  it('leaving the loop finishes the held event, releases queued ones and calls onClose once', async () => {
    let closes = 0;
    const stream = new EventStream<string>(() => {
      closes += 1;
    });
    const held = stream.push('held');
    const queued = stream.push('queued');
    const seen: string[] = [];
    for await (const event of stream) {
      seen.push(event);
      break;
    }
    expect(seen).toEqual(['held']);
    expect(await held).toBe(true);
    expect(await queued).toBe(false);
    expect(closes).toBe(1);
    stream.close();
    expect(closes).toBe(1);
    expect(stream.closed).toBe(true);
    expect(await stream.push('late')).toBe(false);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('close() ends a loop waiting for its next event', async () => {
    const stream = new EventStream<string>(() => {});
    const loop = (async () => {
      const seen: string[] = [];
      for await (const event of stream) seen.push(event);
      return seen;
    })();
    await stream.push('one');
    stream.close();
    expect(await loop).toEqual(['one']);
  });

  it('an aborted signal takes a queued event back (false) and lets a held one go (true)', async () => {
    const stream = new EventStream<string>(() => {});
    const heldSignal = new AbortController();
    const queuedSignal = new AbortController();
    const held = stream.push('held', heldSignal.signal);
    const queued = stream.push('queued', queuedSignal.signal);
    expect((await stream.next()).value).toBe('held');
    queuedSignal.abort();
    heldSignal.abort();
    expect(await queued).toBe(false);
    expect(await held).toBe(true);
    const next = stream.next();
    const after = stream.push('after');
    expect((await next).value).toBe('after');
    stream.close();
    expect(await after).toBe(true);
    expect(await stream.push('aborted', AbortSignal.abort())).toBe(false);
  });
});
