/**
 * An inbound TIM message through OpenClaw's real reply dispatcher to a reply in the channel:
 * the plugin loaded as OpenClaw loads it, the unmodified tim-js-sdk logged into the emulator,
 * OpenClaw's `dispatchReplyWithBufferedBlockDispatcher` with a reply resolver as the model.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLobbyHarness, eventually, type Harness, textOf } from './test-harness.js';

const TIM_MESSAGE_BYTES = 12 * 1024;

let h: Harness;
let lobby: string;

beforeEach(async () => {
  ({ h, lobby } = await createLobbyHarness(['bot', 'carol'], {
    clawlink_skill: 'Answer questions about the release.',
  }));
});

afterEach(async () => {
  await h.close();
});

const withAccount = (policy: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => {
  h.config = { channels: { clawlink: { ...policy, accounts: { bot: h.account('bot', extra) } } } };
};

const say = (from: string, text: string, atUserIds?: string[]) =>
  h.emulator.postGroupMessage({
    groupId: lobby,
    from,
    content: atUserIds ? { text, atUserIds } : { text },
  });

const lobbyAnswers = () => h.emulator.groupHistory(lobby).filter((m) => m.from === 'bot');
const directAnswers = (to: string) =>
  h.emulator.c2cHistory('bot', to).filter((m) => m.from === 'bot');

describe('a group @-mention', () => {
  it("reaches OpenClaw's dispatcher with the group's context and gets the reply in the channel", async () => {
    withAccount();
    await h.start('bot');
    say('alice', '@bot when is the release?', ['bot']);
    const [answer] = await eventually(() => lobbyAnswers().length > 0 && lobbyAnswers());
    expect(textOf(answer!)).toMatch(/answer: @bot when is the release\?$/);
    expect(answer!.cloudCustomData).toContain('messageReply');
    expect(h.asked).toHaveLength(1);
    expect(h.asked[0]).toMatchObject({
      ChatType: 'group',
      Provider: 'clawlink',
      AccountId: 'bot',
      From: 'clawlink:alice',
      To: `group:${lobby}`,
      SenderId: 'alice',
      SenderName: 'Alice',
      GroupSubject: 'lobby',
      WasMentioned: true,
      SessionKey: `agent:main:clawlink:group:${lobby}`.toLowerCase(),
    });
    expect(h.asked[0]?.GroupSystemPrompt).toContain('Answer questions about the release.');
  });

  it('is required: an unaddressed group message never reaches the model', async () => {
    withAccount();
    const account = await h.start('bot');
    say('carol', 'just chatting');
    say('alice', '@bot now you', ['bot']);
    await eventually(() => lobbyAnswers().length > 0);
    expect(h.asked.map((ctx) => ctx.Body)).toEqual(['@bot now you']);
    expect(account.runtime()?.metrics().gated).toEqual({ not_mentioned: 1 });
  });

  it("counts a quote reply to the agent's message as a mention", async () => {
    withAccount();
    await h.start('bot');
    say('alice', '@bot first question', ['bot']);
    const [answer] = await eventually(() => lobbyAnswers().length > 0 && lobbyAnswers());
    h.emulator.postGroupMessage({
      groupId: lobby,
      from: 'carol',
      content: { text: 'and a follow-up' },
      cloudCustomData: JSON.stringify({
        messageReply: { messageID: answer!.id, messageSender: 'bot', version: 1 },
      }),
    });
    await eventually(() => lobbyAnswers().length > 1);
    expect(h.asked.at(-1)).toMatchObject({ Body: 'and a follow-up', WasMentioned: true });
  });

  it('is not required in a group configured with requireMention: false', async () => {
    withAccount({ groups: { [lobby]: { requireMention: false } } });
    await h.start('bot');
    say('carol', 'anyone here?');
    await eventually(() => lobbyAnswers().length > 0);
    expect(h.asked[0]).toMatchObject({ Body: 'anyone here?', WasMentioned: false });
  });

  it('answers only the group senders in groupAllowFrom', async () => {
    withAccount({ groupAllowFrom: ['alice'] });
    const account = await h.start('bot');
    say('carol', '@bot me too', ['bot']);
    say('alice', '@bot me first', ['bot']);
    await eventually(() => lobbyAnswers().length > 0);
    expect(h.asked.map((ctx) => ctx.SenderId)).toEqual(['alice']);
    expect(account.runtime()?.metrics().gated).toEqual({ group_sender_not_allowed: 1 });
  });
});

describe('direct messages', () => {
  it('keep one session per person (per-channel-peer), never a shared main session', async () => {
    withAccount();
    await h.start('bot');
    h.emulator.postC2CMessage({ from: 'alice', to: 'bot', content: { text: 'hi from alice' } });
    h.emulator.postC2CMessage({ from: 'carol', to: 'bot', content: { text: 'hi from carol' } });
    await eventually(() => directAnswers('alice').length > 0 && directAnswers('carol').length > 0);
    expect(textOf(directAnswers('alice')[0]!)).toBe('answer: hi from alice');
    const sessions = new Map(h.asked.map((ctx) => [ctx.SenderId, ctx.SessionKey]));
    expect(sessions.get('alice')).toBe('agent:main:clawlink:bot:direct:alice');
    expect(sessions.get('carol')).toBe('agent:main:clawlink:bot:direct:carol');
    expect(h.asked.every((ctx) => ctx.ChatType === 'direct')).toBe(true);
  });

  it("follow dmPolicy 'allowlist': only allowFrom is answered", async () => {
    withAccount({ dmPolicy: 'allowlist', allowFrom: ['alice'] });
    const account = await h.start('bot');
    h.emulator.postC2CMessage({ from: 'carol', to: 'bot', content: { text: 'let me in' } });
    h.emulator.postC2CMessage({ from: 'alice', to: 'bot', content: { text: 'hello' } });
    await eventually(() => directAnswers('alice').length > 0);
    await eventually(() => account.runtime()?.metrics().gated.sender_not_allowed === 1);
    expect(h.asked.map((ctx) => ctx.SenderId)).toEqual(['alice']);
    expect(directAnswers('carol')).toEqual([]);
  });

  it("follow dmPolicy 'disabled': none is answered, groups still are", async () => {
    withAccount({ dmPolicy: 'disabled' });
    const account = await h.start('bot');
    h.emulator.postC2CMessage({ from: 'alice', to: 'bot', content: { text: 'psst' } });
    await eventually(() => account.runtime()?.metrics().gated.direct_disabled === 1);
    say('alice', '@bot out loud then', ['bot']);
    await eventually(() => lobbyAnswers().length > 0);
    expect(h.asked.map((ctx) => ctx.Body)).toEqual(['@bot out loud then']);
  });
});

describe('replies', () => {
  it('a 30 KB reply arrives whole, in messages under 12 KB each', async () => {
    withAccount();
    await h.start('bot');
    // 3-byte characters among ASCII words: about 30 KB of UTF-8.
    const words = Array.from({ length: 2600 }, (_, i) => `word${i} 长文`);
    const long = words.join(' ');
    expect(Buffer.byteLength(long)).toBeGreaterThan(30 * 1024);
    h.answer = () => ({ text: long });
    h.emulator.postC2CMessage({ from: 'alice', to: 'bot', content: { text: 'tell me all' } });
    const parts = await eventually(() => {
      const sent = directAnswers('alice').map(textOf);
      return sent.join('').replace(/\s+/g, '').length >= long.replace(/\s+/g, '').length && sent;
    });
    expect(parts.length).toBeGreaterThan(2);
    for (const part of parts) expect(Buffer.byteLength(part)).toBeLessThan(TIM_MESSAGE_BYTES);
    expect(parts.join(' ').replace(/\s+/g, ' ')).toBe(long);
  });

  it('a payload delivered twice by the dispatcher is sent once (OpenClaw #84623)', async () => {
    withAccount();
    await h.start('bot');
    // deliver gets each final twice: the same payload, then an equal copy.
    h.deliverTimes = 2;
    h.answer = () => [{ text: 'only once' }, { text: 'only once' }];
    h.emulator.postC2CMessage({ from: 'alice', to: 'bot', content: { text: 'ping' } });
    await eventually(() => directAnswers('alice').length > 0);
    // A later message's identical answer is its own reply, sent again.
    h.emulator.postC2CMessage({ from: 'alice', to: 'bot', content: { text: 'ping again' } });
    await eventually(() => directAnswers('alice').length > 1);
    expect(h.delivered.map((d) => d.kind)).toEqual(['final', 'final']);
    expect(directAnswers('alice').map(textOf)).toEqual(['only once', 'only once']);
  });

  it('textChunkLimit splits the reply into pieces of at most that many characters', async () => {
    withAccount({ textChunkLimit: 200 });
    await h.start('bot');
    const long = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
    h.answer = () => ({ text: long });
    h.emulator.postC2CMessage({ from: 'alice', to: 'bot', content: { text: 'go' } });
    const parts = await eventually(() => {
      const sent = directAnswers('alice').map(textOf);
      return sent.join(' ') === long && sent;
    });
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(200);
  });
});

describe('config edited while running', () => {
  it('applies to the very next message, without a restart', async () => {
    withAccount();
    const account = await h.start('bot');
    say('carol', 'first, unaddressed');
    await eventually(() => account.runtime()?.metrics().gated.not_mentioned === 1);
    h.config = {
      channels: {
        clawlink: {
          groups: { '*': { requireMention: false } },
          textChunkLimit: 5,
          accounts: { bot: h.account('bot') },
        },
      },
    };
    // No wait for the edit to be noticed: it is read again before this message is gated.
    say('carol', 'second, unaddressed');
    await eventually(() => lobbyAnswers().length > 0);
    expect(h.asked.map((ctx) => ctx.Body)).toEqual(['second, unaddressed']);
    // The chunk limit is read per message: the answer went out in pieces of at most 5.
    await eventually(() => lobbyAnswers().length > 3);
    expect(account.settled()).toBe(false);
  });
});
