/**
 * Test support for runtime tests against the emulator (not part of the package's API): one
 * emulator per test file, account runtimes on fresh SQLite state dirs, each stopped and its
 * dir removed after the test, and the ways tests talk into groups and read back replies.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, type EmulatorMessage, startEmulator } from '@clawlink/emulator';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Dispatch, InboundEvent } from '../../pipeline/inbound-event.js';
import {
  type AccountRuntime,
  type AccountRuntimeOptions,
  createAccountRuntime,
} from '../account-runtime.js';

/** How a test file's emulator and runtimes are set up. */
export interface EmulatorRuntimesOptions {
  readonly sdkAppId: number;
  readonly secretKey: string;
  /** Names the temp state dirs (`clawlink-<name>-…`) and the groups (`<name>_room<n>`). */
  readonly name: string;
  /** Users created at the start, by UserID, with their nicks. */
  readonly users?: Readonly<Record<string, string>>;
  /** Config every account gets, under what a test gives. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Starts the emulator (on `port` when restarted); by default an in-memory one. */
  readonly start?: (port?: number) => Promise<Emulator>;
  /** When runtimes are stopped and state dirs removed: after each test (default) or the file. */
  readonly cleanup?: 'each' | 'all';
}

/** A test file's emulator with the account runtimes its tests start. */
export interface EmulatorRuntimes {
  /** The running emulator (a new one after `restartEmulator`). */
  readonly emulator: Emulator;
  /** A fresh temp state dir, removed at cleanup. */
  stateDir(): string;
  /** `userId`'s account config: the emulator, its key, a fresh state dir unless given one. */
  accountConfig(
    userId: string,
    config?: Readonly<Record<string, unknown>>,
  ): Record<string, unknown>;
  /** An account runtime for `userId` (not started), stopped at cleanup. */
  agentRuntime(
    userId: string,
    dispatch?: Dispatch,
    config?: Readonly<Record<string, unknown>>,
    options?: Omit<AccountRuntimeOptions, 'config'>,
  ): AccountRuntime;
  /** Closes the emulator and starts it again on the same port. */
  restartEmulator(): Promise<void>;
  /** A fresh group owned by alice, with alice, `agent` and `others` as members. */
  room(agent: string, others?: readonly string[]): string;
  /** Posts `text` into a group as `from` (alice), mentioning `mentions`. */
  say(groupId: string, text: string, mentions?: string[], from?: string): EmulatorMessage;
  /** Posts `@<agent> <text>` into a group as `from` (alice), mentioning the agent. */
  mention(groupId: string, agent: string, text: string, from?: string): EmulatorMessage;
  /** The agent's messages in a group, oldest first. */
  repliesOf(groupId: string, agent: string): EmulatorMessage[];
  /** The agent's messages in its direct chat with `peer`, oldest first. */
  directRepliesOf(peer: string, agent: string): EmulatorMessage[];
}

/** The clawlink marker a reply carries in its cloud custom data. */
export interface ReplyMarker {
  /** The ids of the messages the reply answers (none without a version 1 marker). */
  readonly replyTo: string[];
  /** Which part of a reply cut in parts this is (from 1). */
  readonly part?: number;
  /** How many parts the reply was cut in. */
  readonly parts?: number;
}

/** A message's text; '' for any other kind of message. */
export const textOf = (message: EmulatorMessage | undefined): string =>
  message && 'text' in message.content ? message.content.text : '';

/** A dispatch answering each event with `answer`, and the events it was called with, in order. */
export function recordingDispatch(answer: (event: InboundEvent) => string): {
  readonly dispatch: Dispatch;
  readonly events: InboundEvent[];
} {
  const events: InboundEvent[] = [];
  const dispatch: Dispatch = (event) => {
    events.push(event);
    return answer(event);
  };
  return { dispatch, events };
}

/** The clawlink marker in a message's cloud custom data. */
export function replyMarker(message: EmulatorMessage): ReplyMarker {
  const marker = JSON.parse(message.cloudCustomData || '{}').clawlink;
  return {
    replyTo: marker?.v === 1 && Array.isArray(marker.replyTo) ? (marker.replyTo as string[]) : [],
    part: marker?.part as number | undefined,
    parts: marker?.parts as number | undefined,
  };
}

/**
 * Sets up the emulator and runtimes of a test file: call it at the top of the file. The
 * emulator starts before all tests (with `users`) and closes after them; hooks the file
 * registers after this call run once it is up and before it closes.
 */
export function useEmulatorRuntimes(options: EmulatorRuntimesOptions): EmulatorRuntimes {
  const { sdkAppId, secretKey, name } = options;
  const start = options.start ?? (() => startEmulator({ sdkAppId, secretKey }));
  let emulator: Emulator | undefined;
  const stateDirs: string[] = [];
  const runtimes: AccountRuntime[] = [];
  let rooms = 0;

  const running = (): Emulator => {
    if (!emulator) throw new Error('the emulator is not running (used outside a test?)');
    return emulator;
  };

  beforeAll(async () => {
    emulator = await start();
    for (const [userId, nick] of Object.entries(options.users ?? {})) {
      emulator.createUser(userId, { nick });
    }
  });
  const cleanUp = async () => {
    await Promise.all(runtimes.splice(0).map((r) => r.stop()));
    for (const dir of stateDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  };
  if (options.cleanup !== 'all') afterEach(cleanUp);
  afterAll(async () => {
    if (options.cleanup === 'all') await cleanUp();
    await emulator?.close();
  });

  const env: EmulatorRuntimes = {
    get emulator() {
      return running();
    },
    stateDir() {
      const dir = mkdtempSync(join(tmpdir(), `clawlink-${name}-`));
      stateDirs.push(dir);
      return dir;
    },
    accountConfig(userId, config = {}) {
      return {
        accountId: userId,
        server: running().wsUrl,
        stateDir: config.stateDir ?? env.stateDir(),
        credentials: { kind: 'secretKey', sdkAppId, userId, secretKey },
        ...options.config,
        ...config,
      };
    },
    agentRuntime(userId, dispatch, config = {}, runtimeOptions = {}) {
      const runtime = createAccountRuntime({
        config: env.accountConfig(userId, config),
        ...runtimeOptions,
        ...(dispatch ? { dispatch } : {}),
      });
      runtimes.push(runtime);
      return runtime;
    },
    async restartEmulator() {
      const { port } = running();
      await running().close();
      emulator = undefined;
      emulator = await start(port);
    },
    room(agent, others = []) {
      const groupId = `${name}_room${++rooms}`;
      running().createGroup({
        groupId,
        name: groupId,
        owner: 'alice',
        members: ['alice', agent, ...others],
      });
      return groupId;
    },
    say(groupId, text, mentions = [], from = 'alice') {
      return running().postGroupMessage({ groupId, from, content: { text, atUserIds: mentions } });
    },
    mention(groupId, agent, text, from = 'alice') {
      return env.say(groupId, `@${agent} ${text}`, [agent], from);
    },
    repliesOf(groupId, agent) {
      return running()
        .groupHistory(groupId, 1000)
        .filter((m) => m.from === agent);
    },
    directRepliesOf(peer, agent) {
      return running()
        .c2cHistory(peer, agent, 1000)
        .filter((m) => m.from === agent);
    },
  };
  return env;
}
