// A throwaway OpenClaw installation for the full-gateway test and the example: a temporary
// HOME and OpenClaw state directory, the packed plugin installed with
// `openclaw plugins install npm-pack:<tgz>`, `openclaw.json` written, `openclaw gateway run`
// started as a child process (its own process group), and everything killed and removed by
// `close()`. Only children started here are ever killed, each by its own process id.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pluginDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The `openclaw` CLI of the plugin's dev dependency (the host the plugin is tested with). */
export const OPENCLAW_BIN = join(pluginDir, 'node_modules', 'openclaw', 'openclaw.mjs');

/**
 * Creates the sandbox (nothing runs yet).
 * @param {{ log?: (line: string) => void }} [options] `log` gets every line the children print.
 */
export function createSandbox(options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-openclaw-sandbox-'));
  const home = join(dir, 'home');
  const stateDir = join(dir, 'state');
  mkdirSync(home, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  const configFile = join(stateDir, 'openclaw.json');
  // The children get what a user's shell would give them, without a test runner's or a package
  // manager's variables (VITEST, NODE_ENV=test, npm_* of `npx`, node_modules/.bin on PATH
  // change how OpenClaw resolves and loads plugins). CA and proxy settings stay.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(VITEST|TINYPOOL|JEST_|npm_|INIT_CWD$|NODE_ENV$|NODE_OPTIONS$|TEST$)/.test(key),
    ),
  );
  const path = (process.env.PATH ?? '')
    .split(':')
    .filter((entry) => entry && !entry.includes('node_modules/.bin'))
    .join(':');
  const env = {
    ...inherited,
    PATH: `${dirname(process.execPath)}:${path}`,
    HOME: home,
    OPENCLAW_STATE_DIR: stateDir,
    OPENCLAW_CONFIG_PATH: configFile,
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  };
  // The gateway's log file stays in the sandbox too (OpenClaw's default is /tmp/openclaw/).
  writeFileSync(
    configFile,
    `${JSON.stringify({ logging: { file: join(dir, 'openclaw.log') } })}\n`,
  );
  /** @type {Set<import('node:child_process').ChildProcess>} */
  const children = new Set();
  const log = options.log ?? (() => {});

  /** Spawns `openclaw <args>` in the sandbox; resolves the child (its output is collected). */
  function spawnOpenClaw(args) {
    const child = spawn(process.execPath, [OPENCLAW_BIN, ...args], {
      env,
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.add(child);
    const output = { stdout: '', stderr: '' };
    for (const stream of /** @type {const} */ (['stdout', 'stderr'])) {
      child[stream].setEncoding('utf8');
      child[stream].on('data', (chunk) => {
        output[stream] += chunk;
        for (const line of chunk.split('\n')) if (line.trim()) log(line);
      });
    }
    const exited = new Promise((done) => {
      child.once('exit', (code, signal) => {
        children.delete(child);
        done({ code, signal, ...output });
      });
    });
    return { child, output, exited };
  }

  /**
   * Stops a child and everything it started: the `openclaw` CLI re-launches itself (and the
   * gateway starts helpers) in process groups of their own, so each process of the child's
   * tree is signalled by its id. SIGTERM first (the gateway shuts down cleanly), SIGKILL to
   * whatever is left after 10 s.
   */
  async function kill(child, exited) {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    const tree = processTree(/** @type {number} */ (child.pid));
    signal(tree, 'SIGTERM');
    const timer = setTimeout(() => signal(processTree(child.pid ?? 0, tree), 'SIGKILL'), 10_000);
    const result = await exited;
    clearTimeout(timer);
    // Helpers whose parent is gone get the same treatment.
    const left = tree.filter(alive);
    if (left.length > 0) {
      signal(left, 'SIGTERM');
      await new Promise((done) => setTimeout(done, 2000));
      signal(left.filter(alive), 'SIGKILL');
    }
    return result;
  }

  return {
    dir,
    stateDir,
    configFile,
    env,

    /**
     * Runs `openclaw <args>` to its end (killed after `timeoutMs`).
     * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
     */
    async run(args, timeoutMs = 120_000) {
      const { child, exited } = spawnOpenClaw(args);
      const timer = setTimeout(() => kill(child, exited), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },

    /** Installs the packed plugin as a user would, from its npm-pack tarball. */
    async installPlugin(tarball) {
      const result = await this.run([
        'plugins',
        'install',
        `npm-pack:${tarball}`,
        '--force',
        '--accept-capabilities',
      ]);
      if (result.code !== 0) {
        throw new Error(`openclaw plugins install failed:\n${result.stdout}\n${result.stderr}`);
      }
      return result;
    },

    /** The sandbox's `openclaw.json`. */
    readConfig() {
      return existsSync(configFile) ? JSON.parse(readFileSync(configFile, 'utf8')) : {};
    },

    /** Merges `patch` into `openclaw.json` (objects deeply; everything else replaced). */
    configure(patch) {
      writeFileSync(configFile, `${JSON.stringify(merge(this.readConfig(), patch), null, 2)}\n`);
    },

    /**
     * Starts `openclaw gateway run` on `port` (loopback); `stop()` sends SIGTERM to its group.
     * @returns {{ child: import('node:child_process').ChildProcess, output: { stdout: string, stderr: string }, exited: Promise<{ code: number | null, signal: string | null, stdout: string, stderr: string }>, stop(): Promise<unknown> }}
     */
    startGateway(port) {
      const started = spawnOpenClaw([
        'gateway',
        'run',
        '--port',
        String(port),
        '--bind',
        'loopback',
      ]);
      return { ...started, stop: () => kill(started.child, started.exited) };
    },

    /** Kills every child still running and removes the sandbox. */
    async close() {
      await Promise.all(
        [...children].map((child) => {
          const exited = new Promise((done) => child.once('exit', done));
          return kill(child, exited);
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `pid` and its descendants (Linux `/proc`), plus the ids in `known` (found earlier, maybe
 * orphaned since).
 * @param {number} pid
 * @param {number[]} [known]
 * @returns {number[]}
 */
function processTree(pid, known = []) {
  const found = new Set(known);
  const visit = (id) => {
    found.add(id);
    let children = '';
    try {
      children = readFileSync(`/proc/${id}/task/${id}/children`, 'utf8');
    } catch {
      return;
    }
    for (const child of children.trim().split(/\s+/).filter(Boolean)) visit(Number(child));
  };
  visit(pid);
  return [...found];
}

function signal(pids, name) {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch {
      // Already gone.
    }
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A free TCP port on loopback. */
export async function freePort() {
  const server = createServer();
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  await new Promise((done) => server.close(done));
  return port;
}

/**
 * The `openclaw.json` sections that make a gateway on `port` answer on clawlink with the mock
 * model `model`: the model provider, the agent's model, per-person DM sessions, tools sent in
 * full to the model (no tool search), and the clawlink account `userId` (default `bot`, also
 * its account id) logging in to `emulator` with secret-key credentials (`secretKey`, the key
 * the emulator was started with).
 * @param {{ emulator: { wsUrl: string, sdkAppId: number }, secretKey: string, model: { baseUrl: string }, port: number, userId?: string }} options
 */
export function gatewayConfig({ emulator, secretKey, model, port, userId = 'bot' }) {
  const { wsUrl: server, sdkAppId } = emulator;
  const account = { server, credentials: { kind: 'secretKey', sdkAppId, userId, secretKey } };
  return {
    gateway: { mode: 'local', bind: 'loopback', port, auth: { mode: 'none' } },
    models: {
      mode: 'merge',
      providers: {
        mock: {
          baseUrl: model.baseUrl,
          apiKey: 'mock-key',
          api: 'openai-completions',
          models: [
            {
              id: 'echo',
              name: 'Mock echo model',
              reasoning: false,
              input: ['text'],
              cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
              contextWindow: 128000,
              maxTokens: 4096,
            },
          ],
        },
      },
    },
    agents: { defaults: { model: { primary: 'mock/echo' } } },
    session: { dmScope: 'per-channel-peer' },
    tools: { toolSearch: false },
    channels: { clawlink: { accounts: { [userId]: account } } },
  };
}

function merge(base, patch) {
  const out = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const existing = out[key];
    out[key] =
      isRecord(value) && isRecord(existing) ? merge(existing, value) : structuredClone(value);
  }
  return out;
}

function isRecord(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
