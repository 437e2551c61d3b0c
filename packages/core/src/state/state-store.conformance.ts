import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStoreError } from '../errors/state-store-error.js';
import {
  DEFAULT_UNHANDLED_RETENTION_MS,
  MAX_FAILURE_REASON_LENGTH,
  type SettledRequest,
  type StateStore,
} from './state-store.js';

/** What a conformance run gives the factory: a clock the tests move by hand, and a name. */
export interface ConformanceContext {
  /** The clock the store must use. */
  now: () => number;
  /**
   * Unique per test, the same when a test reopens its store: a persistent store opens the
   * same state for the same name (e.g. uses it as the account id).
   */
  name: string;
}

/** What kind of store a conformance run tests. */
export interface ConformanceOptions {
  /** Whether `open` with the same name finds what the closed store held (the reopen tests). */
  persistent: boolean;
}

/**
 * Defines the behaviour every {@link StateStore} must have, as vitest tests, for the stores
 * `open` makes. Call it from a test file once per implementation.
 */
export function defineStateStoreConformance(
  name: string,
  open: (context: ConformanceContext) => StateStore,
  options: ConformanceOptions,
): void {
  describe(`${name} (StateStore conformance)`, () => {
    let clock = 1_000_000;
    let tests = 0;
    let context: ConformanceContext;
    let store: StateStore;
    /** Closes the store and opens it again (persistent stores only). */
    const reopen = (): StateStore => {
      store.close();
      store = open(context);
      return store;
    };
    const persistentIt = it.runIf(options.persistent);

    beforeEach(() => {
      clock = 1_000_000;
      tests += 1;
      context = { now: () => clock, name: `store-${tests}` };
      store = open(context);
    });
    afterEach(() => {
      store.close();
    });

    describe('inbound ledger', () => {
      it('admits a message as new once, then answers the status it has, changing nothing', () => {
        expect(store.recordSeen({ messageId: 'm1', conversationId: 'group:g', time: 10 })).toBe(
          'new',
        );
        clock += 5;
        expect(store.recordSeen({ messageId: 'm1', conversationId: 'group:x', time: 99 })).toBe(
          'seen',
        );
        expect(store.getLedgerEntry('m1')).toEqual({
          messageId: 'm1',
          conversationId: 'group:g',
          seq: undefined,
          time: 10,
          status: 'seen',
          seenAt: 1_000_000,
          handledAt: undefined,
          failedAt: undefined,
          failureReason: undefined,
        });
      });

      it('keeps seq and marks an entry handled once, keeping the first handledAt', () => {
        store.recordSeen({ messageId: 'm1', conversationId: 'c2c:a', seq: 7, time: 10 });
        clock += 100;
        expect(store.markHandled('m1')).toBe(true);
        clock += 100;
        expect(store.markHandled('m1')).toBe(true);
        expect(store.getLedgerEntry('m1')).toMatchObject({
          seq: 7,
          status: 'handled',
          handledAt: 1_000_100,
          failedAt: undefined,
        });
        expect(store.recordSeen({ messageId: 'm1', conversationId: 'c2c:a', time: 10 })).toBe(
          'handled',
        );
      });

      it('marks an entry failed once, keeping the first reason, and answers failed after', () => {
        store.recordSeen({ messageId: 'm1', conversationId: 'c2c:a', time: 10 });
        clock += 100;
        expect(store.markFailed('m1', 'DISPATCH_THREW')).toBe(true);
        clock += 100;
        expect(store.markFailed('m1', 'second reason')).toBe(true);
        expect(store.getLedgerEntry('m1')).toMatchObject({
          status: 'failed',
          handledAt: undefined,
          failedAt: 1_000_100,
          failureReason: 'DISPATCH_THREW',
        });
        expect(store.recordSeen({ messageId: 'm1', conversationId: 'c2c:a', time: 10 })).toBe(
          'failed',
        );
        expect(store.listUnhandled()).toEqual([]);
      });

      it('keeps handled and failed final: neither turns into the other', () => {
        store.recordSeen({ messageId: 'h', conversationId: 'c', time: 1 });
        store.recordSeen({ messageId: 'f', conversationId: 'c', time: 1 });
        store.markHandled('h');
        store.markFailed('f', 'REPLY_FAILED');
        expect(store.markFailed('h', 'late failure')).toBe(false);
        expect(store.markHandled('f')).toBe(false);
        expect(store.getLedgerEntry('h')).toMatchObject({ status: 'handled', failedAt: undefined });
        expect(store.getLedgerEntry('f')).toMatchObject({ status: 'failed', handledAt: undefined });
      });

      it('cuts a long failure reason to the maximum, without splitting a character', () => {
        store.recordSeen({ messageId: 'm', conversationId: 'c', time: 1 });
        store.markFailed('m', `${'x'.repeat(MAX_FAILURE_REASON_LENGTH - 1)}🦀🦀`);
        const reason = store.getLedgerEntry('m')?.failureReason ?? '';
        expect(Array.from(reason)).toHaveLength(MAX_FAILURE_REASON_LENGTH);
        expect(reason.endsWith('x🦀')).toBe(true);
      });

      it('does not invent an entry when marking an unknown message handled or failed', () => {
        expect(store.markHandled('nope')).toBe(false);
        expect(store.markFailed('nope', 'X')).toBe(false);
        expect(store.getLedgerEntry('nope')).toBeUndefined();
      });

      it('lists only seen entries as unhandled, oldest first, honouring the limit', () => {
        clock = 3000;
        store.recordSeen({ messageId: 'late', conversationId: 'c', time: 1 });
        clock = 1000;
        store.recordSeen({ messageId: 'early', conversationId: 'c', time: 3 });
        store.recordSeen({ messageId: 'early-2', conversationId: 'c', time: 2 });
        clock = 2000;
        store.recordSeen({ messageId: 'done', conversationId: 'c', time: 4 });
        store.markHandled('done');
        store.recordSeen({ messageId: 'gave-up', conversationId: 'c', time: 5 });
        store.markFailed('gave-up', 'TIMEOUT');
        expect(store.listUnhandled().map((e) => e.messageId)).toEqual(['early', 'early-2', 'late']);
        expect(store.listUnhandled({ limit: 2 }).map((e) => e.messageId)).toEqual([
          'early',
          'early-2',
        ]);
      });

      it('prunes old handled and failed entries, keeping unhandled ones for their retention', () => {
        const hour = 3_600_000;
        clock = 0;
        store.recordSeen({ messageId: 'old-handled', conversationId: 'c', time: 1 });
        store.markHandled('old-handled');
        store.recordSeen({ messageId: 'old-failed', conversationId: 'c', time: 1 });
        store.markFailed('old-failed', 'X');
        store.recordSeen({ messageId: 'old-unhandled', conversationId: 'c', time: 1 });
        clock = 10 * hour;
        store.recordSeen({ messageId: 'new-handled', conversationId: 'c', time: 2 });
        store.markHandled('new-handled');

        clock = 12 * hour;
        expect(store.pruneLedger({ olderThanMs: 5 * hour })).toBe(2);
        expect(store.getLedgerEntry('old-handled')).toBeUndefined();
        expect(store.getLedgerEntry('old-failed')).toBeUndefined();
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

      persistentIt(
        'keeps every status across a reopen: seen stays seen, handled and failed stay',
        () => {
          store.recordSeen({ messageId: 's', conversationId: 'group:g', seq: 1, time: 1 });
          store.recordSeen({ messageId: 'h', conversationId: 'group:g', seq: 2, time: 2 });
          store.recordSeen({ messageId: 'f', conversationId: 'c2c:u', time: 3 });
          store.markHandled('h');
          store.markFailed('f', 'REPLY_FAILED');
          reopen();
          expect(store.recordSeen({ messageId: 's', conversationId: 'group:g', time: 1 })).toBe(
            'seen',
          );
          expect(store.recordSeen({ messageId: 'h', conversationId: 'group:g', time: 2 })).toBe(
            'handled',
          );
          expect(store.recordSeen({ messageId: 'f', conversationId: 'c2c:u', time: 3 })).toBe(
            'failed',
          );
          expect(store.getLedgerEntry('f')?.failureReason).toBe('REPLY_FAILED');
          expect(store.listUnhandled().map((e) => e.messageId)).toEqual(['s']);
          // A seen message can still finish after the restart.
          expect(store.markHandled('s')).toBe(true);
          reopen();
          expect(store.recordSeen({ messageId: 's', conversationId: 'group:g', time: 1 })).toBe(
            'handled',
          );
        },
      );
    });

    describe('last online', () => {
      it('is undefined at first, then the last time set', () => {
        expect(store.getLastOnline()).toBeUndefined();
        store.setLastOnline(1_700_000_000_123);
        store.setLastOnline(1_700_000_000_456);
        expect(store.getLastOnline()).toBe(1_700_000_000_456);
      });

      persistentIt('is kept across a reopen', () => {
        store.setLastOnline(1_700_000_000_123);
        reopen();
        expect(store.getLastOnline()).toBe(1_700_000_000_123);
      });
    });

    describe('watermarks', () => {
      it('starts without a watermark and sets the first position', () => {
        expect(store.getWatermark('group:g')).toBeUndefined();
        expect(store.advanceWatermark('group:g', { time: 5, seq: 2, messageId: 'm2' })).toBe(true);
        expect(store.getWatermark('group:g')).toEqual({
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

    describe('settled requests', () => {
      const pending = {
        id: 'r1',
        peer: 'agent-b',
        direction: 'outbound' as const,
        task: 'summarise',
        createdAt: 100,
        deadlineAt: 200,
      };
      const settled = (over: Partial<SettledRequest> = {}): SettledRequest => ({
        id: 'r1',
        peer: 'agent-b',
        direction: 'inbound',
        status: 'ok',
        result: '{"answer":42}',
        settledAt: 1_000_000,
        ...over,
      });

      it('stores a settled request once: a second put with the same id changes nothing', () => {
        expect(store.getSettledRequest('r1')).toBeUndefined();
        expect(store.putSettledRequest(settled())).toBe(true);
        expect(store.putSettledRequest(settled({ status: 'failed', reason: 'again' }))).toBe(false);
        expect(store.getSettledRequest('r1')).toEqual(settled());
        store.putSettledRequest({
          id: 'r2',
          peer: 'p',
          direction: 'outbound',
          status: 'refused',
          reason: 'NOT_ALLOWED',
          settledAt: 5,
        });
        const refused = store.getSettledRequest('r2');
        expect(refused).toEqual({
          id: 'r2',
          peer: 'p',
          direction: 'outbound',
          status: 'refused',
          reason: 'NOT_ALLOWED',
          settledAt: 5,
        });
        expect(refused).not.toHaveProperty('result');
      });

      it('settles a pending request once, taking peer and direction from the pending row', () => {
        store.putPendingRequest(pending);
        expect(
          store.settlePendingRequest('r1', { status: 'ok', result: 'done', settledAt: 150 }),
        ).toBe(true);
        expect(store.getPendingRequest('r1')).toBeUndefined();
        expect(store.getSettledRequest('r1')).toEqual({
          id: 'r1',
          peer: 'agent-b',
          direction: 'outbound',
          status: 'ok',
          result: 'done',
          settledAt: 150,
        });
        // A late duplicate response settles nothing twice.
        expect(
          store.settlePendingRequest('r1', { status: 'failed', reason: 'dup', settledAt: 160 }),
        ).toBe(false);
        expect(store.getSettledRequest('r1')?.status).toBe('ok');
      });

      it('settles nothing for an id that was never pending', () => {
        expect(store.settlePendingRequest('ghost', { status: 'timeout', settledAt: 1 })).toBe(
          false,
        );
        expect(store.getSettledRequest('ghost')).toBeUndefined();
      });

      it('prunes settled requests older than the cut-off by the store clock', () => {
        store.putSettledRequest(settled({ id: 'old', settledAt: 1_000 }));
        store.putSettledRequest(settled({ id: 'edge', settledAt: 5_000 }));
        store.putSettledRequest(settled({ id: 'new', settledAt: 9_000 }));
        clock = 10_000;
        expect(store.pruneSettledRequests({ olderThanMs: 5_000 })).toBe(1);
        expect(store.getSettledRequest('old')).toBeUndefined();
        expect(store.getSettledRequest('edge')).toBeDefined();
        expect(store.pruneSettledRequests({ olderThanMs: 0 })).toBe(2);
      });

      persistentIt(
        'finds a pending request after a reopen and settles it (a late response)',
        () => {
          store.putPendingRequest(pending);
          reopen();
          expect(
            store.settlePendingRequest('r1', { status: 'ok', result: 'late', settledAt: 300 }),
          ).toBe(true);
          reopen();
          expect(store.getSettledRequest('r1')).toMatchObject({ status: 'ok', result: 'late' });
          expect(store.getPendingRequest('r1')).toBeUndefined();
        },
      );
    });

    describe('transaction', () => {
      it('commits every change of the function together and returns its result', () => {
        const result = store.transaction(() => {
          store.recordSeen({ messageId: 'a', conversationId: 'c', time: 1 });
          store.markHandled('a');
          store.advanceWatermark('c', { time: 1 });
          return 'done';
        });
        expect(result).toBe('done');
        expect(store.getLedgerEntry('a')?.status).toBe('handled');
        expect(store.getWatermark('c')?.time).toBe(1);
      });

      it('rolls every change back when the function throws, and rethrows its error', () => {
        store.recordSeen({ messageId: 'kept', conversationId: 'c', time: 1 });
        store.setLastOnline(1);
        const failure = new Error('dispatch blew up');
        expect(() =>
          store.transaction(() => {
            store.markHandled('kept');
            store.recordSeen({ messageId: 'gone', conversationId: 'c', time: 2 });
            store.setLastOnline(2);
            store.putSettledRequest({
              id: 'r',
              peer: 'p',
              direction: 'inbound',
              status: 'ok',
              settledAt: 1,
            });
            throw failure;
          }),
        ).toThrow(failure);
        expect(store.getLedgerEntry('kept')?.status).toBe('seen');
        expect(store.getLedgerEntry('gone')).toBeUndefined();
        expect(store.getLastOnline()).toBe(1);
        expect(store.getSettledRequest('r')).toBeUndefined();
      });

      it('nests: an inner failure caught inside rolls back only the inner part', () => {
        store.transaction(() => {
          store.recordSeen({ messageId: 'outer', conversationId: 'c', time: 1 });
          try {
            store.transaction(() => {
              store.recordSeen({ messageId: 'inner', conversationId: 'c', time: 2 });
              throw new Error('inner');
            });
          } catch {
            // the outer transaction goes on
          }
        });
        expect(store.getLedgerEntry('outer')).toBeDefined();
        expect(store.getLedgerEntry('inner')).toBeUndefined();
      });

      it('refuses a function that returns a promise, keeping none of its changes', () => {
        expect(() =>
          store.transaction(() => {
            store.recordSeen({ messageId: 'a', conversationId: 'c', time: 1 });
            return Promise.resolve();
          }),
        ).toThrow(TypeError);
        expect(store.getLedgerEntry('a')).toBeUndefined();
      });

      persistentIt('makes a committed burst survive a reopen', () => {
        store.transaction(() => {
          for (let i = 0; i < 50; i += 1) {
            store.recordSeen({ messageId: `m${i}`, conversationId: 'c', time: i });
            if (i % 2 === 0) store.markHandled(`m${i}`);
          }
        });
        reopen();
        expect(store.listUnhandled()).toHaveLength(25);
        expect(store.recordSeen({ messageId: 'm0', conversationId: 'c', time: 0 })).toBe('handled');
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

      it('reads a channel as last written, also after a rolled-back transaction', () => {
        store.putChannel({ channelId: 'g', name: 'Before', customFields: {}, updatedAt: 1 });
        store.flush();
        expect(store.getChannel('g')?.name).toBe('Before');
        expect(() =>
          store.transaction(() => {
            store.putChannel({ channelId: 'g', name: 'Undone', customFields: {}, updatedAt: 2 });
            expect(store.getChannel('g')?.name).toBe('Undone');
            throw new Error('undo');
          }),
        ).toThrow('undo');
        expect(store.getChannel('g')?.name).toBe('Before');
        store.putChannel({ channelId: 'g', name: 'After', customFields: {}, updatedAt: 3 });
        expect(store.getChannel('g')?.name).toBe('After');
        store.flush();
        expect(store.getChannel('g')?.name).toBe('After');
      });
    });

    describe('close', () => {
      it('is idempotent and makes every other call throw a StateStoreError', () => {
        store.close();
        store.close();
        const calls: Array<() => unknown> = [
          () => store.recordSeen({ messageId: 'm', conversationId: 'c', time: 1 }),
          () => store.markHandled('m'),
          () => store.markFailed('m', 'X'),
          () => store.getLedgerEntry('m'),
          () => store.listUnhandled(),
          () => store.pruneLedger({ olderThanMs: 1 }),
          () => store.getLastOnline(),
          () => store.setLastOnline(1),
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
          () =>
            store.putSettledRequest({
              id: 'r',
              peer: 'p',
              direction: 'inbound',
              status: 'ok',
              settledAt: 1,
            }),
          () => store.getSettledRequest('r'),
          () => store.settlePendingRequest('r', { status: 'ok', settledAt: 1 }),
          () => store.pruneSettledRequests({ olderThanMs: 1 }),
          () => store.transaction(() => 1),
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
