import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { openSharedStateFile } from './shared-state-file.js';
import { defineStateStoreConformance } from './state-store.conformance.js';

const dir = mkdtempSync(path.join(tmpdir(), 'clawlink-shared-conformance-'));
// One file for the whole suite: each test is another account of it (its name), so every test
// also runs next to the rows the earlier tests left behind for their own accounts.
const shared = openSharedStateFile({ file: path.join(dir, 'fleet.sqlite') });
afterAll(() => {
  shared.close();
  rmSync(dir, { recursive: true, force: true });
});

defineStateStoreConformance(
  'openSharedStateFile(...).store(accountId)',
  ({ now, name }) => shared.store(name, { now }),
  { persistent: true },
);
