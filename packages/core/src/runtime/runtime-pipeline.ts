import type { IncomingAgentRequest } from '../agents/agent-requests.js';
import type { ClawlinkError } from '../errors/clawlink-error.js';
import type { Logger } from '../logging/logger.js';
import type { CatchUpSource } from '../pipeline/catch-up.js';
import type { AgentRequestEvent, Dispatch, DispatchContext } from '../pipeline/inbound-event.js';
import {
  createInboundPipeline,
  type InboundPipeline,
  type PipelineTim,
} from '../pipeline/inbound-pipeline.js';
import type { PipelineConfig } from '../pipeline/pipeline-config.js';
import type { StateStore } from '../state/state-store.js';
import { listConversations } from '../tim/conversation-list.js';
import { editMessageText } from '../tim/message-modification.js';
import type { TimMessage } from '../tim/tim-message.js';
import type { AccountRuntime } from './account-runtime.js';
import type { Clock } from './clock.js';

/** What {@link createRuntimePipeline} needs besides the runtime. */
export interface RuntimePipelineOptions {
  readonly dispatch: Dispatch;
  readonly config: () => PipelineConfig;
  readonly store: () => StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onError: (error: ClawlinkError) => void;
  readonly isAgentEnvelope: (message: TimMessage) => boolean;
  readonly onAgentEnvelope: (message: TimMessage) => Promise<void>;
}

/** The pipeline of a runtime, its TIM operations being the runtime's own (lazy connect). */
export function createRuntimePipeline(
  runtime: AccountRuntime,
  options: RuntimePipelineOptions,
): InboundPipeline {
  const tim: PipelineTim = {
    send: (conversation, text, sendOptions) =>
      runtime.messages.send(conversation, text, {
        ...(sendOptions.mentions && sendOptions.mentions.length > 0
          ? { mentions: [...sendOptions.mentions] }
          : {}),
        ...(sendOptions.cloudCustomData ? { cloudCustomData: sendOptions.cloudCustomData } : {}),
      }),
    modify: async (_conversation, message, text) => {
      await editMessageText(await runtime.ensureConnected(), message, text);
    },
    history: (conversation, historyOptions) =>
      runtime.messages.history(conversation, historyOptions),
    channel: async (channelId) => {
      const cached = options.store().getChannel(channelId);
      if (cached) return { name: cached.name, ...(cached.skill ? { skill: cached.skill } : {}) };
      const channel = await runtime.channels.get(channelId);
      return { name: channel.name, ...(channel.skill ? { skill: channel.skill } : {}) };
    },
  };
  return createInboundPipeline({
    accountId: runtime.accountId,
    runtime,
    store: options.store,
    config: options.config,
    dispatch: (event, ctx) => options.dispatch(event, ctx),
    selfUserId: () => runtime.status().userId,
    tim,
    clock: options.clock,
    logger: options.logger,
    onError: options.onError,
    isAgentEnvelope: options.isAgentEnvelope,
    onAgentEnvelope: options.onAgentEnvelope,
  });
}

/** Where a runtime's catch-up reads: its joined channels and TIM's conversation list. */
export function runtimeCatchUpSource(runtime: AccountRuntime): CatchUpSource {
  return {
    conversations: async () => {
      const [channels, conversations] = await Promise.all([
        runtime.channels.list(),
        listConversations(await runtime.ensureConnected()),
      ]);
      const groups = channels.map((channel) => ({ type: 'group' as const, id: channel.id }));
      const direct = conversations
        .map((entry) => entry.conversation)
        .filter((conversation) => conversation.type === 'c2c');
      return [...groups, ...direct];
    },
    history: (conversation, historyOptions) =>
      runtime.messages.history(conversation, historyOptions),
  };
}

/**
 * Runs an agent request through the host's dispatch as an `agent_request` event: what it
 * returns or replies (strings or streams, joined) is the result sent back to the asker.
 */
export async function dispatchAgentRequest(
  runtime: AccountRuntime,
  dispatch: Dispatch,
  request: IncomingAgentRequest,
  context: { signal: AbortSignal; logger: Logger; now: number },
): Promise<string> {
  const { signal, logger, now } = context;
  const event: AgentRequestEvent = {
    kind: 'agent_request',
    accountId: runtime.accountId,
    conversation: { type: 'c2c', id: request.from },
    sender: { id: request.from, nick: request.from },
    text: request.task,
    messages: [{ id: request.id, time: now, text: request.task }],
    mentions: [],
    wasMentioned: true,
    time: now,
    catchUp: false,
    request: {
      id: request.id,
      task: request.task,
      from: request.from,
      ...(request.context === undefined ? {} : { context: request.context }),
    },
  };
  const parts: string[] = [];
  const ctx: DispatchContext = {
    signal,
    runtime,
    logger: logger.child({ agentRequestId: request.id }),
    reply: async (content) => {
      parts.push(await joined(content));
      return [];
    },
  };
  const reply = await dispatch(event, ctx);
  if (typeof reply === 'string' || (reply && Symbol.asyncIterator in reply)) {
    parts.push(await joined(reply));
  }
  return parts.join('\n');
}

async function joined(content: string | AsyncIterable<string>): Promise<string> {
  if (typeof content === 'string') return content;
  let text = '';
  for await (const piece of content) text += piece;
  return text;
}
