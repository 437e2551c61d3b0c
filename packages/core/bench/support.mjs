// Shared by the benchmark scripts: a standalone emulator in its own process, so its memory
// and CPU are not counted against the accounts being measured.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const SDK_APP_ID = 1400000900;
export const SECRET_KEY = 'clawlink-bench-secret';

const require = createRequire(import.meta.url);

/** Starts `clawlink-emulator` as a child process; resolves with its ws URL and a stop(). */
export async function startEmulatorProcess() {
  const cli = join(dirname(require.resolve('@clawlink/emulator/package.json')), 'dist/cli.js');
  const child = spawn(
    process.execPath,
    [cli, '--port', '0', '--sdk-app-id', String(SDK_APP_ID), '--secret-key', SECRET_KEY],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const wsUrl = await new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const url = out.match(/ws:\/\/[^\s,]+/)?.[0];
      if (out.includes('listening') && url) resolve(url);
    });
  });
  return {
    wsUrl,
    stop: () =>
      new Promise((resolve) => {
        child.once('close', resolve);
        child.kill('SIGTERM');
      }),
  };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
