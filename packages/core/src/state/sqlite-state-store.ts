import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StateStoreError } from '../errors/state-store-error.js';
import {
  applyMigrations,
  STATE_FILE_APP,
  STATE_MIGRATIONS,
  STATE_SCHEMA_VERSION,
} from './migrations.js';
import { defaultStateDir, stateFileName } from './state-file.js';
import type {
  CachedChannel,
  ConversationWatermark,
  LedgerEntry,
  LedgerStatus,
  PendingRequest,
  SettledRequest,
  StateStore,
  Watermark,
} from './state-store.js';
import {
  asyncTransactionError,
  closedStoreError,
  failureReason,
  isThenable,
  pruneCutoffs,
  watermarkMoves,
} from './state-store-rules.js';

/** Options of {@link openSqliteStateStore}. */
export interface SqliteStateStoreOptions {
  /**
   * The account whose state this is; its file is `<stateDir>/<stateFileName(accountId)>`.
   * The file records it, and a file that records another account is refused.
   */
  accountId: string;
  /** The directory of state files; default {@link defaultStateDir}. Created with mode 0700. */
  stateDir?: string;
  /**
   * The clock for `seenAt`, `handledAt`, `failedAt`, `updatedAt` and pruning; default
   * `Date.now`.
   */
  now?: () => number;
  /** How long to wait for another connection's lock, in milliseconds; default 5000. */
  busyTimeoutMs?: number;
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
const SIDE_FILES = ['-wal', '-shm'];
// Rows of the `meta` table (besides `app`): the account the file belongs to, as JSON (exact
// even for ids that are not well-formed UTF-16), and when the account was last online.
const META_ACCOUNT = 'account';
const META_LAST_ONLINE = 'last_online';

interface LedgerRow {
  message_id: string;
  conversation_id: string;
  seq: number | null;
  time: number;
  status: LedgerStatus;
  seen_at: number;
  handled_at: number | null;
  failed_at: number | null;
  failure_reason: string | null;
}
interface WatermarkRow {
  conversation_id: string;
  time: number;
  seq: number | null;
  message_id: string | null;
  updated_at: number;
}
interface RequestRow {
  id: string;
  peer: string;
  direction: 'outbound' | 'inbound';
  task: string;
  payload: string | null;
  created_at: number;
  deadline_at: number;
}
interface SettledRow {
  id: string;
  peer: string;
  direction: 'outbound' | 'inbound';
  status: SettledRequest['status'];
  result: string | null;
  reason: string | null;
  settled_at: number;
}
interface ChannelRow {
  channel_id: string;
  name: string;
  skill: string | null;
  custom_fields: string;
  updated_at: number;
}

const toLedgerEntry = (r: LedgerRow): LedgerEntry => ({
  messageId: r.message_id,
  conversationId: r.conversation_id,
  seq: r.seq ?? undefined,
  time: r.time,
  status: r.status,
  seenAt: r.seen_at,
  handledAt: r.handled_at ?? undefined,
  failedAt: r.failed_at ?? undefined,
  failureReason: r.failure_reason ?? undefined,
});
const toWatermark = (r: WatermarkRow): Watermark => ({
  time: r.time,
  seq: r.seq ?? undefined,
  messageId: r.message_id ?? undefined,
  updatedAt: r.updated_at,
});
const toRequest = (r: RequestRow): PendingRequest => ({
  id: r.id,
  peer: r.peer,
  direction: r.direction,
  task: r.task,
  ...(r.payload === null ? {} : { payload: r.payload }),
  createdAt: r.created_at,
  deadlineAt: r.deadline_at,
});
const toSettled = (r: SettledRow): SettledRequest => ({
  id: r.id,
  peer: r.peer,
  direction: r.direction,
  status: r.status,
  ...(r.result === null ? {} : { result: r.result }),
  ...(r.reason === null ? {} : { reason: r.reason }),
  settledAt: r.settled_at,
});
const toChannel = (r: ChannelRow): CachedChannel => ({
  channelId: r.channel_id,
  name: r.name,
  ...(r.skill === null ? {} : { skill: r.skill }),
  customFields: JSON.parse(r.custom_fields) as Record<string, string>,
  updatedAt: r.updated_at,
});

const leaveItAlone = (file: string) =>
  `clawlink has not changed it. Move it somewhere else (keep it if you want to look into it) to start this account with a fresh state, or set stateDir to another directory. File: ${file}`;

const sqliteCode = (error: unknown): string =>
  error instanceof Database.SqliteError ? error.code : '';
const isDamage = (code: string) => code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB';
const isAccess = (code: string) =>
  ['SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_PERM', 'SQLITE_AUTH'].some((c) =>
    code.startsWith(c),
  );
const isLocked = (code: string) =>
  code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');

/** What to do about an SQLite error while the store runs, by its code. */
function adviceFor(code: string): string {
  if (isDamage(code)) {
    return 'The file is damaged: stop this account, move the file away (keep it if you want to look into it) and start again with a fresh state.';
  }
  if (code.startsWith('SQLITE_FULL')) return 'The disk is full: free some space, then start again.';
  if (isLocked(code)) {
    return 'Another process holds the file locked: run each account in one process only, or give the other one its own stateDir.';
  }
  return 'Check that the file and its directory still exist and are writable by this user, and that the disk is healthy, then start again.';
}

/** The `StateStoreError` a failed call throws: the operation named, the SQLite error kept. */
function operationError(file: string, operation: string, error: unknown): unknown {
  if (StateStoreError.isInstance(error) || !(error instanceof Database.SqliteError)) return error;
  return new StateStoreError(
    `The state store ${file} failed in ${operation} (${error.code}: ${error.message}). ${adviceFor(error.code)}`,
    { file, operation, cause: error },
  );
}

/** A readable file we may not write, or a directory where SQLite cannot create its WAL files. */
function cannotWrite(file: string): StateStoreError | undefined {
  const dir = path.dirname(file);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    return new StateStoreError(
      `The state directory ${dir} cannot be written by this user, and clawlink must write there (the state file and its -wal and -shm files beside it). The state file is not damaged and clawlink has not changed it. Make the directory writable by this user, or set stateDir to a writable directory.`,
      { file, cause: error },
    );
  }
  try {
    accessSync(file, constants.R_OK | constants.W_OK);
  } catch (error) {
    return new StateStoreError(
      `The state file ${file} cannot be read and written by this user; clawlink has not changed it. Give this user read and write access to it (it should be mode 0600, owned by this user), or set stateDir to another directory.`,
      { file, cause: error },
    );
  }
  return undefined;
}

/**
 * Creates the file with mode 0600 when it does not exist, and refuses an existing path that
 * is not a file, is read-only, cannot be written, or is not SQLite. Returns whether the file
 * is new (just created, or empty), i.e. has nothing to inspect. Only reads an existing file.
 */
function prepareFile(file: string): boolean {
  try {
    closeSync(openSync(file, 'wx', FILE_MODE));
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') {
      const why = ['EACCES', 'EPERM', 'EROFS'].includes(code ?? '')
        ? 'the state directory cannot be written by this user. Make it writable by this user'
        : `${code ?? String(error)}. Check the state directory and the disk`;
      throw new StateStoreError(
        `Could not create the state file ${file}: ${why}, or set stateDir to a writable directory.`,
        { file, cause: error },
      );
    }
  }
  const stat = statSync(file);
  if (!stat.isFile()) {
    throw new StateStoreError(
      `The state file path ${file} exists but is not a file. ${leaveItAlone(file)}`,
      { file },
    );
  }
  // A file its owner cannot write was made read-only on purpose: refuse it rather than
  // silently undo that (root could still write it, so look at the mode, not at access()).
  if (process.platform !== 'win32' && (stat.mode & 0o200) === 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new StateStoreError(
      `The state file ${file} is read-only (mode ${mode}), and clawlink must write to it (its message ledger); clawlink does not change a mode you set and has not changed the file. Make it writable (chmod 600 "${file}") to use it, or set stateDir to another directory.`,
      { file },
    );
  }
  const problem = cannotWrite(file);
  if (problem) throw problem;
  // SQLite treats an empty file as a new database (unless a -wal holds what was written).
  if (stat.size === 0) return !existsSync(`${file}-wal`);
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!header.equals(SQLITE_HEADER)) {
    throw new StateStoreError(
      `The state file ${file} is not a SQLite database (it is damaged or something else wrote it). ${leaveItAlone(file)}`,
      { file },
    );
  }
  return false;
}

/** Why an existing file could not be inspected, told apart: damaged, locked or not accessible. */
function inspectionError(file: string, error: unknown): StateStoreError {
  const code = sqliteCode(error);
  if (isDamage(code)) {
    return new StateStoreError(
      `The state file ${file} is damaged (${code}). ${leaveItAlone(file)}`,
      { file, cause: error },
    );
  }
  if (isLocked(code)) {
    return new StateStoreError(
      `The state file ${file} is locked by another process; run each account in one process only, or give the other one its own stateDir. clawlink has not changed the file.`,
      { file, cause: error },
    );
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new StateStoreError(
    `The state file ${file} could not be read (${code || detail}); it is not known to be damaged and clawlink has not changed it. ${isAccess(code) ? 'Check that this user can read and write it and its directory' : 'Check the file and the disk'}, or set stateDir to another directory.`,
    { file, cause: error },
  );
}

/**
 * The bytes of a database file, marked as a rollback-journal database so SQLite can open the
 * copy in memory (an in-memory database cannot be in WAL mode).
 */
function walFreeCopy(bytes: Buffer): Buffer {
  if (bytes.length >= 20) bytes.fill(1, 18, 20);
  return bytes;
}

/**
 * Refuses, without writing anything, a file that is damaged (`PRAGMA quick_check`), that
 * clawlink did not write, that a newer schema wrote, or that belongs to another account.
 * Without a -wal the file alone is the whole database, and an in-memory copy of it is
 * inspected, so nothing is created beside it. With a -wal (the file is open elsewhere, or its
 * writer crashed) the file is opened read-only, so closing it checkpoints nothing: the file
 * and its -wal stay byte for byte (SQLite may create the -shm index, which holds no data of
 * its own).
 */
function inspect(file: string, accountId: string, busyTimeoutMs: number): void {
  let db: Database.Database;
  let problems: string[];
  let version: number;
  let tables: string[];
  let meta: Map<string, string>;
  try {
    db = existsSync(`${file}-wal`)
      ? new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs })
      : new Database(walFreeCopy(readFileSync(file)), { readonly: true });
  } catch (error) {
    throw inspectionError(file, error);
  }
  try {
    problems = (db.pragma('quick_check') as { quick_check: string }[])
      .map((row) => row.quick_check)
      .filter((line) => line !== 'ok');
    version = db.pragma('user_version', { simple: true }) as number;
    tables = (
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .all() as { name: string }[]
    ).map((t) => t.name);
    meta = new Map(
      tables.includes('meta')
        ? (db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map(
            (row) => [String(row.key), String(row.value)],
          )
        : [],
    );
  } catch (error) {
    throw inspectionError(file, error);
  } finally {
    db.close();
  }
  if (problems.length > 0) {
    throw new StateStoreError(
      `The state file ${file} is damaged (SQLite's integrity check reports: ${problems.slice(0, 3).join('; ')}). ${leaveItAlone(file)}`,
      { file },
    );
  }
  if (tables.length === 0 && version === 0) return;
  if (meta.get('app') !== STATE_FILE_APP) {
    throw new StateStoreError(
      `The state file ${file} is a SQLite database that clawlink did not create (it has no clawlink stamp). ${leaveItAlone(file)}`,
      { file },
    );
  }
  if (version > STATE_SCHEMA_VERSION) {
    throw new StateStoreError(
      `The state file ${file} was written by a newer clawlink (schema ${version}; this version reads up to schema ${STATE_SCHEMA_VERSION}). Upgrade @clawlink/core and the clawlink packages you use, then start again; keep the file, it holds this account's message ledger.`,
      { file },
    );
  }
  const owner = meta.get(META_ACCOUNT);
  if (owner !== undefined && owner !== JSON.stringify(accountId)) {
    throw new StateStoreError(
      `The state file ${file} belongs to account ${owner}, not to ${JSON.stringify(accountId)} (it was copied or renamed). clawlink has not changed it. Put it back under that account's name, or move it away to start ${JSON.stringify(accountId)} with a fresh state.`,
      { file },
    );
  }
}

/** Takes group and other access away from the file and its WAL files (they hold the same data). */
function tightenModes(file: string): void {
  if (process.platform === 'win32') return;
  for (const each of [file, ...SIDE_FILES.map((side) => `${file}${side}`)]) {
    if (existsSync(each) && (statSync(each).mode & 0o077) !== 0) chmodSync(each, FILE_MODE);
  }
}

function openDatabase(file: string, accountId: string, busyTimeoutMs: number): Database.Database {
  try {
    if (!prepareFile(file)) inspect(file, accountId, busyTimeoutMs);
    // Before the first read-write connection, so SQLite creates any WAL file 0600 too.
    tightenModes(file);
  } catch (error) {
    if (StateStoreError.isInstance(error)) throw error;
    throw new StateStoreError(
      `Could not read the state file ${file}; check that it is readable and writable by this user.`,
      { file, cause: error },
    );
  }
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: true, timeout: busyTimeoutMs });
  } catch (error) {
    throw new StateStoreError(
      `Could not open the state file ${file}; check that it and its directory are readable and writable by this user.`,
      { file, cause: error },
    );
  }
  try {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') {
      throw new StateStoreError(
        `The state file ${file} could not be switched to WAL mode (got "${String(mode)}"); put stateDir on a local disk.`,
        { file },
      );
    }
    db.pragma('synchronous = NORMAL');
    applyMigrations(db, STATE_MIGRATIONS, file);
    db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(
      META_ACCOUNT,
      JSON.stringify(accountId),
    );
    return db;
  } catch (error) {
    db.close();
    if (StateStoreError.isInstance(error)) throw error;
    throw new StateStoreError(
      `Could not prepare the state file ${file} (${sqliteCode(error) || String(error)}). ${adviceFor(sqliteCode(error))}`,
      { file, cause: error },
    );
  }
}

/**
 * Opens (creating when needed) the SQLite state file of one account: WAL journal,
 * `synchronous = NORMAL`, a busy timeout, file mode 0600 in a directory created with mode
 * 0700, schema brought up to date in one transaction, the account id recorded in the file.
 * An existing file readable by others is tightened to 0600 (with its -wal and -shm).
 *
 * Throws a `StateStoreError` that names the file and says what to do when the file is
 * damaged (`PRAGMA quick_check`), belongs to another program or to another account, was
 * written by a newer clawlink, is read-only (mode without owner write: clawlink refuses it
 * rather than change a mode you set), or when it or its directory cannot be written. A
 * refused file is inspected read-only and never modified, nor is its -wal.
 */
export function openSqliteStateStore(options: SqliteStateStoreOptions): StateStore {
  const now = options.now ?? Date.now;
  const dir = path.resolve(options.stateDir ?? defaultStateDir());
  try {
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  } catch (error) {
    throw new StateStoreError(
      `Could not create the state directory ${dir}; create it yourself or set stateDir to a writable directory.`,
      { cause: error },
    );
  }
  const file = path.join(dir, stateFileName(options.accountId));
  const db = openDatabase(file, options.accountId, options.busyTimeoutMs ?? 5000);

  const sql = {
    insertSeen: db.prepare(
      `INSERT OR IGNORE INTO ledger (message_id, conversation_id, seq, time, status, seen_at)
       VALUES (?, ?, ?, ?, 'seen', ?)`,
    ),
    ledgerStatus: db.prepare('SELECT status FROM ledger WHERE message_id = ?').pluck(),
    markHandled: db.prepare(
      `UPDATE ledger SET status = 'handled', handled_at = COALESCE(handled_at, ?)
       WHERE message_id = ? AND status != 'failed'`,
    ),
    markFailed: db.prepare(
      `UPDATE ledger SET status = 'failed', failed_at = COALESCE(failed_at, ?),
       failure_reason = COALESCE(failure_reason, ?)
       WHERE message_id = ? AND status != 'handled'`,
    ),
    getLedger: db.prepare('SELECT * FROM ledger WHERE message_id = ?'),
    listUnhandled: db.prepare(
      "SELECT * FROM ledger WHERE status = 'seen' ORDER BY seen_at, rowid LIMIT ?",
    ),
    prune: db.prepare(
      `DELETE FROM ledger WHERE (status IN ('handled', 'failed') AND seen_at < ?)
       OR (status = 'seen' AND seen_at < ?)`,
    ),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
    putMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    getWatermark: db.prepare('SELECT * FROM watermarks WHERE conversation_id = ?'),
    putWatermark: db.prepare(
      `INSERT OR REPLACE INTO watermarks (conversation_id, time, seq, message_id, updated_at)
       VALUES (?, ?, ?, ?, ?)`,
    ),
    listWatermarks: db.prepare('SELECT * FROM watermarks ORDER BY conversation_id'),
    putRequest: db.prepare(
      `INSERT OR REPLACE INTO pending_requests
       (id, peer, direction, task, payload, created_at, deadline_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    getRequest: db.prepare('SELECT * FROM pending_requests WHERE id = ?'),
    deleteRequest: db.prepare('DELETE FROM pending_requests WHERE id = ?'),
    takeRequest: db.prepare('DELETE FROM pending_requests WHERE id = ? RETURNING *'),
    listRequests: db.prepare(
      `SELECT * FROM pending_requests WHERE @direction IS NULL OR direction = @direction
       ORDER BY created_at, id`,
    ),
    takeExpired: db.prepare('DELETE FROM pending_requests WHERE deadline_at <= ? RETURNING *'),
    putSettled: db.prepare(
      `INSERT OR IGNORE INTO settled_requests
       (id, peer, direction, status, result, reason, settled_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    getSettled: db.prepare('SELECT * FROM settled_requests WHERE id = ?'),
    pruneSettled: db.prepare('DELETE FROM settled_requests WHERE settled_at < ?'),
    putChannel: db.prepare(
      `INSERT OR REPLACE INTO channels (channel_id, name, skill, custom_fields, updated_at)
       VALUES (?, ?, ?, ?, ?)`,
    ),
    getChannel: db.prepare('SELECT * FROM channels WHERE channel_id = ?'),
    deleteChannel: db.prepare('DELETE FROM channels WHERE channel_id = ?'),
    listChannels: db.prepare('SELECT * FROM channels ORDER BY channel_id'),
  };

  const putSettled = (request: SettledRequest): boolean =>
    sql.putSettled.run(
      request.id,
      request.peer,
      request.direction,
      request.status,
      request.result ?? null,
      request.reason ?? null,
      request.settledAt,
    ).changes === 1;

  const admit = db.transaction((message: Parameters<StateStore['recordSeen']>[0]) => {
    const inserted = sql.insertSeen.run(
      message.messageId,
      message.conversationId,
      message.seq ?? null,
      message.time,
      now(),
    );
    if (inserted.changes === 1) return 'new' as const;
    return sql.ledgerStatus.get(message.messageId) as LedgerStatus;
  });

  const advance = db.transaction(
    (conversationId: string, position: Parameters<StateStore['advanceWatermark']>[1]) => {
      const row = sql.getWatermark.get(conversationId) as WatermarkRow | undefined;
      if (!watermarkMoves(row && toWatermark(row), position)) return false;
      sql.putWatermark.run(
        conversationId,
        position.time,
        position.seq ?? null,
        position.messageId ?? null,
        now(),
      );
      return true;
    },
  );

  const settle = db.transaction(
    (id: string, outcome: Parameters<StateStore['settlePendingRequest']>[1]) => {
      const row = sql.takeRequest.get(id) as RequestRow | undefined;
      if (!row) return false;
      putSettled({
        id,
        peer: row.peer,
        direction: row.direction,
        status: outcome.status,
        ...(outcome.result === undefined ? {} : { result: outcome.result }),
        ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
        settledAt: outcome.settledAt,
      });
      return true;
    },
  );

  let closed = false;
  /** Runs one store call: refused once closed, an SQLite error thrown as a StateStoreError. */
  const run = <T>(operation: string, fn: () => T): T => {
    if (closed) throw closedStoreError(file);
    try {
      return fn();
    } catch (error) {
      throw operationError(file, operation, error);
    }
  };

  return {
    file,

    recordSeen(message) {
      return run('recordSeen', () => admit.immediate(message));
    },

    markHandled(messageId) {
      return run('markHandled', () => sql.markHandled.run(now(), messageId).changes === 1);
    },

    markFailed(messageId, reason) {
      return run(
        'markFailed',
        () => sql.markFailed.run(now(), failureReason(reason), messageId).changes === 1,
      );
    },

    getLedgerEntry(messageId) {
      return run('getLedgerEntry', () => {
        const row = sql.getLedger.get(messageId) as LedgerRow | undefined;
        return row && toLedgerEntry(row);
      });
    },

    listUnhandled(listOptions = {}) {
      return run('listUnhandled', () =>
        (sql.listUnhandled.all(listOptions.limit ?? -1) as LedgerRow[]).map(toLedgerEntry),
      );
    },

    pruneLedger(pruneOptions) {
      return run('pruneLedger', () => {
        const { handledBefore, unhandledBefore } = pruneCutoffs(now(), pruneOptions);
        return sql.prune.run(handledBefore, unhandledBefore).changes;
      });
    },

    getLastOnline() {
      return run('getLastOnline', () => {
        const value = sql.getMeta.get(META_LAST_ONLINE) as string | undefined;
        return value === undefined ? undefined : Number(value);
      });
    },

    setLastOnline(time) {
      run('setLastOnline', () => sql.putMeta.run(META_LAST_ONLINE, String(time)));
    },

    getWatermark(conversationId) {
      return run('getWatermark', () => {
        const row = sql.getWatermark.get(conversationId) as WatermarkRow | undefined;
        return row && toWatermark(row);
      });
    },

    advanceWatermark(conversationId, position) {
      return run('advanceWatermark', () => advance.immediate(conversationId, position));
    },

    listWatermarks() {
      return run('listWatermarks', () =>
        (sql.listWatermarks.all() as WatermarkRow[]).map(
          (r): ConversationWatermark => ({ conversationId: r.conversation_id, ...toWatermark(r) }),
        ),
      );
    },

    putPendingRequest(request) {
      run('putPendingRequest', () =>
        sql.putRequest.run(
          request.id,
          request.peer,
          request.direction,
          request.task,
          request.payload ?? null,
          request.createdAt,
          request.deadlineAt,
        ),
      );
    },

    getPendingRequest(id) {
      return run('getPendingRequest', () => {
        const row = sql.getRequest.get(id) as RequestRow | undefined;
        return row && toRequest(row);
      });
    },

    deletePendingRequest(id) {
      return run('deletePendingRequest', () => sql.deleteRequest.run(id).changes === 1);
    },

    listPendingRequests(listOptions = {}) {
      return run('listPendingRequests', () =>
        (sql.listRequests.all({ direction: listOptions.direction ?? null }) as RequestRow[]).map(
          toRequest,
        ),
      );
    },

    takeExpiredRequests(at) {
      return run('takeExpiredRequests', () =>
        (sql.takeExpired.all(at) as RequestRow[])
          .map(toRequest)
          .sort((a, b) => a.deadlineAt - b.deadlineAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      );
    },

    putSettledRequest(request) {
      return run('putSettledRequest', () => putSettled(request));
    },

    getSettledRequest(id) {
      return run('getSettledRequest', () => {
        const row = sql.getSettled.get(id) as SettledRow | undefined;
        return row && toSettled(row);
      });
    },

    settlePendingRequest(id, outcome) {
      return run('settlePendingRequest', () => settle.immediate(id, outcome));
    },

    pruneSettledRequests(pruneOptions) {
      return run(
        'pruneSettledRequests',
        () => sql.pruneSettled.run(now() - pruneOptions.olderThanMs).changes,
      );
    },

    putChannel(channel) {
      run('putChannel', () =>
        sql.putChannel.run(
          channel.channelId,
          channel.name,
          channel.skill ?? null,
          JSON.stringify(channel.customFields),
          channel.updatedAt,
        ),
      );
    },

    getChannel(channelId) {
      return run('getChannel', () => {
        const row = sql.getChannel.get(channelId) as ChannelRow | undefined;
        return row && toChannel(row);
      });
    },

    deleteChannel(channelId) {
      return run('deleteChannel', () => sql.deleteChannel.run(channelId).changes === 1);
    },

    listChannels() {
      return run('listChannels', () => (sql.listChannels.all() as ChannelRow[]).map(toChannel));
    },

    transaction(fn) {
      return run('transaction', () =>
        db
          .transaction(() => {
            const result = fn();
            if (isThenable(result)) throw asyncTransactionError();
            return result;
          })
          .immediate(),
      );
    },

    close() {
      if (closed) return;
      closed = true;
      try {
        db.close();
      } catch (error) {
        throw operationError(file, 'close', error);
      }
    },
  };
}
