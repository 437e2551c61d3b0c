// Every test file runs with OpenClaw's state (sessions, stores) in a fresh temporary directory,
// never in the user's ~/.openclaw; it is removed after the file's tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const stateDir = mkdtempSync(join(tmpdir(), 'clawlink-openclaw-state-'));
process.env.OPENCLAW_STATE_DIR = stateDir;

afterAll(() => {
  rmSync(stateDir, { recursive: true, force: true });
});
