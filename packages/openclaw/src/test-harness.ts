/**
 * Test-only: the plugin loaded the way OpenClaw loads it (the default export's `register(api)`
 * in `full` mode), its channel started with OpenClaw's real reply dispatcher
 * (`openclaw/plugin-sdk/reply-runtime`, a reply resolver standing in for the model) and real
 * routing, against the emulator over a real WebSocket and a real SQLite state file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccountRuntime } from '@clawlink/core';
import { type Emulator, type EmulatorMessage, startEmulator } from '@clawlink/emulator';
import type { ChannelPlugin, OpenClawConfig } from 'openclaw/plugin-sdk/channel-core';
import {
  dispatchReplyWithBufferedBlockDispatcher,
  finalizeInboundContext,
  type MsgContext,
  type ReplyPayload,
} from 'openclaw/plugin-sdk/reply-runtime';
import { resolveAgentRoute } from 'openclaw/plugin-sdk/routing';
import type { ClawlinkAccountSnapshot } from './account-snapshot.js';
import type { ClawlinkAgentTool } from './agent-tools.js';
import entry from './index.js';
import { getRunningAccount } from './running-accounts.js';

export const SDK_APP_ID = 1400000011;
export const SECRET_KEY = 'openclaw-test-secret';

/** How the stand-in model answers one inbound context. */
export type Answer = (ctx: MsgContext) => ReplyPayload | ReplyPayload[] | undefined;

/** What `register(api)` handed OpenClaw. */
export interface Registered {
  channels: ChannelPlugin[];
  toolFactories: ((ctx: object) => ClawlinkAgentTool[])[];
  toolNames: string[];
  runtimeSet: boolean;
}

/** Calls the plugin entry's `register` as OpenClaw's loader does, recording what it registers. */
export function registerPlugin(
  registrationMode: 'full' | 'discovery' | 'tool-discovery' | 'cli-metadata',
  runtime: object,
): Registered {
  const registered: Registered = {
    channels: [],
    toolFactories: [],
    toolNames: [],
    runtimeSet: false,
  };
  const api = {
    id: entry.id,
    name: entry.name,
    source: 'test',
    registrationMode,
    config: {},
    pluginConfig: {},
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    get runtime() {
      if (registrationMode === 'cli-metadata') throw new Error('no runtime in cli-metadata');
      registered.runtimeSet = true;
      return runtime;
    },
    registerChannel(registration: { plugin: ChannelPlugin } | ChannelPlugin) {
      registered.channels.push('plugin' in registration ? registration.plugin : registration);
    },
    registerTool(tool: unknown, opts?: { names?: string[] }) {
      registered.toolFactories.push(tool as (ctx: object) => ClawlinkAgentTool[]);
      registered.toolNames.push(...(opts?.names ?? []));
    },
  };
  entry.register(api as never);
  return registered;
}

/** One started account: its statuses, its task (pending until aborted) and its stop. */
export interface StartedAccount {
  readonly statuses: ClawlinkAccountSnapshot[];
  readonly task: Promise<unknown>;
  /** True once `task` settled. */
  settled(): boolean;
  /** The core runtime the channel runs (undefined when it did not start one). */
  runtime(): AccountRuntime | undefined;
  stop(): Promise<void>;
}

/** The harness of one test: an emulator, a live config, the channel, the stand-in model. */
export interface Harness {
  readonly emulator: Emulator;
  /** Every inbound context the model was asked to answer. */
  readonly asked: MsgContext[];
  /** Every payload OpenClaw's dispatcher handed `deliver`, with its kind. */
  readonly delivered: { payload: ReplyPayload; kind: string }[];
  /** How the model answers (default: `answer: <Body>`). */
  answer: Answer;
  /**
   * How many times the dispatcher calls `deliver` per payload, the first time with the payload,
   * then with equal copies (2 reproduces OpenClaw #84623).
   */
  deliverTimes: number;
  /** The config `runtime.config.current()` returns now; replace it to edit the config live. */
  config: OpenClawConfig;
  readonly channel: ChannelPlugin;
  readonly stateDir: string;
  /** An account entry for `channels.clawlink.accounts.<userId>` logging in as `userId`. */
  account(userId: string, extra?: Record<string, unknown>): Record<string, unknown>;
  start(accountId: string): Promise<StartedAccount>;
  close(): Promise<void>;
}

/** Starts the emulator and loads the plugin; `close()` stops every account and the emulator. */
export async function createHarness(): Promise<Harness> {
  const emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
  const stateDir = mkdtempSync(join(tmpdir(), 'clawlink-openclaw-test-'));
  const started: StartedAccount[] = [];
  // OpenClaw's channel runtime as the gateway hands it to startAccount (`ctx.channelRuntime`):
  // the real dispatcher, with the model replaced by `harness.answer`.
  const channelRuntime = {
    reply: {
      finalizeInboundContext,
      dispatchReplyWithBufferedBlockDispatcher: (
        params: Parameters<typeof dispatchReplyWithBufferedBlockDispatcher>[0],
      ) =>
        dispatchReplyWithBufferedBlockDispatcher({
          ...params,
          dispatcherOptions: {
            ...params.dispatcherOptions,
            deliver: async (payload, info) => {
              harness.delivered.push({ payload, kind: info.kind });
              for (let i = 0; i < harness.deliverTimes; i++) {
                await params.dispatcherOptions.deliver(i === 0 ? payload : { ...payload }, info);
              }
            },
          },
          replyResolver: async (ctx) => {
            harness.asked.push(ctx as MsgContext);
            return harness.answer(ctx as MsgContext);
          },
        }),
    },
    routing: { resolveAgentRoute },
  };
  const harness: Harness = {
    emulator,
    asked: [],
    delivered: [],
    answer: (ctx) => ({ text: `answer: ${ctx.Body}` }),
    deliverTimes: 1,
    config: {},
    stateDir,
    channel: undefined as unknown as ChannelPlugin,
    account: (userId, extra = {}) => ({
      server: emulator.wsUrl,
      stateDir,
      credentials: { kind: 'secretKey', sdkAppId: SDK_APP_ID, userId, secretKey: SECRET_KEY },
      ...extra,
    }),
    async start(accountId) {
      const account = await startChannelAccount(harness, channelRuntime, accountId);
      started.push(account);
      return account;
    },
    async close() {
      await Promise.all(started.splice(0).map((account) => account.stop()));
      await emulator.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  const runtime = {
    config: { current: () => harness.config },
    channel: channelRuntime,
  };
  const registered = registerPlugin('full', runtime);
  (harness as { channel: ChannelPlugin }).channel = registered.channels[0] as ChannelPlugin;
  return harness;
}

/**
 * A harness whose emulator has the group `lobby` (its id returned too): owned by the user
 * `alice`, with `members` (each a user too, every nick its id capitalized) and `customFields`.
 */
export async function createLobbyHarness(
  members: string[],
  customFields?: Record<string, string>,
): Promise<{ h: Harness; lobby: string }> {
  const h = await createHarness();
  for (const userId of ['alice', ...members]) {
    h.emulator.createUser(userId, { nick: `${userId[0]?.toUpperCase()}${userId.slice(1)}` });
  }
  const { groupId } = h.emulator.createGroup({
    name: 'lobby',
    owner: 'alice',
    members,
    ...(customFields ? { customFields } : {}),
  });
  return { h, lobby: groupId };
}

async function startChannelAccount(
  harness: Harness,
  channelRuntime: object,
  accountId: string,
): Promise<StartedAccount> {
  const statuses: ClawlinkAccountSnapshot[] = [];
  const controller = new AbortController();
  const cfg = harness.config;
  const channel = harness.channel;
  let done = false;
  const task = Promise.resolve(
    channel.gateway?.startAccount?.({
      cfg,
      accountId,
      account: channel.config.resolveAccount(cfg, accountId),
      abortSignal: controller.signal,
      runtime: {} as never,
      log: { info() {}, warn() {}, error() {}, debug() {} },
      getStatus: () => (statuses.at(-1) ?? { accountId }) as never,
      setStatus: (next: object) => {
        statuses.push(next as ClawlinkAccountSnapshot);
      },
      channelRuntime,
    } as never),
  ).finally(() => {
    done = true;
  });
  // Wait for the account to report where it stands (connected, half-alive or misconfigured).
  await eventually(() =>
    statuses.some((s) => s.connected || s.lifecycle === 'blocked' || s.lifecycle === 'stopped'),
  );
  return {
    statuses,
    task,
    settled: () => done,
    runtime: () => getRunningAccount(accountId),
    async stop() {
      controller.abort();
      await task;
    },
  };
}

/** Polls `read` every few milliseconds (bounded by the test's timeout) until it returns a value. */
export async function eventually<T>(read: () => T | undefined | false | null): Promise<T> {
  for (;;) {
    const value = read();
    if (value !== undefined && value !== false && value !== null) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The text of an emulator message. */
export const textOf = (message: EmulatorMessage): string =>
  'text' in message.content ? message.content.text : '';
