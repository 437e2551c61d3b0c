import type {
  AccountStatus,
  ChannelEvent,
  AgentRequestEvent as CoreAgentRequestEvent,
  DirectEvent,
  Reply,
  SentMessage,
} from '@clawlink/core';

/** What every event an agent emits carries besides core's event fields. */
export interface AnswerableEvent {
  /**
   * Answers now, before the listener returns: a string is sent, an async iterable is streamed
   * (one message growing in place). Formatted like a returned answer (in a channel: quoting the
   * message and mentioning its sender). May be called several times; resolves with the TIM
   * messages sent, rejects with `STOPPED` once {@link signal} has fired.
   */
  reply(content: string | AsyncIterable<string>): Promise<SentMessage[]>;
  /** Fires when the agent stops or the event runs over `dispatch.timeoutMs`: stop working then. */
  readonly signal: AbortSignal;
}

/**
 * A message for the agent: in a channel it is a member of (`kind: 'channel'`, gated by the
 * account's group policy, by default only when it @-mentions the agent) or directly
 * (`kind: 'direct'`). A debounced burst of one sender arrives as one event (`messages`).
 */
export type AgentMessageEvent = (ChannelEvent | DirectEvent) & AnswerableEvent;

/**
 * A task another agent handed this one (`kind: 'agent_request'`, only from the UserIDs in the
 * account's `agentRequests.allowFrom`). The answer (returned, or given to `reply`) becomes the
 * response the asking agent receives.
 */
export type AgentRequestEvent = CoreAgentRequestEvent & AnswerableEvent;

/** Any event `for await (const event of agent)` yields; narrow on `kind`. */
export type AgentEvent = AgentMessageEvent | AgentRequestEvent;

/**
 * A `message` or `agent_request` listener. It answers by returning a string (sent), an async
 * iterable of strings (streamed), or a promise of either; or by calling `event.reply`. Returning
 * nothing sends nothing. Every listener is called; when several answer, the answer of the first
 * registered one is sent and the others are dropped. A throw or rejection fails the event: it is
 * reported on `error` and the event is dispatched again as the account's `dispatch.maxAttempts`
 * says.
 */
export type AgentListener<E extends AgentEvent> = (event: E) => Reply | Promise<Reply>;

/** Where an `error` event came from, and which account and message it concerns. */
export interface AgentErrorDetail {
  readonly accountId: string;
  /** The inbound message the error concerns, when there is one. */
  readonly messageId?: string;
  /** The event whose listener threw; absent for errors of the runtime itself. */
  readonly event?: AgentEvent;
}

/** Events of an {@link Agent}. */
export interface AgentEvents {
  /** A channel or direct message for the agent; see {@link AgentListener} for how to answer. */
  message: [event: AgentMessageEvent];
  /** A task another agent asked this one to do; see {@link AgentListener} for how to answer. */
  agent_request: [event: AgentRequestEvent];
  /** Every change of the account's status (connecting, connected, half-alive, ...). */
  status: [status: AccountStatus];
  /**
   * A listener threw or rejected (at every attempt, `detail.event` set), or the runtime reports
   * a problem it works around (a dispatch given up after its last attempt, a reply not sent, a
   * state store failure). Without an `error` listener these are logged at error level instead.
   */
  error: [error: Error, detail: AgentErrorDetail];
}
