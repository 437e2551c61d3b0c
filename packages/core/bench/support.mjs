// Shared by the benchmark scripts: a standalone emulator in its own process, so its memory
// and CPU are not counted against the accounts being measured; probes run in fresh processes;
// medians and ratios.
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/**
 * Runs the bench script `script` (a file name in this folder) with `node --expose-gc` and
 * `args` in a fresh process; returns the last JSON line it printed, its result (the plain SDK
 * prints its version banner on load, before it).
 */
export function runProbe(script, args) {
  const file = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const output = execFileSync(process.execPath, ['--expose-gc', file, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = output
    .trim()
    .split('\n')
    .findLast((l) => l.startsWith('{'));
  if (!line) throw new Error(`${script} ${args.join(' ')} printed no result:\n${output}`);
  return JSON.parse(line);
}

/** The median of `values`. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `measured / baseline` to two decimals, or `n/a` without a positive baseline. */
export function ratio(measured, baseline) {
  return baseline > 0 ? (measured / baseline).toFixed(2) : 'n/a';
}
