/**
 * The agent for real: the unmodified tim-js-sdk (through @clawlink/core) logged into the
 * emulator over a WebSocket, a SQLite state file per account, the person played through the
 * emulator's admin API, answers read from the emulator's history.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClawlinkError } from '@clawlink/core';
import { type Emulator, type EmulatorMessage, startEmulator } from '@clawlink/emulator';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Agent, type AgentOptions, createAgent } from './agent.js';
import type { AgentErrorDetail, AgentEvent } from './agent-events.js';

const SDK_APP_ID = 1400000077;
const SECRET_KEY = 'events-test-secret';

let emulator: Emulator;
let stateDir: string;
let lobby: string;
const agents: Agent[] = [];

beforeEach(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
  stateDir = mkdtempSync(join(tmpdir(), 'clawlink-events-'));
  emulator.createUser('alice', { nick: 'Alice' });
  emulator.createUser('echo', { nick: 'Echo' });
  lobby = emulator.createGroup({ name: 'lobby', owner: 'alice', members: ['echo'] }).groupId;
});

afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.stop()));
  await emulator.close();
  rmSync(stateDir, { recursive: true, force: true });
});

function agentFor(userId: string, extra: Partial<AgentOptions> = {}): Agent {
  const agent = createAgent({
    accountId: userId,
    server: emulator.wsUrl,
    stateDir,
    credentials: { kind: 'secretKey', sdkAppId: SDK_APP_ID, userId, secretKey: SECRET_KEY },
    debounce: { windowMs: 0 },
    ...extra,
  });
  agents.push(agent);
  return agent;
}

const textOf = (message: EmulatorMessage): string =>
  'text' in message.content ? message.content.text : '';

/** Polls `read` (vitest's `vi.waitFor`, every 10 ms for at most 20 s) until it returns a value. */
function eventually<T>(read: () => T | undefined | false): Promise<T> {
  return vi.waitFor(
    () => {
      const value = read();
      if (value === undefined || value === false) throw new Error('not yet');
      return value;
    },
    { timeout: 20_000, interval: 10 },
  );
}

function mention(text: string): void {
  emulator.postGroupMessage({
    groupId: lobby,
    from: 'alice',
    content: { text: `@echo ${text}`, atUserIds: ['echo'] },
  });
}

const answersInLobby = (from = 'echo') =>
  emulator.groupHistory(lobby).filter((message) => message.from === from);

/**
 * Starts `agent` (and `others`) with a `message` listener until the account's last-online time
 * is known (catch-up reads after it, known after one start), then removes that listener.
 */
async function startOnceOnline(agent: Agent, others: Agent[] = []): Promise<void> {
  const first = () => undefined;
  agent.on('message', first);
  await Promise.all([agent.start(), ...others.map((other) => other.start())]);
  await eventually(() => agent.runtime.store.getLastOnline() !== undefined);
  agent.off('message', first);
}

/** Mentions the agent in the lobby; resolves with the id of the message, once it arrived. */
async function mentionArrived(agent: Agent, text: string): Promise<string> {
  const arrived = new Promise((resolve) => agent.runtime.once('message', resolve));
  mention(text);
  await arrived;
  const [unhandled] = agent.runtime.store.listUnhandled();
  expect(unhandled).toBeDefined();
  return unhandled?.messageId ?? '';
}

/** Adds a `message` listener and expects it to answer the unhandled mention `id` of `text`. */
async function answeredByLateListener(agent: Agent, id: string, text: string): Promise<void> {
  expect(answersInLobby()).toEqual([]);
  agent.on('message', (event) => `late answer to ${event.text}`);
  await eventually(() => answersInLobby().length > 0);
  const ending = `late answer to @echo ${text}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  expect(answersInLobby().map(textOf)).toEqual([expect.stringMatching(new RegExp(`${ending}$`))]);
  await eventually(() => agent.runtime.store.getLedgerEntry(id)?.status === 'handled');
}

const directAnswers = (from = 'echo', to = 'alice') =>
  emulator.c2cHistory(from, to).filter((message) => message.from === from);

describe('answering a mention', () => {
  it('sends a returned string, quoting and mentioning the sender', async () => {
    const agent = agentFor('echo');
    const seen: AgentEvent[] = [];
    agent.on('message', (event) => {
      seen.push(event);
      return `You said: ${event.text}`;
    });
    await agent.start();
    mention('hello');
    const [answer] = await eventually(() => answersInLobby().length > 0 && answersInLobby());
    expect(textOf(answer as EmulatorMessage)).toMatch(/You said: @echo hello$/);
    expect(answer?.cloudCustomData).toContain('messageReply');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      kind: 'channel',
      accountId: 'echo',
      conversation: { type: 'group', id: lobby },
      channel: { id: lobby, name: 'lobby' },
      sender: { id: 'alice' },
      wasMentioned: true,
    });
  });

  it('streams a returned async iterable into one message that grows in place', async () => {
    const agent = agentFor('echo', { stream: { intervalMs: 1 } });
    agent.on('message', async function* () {
      yield 'one ';
      yield 'two ';
      yield 'three';
    });
    await agent.start();
    emulator.postC2CMessage({ from: 'alice', to: 'echo', content: { text: 'count' } });
    await eventually(() => directAnswers().some((m) => textOf(m) === 'one two three'));
    expect(directAnswers()).toHaveLength(1);
  });

  it('sends what a listener gives event.reply, and nothing more when it returns nothing', async () => {
    const agent = agentFor('echo');
    let sent: unknown;
    agent.on('message', async (event) => {
      sent = await event.reply('replied early');
    });
    await agent.start();
    mention('hi');
    await eventually(() => sent !== undefined);
    expect(answersInLobby().map(textOf)).toEqual([expect.stringMatching(/replied early$/)]);
    expect(sent).toEqual([expect.objectContaining({ messageId: expect.any(String) })]);
  });

  it('sends only the first registered listener answer; every listener is called', async () => {
    const agent = agentFor('echo');
    const called: string[] = [];
    agent.on('message', () => {
      called.push('logger');
    });
    agent.on('message', async () => {
      called.push('first');
      return 'first answer';
    });
    agent.on('message', () => {
      called.push('second');
      return 'second answer';
    });
    await agent.start();
    mention('who answers?');
    await eventually(() => answersInLobby().length > 0);
    expect(called).toEqual(['logger', 'first', 'second']);
    mention('again');
    await eventually(() => answersInLobby().length > 1);
    expect(answersInLobby().map(textOf)).toEqual([
      expect.stringMatching(/first answer$/),
      expect.stringMatching(/first answer$/),
    ]);
  });
});

describe('a listener that throws', () => {
  it('is reported on error at every attempt, retried as dispatch.maxAttempts says, then failed', async () => {
    const agent = agentFor('echo', { dispatch: { maxAttempts: 2 } });
    const errors: [Error, AgentErrorDetail][] = [];
    let calls = 0;
    agent.on('error', (error, detail) => errors.push([error, detail]));
    agent.on('message', () => {
      calls += 1;
      throw new Error(`listener bug ${calls}`);
    });
    await agent.start();
    mention('break');
    await eventually(() =>
      errors.some(([e]) => ClawlinkError.isInstance(e) && e.code === 'DISPATCH_FAILED'),
    );
    expect(calls).toBe(2);
    expect(errors.map(([e]) => e.message)).toEqual([
      'listener bug 1',
      'listener bug 2',
      expect.stringContaining('The dispatch failed 2 time(s)'),
    ]);
    expect(errors[0]?.[1]).toMatchObject({ accountId: 'echo', event: { kind: 'channel' } });
    expect(answersInLobby()).toEqual([]);
  });
});

describe('no listener', () => {
  it('leaves the message unhandled; the first listener added catches it up and answers', async () => {
    const agent = agentFor('echo');
    await startOnceOnline(agent);
    const id = await mentionArrived(agent, 'anyone?');
    await answeredByLateListener(agent, id, 'anyone?');
  });

  it('a once() listener answers its one event, then the agent stops taking events', async () => {
    const agent = agentFor('echo');
    agent.once('message', (event) => `once: ${event.text}`);
    await agent.start();
    mention('first');
    await eventually(() => answersInLobby().length > 0);
    await eventually(() => agent.runtime.store.listUnhandled().length === 0);
    const arrived = new Promise((resolve) => agent.runtime.once('message', resolve));
    mention('second');
    await arrived;
    expect(answersInLobby().map(textOf)).toEqual([expect.stringMatching(/once: @echo first$/)]);
    expect(agent.runtime.store.listUnhandled()).toHaveLength(1);
  });
});

describe('for await', () => {
  it('yields events in order; each is handled once the loop moves on; break detaches', async () => {
    const agent = agentFor('echo');
    await agent.start();
    const seen: string[] = [];
    const loop = (async () => {
      for await (const event of agent) {
        seen.push(event.text);
        await event.reply(`loop saw ${event.text}`);
        if (seen.length === 2) break;
      }
    })();
    mention('one');
    await eventually(() => answersInLobby().length === 1);
    mention('two');
    await loop;
    await eventually(() => answersInLobby().length === 2);
    expect(seen).toEqual(['@echo one', '@echo two']);
    expect(answersInLobby().map(textOf)).toEqual([
      expect.stringMatching(/loop saw @echo one$/),
      expect.stringMatching(/loop saw @echo two$/),
    ]);
    await eventually(() => agent.runtime.store.listUnhandled().length === 0);

    // The loop left: nobody takes events, so the next message stays unhandled.
    const arrived = new Promise((resolve) => agent.runtime.once('message', resolve));
    mention('three');
    await arrived;
    expect(agent.runtime.store.listUnhandled()).toHaveLength(1);
  });

  it('ends when the agent stops', async () => {
    const agent = agentFor('echo');
    await agent.start();
    const kinds: string[] = [];
    const loop = (async () => {
      for await (const event of agent) kinds.push(event.kind);
    })();
    emulator.postC2CMessage({ from: 'alice', to: 'echo', content: { text: 'hi' } });
    await eventually(() => kinds.length > 0);
    await agent.stop();
    await loop;
    expect(kinds).toEqual(['direct']);
    expect(directAnswers()).toEqual([]);
  });
});

describe('status and the core operations on the agent', () => {
  it('emits every status change, and status() is the current one', async () => {
    const agent = agentFor('echo');
    const states: string[] = [];
    agent.on('status', (status) => states.push(status.state));
    await agent.start();
    await eventually(() => agent.status().state === 'connected');
    expect(states).toEqual(['connecting', 'connected']);
    await agent.stop();
    expect(states.at(-1)).toBe('stopped');
    expect(agent.status()).toMatchObject({ accountId: 'echo', state: 'stopped' });
  });

  it('agent.channels and agent.messages reach TIM: list, get, send with a mention, history', async () => {
    const agent = agentFor('echo');
    await agent.start();
    expect(await agent.channels.list()).toEqual([
      expect.objectContaining({ id: lobby, name: 'lobby', role: 'member' }),
    ]);
    expect(await agent.channels.get(lobby)).toMatchObject({ id: lobby, name: 'lobby' });
    await agent.messages.send({ type: 'group', id: lobby }, 'hi @alice', { mentions: ['alice'] });
    const [sent] = answersInLobby();
    expect(sent).toMatchObject({ content: { text: 'hi @alice', atUserIds: ['alice'] } });
    await agent.messages.send({ type: 'c2c', id: 'alice' }, 'psst');
    expect(directAnswers().map(textOf)).toEqual(['psst']);
    const history = await agent.messages.history({ type: 'group', id: lobby });
    expect(history.map((message) => [message.from, message.text])).toEqual([['echo', 'hi @alice']]);
  });
});

describe('agent requests', () => {
  it('are answered by an agent_request listener; a throw fails the request with its message', async () => {
    const researcher = agentFor('researcher', { agentRequests: { allowFrom: ['planner'] } });
    const planner = agentFor('planner');
    const errors: Error[] = [];
    researcher.on('error', (error) => errors.push(error));
    researcher.on('agent_request', (event) => {
      if (event.request.task === 'fail') throw new Error('cannot do that');
      return `done: ${event.request.task} for ${event.request.from}`;
    });
    await Promise.all([researcher.start(), planner.start()]);
    const answer = await planner.agents.request('researcher', 'look it up', { timeoutMs: 20_000 });
    expect(answer).toMatchObject({ from: 'researcher', result: 'done: look it up for planner' });

    const failed = await planner.agents
      .request('researcher', 'fail', { timeoutMs: 20_000 })
      .catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: 'AGENT_REQUEST_FAILED' });
    expect((failed as Error).message).toContain('cannot do that');
    expect(errors.map((e) => e.message)).toEqual(['cannot do that']);
  });

  it('leave the messages unhandled while the agent has only agent_request listeners; a message listener catches them up', async () => {
    const researcher = agentFor('echo', { agentRequests: { allowFrom: ['planner'] } });
    const planner = agentFor('planner');
    researcher.on('agent_request', (event) => `done: ${event.request.task}`);
    await startOnceOnline(researcher, [planner]);
    const id = await mentionArrived(researcher, 'are you there?');
    const answer = await planner.agents.request('echo', 'a task', { timeoutMs: 20_000 });
    expect(answer).toMatchObject({ result: 'done: a task' });
    await answeredByLateListener(researcher, id, 'are you there?');
  });

  it('are refused with a reason while the agent has only message listeners', async () => {
    const researcher = agentFor('researcher', { agentRequests: { allowFrom: ['planner'] } });
    const planner = agentFor('planner');
    researcher.on('message', () => 'chat only');
    await Promise.all([researcher.start(), planner.start()]);
    const failed = await planner.agents
      .request('researcher', 'a task', { timeoutMs: 20_000 })
      .catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: 'AGENT_REQUEST_FAILED' });
    expect((failed as Error).message).toContain('no agent_request listener');
  });
});
