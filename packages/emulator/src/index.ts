export type { EmulatorInternals } from './emulator-internals.js';
export { TIM_CODES, TIM_LIMITS, TimCodeError } from './protocol/tim-codes.js';
export { startEmulator } from './start-emulator.js';
export type {
  Emulator,
  EmulatorAgent,
  EmulatorGroup,
  EmulatorMessage,
  EmulatorOptions,
  EmulatorUser,
  FaultSpec,
  GroupType,
  MessageContent,
} from './types.js';
