import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Emulator, startEmulator } from '@clawlink/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SDK_APP_ID = 1400000102;
const SECRET_KEY = 'runtime-process-test-secret';
const host = fileURLToPath(new URL('./fixtures/kicked-host.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('../..', import.meta.url));

let emulator: Emulator;
let stateDir: string;

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
  stateDir = mkdtempSync(join(tmpdir(), 'clawlink-kicked-host-'));
});

afterAll(async () => {
  await emulator.close();
  rmSync(stateDir, { recursive: true, force: true });
});

/** Resolves with the first stdout line of `child` that satisfies `match`. */
function line(child: ChildProcess, match: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const found = buffer.split('\n').find(match);
      if (found === undefined) return;
      child.stdout?.off('data', onData);
      resolve(found);
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`host exited (${code}) before: ${buffer}`)));
  });
}

/**
 * Runs the host for `scenario`, kicks its session once it is connected and resolves with how
 * the host ended: its exit code, or `'still running'` when it had not exited 5 s after it
 * printed `stopped` (it is then killed; a clean host exits at once).
 */
async function kickAndStop(scenario: string, userId: string): Promise<number | 'still running'> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      host,
      scenario,
      emulator.wsUrl,
      String(SDK_APP_ID),
      SECRET_KEY,
      userId,
      stateDir,
    ],
    { cwd: packageDir, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code) => resolve(code ?? -1)),
  );
  try {
    await line(child, (text) => text === 'connected');
    const stopped = line(child, (text) => text === 'stopped');
    emulator.kick(userId);
    await stopped;
    const gaveUp = new Promise<'still running'>((resolve) => {
      const timer = setTimeout(() => resolve('still running'), 5_000);
      void exited.then(() => clearTimeout(timer));
    });
    return await Promise.race([exited, gaveUp]);
  } finally {
    child.kill('SIGKILL');
  }
}

describe('AccountRuntime in its own process', () => {
  it.each([
    ['stop', 'kp_stop'],
    ['resume', 'kp_resume'],
    ['reconnect', 'kp_reconnect'],
    ['stopAll', 'kp_stopall'],
  ])('lets the process exit after an admin kick and %s()', async (scenario, userId) => {
    expect(await kickAndStop(scenario, userId)).toBe(0);
  });
});
