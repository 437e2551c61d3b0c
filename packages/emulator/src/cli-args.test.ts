import { describe, expect, it } from 'vitest';
import { parseCliArgs } from './cli-args.js';

const SECRET = 'cli-args-test-secret-key-0123456789';

function start(argv: string[], env: Record<string, string> = {}) {
  const parsed = parseCliArgs(argv, env);
  if (!parsed.ok) throw new Error(`expected a start command, got error: ${parsed.error}`);
  if (parsed.command.kind !== 'start') throw new Error('expected a start command, got help');
  return parsed.command;
}

function error(argv: string[], env: Record<string, string> = {}): string {
  const parsed = parseCliArgs(argv, env);
  if (parsed.ok) throw new Error('expected an error');
  expect(parsed.error).not.toContain(SECRET);
  return parsed.error;
}

describe('parseCliArgs', () => {
  it('reads every flag, in both --flag value and --flag=value forms', () => {
    const command = start([
      '--port',
      '9123',
      '--sdk-app-id=1400000001',
      '--secret-key',
      SECRET,
      '--db',
      '/tmp/emu.sqlite',
      '--host=0.0.0.0',
      '--credential-ttl',
      '600',
      '--verbose',
    ]);
    expect(command).toEqual({
      kind: 'start',
      verbose: true,
      options: {
        sdkAppId: 1400000001,
        secretKey: SECRET,
        port: 9123,
        host: '0.0.0.0',
        dbPath: '/tmp/emu.sqlite',
        credentialTtlSeconds: 600,
      },
    });
  });

  it('defaults the port to 0 and leaves host, db and ttl to the emulator', () => {
    expect(start(['--sdk-app-id', '7', '--secret-key', SECRET])).toEqual({
      kind: 'start',
      verbose: false,
      options: { sdkAppId: 7, secretKey: SECRET, port: 0 },
    });
  });

  it('takes values from the environment, flags winning', () => {
    const env = {
      CLAWLINK_EMULATOR_SDK_APP_ID: '1400000002',
      CLAWLINK_EMULATOR_SECRET_KEY: SECRET,
      CLAWLINK_EMULATOR_PORT: '8080',
      CLAWLINK_EMULATOR_DB: '/tmp/env.sqlite',
      CLAWLINK_EMULATOR_HOST: '127.0.0.2',
    };
    expect(start([], env).options).toEqual({
      sdkAppId: 1400000002,
      secretKey: SECRET,
      port: 8080,
      host: '127.0.0.2',
      dbPath: '/tmp/env.sqlite',
    });
    expect(start(['--port', '9000'], env).options.port).toBe(9000);
  });

  it('answers help for --help and -h, wherever they are', () => {
    expect(parseCliArgs(['--help'])).toEqual({ ok: true, command: { kind: 'help' } });
    expect(parseCliArgs(['--port', 'x', '-h'])).toEqual({ ok: true, command: { kind: 'help' } });
  });

  it('names what is missing', () => {
    expect(error(['--secret-key', SECRET])).toMatch(/--sdk-app-id is required/);
    expect(error(['--sdk-app-id', '1'])).toMatch(/--secret-key is required/);
    expect(error(['--sdk-app-id', '1', '--secret-key'])).toMatch(/--secret-key needs a value/);
    expect(error(['--sdk-app-id', '--secret-key', SECRET])).toMatch(/--sdk-app-id needs a value/);
  });

  it('refuses malformed numbers, unknown options and stray arguments without echoing secrets', () => {
    const base = ['--sdk-app-id', '1', '--secret-key', SECRET];
    expect(error([...base, '--port', '70000'])).toMatch(
      /--port must be an integer from 0 to 65535/,
    );
    expect(error([...base, '--port', '12ab'])).toMatch(/--port must be an integer/);
    expect(error(['--sdk-app-id', '0', '--secret-key', SECRET])).toMatch(/--sdk-app-id must be/);
    expect(error(['--sdk-app-id', '-5', '--secret-key', SECRET])).toMatch(/--sdk-app-id/);
    expect(error([...base, '--credential-ttl', '0'])).toMatch(/--credential-ttl must be/);
    expect(error([...base, '--bogus', '1'])).toMatch(/unknown option --bogus/);
    expect(error(['--sdk-app-id', '1', SECRET])).toMatch(/unexpected argument #3/);
    expect(error([...base, '--host='])).toMatch(/--host needs a value/);
  });
});
