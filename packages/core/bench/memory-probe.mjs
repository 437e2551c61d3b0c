// One measurement in a fresh process: memory held by N logged-in accounts of one kind.
//   node --expose-gc bench/memory-probe.mjs <runtime|client|fresh-module> <count> <wsUrl>
// Prints one JSON line: {mode, count, heapPerAccountMb, rssPerAccountMb, readyMs}.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccountRuntime } from '@clawlink/core';
import { createTimClient } from '@clawlink/core/tim';
import { createUserSig } from '@clawlink/usersig';
import { memorySnapshot, printMemoryPerAccount } from './memory-support.mjs';
import { SDK_APP_ID, SECRET_KEY } from './support.mjs';

const [mode, countText, wsUrl] = process.argv.slice(2);
const count = Number(countText);
const sig = (userId) => createUserSig({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, userId });

/** The approach tim-sdk research measured: browser globals and a fresh module copy per user. */
function freshModuleLogin(userId) {
  const require = createRequire(import.meta.url);
  const noop = () => {};
  globalThis.window ??= {
    navigator: { userAgent: 'bench', cookieEnabled: false },
    addEventListener: noop,
    removeEventListener: noop,
  };
  globalThis.document ??= { charset: 'UTF-8' };
  globalThis.XMLHttpRequest ??= class {
    open() {}
    setRequestHeader() {}
    send() {}
  };
  const file = require.resolve('tim-js-sdk');
  delete require.cache[file];
  const TIM = require(file);
  const tim = TIM.create({ SDKAppID: SDK_APP_ID, proxyServer: wsUrl });
  tim.setLogLevel(4);
  const ready = new Promise((resolve) => tim.on(TIM.EVENT.SDK_READY, resolve));
  return tim.login({ userID: userId, userSig: sig(userId) }).then(() => ready);
}

process.on('unhandledRejection', () => {}); // only the fresh-module SDK copies raise these
const stateDir = mkdtempSync(join(tmpdir(), 'clawlink-bench-'));
const prefix = `${mode.slice(0, 3)}${process.pid % 10000}_`;
const held = [];
// Load and warm up the code paths once, so the baseline includes the compiled SDK.
const warm = createTimClient({ sdkAppId: SDK_APP_ID, server: wsUrl });
await warm.login({ userId: `${prefix}warm`, userSig: sig(`${prefix}warm`) });
await warm.destroy();
const before = await memorySnapshot();
const started = performance.now();
for (let i = 0; i < count; i++) {
  const userId = `${prefix}${i}`;
  if (mode === 'runtime') {
    const runtime = createAccountRuntime({
      config: {
        accountId: userId,
        server: wsUrl,
        stateDir,
        credentials: { kind: 'secretKey', sdkAppId: SDK_APP_ID, userId, secretKey: SECRET_KEY },
      },
    });
    await runtime.start();
    if (runtime.status().state !== 'connected') throw new Error(`${userId} did not connect`);
    held.push(() => runtime.stop());
  } else if (mode === 'client') {
    const client = createTimClient({ sdkAppId: SDK_APP_ID, server: wsUrl });
    await client.login({ userId, userSig: sig(userId) });
    held.push(() => client.destroy());
  } else if (mode === 'fresh-module') {
    await freshModuleLogin(userId);
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}
const readyMs = performance.now() - started;
const after = await memorySnapshot();
printMemoryPerAccount({ mode, count, before, after, readyMs });
await Promise.all(held.map((stop) => stop()));
rmSync(stateDir, { recursive: true, force: true });
process.exit(0);
