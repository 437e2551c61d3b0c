import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createRecordingLogger } from '../testing/recording-logger.js';
import { createSdkPromiseClass, SdkPromise } from './rejection-containment.js';

const fixture = fileURLToPath(new URL('./fixtures/rejection-host.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the host fixture in a fresh Node process (no test runner listeners there). */
function runHost(source: 'sdk' | 'host', listener: 'listener' | 'none') {
  const result = spawnSync(process.execPath, ['--import', 'tsx', fixture, source, listener], {
    cwd: packageDir,
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('SdkPromise', () => {
  it('keeps an unhandled SDK rejection from becoming an unhandled rejection, and logs it', async () => {
    const logger = createRecordingLogger();
    const P = createSdkPromiseClass(logger);
    const seen: unknown[] = [];
    const listener = (reason: unknown) => seen.push(reason);
    process.on('unhandledRejection', listener);
    try {
      void P.reject(new Error('left alone'));
      void new P<number>((resolve) => resolve(1)).then(() => {
        throw new Error('thrown in then');
      });
      await tick();
    } finally {
      process.off('unhandledRejection', listener);
    }
    expect(seen).toEqual([]);
    const logged = logger.lines.map((line) => JSON.stringify(line.obj));
    expect(logged.some((text) => text.includes('left alone'))).toBe(true);
    expect(logged.some((text) => text.includes('thrown in then'))).toBe(true);
  });

  it('still delivers rejections to handlers, awaits and combinators, without logging them', async () => {
    const logger = createRecordingLogger();
    const P = createSdkPromiseClass(logger);
    await expect(P.reject(new Error('to catch'))).rejects.toThrow('to catch');
    await expect(P.all([P.resolve(1), P.reject(new Error('in all'))])).rejects.toThrow('in all');
    const derived = P.resolve(2).then((value) => value * 2);
    expect(derived).toBeInstanceOf(SdkPromise);
    expect(await derived).toBe(4);
    await tick();
    expect(logger.lines).toEqual([]);
  });

  it('leaves the host alive when SDK promises reject unhandled (no host listener)', () => {
    const result = runHost('sdk', 'none');
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('alive');
    expect(result.status).toBe(0);
  });

  it("does not show SDK rejections to the host's own unhandledRejection listener", () => {
    const result = runHost('sdk', 'listener');
    expect(result.stdout).not.toContain('host-listener:');
    expect(result.status).toBe(0);
  });

  it("passes the host's own rejections to the host's listener", () => {
    const result = runHost('host', 'listener');
    expect(result.stdout).toContain('host-listener:host-boom');
    expect(result.status).toBe(0);
  });

  it("lets the host's own unhandled rejection crash the process as Node does by default", () => {
    const result = runHost('host', 'none');
    expect(result.stdout).not.toContain('alive');
    expect(result.stderr).toContain('host-boom');
    expect(result.status).toBe(1);
  });
});
