import type { IncomingAgentRequest } from '../agents/agent-requests.js';
import type { ClawlinkError } from '../errors/clawlink-error.js';
import { TimError } from '../errors/tim-error.js';
import type { Logger } from '../logging/logger.js';
import type { CatchUpSource } from '../pipeline/catch-up.js';
import type { AgentRequestEvent, Dispatch, DispatchContext } from '../pipeline/inbound-event.js';
import {
  createInboundPipeline,
  type InboundPipeline,
  type PipelineTim,
} from '../pipeline/inbound-pipeline.js';
import type { PipelineConfig } from '../pipeline/pipeline-config.js';
import { typingStatusData } from '../pipeline/typing-indicator.js';
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
  /**
   * The UserID this account is logged in as, or logging in as: known from the login on, so a
   * message the SDK delivers before it is ready is not mistaken for one before login.
   */
  readonly selfUserId: () => string | undefined;
  /** Runs before each message is gated (`AccountRuntimeOptions.refreshConfig`). */
  readonly refreshConfig?: () => void;
  readonly store: () => StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onError: (error: ClawlinkError) => void;
  readonly isAgentEnvelope: (message: TimMessage) => boolean;
  readonly onAgentEnvelope: (message: TimMessage) => Promise<void>;
  /**
   * A request was refused with TIM 10008 (the session may be gone): the runtime checks it and
   * logs in afresh if so. The refused request fails as retryable, so a reply is sent again.
   */
  readonly onSessionRefused: () => void;
}

/** TIM's error code for a request refused as illegal: in practice, a session it no longer knows. */
const TIM_INVALID_REQUEST = 10008;

/**
 * Runs `request`; a refusal with 10008 is reported (`onRefused`) and rethrown as retryable,
 * since it succeeds once the runtime has logged in again.
 */
async function watchingSession<T>(onRefused: () => void, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (!(TimError.isInstance(error) && error.timCode === TIM_INVALID_REQUEST)) throw error;
    onRefused();
    throw new TimError(error.code, error.message, {
      cause: error,
      timCode: error.timCode,
      ...(error.operation === undefined ? {} : { operation: error.operation }),
      retryable: true,
    });
  }
}

/** The pipeline of a runtime, its TIM operations being the runtime's own (lazy connect). */
export function createRuntimePipeline(
  runtime: AccountRuntime,
  options: RuntimePipelineOptions,
): InboundPipeline {
  const watched = <T>(request: () => Promise<T>) =>
    watchingSession(options.onSessionRefused, request);
  const tim: PipelineTim = {
    send: (conversation, text, sendOptions) =>
      watched(() =>
        runtime.messages.send(conversation, text, {
          ...(sendOptions.mentions && sendOptions.mentions.length > 0
            ? { mentions: [...sendOptions.mentions] }
            : {}),
          ...(sendOptions.cloudCustomData ? { cloudCustomData: sendOptions.cloudCustomData } : {}),
        }),
      ),
    modify: (_conversation, message, text, modifyOptions) =>
      watched(async () => {
        await editMessageText(await runtime.ensureConnected(), message, text, modifyOptions);
      }),
    history: (conversation, historyOptions) =>
      watched(() => runtime.messages.history(conversation, historyOptions)),
    typing: async (peer, typing) => {
      await runtime.messages.send(
        { type: 'c2c', id: peer },
        { custom: { data: typingStatusData(typing) } },
        { onlineOnly: true },
      );
    },
    markRead: (conversation) => runtime.messages.markRead(conversation),
    channel: async (channelId) => {
      const cached = options.store().getChannel(channelId);
      if (cached) return { name: cached.name, ...(cached.skill ? { skill: cached.skill } : {}) };
      const channel = await runtime.channels.get(channelId);
      return { name: channel.name, ...(channel.skill ? { skill: channel.skill } : {}) };
    },
  };
  const nick = selfNickOf(runtime, options.logger);
  return createInboundPipeline({
    accountId: runtime.accountId,
    runtime,
    store: options.store,
    config: options.config,
    ...(options.refreshConfig ? { refreshConfig: options.refreshConfig } : {}),
    dispatch: (event, ctx) => options.dispatch(event, ctx),
    selfUserId: options.selfUserId,
    selfNames: () => {
      const current = nick.current();
      return current === undefined ? [] : [current];
    },
    refreshSelf: () => nick.refresh(),
    tim,
    clock: options.clock,
    logger: options.logger,
    onError: options.onError,
    isAgentEnvelope: options.isAgentEnvelope,
    onAgentEnvelope: options.onAgentEnvelope,
  });
}

/** What the SDK's `getMyProfile` resolves with and `onProfileUpdated` carries, in part. */
interface SdkProfile {
  userID?: string;
  nick?: string;
}

/**
 * The agent's own TIM nick: read from its profile after each (re)connect (`refresh`) and kept
 * current by the SDK's `onProfileUpdated`. A read that fails is logged and the last nick kept.
 */
function selfNickOf(runtime: AccountRuntime, logger: Logger) {
  let nick: string | undefined;
  const watched = new WeakSet<object>();
  const use = (profile: SdkProfile | undefined): void => {
    if (typeof profile?.nick === 'string') nick = profile.nick === '' ? undefined : profile.nick;
  };
  return {
    current: () => nick,
    async refresh(): Promise<void> {
      try {
        const client = await runtime.ensureConnected();
        await client.call('getMyProfile', async (sdk) => {
          const tim = sdk as typeof sdk & {
            getMyProfile(): Promise<{ data: SdkProfile }>;
          };
          if (!watched.has(tim)) {
            watched.add(tim);
            tim.on('onProfileUpdated', (event) => {
              const self = runtime.status().userId;
              const profiles = Array.isArray(event.data) ? (event.data as SdkProfile[]) : [];
              use(profiles.find((profile) => profile.userID === self));
            });
          }
          use((await tim.getMyProfile()).data);
        });
      } catch (error) {
        logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          "could not read the agent's TIM profile; quotes naming it by nick may not count as mentions",
        );
      }
    },
  };
}

/**
 * Where a runtime's catch-up reads: its joined channels and TIM's conversation list. A request
 * refused with 10008 is reported to `onSessionRefused`.
 */
export function runtimeCatchUpSource(
  runtime: AccountRuntime,
  onSessionRefused: () => void,
): CatchUpSource {
  const watched = <T>(request: () => Promise<T>) => watchingSession(onSessionRefused, request);
  return {
    conversations: async () => {
      const [channels, conversations] = await Promise.all([
        watched(() => runtime.channels.list()),
        watched(async () => listConversations(await runtime.ensureConnected())),
      ]);
      const groups = channels.map((channel) => ({ type: 'group' as const, id: channel.id }));
      const direct = conversations
        .map((entry) => entry.conversation)
        .filter((conversation) => conversation.type === 'c2c');
      return [...groups, ...direct];
    },
    history: (conversation, historyOptions) =>
      watched(async () => {
        if (conversation.type !== 'group' || historyOptions.before !== undefined) {
          return runtime.messages.history(conversation, historyOptions);
        }
        // One profile read gives both the channel the pipeline names in its events (cached
        // now, so dispatching what is caught up reads none) and where the history starts.
        const next = await runtime.channels.getWithNextSequence(conversation.id);
        return runtime.messages.history(
          conversation,
          next === undefined ? historyOptions : { ...historyOptions, before: next },
        );
      }),
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
