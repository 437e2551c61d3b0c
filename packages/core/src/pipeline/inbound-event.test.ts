import { describe, expect, expectTypeOf, it } from 'vitest';
import type { SentMessage } from '../tim/messages.js';
import type { Dispatch, DispatchContext, InboundEvent, Reply } from './inbound-event.js';

const base = {
  accountId: 'support-bot',
  sender: { id: 'alice', nick: 'Alice' },
  text: 'is it down?\nthe dashboard',
  messages: [
    { id: 'm1', time: 1_733_050_000_000, seq: 7, text: 'is it down?' },
    { id: 'm2', time: 1_733_050_001_000, seq: 8, text: 'the dashboard' },
  ],
  mentions: ['support-bot'],
  wasMentioned: true,
  time: 1_733_050_001_000,
  catchUp: false,
} as const;

const channelEvent: InboundEvent = {
  ...base,
  kind: 'channel',
  conversation: { type: 'group', id: '@TGS#1ops' },
  channel: { id: '@TGS#1ops', name: 'ops', skill: 'Answer questions about outages.' },
};

const requestEvent: InboundEvent = {
  ...base,
  kind: 'agent_request',
  conversation: { type: 'c2c', id: 'planner-bot' },
  request: { id: 'r1', task: 'check the dashboard', from: 'planner-bot' },
};

async function* words(): AsyncIterable<string> {
  yield 'Looking';
  yield ' now.';
}

describe('the dispatch contract', () => {
  it('narrows an event on kind', () => {
    const describeEvent = (event: InboundEvent): string => {
      switch (event.kind) {
        case 'channel':
          return `#${event.channel.name} (${event.channel.skill ?? 'no skill'})`;
        case 'agent_request':
          return `task ${event.request.id} from ${event.request.from}`;
        case 'direct':
          return `dm from ${event.sender.nick}`;
      }
    };
    expect(describeEvent(channelEvent)).toBe('#ops (Answer questions about outages.)');
    expect(describeEvent(requestEvent)).toBe('task r1 from planner-bot');
    // @ts-expect-error a channel event needs its channel
    const missing: InboundEvent = {
      ...base,
      kind: 'channel',
      conversation: { type: 'group', id: 'g' },
    };
    expect(missing.kind).toBe('channel');
  });

  it('accepts a dispatch returning a string, a stream, nothing, or a promise of them', async () => {
    const answers: Dispatch = (event) => `You said: ${event.text}`;
    const streams: Dispatch = () => words();
    const silent: Dispatch = async (_, ctx) => {
      await ctx.reply('first');
    };
    expectTypeOf(silent).toEqualTypeOf<Dispatch>();
    expectTypeOf<Awaited<ReturnType<Dispatch>>>().toEqualTypeOf<Reply>();
    expectTypeOf<DispatchContext['reply']>().returns.toEqualTypeOf<Promise<SentMessage[]>>();

    const sent: string[] = [];
    const ctx = {
      reply: async (content: string | AsyncIterable<string>) => {
        sent.push(typeof content === 'string' ? content : 'stream');
        return [{ messageId: 'sent-1', time: 0 }];
      },
      signal: new AbortController().signal,
    } as unknown as DispatchContext;
    expect(await answers(channelEvent, ctx)).toBe(`You said: ${base.text}`);
    const stream = (await streams(channelEvent, ctx)) as AsyncIterable<string>;
    const parts: string[] = [];
    for await (const part of stream) parts.push(part);
    expect(parts.join('')).toBe('Looking now.');
    expect(await silent(channelEvent, ctx)).toBeUndefined();
    expect(sent).toEqual(['first']);
  });
});
