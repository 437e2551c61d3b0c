import { AIMessage, AIMessageChunk, ToolMessage } from '@langchain/core/messages';
import { describe, expect, it } from 'vitest';
import { answerTexts } from './answer-texts.js';

async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

async function collect(stream: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const text of stream) out.push(text);
  return out;
}

describe('answerTexts', () => {
  it("passes a Runnable's strings and AI chunks through, piece by piece", async () => {
    expect(await collect(answerTexts(from(['Hel', 'lo'])))).toEqual(['Hel', 'lo']);
    const chunks = [
      new AIMessageChunk({ content: 'Hi ', id: 'a' }),
      new AIMessageChunk({ content: 'there', id: 'a' }),
    ];
    expect(await collect(answerTexts(from(chunks)))).toEqual(['Hi ', 'there']);
  });

  it("keeps only the model's text from an agent's messages stream", async () => {
    const meta = { langgraph_node: 'model_request' };
    const stream = from([
      [
        new AIMessageChunk({
          content: '',
          id: 't1',
          tool_calls: [{ name: 'x', args: {}, id: 'c1' }],
        }),
        meta,
      ],
      [
        new ToolMessage({ content: '{"channels":[]}', tool_call_id: 'c1' }),
        { langgraph_node: 'tools' },
      ],
      [new AIMessageChunk({ content: 'You are in ', id: 't2' }), meta],
      [new AIMessageChunk({ content: 'no channels.', id: 't2' }), meta],
    ]);
    expect(await collect(answerTexts(stream))).toEqual(['You are in ', 'no channels.']);
  });

  it('separates the texts of two model turns with a blank line, and reads text blocks', async () => {
    const stream = from([
      [new AIMessage({ content: 'Let me look.', id: 't1' }), {}],
      [new AIMessage({ content: [{ type: 'text', text: 'Found it.' }], id: 't2' }), {}],
    ]);
    expect((await collect(answerTexts(stream))).join('')).toBe('Let me look.\n\nFound it.');
  });

  it('yields nothing for a stream without text', async () => {
    expect(await collect(answerTexts(from([{ some: 'state' }, 42, null])))).toEqual([]);
  });
});
