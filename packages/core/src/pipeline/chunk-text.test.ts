import { TIM_LIMITS } from '@clawlink/tim-facts';
import { describe, expect, it } from 'vitest';
import { utf8Bytes } from '../tim/tim-limits.js';
import {
  type ChunkTextOptions,
  chunkText,
  DEFAULT_CHUNK_RESERVE_BYTES,
  type TextChunk,
} from './chunk-text.js';

/** A small seeded PRNG (mulberry32), so a failing case can be replayed by its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['hello', 'world', 'clawlink', 'TIM', 'agent', 'a', 'reply', 'ok'];
const CJK = '你好世界腾讯云即时通信消息长文本测试';
const EMOJI = ['😀', '👍🏽', '👩‍💻', '🇨🇳', '🧪', 'é', 'ß'];

/** Random markdown-ish text: words, CJK, emoji, line and paragraph breaks, fences, long words. */
function randomText(random: () => number, pieces: number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  let out = '';
  let inFence = false;
  for (let i = 0; i < pieces; i++) {
    const r = random();
    if (r < 0.45) out += `${pick(WORDS)} `;
    else if (r < 0.6) out += CJK.slice(0, 1 + Math.floor(random() * CJK.length));
    else if (r < 0.7) out += pick(EMOJI);
    else if (r < 0.8) out += '\n';
    else if (r < 0.86) out += '\n\n';
    else if (r < 0.93) {
      out += inFence ? '\n```\n' : `\n${pick(['```', '```ts', '```python', '````md'])}\n`;
      inFence = !inFence;
    } else if (r < 0.97) out += pick(WORDS).repeat(5 + Math.floor(random() * 80));
    else out += pick(EMOJI).repeat(10 + Math.floor(random() * 60));
  }
  return out;
}

/** Fence lines in `text`, by the same rules as CommonMark's (backtick or tilde runs). */
function endsInsideFence(text: string): boolean {
  let open: string | null = null;
  for (const line of text.split('\n')) {
    const match = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line.replace(/\r$/, ''));
    if (!match) continue;
    const run = match[1] ?? '';
    if (open === null) {
      if (!(run.startsWith('`') && (match[2] ?? '').includes('`'))) open = run;
    } else if (run[0] === open[0] && run.length >= open.length && (match[2] ?? '').trim() === '') {
      open = null;
    }
  }
  return open !== null;
}

function budget(options: ChunkTextOptions): number {
  return (
    (options.maxBytes ?? TIM_LIMITS.messageBytes) -
    (options.prefixBytes ?? 0) -
    (options.reserveBytes ?? DEFAULT_CHUNK_RESERVE_BYTES)
  );
}

/** The invariants every chunking must keep. */
function checkChunks(input: string, chunks: TextChunk[], options: ChunkTextOptions): void {
  expect(chunks.map((c) => c.body).join('')).toBe(input);
  chunks.forEach((chunk, index) => {
    expect(chunk.text).toBe(chunk.reopened + chunk.body + chunk.closed);
    expect(utf8Bytes(chunk.text)).toBeLessThanOrEqual(budget(options));
    expect(chunk.body.trim()).not.toBe('');
    // Never split inside a surrogate pair.
    expect(chunk.body.charCodeAt(0) >= 0xdc00 && chunk.body.charCodeAt(0) <= 0xdfff).toBe(false);
    const last = chunk.body.charCodeAt(chunk.body.length - 1);
    expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
    if (chunk.reopened) expect(chunk.reopened).toMatch(/^(`{3,}|~{3,})[^\n]*\n$/);
    if (chunk.closed) expect(chunk.closed).toMatch(/^\n?(`{3,}|~{3,})$/);
    if (index < chunks.length - 1) {
      // A fence open at the end of a part is closed there and reopened in the next.
      expect(endsInsideFence(chunk.text)).toBe(false);
      const next = chunks[index + 1] as TextChunk;
      expect(next.reopened !== '').toBe(chunk.closed !== '');
    }
  });
}

describe('chunkText', () => {
  it('returns short text as one part and empty text as none', () => {
    expect(chunkText('hello')).toEqual([
      { text: 'hello', body: 'hello', reopened: '', closed: '' },
    ]);
    expect(chunkText('')).toEqual([]);
  });

  it('splits at the last paragraph boundary that fits, before a line or a word', () => {
    const options = { maxBytes: 100, reserveBytes: 0 };
    const first = `${'a'.repeat(60)}\n\n${'b '.repeat(5)}\n${'c'.repeat(10)} `;
    const text = `${first}${'d'.repeat(40)}`;
    const chunks = chunkText(text, options);
    expect(chunks.map((c) => c.body)).toEqual([`${'a'.repeat(60)}\n\n`, text.slice(62)]);
    checkChunks(text, chunks, options);
    // A boundary in the first half of what fits is passed over for a later one.
    const early = `${'a'.repeat(10)}\n\n${'b'.repeat(70)} ${'c'.repeat(40)}`;
    expect(chunkText(early, options).map((c) => c.body)).toEqual([
      early.slice(0, 83),
      early.slice(83),
    ]);
  });

  it('falls back to a line break, then a space, then a code point', () => {
    const options = { maxBytes: 64, reserveBytes: 0 };
    const lines = `${'a'.repeat(40)}\n${'b'.repeat(40)}`;
    expect(chunkText(lines, options).map((c) => c.body)).toEqual([
      `${'a'.repeat(40)}\n`,
      'b'.repeat(40),
    ]);
    const words = `${'a'.repeat(40)} ${'b'.repeat(40)}`;
    expect(chunkText(words, options).map((c) => c.body)).toEqual([
      `${'a'.repeat(40)} `,
      'b'.repeat(40),
    ]);
    // 30 CJK characters of 3 bytes each, no spaces: 21 fit in 64 bytes.
    const cjk = '你'.repeat(30);
    expect(chunkText(cjk, options).map((c) => c.body)).toEqual(['你'.repeat(21), '你'.repeat(9)]);
    // Emoji are 4 bytes (two UTF-16 units): 16 fit, never half of one.
    const emoji = '😀'.repeat(20);
    expect(chunkText(emoji, options).map((c) => c.body)).toEqual(['😀'.repeat(16), '😀'.repeat(4)]);
  });

  it('leaves room for the prefix and the reserve', () => {
    const text = 'x'.repeat(300);
    const chunks = chunkText(text, { maxBytes: 200, prefixBytes: 20, reserveBytes: 30 });
    expect(chunks.map((c) => c.body.length)).toEqual([150, 150]);
  });

  it('closes a code fence open at the end of a part and reopens it with its info string', () => {
    const options = { maxBytes: 120, reserveBytes: 0 };
    const code = Array.from({ length: 12 }, (_, i) => `let v${i} = ${i};`).join('\n');
    const text = `Intro.\n\n\`\`\`ts\n${code}\n\`\`\`\nAfter.`;
    const chunks = chunkText(text, options);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks[0]?.closed).toBe('```');
    expect(chunks[1]?.reopened).toBe('```ts\n');
    expect(chunks.at(-1)?.text.endsWith('```\nAfter.')).toBe(true);
    checkChunks(text, chunks, options);
  });

  it('continues inside a fence given by openFence', () => {
    const chunks = chunkText('more code\n```\ntext', { openFence: '```js' });
    expect(chunks).toEqual([
      {
        text: '```js\nmore code\n```\ntext',
        body: 'more code\n```\ntext',
        reopened: '```js\n',
        closed: '',
      },
    ]);
    expect(() => chunkText('x', { openFence: 'js' })).toThrow(RangeError);
    // Cut into several parts, each one closes and reopens the fence it started in.
    const options = { maxBytes: 100, reserveBytes: 0, openFence: '```js' };
    const code = Array.from({ length: 12 }, (_, i) => `call(${i});`).join('\n');
    const parts = chunkText(`${code}\n\`\`\`\nDone.`, options);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.reopened).toBe('```js\n');
    for (const part of parts.slice(0, -1)) expect(part.closed).not.toBe('');
    expect(parts.at(-1)?.closed).toBe('');
  });

  it('never leaves a blank last part', () => {
    const options = { maxBytes: 64, reserveBytes: 0 };
    const text = `${'a'.repeat(60)}\n\nb${' '.repeat(10)}`;
    const chunks = chunkText(text, options);
    checkChunks(text, chunks, options);
    expect(chunks.at(-1)?.body).toBe(`b${' '.repeat(10)}`);
  });

  it('refuses options that leave too little room', () => {
    expect(() => chunkText('x', { maxBytes: 100, reserveBytes: 50 })).toThrow(/at least 64/);
    expect(() => chunkText('x', { prefixBytes: -1 })).toThrow(/prefixBytes/);
  });

  it('keeps every invariant over random text with emoji, CJK, fences and long words', () => {
    let parts = 0;
    let reopened = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const random = prng(seed);
      const text = randomText(random, 20 + Math.floor(random() * 400));
      const options = { maxBytes: 64 + Math.floor(random() * 400), reserveBytes: 0 };
      const chunks = chunkText(text, options);
      parts += chunks.length;
      reopened += chunks.filter((c) => c.reopened !== '').length;
      try {
        checkChunks(text, chunks, options);
      } catch (error) {
        throw new Error(`seed ${seed} failed: ${(error as Error).message}`);
      }
    }
    // The cases did split, and inside fences too.
    expect(parts).toBeGreaterThan(3000);
    expect(reopened).toBeGreaterThan(300);
  });

  it('splits a 30 KB reply with a long code block under the 12 KB limit', () => {
    const paragraph = 'This paragraph explains the design of the system in some detail. '.repeat(8);
    const code = Array.from(
      { length: 300 },
      (_, i) => `    result_${i} = compute(${i}) # 中文注释 ✅`,
    ).join('\n');
    let text = '';
    while (utf8Bytes(text) < 30 * 1024) text += `${paragraph}\n\n\`\`\`python\n${code}\n\`\`\`\n\n`;
    const options = { prefixBytes: utf8Bytes('@alice ') };
    const chunks = chunkText(text, options);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    checkChunks(text, chunks, options);
    expect(chunks.some((c) => c.reopened === '```python\n')).toBe(true);
    for (const chunk of chunks)
      expect(utf8Bytes(`@alice ${chunk.text}`)).toBeLessThanOrEqual(
        TIM_LIMITS.messageBytes - DEFAULT_CHUNK_RESERVE_BYTES,
      );
  });
});
