import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStoreError } from '../errors/state-store-error.js';
import type { InboundEvent } from '../pipeline/inbound-event.js';
import { openSqliteStateStore } from '../state/sqlite-state-store.js';
import type { StateStore } from '../state/state-store.js';
import { createRecordingLogger } from '../testing/recording-logger.js';
import type { TimMessage } from '../tim/tim-message.js';
import { createAccountRegistry } from './account-registry.js';
import type { AccountRuntime, AccountRuntimeOptions, InboundMessage } from './account-runtime.js';
import { childLines } from './test-support/child-lines.js';
import { useEmulatorRuntimes } from './test-support/emulator-runtime.js';

// At-least-once delivery, runtime side. The crash is real (a child process killed with
// SIGKILL) and so is the SQLite file it leaves behind. The real path by which a message comes
// back after a restart is the pipeline's catch-up (history after the watermark, on connect):
// the first test goes through it end to end. The emulator never pushes an already-delivered
// message to a new login (it replays missed C2C messages only to the same session after a
// reconnect), so for the `message`-event path (no dispatch) TIM delivering it again is played
// by emitting it on the restarted runtime's own TimClient.

const crashHost = fileURLToPath(new URL('./fixtures/crash-host.ts', import.meta.url));

const env = useEmulatorRuntimes({
  sdkAppId: 1400000101,
  secretKey: 'ledger-test-secret',
  name: 'ledger',
});
let stateDir: string;
/** Runtimes of a registry, stopped after each test like those of `runtimeFor`. */
const registered: AccountRuntime[] = [];
const children: ChildProcess[] = [];
const stores: StateStore[] = [];

beforeEach(() => {
  stateDir = env.stateDir();
});

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await Promise.all(registered.splice(0).map((r) => r.stop()));
  for (const store of stores.splice(0)) store.close();
});

const configFor = (userId: string) => env.accountConfig(userId, { stateDir });

const runtimeFor = (userId: string, options: Omit<AccountRuntimeOptions, 'config'> = {}) =>
  env.agentRuntime(userId, undefined, { stateDir }, options);

/** Every message a runtime delivers, in order. */
function collect(runtime: AccountRuntime): InboundMessage[] {
  const delivered: InboundMessage[] = [];
  runtime.on('message', (message) => delivered.push(message));
  return delivered;
}

function nextMessage(runtime: AccountRuntime, text: string): Promise<InboundMessage> {
  return new Promise((resolve) => {
    const listener = (message: InboundMessage) => {
      if (message.text !== text) return;
      runtime.off('message', listener);
      resolve(message);
    };
    runtime.on('message', listener);
  });
}

/** Resolves once `predicate` holds, checking on every turn of the event loop. */
async function waitFor(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setImmediate(resolve));
}

/** TIM delivering `message` again to the runtime's current client (see the note at the top). */
async function deliverAgain(runtime: AccountRuntime, message: TimMessage): Promise<void> {
  (await runtime.ensureConnected()).emit('message', message);
}

function withoutAccount({ accountId: _, ...message }: InboundMessage): TimMessage {
  return message;
}

/** Runs the account in a child process that prints what it receives and never handles it. */
function crashHostFor(userId: string, mode: 'events' | 'dispatch' = 'events') {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', crashHost, JSON.stringify(configFor(userId)), mode],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  const waiters: Array<() => void> = [];
  const lines = childLines(child.stdout, () => {
    for (const wake of waiters.splice(0)) wake();
  });
  child.on('exit', () => {
    for (const wake of waiters.splice(0)) wake();
  });
  const line = (prefix: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = lines.find((l) => l.startsWith(prefix));
        if (found !== undefined) resolve(found.slice(prefix.length));
        else if (child.exitCode !== null || child.signalCode !== null)
          reject(new Error(`the crash host exited early:\n${lines.join('\n')}`));
        else waiters.push(check);
      };
      check();
    });
  const crash = () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  return { line, crash };
}

describe('AccountRuntime at-least-once delivery', () => {
  it('dispatches a message again after a crash mid-dispatch, through catch-up; once handled, never again', async () => {
    env.emulator.createUser('cu_bob');
    const host = crashHostFor('cu_alice', 'dispatch');
    expect(await host.line('ready:')).toBe('connected');
    env.emulator.postC2CMessage({ from: 'cu_bob', to: 'cu_alice', content: { text: 'answer me' } });
    const id = await host.line('dispatch:');
    await host.crash();

    const events: InboundEvent[] = [];
    let answer = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const restarted = runtimeFor('cu_alice', {
      dispatch: (event) => {
        events.push(event);
        setImmediate(answer);
        return 'here I am';
      },
    });
    void restarted.start();
    await answered;
    expect(events.map((e) => e.messages.map((m) => m.id))).toEqual([[id]]);
    expect(events[0]?.catchUp).toBe(true);
    await waitFor(() => restarted.store.getLedgerEntry(id)?.status === 'handled');
    await restarted.stop();

    // Handled: a third start catches up again, and the message is not dispatched again.
    const logger = createRecordingLogger();
    const third = runtimeFor('cu_alice', { logger, dispatch: (event) => void events.push(event) });
    await third.start();
    await waitFor(() => logger.lines.some((l) => l.msg.startsWith('caught up')));
    expect(events).toHaveLength(1);
  });

  it('delivers a message again after a crash before markHandled (real SIGKILL, same SQLite file)', async () => {
    env.emulator.createUser('crash_bob');
    const host = crashHostFor('crash_alice');
    expect(await host.line('ready:')).toBe('connected');
    env.emulator.postC2CMessage({
      from: 'crash_bob',
      to: 'crash_alice',
      content: { text: 'there?' },
    });
    const seen = JSON.parse(await host.line('message:')) as TimMessage;
    await host.crash();

    const logger = createRecordingLogger();
    const again = runtimeFor('crash_alice', { logger });
    const delivered = collect(again);
    await again.start();
    expect(again.store.getLedgerEntry(seen.id)).toMatchObject({
      status: 'seen',
      conversationId: 'c2c:crash_bob',
    });
    expect(again.store.listUnhandled().map((e) => e.messageId)).toEqual([seen.id]);

    await deliverAgain(again, seen);
    expect(delivered.map((m) => m.id)).toEqual([seen.id]);
    expect(delivered[0]).toMatchObject({ accountId: 'crash_alice', text: 'there?' });
    // In flight in this run: the same message arriving once more is not delivered twice.
    await deliverAgain(again, seen);
    expect(delivered).toHaveLength(1);

    again.markHandled(delivered[0]!);
    await deliverAgain(again, seen);
    expect(delivered).toHaveLength(1);
    expect(again.store.getLedgerEntry(seen.id)?.status).toBe('handled');
  });

  it('does not deliver a handled message again after a restart; one debug line says why', async () => {
    env.emulator.createUser('done_bob');
    const first = runtimeFor('done_alice');
    await first.start();
    const received = nextMessage(first, 'answered');
    env.emulator.postC2CMessage({
      from: 'done_bob',
      to: 'done_alice',
      content: { text: 'answered' },
    });
    const message = await received;
    first.markHandled(message);
    await first.stop();

    const logger = createRecordingLogger();
    const again = runtimeFor('done_alice', { logger });
    const delivered = collect(again);
    await again.start();
    await deliverAgain(again, withoutAccount(message));
    expect(delivered).toEqual([]);
    const duplicate = logger.lines.filter((l) => l.msg === 'duplicate inbound message dropped');
    expect(duplicate).toEqual([
      {
        level: 'debug',
        obj: { accountId: 'done_alice', messageId: message.id, status: 'handled' },
        msg: expect.any(String),
      },
    ]);
  });

  it('does not deliver a failed message again', async () => {
    env.emulator.createUser('fail_bob');
    const runtime = runtimeFor('fail_alice');
    const delivered = collect(runtime);
    await runtime.start();
    const received = nextMessage(runtime, 'bad');
    env.emulator.postC2CMessage({ from: 'fail_bob', to: 'fail_alice', content: { text: 'bad' } });
    const message = await received;
    runtime.store.markFailed(message.id, 'dispatch_failed');
    await runtime.stop();
    await runtime.start();
    await deliverAgain(runtime, withoutAccount(message));
    expect(delivered.map((m) => m.id)).toEqual([message.id]);
  });

  it('delivers a message the store could not record, and reports the StateStoreError', async () => {
    env.emulator.createUser('broken_bob');
    const store = openSqliteStateStore({ accountId: 'broken_alice', stateDir });
    stores.push(store);
    const logger = createRecordingLogger();
    const runtime = runtimeFor('broken_alice', { store, logger });
    const errors: Array<[Error, { accountId: string; messageId?: string }]> = [];
    runtime.on('error', (error, detail) => errors.push([error, detail]));
    await runtime.start();
    store.close(); // every store call now throws a real StateStoreError

    const received = nextMessage(runtime, 'still here');
    env.emulator.postC2CMessage({
      from: 'broken_bob',
      to: 'broken_alice',
      content: { text: 'still here' },
    });
    const message = await received;
    expect(errors).toHaveLength(1);
    const [error, detail] = errors[0]!;
    expect(StateStoreError.isInstance(error)).toBe(true);
    expect(detail).toEqual({ accountId: 'broken_alice', messageId: message.id });
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        obj: expect.objectContaining({ messageId: message.id }),
      }),
    );
  });

  it('logs at error level instead of emitting when nobody listens for errors', async () => {
    env.emulator.createUser('quiet_bob');
    const store = openSqliteStateStore({ accountId: 'quiet_alice', stateDir });
    stores.push(store);
    const logger = createRecordingLogger();
    const runtime = runtimeFor('quiet_alice', { store, logger });
    await runtime.start();
    store.close();
    const received = nextMessage(runtime, 'no listener');
    env.emulator.postC2CMessage({
      from: 'quiet_bob',
      to: 'quiet_alice',
      content: { text: 'no listener' },
    });
    const message = await received;
    const line = logger.lines.find((l) => l.level === 'error');
    expect(line?.obj).toMatchObject({ messageId: message.id });
    // The logger gets the error redacted, as a plain object (see `redact`).
    expect(line?.obj).toMatchObject({
      err: { name: 'StateStoreError', code: 'STATE_STORE_ERROR' },
    });
  });

  it("reports a message listener's thrown error and rejected promise, never swallowing them", async () => {
    env.emulator.createUser('throw_bob');
    const logger = createRecordingLogger();
    const runtime = runtimeFor('throw_alice', { logger });
    const errors: Array<[Error, { accountId: string; messageId?: string }]> = [];
    runtime.on('error', (error, detail) => errors.push([error, detail]));
    const reported = () => new Promise<void>((resolve) => runtime.once('error', () => resolve()));
    runtime.on('message', (message) => {
      if (message.text === 'throw') throw new Error('listener threw');
    });
    runtime.on('message', async (message) => {
      if (message.text === 'reject') throw new Error('listener rejected');
    });
    await runtime.start();

    const thrown = reported();
    env.emulator.postC2CMessage({
      from: 'throw_bob',
      to: 'throw_alice',
      content: { text: 'throw' },
    });
    await thrown;
    const rejected = reported();
    env.emulator.postC2CMessage({
      from: 'throw_bob',
      to: 'throw_alice',
      content: { text: 'reject' },
    });
    await rejected;
    expect(errors.map(([error]) => error.message)).toEqual(['listener threw', 'listener rejected']);
    expect(errors.every(([, detail]) => typeof detail.messageId === 'string')).toBe(true);
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(2);
  });

  it("forwards an account's error to the registry's error listener, with the account", async () => {
    env.emulator.createUser('reg_bob');
    const registry = createAccountRegistry();
    const runtime = registry.add(configFor('reg_alice'));
    registered.push(runtime);
    registry.on('message', () => {
      throw new Error('host listener threw');
    });
    const reported = new Promise<[Error, { accountId: string; messageId?: string }]>((resolve) =>
      registry.once('error', (error, detail) => resolve([error, detail])),
    );
    await runtime.start();
    env.emulator.postC2CMessage({ from: 'reg_bob', to: 'reg_alice', content: { text: 'hi' } });
    const [error, detail] = await reported;
    expect(error.message).toBe('host listener threw');
    expect(detail).toMatchObject({ accountId: 'reg_alice', messageId: expect.any(String) });
  });
});
