import { describe, expect, it } from 'vitest';
import { TimError } from '../errors/tim-error.js';
import { manualClock } from '../runtime/manual-clock.js';
import { toTimError } from '../tim/tim-error-map.js';
import { utf8Bytes } from '../tim/tim-limits.js';
import {
  type StreamEditor,
  type StreamPart,
  type StreamReplyOptions,
  streamReply,
} from './stream-reply.js';

/** Lets every promise chain that can move on do so (no time passes). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

type Clock = ReturnType<typeof manualClock>;

/** Moves the fake clock forward 1 ms at a time, settling promises around each step. */
async function advance(clock: Clock, ms: number): Promise<void> {
  await settle();
  for (let i = 0; i < ms; i++) {
    clock.advance(1);
    await settle();
  }
}

/** An async iterable the test feeds by hand. */
function source() {
  const queued: IteratorResult<string>[] = [];
  let waiting: ((result: IteratorResult<string>) => void) | undefined;
  let failWith: ((error: unknown) => void) | undefined;
  let returned = false;
  const deliver = (result: IteratorResult<string>) => {
    if (waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve(result);
    } else queued.push(result);
  };
  const iterable: AsyncIterable<string> = {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        const result = queued.shift();
        if (result) return Promise.resolve(result);
        return new Promise<IteratorResult<string>>((resolve, reject) => {
          waiting = resolve;
          failWith = reject;
        });
      },
      return: () => {
        returned = true;
        return Promise.resolve({ done: true, value: undefined });
      },
    }),
  };
  return {
    iterable,
    push: (text: string) => deliver({ done: false, value: text }),
    end: () => deliver({ done: true, value: undefined }),
    fail: (error: unknown) => failWith?.(error),
    returned: () => returned,
  };
}

/** An editor that records every operation as `op handle "text" @time`. */
function recorder(clock: Clock, fail: (op: string, call: number) => unknown = () => undefined) {
  const ops: { op: 'send' | 'modify'; handle: string; text: string; at: number }[] = [];
  const firsts: boolean[] = [];
  /** Where each message stood at each op, as `<handle>@<index>:<state>`. */
  const parts: string[] = [];
  const record = (handle: string, part: StreamPart) =>
    parts.push(`${handle}@${part.index}:${part.state}`);
  let sent = 0;
  let calls = 0;
  const editor: StreamEditor<string> = {
    async send(text, first, part) {
      const error = fail('send', ++calls);
      if (error) throw error;
      const handle = `m${++sent}`;
      ops.push({ op: 'send', handle, text, at: clock.now() });
      firsts.push(first);
      record(handle, part);
      return handle;
    },
    async modify(handle, text, part) {
      const error = fail('modify', ++calls);
      if (error) throw error;
      ops.push({ op: 'modify', handle, text, at: clock.now() });
      record(handle, part);
    },
  };
  return { editor, ops, firsts, parts };
}

function start(
  overrides: Partial<StreamReplyOptions<string>> = {},
  fail?: (op: string, call: number) => unknown,
) {
  const clock = manualClock(0);
  const feed = source();
  const { editor, ops, firsts, parts } = recorder(clock, fail);
  const result = streamReply(feed.iterable, {
    editor,
    clock,
    retry: { random: () => 0, initialDelayMs: 100, maxDelayMs: 1000 },
    ...overrides,
  });
  result.catch(() => undefined);
  return { clock, feed, ops, firsts, parts, result };
}

describe('streamReply', () => {
  it('sends the first text, then modifies at most every intervalMs, and once more at the end', async () => {
    const { clock, feed, ops, result } = start();
    feed.push('Hel');
    await settle();
    expect(ops).toEqual([{ op: 'send', handle: 'm1', text: 'Hel', at: 0 }]);
    await advance(clock, 100);
    feed.push('lo');
    await advance(clock, 100);
    feed.push(' world');
    await advance(clock, 299);
    expect(ops).toHaveLength(1);
    await advance(clock, 1);
    expect(ops[1]).toEqual({ op: 'modify', handle: 'm1', text: 'Hello world', at: 500 });
    await advance(clock, 100);
    feed.push('!');
    await advance(clock, 100);
    feed.end();
    await expect(result).resolves.toEqual({
      messages: [{ handle: 'm1', text: 'Hello world!' }],
      text: 'Hello world!',
      aborted: false,
    });
    // The last modification comes at once when the stream ends, not at the next interval.
    expect(ops.at(-1)).toEqual({ op: 'modify', handle: 'm1', text: 'Hello world!', at: 700 });
    expect(ops).toHaveLength(3);
    expect(clock.pending()).toBe(0);
  });

  it('modifies through the handle the last modification returned', async () => {
    const clock = manualClock(0);
    const feed = source();
    const seen: string[] = [];
    const result = streamReply(feed.iterable, {
      clock,
      editor: {
        send: async () => 'v1',
        modify: async (handle, text, part) => {
          seen.push(`${handle}:${text}:${part.state}`);
          return `v${seen.length + 1}`;
        },
      },
    });
    feed.push('a');
    await advance(clock, 500);
    feed.push('b');
    await advance(clock, 500);
    feed.push('c');
    await settle();
    feed.end();
    await expect(result).resolves.toMatchObject({ messages: [{ handle: 'v4', text: 'abc' }] });
    // The end of the stream came after 'c' was shown: one more modification marks it last.
    expect(seen).toEqual(['v1:ab:growing', 'v2:abc:growing', 'v3:abc:last']);
  });

  it('modifies an unchanged message only to mark it last, and sends nothing for a blank stream', async () => {
    const blank = start();
    blank.feed.push('  ');
    blank.feed.end();
    await expect(blank.result).resolves.toEqual({ messages: [], text: '  ', aborted: false });
    expect(blank.ops).toEqual([]);

    const once = start();
    once.feed.push('  ');
    once.feed.push('hi');
    await settle();
    once.feed.end();
    await expect(once.result).resolves.toMatchObject({
      messages: [{ handle: 'm1', text: '  hi' }],
    });
    expect(once.ops.map((o) => `${o.op}:${o.text}`)).toEqual(['send:  hi', 'modify:  hi']);
    expect(once.parts).toEqual(['m1@0:growing', 'm1@0:last']);
  });

  it('marks a message growing until the stream ends, finished when the reply goes on, last at the end', async () => {
    const { clock, feed, ops, parts, result } = start({ maxBytes: 300, reserveBytes: 0 });
    feed.push('first words');
    await settle();
    feed.push(` ${'more words '.repeat(40)}`);
    await advance(clock, 500);
    feed.push('the end');
    await settle();
    feed.end();
    const { messages } = await result;
    expect(messages.length).toBeGreaterThan(1);
    const last = messages.length - 1;
    // The last thing TIM was told for each message: finished, and the last one marked last.
    const finalStates = messages.map((m) =>
      parts.filter((p) => p.startsWith(`${m.handle}@`)).at(-1),
    );
    expect(finalStates).toEqual(
      messages.map((m, i) => `${m.handle}@${i}:${i === last ? 'last' : 'finished'}`),
    );
    expect(parts[0]).toBe('m1@0:growing');
    expect(ops.at(-1)?.handle).toBe(messages[last]?.handle);
  });

  it('marks nothing last when the stream was aborted or failed (the reply was cut)', async () => {
    const controller = new AbortController();
    const aborted = start({ signal: controller.signal });
    aborted.feed.push('cut');
    await settle();
    aborted.feed.push(' short');
    controller.abort();
    await expect(aborted.result).resolves.toMatchObject({ aborted: true });
    expect(aborted.parts.every((p) => p.endsWith(':growing'))).toBe(true);

    const failed = start();
    failed.feed.push('half');
    await settle();
    failed.feed.fail(new Error('model failed'));
    await expect(failed.result).rejects.toThrow('model failed');
    expect(failed.parts).toEqual(['m1@0:growing']);
  });

  it('continues in a new message near the limit; the prefix is on the first only; nothing is lost', async () => {
    const maxBytes = 300;
    const { clock, feed, ops, firsts, result } = start({
      maxBytes,
      reserveBytes: 0,
      prefix: '@alice ',
    });
    const pieces = [
      'Here is the plan. '.repeat(6),
      '\n\n```ts\n',
      ...Array.from({ length: 30 }, (_, i) => `const value${i} = compute(${i}); // 测试 😀\n`),
      '```\n\nAnd that is all. ',
      '结尾。'.repeat(40),
    ];
    for (const piece of pieces) {
      feed.push(piece);
      await advance(clock, 50);
    }
    feed.end();
    const { messages, text } = await result;
    const input = pieces.join('');
    expect(text).toBe(input);
    expect(messages.length).toBeGreaterThan(3);
    for (const op of ops) expect(utf8Bytes(op.text)).toBeLessThanOrEqual(maxBytes);
    expect(messages[0]?.text.startsWith('@alice ')).toBe(true);
    expect(firsts).toEqual(messages.map((_, i) => i === 0));
    expect(messages.slice(1).some((m) => m.text.startsWith('@alice'))).toBe(false);
    // A message cut inside the code fence closes it; the next one reopens it with its info string.
    expect(messages.some((m) => m.text.startsWith('```ts\n'))).toBe(true);
    // Strip the markers added at the cuts. A close marker is "```" after a line break, else
    // "\n```": keep whichever reading matches the input.
    let joined = '';
    messages.forEach((message, i) => {
      let body = i === 0 ? message.text.slice('@alice '.length) : message.text;
      if (i > 0 && body.startsWith('```ts\n')) body = body.slice('```ts\n'.length);
      if (messages[i + 1]?.text.startsWith('```ts\n')) {
        expect(body.endsWith('```')).toBe(true);
        const afterLineBreak = body.slice(0, -3);
        body =
          afterLineBreak.endsWith('\n') && input.startsWith(afterLineBreak, joined.length)
            ? afterLineBreak
            : body.slice(0, -4);
      }
      joined += body;
    });
    expect(joined).toBe(input);
    // Every message's final version is the last thing TIM was told for it.
    for (const message of messages) {
      expect(ops.filter((o) => o.handle === message.handle).at(-1)?.text).toBe(message.text);
    }
  });

  it('splits a 30 KB reply that arrives at once into messages under the limit', async () => {
    const { feed, ops, result } = start();
    const input = 'A sentence of the long answer, with 中文 and emoji 🚀. '.repeat(600);
    expect(utf8Bytes(input)).toBeGreaterThan(30 * 1024);
    feed.push(input);
    feed.end();
    const { messages } = await result;
    expect(messages.length).toBeGreaterThanOrEqual(3);
    expect(messages.map((m) => m.text).join('')).toBe(input);
    for (const op of ops) expect(utf8Bytes(op.text)).toBeLessThanOrEqual(12 * 1024 - 1024);
    // Each message was sent once, already final: no modification was needed.
    expect(ops.every((o) => o.op === 'send')).toBe(true);
  });

  it('on abort stops reading and finalises what was received', async () => {
    const controller = new AbortController();
    const { clock, feed, ops, result } = start({ signal: controller.signal });
    feed.push('partial');
    await advance(clock, 100);
    feed.push(' answer');
    await settle();
    controller.abort();
    feed.push(' never shown');
    await expect(result).resolves.toEqual({
      messages: [{ handle: 'm1', text: 'partial answer' }],
      text: 'partial answer',
      aborted: true,
    });
    expect(feed.returned()).toBe(true);
    expect(ops.map((o) => `${o.op}:${o.text}`)).toEqual(['send:partial', 'modify:partial answer']);
  });

  it('retries a transient modify failure', async () => {
    const { clock, feed, ops, result } = start({}, (op, call) =>
      op === 'modify' && call === 2 ? new TimError('NOT_CONNECTED', 'reconnecting') : undefined,
    );
    feed.push('a');
    await settle();
    feed.push('b');
    feed.end();
    // The failed attempt waits 50 ms (backoff without jitter) and succeeds.
    await advance(clock, 50);
    await expect(result).resolves.toMatchObject({ messages: [{ handle: 'm1', text: 'ab' }] });
    expect(ops.map((o) => `${o.op}:${o.text}@${o.at}`)).toEqual(['send:a@0', 'modify:ab@50']);
  });

  it('rejects with the typed error of a permanent failure and stops reading', async () => {
    const { feed, result } = start({}, (op) =>
      op === 'modify' ? toTimError('modifyMessage', { code: 10017 }) : undefined,
    );
    feed.push('a');
    await settle();
    feed.push('b');
    feed.end();
    await expect(result).rejects.toMatchObject({ code: 'PERMISSION_DENIED', timCode: 10017 });
  });

  it('stops reading when sending fails permanently', async () => {
    const { feed, result } = start({}, () => toTimError('send', { code: 80002 }));
    feed.push('a');
    await expect(result).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(feed.returned()).toBe(true);
  });

  it('finalises what was received when the stream throws, then rethrows', async () => {
    const { feed, ops, result } = start();
    feed.push('half');
    await settle();
    feed.push(' done');
    await settle();
    const boom = new Error('model failed');
    feed.fail(boom);
    await expect(result).rejects.toBe(boom);
    expect(ops.at(-1)).toMatchObject({ op: 'modify', text: 'half done' });
  });
});
