import { describe, expect, it } from 'vitest';
import type { ConversationRef } from '../conversation/conversation-ref.js';
import { createMemoryStateStore } from '../state/memory-state-store.js';
import type { StateStore } from '../state/state-store.js';
import { createRecordingLogger } from '../testing/recording-logger.js';
import type { TimMessage } from '../tim/tim-message.js';
import { boundMissedLive, type CatchUpSource, catchUp } from './catch-up.js';
import { parsePipelineConfig } from './pipeline-config.js';

// Edge cases with a scripted history source; catch-up through the real SDK and emulator is
// proven in runtime/account-runtime.catch-up.test.ts and account-runtime.faults.test.ts.

const NOW = 1_800_000_000_000;
const group: ConversationRef = { type: 'group', id: 'team' };

function groupMessage(seq: number): TimMessage {
  return {
    id: `g-${seq}`,
    conversation: group,
    from: 'alice',
    time: NOW - 60_000 + seq,
    seq,
    kind: 'text',
    text: `m${seq}`,
    atUserList: [],
    atAll: false,
  };
}

/**
 * A group history of `seqs` (oldest first) served like fetchHistory: the `count` sequences below
 * `before` (or the newest), without the missing (recalled) ones; each request is recorded.
 */
function groupSource(seqs: number[]) {
  const requests: { count: number; before?: string | number }[] = [];
  const source: CatchUpSource = {
    conversations: async () => [group],
    history: async (_conversation, options) => {
      requests.push(options);
      const { before } = options;
      if (typeof before === 'string') throw new Error('a group is paged by sequence here');
      const top = before ?? Math.max(...seqs) + 1;
      return seqs.filter((seq) => seq < top && seq >= top - options.count).map(groupMessage);
    },
  };
  return { source, requests };
}

const config = (catchUp: object = {}) => parsePipelineConfig({ catchUp }).catchUp;

/** Runs catch-up from `source` into `store` with config `options`; returns what it delivered. */
async function run(source: CatchUpSource, store: StateStore, options: object = {}) {
  const delivered: TimMessage[] = [];
  const report = await catchUp({
    source,
    store,
    config: config(options),
    now: NOW,
    logger: createRecordingLogger(),
    deliver: (message) => delivered.push(message),
  });
  return { report, delivered };
}

describe('catchUp', () => {
  it('pages a group by sequence, past short pages (recalled messages), down to the watermark', async () => {
    const store = createMemoryStateStore();
    store.setLastOnline(NOW - 120_000);
    store.advanceWatermark('group:team', { time: NOW - 60_000 + 5, messageId: 'g-5', seq: 5 });
    // 250 messages after the watermark, with seqs 100-109 recalled (left out of history).
    const seqs = Array.from({ length: 255 }, (_, i) => i + 1).filter((s) => s < 100 || s > 109);
    const { source, requests } = groupSource(seqs);
    const { report, delivered } = await run(source, store, { maxMessages: 1000 });
    expect(delivered.map((m) => m.seq)).toEqual(seqs.filter((s) => s > 5));
    expect(requests.map((r) => r.before)).toEqual([undefined, 156, 56]);
    expect(report).toEqual({ conversations: 1, delivered: 240, skipped: 0, failed: 0 });
  });

  it('sets the baseline on the very first connect even when the conversations cannot be read', async () => {
    const store = createMemoryStateStore();
    const failing: CatchUpSource = {
      conversations: async () => {
        throw new Error('the connection dropped');
      },
      history: async () => [],
    };
    await expect(run(failing, store)).rejects.toThrow('the connection dropped');
    expect(store.getLastOnline()).toBe(NOW);
  });

  it('counts a conversation whose history fails as failed and delivers none of it', async () => {
    const store = createMemoryStateStore();
    store.setLastOnline(NOW - 120_000);
    let calls = 0;
    const source: CatchUpSource = {
      conversations: async () => [group],
      history: async (_conversation, options) => {
        calls++;
        if (calls > 1) throw new Error('the connection dropped');
        return Array.from({ length: options.count }, (_, i) => groupMessage(200 + i));
      },
    };
    const { report, delivered } = await run(source, store, { maxMessages: 1000 });
    expect(delivered).toEqual([]);
    expect(report.failed).toBe(1);
  });
});

describe('boundMissedLive', () => {
  const bounds = parsePipelineConfig({ catchUp: { maxMessages: 2, maxAgeMs: 60_000 } }).catchUp;
  const direct = (id: string, time: number, from = 'alice'): TimMessage => ({
    id,
    conversation: { type: 'c2c', id: from },
    from,
    time,
    kind: 'text',
    text: id,
    atUserList: [],
    atAll: false,
  });

  it('keeps the newest maxMessages of those sent before the catch-up, per conversation, in arrival order', () => {
    const logger = createRecordingLogger();
    const held = [
      direct('a1', NOW - 3_000),
      direct('b1', NOW - 3_000, 'bob'),
      direct('a2', NOW - 2_000),
      direct('a3', NOW - 1_000),
      direct('stale', NOW - 120_000, 'bob'),
      direct('a-live-1', NOW + 1_000),
      direct('a-live-2', NOW + 2_000),
      direct('a-live-3', NOW + 3_000),
    ];
    const { kept, leftOut } = boundMissedLive(held, bounds, NOW, logger);
    expect(kept.map((m) => m.id)).toEqual(['b1', 'a2', 'a3', 'a-live-1', 'a-live-2', 'a-live-3']);
    expect(leftOut).toBe(2);
    expect(logger.lines.map((line) => line.obj)).toEqual([
      { conversation: 'c2c:alice', skipped: 1, kept: 2 },
      { conversation: 'c2c:bob', skipped: 1, kept: 1 },
    ]);
  });

  it('takes messages of the second the catch-up began in as live, however many (TIM times are whole seconds)', () => {
    const second = Math.floor(NOW / 1000) * 1000;
    const held = [direct('x1', second), direct('x2', second), direct('x3', second)];
    const { kept, leftOut } = boundMissedLive(held, bounds, second + 400, createRecordingLogger());
    expect(kept.map((m) => m.id)).toEqual(['x1', 'x2', 'x3']);
    expect(leftOut).toBe(0);
    const before = [
      direct('y1', second - 1000),
      direct('y2', second - 1000),
      direct('y3', second - 1000),
    ];
    expect(boundMissedLive(before, bounds, second + 400, createRecordingLogger()).leftOut).toBe(1);
  });
});
