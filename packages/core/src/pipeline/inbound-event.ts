import type { ConversationRef } from '../conversation/conversation-ref.js';
import type { Logger } from '../logging/logger.js';
import type { AccountRuntime } from '../runtime/account-runtime.js';
import type { SentMessage } from '../tim/messages.js';

/** What an {@link InboundEvent} is: a channel (group) message, a direct message, or an agent request. */
export type InboundEventKind = 'channel' | 'direct' | 'agent_request';

/** The channel (TIM group) a channel event happened in. */
export interface InboundChannel {
  /** The TIM group id (the same as `conversation.id`). */
  readonly id: string;
  /** The group's name as TIM reports it. */
  readonly name: string;
  /**
   * What the channel is for, as its owner wrote it in the group's `clawlink_skill` custom
   * field; undefined when the group has none.
   */
  readonly skill?: string;
}

/** Who sent the event's messages. */
export interface InboundSender {
  /** The sender's TIM UserID. */
  readonly id: string;
  /** The sender's group name card or nickname; the UserID when TIM sent neither. */
  readonly nick: string;
}

/** One TIM message of an event's batch. */
export interface InboundEventMessage {
  /** TIM's message id (stable across devices and history fetches). */
  readonly id: string;
  /** Server time, in milliseconds since the epoch (TIM has second precision). */
  readonly time: number;
  /** The group message sequence, or TIM's per-conversation sequence for C2C; undefined when TIM sent none. */
  readonly seq?: number;
  /** The message's readable text. */
  readonly text: string;
}

/** An agent-to-agent task carried by an `agent_request` event. */
export interface InboundAgentRequest {
  /** The request id; the response carries it back so the asker can correlate. */
  readonly id: string;
  /** What the asking agent wants done, in its words. */
  readonly task: string;
  /** Extra data the asker attached (whatever JSON it sent); undefined when none. */
  readonly context?: unknown;
  /** The asking agent's TIM UserID (the same as `sender.id`). */
  readonly from: string;
}

/** Fields every {@link InboundEvent} has. */
interface InboundEventBase {
  /** The account (`accountId` of its config) that received the event. */
  readonly accountId: string;
  /** Where the event happened and where replies go: the group, or the C2C chat with the sender. */
  readonly conversation: ConversationRef;
  /** Who sent the messages. */
  readonly sender: InboundSender;
  /** The batch's texts joined in order with `"\n"` (one message: its text). */
  readonly text: string;
  /** The debounced batch, oldest first; at least one message. */
  readonly messages: readonly InboundEventMessage[];
  /** The UserIDs @-mentioned in the batch, each once, in order of first mention (@all not included). */
  readonly mentions: readonly string[];
  /**
   * Whether the batch addressed this agent: its UserID @-mentioned, @all (when the group policy
   * counts @all), or a quote reply to one of this agent's messages. Always true for direct
   * messages and agent requests.
   */
  readonly wasMentioned: boolean;
  /** Time of the batch's newest message, in milliseconds since the epoch. */
  readonly time: number;
  /** True when the batch was delivered by catch-up (history fetched after downtime), not live. */
  readonly catchUp: boolean;
}

/** A message (or debounced burst) in a channel the agent is a member of. */
export interface ChannelEvent extends InboundEventBase {
  readonly kind: 'channel';
  /** The channel (group) the messages were posted in. */
  readonly channel: InboundChannel;
}

/** A direct (C2C) message to the agent from a person or another program. */
export interface DirectEvent extends InboundEventBase {
  readonly kind: 'direct';
}

/** A task another agent asked this agent to do (a clawlink request envelope over C2C). */
export interface AgentRequestEvent extends InboundEventBase {
  readonly kind: 'agent_request';
  /** The request; what the dispatch returns (or replies) becomes the response. */
  readonly request: InboundAgentRequest;
}

/** What the pipeline hands to the host's {@link Dispatch}; narrow on `kind`. */
export type InboundEvent = ChannelEvent | DirectEvent | AgentRequestEvent;

/** What a dispatch may answer with: a string is sent, an iterable is streamed, nothing sends nothing. */
// biome-ignore lint/suspicious/noConfusingVoidType: `void` lets a dispatch that returns nothing (`async () => {}`) be a Dispatch.
export type Reply = string | AsyncIterable<string> | void;

/** What a dispatch gets besides the event: a way to reply, cancellation, the runtime and a logger. */
export interface DispatchContext {
  /**
   * Sends a reply now (before the dispatch returns), formatted like the returned reply (quote,
   * mention, chunking under TIM's size limit; an iterable is streamed). May be called several
   * times; resolves with the TIM messages sent.
   */
  reply(content: string | AsyncIterable<string>): Promise<SentMessage[]>;
  /** Aborted when the runtime stops or the dispatch runs over `dispatch.timeoutMs`. */
  readonly signal: AbortSignal;
  /** The account's runtime, for tools (send elsewhere, fetch history, list channels, ...). */
  readonly runtime: AccountRuntime;
  /** A logger bound to this event (account, conversation, message ids). */
  readonly logger: Logger;
}

/**
 * The host's function that answers an event. Return a string to send it, an async iterable
 * to stream it, or nothing (after `ctx.reply`, or to stay silent). A throw is retried up to
 * `dispatch.maxAttempts` attempts in all, then logged and counted as a failure.
 */
export type Dispatch = (event: InboundEvent, ctx: DispatchContext) => Reply | Promise<Reply>;
