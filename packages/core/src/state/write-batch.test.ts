import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createWriteBatch } from './write-batch.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const describeError = (operation: string, error: unknown) =>
  new Error(`${operation}: ${(error as Error).message}`);

describe('createWriteBatch', () => {
  it('opens one transaction for the writes of a turn and commits it when the turn ends', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (v)');
    const batch = createWriteBatch(db, { batched: true, describe: describeError });
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
    const batch = createWriteBatch(db, { batched: true, describe: describeError });
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
    const batch = createWriteBatch(db, { batched: false, describe: describeError });
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
    const batch = createWriteBatch(db, { batched: true, describe: describeError });
    batch.write(() => 'lost');
    await nextTurn();
    expect(inTransaction).toBe(false);
    expect(() => batch.write(() => 'not run')).toThrow('commit: disk full');
    expect(batch.write(() => 'runs')).toBe('runs');
    batch.flush();
    expect(inTransaction).toBe(false);
  });
});
