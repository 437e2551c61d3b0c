// @clawlink/core/tim: the low-level TIM client (one tim-js-sdk instance per client) for code
// that talks to TIM without an account runtime. Application code wants `@clawlink/core`.

export { SKILL_FIELD_KEY } from './channels.js';
export {
  type EditableMessage,
  type EditedMessage,
  type EditMessageOptions,
  editMessageText,
} from './message-modification.js';
export {
  createTimClient,
  type KickReason,
  TimClient,
  type TimClientEvents,
  type TimClientOptions,
  type TimClientState,
  type TimLoginCredentials,
  type TimNetworkState,
} from './tim-client.js';
export type { TimMessage, TimMessageKind } from './tim-message.js';
