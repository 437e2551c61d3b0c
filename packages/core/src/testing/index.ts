// @clawlink/core/testing: helpers for the tests of code built on clawlink. Needs vitest (a peer
// of this entry only): the state-store conformance suite defines vitest tests.

export {
  type ConformanceContext,
  defineStateStoreConformance,
} from '../state/state-store.conformance.js';
export { createRecordingLogger, type RecordedLine } from './recording-logger.js';
