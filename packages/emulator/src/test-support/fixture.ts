/** Test-only: an emulator per test with SDK clients that are always destroyed afterwards. */
import { afterEach } from 'vitest';
import type { EmulatorInternals } from '../emulator-internals.js';
import { startEmulator } from '../start-emulator.js';
import type { EmulatorOptions } from '../types.js';
import { createClient, type SdkPackage, type TestClient } from './sdk-client.js';

/** The SDKAppID the tests use. */
export const SDK_APP_ID = 1400000001;
/** The secret key the tests use. */
export const SECRET_KEY = 'emulator-test-secret';

/** What {@link useEmulator} gives a test. */
export interface EmulatorFixture {
  /** Starts an emulator (closed after the test). */
  start(options?: Partial<EmulatorOptions>): Promise<EmulatorInternals>;
  /** Logs `userId` in with a fresh SDK copy and waits for SDK_READY (destroyed after the test). */
  login(
    emulator: EmulatorInternals,
    userId: string,
    options?: { pkg?: SdkPackage; userSig?: string; ready?: boolean },
  ): Promise<TestClient>;
  /** Lines the emulators logged. */
  logs: string[];
}

/** Registers afterEach cleanup and returns the fixture. */
export function useEmulator(): EmulatorFixture {
  const emulators: EmulatorInternals[] = [];
  const clients: TestClient[] = [];
  const logs: string[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.destroy()));
    await Promise.all(emulators.splice(0).map((e) => e.close()));
    logs.length = 0;
  });

  return {
    logs,
    async start(options = {}) {
      const emulator = await startEmulator({
        sdkAppId: SDK_APP_ID,
        secretKey: SECRET_KEY,
        log: (line) => logs.push(line),
        ...options,
      });
      emulators.push(emulator);
      return emulator;
    },
    async login(emulator, userId, options = {}) {
      const client = await createClient({
        wsUrl: emulator.wsUrl,
        sdkAppId: SDK_APP_ID,
        userId,
        userSig: options.userSig ?? emulator.userSig(userId),
        ...(options.pkg ? { pkg: options.pkg } : {}),
        ...(options.ready === false ? { ready: false } : {}),
      });
      clients.push(client);
      return client;
    },
  };
}
