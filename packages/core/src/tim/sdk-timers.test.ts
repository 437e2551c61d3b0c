import { type Emulator, startEmulator } from '@clawlink/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSdkTimers } from './sdk-timers.js';
import { createSharedTicker, type IntervalSource, processTicker } from './shared-ticker.js';
import { waitUntil } from './test-support.js';
import { createTimClient, type TimClient } from './tim-client.js';

/** Real intervals that run only when the test fires them. */
function manualIntervals() {
  const running = new Set<() => void>();
  const source: IntervalSource = {
    setInterval(fn) {
      running.add(fn);
      return { fn, ref: () => {}, unref: () => {} };
    },
    clearInterval(handle) {
      running.delete((handle as unknown as { fn: () => void }).fn);
    },
  };
  return {
    source,
    count: () => running.size,
    tick: () => {
      for (const fn of [...running]) fn();
    },
  };
}

describe('createSdkTimers', () => {
  it('puts the intervals of many instances on one ticker, and clears either kind with either function', () => {
    const clock = manualIntervals();
    const ticker = createSharedTicker(clock.source);
    const first = createSdkTimers({ ticker });
    const second = createSdkTimers({ ticker });
    const calls: unknown[] = [];
    const a = first.setInterval((...args) => calls.push(args), 1000, 'a', 1);
    const b = second.setInterval(() => calls.push('b'), 1000);
    expect(clock.count()).toBe(1);
    clock.tick();
    expect(calls).toEqual([['a', 1], 'b']);
    // As in a browser: clearTimeout clears an interval.
    first.clearTimeout(a);
    second.clearInterval(b);
    expect(clock.count()).toBe(0);
  });

  it('clearAll() leaves nothing behind, and the ticker stops with the last instance', async () => {
    const clock = manualIntervals();
    const ticker = createSharedTicker(clock.source);
    const first = createSdkTimers({ ticker });
    const second = createSdkTimers({ ticker });
    let fired = 0;
    first.setInterval(() => {}, 1000);
    first.setInterval(() => {}, 1000);
    first.setTimeout(() => {
      fired += 1;
    }, 1);
    const kept = second.setInterval(() => {}, 1000);
    expect(first.clearAll()).toBe(3);
    expect(first.clearAll()).toBe(0);
    expect(ticker.subscriptions()).toBe(1);
    expect(clock.count()).toBe(1);
    second.clearInterval(kept);
    expect(second.clearAll()).toBe(0);
    expect(clock.count()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(fired).toBe(0);
  });

  it('reports what an interval callback throws to onError; the others still run', () => {
    const clock = manualIntervals();
    const ticker = createSharedTicker(clock.source);
    const errors: unknown[] = [];
    const broken = createSdkTimers({ ticker, onError: (error) => errors.push(error) });
    const healthy = createSdkTimers({ ticker });
    let ran = 0;
    broken.setInterval(() => {
      throw new Error('sdk bug');
    }, 1000);
    healthy.setInterval(() => {
      ran += 1;
    }, 1000);
    clock.tick();
    expect(errors).toEqual([new Error('sdk bug')]);
    expect(ran).toBe(1);
    broken.clearAll();
    healthy.clearAll();
  });

  it('with ticker null, gives each interval its own Node timer', () => {
    const timers = createSdkTimers({ ticker: null });
    const handle = timers.setInterval(() => {}, 1000);
    expect(handle.constructor.name).toBe('Timeout');
    expect(timers.clearAll()).toBe(1);
  });
});

describe('the real SDK on the shared clock', () => {
  const SDK_APP_ID = 1400000001;
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: 'sdk-timers-test-secret' });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('runs many clients on one real interval, keeps their heartbeats, and leaves none after', async () => {
    const timeouts = () =>
      process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const count = 12;
    const before = timeouts();
    expect(processTicker.intervals()).toBe(0);

    // What the SDKs send over their (real) sockets, to see each one's heartbeat.
    const heartbeats = new Map<WebSocket, number>();
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (this: WebSocket, data) {
      const text = typeof data === 'string' ? data : Buffer.from(data as Uint8Array).toString();
      if (text.includes('heartbeat.alive')) heartbeats.set(this, (heartbeats.get(this) ?? 0) + 1);
      return send.call(this, data);
    };
    const clients: TimClient[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const userId = `ticker_user${i}`;
        emulator.createUser(userId);
        const client = createTimClient({ sdkAppId: SDK_APP_ID, server: emulator.wsUrl });
        clients.push(client);
        await client.login({ userId, userSig: emulator.userSig(userId) });
      }
      expect(clients.every((client) => client.isReady)).toBe(true);
      expect(processTicker.intervals()).toBe(1);
      // Each SDK's "not logged in" interval clears itself inside a tick once it is logged in,
      // leaving its module manager's interval.
      await waitUntil(() => processTicker.subscriptions() === count, 10_000, 'the login timers');
      // The old way held a Timeout per instance; now, once the SDKs' one-shot timers (event
      // throttles) have run, the shared clock's interval is the only Timeout they keep.
      await waitUntil(() => timeouts() <= before + 1, 10_000, 'only the shared interval');

      // The ticks drive each SDK's heartbeat (`heartbeat.alive`, every ~10 s when idle).
      const atReady = new Map(heartbeats);
      const beating = () =>
        [...heartbeats].filter(([socket, n]) => n > (atReady.get(socket) ?? 0)).length;
      await waitUntil(() => beating() >= count, 30_000, 'a heartbeat from each client');
    } finally {
      WebSocket.prototype.send = send;
      await Promise.all(clients.map((client) => client.destroy()));
    }
    expect(processTicker.intervals()).toBe(0);
    expect(processTicker.subscriptions()).toBe(0);
    await waitUntil(() => timeouts() <= before, 10_000, 'every timer to be released');
  }, 60_000);
});
