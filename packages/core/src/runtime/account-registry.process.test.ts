import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TOO_MANY_OPEN_FILES } from '../errors/too-many-open-files.js';
import { childLines } from './test-support/child-lines.js';
import { useEmulatorRuntimes } from './test-support/emulator-runtime.js';

const SDK_APP_ID = 1400000210;
const SECRET_KEY = 'registry-emfile-secret';

// The emulator runs in this process: its sockets do not count against the child's small limit.
const env = useEmulatorRuntimes({
  sdkAppId: SDK_APP_ID,
  secretKey: SECRET_KEY,
  name: 'emfile',
  cleanup: 'all',
});
let root: string;

beforeAll(() => {
  root = env.stateDir();
});

// Starts accounts one after another until one does not connect, and prints what it was told:
// the error its start threw, or its status.
const childScript = (mode: 'own' | 'shared', stateDir: string) => `
  const { createAccountRegistry } = await import(${JSON.stringify(new URL('./account-registry.ts', import.meta.url).href)});
  const registry = createAccountRegistry(${mode === 'shared' ? `{ sharedStateFile: ${JSON.stringify(path.join(stateDir, 'fleet.sqlite'))} }` : '{}'});
  const report = (outcome) => {
    console.log(JSON.stringify(outcome));
    process.exit(0);
  };
  for (let i = 0; i < 500; i += 1) {
    const userId = 'emfile_${mode}_' + i;
    const runtime = registry.add({
      accountId: userId,
      server: ${JSON.stringify(env.emulator.wsUrl)},
      stateDir: ${JSON.stringify(stateDir)},
      credentials: { kind: 'secretKey', sdkAppId: ${SDK_APP_ID}, userId, secretKey: ${JSON.stringify(SECRET_KEY)} },
    });
    try {
      await runtime.start();
    } catch (error) {
      report({ started: i, thrown: { name: error.name, code: error.code, message: error.message } });
    }
    const status = runtime.status();
    if (status.state !== 'connected') report({ started: i, status });
  }
  report({ started: 500 });
`;

/** Runs the child under `ulimit -n 64`; resolves with what it printed last. */
function startUntilFailure(mode: 'own' | 'shared'): Promise<{
  started: number;
  thrown?: { name: string; code: string; message: string };
  status?: { state: string; reason?: string; detail?: string };
}> {
  const stateDir = mkdtempSync(path.join(root, `${mode}-`));
  const node = [process.execPath, '--import', 'tsx', '--input-type=module', '--eval'];
  const command = `ulimit -n 64 && exec ${node.map((a) => `'${a}'`).join(' ')} "$0"`;
  const child = spawn('bash', ['-c', command, childScript(mode, stateDir)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout = childLines(child.stdout);
  const stderr = childLines(child.stderr);
  return new Promise((resolve, reject) => {
    child.on('exit', () => {
      try {
        resolve(JSON.parse(stdout.at(-1) ?? ''));
      } catch {
        reject(
          new Error(`the child printed no outcome:\n${stdout.join('\n')}\n${stderr.join('\n')}`),
        );
      }
    });
  });
}

describe('AccountRegistry out of file descriptors (ulimit -n 64, real child process)', () => {
  it('says "too many open files: raise ulimit -n" when a state file cannot be opened', async () => {
    const outcome = await startUntilFailure('own');
    expect(outcome.started).toBeGreaterThan(0);
    expect(outcome.started).toBeLessThan(500);
    // Whichever ran out first, the account's state file or its socket, it is said plainly.
    if (outcome.thrown) {
      expect(outcome.thrown).toMatchObject({ name: 'StateStoreError', code: 'STATE_STORE_ERROR' });
      expect(outcome.thrown.message.startsWith(TOO_MANY_OPEN_FILES)).toBe(true);
    } else {
      expect(outcome.status?.detail).toContain(TOO_MANY_OPEN_FILES);
    }
  });

  it('says it when the socket cannot be opened (one shared state file: the sockets run out)', async () => {
    const outcome = await startUntilFailure('shared');
    expect(outcome.started).toBeGreaterThan(0);
    expect(outcome.status).toMatchObject({ state: 'reconnecting', reason: 'network' });
    expect(outcome.status?.detail).toContain(TOO_MANY_OPEN_FILES);
  });
});
