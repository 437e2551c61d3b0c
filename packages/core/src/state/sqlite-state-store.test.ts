import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStoreError } from '../errors/state-store-error.js';
import { applyMigrations, STATE_MIGRATIONS, STATE_SCHEMA_VERSION } from './migrations.js';
import { openSqliteStateStore } from './sqlite-state-store.js';
import { stateFileName } from './state-file.js';
import type { StateStore } from './state-store.js';

const mode = (file: string) => statSync(file).mode & 0o777;

/** The pages of `table` in a closed-or-open SQLite file (read through a read-only connection). */
function pagesOf(file: string, table: string): { pages: number[]; pageSize: number } {
  const probe = new Database(file, { readonly: true });
  try {
    const pages = probe
      .prepare('SELECT pageno FROM dbstat WHERE name = ? ORDER BY pageno')
      .pluck()
      .all(table) as number[];
    return { pages, pageSize: probe.pragma('page_size', { simple: true }) as number };
  } finally {
    probe.close();
  }
}

/** Overwrites the given pages of a SQLite file with garbage, as a failing disk would. */
function overwritePages(file: string, pages: number[], pageSize: number): void {
  const fd = openSync(file, 'r+');
  try {
    for (const page of pages)
      writeSync(fd, Buffer.alloc(pageSize, 0xab), 0, pageSize, (page - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
}

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
    first.recordSeen({ messageId: 'm1', conversationId: 'group:g', seq: 4, time: 10 });
    first.recordSeen({ messageId: 'm2', conversationId: 'group:g', seq: 5, time: 11 });
    first.markHandled('m1');
    first.advanceWatermark('group:g', { time: 10, seq: 4, messageId: 'm1' });
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
    expect(again.recordSeen({ messageId: 'm1', conversationId: 'group:g', time: 10 })).toBe(
      'handled',
    );
    expect(again.getLedgerEntry('m1')?.status).toBe('handled');
    expect(again.listUnhandled().map((e) => e.messageId)).toEqual(['m2']);
    expect(again.getWatermark('group:g')).toMatchObject({ time: 10, seq: 4, messageId: 'm1' });
    expect(again.getPendingRequest('r')?.task).toBe('t');
    expect(again.getChannel('g')?.customFields).toEqual({ k: 'v' });
  });

  it('gives two accounts two files that do not share state', () => {
    const a = open('alice');
    const b = open('bob');
    expect(a.file).not.toBe(b.file);
    a.recordSeen({ messageId: 'm', conversationId: 'c', time: 1 });
    expect(b.recordSeen({ messageId: 'm', conversationId: 'c', time: 1 })).toBe('new');
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

  /** A store of `accountId` holding enough ledger rows to span many pages, closed. */
  function fillStore(accountId = 'bot', rows = 400): string {
    const store = open(accountId);
    store.transaction(() => {
      for (let i = 0; i < rows; i += 1) {
        store.recordSeen({ messageId: `message-${i}`, conversationId: 'group:g', seq: i, time: i });
      }
    });
    store.close();
    return store.file!;
  }

  it('refuses a real store file with overwritten pages at open, and leaves it untouched', () => {
    const file = fillStore();
    const { pages, pageSize } = pagesOf(file, 'ledger');
    expect(pages.length).toBeGreaterThan(3);
    // A leaf in the middle: the schema and the meta table stay readable, only the check sees it.
    overwritePages(file, [pages[Math.floor(pages.length / 2)]!], pageSize);
    // Closed cleanly: no -wal or -shm (the probe above left empty ones behind).
    for (const side of ['-wal', '-shm']) rmSync(`${file}${side}`);
    chmodSync(file, 0o644);
    const bytes = readFileSync(file);

    const error = openError(() => open('bot'));
    expect(error.code).toBe('STATE_STORE_ERROR');
    expect(error.file).toBe(file);
    expect(error.message).toMatch(/is damaged/);
    expect(error.message).toMatch(/Move it somewhere else/);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(mode(file)).toBe(0o644);
    expect(readdirSync(stateDir)).toEqual([path.basename(file)]);
  });

  it('throws a StateStoreError naming the operation when the file is damaged while open', () => {
    const file = fillStore();
    const { pages, pageSize } = pagesOf(file, 'ledger');
    const store = open('bot');
    overwritePages(file, pages, pageSize);

    const error = openError(() => store.listUnhandled());
    expect(error.code).toBe('STATE_STORE_ERROR');
    expect(error.operation).toBe('listUnhandled');
    expect(error.file).toBe(file);
    expect(error.message).toMatch(/listUnhandled/);
    expect(error.message).toMatch(/damaged.*move the file away/);
    expect(error.cause).toBeInstanceOf(Database.SqliteError);
    expect((error.cause as { code: string }).code).toMatch(/^SQLITE_CORRUPT/);
    // A new message is held until its batch commits, which the damaged file refuses: said
    // by the commit (here the one of close), and closed.
    expect(store.recordSeen({ messageId: 'fresh', conversationId: 'group:g', time: 1 })).toBe(
      'new',
    );
    opened.splice(opened.indexOf(store), 1);
    expect(() => store.close()).toThrow(/could not commit its last batch of writes/);
    expect(() => store.getLastOnline()).toThrow(/is closed/);
  });

  it('migrates a schema 1 file, keeping its ledger, and stamps it with the account', () => {
    mkdirSync(stateDir, { recursive: true });
    const file = path.join(stateDir, stateFileName('bot'));
    const v1 = new Database(file);
    v1.pragma('journal_mode = WAL');
    applyMigrations(v1, STATE_MIGRATIONS.slice(0, 1), file);
    const insert = v1.prepare(
      'INSERT INTO ledger (message_id, conversation_id, seq, time, status, seen_at, handled_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    insert.run('late', 'group:g', 2, 20, 'seen', 300, null);
    insert.run('done', 'group:g', 1, 10, 'handled', 100, 150);
    insert.run('early', 'group:g', 3, 30, 'seen', 300, null);
    v1.close();

    const store = open('bot');
    expect(store.recordSeen({ messageId: 'done', conversationId: 'group:g', time: 10 })).toBe(
      'handled',
    );
    expect(store.getLedgerEntry('done')).toMatchObject({ status: 'handled', handledAt: 150 });
    // Recording order survives the copy: equal seenAt lists in rowid order.
    expect(store.listUnhandled().map((e) => e.messageId)).toEqual(['late', 'early']);
    expect(store.markFailed('late', 'REPLY_FAILED')).toBe(true);
    expect(store.recordSeen({ messageId: 'late', conversationId: 'group:g', time: 20 })).toBe(
      'failed',
    );
    store.close();

    const probe = new Database(file, { readonly: true });
    try {
      expect(probe.pragma('user_version', { simple: true })).toBe(STATE_SCHEMA_VERSION);
      expect(probe.prepare("SELECT value FROM meta WHERE key = 'account'").pluck().get()).toBe(
        '"bot"',
      );
    } finally {
      probe.close();
    }
  });

  it("refuses another account's file copied under this account's name, file and -wal untouched", () => {
    const alice = open('alice');
    alice.recordSeen({ messageId: 'm', conversationId: 'c2c:x', time: 1 });
    const bobFile = path.join(stateDir, stateFileName('bob'));
    // Copied while alice's store is open: the copy has a -wal that holds the latest writes.
    copyFileSync(alice.file!, bobFile);
    copyFileSync(`${alice.file}-wal`, `${bobFile}-wal`);
    const bytes = readFileSync(bobFile);
    const wal = readFileSync(`${bobFile}-wal`);
    expect(wal.length).toBeGreaterThan(0);

    const error = openError(() => open('bob'));
    expect(error.file).toBe(bobFile);
    expect(error.message).toMatch(/belongs to account "alice", not to "bob"/);
    expect(error.message).toMatch(/has not changed it/);
    expect(readFileSync(bobFile).equals(bytes)).toBe(true);
    expect(readFileSync(`${bobFile}-wal`).equals(wal)).toBe(true);
  });

  it('refuses a newer-schema file with a pending -wal and checkpoints nothing into it', () => {
    const store = open('bot');
    store.close();
    const file = store.file!;
    const writer = new Database(file);
    writer.pragma('wal_autocheckpoint = 0');
    writer.pragma(`user_version = ${STATE_SCHEMA_VERSION + 1}`);
    // Keep the -wal un-checkpointed: copy the pair aside while the writer is open, then back.
    copyFileSync(file, `${file}.copy`);
    copyFileSync(`${file}-wal`, `${file}.copy-wal`);
    writer.close();
    copyFileSync(`${file}.copy`, file);
    copyFileSync(`${file}.copy-wal`, `${file}-wal`);
    rmSync(`${file}-shm`, { force: true });
    const bytes = readFileSync(file);
    const wal = readFileSync(`${file}-wal`);
    expect(wal.length).toBeGreaterThan(0);

    expect(openError(() => open('bot')).message).toMatch(/newer clawlink/);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(readFileSync(`${file}-wal`).equals(wal)).toBe(true);
  });

  it('makes the -wal and -shm of an existing 0644 file 0600 while it is open', () => {
    open('bot').close();
    const file = path.join(stateDir, 'bot.sqlite');
    chmodSync(file, 0o644);
    const store = open('bot');
    store.recordSeen({ messageId: 'm', conversationId: 'c', time: 1 });
    for (const each of [file, `${file}-wal`, `${file}-shm`]) expect(mode(each)).toBe(0o600);
  });

  it('refuses a read-only (0400) state file and does not change its mode', () => {
    open('bot').close();
    const file = path.join(stateDir, 'bot.sqlite');
    chmodSync(file, 0o400);
    const bytes = readFileSync(file);
    const error = openError(() => open('bot'));
    expect(error.file).toBe(file);
    expect(error.message).toMatch(/is read-only \(mode 0400\)/);
    expect(error.message).toMatch(/chmod 600/);
    expect(mode(file)).toBe(0o400);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it('gives two account ids that differ only in a lone surrogate two separate stores', () => {
    const a = open('agent\uD800');
    const b = open('agent\uDC00');
    expect(a.file).not.toBe(b.file);
    a.recordSeen({ messageId: 'm', conversationId: 'c', time: 1 });
    expect(b.recordSeen({ messageId: 'm', conversationId: 'c', time: 1 })).toBe('new');
    a.close();
    b.close();
    // Each file records its own account exactly, so each reopens under its own id only.
    expect(open('agent\uD800').recordSeen({ messageId: 'm', conversationId: 'c', time: 1 })).toBe(
      'seen',
    );
  });

  it('says a store in a read-only directory cannot be written, not that it is damaged', () => {
    open('bot').close();
    const file = path.join(stateDir, 'bot.sqlite');
    const bytes = readFileSync(file);
    // Root may write anywhere, so when the tests run as root the child runs as nobody.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      chmodSync(root, 0o755);
      for (const each of [path.join(root, 'nested'), stateDir, file]) chownSync(each, 65534, 65534);
    }
    chmodSync(stateDir, 0o500);
    const moduleUrl = new URL('./sqlite-state-store.ts', import.meta.url).href;
    const script = `
      const { openSqliteStateStore } = await import(${JSON.stringify(moduleUrl)});
      const outcomes = [];
      // The existing file, and a new account's missing one (created only at its first write).
      for (const options of [{ accountId: 'bot' }, { accountId: 'new', openAtFirstWrite: true }]) {
        try {
          openSqliteStateStore({ ...options, stateDir: ${JSON.stringify(stateDir)} }).close();
          outcomes.push({ opened: true });
        } catch (error) {
          outcomes.push({ code: error.code, message: error.message });
        }
      }
      console.log(JSON.stringify(outcomes));`;
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script],
      {
        encoding: 'utf8',
        ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
        env: { PATH: process.env.PATH, TSX_TSCONFIG_PATH: undefined },
      },
    );
    chmodSync(stateDir, 0o700);
    expect(child.stderr).toBe('');
    const outcomes = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as {
      code?: string;
      message?: string;
    }[];
    expect(outcomes).toHaveLength(2);
    for (const outcome of outcomes) {
      expect(outcome.code).toBe('STATE_STORE_ERROR');
      expect(outcome.message).toMatch(/cannot be written/);
      expect(outcome.message).toMatch(/not damaged/);
      expect(outcome.message).toMatch(/stateDir/);
    }
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it('batches the writes of a burst into one transaction, committed batchWindowMs after the first', async () => {
    const store = openSqliteStateStore({ accountId: 'bot', stateDir, batchWindowMs: 50 });
    opened.push(store);
    const probe = new Database(store.file!, { readonly: true });
    const committed = () =>
      probe.prepare('SELECT message_id, status FROM ledger ORDER BY rowid').all();
    try {
      store.recordSeen({ messageId: 'a', conversationId: 'group:g', seq: 1, time: 1 });
      store.markHandled('a');
      store.advanceWatermark('group:g', { seq: 1, time: 1, messageId: 'a' });
      await new Promise((resolve) => setImmediate(resolve));
      store.recordSeen({ messageId: 'z', conversationId: 'group:g', seq: 2, time: 2 });
      // The store sees its own writes at once; another connection sees none of them yet,
      // also a turn later.
      expect(store.getLedgerEntry('a')?.status).toBe('handled');
      expect(store.recordSeen({ messageId: 'a', conversationId: 'group:g', time: 1 })).toBe(
        'handled',
      );
      expect(store.getWatermark('group:g')?.seq).toBe(1);
      expect(committed()).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect(committed()).toEqual([
        { message_id: 'a', status: 'handled' },
        { message_id: 'z', status: 'seen' },
      ]);
      expect(probe.prepare('SELECT seq FROM watermarks').pluck().get()).toBe(1);

      // flush() commits now; a transaction commits what was batched before it, then itself.
      store.recordSeen({ messageId: 'b', conversationId: 'group:g', time: 2 });
      expect(committed()).toHaveLength(2);
      store.flush();
      expect(committed()).toHaveLength(3);
      store.recordSeen({ messageId: 'c', conversationId: 'group:g', time: 3 });
      expect(() =>
        store.transaction(() => {
          store.markHandled('c');
          throw new Error('undone');
        }),
      ).toThrow('undone');
      expect(committed()).toEqual([
        { message_id: 'a', status: 'handled' },
        { message_id: 'z', status: 'seen' },
        { message_id: 'b', status: 'seen' },
        { message_id: 'c', status: 'seen' },
      ]);
      // A listing sees what is held, in the order it was recorded.
      store.recordSeen({ messageId: 'd', conversationId: 'group:g', time: 4 });
      expect(store.listUnhandled().map((e) => e.messageId)).toEqual(['z', 'b', 'c', 'd']);
    } finally {
      probe.close();
    }
  });

  it('commits a batch at the end of the turn with batchWindowMs: 0, and refuses a bad window', async () => {
    const store = openSqliteStateStore({ accountId: 'bot', stateDir, batchWindowMs: 0 });
    opened.push(store);
    const probe = new Database(store.file!, { readonly: true });
    try {
      store.recordSeen({ messageId: 'a', conversationId: 'group:g', time: 1 });
      expect(probe.prepare('SELECT count(*) FROM ledger').pluck().get()).toBe(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(probe.prepare('SELECT count(*) FROM ledger').pluck().get()).toBe(1);
    } finally {
      probe.close();
    }
    const elsewhere = path.join(root, 'never-created');
    for (const bad of [-1, Number.NaN, '10' as unknown as number]) {
      expect(() =>
        openSqliteStateStore({ accountId: 'x', stateDir: elsewhere, batchWindowMs: bad }),
      ).toThrow(/batchWindowMs: must be a number of milliseconds >= 0/);
    }
    expect(existsSync(elsewhere)).toBe(false);
  });

  it('commits each write before it returns with batchWrites: false', () => {
    const store = openSqliteStateStore({ accountId: 'bot', stateDir, batchWrites: false });
    opened.push(store);
    const probe = new Database(store.file!, { readonly: true });
    try {
      store.recordSeen({ messageId: 'a', conversationId: 'group:g', time: 1 });
      store.markHandled('a');
      expect(probe.prepare('SELECT status FROM ledger').pluck().all()).toEqual(['handled']);
    } finally {
      probe.close();
    }
  });

  it('names the closed store in the error after close', () => {
    const store = open('bot');
    store.close();
    const error = openError(() => store.listChannels());
    expect(error.file).toBe(store.file);
    expect(error.message).toMatch(/closed/);
  });

  describe('openAtFirstWrite', () => {
    const openLate = (accountId = 'bot') => {
      const store = openSqliteStateStore({ accountId, stateDir, openAtFirstWrite: true });
      opened.push(store);
      return store;
    };
    const sideFiles = (file: string) =>
      readdirSync(path.dirname(file)).filter((f) => f.startsWith(`${path.basename(file)}-`));

    it('creates no file, answering as an empty store, until the first write creates it 0600', () => {
      const store = openLate('bot');
      const file = store.file!;
      expect(mode(stateDir)).toBe(0o700);
      expect(existsSync(file)).toBe(false);
      // What an account's start reads, and the writes that change nothing in an empty store.
      expect(store.listPendingRequests({ direction: 'outbound' })).toEqual([]);
      expect(store.takeExpiredRequests(Number.MAX_SAFE_INTEGER)).toEqual([]);
      expect(store.getLastOnline()).toBeUndefined();
      expect(store.getWatermark('group:g')).toBeUndefined();
      expect(store.listWatermarks()).toEqual([]);
      expect(store.listUnhandled()).toEqual([]);
      expect(store.getLedgerEntry('m')).toBeUndefined();
      expect(store.markHandled('m')).toBe(false);
      expect(store.markFailed('m', 'no')).toBe(false);
      expect(store.settlePendingRequest('r', { status: 'ok', settledAt: 1 })).toBe(false);
      expect(store.pruneLedger({ olderThanMs: 0 })).toBe(0);
      expect(store.listChannels()).toEqual([]);
      store.flush();
      expect(existsSync(file)).toBe(false);
      expect(sideFiles(file)).toEqual([]);

      expect(store.recordSeen({ messageId: 'm', conversationId: 'c', time: 1 })).toBe('new');
      store.flush();
      expect(store.getLedgerEntry('m')?.status).toBe('seen');
      for (const side of ['', '-wal', '-shm']) expect(mode(`${file}${side}`)).toBe(0o600);
      store.close();
      expect(
        openLate('bot')
          .listUnhandled()
          .map((e) => e.messageId),
      ).toEqual(['m']);
    });

    it('still refuses a damaged file at open, before anything can be recorded in it', () => {
      mkdirSync(stateDir, { recursive: true });
      const file = path.join(stateDir, stateFileName('bot'));
      const bytes = Buffer.concat([
        Buffer.from('SQLite format 3\0', 'latin1'),
        Buffer.alloc(8192, 0xab),
      ]);
      writeFileSync(file, bytes, { mode: 0o600 });
      const error = openError(() => openLate('bot'));
      expect(error.file).toBe(file);
      expect(error.message).toMatch(/damaged/);
      expect(readFileSync(file).equals(bytes)).toBe(true);
    });

    it('opens an existing file at once, as without the option', () => {
      const first = open('bot');
      first.recordSeen({ messageId: 'm', conversationId: 'c', time: 1 });
      first.close();
      const again = openLate('bot');
      expect(sideFiles(again.file!).sort()).toEqual(['bot.sqlite-shm', 'bot.sqlite-wal']);
      expect(again.recordSeen({ messageId: 'm', conversationId: 'c', time: 1 })).toBe('seen');
    });

    it('checks the file again at the first write: one something else wrote meanwhile is refused, untouched', () => {
      const store = openLate('bot');
      const file = store.file!;
      const bytes = Buffer.from('not a database, written after the store was opened\n');
      writeFileSync(file, bytes);
      const error = openError(() =>
        store.recordSeen({ messageId: 'm', conversationId: 'c', time: 1 }),
      );
      expect(error.file).toBe(file);
      expect(error.message).toMatch(/not a SQLite database/);
      expect(readFileSync(file).equals(bytes)).toBe(true);
      // Put right, the next write opens it.
      writeFileSync(file, '');
      expect(store.recordSeen({ messageId: 'm', conversationId: 'c', time: 1 })).toBe('new');
    });

    it('refuses every call once closed, opened or not', () => {
      const store = openLate('bot');
      store.close();
      expect(openError(() => store.listChannels()).message).toMatch(/closed/);
      expect(
        openError(() => store.recordSeen({ messageId: 'm', conversationId: 'c', time: 1 })).message,
      ).toMatch(/closed/);
      expect(existsSync(store.file!)).toBe(false);
    });
  });
});
