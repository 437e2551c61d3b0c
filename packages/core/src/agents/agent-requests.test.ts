import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TIM_LIMITS } from '@clawlink/tim-facts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClawlinkError } from '../errors/clawlink-error.js';
import { TimError } from '../errors/tim-error.js';
import { type ManualClock, manualClock } from '../runtime/manual-clock.js';
import { createMemoryStateStore } from '../state/memory-state-store.js';
import { openSqliteStateStore } from '../state/sqlite-state-store.js';
import type { StateStore } from '../state/state-store.js';
import { AgentRequestError } from './agent-request-error.js';
import {
  type AgentRequestDispatch,
  AgentRequests,
  type AgentRequestsOptions,
  type IncomingAgentRequest,
} from './agent-requests.js';
import type { AgentRequestsConfigInput } from './agent-requests-config.js';
import {
  type AgentCustomContent,
  type AgentEnvelope,
  type AgentResponseEnvelope,
  encodeEnvelope,
  parseEnvelope,
} from './envelope.js';
import { customBytes } from './result-parts.js';

const START = Date.UTC(2026, 11, 1, 9, 0, 0);

interface Sent {
  from: string;
  to: string;
  custom: AgentCustomContent;
  envelope: AgentEnvelope;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Agents wired back to back: what one sends directly to another is handed to that one's
 * `handleEnvelope` (asynchronously, as a network would). Messages to a held user are kept in
 * `held` until the test delivers them.
 */
class Network {
  readonly clock: ManualClock = manualClock(START);
  readonly nodes = new Map<string, AgentRequests>();
  readonly sent: Sent[] = [];
  readonly held: Sent[] = [];
  readonly holding = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();

  /** Adds agent `userId` (replacing one of that name, as a restart does). */
  add(
    userId: string,
    options: {
      store?: StateStore;
      dispatch?: AgentRequestDispatch;
      config?: AgentRequestsConfigInput;
    } & Partial<AgentRequestsOptions> = {},
  ): AgentRequests {
    const agents = new AgentRequests({
      store: options.store ?? createMemoryStateStore({ now: this.clock.now }),
      sendDirect: options.sendDirect ?? ((to, custom) => this.#send(userId, to, custom)),
      dispatch: options.dispatch ?? (async (request) => `done: ${request.task}`),
      clock: this.clock,
      ...(options.config ? { config: options.config } : {}),
    });
    this.nodes.set(userId, agents);
    return agents;
  }

  /** Hands `custom` to `to` as if `from` had sent it. */
  deliver(from: string, to: string, custom: AgentCustomContent): void {
    const target = this.nodes.get(to);
    if (!target) return;
    const delivery = Promise.resolve().then(() => target.handleEnvelope(from, custom));
    this.#inFlight.add(delivery);
    void delivery.finally(() => this.#inFlight.delete(delivery));
  }

  /** Waits until every delivery so far (and what it caused) has been handled. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** What `from` sent to `to`. */
  between(from: string, to: string): AgentEnvelope[] {
    return this.sent.filter((s) => s.from === from && s.to === to).map((s) => s.envelope);
  }

  async #send(from: string, to: string, custom: AgentCustomContent): Promise<void> {
    expect(customBytes(custom)).toBeLessThanOrEqual(TIM_LIMITS.messageBytes);
    const parsed = parseEnvelope(custom);
    // Only the answer to a request without a usable id may fail to parse (its id is empty).
    const envelope = parsed.ok ? parsed.envelope : (JSON.parse(custom.data) as AgentEnvelope);
    if (!parsed.ok) expect(envelope).toMatchObject({ id: '', status: 'failed' });
    const sent = { from, to, custom, envelope };
    this.sent.push(sent);
    if (this.holding.has(to)) this.held.push(sent);
    else this.deliver(from, to, custom);
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (error: unknown) => error,
  );
}

async function agentError(promise: Promise<unknown>): Promise<AgentRequestError> {
  const error = await rejection(promise);
  if (!AgentRequestError.isInstance(error)) throw error;
  return error;
}

const response = (envelope: AgentEnvelope | undefined): AgentResponseEnvelope => {
  if (envelope?.type !== 'clawlink.response') throw new Error('expected a response');
  return envelope;
};

let net: Network;
beforeEach(() => {
  net = new Network();
});
afterEach(async () => {
  await net.idle();
  for (const agents of net.nodes.values()) agents.stop();
});

describe('AgentRequests', () => {
  it('sends a request, runs it on the other side and resolves with its result', async () => {
    const alice = net.add('alice');
    const seen: IncomingAgentRequest[] = [];
    const bob = net.add('bob', {
      config: { allowFrom: ['alice'] },
      dispatch: async (request) => {
        seen.push(request);
        return `summary of ${request.context}`;
      },
    });
    const answer = await alice.request('bob', 'Summarise the notes', { context: 'v1.2 notes' });
    expect(answer).toEqual({ id: seen[0]?.id, from: 'bob', result: 'summary of v1.2 notes' });
    expect(seen).toEqual([
      { id: answer.id, task: 'Summarise the notes', context: 'v1.2 notes', from: 'alice' },
    ]);
    const [request] = net.sent.filter((s) => s.from === 'alice');
    expect(request?.custom.description).toBe('Agent request: Summarise the notes');
    expect(request?.envelope).toMatchObject({ type: 'clawlink.request', v: 1, id: answer.id });
    await net.idle();
    expect(alice.result(answer.id)).toMatchObject({
      id: answer.id,
      peer: 'bob',
      direction: 'outbound',
      status: 'ok',
      result: 'summary of v1.2 notes',
    });
    expect(bob.result(answer.id)).toMatchObject({
      peer: 'alice',
      direction: 'inbound',
      status: 'ok',
    });
    expect([alice.pending(), bob.pending()]).toEqual([[], []]);
    expect(net.clock.pending()).toBe(0);
  });

  it('makes what it stored durable before it sends anything (the store batches writes)', async () => {
    /** A store that says whether it holds writes not flushed yet. */
    const batchingStore = () => {
      const inner = createMemoryStateStore({ now: net.clock.now });
      const writes = new Set([
        'putPendingRequest',
        'deletePendingRequest',
        'takeExpiredRequests',
        'putSettledRequest',
        'settlePendingRequest',
      ]);
      const state = { unflushed: false };
      const store = new Proxy(inner, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            if (property === 'flush') state.unflushed = false;
            else if (writes.has(String(property))) state.unflushed = true;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      return { store, state };
    };
    const unflushedAtSend: string[] = [];
    const node = (userId: string, config?: AgentRequestsConfigInput) => {
      const { store, state } = batchingStore();
      return net.add(userId, {
        store,
        ...(config ? { config } : {}),
        sendDirect: async (to, custom) => {
          if (state.unflushed) unflushedAtSend.push(`${userId}: ${JSON.parse(custom.data).type}`);
          net.deliver(userId, to, custom);
        },
      });
    };
    const alice = node('alice');
    node('bob', { allowFrom: ['alice'] });
    expect(await alice.request('bob', 'durable')).toMatchObject({ result: 'done: durable' });
    await net.idle();
    // A request that arrives after its deadline is settled, then answered.
    net.deliver('alice', 'bob', {
      ...encodeEnvelope({ type: 'clawlink.request', v: 1, id: 'late', task: 'x', deadline: 1 }),
    });
    await net.idle();
    expect(unflushedAtSend).toEqual([]);
  });

  it('shows a request as pending while it waits', async () => {
    const work = deferred<string>();
    const started = deferred<void>();
    const alice = net.add('alice');
    net.add('bob', {
      config: { allowFrom: ['*'] },
      dispatch: () => {
        started.resolve();
        return work.promise;
      },
    });
    const answer = alice.request('bob', 'slow task', { timeoutMs: 60_000, context: 'ctx' });
    await started.promise;
    const [pending] = alice.pending();
    expect(pending).toEqual({
      id: expect.any(String),
      peer: 'bob',
      direction: 'outbound',
      task: 'slow task',
      context: 'ctx',
      createdAt: START,
      deadlineAt: START + 60_000,
    });
    expect(alice.result(pending?.id ?? '')).toMatchObject({ status: 'pending', peer: 'bob' });
    expect(net.nodes.get('bob')?.pending({ direction: 'inbound' })).toHaveLength(1);
    expect(alice.pending({ direction: 'inbound' })).toEqual([]);
    work.resolve('finally');
    expect((await answer).result).toBe('finally');
  });

  it('refuses at once a sender that is not allowed (nobody by default)', async () => {
    const dispatched: IncomingAgentRequest[] = [];
    const alice = net.add('alice');
    net.add('bob', {
      dispatch: async (request) => {
        dispatched.push(request);
        return 'never';
      },
    });
    // No clock advance: the refusal comes back without waiting for the deadline.
    const error = await agentError(alice.request('bob', 'do something'));
    expect(error.code).toBe('AGENT_REQUEST_REFUSED');
    expect(error.peer).toBe('bob');
    expect(error.reason).toBe(
      "this agent does not take requests from 'alice'; its owner can add 'alice' to agentRequests.allowFrom",
    );
    expect(error.message).toContain(`Agent 'bob' refused request ${error.requestId}`);
    expect(ClawlinkError.isInstance(error)).toBe(true);
    expect(dispatched).toEqual([]);
    expect(alice.result(error.requestId)).toMatchObject({ status: 'refused' });
    expect(alice.pending()).toEqual([]);

    // An allow list that names someone else refuses alice too.
    net.add('carol', { config: { allowFrom: ['dave'] } });
    expect((await agentError(alice.request('carol', 'task'))).code).toBe('AGENT_REQUEST_REFUSED');
  });

  it('times out at the deadline on both sides, aborting the work', async () => {
    const started = deferred<AbortSignal>();
    const alice = net.add('alice', { config: { timeoutMs: 30_000 } });
    const bob = net.add('bob', {
      config: { allowFrom: ['alice'] },
      dispatch: (_request, { signal }) => {
        started.resolve(signal);
        return new Promise<string>((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason)),
        );
      },
    });
    const answer = alice.request('bob', 'never finishes');
    const signal = await started.promise;
    net.clock.advance(29_999);
    expect(signal.aborted).toBe(false);
    net.clock.advance(1);
    const error = await agentError(answer);
    expect(error.code).toBe('AGENT_REQUEST_TIMEOUT');
    expect(error.message).toContain("Agent 'bob' did not answer request");
    expect(error.message).toContain('30000 ms');
    expect(signal.aborted).toBe(true);
    await net.idle();
    expect(alice.result(error.requestId)).toMatchObject({
      direction: 'outbound',
      status: 'timeout',
    });
    expect(bob.result(error.requestId)).toMatchObject({ direction: 'inbound', status: 'timeout' });
    // Bob sends nothing for work that ended after its deadline.
    expect(net.between('bob', 'alice')).toEqual([]);
    expect([alice.pending(), bob.pending(), net.clock.pending()]).toEqual([[], [], 0]);
  });

  it("reports a dispatch that throws with the error's message, never its stack", async () => {
    const alice = net.add('alice');
    const failure = new Error('the database is offline');
    net.add('bob', {
      config: { allowFrom: ['alice'] },
      dispatch: async () => {
        throw failure;
      },
    });
    const error = await agentError(alice.request('bob', 'query'));
    expect(error.code).toBe('AGENT_REQUEST_FAILED');
    expect(error.reason).toBe('the database is offline');
    expect(error.message).toContain("Agent 'bob' could not do request");
    const [sent] = net.sent.filter((s) => s.from === 'bob');
    const stackLine = failure.stack?.split('\n')[1]?.trim() ?? 'at ';
    expect(sent?.custom.data).not.toContain(stackLine);
    expect(response(sent?.envelope)).toMatchObject({ status: 'failed' });

    // A dispatch that rejects with a non-error, or resolves with no text, fails too.
    net.add('carol', { config: { allowFrom: ['alice'] }, dispatch: () => Promise.reject(7) });
    expect((await agentError(alice.request('carol', 'q'))).reason).toBe(
      'the request failed without an error message',
    );
    net.add('dave', {
      config: { allowFrom: ['alice'] },
      dispatch: async () => undefined as unknown as string,
    });
    expect((await agentError(alice.request('dave', 'q'))).reason).toBe(
      'the agent gave no text answer',
    );
  });

  it('sends a 40 KB result in parts and reassembles them in any order', async () => {
    const big = 'Résumé 😀 "quoted" \\ line\n'.repeat(1400);
    expect(Buffer.byteLength(big)).toBeGreaterThan(40 * 1024);
    const alice = net.add('alice');
    net.add('bob', { config: { allowFrom: ['alice'] }, dispatch: async () => big });
    net.holding.add('alice');
    const answer = alice.request('bob', 'write a long report');
    await net.idle();
    const parts = net.held.splice(0);
    expect(parts.length).toBeGreaterThan(3);
    for (const [index, part] of parts.entries()) {
      expect(response(part.envelope)).toMatchObject({ part: { index, count: parts.length } });
      expect(customBytes(part.custom)).toBeLessThanOrEqual(TIM_LIMITS.messageBytes);
    }
    // Reversed, and the first part twice.
    for (const part of [...parts.reverse(), parts.at(-1) as Sent]) {
      net.deliver('bob', 'alice', part.custom);
    }
    expect((await answer).result).toBe(big);
    await net.idle();
    expect(alice.result((await answer).id)).toMatchObject({ status: 'ok', result: big });
  });

  it('runs a duplicate request once and answers a late duplicate from the stored result', async () => {
    let runs = 0;
    const work = deferred<string>();
    const alice = net.add('alice');
    const bob = net.add('bob', {
      config: { allowFrom: ['alice'] },
      dispatch: () => {
        runs += 1;
        return work.promise;
      },
    });
    net.holding.add('bob');
    const answer = alice.request('bob', 'count to three');
    await net.idle();
    const [request] = net.held.splice(0);
    if (!request) throw new Error('no request was sent');
    // Delivered twice while it runs: one run, one answer.
    net.deliver('alice', 'bob', request.custom);
    net.deliver('alice', 'bob', request.custom);
    await Promise.resolve();
    work.resolve('one two three');
    expect((await answer).result).toBe('one two three');
    await net.idle();
    expect(runs).toBe(1);
    expect(net.between('bob', 'alice')).toHaveLength(1);

    // Delivered again after it finished: answered from the stored result, not run again.
    net.deliver('alice', 'bob', request.custom);
    await net.idle();
    expect(runs).toBe(1);
    const answers = net.between('bob', 'alice');
    expect(answers).toHaveLength(2);
    expect(answers[1]).toEqual(answers[0]);
    expect(bob.result((await answer).id)).toMatchObject({ status: 'ok', result: 'one two three' });
  });

  describe('across a restart of the asker', () => {
    let stateDir: string;
    const stores: StateStore[] = [];
    const open = () => {
      const store = openSqliteStateStore({ accountId: 'alice', stateDir, now: net.clock.now });
      stores.push(store);
      return store;
    };
    beforeEach(() => {
      stateDir = mkdtempSync(path.join(tmpdir(), 'clawlink-agents-'));
    });
    afterEach(() => {
      for (const store of stores.splice(0)) store.close();
      rmSync(stateDir, { recursive: true, force: true });
    });

    it('records a result that arrives after the asker restarted', async () => {
      const work = deferred<string>();
      const started = deferred<void>();
      const first = net.add('alice', { store: open() });
      net.add('bob', {
        config: { allowFrom: ['alice'] },
        dispatch: () => {
          started.resolve();
          return work.promise;
        },
      });
      const answer = first.request('bob', 'long job', { timeoutMs: 120_000, context: 'c' });
      await started.promise;
      // The asker goes away while bob works: its caller is told, the request stays pending.
      first.stop();
      const stopped = await rejection(answer);
      expect(ClawlinkError.isInstance(stopped) && stopped.code).toBe('STOPPED');
      stores[0]?.close();

      const second = net.add('alice', { store: open() });
      const [pending] = second.pending();
      expect(pending).toMatchObject({ peer: 'bob', direction: 'outbound', task: 'long job' });
      const id = pending?.id ?? '';
      expect(second.result(id)).toMatchObject({ status: 'pending' });
      // Asked again on the next turn: bob, still on it, does not run it twice.
      net.clock.advance(0);
      expect(net.between('alice', 'bob')).toHaveLength(2);

      work.resolve('the late result');
      await net.idle();
      expect(net.between('bob', 'alice')).toHaveLength(1);
      expect(second.result(id)).toMatchObject({
        id,
        peer: 'bob',
        direction: 'outbound',
        status: 'ok',
        result: 'the late result',
      });
      expect(second.pending()).toEqual([]);
      expect(net.clock.pending()).toBe(0);
    });

    it('asks again after a restart, and gets an answer that was lost while it was down', async () => {
      let runs = 0;
      const first = net.add('alice', { store: open() });
      net.add('bob', {
        config: { allowFrom: ['alice'] },
        dispatch: async (request) => {
          runs++;
          return `${request.task}: done`;
        },
      });
      // Everything bob sends alice is lost (e.g. beyond what catch-up fetches after downtime).
      net.holding.add('alice');
      const answer = first.request('bob', 'report', { timeoutMs: 120_000, context: 'c' });
      await net.idle();
      first.stop();
      await rejection(answer);
      stores[0]?.close();
      const [lost] = net.held.splice(0);
      expect(lost?.envelope).toMatchObject({ type: 'clawlink.response', status: 'ok' });
      net.holding.delete('alice');

      const second = net.add('alice', { store: open() });
      const id = lost?.envelope.id ?? '';
      expect(net.between('alice', 'bob')).toHaveLength(1);
      net.clock.advance(0);
      await net.idle();
      expect(second.result(id)).toMatchObject({ status: 'ok', result: 'report: done' });
      // The same request again (same id, task, context, deadline): answered from bob's store.
      const requests = net.between('alice', 'bob');
      expect(requests).toHaveLength(2);
      expect(requests[1]).toEqual(requests[0]);
      expect(runs).toBe(1);
    });

    it('times out on restart a request whose deadline passed while the asker was down', async () => {
      const first = net.add('alice', { store: open() });
      net.holding.add('bob');
      const answer = first.request('bob', 'lost', { timeoutMs: 10_000 });
      await net.idle();
      first.stop();
      await rejection(answer);
      stores[0]?.close();
      net.clock.advance(60_000);
      const second = net.add('alice', { store: open() });
      const id = net.held[0]?.envelope.id ?? '';
      expect(second.result(id)).toMatchObject({ status: 'timeout', direction: 'outbound' });
      expect(second.pending()).toEqual([]);
    });
  });

  it('answers malformed requests and unknown versions with a clear error, never crashing', async () => {
    const dispatched: IncomingAgentRequest[] = [];
    net.add('alice');
    net.add('bob', {
      config: { allowFrom: ['alice'] },
      dispatch: async (request) => {
        dispatched.push(request);
        return 'ok';
      },
    });
    const raw = (body: unknown) => ({
      data: JSON.stringify(body),
      description: '',
      extension: '',
    });
    const deadline = START + 60_000;
    net.deliver(
      'alice',
      'bob',
      raw({ type: 'clawlink.request', v: 1, id: 'm1', task: 42, deadline }),
    );
    net.deliver(
      'alice',
      'bob',
      raw({ type: 'clawlink.request', v: 2, id: 'm2', task: 't', deadline }),
    );
    net.deliver('alice', 'bob', raw({ type: 'clawlink.request', v: 1, task: 't', deadline }));
    // Not an envelope at all, and a malformed response: nothing is answered.
    net.deliver('alice', 'bob', { data: '{oops', description: '', extension: '' });
    net.deliver('alice', 'bob', raw({ type: 'clawlink.response', v: 1, id: 'zz', status: 'x' }));
    await net.idle();
    expect(dispatched).toEqual([]);
    expect(net.between('bob', 'alice')).toEqual([
      {
        type: 'clawlink.response',
        v: 1,
        id: 'm1',
        status: 'failed',
        reason: 'malformed agent request: task must be a non-empty string',
      },
      {
        type: 'clawlink.response',
        v: 1,
        id: 'm2',
        status: 'failed',
        reason:
          'malformed agent request: unsupported envelope version 2; this agent reads version 1',
      },
      {
        type: 'clawlink.response',
        v: 1,
        id: '',
        status: 'failed',
        reason: 'malformed agent request: id must be a non-empty string of at most 128 characters',
      },
    ]);

    // A malformed request from someone not allowed is refused, not diagnosed.
    net.add('mallory');
    net.deliver('mallory', 'bob', raw({ type: 'clawlink.request', v: 7, id: 'x' }));
    await net.idle();
    expect(net.between('bob', 'mallory')).toMatchObject([{ id: 'x', status: 'refused' }]);
  });

  it('fails a request at once when the answer to it cannot be read', async () => {
    const alice = net.add('alice');
    net.holding.add('bob');
    const answer = alice.request('bob', 'task');
    await net.idle();
    const id = net.held[0]?.envelope.id;
    net.deliver('bob', 'alice', {
      data: JSON.stringify({ type: 'clawlink.response', v: 3, id, status: 'ok', result: {} }),
      description: '',
      extension: '',
    });
    const error = await agentError(answer);
    expect(error.code).toBe('AGENT_REQUEST_FAILED');
    expect(error.reason).toBe(
      "the other agent's answer could not be read: unsupported envelope version 3; this agent reads version 1",
    );
  });

  it('ignores responses from anyone but the asked agent, and late ones', async () => {
    const alice = net.add('alice');
    net.holding.add('bob');
    const answer = alice.request('bob', 'task', { timeoutMs: 1000 });
    await net.idle();
    const id = net.held[0]?.envelope.id ?? '';
    const forged = encodeEnvelope({
      type: 'clawlink.response',
      v: 1,
      id,
      status: 'ok',
      result: 'forged',
    });
    net.deliver('mallory', 'alice', forged);
    await net.idle();
    expect(alice.result(id)).toMatchObject({ status: 'pending' });
    net.clock.advance(1000);
    expect((await agentError(answer)).code).toBe('AGENT_REQUEST_TIMEOUT');
    net.deliver('bob', 'alice', forged);
    await net.idle();
    expect(alice.result(id)).toMatchObject({ status: 'timeout' });
  });

  it('does not run a request that arrives after its deadline', async () => {
    const dispatched: IncomingAgentRequest[] = [];
    net.add('alice');
    const bob = net.add('bob', {
      config: { allowFrom: ['alice'] },
      dispatch: async (request) => {
        dispatched.push(request);
        return 'ok';
      },
    });
    const late = encodeEnvelope({
      type: 'clawlink.request',
      v: 1,
      id: 'late-1',
      task: 'too late',
      deadline: START - 1,
    });
    net.deliver('alice', 'bob', late);
    await net.idle();
    expect(dispatched).toEqual([]);
    expect(bob.result('late-1')).toMatchObject({ direction: 'inbound', status: 'timeout' });
    expect(net.between('bob', 'alice')).toMatchObject([{ id: 'late-1', status: 'failed' }]);
    expect(response(net.between('bob', 'alice')[0])).toMatchObject({
      reason: 'the request arrived after its deadline; it was not run',
    });
  });

  it('gives up waiting when the signal aborts, and ignores the answer after that', async () => {
    const alice = net.add('alice');
    net.holding.add('bob');
    const controller = new AbortController();
    const answer = alice.request('bob', 'task', { signal: controller.signal });
    await net.idle();
    const id = net.held[0]?.envelope.id ?? '';
    controller.abort(new Error('user pressed stop'));
    expect(await rejection(answer)).toEqual(new Error('user pressed stop'));
    expect(alice.result(id)).toMatchObject({ status: 'failed', reason: 'cancelled by the asker' });
    net.deliver(
      'bob',
      'alice',
      encodeEnvelope({ type: 'clawlink.response', v: 1, id, status: 'ok', result: 'late' }),
    );
    await net.idle();
    expect(alice.result(id)).toMatchObject({ status: 'failed' });
    expect(net.clock.pending()).toBe(0);

    const aborted = AbortSignal.abort(new Error('already'));
    expect(await rejection(alice.request('bob', 'task', { signal: aborted }))).toEqual(
      new Error('already'),
    );
  });

  it('refuses bad arguments before anything is stored or sent', async () => {
    const alice = net.add('alice');
    const cases: [Promise<unknown>, string, RegExp][] = [
      [alice.request('', 'task'), 'INVALID_ARGUMENT', /userId is not a valid TIM UserID/],
      [alice.request('u'.repeat(33), 'task'), 'INVALID_ARGUMENT', /at most 32 bytes/],
      [alice.request('bob', '  '), 'INVALID_ARGUMENT', /task must be a non-empty string/],
      [alice.request('bob', 't', { timeoutMs: 0 }), 'INVALID_ARGUMENT', /timeoutMs must be/],
      [alice.request('bob', 't', { timeoutMs: 1.5 }), 'INVALID_ARGUMENT', /timeoutMs must be/],
      [
        alice.request('bob', 't', { context: 42 as unknown as string }),
        'INVALID_ARGUMENT',
        /context must be a string/,
      ],
      [alice.request('bob', 'x'.repeat(13_000)), 'TOO_LARGE', /over TIM's 12288-byte limit/],
    ];
    for (const [promise, code, message] of cases) {
      const error = await rejection(promise);
      expect(ClawlinkError.isInstance(error) && error.code).toBe(code);
      expect((error as Error).message).toMatch(message);
    }
    expect(net.sent).toEqual([]);
    expect(alice.pending()).toEqual([]);
  });

  it("rejects with the send's error and keeps nothing when the request cannot be sent", async () => {
    const offline = new TimError('NOT_CONNECTED', 'sendMessage failed: not connected.', {
      operation: 'sendMessage',
    });
    const alice = net.add('alice', {
      sendDirect: async () => {
        throw offline;
      },
    });
    expect(await rejection(alice.request('bob', 'task'))).toBe(offline);
    expect(alice.pending()).toEqual([]);
    expect(net.clock.pending()).toBe(0);
  });

  it('stops: waiting calls reject with STOPPED and later calls are refused', async () => {
    const alice = net.add('alice');
    net.holding.add('bob');
    const answer = alice.request('bob', 'task');
    await net.idle();
    alice.stop();
    alice.stop();
    const error = await rejection(answer);
    expect(ClawlinkError.isInstance(error) && error.code).toBe('STOPPED');
    expect(net.clock.pending()).toBe(0);
    const later = await rejection(alice.request('bob', 'again'));
    expect(ClawlinkError.isInstance(later) && later.code).toBe('STOPPED');
    expect(alice.pending()).toHaveLength(1);
  });

  it('refuses a bad agentRequests config with every problem listed', () => {
    expect(() =>
      net.add('alice', { config: { allowFrom: ['ok', 'has space'], timeoutMs: -1 } }),
    ).toThrow(/allowFrom\.1: a UserID may not contain spaces[\s\S]*timeoutMs: expected how long/);
  });
});

describe('AgentRequestError', () => {
  it('is recognised across package copies', () => {
    const error = new AgentRequestError('AGENT_REQUEST_TIMEOUT', 'late', {
      requestId: 'r',
      peer: 'bob',
    });
    const copy = Object.assign(Object.create(Error.prototype), {
      [Symbol.for('clawlink.error')]: true,
      [Symbol.for('clawlink.error.AgentRequestError')]: true,
    });
    expect(AgentRequestError.isInstance(error)).toBe(true);
    expect(AgentRequestError.isInstance(copy)).toBe(true);
    expect(AgentRequestError.isInstance(new ClawlinkError('TIMEOUT', 'x'))).toBe(false);
    expect(ClawlinkError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ name: 'AgentRequestError', code: 'AGENT_REQUEST_TIMEOUT' });
  });
});
