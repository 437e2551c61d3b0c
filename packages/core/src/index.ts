export {
  checkUserId,
  createUserSig,
  decodeUserSig,
  type UserSigFields,
  verifyUserSig,
} from '@clawlink/usersig';
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
export { type Logger, type LogLevel, silentLogger } from './logging/logger.js';
