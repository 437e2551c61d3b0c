/**
 * The channel's lifecycle as OpenClaw's gateway drives it: `startAccount` pending until its
 * abort signal, truthful status, a bad config reported (field and what to write) and never
 * thrown, config edits applied live, several accounts side by side, and the tools finding the
 * running account from another copy of the module.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClawlinkAgentTool } from './agent-tools.js';
import {
  createLobbyHarness,
  eventually,
  type Harness,
  registerPlugin,
  textOf,
} from './test-harness.js';

let h: Harness;
let lobby: string;

beforeEach(async () => {
  ({ h, lobby } = await createLobbyHarness(['bot', 'helper']));
});

afterEach(async () => {
  await h.close();
});

const lobbyAnswers = (from: string) =>
  h.emulator.groupHistory(lobby).filter((m) => m.from === from);

describe('startAccount', () => {
  it('reports connected and stays pending until aborted, then stops the TIM session', async () => {
    h.config = { channels: { clawlink: { accounts: { bot: h.account('bot') } } } };
    const account = await h.start('bot');
    expect(account.statuses.at(-1)).toMatchObject({
      accountId: 'bot',
      running: true,
      connected: true,
      lifecycle: 'ready',
      lastError: null,
    });
    expect(h.emulator.onlineUsers()).toContain('bot');
    expect(account.settled()).toBe(false);
    await account.stop();
    expect(account.settled()).toBe(true);
    expect(account.statuses.at(-1)).toMatchObject({ running: false, connected: false });
    expect(account.runtime()).toBeUndefined();
  });

  it('reports a half-alive account with its reason and waits; claimed, it connects', async () => {
    const agent = h.emulator.registerAgent({ agentId: 'agent_bot', userId: 'bot' });
    h.config = {
      channels: {
        clawlink: {
          accounts: {
            bot: {
              server: h.emulator.wsUrl,
              stateDir: h.stateDir,
              credentials: {
                kind: 'exchange',
                endpoint: h.emulator.adminUrl,
                agentId: agent.agentId,
                apiKey: agent.apiKey,
              },
              credentialRetry: { initialDelayMs: 20, maxDelayMs: 100 },
            },
          },
        },
      },
    };
    const account = await h.start('bot');
    expect(account.statuses.at(-1)).toMatchObject({
      running: true,
      connected: false,
      lifecycle: 'blocked',
      stateReason: 'unclaimed',
    });
    expect(account.statuses.at(-1)?.lastError).toMatch(/^unclaimed: /);
    expect(account.settled()).toBe(false);
    h.emulator.claimAgent(agent.agentId);
    await eventually(() => account.statuses.at(-1)?.connected);
    expect(account.statuses.at(-1)).toMatchObject({ lifecycle: 'ready', lastError: null });
  });

  it('reports a bad config with the field and what to write, and waits without a restart', async () => {
    h.config = {
      channels: {
        clawlink: { accounts: { bot: h.account('bot', { dmPolicy: 'sometimes', stream: 1 }) } },
      },
    };
    const account = await h.start('bot');
    const status = account.statuses.at(-1);
    expect(status).toMatchObject({ running: true, connected: false, lifecycle: 'blocked' });
    expect(status?.lastError).toContain(
      "channels.clawlink.accounts.bot.dmPolicy: expected 'open' (anyone may message the agent directly), 'allowlist' (only allowFrom) or 'disabled'",
    );
    expect(status?.lastError).toContain('channels.clawlink.accounts.bot.stream');
    expect(account.settled()).toBe(false);
    expect(h.emulator.onlineUsers()).not.toContain('bot');
    // OpenClaw's `channels status` and `doctor` say the same.
    const issues = h.channel.status?.collectStatusIssues?.([status as never]);
    expect(issues).toEqual([
      expect.objectContaining({ channel: 'clawlink', accountId: 'bot', kind: 'config' }),
    ]);
    const warnings = await h.channel.doctor?.collectPreviewWarnings?.({ cfg: h.config } as never);
    expect(warnings).toContainEqual(
      expect.stringMatching(/^- clawlink: channels\.clawlink\.accounts\.bot\.dmPolicy: expected/),
    );
    await account.stop();
  });

  it('keeps the last valid policy when a live edit is invalid, and applies a later valid one', async () => {
    h.config = {
      channels: {
        clawlink: {
          groups: { [lobby]: { requireMention: false } },
          accounts: { bot: h.account('bot') },
        },
      },
    };
    const account = await h.start('bot');
    h.config = {
      channels: { clawlink: { groups: { '*': { requireMention: 'no' } }, accounts: { bot: {} } } },
    };
    h.emulator.postGroupMessage({
      groupId: lobby,
      from: 'alice',
      content: { text: 'still open?' },
    });
    await eventually(() => lobbyAnswers('bot').length > 0);
    // The group override removed from the config returns to core's default: a mention needed.
    h.config = { channels: { clawlink: { accounts: { bot: h.account('bot') } } } };
    await eventually(() => account.runtime()?.config.groups.channels[lobby] === undefined);
    h.emulator.postGroupMessage({
      groupId: lobby,
      from: 'alice',
      content: { text: 'unaddressed' },
    });
    await eventually(() => account.runtime()?.metrics().gated.not_mentioned === 1);
    expect(h.asked.map((ctx) => ctx.Body)).toEqual(['still open?']);
  });

  it('runs several accounts side by side, each with its own session and state', async () => {
    h.config = {
      channels: {
        clawlink: {
          groups: { '*': { requireMention: false } },
          accounts: { bot: h.account('bot'), helper: h.account('helper') },
        },
      },
    };
    const bot = await h.start('bot');
    const helper = await h.start('helper');
    expect(bot.statuses.at(-1)?.connected && helper.statuses.at(-1)?.connected).toBe(true);
    h.emulator.postGroupMessage({ groupId: lobby, from: 'alice', content: { text: 'both?' } });
    await eventually(() => lobbyAnswers('bot').length > 0 && lobbyAnswers('helper').length > 0);
    expect(new Set(h.asked.map((ctx) => ctx.AccountId))).toEqual(new Set(['bot', 'helper']));
    await helper.stop();
    expect(bot.settled()).toBe(false);
    expect(h.emulator.onlineUsers()).toEqual(expect.arrayContaining(['bot']));
    expect(h.emulator.onlineUsers()).not.toContain('helper');
  });
});

describe('agent tools and outbound', () => {
  it("find the channel's running account from another copy of the plugin module", async () => {
    h.config = { channels: { clawlink: { accounts: { bot: h.account('bot') } } } };
    await h.start('bot');
    vi.resetModules();
    const copy = await import('./test-harness.js');
    const registered = copy.registerPlugin('tool-discovery', {});
    expect(registered.channels).toEqual([]);
    const tools = registered.toolFactories.flatMap((factory) =>
      factory({ messageChannel: 'clawlink', agentAccountId: 'bot' }),
    );
    const send = tools.find((tool) => tool.name === 'clawlink_send_message') as ClawlinkAgentTool;
    const result = await send.execute('call-1', {
      channelId: lobby,
      text: 'sent by a tool',
    });
    expect(result.content[0]?.text).toContain('messageId');
    await eventually(() => lobbyAnswers('bot').some((m) => textOf(m) === 'sent by a tool'));
  });

  it("sendText goes through the running account's session, never a second login", async () => {
    h.config = { channels: { clawlink: { accounts: { bot: h.account('bot') } } } };
    await h.start('bot');
    const logins = h.emulator.loginCount('bot');
    const long = Array.from({ length: 1500 }, (_, i) => `part${i}`).join(' ');
    const result = await h.channel.outbound?.sendText?.({
      cfg: h.config,
      to: `group:${lobby}`,
      text: long,
      accountId: 'bot',
    } as never);
    expect(result).toMatchObject({ channel: 'clawlink', target: { id: `group:${lobby}` } });
    const sent = lobbyAnswers('bot').map(textOf);
    expect(sent.length).toBeGreaterThan(1);
    expect(sent.join(' ')).toBe(long);
    expect(h.emulator.loginCount('bot')).toBe(logins);
  });

  it('registers every tool named in the manifest, and the channel, as OpenClaw loads it', async () => {
    const manifest = (await import('../openclaw.plugin.json', { with: { type: 'json' } })).default;
    const full = registerPlugin('full', { config: { current: () => ({}) } });
    expect(full.channels.map((channel) => channel.id)).toEqual(manifest.channels);
    expect(full.runtimeSet).toBe(true);
    const names = full.toolFactories.flatMap((factory) => factory({})).map((tool) => tool.name);
    expect(names.sort()).toEqual([...manifest.contracts.tools].sort());
    expect([...full.toolNames].sort()).toEqual([...manifest.contracts.tools].sort());
    // Discovery registers the channel but no tools; cli-metadata touches no runtime.
    const discovery = registerPlugin('discovery', {});
    expect(discovery.channels).toHaveLength(1);
    expect(discovery.toolFactories).toEqual([]);
    const cli = registerPlugin('cli-metadata', {});
    expect(cli.channels).toEqual([]);
    expect(cli.runtimeSet).toBe(false);
  });
});
