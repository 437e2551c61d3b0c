import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStoreError } from '../errors/state-store-error.js';
import { STATE_SCHEMA_VERSION } from './migrations.js';
import { openSqliteStateStore } from './sqlite-state-store.js';
import { stateFileName } from './state-file.js';
import type { StateStore } from './state-store.js';

const mode = (file: string) => statSync(file).mode & 0o777;

function openError(open: () => unknown): StateStoreError {
  try {
    open();
  } catch (error) {
    if (StateStoreError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a StateStoreError');
}

describe('openSqliteStateStore', () => {
  let root: string;
  let stateDir: string;
  const opened: StateStore[] = [];
  const open = (accountId = 'bot') => {
    const store = openSqliteStateStore({ accountId, stateDir });
    opened.push(store);
    return store;
  };

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'clawlink-sqlite-'));
    stateDir = path.join(root, 'nested', 'state');
  });
  afterEach(() => {
    for (const store of opened.splice(0)) store.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('creates the directory 0700 and the file 0600 (and its WAL files), stamped, in WAL mode', () => {
    const store = open('bot');
    expect(store.file).toBe(path.join(stateDir, 'bot.sqlite'));
    expect(mode(stateDir)).toBe(0o700);
    expect(mode(store.file!)).toBe(0o600);
    store.recordSeen({ messageId: 'm', conversationId: 'c', time: 1 });
    for (const side of ['-wal', '-shm']) expect(mode(`${store.file}${side}`)).toBe(0o600);

    const probe = new Database(store.file!, { readonly: true });
    try {
      expect(probe.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(probe.pragma('user_version', { simple: true })).toBe(STATE_SCHEMA_VERSION);
      expect(probe.prepare("SELECT value FROM meta WHERE key = 'app'").get()).toEqual({
        value: 'clawlink',
      });
    } finally {
      probe.close();
    }
  });

  it('tightens the mode of an existing state file to 0600', () => {
    open('bot').close();
    const file = path.join(stateDir, 'bot.sqlite');
    chmodSync(file, 0o644);
    open('bot');
    expect(mode(file)).toBe(0o600);
  });

  it('keeps the ledger, watermarks, requests and channels across close and reopen', () => {
    const first = open('bot');
    first.recordSeen({ messageId: 'm1', conversationId: 'GROUP:g', seq: 4, time: 10 });
    first.recordSeen({ messageId: 'm2', conversationId: 'GROUP:g', seq: 5, time: 11 });
    first.markHandled('m1');
    first.advanceWatermark('GROUP:g', { time: 10, seq: 4, messageId: 'm1' });
    first.putPendingRequest({
      id: 'r',
      peer: 'p',
      direction: 'outbound',
      task: 't',
      createdAt: 1,
      deadlineAt: 2,
    });
    first.putChannel({ channelId: 'g', name: 'G', customFields: { k: 'v' }, updatedAt: 3 });
    first.close();

    const again = open('bot');
    expect(again.recordSeen({ messageId: 'm1', conversationId: 'GROUP:g', time: 10 })).toBe(false);
    expect(again.getLedgerEntry('m1')?.status).toBe('handled');
    expect(again.listUnhandled().map((e) => e.messageId)).toEqual(['m2']);
    expect(again.getWatermark('GROUP:g')).toMatchObject({ time: 10, seq: 4, messageId: 'm1' });
    expect(again.getPendingRequest('r')?.task).toBe('t');
    expect(again.getChannel('g')?.customFields).toEqual({ k: 'v' });
  });

  it('gives two accounts two files that do not share state', () => {
    const a = open('alice');
    const b = open('bob');
    expect(a.file).not.toBe(b.file);
    a.recordSeen({ messageId: 'm', conversationId: 'c', time: 1 });
    expect(b.recordSeen({ messageId: 'm', conversationId: 'c', time: 1 })).toBe(true);
    expect(
      readdirSync(stateDir)
        .filter((f) => f.endsWith('.sqlite'))
        .sort(),
    ).toEqual(['alice.sqlite', 'bob.sqlite']);
  });

  it('keeps weird account ids inside the state directory under distinct names', () => {
    const ids = ['../x', 'a/b', 'a\\b', '..', 'ünïcødé 🦀', 'x'.repeat(200), 'Bot', 'bot', 'CON'];
    const files = ids.map((id) => open(id).file!);
    for (const file of files) expect(path.dirname(file)).toBe(stateDir);
    expect(new Set(files).size).toBe(ids.length);
    expect(readdirSync(stateDir).filter((f) => f.endsWith('.sqlite'))).toHaveLength(ids.length);
    expect(readdirSync(root)).toEqual(['nested']);
  });

  it('refuses a file that is not SQLite, names it, and leaves it byte for byte', () => {
    mkdirSync(stateDir, { recursive: true });
    const file = path.join(stateDir, stateFileName('bot'));
    const bytes = Buffer.from('this is not a database\n'.repeat(100));
    writeFileSync(file, bytes, { mode: 0o644 });

    const error = openError(() => open('bot'));
    expect(error.file).toBe(file);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/not a SQLite database/);
    expect(error.message).toMatch(/Move it somewhere else|stateDir/);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(mode(file)).toBe(0o644);
    expect(readdirSync(stateDir)).toEqual([path.basename(file)]);
  });

  it('refuses a damaged SQLite file (valid header, garbage pages) and leaves it untouched', () => {
    mkdirSync(stateDir, { recursive: true });
    const file = path.join(stateDir, stateFileName('bot'));
    const bytes = Buffer.concat([
      Buffer.from('SQLite format 3\0', 'latin1'),
      Buffer.alloc(8192, 0xab),
    ]);
    writeFileSync(file, bytes, { mode: 0o644 });
    const error = openError(() => open('bot'));
    expect(error.file).toBe(file);
    expect(error.message).toMatch(/damaged/);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(mode(file)).toBe(0o644);
  });

  /** Writes a SQLite file at the account's path with `setup`, and returns its bytes. */
  function plantDatabase(setup: (db: Database.Database) => void): { file: string; bytes: Buffer } {
    mkdirSync(stateDir, { recursive: true });
    const file = path.join(stateDir, stateFileName('bot'));
    const db = new Database(file);
    setup(db);
    db.close();
    chmodSync(file, 0o644);
    return { file, bytes: readFileSync(file) };
  }

  it('refuses a SQLite file another program wrote, and leaves it untouched', () => {
    const { file, bytes } = plantDatabase((db) => {
      db.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine')");
    });
    const error = openError(() => open('bot'));
    expect(error.file).toBe(file);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/did not create/);
    expect(error.message).toMatch(/stateDir/);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(mode(file)).toBe(0o644);
    expect(readdirSync(stateDir)).toEqual([path.basename(file)]);
  });

  it('refuses a foreign file even when it has a meta table of its own', () => {
    const { file, bytes } = plantDatabase((db) => {
      db.exec("CREATE TABLE meta (key TEXT, value TEXT); INSERT INTO meta VALUES ('app', 'other')");
    });
    expect(openError(() => open('bot')).message).toMatch(/did not create/);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it('refuses a file written by a newer schema and says to upgrade clawlink', () => {
    open('bot').close();
    const file = path.join(stateDir, stateFileName('bot'));
    const db = new Database(file);
    db.pragma(`user_version = ${STATE_SCHEMA_VERSION + 1}`);
    db.close();
    const bytes = readFileSync(file);

    const error = openError(() => open('bot'));
    expect(error.file).toBe(file);
    expect(error.message).toMatch(/newer clawlink/);
    expect(error.message).toMatch(/Upgrade @clawlink\/core/);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it('names the closed store in the error after close', () => {
    const store = open('bot');
    store.close();
    const error = openError(() => store.listChannels());
    expect(error.file).toBe(store.file);
    expect(error.message).toMatch(/closed/);
  });
});
