#!/usr/bin/env node
/**
 * `clawlink-emulator`: the emulator as a standalone process. Prints one `listening` line with
 * the ws:// and http:// URLs (never the secret key), closes cleanly on SIGINT and SIGTERM
 * (exit 0), and exits 2 with the usage on bad arguments. See `--help` and the README.
 */
import { CLI_USAGE, parseCliArgs } from './cli-args.js';
import { startEmulator } from './index.js';

async function main(): Promise<void> {
  const parsed = parseCliArgs(process.argv.slice(2), process.env);
  if (!parsed.ok) {
    process.stderr.write(`clawlink-emulator: ${parsed.error}\n\n${CLI_USAGE}`);
    process.exit(2);
  }
  if (parsed.command.kind === 'help') {
    process.stdout.write(CLI_USAGE);
    return;
  }
  const { options, verbose } = parsed.command;
  const emulator = await startEmulator({
    ...options,
    log: verbose ? (line) => process.stderr.write(`clawlink-emulator: ${line}\n`) : () => {},
  });
  process.stdout.write(
    `clawlink-emulator listening: ws ${emulator.wsUrl} admin ${emulator.adminUrl} sdkAppId ${emulator.sdkAppId}\n`,
  );

  let closing = false;
  const stop = (signal: NodeJS.Signals) => {
    if (closing) {
      process.stderr.write(`clawlink-emulator: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    closing = true;
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`clawlink-emulator: closing failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`clawlink-emulator: could not start: ${message}\n`);
  process.exit(1);
});
