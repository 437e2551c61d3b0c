// Shared by the pipeline benchmark scripts: the emulator's admin API, the poster process, the
// pipeline's account config, and small statistics.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SDK_APP_ID, SECRET_KEY } from './support.mjs';

const POSTER = fileURLToPath(new URL('./post-messages.mjs', import.meta.url));

/** A JSON client of the emulator's admin API at the http:// twin of `wsUrl`. */
export function adminOf(wsUrl) {
  const adminUrl = wsUrl.replace(/^ws:/, 'http:');
  const call = async (method, path, body) => {
    const response = await fetch(`${adminUrl}/admin${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  return {
    adminUrl,
    post: (path, body) => call('POST', path, body),
    get: (path) => call('GET', path),
  };
}

/**
 * Posts messages from a separate process (see post-messages.mjs); resolves when all were
 * accepted by the emulator.
 */
export function runPoster(options) {
  const child = spawn(process.execPath, [POSTER, JSON.stringify(options)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`poster: ${code}`)))),
  );
}

/** The `bench <i> <hrtime>` text of post-messages.mjs: the post's hrtime (ns), or undefined. */
export function postedAt(text) {
  const match = /^bench \d+ (\d+)$/.exec(text);
  return match ? BigInt(match[1]) : undefined;
}

/** This process's CPU time (user + system) so far, in µs. */
export function cpuMicros() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * An account config for the pipeline: secret-key credentials against the emulator, no
 * debounce (so latency is the pipeline's own), every group message answered.
 */
export function pipelineConfig(wsUrl, userId, stateDir, extra = {}) {
  return {
    accountId: userId,
    server: wsUrl,
    stateDir,
    credentials: { kind: 'secretKey', sdkAppId: SDK_APP_ID, userId, secretKey: SECRET_KEY },
    debounce: { windowMs: 0 },
    groups: { requireMention: false },
    ...extra,
  };
}

/** The `p`-th percentile (0..100) of `values`, nearest rank. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Resolves once `check()` is true, polling every `everyMs`; rejects after `timeoutMs`. */
export async function waitFor(check, what, timeoutMs = 120_000, everyMs = 5) {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
