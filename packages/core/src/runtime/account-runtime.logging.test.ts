import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, startEmulator } from '@clawlink/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingLogger } from '../testing/recording-logger.js';
import { waitUntil } from '../tim/test-support.js';
import { createAccountRuntime } from './account-runtime.js';

const SDK_APP_ID = 1400000402;
const SECRET_KEY = 'logging-test-secret';
// Shaped like a tls-sig-api-v2 UserSig (zlib in TIM's base64), as a host might log one by mistake.
const USER_SIG_LIKE = `eJw${'A1b2C3d4'.repeat(8)}`;

let emulator: Emulator;
let stateDir: string;

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
  emulator.createUser('alice', { nick: 'Alice' });
  stateDir = mkdtempSync(join(tmpdir(), 'clawlink-logging-'));
});

afterAll(async () => {
  await emulator.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('the logger a user passes to a runtime', () => {
  it('gets every line redacted, also the lines a dispatch writes through ctx.logger', async () => {
    const logger = createRecordingLogger();
    const runtime = createAccountRuntime({
      config: {
        accountId: 'logbot',
        server: emulator.wsUrl,
        stateDir,
        credentials: {
          kind: 'secretKey',
          sdkAppId: SDK_APP_ID,
          userId: 'logbot',
          secretKey: SECRET_KEY,
        },
        debounce: { windowMs: 0 },
      },
      logger,
      dispatch: (event, ctx) => {
        ctx.logger.info(
          { apiKey: 'ak_do_not_log', sig: USER_SIG_LIKE },
          `got userSig=${USER_SIG_LIKE}`,
        );
        return `ok ${event.text}`;
      },
    });
    try {
      await runtime.start();
      emulator.postC2CMessage({ from: 'alice', to: 'logbot', content: { text: 'hi' } });
      await waitUntil(() =>
        emulator.c2cHistory('alice', 'logbot').some((m) => m.from === 'logbot'),
      );
      const line = logger.lines.find((l) => l.msg.startsWith('got userSig='));
      expect(line).toBeDefined();
      expect(line?.msg).toBe('got userSig=[redacted]');
      expect(line?.obj).toMatchObject({ apiKey: '[redacted]', sig: '[redacted]' });
      const everything = JSON.stringify(logger.lines);
      expect(everything).not.toContain('ak_do_not_log');
      expect(everything).not.toContain(USER_SIG_LIKE);
      expect(everything).not.toContain(SECRET_KEY);
    } finally {
      await runtime.stop();
    }
  });
});
