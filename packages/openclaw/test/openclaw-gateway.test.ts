/**
 * The full OpenClaw gateway, as a user runs it: the plugin packed and installed with
 * `openclaw plugins install npm-pack:<tgz>` into a temporary state directory, `openclaw gateway
 * run` as a child process with an OpenAI-compatible mock model on loopback, the person played
 * on the emulator (the gateway's TIM SDK logs into it over a real WebSocket). Every child is
 * killed at the end. Needs the packages built (turbo's `test` depends on `build`).
 */
import { statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Emulator, type EmulatorMessage, startEmulator } from '@clawlink/emulator';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { contentText, startMockModel, userText } from '../scripts/mock-model.mjs';
import { createSandbox, freePort, gatewayConfig } from '../scripts/openclaw-sandbox.mjs';
import { packStandalone } from '../scripts/pack-standalone.mjs';

const SDK_APP_ID = 1400000013;
const SECRET_KEY = 'openclaw-gateway-test-secret';
const pluginDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

type Sandbox = ReturnType<typeof createSandbox>;
type Gateway = ReturnType<Sandbox['startGateway']>;
type MockModel = Awaited<ReturnType<typeof startMockModel>>;

let emulator: Emulator;
let model: MockModel;
let sandbox: Sandbox;
let gateway: Gateway | undefined;
let port: number;
let lobby: string;
const logs: string[] = [];

const textOf = (message: EmulatorMessage): string =>
  'text' in message.content ? message.content.text : '';
const botInLobby = () => emulator.groupHistory(lobby).filter((m) => m.from === 'bot');

/** Polls `read` every 100 ms until it returns a value; fails with the gateway's log if it exits. */
async function eventually<T>(read: () => T | undefined | false): Promise<T> {
  for (;;) {
    const value = read();
    if (value !== undefined && value !== false) return value;
    if (gateway && gateway.child.exitCode !== null) {
      throw new Error(`the gateway exited:\n${logs.slice(-40).join('\n')}`);
    }
    await new Promise((done) => setTimeout(done, 100));
  }
}

/**
 * The tarball is packed from each package's `dist`: says so when a `dist` is older than its
 * sources (turbo builds before testing; a direct `vitest run` may test an old build).
 */
async function warnIfStale(): Promise<void> {
  for (const name of ['core', 'usersig', 'tim-facts', 'openclaw']) {
    const dir = join(pluginDir, '..', name);
    const built = statSync(join(dir, 'dist', 'index.js')).mtimeMs;
    const sources = await readdir(join(dir, 'src'), { recursive: true });
    const stale = sources.find(
      (file) =>
        file.endsWith('.ts') &&
        !file.endsWith('.test.ts') &&
        !file.split('/').at(-1)?.startsWith('test-') &&
        statSync(join(dir, 'src', file)).mtimeMs > built,
    );
    if (stale) {
      console.warn(
        `packages/${name}/dist is older than src/${stale}; the gateway runs the old build (pnpm --filter @clawlink/${name} build)`,
      );
    }
  }
}

function startGateway(): Gateway {
  gateway = sandbox.startGateway(port);
  return gateway;
}

beforeAll(async () => {
  await warnIfStale();
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
  emulator.createUser('alice', { nick: 'Alice' });
  emulator.createUser('bot', { nick: 'Bot' });
  lobby = emulator.createGroup({ name: 'lobby', owner: 'alice', members: ['bot'] }).groupId;
  model = await startMockModel();
  sandbox = createSandbox({
    log: (line) => {
      logs.push(line);
      if (process.env.CLAWLINK_DEBUG_GATEWAY) process.stderr.write(`${line}\n`);
    },
  });
  port = await freePort();
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
  await model?.close();
  await emulator?.close();
}, 60_000);

describe('the plugin in a real OpenClaw gateway', () => {
  // The steps build on each other: after a failure the rest fail at once, not by timing out.
  let failed: string | undefined;
  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    if (!failed) {
      // What the gateway said last, so a failure in CI can be read without a rerun.
      console.error(`the gateway's last lines:\n${logs.slice(-60).join('\n')}`);
    }
    failed ??= ctx.task.name;
  });
  beforeEach(() => {
    if (failed) throw new Error(`not run: '${failed}' failed`);
  });

  it('installs from its npm-pack tarball and loads with its channel and every tool', async () => {
    const tarball = packStandalone(sandbox.dir);
    await sandbox.installPlugin(tarball);
    // The channel's section can only be written once the plugin that owns it is installed.
    sandbox.configure(gatewayConfig({ emulator, secretKey: SECRET_KEY, model, port }));
    const inspect = await sandbox.run(['plugins', 'inspect', 'clawlink', '--runtime', '--json']);
    expect(inspect.code).toBe(0);
    const report = JSON.stringify(JSON.parse(inspect.stdout.slice(inspect.stdout.indexOf('{'))));
    expect(report).toContain('"status":"loaded"');
    expect(report).toContain('clawlink_list_channels');
    expect(report).toContain('clawlink_request_agent');
  }, 180_000);

  it("answers a person's @-mention with the model's reply in the channel", async () => {
    startGateway();
    await eventually(() => emulator.onlineUsers().includes('bot'));
    emulator.postGroupMessage({
      groupId: lobby,
      from: 'alice',
      content: { text: '@bot hello there', atUserIds: ['bot'] },
    });
    const [reply] = await eventually(() => botInLobby().length > 0 && botInLobby());
    expect(textOf(reply as EmulatorMessage)).toBe('@Alice model reply: @bot hello there');
    expect(reply?.cloudCustomData).toContain('messageReply');
  }, 120_000);

  it('runs a clawlink tool the model calls and hands its result back to the model', async () => {
    const before = botInLobby().length;
    emulator.postGroupMessage({
      groupId: lobby,
      from: 'alice',
      content: { text: '@bot /tool clawlink_list_channels', atUserIds: ['bot'] },
    });
    const replies = await eventually(() => botInLobby().length > before && botInLobby());
    expect(textOf(replies.at(-1) as EmulatorMessage)).toMatch(
      /^@Alice tool clawlink_list_channels said: .*lobby/,
    );
    const toolResults = model.requests
      .flatMap(
        (request) => (request as { messages: { role: string; content: unknown }[] }).messages,
      )
      .filter((message) => message.role === 'tool')
      .map((message) => contentText(message.content));
    expect(toolResults.some((text) => text.includes(lobby))).toBe(true);
  }, 120_000);

  it('delivers `openclaw message send` through the running gateway, with no second login', async () => {
    const logins = emulator.loginCount('bot');
    const sent = await sandbox.run([
      'message',
      'send',
      '--channel',
      'clawlink',
      '--target',
      `group:${lobby}`,
      '-m',
      'a notice from the command line',
    ]);
    expect(sent.code, `${sent.stdout}\n${sent.stderr}`).toBe(0);
    await eventually(() =>
      botInLobby().some((m) => textOf(m) === 'a notice from the command line'),
    );
    expect(emulator.loginCount('bot')).toBe(logins);
  }, 120_000);

  it('does not answer again after a restart, and answers what is new', async () => {
    const answered = botInLobby().length;
    const asked = () =>
      model.requests.map((request) => {
        const messages = (request as { messages: { role: string; content: unknown }[] }).messages;
        const users = messages.filter(
          (m) => m.role === 'user' && !contentText(m.content).includes('OPENCLAW_INTERNAL'),
        );
        return userText(contentText(users.at(-1)?.content));
      });
    const askedBefore = asked().length;
    const logins = emulator.loginCount('bot');
    const stopped = await (gateway as Gateway).stop();
    expect(stopped).toMatchObject({ code: 0 });
    startGateway();
    await eventually(
      () => emulator.loginCount('bot') > logins && emulator.onlineUsers().includes('bot'),
    );
    emulator.postGroupMessage({
      groupId: lobby,
      from: 'alice',
      content: { text: '@bot back again?', atUserIds: ['bot'] },
    });
    await eventually(() => botInLobby().length > answered && botInLobby());
    expect(botInLobby().map(textOf).slice(answered)).toEqual([
      '@Alice model reply: @bot back again?',
    ]);
    expect(asked().slice(askedBefore)).toEqual(['@bot back again?']);
  }, 120_000);
});
