import type { EmulatorMessage } from '@clawlink/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dispatch } from '../pipeline/inbound-event.js';
import type { AccountRuntime } from '../runtime/account-runtime.js';
import { useEmulatorRuntimes } from '../runtime/test-support/emulator-runtime.js';
import { createGates } from '../runtime/test-support/gates.js';
import { createRecordingLogger, type RecordedLine } from '../testing/recording-logger.js';
import { waitUntil } from '../tim/test-support.js';
import { AgentRequestError } from './agent-request-error.js';
import { splitResult } from './result-parts.js';

// Two account runtimes in one process, each with its own SQLite state store and a real
// tim-js-sdk client logged into the emulator: envelopes travel as real C2C custom messages
// through the runtime's pipeline.
const REPORT = 'Zusammenfassung — 数据 😀 "ok"\n'.repeat(1200);
/** The runtimes share one state dir and live for the whole file. */
const env = useEmulatorRuntimes({
  sdkAppId: 1400000061,
  secretKey: 'agent-requests-secret',
  name: 'agent-requests',
  cleanup: 'all',
});
let stateDir: string;

/** Gates a `wait:<name>` task holds on until the test opens them. */
const { gate, openAll, blockingTask } = createGates();

/** Request ids the worker's dispatch was called with, in order; and those whose signal aborted. */
const dispatched: string[] = [];
const aborted: string[] = [];

/**
 * The worker's dispatch, by task: `echo <x>` answers `<x> for <from> (<context>)`, `report`
 * a 40 KB text, `throw` fails, `hang` runs until its signal aborts, `wait:<name>` answers
 * `<name> done` once the test opens that gate.
 */
const workerDispatch: Dispatch = async (event, { signal }) => {
  if (event.kind !== 'agent_request') return undefined;
  const { id, task, from, context } = event.request;
  dispatched.push(id);
  signal.addEventListener('abort', () => aborted.push(id), { once: true });
  if (task.startsWith('echo ')) return `${task.slice(5)} for ${from} (${String(context)})`;
  if (task === 'report') return REPORT;
  if (task === 'stream') {
    return (async function* () {
      yield 'streamed ';
      yield 'in ';
      yield 'pieces';
    })();
  }
  const name = await blockingTask(task, signal);
  return name.startsWith('report') ? REPORT : `${name} done`;
};

/** How `startAgent` starts an account. */
interface StartOptions {
  allowFrom?: string[];
  dispatch?: Dispatch;
  lines?: RecordedLine[];
  config?: Record<string, unknown>;
}

async function startAgent(userId: string, options: StartOptions = {}): Promise<AccountRuntime> {
  if (!env.emulator.getUser(userId)) env.emulator.createUser(userId);
  const runtime = env.agentRuntime(
    userId,
    options.dispatch ?? (() => undefined),
    { stateDir, agentRequests: { allowFrom: options.allowFrom ?? [] }, ...options.config },
    { logger: createRecordingLogger(options.lines) },
  );
  await runtime.start();
  expect(runtime.status().state).toBe('connected');
  return runtime;
}

/** The C2C messages from `from` to `to` whose envelope has request id `id`. */
function envelopes(from: string, to: string, id: string): EmulatorMessage[] {
  return env.emulator.c2cHistory(from, to, 1000).filter((message) => {
    if (message.from !== from || !('custom' in message.content)) return false;
    try {
      return (JSON.parse(message.content.custom.data) as { id?: unknown }).id === id;
    } catch {
      return false;
    }
  });
}

function description(message: EmulatorMessage | undefined): string | undefined {
  return message && 'custom' in message.content ? message.content.custom.description : undefined;
}

function body(message: EmulatorMessage | undefined): Record<string, unknown> {
  if (!message || !('custom' in message.content)) throw new Error('not a custom message');
  return JSON.parse(message.content.custom.data) as Record<string, unknown>;
}

/** Sends `from` -> `to` a custom message through the emulator's admin API (as a raw client would). */
function post(from: string, to: string, data: string, description = 'test envelope'): void {
  env.emulator.postC2CMessage({ from, to, content: { custom: { data, description } } });
}

/** The id of `runtime`'s one pending request. */
function pendingId(runtime: AccountRuntime): string {
  const [request, ...more] = runtime.agents.pending();
  if (!request || more.length > 0) throw new Error('expected exactly one pending request');
  return request.id;
}

/**
 * Starts `userId`, which asks the worker for `wait:<gateName>` and stops once the worker runs
 * it; `stopped` is what the request then settled with.
 */
async function askThenStop(userId: string, gateName: string, options: StartOptions = {}) {
  const asker = await startAgent(userId, options);
  const asked = asker.agents.request('worker', `wait:${gateName}`, { timeoutMs: 60_000 });
  const stopped = asked.catch((error: unknown) => error);
  await waitUntil(() => asker.agents.pending().length === 1, 10_000, 'the request pending');
  const id = pendingId(asker);
  await waitUntil(() => dispatched.includes(id), 10_000, 'the dispatch');
  await asker.stop();
  return { id, stopped };
}

/** Starts `userId` again; resolves once it recorded the result of its request `id`. */
async function restartedWithResult(userId: string, id: string, options: StartOptions = {}) {
  const restarted = await startAgent(userId, options);
  await waitUntil(
    () => restarted.agents.result(id)?.status === 'ok',
    15_000,
    'the late result recorded',
  );
  return restarted;
}

async function rejection(promise: Promise<unknown>): Promise<AgentRequestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!AgentRequestError.isInstance(error))
    throw new Error(`expected an AgentRequestError, got ${String(error)}`);
  return error;
}

let planner: AccountRuntime;
let worker: AccountRuntime;
const workerLines: RecordedLine[] = [];

beforeAll(async () => {
  stateDir = env.stateDir();
  planner = await startAgent('planner');
  worker = await startAgent('worker', {
    allowFrom: ['planner', 'asker', 'big-asker', 'impatient', 'prober'],
    dispatch: workerDispatch,
    lines: workerLines,
    // The direct-message policy answers nobody: agent requests never go through it.
    config: { direct: { allowFrom: [] } },
  });
});

afterAll(() => {
  openAll();
});

describe('agent requests between two runtimes on the emulator', () => {
  it('asks another agent and gets its result; the envelope reads well in a TIM client', async () => {
    const answer = await planner.agents.request('worker', 'echo deploy', {
      context: 'v1.2',
      timeoutMs: 20_000,
    });
    expect(answer).toEqual({ id: answer.id, from: 'worker', result: 'deploy for planner (v1.2)' });
    const [request] = envelopes('planner', 'worker', answer.id);
    expect(description(request)).toBe('Agent request: echo deploy');
    expect(body(request)).toMatchObject({
      type: 'clawlink.request',
      v: 1,
      task: 'echo deploy',
      context: 'v1.2',
      deadline: expect.any(Number),
    });
    expect(description(envelopes('worker', 'planner', answer.id)[0])).toBe(
      'Agent response: deploy for planner (v1.2)',
    );
    expect(body(envelopes('worker', 'planner', answer.id)[0])).toEqual({
      type: 'clawlink.response',
      v: 1,
      id: answer.id,
      status: 'ok',
      result: 'deploy for planner (v1.2)',
    });
    expect(planner.agents.result(answer.id)).toMatchObject({ direction: 'outbound', status: 'ok' });
    await waitUntil(() => worker.agents.result(answer.id)?.status === 'ok', 10_000, 'worker side');
    expect(planner.agents.pending()).toEqual([]);
  });

  it('joins a streamed reply into one result, past a direct-message policy that answers nobody', async () => {
    const answer = await planner.agents.request('worker', 'stream', { timeoutMs: 20_000 });
    expect(answer.result).toBe('streamed in pieces');
    expect(envelopes('worker', 'planner', answer.id)).toHaveLength(1);
  });

  it('gets a 40 KB result in parts and reassembles it', async () => {
    expect(Buffer.byteLength(REPORT)).toBeGreaterThan(40 * 1024);
    const answer = await planner.agents.request('worker', 'report', { timeoutMs: 20_000 });
    expect(answer.result).toBe(REPORT);
    const parts = envelopes('worker', 'planner', answer.id).map(body);
    expect(parts.length).toBeGreaterThan(3);
    expect(description(envelopes('worker', 'planner', answer.id)[1])).toBe(
      `Agent response (part 2 of ${parts.length})`,
    );
    expect(parts.map((part) => part.part)).toEqual(
      parts.map((_, index) => ({ index, count: parts.length })),
    );
    expect(planner.agents.result(answer.id)).toMatchObject({ status: 'ok', result: REPORT });
  });

  it('is refused at once by an agent that does not take requests from the sender', async () => {
    // Ten minutes: were the refusal not immediate, the test would time out long before.
    const error = await rejection(
      worker.agents.request('planner', 'help me', { timeoutMs: 600_000 }),
    );
    expect(error.code).toBe('AGENT_REQUEST_REFUSED');
    expect(error.reason).toContain('agentRequests.allowFrom');
    expect(worker.agents.result(error.requestId)).toMatchObject({ status: 'refused' });
    expect(worker.agents.pending()).toEqual([]);
  });

  it('times out on both sides when the other agent does not finish in time', async () => {
    const error = await rejection(planner.agents.request('worker', 'hang', { timeoutMs: 800 }));
    expect(error.code).toBe('AGENT_REQUEST_TIMEOUT');
    expect(planner.agents.result(error.requestId)).toMatchObject({ status: 'timeout' });
    await waitUntil(() => aborted.includes(error.requestId), 10_000, 'the dispatch aborted');
    expect(worker.agents.result(error.requestId)).toMatchObject({
      direction: 'inbound',
      status: 'timeout',
    });
    expect(envelopes('worker', 'planner', error.requestId)).toEqual([]);
  });

  it("waits the account's agentRequests.timeoutMs when the call gives none", async () => {
    const impatient = await startAgent('impatient', {
      config: { agentRequests: { allowFrom: [], timeoutMs: 500 } },
    });
    const error = await rejection(impatient.agents.request('worker', 'hang'));
    expect(error.code).toBe('AGENT_REQUEST_TIMEOUT');
    expect(error.message).toContain('within 500 ms');
  });

  it("fails with the other agent's error message, never its stack", async () => {
    const error = await rejection(planner.agents.request('worker', 'throw', { timeoutMs: 20_000 }));
    expect(error.code).toBe('AGENT_REQUEST_FAILED');
    expect(error.reason).toBe('the deploy script exited with code 3');
    const [response] = envelopes('worker', 'planner', error.requestId);
    expect(body(response)).toMatchObject({ status: 'failed', reason: error.reason });
    expect(JSON.stringify(body(response))).not.toContain('.ts:');
  });

  it('answers a duplicate delivery once: never runs the request twice', async () => {
    const asked = planner.agents.request('worker', 'wait:dup', { timeoutMs: 20_000 });
    await waitUntil(() => planner.agents.pending().length === 1, 10_000, 'the request pending');
    const id = pendingId(planner);
    await waitUntil(() => dispatched.includes(id), 10_000, 'the dispatch');
    const [original] = envelopes('planner', 'worker', id);
    const data = 'custom' in (original?.content ?? {}) ? JSON.stringify(body(original)) : '';

    // The same envelope again while the worker is on it: ignored, its answer is on the way.
    post('planner', 'worker', data);
    await waitUntil(
      () => workerLines.some((l) => l.msg === 'duplicate agent request: still running'),
      10_000,
      'the duplicate seen',
    );
    gate('dup').open();
    expect((await asked).result).toBe('dup done');
    await waitUntil(() => worker.agents.result(id)?.status === 'ok', 10_000, 'worker settled');

    // And once it is done: answered from the stored result, not run again.
    post('planner', 'worker', data);
    await waitUntil(() => envelopes('worker', 'planner', id).length === 2, 10_000, 'the re-answer');
    expect(
      envelopes('worker', 'planner', id)
        .map(body)
        .map((b) => b.result),
    ).toEqual(['dup done', 'dup done']);
    expect(dispatched.filter((d) => d === id)).toHaveLength(1);
    expect(planner.agents.result(id)).toMatchObject({ status: 'ok', result: 'dup done' });
  });

  it('records a result that arrives while the asker is down, once it is back', async () => {
    const { id, stopped } = await askThenStop('asker', 'restart');
    expect(await stopped).toMatchObject({ code: 'STOPPED' });

    gate('restart').open();
    await waitUntil(() => envelopes('worker', 'asker', id).length === 1, 10_000, 'the answer sent');

    const restarted = await restartedWithResult('asker', id);
    expect(restarted.agents.result(id)).toMatchObject({
      direction: 'outbound',
      peer: 'worker',
      result: 'restart done',
    });
    expect(restarted.agents.pending()).toEqual([]);
  });

  it('records a 40 KB result that arrived in parts while the asker was down', async () => {
    // Catch-up brings back the newest 2 messages only: fewer than the result's parts.
    const options = { config: { catchUp: { maxMessages: 2 } } };
    const { id, stopped } = await askThenStop('big-asker', 'report-down', options);
    await stopped;

    gate('report-down').open();
    const parts = splitResult(id, REPORT).length;
    expect(parts).toBeGreaterThan(2);
    await waitUntil(
      () => envelopes('worker', 'big-asker', id).length === parts,
      10_000,
      'every part sent',
    );

    const restarted = await restartedWithResult('big-asker', id, options);
    expect(restarted.agents.result(id)).toMatchObject({ result: REPORT });
  });

  it('answers malformed envelopes and other versions with a clear error, never a crash', async () => {
    env.emulator.createUser('prober');
    env.emulator.createUser('stranger');
    const deadline = Date.now() + 60_000;
    const answerTo = async (from: string, id: string): Promise<Record<string, unknown>> => {
      await waitUntil(() => envelopes('worker', from, id).length > 0, 10_000, `answer to ${id}`);
      return body(envelopes('worker', from, id)[0]);
    };

    post(
      'prober',
      'worker',
      JSON.stringify({ type: 'clawlink.request', v: 1, id: 'm-1', deadline }),
    );
    expect(await answerTo('prober', 'm-1')).toEqual({
      type: 'clawlink.response',
      v: 1,
      id: 'm-1',
      status: 'failed',
      reason: 'malformed agent request: task must be a non-empty string',
    });
    post(
      'prober',
      'worker',
      JSON.stringify({ type: 'clawlink.request', v: 2, id: 'm-2', task: 'x' }),
    );
    expect(await answerTo('prober', 'm-2')).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('unsupported envelope version 2'),
    });
    post(
      'stranger',
      'worker',
      JSON.stringify({ type: 'clawlink.request', v: 1, id: 'm-3', task: 'x', deadline }),
    );
    expect(await answerTo('stranger', 'm-3')).toMatchObject({ status: 'refused' });
    const late = { type: 'clawlink.request', v: 1, id: 'm-4', task: 'echo late', deadline: 1 };
    post('prober', 'worker', JSON.stringify(late));
    expect(await answerTo('prober', 'm-4')).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('after its deadline'),
    });
    expect(dispatched).not.toContain('m-4');

    // A malformed answer to a pending request fails it at once (a response is never answered).
    const asked = rejection(
      planner.agents.request('worker', 'wait:malformed', { timeoutMs: 20_000 }),
    );
    await waitUntil(() => planner.agents.pending().length === 1, 10_000, 'the request pending');
    const id = pendingId(planner);
    post(
      'worker',
      'planner',
      JSON.stringify({ type: 'clawlink.response', v: 1, id, status: 'done' }),
    );
    const error = await asked;
    expect(error.code).toBe('AGENT_REQUEST_FAILED');
    expect(error.reason).toContain("status must be 'ok', 'refused' or 'failed'");
    gate('malformed').open();
    await waitUntil(() => worker.agents.result(id)?.status === 'ok', 10_000, 'worker settled');
    expect(planner.agents.result(id)).toMatchObject({ status: 'failed' });
    expect(worker.status().state).toBe('connected');
  });
});
