import type { EmulatorOptions } from './types.js';

/** The usage text `clawlink-emulator --help` prints (and bad flags print to stderr). */
export const CLI_USAGE = `Usage: clawlink-emulator --sdk-app-id <id> --secret-key <key> [options]

Starts a local Tencent Cloud IM compatible server: the TIM SDK connects to its ws:// URL,
the admin API and credential exchange answer on its http:// URL (same port).

Options:
  --sdk-app-id <id>        TIM application id clients must use      (env CLAWLINK_EMULATOR_SDK_APP_ID)
  --secret-key <key>       key UserSigs are signed with             (env CLAWLINK_EMULATOR_SECRET_KEY)
  --port <n>               TCP port, 0 picks a free one (default 0) (env CLAWLINK_EMULATOR_PORT)
  --host <h>               interface to bind (default 127.0.0.1)    (env CLAWLINK_EMULATOR_HOST)
  --db <file>              SQLite file to keep state across restarts (env CLAWLINK_EMULATOR_DB)
  --credential-ttl <s>     validity of exchanged UserSigs in seconds (default 86400)
  --verbose                print notable events (faults, refusals) to stderr
  -h, --help               print this help
`;

/** What the command line asks for: start an emulator with these options, or print help. */
export type CliCommand =
  | { kind: 'start'; options: EmulatorOptions; verbose: boolean }
  | { kind: 'help' };

/** Outcome of {@link parseCliArgs}: a command, or what is wrong with the arguments. */
export type CliParse = { ok: true; command: CliCommand } | { ok: false; error: string };

const VALUE_FLAGS = ['sdk-app-id', 'secret-key', 'port', 'host', 'db', 'credential-ttl'] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];

const ENV_NAMES: Partial<Record<ValueFlag, string>> = {
  'sdk-app-id': 'CLAWLINK_EMULATOR_SDK_APP_ID',
  'secret-key': 'CLAWLINK_EMULATOR_SECRET_KEY',
  port: 'CLAWLINK_EMULATOR_PORT',
  host: 'CLAWLINK_EMULATOR_HOST',
  db: 'CLAWLINK_EMULATOR_DB',
};

/**
 * Parses `clawlink-emulator`'s arguments (without `node` and the script) and environment.
 * Flags win over environment variables; `--flag value` and `--flag=value` both work. Pure: it
 * reads nothing but its arguments. Error messages never contain the secret key.
 */
export function parseCliArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): CliParse {
  const values: Partial<Record<ValueFlag, string>> = {};
  let verbose = false;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (arg === '-h' || arg === '--help') return { ok: true, command: { kind: 'help' } };
    if (arg === '--verbose') {
      verbose = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      // Not echoed: a stray argument is often a secret key missing its flag.
      return {
        ok: false,
        error: `unexpected argument #${index + 1}; every value follows its --flag`,
      };
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (!(VALUE_FLAGS as readonly string[]).includes(name)) {
      return { ok: false, error: `unknown option --${safe(name)}` };
    }
    let value: string | undefined;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      value = argv[index + 1];
      if (value === undefined || value.startsWith('--')) {
        return { ok: false, error: `--${name} needs a value` };
      }
      index++;
    }
    values[name as ValueFlag] = value;
  }
  for (const [flag, envName] of Object.entries(ENV_NAMES) as [ValueFlag, string][]) {
    const fromEnv = env[envName];
    if (values[flag] === undefined && fromEnv !== undefined && fromEnv !== '') {
      values[flag] = fromEnv;
    }
  }

  const sdkAppId = integerOf(values['sdk-app-id'], 'sdk-app-id', 1, 0xffffffff);
  if (typeof sdkAppId === 'string') return { ok: false, error: sdkAppId };
  const secretKey = values['secret-key'];
  if (secretKey === undefined || secretKey === '') {
    return { ok: false, error: '--secret-key is required (or set CLAWLINK_EMULATOR_SECRET_KEY)' };
  }
  const port = integerOf(values.port ?? '0', 'port', 0, 65535);
  if (typeof port === 'string') return { ok: false, error: port };
  const ttl =
    values['credential-ttl'] === undefined
      ? undefined
      : integerOf(values['credential-ttl'], 'credential-ttl', 1, 10 * 365 * 24 * 60 * 60);
  if (typeof ttl === 'string') return { ok: false, error: ttl };
  if (values.host === '') return { ok: false, error: '--host needs a value' };
  if (values.db === '') return { ok: false, error: '--db needs a file path' };

  const options: EmulatorOptions = { sdkAppId, secretKey, port };
  if (values.host !== undefined) options.host = values.host;
  if (values.db !== undefined) options.dbPath = values.db;
  if (ttl !== undefined) options.credentialTtlSeconds = ttl;
  return { ok: true, command: { kind: 'start', options, verbose } };
}

/** Parses a decimal integer flag; returns the number or an error message. */
function integerOf(
  raw: string | undefined,
  flag: ValueFlag,
  min: number,
  max: number,
): number | string {
  const envName = ENV_NAMES[flag];
  if (raw === undefined) {
    return `--${flag} is required${envName ? ` (or set ${envName})` : ''}`;
  }
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    return `--${flag} must be an integer from ${min} to ${max} (got "${safe(raw)}")`;
  }
  return value;
}

/** Shortens an argument for an error message. */
function safe(text: string): string {
  return text.length > 24 ? `${text.slice(0, 24)}…` : text;
}
