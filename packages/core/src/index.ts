// Errors

// UserSig
export {
  checkUserId,
  createUserSig,
  decodeUserSig,
  type UserSigFields,
  verifyUserSig,
} from '@clawlink/usersig';
// Configuration
export {
  type AccountConfig,
  type AccountConfigInput,
  accountConfigSchema,
  parseAccountConfig,
} from './config/account-config.js';
// Credentials
export { type BackoffOptions, backoffDelay } from './credentials/backoff.js';
export {
  CredentialManager,
  type CredentialManagerOptions,
  createCredentialManager,
} from './credentials/credential-manager.js';
export type { CredentialSource, TimCredentials } from './credentials/credential-source.js';
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
export { StateStoreError } from './errors/state-store-error.js';
export { TimError, type TimErrorOptions } from './errors/tim-error.js';
// Logging
export { type ConsoleLoggerOptions, createConsoleLogger } from './logging/console-logger.js';
export { type Logger, type LogLevel, silentLogger } from './logging/logger.js';
export { isSecretKey, REDACTED, redact, redactString } from './logging/redact.js';
export { redactingLogger } from './logging/redacting-logger.js';
// Runtime
export {
  AccountRegistry,
  type AccountRegistryEvents,
  type AccountRegistryOptions,
  createAccountRegistry,
} from './runtime/account-registry.js';
export {
  AccountRuntime,
  type AccountRuntimeEvents,
  type AccountRuntimeOptions,
  createAccountRuntime,
  type InboundMessage,
} from './runtime/account-runtime.js';
export type { AccountState, AccountStatus, AccountStatusReason } from './runtime/account-status.js';
export { ChannelOperations, type OperationContext } from './runtime/channel-operations.js';
export { type Clock, systemClock, type TimerHandle } from './runtime/clock.js';
export { MessageOperations } from './runtime/message-operations.js';
// State
export {
  createMemoryStateStore,
  type MemoryStateStoreOptions,
} from './state/memory-state-store.js';
export { openSqliteStateStore, type SqliteStateStoreOptions } from './state/sqlite-state-store.js';
export { defaultStateDir, type StateDirEnvironment, stateFileName } from './state/state-file.js';
export {
  type CachedChannel,
  type ConversationWatermark,
  DEFAULT_UNHANDLED_RETENTION_MS,
  type LedgerEntry,
  type LedgerStatus,
  type PendingRequest,
  type PendingRequestDirection,
  type PruneLedgerOptions,
  type SeenMessage,
  type StateStore,
  type Watermark,
  type WatermarkPosition,
} from './state/state-store.js';
// TIM
export {
  type Channel,
  type ChannelMember,
  type ChannelRole,
  type ChannelSummary,
  type ChannelType,
  type CreateChannelOptions,
  type JoinStatus,
  SKILL_FIELD_KEY,
} from './tim/channels.js';
export type {
  ChannelMessageOptions,
  ConversationRef,
  DirectMessageContent,
  FetchHistoryOptions,
  SendOptions,
  SentMessage,
} from './tim/messages.js';
export {
  createTimClient,
  type KickReason,
  TimClient,
  type TimClientEvents,
  type TimClientOptions,
  type TimClientState,
  type TimLoginCredentials,
  type TimNetworkState,
} from './tim/tim-client.js';
export { TIM_LIMITS } from './tim/tim-limits.js';
export type { TimMessage, TimMessageKind } from './tim/tim-message.js';
