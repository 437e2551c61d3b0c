/**
 * The text of a LangChain stream, chunk by chunk: what a Runnable's `stream()` yields (strings
 * or AI message chunks), or what an agent's `stream(..., {streamMode: 'messages'})` yields
 * (`[message chunk, metadata]` pairs). Only AI messages count: tool messages, and chunks of a
 * model turn that calls tools, are skipped. Consecutive model turns are separated by a blank
 * line.
 */
export async function* answerTexts(stream: AsyncIterable<unknown>): AsyncGenerator<string> {
  let lastTurn: string | undefined;
  let wrote = false;
  for await (const item of stream) {
    const chunk = Array.isArray(item) ? item[0] : item;
    const text = textOf(chunk);
    if (!text) continue;
    const turn = turnOf(chunk);
    if (wrote && turn !== lastTurn) yield '\n\n';
    lastTurn = turn;
    wrote = true;
    yield text;
  }
}

interface MessageLike {
  id?: string;
  content?: unknown;
  tool_calls?: unknown[];
  tool_call_chunks?: unknown[];
  type?: unknown;
}

function textOf(chunk: unknown): string {
  if (typeof chunk === 'string') return chunk;
  if (!isMessage(chunk) || chunk.type !== 'ai') return '';
  if ((chunk.tool_calls?.length ?? 0) > 0 || (chunk.tool_call_chunks?.length ?? 0) > 0) return '';
  const { content } = chunk;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block: { type?: unknown; text?: unknown }) =>
      block?.type === 'text' && typeof block.text === 'string' ? block.text : '',
    )
    .join('');
}

/** Which model turn a chunk belongs to (its message id); strings all belong to one turn. */
function turnOf(chunk: unknown): string | undefined {
  return isMessage(chunk) ? chunk.id : undefined;
}

function isMessage(value: unknown): value is MessageLike {
  return typeof value === 'object' && value !== null && 'content' in value;
}
