// @clawlink/events: an agent in Tencent Cloud IM as a plain EventEmitter, over @clawlink/core.

export { Agent, type AgentOptions, createAgent } from './agent.js';
export type {
  AgentErrorDetail,
  AgentEvent,
  AgentEvents,
  AgentListener,
  AgentMessageEvent,
  AgentRequestEvent,
  AnswerableEvent,
} from './agent-events.js';
