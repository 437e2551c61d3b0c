import type { EmulatorMessage } from '@clawlink/emulator';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { ClawlinkError } from '../errors/clawlink-error.js';
import { openSqliteStateStore } from '../state/sqlite-state-store.js';
import { waitUntil } from '../tim/test-support.js';
import { recordingDispatch, textOf, useEmulatorRuntimes } from './test-support/emulator-runtime.js';

const env = useEmulatorRuntimes({
  sdkAppId: 1400000401,
  secretKey: 'pipeline-test-secret',
  name: 'pipeline',
  users: { alice: 'Alice', carol: 'Carol' },
  config: { debounce: { windowMs: 0 } },
});
const { agentRuntime, room, say, repliesOf } = env;

describe('the inbound pipeline on a runtime', () => {
  it('answers a mention with a quoted, mentioning reply and ignores a message without one', async () => {
    const { dispatch, events: seen } = recordingDispatch((event) => `echo: ${event.text}`);
    const runtime = agentRuntime('bot1', dispatch);
    await runtime.start();
    const groupId = room('bot1');
    say(groupId, 'nobody asked you');
    const asked = say(groupId, '@bot1 hello there', ['bot1']);
    await waitUntil(() => repliesOf(groupId, 'bot1').length === 1, 10_000, 'the reply');
    const [reply] = repliesOf(groupId, 'bot1');
    expect(textOf(reply as EmulatorMessage)).toBe('@Alice echo: @bot1 hello there');
    const data = JSON.parse((reply as EmulatorMessage).cloudCustomData ?? '{}');
    expect(data.messageReply).toMatchObject({ messageSender: 'Alice', version: 1 });
    expect(data.clawlink).toEqual({ v: 1, replyTo: [data.messageReply.messageID] });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      kind: 'channel',
      conversation: { type: 'group', id: groupId },
      channel: { id: groupId },
      sender: { id: 'alice', nick: 'Alice' },
      wasMentioned: true,
      catchUp: false,
    });
    expect(asked.seq).toBeDefined();
    await waitUntil(() => runtime.metrics().replied === 1, 5_000, 'metrics');
    expect(runtime.metrics()).toMatchObject({ dispatched: 1, gated: { not_mentioned: 1 } });
  });

  it('answers a mention that arrives while the very first login is still finishing', async () => {
    const runtime = agentRuntime('bot_early', (event) => `echo: ${event.text}`);
    env.emulator.createUser('bot_early', { nick: 'Early' });
    const groupId = room('bot_early');
    // SDK_READY waits for the first page of the conversation list: hold it, so the SDK is
    // logged in (and gets pushes) while the runtime does not count it connected yet.
    env.emulator.injectFault({
      command: 'recentcontact.page_get',
      userId: 'bot_early',
      delayMs: 1_500,
    });
    const started = runtime.start();
    await waitUntil(() => env.emulator.onlineUsers().includes('bot_early'), 10_000, 'online');
    say(groupId, '@bot_early are you there yet?', ['bot_early']);
    await started;
    await waitUntil(() => repliesOf(groupId, 'bot_early').length === 1, 10_000, 'the reply');
    expect(textOf(repliesOf(groupId, 'bot_early')[0] as EmulatorMessage)).toBe(
      '@Alice echo: @bot_early are you there yet?',
    );
  });

  it('lets a host change the policy for the very next message through refreshConfig', async () => {
    // The host's own config, edited without telling anyone (as OpenClaw does).
    const hostConfig = { requireMention: true, broken: false };
    let applied: boolean | undefined;
    const runtime = agentRuntime(
      'bot_refresh',
      (event) => `echo: ${event.text}`,
      {},
      {
        refreshConfig: (self) => {
          if (hostConfig.broken) throw new Error('the host config could not be read');
          if (applied === hostConfig.requireMention) return;
          self.updateConfig({ groups: { requireMention: hostConfig.requireMention } });
          applied = hostConfig.requireMention;
        },
      },
    );
    await runtime.start();
    const groupId = room('bot_refresh');
    await runtime.channels.get(groupId);
    say(groupId, 'first, not addressed');
    await waitUntil(() => runtime.metrics().gated.not_mentioned === 1, 10_000, 'first gated');
    hostConfig.requireMention = false; // the edit, right before the next message
    say(groupId, 'second, not addressed either');
    await waitUntil(() => repliesOf(groupId, 'bot_refresh').length === 1, 10_000, 'the reply');
    expect(textOf(repliesOf(groupId, 'bot_refresh')[0] as EmulatorMessage)).toBe(
      '@Alice echo: second, not addressed either',
    );
    hostConfig.broken = true; // a throwing hook keeps the config as it was (no mention needed)
    say(groupId, 'third');
    await waitUntil(() => repliesOf(groupId, 'bot_refresh').length === 2, 10_000, 'reply 2');
    expect(runtime.metrics().gated.not_mentioned).toBe(1);
  });

  it('answers a direct message, and a 30 KB reply arrives whole, in order, in parts under 12 KB', async () => {
    const paragraph = (i: number) => `Paragraph ${i}: ${'lorem ipsum dolor sit amet '.repeat(40)}`;
    const long = [
      ...Array.from({ length: 20 }, (_, i) => paragraph(i)),
      '```ts',
      ...Array.from({ length: 200 }, (_, i) => `const value${i} = ${i}; // a line of code`),
      '```',
      ...Array.from({ length: 10 }, (_, i) => paragraph(100 + i)),
    ].join('\n\n');
    expect(Buffer.byteLength(long)).toBeGreaterThan(30_000);
    const runtime = agentRuntime('bot2', () => long);
    await runtime.start();
    env.emulator.postC2CMessage({ from: 'carol', to: 'bot2', content: { text: 'write a lot' } });
    await waitUntil(() => env.directRepliesOf('carol', 'bot2').length >= 3, 15_000, 'the parts');
    await waitUntil(() => runtime.metrics().replied === 1, 15_000, 'the whole reply');
    const parts = env.directRepliesOf('carol', 'bot2').map(textOf);
    for (const part of parts) expect(Buffer.byteLength(part)).toBeLessThan(12 * 1024);
    for (const part of parts) expect((part.match(/^```/gm) ?? []).length % 2).toBe(0);
    const rejoined = parts
      .join('')
      .replace(/\n```\n?```ts\n/g, '\n')
      .replace(/\n``````ts\n/g, '\n');
    expect(rejoined.replace(/\s+/g, ' ')).toBe(long.replace(/\s+/g, ' '));
  });

  it("makes a message's ledger row durable before its reply is sent", async () => {
    // A batch window far longer than the test: only a flush commits anything meanwhile.
    const store = openSqliteStateStore({
      accountId: 'bot_durable',
      stateDir: env.stateDir(),
      batchWindowMs: 600_000,
    });
    const rowsAtReply: unknown[] = [];
    const probe = () => {
      const db = new Database(store.file as string, { readonly: true });
      try {
        return db.prepare('SELECT status FROM ledger').pluck().all();
      } finally {
        db.close();
      }
    };
    const runtime = agentRuntime('bot_durable', () => 'noted', {}, { store });
    await runtime.start();
    const groupId = room('bot_durable');
    say(groupId, '@bot_durable remember this', ['bot_durable']);
    await waitUntil(() => repliesOf(groupId, 'bot_durable').length === 1, 10_000, 'the reply');
    rowsAtReply.push(...probe());
    // Recorded before the reply went out; marked handled after it (not flushed yet: a crash
    // now re-dispatches it, and the reply found in history keeps it from a second answer).
    expect(rowsAtReply).toEqual(['seen']);
    await runtime.stop();
    store.close();
    expect(probe()).toEqual(['handled']);
  });

  it('coalesces a burst into one dispatch', async () => {
    const { dispatch, events } = recordingDispatch(() => 'got them');
    const runtime = agentRuntime('bot3', dispatch, { debounce: { windowMs: 400 } });
    await runtime.start();
    const groupId = room('bot3');
    for (const word of ['one', 'two', 'three']) say(groupId, `@bot3 ${word}`, ['bot3']);
    await waitUntil(() => repliesOf(groupId, 'bot3').length === 1, 10_000, 'the reply');
    expect(events).toHaveLength(1);
    expect(events[0]?.messages.map((m) => m.text)).toEqual([
      '@bot3 one',
      '@bot3 two',
      '@bot3 three',
    ]);
    expect(events[0]?.text).toBe('@bot3 one\n@bot3 two\n@bot3 three');
  });

  it('streams a reply into one message that ends with exactly the full text', async () => {
    async function* words() {
      for (const word of ['Streaming ', 'grows ', 'one ', 'message ', 'in ', 'place.']) {
        await new Promise((resolve) => setTimeout(resolve, 60));
        yield word;
      }
    }
    const runtime = agentRuntime('bot4', () => words(), { stream: { intervalMs: 50 } });
    await runtime.start();
    const groupId = room('bot4');
    say(groupId, '@bot4 stream please', ['bot4']);
    await waitUntil(() => runtime.metrics().streamed === 1, 10_000, 'the stream');
    const replies = repliesOf(groupId, 'bot4');
    expect(replies).toHaveLength(1);
    expect(textOf(replies[0] as EmulatorMessage)).toBe(
      '@Alice Streaming grows one message in place.',
    );
  });

  it('retries a throwing dispatch up to maxAttempts, then reports it and moves on', async () => {
    let calls = 0;
    const errors: Error[] = [];
    const runtime = agentRuntime(
      'bot5',
      (event) => {
        calls++;
        if (event.text.includes('fail')) throw new Error('the model is down');
        return 'fine';
      },
      { dispatch: { maxAttempts: 2 } },
    );
    runtime.on('error', (error) => errors.push(error));
    await runtime.start();
    const groupId = room('bot5');
    say(groupId, '@bot5 fail now', ['bot5']);
    await waitUntil(() => errors.length === 1, 20_000, 'the failure');
    say(groupId, '@bot5 and now?', ['bot5']);
    await waitUntil(() => repliesOf(groupId, 'bot5').length === 1, 20_000, 'the second reply');
    expect(calls).toBe(3);
    expect(errors.map((e) => (e as ClawlinkError).code)).toEqual(['DISPATCH_FAILED']);
    expect(errors[0]?.message).toContain('the model is down');
  });

  it('answers messages posted while it was stopped after it starts again (catch-up), once', async () => {
    const stateDir = env.stateDir();
    const { dispatch, events } = recordingDispatch(
      (event) => `answer to ${event.messages.map((m) => m.text).join('|')}`,
    );
    const first = agentRuntime('bot6', dispatch, { stateDir });
    await first.start();
    const groupId = room('bot6');
    say(groupId, '@bot6 before', ['bot6']);
    await waitUntil(() => repliesOf(groupId, 'bot6').length === 1, 10_000, 'the first reply');
    await first.stop();
    say(groupId, '@bot6 while you were away', ['bot6']);
    env.emulator.postC2CMessage({
      from: 'carol',
      to: 'bot6',
      content: { text: 'a direct one too' },
    });
    const second = agentRuntime('bot6', dispatch, { stateDir });
    await second.start();
    await waitUntil(() => repliesOf(groupId, 'bot6').length === 2, 15_000, 'the caught-up reply');
    await waitUntil(
      () => env.directRepliesOf('carol', 'bot6').length > 0,
      15_000,
      'the caught-up direct reply',
    );
    const caught = events.filter((e) => e.catchUp);
    expect(caught.map((e) => e.text).sort()).toEqual([
      '@bot6 while you were away',
      'a direct one too',
    ]);
    expect(events.filter((e) => e.text === '@bot6 before')).toHaveLength(1);
  });

  it('without a dispatch emits message events and answers nothing', async () => {
    const runtime = agentRuntime('bot7', undefined);
    const texts: string[] = [];
    runtime.on('message', (message) => texts.push(message.text ?? ''));
    await runtime.start();
    const groupId = room('bot7');
    say(groupId, '@bot7 anyone?', ['bot7']);
    await waitUntil(() => texts.length === 1, 10_000, 'the message event');
    expect(repliesOf(groupId, 'bot7')).toHaveLength(0);
    runtime.setDispatch(() => 'now I answer');
    say(groupId, '@bot7 and now?', ['bot7']);
    await waitUntil(() => repliesOf(groupId, 'bot7').length >= 1, 10_000, 'the reply');
  });

  it('answers only agent requests with { messages: false } and catches the messages up once it takes them again', async () => {
    const { dispatch, events } = recordingDispatch((event) =>
      event.kind === 'agent_request' ? `done: ${event.request.task}` : `echo: ${event.text}`,
    );
    const runtime = agentRuntime('bot_req', dispatch, { agentRequests: { allowFrom: ['boss2'] } });
    const boss = agentRuntime('boss2', () => undefined);
    const texts: string[] = [];
    runtime.on('message', (message) => texts.push(message.text ?? ''));
    await Promise.all([runtime.start(), boss.start()]);
    const groupId = room('bot_req');
    // The first connect's catch-up has set the baseline the later catch-up reads after.
    await waitUntil(() => runtime.store.getLastOnline() !== undefined, 10_000, 'the baseline');
    runtime.setDispatch(dispatch, { messages: false });
    say(groupId, '@bot_req are you listening?', ['bot_req']);
    await waitUntil(() => texts.length === 1, 10_000, 'the message event');
    const result = await boss.agents.request('bot_req', 'count to two', { timeoutMs: 10_000 });
    expect(result).toMatchObject({ result: 'done: count to two' });
    expect(repliesOf(groupId, 'bot_req')).toHaveLength(0);
    expect(events.filter((e) => e.kind === 'channel')).toHaveLength(0);
    runtime.setDispatch(dispatch);
    await waitUntil(
      () => repliesOf(groupId, 'bot_req').length === 1,
      15_000,
      'the caught-up reply',
    );
    expect(textOf(repliesOf(groupId, 'bot_req')[0] as EmulatorMessage)).toBe(
      '@Alice echo: @bot_req are you listening?',
    );
    expect(events.find((e) => e.kind === 'channel')).toMatchObject({ catchUp: true });
  });

  it('applies updateConfig to the next message', async () => {
    const runtime = agentRuntime('bot8', () => 'here');
    await runtime.start();
    const groupId = room('bot8');
    runtime.updateConfig({ groups: { requireMention: false } });
    say(groupId, 'no mention needed now');
    await waitUntil(() => repliesOf(groupId, 'bot8').length === 1, 10_000, 'the reply');
    expect(() =>
      runtime.updateConfig({ groups: { requireMention: 'yes' as unknown as boolean } }),
    ).toThrow(/requireMention/);
  });

  it('hands another agent a task and gets its result; a sender not allowed is refused at once', async () => {
    const worker = agentRuntime(
      'worker1',
      (event) => (event.kind === 'agent_request' ? `done: ${event.request.task}` : undefined),
      { agentRequests: { allowFrom: ['boss1'] } },
    );
    const boss = agentRuntime('boss1', () => undefined);
    const stranger = agentRuntime('stranger1', () => undefined);
    await Promise.all([worker.start(), boss.start(), stranger.start()]);
    const result = await boss.agents.request('worker1', 'count to three', { timeoutMs: 10_000 });
    expect(result).toMatchObject({ from: 'worker1', result: 'done: count to three' });
    await expect(
      stranger.agents.request('worker1', 'let me in', { timeoutMs: 60_000 }),
    ).rejects.toMatchObject({ code: 'AGENT_REQUEST_REFUSED' });
  });
});
