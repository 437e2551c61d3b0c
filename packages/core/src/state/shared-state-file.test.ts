import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSharedStateFile } from './shared-state-file.js';
import { openSqliteStateStore } from './sqlite-state-store.js';

/** The file descriptors this process holds on `file` and its -wal and -shm. */
const fdsOn = (file: string): number =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(file);
    } catch {
      return false;
    }
  }).length;

describe('openSharedStateFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'clawlink-shared-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps each account to its own rows, even for the same ids', () => {
    const shared = openSharedStateFile({ file: path.join(dir, 'fleet.sqlite'), now: () => 5 });
    try {
      const alice = shared.store('alice');
      const bob = shared.store('bob');
      expect(alice.recordSeen({ messageId: 'm1', conversationId: 'group:g', time: 1 })).toBe('new');
      alice.markHandled('m1');
      alice.advanceWatermark('group:g', { time: 1, seq: 1 });
      alice.setLastOnline(100);
      alice.putPendingRequest({
        id: 'r1',
        peer: 'carol',
        direction: 'outbound',
        task: 't',
        createdAt: 1,
        deadlineAt: 2,
      });
      alice.putChannel({ channelId: 'g', name: 'G', customFields: {}, updatedAt: 1 });

      // Bob sees none of it, and the same message id is new for him.
      expect(bob.getLedgerEntry('m1')).toBeUndefined();
      expect(bob.getWatermark('group:g')).toBeUndefined();
      expect(bob.listWatermarks()).toEqual([]);
      expect(bob.getLastOnline()).toBeUndefined();
      expect(bob.listPendingRequests()).toEqual([]);
      expect(bob.takeExpiredRequests(10)).toEqual([]);
      expect(bob.listChannels()).toEqual([]);
      expect(bob.pruneLedger({ olderThanMs: -10, unhandledOlderThanMs: -10 })).toBe(0);
      expect(bob.recordSeen({ messageId: 'm1', conversationId: 'c2c:x', time: 9 })).toBe('new');
      expect(bob.listUnhandled().map((e) => e.conversationId)).toEqual(['c2c:x']);

      // Alice's rows are untouched by Bob's calls.
      expect(alice.getLedgerEntry('m1')).toMatchObject({
        status: 'handled',
        conversationId: 'group:g',
      });
      expect(alice.listUnhandled()).toEqual([]);
      expect(alice.getLastOnline()).toBe(100);
      expect(alice.takeExpiredRequests(10).map((r) => r.id)).toEqual(['r1']);
    } finally {
      shared.close();
    }
  });

  it('keeps every account across closing and opening the file again', () => {
    const file = path.join(dir, 'fleet.sqlite');
    const first = openSharedStateFile({ file });
    for (let i = 0; i < 20; i += 1) {
      const store = first.store(`acct_${i}`);
      store.recordSeen({ messageId: `m${i}`, conversationId: 'group:g', time: i });
      if (i % 2 === 0) store.markHandled(`m${i}`);
    }
    first.close();
    const again = openSharedStateFile({ file });
    try {
      for (let i = 0; i < 20; i += 1) {
        const store = again.store(`acct_${i}`);
        expect(store.listUnhandled().map((e) => e.messageId)).toEqual(i % 2 ? [`m${i}`] : []);
        expect(store.getLedgerEntry(`m${(i + 1) % 20}`)).toBeUndefined();
      }
    } finally {
      again.close();
    }
  });

  it('holds the same few file descriptors for 200 accounts as for one', () => {
    const file = path.join(dir, 'fleet.sqlite');
    const shared = openSharedStateFile({ file });
    try {
      const one = shared.store('acct_0');
      one.recordSeen({ messageId: 'm', conversationId: 'group:g', time: 1 });
      shared.flush();
      const forOne = fdsOn(file);
      for (let i = 1; i < 200; i += 1) {
        shared
          .store(`acct_${i}`)
          .recordSeen({ messageId: 'm', conversationId: 'group:g', time: 1 });
      }
      shared.flush();
      expect(forOne).toBeGreaterThan(0);
      expect(fdsOn(file)).toBe(forOne);
    } finally {
      shared.close();
    }
    expect(fdsOn(file)).toBe(0);
  });

  it('closes every store of the file with the file', () => {
    const shared = openSharedStateFile({ file: path.join(dir, 'fleet.sqlite') });
    const store = shared.store('alice');
    shared.close();
    shared.close();
    expect(() => store.getLastOnline()).toThrow(/is closed/);
    expect(() => shared.store('bob')).toThrow(/is closed/);
  });

  it("refuses an account's file as a shared one, and a shared file as an account's", () => {
    openSqliteStateStore({ accountId: 'solo', stateDir: dir }).close();
    expect(() => openSharedStateFile({ file: path.join(dir, 'solo.sqlite') })).toThrow(
      /is one account's state file, not a shared one/,
    );
    openSharedStateFile({ file: path.join(dir, 'fleet.sqlite') }).close();
    expect(() => openSqliteStateStore({ accountId: 'fleet', stateDir: dir })).toThrow(
      /is a registry's shared state file/,
    );
  });

  it('gives two stores of one account the same view of what is held before a commit', () => {
    const file = path.join(dir, 'fleet.sqlite');
    const shared = openSharedStateFile({ file, now: () => 5 });
    try {
      const first = shared.store('alice');
      const second = shared.store('alice');
      expect(first.recordSeen({ messageId: 'm1', conversationId: 'group:g', time: 1 })).toBe('new');
      // Held in memory (not committed yet), and still a duplicate for the other store.
      expect(second.recordSeen({ messageId: 'm1', conversationId: 'group:g', time: 1 })).toBe(
        'seen',
      );
      expect(second.markHandled('m1')).toBe(true);
      expect(first.getLedgerEntry('m1')?.status).toBe('handled');
      second.advanceWatermark('group:g', { time: 1, seq: 1 });
      expect(first.getWatermark('group:g')?.seq).toBe(1);
      // Closing one store writes what it holds into the file's batch; the other goes on.
      first.close();
      shared.flush();
      expect(second.listUnhandled()).toEqual([]);
      expect(second.recordSeen({ messageId: 'm1', conversationId: 'group:g', time: 1 })).toBe(
        'handled',
      );
    } finally {
      shared.close();
    }
    const again = openSharedStateFile({ file });
    try {
      const alice = again.store('alice');
      expect(alice.getLedgerEntry('m1')?.status).toBe('handled');
      expect(alice.getWatermark('group:g')?.seq).toBe(1);
    } finally {
      again.close();
    }
  });
});
