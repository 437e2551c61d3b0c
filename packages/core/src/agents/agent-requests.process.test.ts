import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Emulator, type EmulatorMessage, startEmulator } from '@clawlink/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Two agents, each an account runtime in its own process (runtime/fixtures/agent-host.ts),
// with its own SQLite state file, talking over the emulator. The asker is killed with SIGKILL
// while the worker is on its request and started again from the same state directory.
const SDK_APP_ID = 1400000062;
const SECRET_KEY = 'agent-requests-process-secret';
const REPORT = 'Zusammenfassung — 数据 😀 "ok"\n'.repeat(1200);
const hostScript = fileURLToPath(new URL('../runtime/fixtures/agent-host.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('../..', import.meta.url));
/** The longest any single wait in this file may take. */
const WAIT_MS = 15_000;

let emulator: Emulator;
let stateDir: string;
const hosts: Host[] = [];

type Line = Record<string, unknown> & { event: string };

/** One agent-host child process: JSON commands in on stdin, JSON lines out on stdout. */
class Host {
  readonly lines: Line[] = [];
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcess;
  #waiters = new Set<() => void>();
  #refs = 0;

  constructor(
    readonly userId: string,
    allowFrom: string[],
  ) {
    const config = {
      accountId: userId,
      server: emulator.wsUrl,
      stateDir,
      credentials: { kind: 'secretKey', sdkAppId: SDK_APP_ID, userId, secretKey: SECRET_KEY },
      agentRequests: { allowFrom },
    };
    this.#child = spawn(process.execPath, ['--import', 'tsx', hostScript, JSON.stringify(config)], {
      cwd: packageDir,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let buffer = '';
    this.#child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const complete = buffer.split('\n');
      buffer = complete.pop() ?? '';
      for (const text of complete) {
        // The TIM SDK may print its own lines too; only the host's JSON lines are events.
        if (text.startsWith('{')) this.lines.push(JSON.parse(text));
        else if (text.trim() !== '') process.stderr.write(`[${userId} stdout] ${text}\n`);
      }
      for (const wake of this.#waiters) wake();
    });
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code) => {
        resolve(code);
        for (const wake of this.#waiters) wake();
      });
    });
    hosts.push(this);
  }

  /** Resolves with the first line that satisfies `match`, waiting at most {@link WAIT_MS}. */
  async next(match: (line: Line) => boolean, what: string): Promise<Line> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const found = this.lines.find(match);
      if (found) return found;
      if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
        throw new Error(`${this.userId} exited before ${what}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.userId}: timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.#waiters.add(wake);
      });
    }
  }

  send(command: Record<string, unknown>): void {
    this.#child.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  /** Asks `userId` to do `task` and resolves with the host's `result` or `error` line. */
  request(userId: string, task: string, timeoutMs = 20_000): Promise<Line> {
    const ref = `r${++this.#refs}`;
    this.send({ op: 'request', ref, userId, task, timeoutMs });
    return this.next((line) => line.ref === ref, `the answer to ${task}`);
  }

  /** `runtime.agents.result(id)`, asked until it is settled (each ask answers in turn). */
  async settled(id: string): Promise<Record<string, unknown>> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const seen = this.lines.length;
      this.send({ op: 'result', id });
      const line = await this.next(
        (l) => this.lines.indexOf(l) >= seen && l.event === 'state' && l.id === id,
        `the state of ${id}`,
      );
      const state = line.state as Record<string, unknown> | undefined;
      if (state && state.status !== 'pending') return state;
      if (Date.now() > deadline) {
        const recent = JSON.stringify(this.lines.slice(-30));
        throw new Error(`${this.userId}: ${id} still pending; its last lines: ${recent}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  ready(): Promise<Line> {
    return this.next((line) => line.event === 'ready', 'ready');
  }

  kill(): Promise<number | null> {
    this.#child.kill('SIGKILL');
    return this.exited;
  }
}

/** The C2C messages from `from` to `to` whose envelope has request id `id`, as JSON bodies. */
function envelopes(from: string, to: string, id: string): Record<string, unknown>[] {
  return emulator
    .c2cHistory(from, to, 1000)
    .filter((m): m is EmulatorMessage & { content: { custom: { data: string } } } => {
      return m.from === from && 'custom' in m.content;
    })
    .map((m) => {
      try {
        return JSON.parse(m.content.custom.data) as Record<string, unknown>;
      } catch {
        return {};
      }
    })
    .filter((b) => b.id === id);
}

async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function post(from: string, to: string, body: Record<string, unknown>): void {
  emulator.postC2CMessage({
    from,
    to,
    content: { custom: { data: JSON.stringify(body), description: 'test envelope' } },
  });
}

let worker: Host;
let asker: Host;

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
  stateDir = mkdtempSync(join(tmpdir(), 'clawlink-agent-host-'));
  for (const userId of ['worker', 'asker', 'prober']) emulator.createUser(userId);
  worker = new Host('worker', ['asker', 'prober']);
  asker = new Host('asker', []);
  expect(await worker.ready()).toMatchObject({ state: 'connected' });
  expect(await asker.ready()).toMatchObject({ state: 'connected' });
});

afterAll(async () => {
  await Promise.all(hosts.map((host) => host.kill()));
  await emulator?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('agent requests between two processes on the emulator', () => {
  it('gets a result (a 40 KB one too), a fast refusal, a timeout and a failure', async () => {
    const [echo, report, refused, timedOut, failed] = await Promise.all([
      asker.request('worker', 'echo deploy'),
      asker.request('worker', 'report'),
      // Ten minutes: were the refusal not immediate, the test would time out long before.
      worker.request('asker', 'help me', 600_000),
      asker.request('worker', 'hang', 1_000),
      asker.request('worker', 'throw'),
    ]);
    expect(echo).toMatchObject({ event: 'result', from: 'worker', result: 'deploy for asker' });
    expect(report).toMatchObject({
      event: 'result',
      length: REPORT.length,
      sha256: createHash('sha256').update(REPORT).digest('hex'),
    });
    expect(envelopes('worker', 'asker', report.id as string).length).toBeGreaterThan(3);
    expect(refused).toMatchObject({ event: 'error', code: 'AGENT_REQUEST_REFUSED' });
    expect(refused.reason).toContain('agentRequests.allowFrom');
    expect(timedOut).toMatchObject({ event: 'error', code: 'AGENT_REQUEST_TIMEOUT' });
    const timedOutId = timedOut.requestId as string;
    await worker.next((l) => l.event === 'aborted' && l.id === timedOutId, 'the abort');
    expect(await worker.settled(timedOutId)).toMatchObject({ status: 'timeout' });
    expect(failed).toMatchObject({
      event: 'error',
      code: 'AGENT_REQUEST_FAILED',
      reason: 'the deploy script exited with code 3',
    });
  });

  it('answers a duplicate delivery once, whether it comes while running or after', async () => {
    const answer = asker.request('worker', 'wait:dup');
    const { id } = await worker.next((l) => l.event === 'dispatch' && l.task === 'wait:dup', 'dup');
    const [request] = envelopes('asker', 'worker', id as string);
    expect(request).toMatchObject({ type: 'clawlink.request', task: 'wait:dup' });

    post('asker', 'worker', request as Record<string, unknown>);
    await worker.next(
      (l) => l.msg === 'duplicate agent request: still running' && l.requestId === id,
      'the running duplicate seen',
    );
    worker.send({ op: 'open', gate: 'dup' });
    expect(await answer).toMatchObject({ event: 'result', id, result: 'dup done' });
    expect(await worker.settled(id as string)).toMatchObject({ status: 'ok' });

    post('asker', 'worker', request as Record<string, unknown>);
    await waitFor(() => envelopes('worker', 'asker', id as string).length === 2, 'the re-answer');
    expect(envelopes('worker', 'asker', id as string).map((b) => b.result)).toEqual([
      'dup done',
      'dup done',
    ]);
    expect(worker.lines.filter((l) => l.event === 'dispatch' && l.id === id)).toHaveLength(1);
  });

  it('records the late result after the asker was killed and restarted', async () => {
    // Killed while the worker works; restarted before the answer: it is still pending.
    asker.send({
      op: 'request',
      ref: 'crash',
      userId: 'worker',
      task: 'wait:crash',
      timeoutMs: 60_000,
    });
    const crash = await worker.next(
      (l) => l.event === 'dispatch' && l.task === 'wait:crash',
      'crash',
    );
    expect(await asker.kill()).toBeNull();
    asker = new Host('asker', []);
    await asker.ready();
    asker.send({ op: 'pending' });
    const pending = await asker.next((l) => l.event === 'pending', 'pending()');
    expect(pending.requests).toEqual([
      expect.objectContaining({
        id: crash.id,
        peer: 'worker',
        direction: 'outbound',
        task: 'wait:crash',
      }),
    ]);
    worker.send({ op: 'open', gate: 'crash' });
    expect(await asker.settled(crash.id as string)).toMatchObject({
      status: 'ok',
      result: 'crash done',
    });

    // Killed, and the answer comes while it is down: recorded once it is back.
    asker.send({
      op: 'request',
      ref: 'down',
      userId: 'worker',
      task: 'wait:down',
      timeoutMs: 60_000,
    });
    const down = await worker.next((l) => l.event === 'dispatch' && l.task === 'wait:down', 'down');
    await asker.kill();
    worker.send({ op: 'open', gate: 'down' });
    await waitFor(() => envelopes('worker', 'asker', down.id as string).length === 1, 'the answer');
    asker = new Host('asker', []);
    await asker.ready();
    expect(await asker.settled(down.id as string)).toMatchObject({
      status: 'ok',
      direction: 'outbound',
      result: 'down done',
    });
  });

  it('answers a malformed envelope with an error and keeps working', async () => {
    post('prober', 'worker', {
      type: 'clawlink.request',
      v: 1,
      id: 'bad-1',
      deadline: Date.now() + 60_000,
    });
    post('prober', 'worker', { type: 'clawlink.request', v: 3, id: 'bad-2', task: 'x' });
    await waitFor(
      () =>
        envelopes('worker', 'prober', 'bad-1').length +
          envelopes('worker', 'prober', 'bad-2').length ===
        2,
      'both answers',
    );
    expect(envelopes('worker', 'prober', 'bad-1')).toEqual([
      {
        type: 'clawlink.response',
        v: 1,
        id: 'bad-1',
        status: 'failed',
        reason: 'malformed agent request: task must be a non-empty string',
      },
    ]);
    expect(envelopes('worker', 'prober', 'bad-2')[0]?.reason).toContain(
      'unsupported envelope version 3',
    );
    expect(await asker.request('worker', 'echo still here')).toMatchObject({
      result: 'still here for asker',
    });
  });
});
