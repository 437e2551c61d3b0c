import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: examples run from there, as a newcomer runs them. */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** How an example's run ended and what it printed. */
export interface ExampleRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link runExample}. */
export interface RunExampleOptions {
  /** Arguments after the script. */
  args?: string[];
  /** Written to its stdin, which is then closed. */
  input?: string;
  /** Environment variables to leave out of the child's environment. */
  withoutEnv?: string[];
  /** Killed with SIGKILL (and so fails) when it runs longer than this. */
  limitMs?: number;
}

/**
 * Runs `node examples/<name>/index.mjs` from the repository root as a child process; resolves
 * when it exits, with its exit code and everything it printed.
 */
export function runExample(name: string, options: RunExampleOptions = {}): Promise<ExampleRun> {
  return new Promise((done, fail) => {
    const env = { ...process.env };
    for (const key of options.withoutEnv ?? []) delete env[key];
    const child = spawn(
      process.execPath,
      [join('examples', name, 'index.mjs'), ...(options.args ?? [])],
      { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const limit = setTimeout(() => child.kill('SIGKILL'), options.limitMs ?? 60_000);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', fail);
    child.once('exit', (code, signal) => {
      clearTimeout(limit);
      done({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
