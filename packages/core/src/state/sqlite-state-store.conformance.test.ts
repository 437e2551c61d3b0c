import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { openSqliteStateStore } from './sqlite-state-store.js';
import { defineStateStoreConformance } from './state-store.conformance.js';

const dir = mkdtempSync(path.join(tmpdir(), 'clawlink-state-conformance-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A fresh file per test, so each test starts from an empty store.
defineStateStoreConformance('openSqliteStateStore', ({ now }) => {
  n += 1;
  return openSqliteStateStore({ accountId: `account-${n}`, stateDir: dir, now });
});
