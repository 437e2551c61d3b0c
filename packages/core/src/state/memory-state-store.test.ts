import { createMemoryStateStore } from './memory-state-store.js';
import { defineStateStoreConformance } from './state-store.conformance.js';

defineStateStoreConformance(
  'createMemoryStateStore',
  ({ now }) => createMemoryStateStore({ now }),
  {
    persistent: false,
  },
);
