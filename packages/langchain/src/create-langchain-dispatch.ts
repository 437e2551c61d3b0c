import {
  type AccountRuntime,
  ClawlinkError,
  type Dispatch,
  type DispatchContext,
  type InboundEvent,
  type TimMessage,
} from '@clawlink/core';
import type { BaseMessage } from '@langchain/core/messages';
import type { Runnable, RunnableConfig } from '@langchain/core/runnables';
import { answerTexts } from './answer-texts.js';
import { conversationMessages } from './conversation-messages.js';

/** How many earlier messages of the conversation the agent reads by default. */
export const DEFAULT_HISTORY_COUNT = 20;
const MAX_HISTORY_COUNT = 100;

/**
 * An agent over a `messages` state, as `createAgent` from `langchain` 1.x builds it (a
 * compiled LangGraph graph such as `createReactAgent`'s works too). It is run with
 * `stream({messages}, {streamMode: 'messages'})`.
 */
export interface MessagesAgent {
  stream(
    input: { messages: BaseMessage[] },
    config: Partial<RunnableConfig> & { streamMode: 'messages' },
  ): Promise<AsyncIterable<unknown>>;
  getState(...args: never[]): unknown;
}

/**
 * What answers an event: a {@link MessagesAgent}, or any Runnable that takes a list of
 * messages and streams strings or AI message chunks (a chat model, `model.pipe(parser)`, ...).
 */
export type LangChainAnswerer = MessagesAgent | Runnable<BaseMessage[], unknown>;

/**
 * Builds the answerer for an account, once, on its first event: build the tools and the agent
 * in one place, e.g. `(runtime) => createAgent({model, tools: createClawlinkTools(runtime)})`.
 * When it throws, the next event calls it again.
 */
export type LangChainAnswererFactory = (
  runtime: AccountRuntime,
) => LangChainAnswerer | Promise<LangChainAnswerer>;

/** Options of {@link createLangChainDispatch}. */
export interface LangChainDispatchOptions {
  /**
   * How many earlier messages of the conversation the agent reads before the event's, 0 to
   * 100 (default 20; 0 reads none). Agent requests carry no history.
   */
  historyCount?: number;
  /**
   * LangChain run config for each event (callbacks, tags, `recursionLimit`, `configurable`,
   * ...), or a function of the event that returns it. Its `signal` is combined with the
   * pipeline's, which fires when the runtime stops or the dispatch times out.
   */
  config?: Partial<RunnableConfig> | ((event: InboundEvent) => Partial<RunnableConfig>);
}

/**
 * A clawlink {@link Dispatch} that answers each inbound event with a LangChain agent or
 * Runnable: it reads the conversation's recent history, gives the agent a system message
 * saying where it is (with the channel's skill), the history and the event's text, and replies
 * with the agent's answer: streamed as the model streams it, sent whole when it came in one
 * piece. Tool calls and tool results are not part of the reply, only the text of the model's
 * turns (when the model streams, text it writes before a tool call in the same turn is kept). Pass it to
 * `createAccountRuntime({config, dispatch})` or `runtime.setDispatch(...)`.
 *
 * A failure before any text arrives (the model unreachable, a bad key) rejects the dispatch,
 * so the pipeline retries it as configured.
 *
 * @param agentOrFactory The agent or Runnable, or a {@link LangChainAnswererFactory} that
 *   builds it from the account's runtime.
 * @throws ClawlinkError `INVALID_ARGUMENT` for something that is neither, or a bad `historyCount`.
 */
export function createLangChainDispatch(
  agentOrFactory: LangChainAnswerer | LangChainAnswererFactory,
  options: LangChainDispatchOptions = {},
): Dispatch {
  const historyCount = options.historyCount ?? DEFAULT_HISTORY_COUNT;
  if (!Number.isInteger(historyCount) || historyCount < 0 || historyCount > MAX_HISTORY_COUNT) {
    throw new ClawlinkError(
      'INVALID_ARGUMENT',
      `createLangChainDispatch: historyCount must be a whole number from 0 to ${MAX_HISTORY_COUNT}, got ${String(historyCount)}.`,
    );
  }
  const answererFor = answererSource(agentOrFactory);

  return async (event, ctx) => {
    const answerer = await answererFor(ctx.runtime);
    const selfId = ctx.runtime.status().userId ?? ctx.runtime.accountId;
    const history = await recentHistory(event, ctx, historyCount);
    const messages = conversationMessages(event, history, selfId);
    const extra =
      typeof options.config === 'function' ? options.config(event) : (options.config ?? {});
    const signal = extra.signal ? AbortSignal.any([extra.signal, ctx.signal]) : ctx.signal;
    const config = { ...extra, signal };
    const stream = isMessagesAgent(answerer)
      ? await answerer.stream({ messages }, { ...config, streamMode: 'messages' })
      : await answerer.stream(messages, config);
    const texts = answerTexts(stream);
    // Read up to two pieces here: a failure before any text fails the dispatch (and is
    // retried), and an answer that came in one piece (a model that does not stream) is sent
    // whole instead of streamed.
    const first = await texts.next();
    if (first.done) return undefined;
    const second = await texts.next();
    if (second.done) return first.value;
    return prepended([first.value, second.value], texts);
  };
}

/** Resolves the answerer of a runtime: the one given, or the factory's, built once per runtime. */
function answererSource(
  agentOrFactory: LangChainAnswerer | LangChainAnswererFactory,
): (runtime: AccountRuntime) => Promise<LangChainAnswerer> {
  if (isAnswerer(agentOrFactory)) return async () => agentOrFactory;
  if (typeof agentOrFactory !== 'function') {
    throw new ClawlinkError(
      'INVALID_ARGUMENT',
      'createLangChainDispatch: expected an agent (createAgent from langchain), a Runnable, or a function (runtime) => agent; got ' +
        `${agentOrFactory === null ? 'null' : typeof agentOrFactory}.`,
    );
  }
  const built = new WeakMap<AccountRuntime, Promise<LangChainAnswerer>>();
  return (runtime) => {
    let answerer = built.get(runtime);
    if (!answerer) {
      answerer = Promise.resolve()
        .then(() => agentOrFactory(runtime))
        .then((made) => {
          if (!isAnswerer(made)) {
            throw new ClawlinkError(
              'INVALID_ARGUMENT',
              'createLangChainDispatch: the factory must return an agent (createAgent from langchain) or a Runnable with stream().',
            );
          }
          return made;
        });
      answerer.catch(() => built.delete(runtime));
      built.set(runtime, answerer);
    }
    return answerer;
  };
}

/** The conversation's recent text before the event; none for agent requests, or when unreadable. */
async function recentHistory(
  event: InboundEvent,
  ctx: DispatchContext,
  count: number,
): Promise<TimMessage[]> {
  if (count === 0 || event.kind === 'agent_request') return [];
  try {
    const history = await ctx.runtime.messages.history(event.conversation, {
      count: Math.min(MAX_HISTORY_COUNT, count + event.messages.length),
    });
    const answered = new Set(event.messages.map((message) => message.id));
    return history
      .filter((message) => !answered.has(message.id) && message.time <= event.time)
      .slice(-count);
  } catch (error) {
    ctx.logger.warn(
      { error: error instanceof Error ? error.message : String(error) },
      'could not read the conversation history; the agent answers without it',
    );
    return [];
  }
}

async function* prepended(
  read: readonly string[],
  rest: AsyncIterator<string>,
): AsyncGenerator<string> {
  yield* read;
  yield* { [Symbol.asyncIterator]: () => rest };
}

function isAnswerer(value: unknown): value is LangChainAnswerer {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { stream?: unknown }).stream === 'function'
  );
}

function isMessagesAgent(value: LangChainAnswerer): value is MessagesAgent {
  return typeof (value as { getState?: unknown }).getState === 'function';
}
