// @clawlink/openclaw end to end, on one machine: the plugin packed and installed into a
// throwaway OpenClaw (`openclaw plugins install npm-pack:<tgz>`), an account configured on the
// embedded clawlink emulator, a loopback OpenAI-compatible mock model as the agent's model,
// `openclaw gateway run` started, a person @-mentioning the agent, the reply printed, and
// everything shut down and removed.
//
// Run from the repository root, after a build (./run test, or pnpm build):
//   node examples/openclaw-plugin/index.mjs
// It needs Node >= 24.16 (OpenClaw's floor) and the npm registry (the install fetches the
// plugin's registry dependencies: tim-js-sdk, better-sqlite3, zod).
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// This example is not a workspace package of its own: it borrows the plugin package's
// modules (its dev dependencies: the emulator and OpenClaw itself) and scripts.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pluginDir = join(root, 'packages', 'openclaw');
const fromPlugin = createRequire(join(pluginDir, 'package.json'));
const load = (specifier) => import(pathToFileURL(specifier).href);
const { startEmulator } = await load(fromPlugin.resolve('@clawlink/emulator'));
const { startMockModel } = await load(join(pluginDir, 'scripts', 'mock-model.mjs'));
const { createSandbox, freePort, gatewayConfig } = await load(
  join(pluginDir, 'scripts', 'openclaw-sandbox.mjs'),
);
const { packStandalone } = await load(join(pluginDir, 'scripts', 'pack-standalone.mjs'));

const SDK_APP_ID = 1400000001;
const SECRET_KEY = 'clawlink-demo-secret';
const say = (line) => console.log(line);
const verbose = process.argv.includes('--verbose');

const emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
emulator.createUser('alice', { nick: 'Alice' });
emulator.createUser('bot', { nick: 'Bot' });
const lobby = emulator.createGroup({ name: 'lobby', owner: 'alice', members: ['bot'] });
const model = await startMockModel();
const sandbox = createSandbox({ log: (line) => verbose && say(`  | ${line}`) });
let closing;
const shutDown = () => {
  closing ??= Promise.all([sandbox.close(), model.close(), emulator.close()]);
  return closing;
};
process.once('SIGINT', () => shutDown().then(() => process.exit(130)));

try {
  say(`emulator on ${emulator.wsUrl}, mock model on ${model.baseUrl}`);
  say(`OpenClaw state directory: ${sandbox.stateDir}`);
  const tarball = packStandalone(sandbox.dir);
  say('installing the plugin: openclaw plugins install npm-pack:clawlink-openclaw-0.0.0.tgz');
  await sandbox.installPlugin(tarball);
  const port = await freePort();
  sandbox.configure(gatewayConfig({ emulator, secretKey: SECRET_KEY, model, port }));
  say(`starting: openclaw gateway run --port ${port} --bind loopback`);
  const gateway = sandbox.startGateway(port);
  await until(() => emulator.onlineUsers().includes('bot'), gateway, 'the bot to log in');
  say('the gateway is up and the bot is logged in to TIM');

  const question = '@bot what is this channel for?';
  say(`[#lobby] alice: ${question}`);
  emulator.postGroupMessage({
    groupId: lobby.groupId,
    from: 'alice',
    content: { text: question, atUserIds: ['bot'] },
  });
  const [reply] = await until(
    () => {
      const answers = emulator.groupHistory(lobby.groupId).filter((m) => m.from === 'bot');
      return answers.length > 0 && answers;
    },
    gateway,
    'the reply',
  );
  say(`[#lobby] bot: ${reply.content.text}`);
  await gateway.stop();
  say('done');
} finally {
  await shutDown();
}

/** Polls `read` until it returns a value; gives up when the gateway exits or after 2 minutes. */
async function until(read, gateway, what) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const value = read();
    if (value) return value;
    if (gateway.child.exitCode !== null) {
      throw new Error(`the gateway exited while waiting for ${what}:\n${gateway.output.stderr}`);
    }
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}
