// @clawlink/core: the API for application code. The low-level TIM client is in
// `@clawlink/core/tim`; test helpers are in `@clawlink/core/testing`.

// Agent-to-agent requests
export {
  AgentRequestError,
  type AgentRequestErrorCode,
} from './agents/agent-request-error.js';
export type {
  AgentRequestOptions,
  AgentRequestResult,
  AgentRequestState,
  AgentRequests,
  PendingAgentRequest,
} from './agents/agent-requests.js';
// Configuration
export {
  type AccountConfig,
  type AccountConfigInput,
  accountConfigSchema,
  parseAccountConfig,
} from './config/account-config.js';
// Conversations
export {
  type ConversationRef,
  conversationKey,
  parseConversationKey,
} from './conversation/conversation-ref.js';
// Credentials
export type { CredentialSource, TimCredentials } from './credentials/credential-source.js';
// Errors
export {
  ClawlinkError,
  type ClawlinkErrorCode,
  type ClawlinkErrorOptions,
} from './errors/clawlink-error.js';
export { ConfigError, type ConfigIssue } from './errors/config-error.js';
export {
  CredentialError,
  type CredentialErrorOptions,
  type CredentialErrorReason,
} from './errors/credential-error.js';
export { StateStoreError, type StateStoreErrorOptions } from './errors/state-store-error.js';
export { TimError, type TimErrorOptions } from './errors/tim-error.js';
// Logging
export { type ConsoleLoggerOptions, createConsoleLogger } from './logging/console-logger.js';
export { type Logger, type LogLevel, silentLogger } from './logging/logger.js';
export { redactingLogger } from './logging/redacting-logger.js';
// The inbound pipeline: what a host's dispatch gets and returns
export type {
  AgentRequestEvent,
  ChannelEvent,
  DirectEvent,
  Dispatch,
  DispatchContext,
  InboundAgentRequest,
  InboundChannel,
  InboundEvent,
  InboundEventKind,
  InboundEventMessage,
  InboundSender,
  Reply,
} from './pipeline/inbound-event.js';
export type { PipelineMetricsSnapshot } from './pipeline/metrics.js';
export type { PipelineConfig, PipelineConfigInput } from './pipeline/pipeline-config.js';
// Runtime
export {
  AccountRegistry,
  type AccountRegistryAddOptions,
  type AccountRegistryEvents,
  type AccountRegistryOptions,
  createAccountRegistry,
  DEFAULT_MAX_CONCURRENT_LOGINS,
  type StartProgress,
} from './runtime/account-registry.js';
export {
  AccountRuntime,
  type AccountRuntimeEvents,
  type AccountRuntimeOptions,
  createAccountRuntime,
  type InboundMessage,
  type SetDispatchOptions,
} from './runtime/account-runtime.js';
export type { AccountState, AccountStatus, AccountStatusReason } from './runtime/account-status.js';
export type { ChannelOperations } from './runtime/channel-operations.js';
export type { Clock, TimerHandle } from './runtime/clock.js';
export type { MessageOperations } from './runtime/message-operations.js';
// State
export {
  createMemoryStateStore,
  type MemoryStateStoreOptions,
} from './state/memory-state-store.js';
export { openSqliteStateStore, type SqliteStateStoreOptions } from './state/sqlite-state-store.js';
export {
  type CachedChannel,
  type ConversationWatermark,
  DEFAULT_UNHANDLED_RETENTION_MS,
  type LedgerAdmission,
  type LedgerEntry,
  type LedgerStatus,
  MAX_FAILURE_REASON_LENGTH,
  type PendingRequest,
  type PendingRequestDirection,
  type PruneLedgerOptions,
  type SeenMessage,
  type SettledRequest,
  type SettledRequestOutcome,
  type SettledRequestStatus,
  type StateStore,
  type Watermark,
  type WatermarkPosition,
} from './state/state-store.js';
// What channel and message operations take and return
export type {
  Channel,
  ChannelMember,
  ChannelRole,
  ChannelSummary,
  ChannelType,
  CreateChannelOptions,
  JoinStatus,
} from './tim/channels.js';
export type {
  FetchHistoryOptions,
  MessageContent,
  SendOptions,
  SentMessage,
} from './tim/messages.js';
export type { KickReason } from './tim/tim-client.js';
export type { TimMessage, TimMessageKind } from './tim/tim-message.js';
// Tools: host-agnostic specs that adapters translate
export { createToolSpecs, TOOL_NAMES, type ToolSelection } from './tools/create-tool-specs.js';
export type { ToolRuntime } from './tools/tool-runtime.js';
export {
  isToolError,
  type ToolError,
  type ToolResult,
  type ToolRunOptions,
  type ToolSpec,
} from './tools/tool-spec.js';
