/**
 * Issue 10's "done when", tried as a new user would: every publishable `@clawlink/*` package
 * the adapters need is packed with `pnpm pack`, the tarballs are `npm install`ed into a fresh
 * folder outside the monorepo (with `@langchain/core` and `langchain` from the registry, as
 * `@clawlink/langchain`'s peer ranges resolve for a new user), `clawlink-emulator` runs from
 * the installed emulator's bin as its own process, and two programs written against the
 * installed packages only run as child processes: the events quickstart of the issue, and a
 * LangChain `createAgent` with a scripted tool-calling model. A person is played through the
 * emulator's HTTP admin API; answers are read from its history.
 *
 * The packages are packed from their `dist`: `turbo run test` builds them first (this package
 * depends on them, and `turbo.json` here adds `@clawlink/langchain#build` and passes the
 * proxy, CA and npm settings through to npm). Here it takes about 10 s, most of it npm.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SDK_APP_ID = 1400000010;
const SECRET_KEY = 'packed-install-secret';
/** Packing and `npm install` from the registry: generous, but finite. */
const INSTALL_TIMEOUT_MS = 300_000;
/** How long a program may take to log in, and an answer to arrive (within the test's 60 s). */
const ANSWER_TIMEOUT_MS = 30_000;

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const readManifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** The workspace's packages by name: name -> directory. */
const workspace = new Map(
  readdirSync(join(root, 'packages')).flatMap((entry) => {
    const dir = join(root, 'packages', entry);
    return existsSync(join(dir, 'package.json')) ? [[readManifest(dir).name, dir] as const] : [];
  }),
);

/** The packages a user installs, and every `@clawlink/*` package they depend on at run time. */
function packagesToPack(): string[] {
  const wanted = ['@clawlink/events', '@clawlink/langchain', '@clawlink/emulator'];
  const found = new Set<string>();
  while (wanted.length > 0) {
    const name = wanted.pop() as string;
    if (found.has(name)) continue;
    const dir = workspace.get(name);
    if (!dir) throw new Error(`${name} is not a package of this workspace`);
    found.add(name);
    wanted.push(...Object.keys(readManifest(dir).dependencies ?? {}).filter(isClawlink));
  }
  return [...found].sort();
}

const isClawlink = (name: string): boolean => name.startsWith('@clawlink/');

/**
 * `@langchain/core` and `langchain` as a new user gets them: the newest versions in the peer
 * ranges `@clawlink/langchain` declares (its own tests run on the lowest, its devDependencies).
 */
const langchainPeers = Object.entries(
  readManifest(workspace.get('@clawlink/langchain') as string).peerDependencies ?? {},
).map(([name, range]) => `${name}@${range}`);

const children = new Set<ChildProcess>();

/**
 * The environment of a child: this one without what pnpm and vitest set for their scripts
 * (registry and proxy settings are kept), with this Node first on PATH so `npm` and the
 * emulator's `#!/usr/bin/env node` bin run on it.
 */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const kept = /^npm_config_(registry|.*proxy|cafile|strict_ssl)$/i.test(key);
    if (!kept && (/^npm_/i.test(key) || /^VITEST/.test(key))) continue;
    env[key] = value;
  }
  env.PATH = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);
  return { ...env, ...extra };
}

/** Starts a child process, kept in {@link children} until it exits; its output is collected. */
function start(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((done) => {
    child.once('error', (error) => {
      output += `\n${error.message}`;
      children.delete(child);
      done(null);
    });
    child.once('exit', (code) => {
      children.delete(child);
      done(code);
    });
  });
  return { child, output: () => output, exited };
}

/** Runs a command to its end; rejects with what it printed when it fails or runs too long. */
async function run(
  command: string,
  args: string[],
  options: { cwd: string; timeoutMs: number },
): Promise<string> {
  const { child, output, exited } = start(command, args, options);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  const code = await exited.finally(() => clearTimeout(timer));
  if (code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (exit ${code}):\n${output().slice(-4000)}`,
    );
  }
  return output();
}

/** Stops a child with SIGTERM (SIGKILL when it does not exit) and waits for it. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

let temp = '';
let app = '';
let ws = '';
let adminUrl = '';

interface EmulatorMessage {
  from: string;
  content: { text?: string };
  cloudCustomData?: string;
}

/** One call to the emulator's HTTP admin API; throws with its answer when it is not 2xx. */
async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${adminUrl}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

const groupMessages = async (groupId: string): Promise<EmulatorMessage[]> =>
  (await admin<{ messages: EmulatorMessage[] }>('GET', `/admin/groups/${groupId}/messages`))
    .messages;

type Program = ReturnType<typeof start>;

/** Throws with what the program printed when it has exited (it should keep running). */
function checkRunning(program: Program): void {
  if (program.child.exitCode !== null || program.child.signalCode !== null) {
    throw new Error(`the program exited (${program.child.exitCode}):\n${program.output()}`);
  }
}

/** Waits until `userId` is logged into the emulator (the program under test is up). */
async function online(userId: string, program: Program): Promise<void> {
  await vi.waitFor(
    async () => {
      checkRunning(program);
      const { userIds } = await admin<{ userIds: string[] }>('GET', '/admin/online');
      if (!userIds.includes(userId)) throw new Error(`${userId} is not online yet`);
    },
    { timeout: ANSWER_TIMEOUT_MS, interval: 50 },
  );
}

/** Waits for the program's message in the group whose text matches `text`; resolves with it. */
function answerIn(
  program: Program,
  groupId: string,
  from: string,
  text: RegExp,
): Promise<EmulatorMessage> {
  return vi.waitFor(
    async () => {
      checkRunning(program);
      const answer = (await groupMessages(groupId)).find(
        (message) => message.from === from && text.test(message.content.text ?? ''),
      );
      if (!answer) {
        throw new Error(
          `no answer from ${from} in ${groupId} matching ${text}:\n${program.output()}`,
        );
      }
      return answer;
    },
    { timeout: ANSWER_TIMEOUT_MS, interval: 50 },
  );
}

/** Runs a program of the new user's folder (`node <file>`) with the emulator's coordinates. */
function program(file: string, source: string): Program {
  writeFileSync(join(app, file), source);
  return start(process.execPath, [file], {
    cwd: app,
    env: childEnv({
      CLAWLINK_SERVER: ws,
      CLAWLINK_SDK_APP_ID: String(SDK_APP_ID),
      CLAWLINK_SECRET_KEY: SECRET_KEY,
      CLAWLINK_STATE_DIR: join(temp, 'state'),
    }),
  });
}

beforeAll(async () => {
  temp = mkdtempSync(join(tmpdir(), 'clawlink-packed-'));
  const tarballs = join(temp, 'tarballs');
  app = join(temp, 'app');
  mkdirSync(tarballs);
  mkdirSync(app);

  for (const name of packagesToPack()) {
    const dir = workspace.get(name) as string;
    if (!existsSync(join(dir, 'dist'))) {
      throw new Error(`${name} has no dist/: build it first (pnpm build, or ./run test)`);
    }
    await run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: dir, timeoutMs: 60_000 });
  }

  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify({ name: 'clawlink-newcomer', private: true, type: 'module' }, null, 2)}\n`,
  );
  await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--save-exact',
      '--loglevel=error',
      '--cache',
      join(temp, 'npm-cache'),
      ...readdirSync(tarballs).map((file) => join(tarballs, file)),
      ...langchainPeers,
    ],
    { cwd: app, timeoutMs: INSTALL_TIMEOUT_MS },
  );

  const emulator = start(join(app, 'node_modules', '.bin', 'clawlink-emulator'), ['--port', '0'], {
    cwd: app,
    env: childEnv({
      CLAWLINK_EMULATOR_SDK_APP_ID: String(SDK_APP_ID),
      CLAWLINK_EMULATOR_SECRET_KEY: SECRET_KEY,
    }),
  });
  const listening = await vi.waitFor(
    () => {
      if (emulator.child.exitCode !== null) {
        throw new Error(
          `clawlink-emulator exited (${emulator.child.exitCode}): ${emulator.output()}`,
        );
      }
      const line = emulator.output().match(/listening: ws (\S+) admin (\S+)/);
      if (!line) throw new Error('clawlink-emulator has not said it is listening yet');
      return line;
    },
    { timeout: 30_000, interval: 20 },
  );
  ws = listening[1] as string;
  adminUrl = listening[2] as string;
}, INSTALL_TIMEOUT_MS + 60_000);

afterAll(async () => {
  await Promise.all([...children].map(stop));
  if (temp) await rm(temp, { recursive: true, force: true });
});

describe('the packed packages, installed with npm in a fresh folder', () => {
  it('are the packed tarballs: built code and README only, every workspace: range a version', () => {
    for (const name of packagesToPack()) {
      const dir = join(app, 'node_modules', name);
      // (npm may nest a dependency under the package: node_modules is not the package's.)
      const files = readdirSync(dir).filter((file) => file !== 'node_modules');
      expect({ name, files: files.sort() }).toEqual({
        name,
        files: ['README.md', 'dist', 'package.json'],
      });
      const installed = readManifest(dir);
      const ranges = { ...installed.dependencies, ...installed.peerDependencies };
      const local = Object.entries(ranges).filter(([, range]) => range.startsWith('workspace:'));
      expect({ name, local }).toEqual({ name, local: [] });
    }
    const newcomer = readManifest(app);
    expect(Object.keys(newcomer.dependencies ?? {})).toEqual(
      expect.arrayContaining([...packagesToPack(), '@langchain/core', 'langchain']),
    );
  });

  it('load through import and require alike (the ESM and CJS builds export the same names)', async () => {
    const names = packagesToPack();
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const out = {};
      for (const name of ${JSON.stringify(names)}) {
        const esm = Object.keys(await import(name)).filter((key) => key !== 'default').sort();
        const cjs = Object.keys(require(name)).sort();
        out[name] = { esm, same: JSON.stringify(esm) === JSON.stringify(cjs) };
      }
      console.log(JSON.stringify(out));
    `;
    const printed = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: app,
      timeoutMs: 30_000,
    });
    const loaded = JSON.parse(printed) as Record<string, { esm: string[]; same: boolean }>;
    for (const name of names) {
      expect({ name, same: loaded[name]?.same }).toEqual({ name, same: true });
    }
    expect(loaded['@clawlink/events']?.esm).toEqual(expect.arrayContaining(['createAgent']));
    expect(loaded['@clawlink/langchain']?.esm).toEqual(
      expect.arrayContaining(['ClawlinkToolkit', 'createClawlinkTools', 'createLangChainDispatch']),
    );
  });

  it('the events quickstart answers a person who @-mentions it in a channel', async () => {
    await admin('POST', '/admin/users', { userId: 'alice', nick: 'Alice' });
    await admin('POST', '/admin/users', { userId: 'echo', nick: 'Echo' });
    await admin('POST', '/admin/groups', {
      groupId: 'lobby',
      name: 'lobby',
      owner: 'alice',
      members: ['echo'],
    });
    // The quickstart of issue 10 and the events README, with `server` and `credentials` for
    // the emulator (the state file goes to $CLAWLINK_STATE_DIR).
    const quickstart = program(
      'quickstart.mjs',
      `import { createAgent } from '@clawlink/events';

const server = process.env.CLAWLINK_SERVER;
const credentials = {
  kind: 'secretKey',
  sdkAppId: Number(process.env.CLAWLINK_SDK_APP_ID),
  userId: 'echo',
  secretKey: process.env.CLAWLINK_SECRET_KEY,
};

const agent = createAgent({ accountId: 'echo', server, credentials });
agent.on('message', (event) => \`You said: \${event.text}\`);
await agent.start();
`,
    );
    await online('echo', quickstart);
    await admin('POST', '/admin/groups/lobby/messages', {
      from: 'alice',
      content: { text: '@echo hello, is anyone there?', atUserIds: ['echo'] },
    });
    const answer = await answerIn(quickstart, 'lobby', 'echo', /You said: /);
    expect(answer.content.text).toBe('@Alice You said: @echo hello, is anyone there?');
    expect(answer.cloudCustomData).toContain('messageReply');
    await stop(quickstart.child);
    expect(quickstart.output()).toBe('');
  });

  it("LangChain's createAgent with a tool-calling model uses the clawlink tools and answers in the channel", async () => {
    await admin('POST', '/admin/users', { userId: 'bob', nick: 'Bob' });
    await admin('POST', '/admin/users', { userId: 'gardenbot', nick: 'Garden bot' });
    for (const [groupId, name] of [
      ['garden', 'Garden'],
      ['kitchen', 'Kitchen'],
    ] as const) {
      await admin('POST', '/admin/groups', {
        groupId,
        name,
        owner: 'bob',
        members: ['gardenbot'],
      });
    }
    await admin('POST', '/admin/groups/garden/messages', {
      from: 'bob',
      content: { text: 'the roses need water' },
    });
    const agent = program('langchain-agent.mjs', LANGCHAIN_AGENT);
    await online('gardenbot', agent);
    await admin('POST', '/admin/groups/garden/messages', {
      from: 'bob',
      content: {
        text: '@gardenbot where are you, and what was said here?',
        atUserIds: ['gardenbot'],
      },
    });
    // The answer is made of what the tools returned from the emulator: the channels the agent
    // is in, and the channel's history. It is streamed, so it is complete once it ends so.
    const answer = await answerIn(agent, 'garden', 'gardenbot', /said "the roses need water"\.$/);
    expect(answer.content.text).toBe(
      '@Bob I am in 2 channels: #Garden, #Kitchen. Earlier here, Bob said "the roses need water".',
    );
    await stop(agent.child);
    expect(agent.output().split('\n')).toEqual(
      expect.arrayContaining(['tool clawlink_list_channels', 'tool clawlink_fetch_messages']),
    );
  });
});

/**
 * A LangChain agent as the langchain README's quick start builds it (a core runtime, the
 * factory form of `createLangChainDispatch`, `createAgent` with `createClawlinkTools`), with a
 * scripted tool-calling model in place of a real one: it lists its channels, reads the
 * channel's history, then streams an answer made of what the tools returned.
 */
const LANGCHAIN_AGENT = `import { createAccountRuntime } from '@clawlink/core';
import { createClawlinkTools, createLangChainDispatch } from '@clawlink/langchain';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, AIMessageChunk } from '@langchain/core/messages';
import { ChatGenerationChunk } from '@langchain/core/outputs';
import { createAgent } from 'langchain';

class ScriptedModel extends BaseChatModel {
  _llmType() {
    return 'scripted';
  }

  bindTools() {
    return this;
  }

  #turn(messages) {
    const result = (name) => messages.find((m) => m.type === 'tool' && m.name === name);
    const listed = result('clawlink_list_channels');
    const fetched = result('clawlink_fetch_messages');
    const question = String(messages.findLast((m) => m.type === 'human')?.content);
    const channelId = /\\(channel id ([^)]+)\\)/.exec(question)?.[1];
    if (!listed) return { tool: { name: 'clawlink_list_channels', args: {} } };
    if (!fetched) return { tool: { name: 'clawlink_fetch_messages', args: { channelId } } };
    const { channels } = JSON.parse(String(listed.content));
    const { messages: history } = JSON.parse(String(fetched.content));
    const names = channels.map((c) => '#' + c.name).sort();
    const earlier = history.filter((m) => !m.text.includes('@gardenbot'));
    const said = earlier.map((m) => (m.nick ?? m.from) + ' said "' + m.text + '"').join('; ');
    return { text: 'I am in ' + names.length + ' channels: ' + names.join(', ') + '. Earlier here, ' + said + '.' };
  }

  async _generate(messages) {
    const turn = this.#turn(messages);
    const message = turn.tool
      ? new AIMessage({ content: '', tool_calls: [{ ...turn.tool, id: 'call_' + messages.length }] })
      : new AIMessage(turn.text);
    return { generations: [{ message, text: turn.text ?? '' }] };
  }

  async *_streamResponseChunks(messages, _options, runManager) {
    const turn = this.#turn(messages);
    if (turn.tool) {
      const call = { ...turn.tool, id: 'call_' + messages.length, type: 'tool_call' };
      yield new ChatGenerationChunk({ message: new AIMessageChunk({ content: '', tool_calls: [call] }), text: '' });
      return;
    }
    for (const word of turn.text.match(/\\S+\\s*/g)) {
      const chunk = new ChatGenerationChunk({ message: new AIMessageChunk(word), text: word });
      yield chunk;
      await runManager?.handleLLMNewToken(word, undefined, undefined, undefined, undefined, { chunk });
    }
  }
}

// Warnings and errors to stderr, so a failing run says why.
const print = (level) => (fields, message) =>
  console.error(level + ' ' + (message ?? fields) + ' ' + (message ? JSON.stringify(fields) : ''));
const logger = { debug() {}, info() {}, warn: print('warn'), error: print('error'), child: () => logger };

const runtime = createAccountRuntime({
  logger,
  config: {
    accountId: 'gardenbot',
    server: process.env.CLAWLINK_SERVER,
    credentials: {
      kind: 'secretKey',
      sdkAppId: Number(process.env.CLAWLINK_SDK_APP_ID),
      userId: 'gardenbot',
      secretKey: process.env.CLAWLINK_SECRET_KEY,
    },
  },
});
runtime.setDispatch(
  createLangChainDispatch(
    (rt) =>
      createAgent({
        model: new ScriptedModel({}),
        tools: createClawlinkTools(rt),
        systemPrompt: 'You are gardenbot, an agent in Tencent Cloud IM.',
      }),
    {
      config: {
        callbacks: [
          { handleToolStart: (_tool, _input, _run, _parent, _tags, _meta, name) => console.log('tool ' + name) },
        ],
      },
    },
  ),
);
await runtime.start();
`;
