import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { openSqliteStateStore } from './sqlite-state-store.js';
import { defineStateStoreConformance } from './state-store.conformance.js';

const dir = mkdtempSync(path.join(tmpdir(), 'clawlink-state-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A fresh file per test (the name is unique per test), so each test starts from an empty
// store; the reopen tests open the same name, i.e. the same file, again. Writes are batched
// in 100 ms windows (the default).
defineStateStoreConformance(
  'openSqliteStateStore',
  ({ now, name }) => openSqliteStateStore({ accountId: name, stateDir: dir, now }),
  { persistent: true },
);

// The same with every write committed on its own (batchWrites: false).
defineStateStoreConformance(
  'openSqliteStateStore({ batchWrites: false })',
  ({ now, name }) =>
    openSqliteStateStore({
      accountId: `unbatched-${name}`,
      stateDir: dir,
      now,
      batchWrites: false,
    }),
  { persistent: true },
);

// A new file opened at its first write (as an account runtime opens its own file): the same
// behaviour, before and after that write.
defineStateStoreConformance(
  'openSqliteStateStore({ openAtFirstWrite: true })',
  ({ now, name }) =>
    openSqliteStateStore({ accountId: `late-${name}`, stateDir: dir, now, openAtFirstWrite: true }),
  { persistent: true },
);
