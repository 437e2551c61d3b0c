import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs';

/** A tool call the scripted model makes. */
export interface ScriptedToolCall {
  name: string;
  args: Record<string, unknown>;
  id?: string;
}

/** One model turn: an answer's text, tool calls, or an error the model throws. */
export type ScriptedTurn = string | { toolCalls: ScriptedToolCall[] } | Error;

/** A turn, or a function of the messages the model was given that decides the turn. */
export type ScriptStep = ScriptedTurn | ((messages: BaseMessage[]) => ScriptedTurn);

/**
 * Test-only: a tool-calling chat model that plays a script, one step per call. Text is
 * streamed word by word (unless `streaming: false`: then the model does not stream at all);
 * tool calls come as one chunk with empty content, as OpenAI-style models send them. It
 * throws when the script is used up.
 */
export class ScriptedChatModel extends BaseChatModel {
  /** The messages of each call, in order. */
  readonly calls: BaseMessage[][] = [];
  readonly #steps: ScriptStep[];
  #ids = 0;

  constructor(steps: ScriptStep[], options: { streaming?: boolean } = {}) {
    super({});
    this.disableStreaming = options.streaming === false;
    this.#steps = [...steps];
  }

  _llmType(): string {
    return 'clawlink-scripted';
  }

  // The script decides the tool calls; the tools bound change nothing.
  override bindTools(): this {
    return this;
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const turn = this.#next(messages);
    const message =
      typeof turn === 'string'
        ? new AIMessage({ content: turn, id: this.#id() })
        : new AIMessage({ content: '', id: this.#id(), tool_calls: this.#toolCalls(turn) });
    return { generations: [{ message, text: typeof turn === 'string' ? turn : '' }] };
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    _options: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const turn = this.#next(messages);
    const id = this.#id();
    if (typeof turn !== 'string') {
      const message = new AIMessageChunk({ content: '', id, tool_calls: this.#toolCalls(turn) });
      yield new ChatGenerationChunk({ message, text: '' });
      return;
    }
    for (const word of turn.match(/\S+\s*/g) ?? []) {
      const chunk = new ChatGenerationChunk({
        message: new AIMessageChunk({ content: word, id }),
        text: word,
      });
      yield chunk;
      await runManager?.handleLLMNewToken(word, undefined, undefined, undefined, undefined, {
        chunk,
      });
    }
  }

  #next(messages: BaseMessage[]): Exclude<ScriptedTurn, Error> {
    this.calls.push(messages);
    const step = this.#steps.shift();
    if (step === undefined) throw new Error('ScriptedChatModel: the script is used up');
    const turn = typeof step === 'function' ? step(messages) : step;
    if (turn instanceof Error) throw turn;
    return turn;
  }

  #toolCalls(turn: { toolCalls: ScriptedToolCall[] }) {
    return turn.toolCalls.map((call) => ({
      name: call.name,
      args: call.args,
      id: call.id ?? `call_${++this.#ids}`,
      type: 'tool_call' as const,
    }));
  }

  #id(): string {
    return `scripted-${++this.#ids}`;
  }
}
