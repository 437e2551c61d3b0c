import { ClawlinkError, type ClawlinkErrorOptions, markerFor } from '../errors/clawlink-error.js';

const MARKER = markerFor('AgentRequestError');

/** How an agent request ended without a result. */
export type AgentRequestErrorCode =
  /** The other agent does not take requests from this one; `reason` is its answer. */
  | 'AGENT_REQUEST_REFUSED'
  /** No answer came before the request's deadline. */
  | 'AGENT_REQUEST_TIMEOUT'
  /** The other agent took the request but could not do it; `reason` is its error message. */
  | 'AGENT_REQUEST_FAILED';

/** Options of {@link AgentRequestError}. */
export interface AgentRequestErrorOptions extends ClawlinkErrorOptions {
  /** The request's correlation id. */
  requestId: string;
  /** The other agent's TIM UserID. */
  peer: string;
  /** What the other side said (refusals and failures). */
  reason?: string;
}

/** An agent request (`runtime.agents.request`) was refused, timed out, or failed. */
export class AgentRequestError extends ClawlinkError {
  declare readonly code: AgentRequestErrorCode;
  /** The request's correlation id (see `runtime.agents.result(id)`). */
  readonly requestId: string;
  /** The other agent's TIM UserID. */
  readonly peer: string;
  /** The other side's reason, for refusals and failures. */
  readonly reason: string | undefined;
  /** @internal */
  readonly [MARKER] = true;

  constructor(code: AgentRequestErrorCode, message: string, options: AgentRequestErrorOptions) {
    super(code, message, options);
    this.name = 'AgentRequestError';
    this.requestId = options.requestId;
    this.peer = options.peer;
    this.reason = options.reason;
  }

  static override isInstance(error: unknown): error is AgentRequestError {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}
