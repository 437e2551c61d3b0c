import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createWriteBatch, type HeldWrites } from './write-batch.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const describeError = (operation: string, error: unknown) =>
  new Error(`${operation}: ${(error as Error).message}`);

describe('createWriteBatch', () => {
  it('opens one transaction for the writes of a turn and commits it when the turn ends', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (v)');
    const batch = createWriteBatch(db, { batched: true, windowMs: 0, describe: describeError });
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    batch.write(() => insert.run(1));
    batch.write(() => insert.run(2));
    expect(db.inTransaction).toBe(true);
    await nextTurn();
    expect(db.inTransaction).toBe(false);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(2);
    db.close();
  });

  it('commits at once on flush and before a transaction, and never inside one', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (v)');
    const batch = createWriteBatch(db, { batched: true, windowMs: 0, describe: describeError });
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    batch.write(() => insert.run(1));
    batch.flush();
    expect(db.inTransaction).toBe(false);
    batch.write(() => insert.run(2));
    expect(() =>
      batch.transaction(() => {
        insert.run(3);
        batch.flush();
        expect(db.inTransaction).toBe(true);
        throw new Error('undo 3');
      }),
    ).toThrow('undo 3');
    expect(db.prepare('SELECT v FROM t ORDER BY v').pluck().all()).toEqual([1, 2]);
    db.close();
  });

  it('commits each write at once when not batched', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (v)');
    const batch = createWriteBatch(db, { batched: false, windowMs: 0, describe: describeError });
    batch.write(() => db.prepare('INSERT INTO t VALUES (1)').run());
    expect(db.inTransaction).toBe(false);
    db.close();
  });

  it('throws a failed end-of-turn commit once, at the next call, and goes on', async () => {
    // A connection whose COMMIT fails once (a unit edge case: a real one fails on a full disk).
    let failCommit = true;
    let inTransaction = false;
    const db = {
      get inTransaction() {
        return inTransaction;
      },
      prepare: (sql: string) => ({
        run: () => {
          if (sql === 'BEGIN IMMEDIATE') inTransaction = true;
          if (sql === 'COMMIT') {
            if (failCommit) {
              failCommit = false;
              throw new Error('disk full');
            }
            inTransaction = false;
          }
        },
      }),
      exec: (sql: string) => {
        if (sql === 'ROLLBACK') inTransaction = false;
      },
    } as unknown as Database.Database;
    const batch = createWriteBatch(db, { batched: true, windowMs: 0, describe: describeError });
    batch.write(() => 'lost');
    await nextTurn();
    expect(inTransaction).toBe(false);
    expect(() => batch.write(() => 'not run')).toThrow('commit: disk full');
    expect(batch.write(() => 'runs')).toBe('runs');
    batch.flush();
    expect(inTransaction).toBe(false);
  });

  it('keeps a batch open for windowMs after its first write, over several turns', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (v)');
    const batch = createWriteBatch(db, { batched: true, windowMs: 40, describe: describeError });
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    batch.write(() => insert.run(1));
    await nextTurn();
    batch.write(() => insert.run(2));
    await nextTurn();
    expect(db.inTransaction).toBe(true);
    await sleep(60);
    expect(db.inTransaction).toBe(false);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(2);
    // flush() commits before the window ends, and the timer then finds nothing to commit.
    batch.write(() => insert.run(3));
    batch.flush();
    expect(db.inTransaction).toBe(false);
    db.close();
  });

  it('writes what is held into the commit, and holds nothing inside a transaction or unbatched', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (v)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    const values: number[] = [];
    const writes: HeldWrites = {
      write() {
        const taken = values.splice(0);
        for (const v of taken) insert.run(v);
      },
      discard() {
        values.length = 0;
      },
    };
    const batch = createWriteBatch(db, { batched: true, windowMs: 0, describe: describeError });
    expect(batch.deferring()).toBe(true);
    values.push(1, 2);
    batch.hold(writes);
    // The batch is begun (its reads run in it) and committed with what is held.
    expect(db.inTransaction).toBe(true);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
    await nextTurn();
    expect(db.prepare('SELECT v FROM t ORDER BY v').pluck().all()).toEqual([1, 2]);
    values.push(3);
    batch.hold(writes);
    batch.transaction(() => {
      // The batch was committed before the transaction began, with what was held.
      expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(3);
      expect(batch.deferring()).toBe(false);
    });
    const unbatched = createWriteBatch(db, {
      batched: false,
      windowMs: 0,
      describe: describeError,
    });
    expect(unbatched.deferring()).toBe(false);
    db.close();
  });

  it('loses the whole batch when a held write fails, and says so once', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (v INTEGER NOT NULL)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    const holder = (rows: (number | null)[]): HeldWrites => ({
      write() {
        const taken = rows.splice(0);
        for (const v of taken) insert.run(v);
      },
      discard() {
        rows.length = 0;
      },
    });
    const good = [1];
    const bad = [null];
    const later = [2];
    const batch = createWriteBatch(db, { batched: true, windowMs: 0, describe: describeError });
    batch.deferring();
    batch.hold(holder(good));
    batch.hold(holder(bad));
    batch.hold(holder(later));
    expect(batch.losses()).toBe(0);
    expect(() => batch.flush()).toThrow(/commit: NOT NULL/);
    expect(batch.losses()).toBe(1);
    expect(db.inTransaction).toBe(false);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
    // Every holder forgot what it held: nothing comes back in a later commit.
    expect([good, bad, later]).toEqual([[], [], []]);
    db.close();
  });
});
