export { checkUserId, MAX_USER_ID_BYTES } from './user-id.js';
export {
  type CreateUserSigOptions,
  createUserSig,
  DEFAULT_USER_SIG_TTL_SECONDS,
  decodeUserSig,
  MAX_USER_SIG_JSON_BYTES,
  MAX_USER_SIG_LENGTH,
  type UserSigFields,
  type UserSigRejection,
  type UserSigVerification,
  type VerifyUserSigOptions,
  verifyUserSig,
} from './user-sig.js';
