import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStoreError } from '../errors/state-store-error.js';
import { applyMigrations, type Migration, STATE_MIGRATIONS } from './migrations.js';

describe('applyMigrations', () => {
  let dir: string;
  let db: Database.Database;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'clawlink-migrations-'));
    file = path.join(dir, 'm.sqlite');
    db = new Database(file);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const tables = () =>
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[])
      .map((t) => t.name)
      .sort();

  it('numbers the released steps 1, 2, 3... without gaps', () => {
    expect(STATE_MIGRATIONS.map((m) => m.version)).toEqual(
      STATE_MIGRATIONS.map((_, index) => index + 1),
    );
  });

  it('applies only the steps after the current user_version, then nothing', () => {
    const steps: Migration[] = [
      { version: 1, up: (d) => d.exec('CREATE TABLE one (x)') },
      { version: 2, up: (d) => d.exec('CREATE TABLE two (x)') },
    ];
    expect(applyMigrations(db, steps.slice(0, 1), file)).toEqual([1]);
    expect(applyMigrations(db, steps, file)).toEqual([2]);
    expect(applyMigrations(db, steps, file)).toEqual([]);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(tables()).toEqual(['one', 'two']);
  });

  it('rolls every step back when one fails, and names the file', () => {
    const steps: Migration[] = [
      { version: 1, up: (d) => d.exec('CREATE TABLE one (x)') },
      { version: 2, up: (d) => d.exec('CREATE TABLE two (x)') },
      {
        version: 3,
        up: () => {
          throw new Error('disk on fire');
        },
      },
    ];
    let thrown: unknown;
    try {
      applyMigrations(db, steps, file);
    } catch (error) {
      thrown = error;
    }
    expect(StateStoreError.isInstance(thrown)).toBe(true);
    expect((thrown as StateStoreError).message).toContain(file);
    expect((thrown as StateStoreError).message).toMatch(/schema 3 failed.*nothing was changed/);
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(tables()).toEqual([]);
  });
});
