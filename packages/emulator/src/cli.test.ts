import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyUserSig } from '@clawlink/usersig';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * The CLI as a process: spawned from source with node and tsx's loader (no build needed, and
 * no wrapper process between the signals and the CLI), talked to over real HTTP, stopped with
 * real signals.
 */
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const SDK_APP_ID = 1400000123;
const SECRET = 'cli-process-test-secret';

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const running: ChildProcess[] = [];
const tempDirs: string[] = [];

function run(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    cwd: packageDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  running.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function listening(started: Run): Promise<{ line: string; ws: string; admin: string }> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const line = started
        .stdout()
        .split('\n')
        .find((l) => l.includes('listening'));
      const ws = line?.match(/ws:\/\/[^\s,]+/)?.[0];
      const admin = line?.match(/http:\/\/[^\s,]+/)?.[0];
      if (line && ws && admin) {
        started.child.stdout?.off('data', check);
        resolve({ line, ws, admin });
      }
    };
    started.child.stdout?.on('data', check);
    started.exited.then((code) =>
      reject(new Error(`the CLI exited with ${code} before listening: ${started.stderr()}`)),
    );
    check();
  });
}

afterEach(() => {
  for (const child of running.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('clawlink-emulator CLI', () => {
  it('prints one listening line without the secret, serves HTTP, and exits 0 on SIGTERM', async () => {
    const started = run([
      '--port',
      '0',
      '--sdk-app-id',
      String(SDK_APP_ID),
      '--secret-key',
      SECRET,
    ]);
    const { line, ws, admin } = await listening(started);
    expect(ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(admin).toBe(ws.replace('ws://', 'http://'));
    expect(line).toContain(String(SDK_APP_ID));
    expect(started.stdout()).not.toContain(SECRET);

    const created = await fetch(`${admin}/admin/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'cli_user' }),
    });
    expect(created.status).toBe(201);
    const signed = (await (
      await fetch(`${admin}/admin/users/cli_user/sig`, { method: 'POST' })
    ).json()) as {
      userSig: string;
    };
    expect(
      verifyUserSig(signed.userSig, { sdkAppId: SDK_APP_ID, secretKey: SECRET }),
    ).toMatchObject({
      ok: true,
      userId: 'cli_user',
    });

    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
    expect(
      started
        .stdout()
        .split('\n')
        .filter((l) => l.includes('listening')),
    ).toHaveLength(1);
    expect(started.stdout() + started.stderr()).not.toContain(SECRET);
    await expect(fetch(`${admin}/admin/users`)).rejects.toThrow();
  });

  it('takes its settings from the environment and exits 0 on SIGINT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawlink-cli-'));
    tempDirs.push(dir);
    const started = run([], {
      CLAWLINK_EMULATOR_SDK_APP_ID: String(SDK_APP_ID),
      CLAWLINK_EMULATOR_SECRET_KEY: SECRET,
      CLAWLINK_EMULATOR_DB: join(dir, 'emulator.sqlite'),
    });
    const { admin } = await listening(started);
    expect((await fetch(`${admin}/admin/users`)).status).toBe(200);
    started.child.kill('SIGINT');
    expect(await started.exited).toBe(0);
  });

  it('exits 2 with the usage on stderr for bad or missing flags', async () => {
    const missing = run(['--port', '0', '--secret-key', SECRET]);
    expect(await missing.exited).toBe(2);
    expect(missing.stderr()).toContain('--sdk-app-id is required');
    expect(missing.stderr()).toContain('Usage: clawlink-emulator');
    expect(missing.stderr()).not.toContain(SECRET);
    expect(missing.stdout()).toBe('');

    const bad = run(['--port', 'eighty', '--sdk-app-id', '1', '--secret-key', SECRET]);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain('--port must be an integer');
  });

  it('exits 1 with the reason when the emulator cannot start (port taken)', async () => {
    const first = run(['--sdk-app-id', String(SDK_APP_ID), '--secret-key', SECRET]);
    const { admin } = await listening(first);
    const port = new URL(admin).port;
    const second = run([
      '--port',
      port,
      '--sdk-app-id',
      String(SDK_APP_ID),
      '--secret-key',
      SECRET,
    ]);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toContain('clawlink-emulator: could not start');
    expect(second.stderr()).not.toContain(SECRET);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });

  it('prints the usage on --help and exits 0', async () => {
    const help = run(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toContain('Usage: clawlink-emulator');
  });
});
