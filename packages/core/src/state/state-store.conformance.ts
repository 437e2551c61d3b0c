import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStoreError } from '../errors/state-store-error.js';
import { DEFAULT_UNHANDLED_RETENTION_MS, type StateStore } from './state-store.js';

/** What a conformance run gives the factory: a clock the tests move by hand. */
export interface ConformanceContext {
  now: () => number;
}

/**
 * Defines the behaviour every {@link StateStore} must have, as vitest tests, for the stores
 * `open` makes. Call it from a test file once per implementation.
 */
export function defineStateStoreConformance(
  name: string,
  open: (context: ConformanceContext) => StateStore,
): void {
  describe(`${name} (StateStore conformance)`, () => {
    let clock = 1_000_000;
    let store: StateStore;

    beforeEach(() => {
      clock = 1_000_000;
      store = open({ now: () => clock });
    });
    afterEach(() => {
      store.close();
    });

    describe('inbound ledger', () => {
      it('reports a message as new only the first time it is seen', () => {
        expect(store.recordSeen({ messageId: 'm1', conversationId: 'GROUP:g', time: 10 })).toBe(
          true,
        );
        clock += 5;
        expect(store.recordSeen({ messageId: 'm1', conversationId: 'GROUP:x', time: 99 })).toBe(
          false,
        );
        expect(store.getLedgerEntry('m1')).toEqual({
          messageId: 'm1',
          conversationId: 'GROUP:g',
          seq: undefined,
          time: 10,
          status: 'seen',
          seenAt: 1_000_000,
          handledAt: undefined,
        });
      });

      it('keeps seq and marks an entry handled once, keeping the first handledAt', () => {
        store.recordSeen({ messageId: 'm1', conversationId: 'C2C:a', seq: 7, time: 10 });
        clock += 100;
        expect(store.markHandled('m1')).toBe(true);
        clock += 100;
        expect(store.markHandled('m1')).toBe(true);
        expect(store.getLedgerEntry('m1')).toMatchObject({
          seq: 7,
          status: 'handled',
          handledAt: 1_000_100,
        });
      });

      it('does not invent an entry when marking an unknown message handled', () => {
        expect(store.markHandled('nope')).toBe(false);
        expect(store.getLedgerEntry('nope')).toBeUndefined();
      });

      it('lists unhandled entries oldest first, honouring the limit', () => {
        clock = 3000;
        store.recordSeen({ messageId: 'late', conversationId: 'c', time: 1 });
        clock = 1000;
        store.recordSeen({ messageId: 'early', conversationId: 'c', time: 3 });
        store.recordSeen({ messageId: 'early-2', conversationId: 'c', time: 2 });
        clock = 2000;
        store.recordSeen({ messageId: 'done', conversationId: 'c', time: 4 });
        store.markHandled('done');
        expect(store.listUnhandled().map((e) => e.messageId)).toEqual(['early', 'early-2', 'late']);
        expect(store.listUnhandled({ limit: 2 }).map((e) => e.messageId)).toEqual([
          'early',
          'early-2',
        ]);
      });

      it('prunes old handled entries but keeps unhandled ones for the retention period', () => {
        const hour = 3_600_000;
        clock = 0;
        store.recordSeen({ messageId: 'old-handled', conversationId: 'c', time: 1 });
        store.markHandled('old-handled');
        store.recordSeen({ messageId: 'old-unhandled', conversationId: 'c', time: 1 });
        clock = 10 * hour;
        store.recordSeen({ messageId: 'new-handled', conversationId: 'c', time: 2 });
        store.markHandled('new-handled');

        clock = 12 * hour;
        expect(store.pruneLedger({ olderThanMs: 5 * hour })).toBe(1);
        expect(store.getLedgerEntry('old-handled')).toBeUndefined();
        expect(store.getLedgerEntry('old-unhandled')).toBeDefined();
        expect(store.getLedgerEntry('new-handled')).toBeDefined();

        clock = DEFAULT_UNHANDLED_RETENTION_MS;
        expect(store.pruneLedger({ olderThanMs: 5 * hour })).toBe(1);
        expect(store.getLedgerEntry('new-handled')).toBeUndefined();
        expect(store.getLedgerEntry('old-unhandled')).toBeDefined();

        clock = DEFAULT_UNHANDLED_RETENTION_MS + 1;
        expect(store.pruneLedger({ olderThanMs: 5 * hour })).toBe(1);
        expect(store.getLedgerEntry('old-unhandled')).toBeUndefined();
      });

      it('never prunes an unhandled entry sooner than olderThanMs, whatever its own cut-off', () => {
        clock = 0;
        store.recordSeen({ messageId: 'u', conversationId: 'c', time: 1 });
        clock = 1000;
        expect(store.pruneLedger({ olderThanMs: 5000, unhandledOlderThanMs: 10 })).toBe(0);
        clock = 5001;
        expect(store.pruneLedger({ olderThanMs: 5000, unhandledOlderThanMs: 10 })).toBe(1);
      });
    });

    describe('watermarks', () => {
      it('starts without a watermark and sets the first position', () => {
        expect(store.getWatermark('GROUP:g')).toBeUndefined();
        expect(store.advanceWatermark('GROUP:g', { time: 5, seq: 2, messageId: 'm2' })).toBe(true);
        expect(store.getWatermark('GROUP:g')).toEqual({
          time: 5,
          seq: 2,
          messageId: 'm2',
          updatedAt: 1_000_000,
        });
      });

      it('moves forward by seq when both positions have one, even against time', () => {
        store.advanceWatermark('g', { time: 50, seq: 10 });
        expect(store.advanceWatermark('g', { time: 60, seq: 9 })).toBe(false);
        expect(store.advanceWatermark('g', { time: 60, seq: 10 })).toBe(false);
        clock += 1;
        expect(store.advanceWatermark('g', { time: 40, seq: 11, messageId: 'x' })).toBe(true);
        expect(store.getWatermark('g')).toEqual({
          time: 40,
          seq: 11,
          messageId: 'x',
          updatedAt: 1_000_001,
        });
      });

      it('moves forward by time when either position lacks a seq', () => {
        store.advanceWatermark('c', { time: 50, seq: 10, messageId: 'a' });
        expect(store.advanceWatermark('c', { time: 50 })).toBe(false);
        expect(store.advanceWatermark('c', { time: 49 })).toBe(false);
        expect(store.advanceWatermark('c', { time: 51 })).toBe(true);
        expect(store.getWatermark('c')).toMatchObject({
          time: 51,
          seq: undefined,
          messageId: undefined,
        });
        expect(store.advanceWatermark('c', { time: 51, seq: 1 })).toBe(false);
        expect(store.advanceWatermark('c', { time: 52, seq: 1 })).toBe(true);
      });

      it('lists watermarks by conversation id', () => {
        store.advanceWatermark('b', { time: 2 });
        store.advanceWatermark('a', { time: 1, seq: 3 });
        expect(store.listWatermarks()).toEqual([
          { conversationId: 'a', time: 1, seq: 3, messageId: undefined, updatedAt: 1_000_000 },
          {
            conversationId: 'b',
            time: 2,
            seq: undefined,
            messageId: undefined,
            updatedAt: 1_000_000,
          },
        ]);
      });
    });

    describe('pending requests', () => {
      const request = (
        id: string,
        over: Partial<Parameters<StateStore['putPendingRequest']>[0]> = {},
      ) => ({
        id,
        peer: 'agent-b',
        direction: 'outbound' as const,
        task: `task ${id}`,
        createdAt: 100,
        deadlineAt: 200,
        ...over,
      });

      it('stores, replaces, reads and deletes a request', () => {
        store.putPendingRequest(request('r1', { payload: '{"a":1}' }));
        expect(store.getPendingRequest('r1')).toEqual(request('r1', { payload: '{"a":1}' }));
        store.putPendingRequest(request('r1', { task: 'changed' }));
        expect(store.getPendingRequest('r1')).toEqual(request('r1', { task: 'changed' }));
        expect(store.getPendingRequest('r1')).not.toHaveProperty('payload');
        expect(store.deletePendingRequest('r1')).toBe(true);
        expect(store.deletePendingRequest('r1')).toBe(false);
        expect(store.getPendingRequest('r1')).toBeUndefined();
      });

      it('lists requests oldest first, optionally by direction', () => {
        store.putPendingRequest(request('late', { createdAt: 300 }));
        store.putPendingRequest(request('in', { createdAt: 200, direction: 'inbound' }));
        store.putPendingRequest(request('early', { createdAt: 100 }));
        expect(store.listPendingRequests().map((r) => r.id)).toEqual(['early', 'in', 'late']);
        expect(store.listPendingRequests({ direction: 'outbound' }).map((r) => r.id)).toEqual([
          'early',
          'late',
        ]);
        expect(store.listPendingRequests({ direction: 'inbound' }).map((r) => r.id)).toEqual([
          'in',
        ]);
      });

      it('takes each expired request exactly once, earliest deadline first', () => {
        store.putPendingRequest(request('b', { deadlineAt: 500 }));
        store.putPendingRequest(request('a', { deadlineAt: 400 }));
        store.putPendingRequest(request('later', { deadlineAt: 501 }));
        expect(store.takeExpiredRequests(399)).toEqual([]);
        expect(store.takeExpiredRequests(500).map((r) => r.id)).toEqual(['a', 'b']);
        expect(store.takeExpiredRequests(500)).toEqual([]);
        expect(store.listPendingRequests().map((r) => r.id)).toEqual(['later']);
      });
    });

    describe('channel cache', () => {
      it('stores, replaces, lists and deletes channels', () => {
        store.putChannel({ channelId: 'g2', name: 'Two', customFields: {}, updatedAt: 1 });
        store.putChannel({
          channelId: 'g1',
          name: 'One',
          skill: 'Answer in French.',
          customFields: { topic: 'release', 'emoji ✓': 'yes' },
          updatedAt: 2,
        });
        expect(store.getChannel('g1')).toEqual({
          channelId: 'g1',
          name: 'One',
          skill: 'Answer in French.',
          customFields: { topic: 'release', 'emoji ✓': 'yes' },
          updatedAt: 2,
        });
        expect(store.getChannel('g2')).not.toHaveProperty('skill');
        store.putChannel({ channelId: 'g1', name: 'Uno', customFields: {}, updatedAt: 3 });
        expect(store.listChannels().map((c) => [c.channelId, c.name])).toEqual([
          ['g1', 'Uno'],
          ['g2', 'Two'],
        ]);
        expect(store.deleteChannel('g1')).toBe(true);
        expect(store.deleteChannel('g1')).toBe(false);
        expect(store.getChannel('g1')).toBeUndefined();
      });

      it('returns copies: changing a returned value does not change the store', () => {
        const fields = { a: '1' };
        store.putChannel({ channelId: 'g', name: 'G', customFields: fields, updatedAt: 1 });
        fields.a = 'changed before read';
        const read = store.getChannel('g')!;
        read.customFields.a = 'changed after read';
        expect(store.getChannel('g')?.customFields).toEqual({ a: '1' });
      });
    });

    describe('close', () => {
      it('is idempotent and makes every other call throw a StateStoreError', () => {
        store.close();
        store.close();
        const calls: Array<() => unknown> = [
          () => store.recordSeen({ messageId: 'm', conversationId: 'c', time: 1 }),
          () => store.markHandled('m'),
          () => store.getLedgerEntry('m'),
          () => store.listUnhandled(),
          () => store.pruneLedger({ olderThanMs: 1 }),
          () => store.getWatermark('c'),
          () => store.advanceWatermark('c', { time: 1 }),
          () => store.listWatermarks(),
          () =>
            store.putPendingRequest({
              id: 'r',
              peer: 'p',
              direction: 'inbound',
              task: 't',
              createdAt: 1,
              deadlineAt: 2,
            }),
          () => store.getPendingRequest('r'),
          () => store.deletePendingRequest('r'),
          () => store.listPendingRequests(),
          () => store.takeExpiredRequests(1),
          () => store.putChannel({ channelId: 'g', name: 'G', customFields: {}, updatedAt: 1 }),
          () => store.getChannel('g'),
          () => store.deleteChannel('g'),
          () => store.listChannels(),
        ];
        for (const call of calls) {
          let thrown: unknown;
          try {
            call();
          } catch (error) {
            thrown = error;
          }
          expect(StateStoreError.isInstance(thrown)).toBe(true);
          expect((thrown as Error).message).toMatch(/closed/);
        }
      });
    });
  });
}
