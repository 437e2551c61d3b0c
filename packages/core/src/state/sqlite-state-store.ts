import { chmodSync, closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
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
  PendingRequest,
  StateStore,
  Watermark,
} from './state-store.js';
import { closedStoreError, pruneCutoffs, watermarkMoves } from './state-store-rules.js';

/** Options of {@link openSqliteStateStore}. */
export interface SqliteStateStoreOptions {
  /** The account whose state this is; its file is `<stateDir>/<stateFileName(accountId)>`. */
  accountId: string;
  /** The directory of state files; default {@link defaultStateDir}. Created with mode 0700. */
  stateDir?: string;
  /** The clock for `seenAt`, `handledAt`, `updatedAt` and pruning; default `Date.now`. */
  now?: () => number;
  /** How long to wait for another connection's lock, in milliseconds; default 5000. */
  busyTimeoutMs?: number;
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

interface LedgerRow {
  message_id: string;
  conversation_id: string;
  seq: number | null;
  time: number;
  status: 'seen' | 'handled';
  seen_at: number;
  handled_at: number | null;
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
const toChannel = (r: ChannelRow): CachedChannel => ({
  channelId: r.channel_id,
  name: r.name,
  ...(r.skill === null ? {} : { skill: r.skill }),
  customFields: JSON.parse(r.custom_fields) as Record<string, string>,
  updatedAt: r.updated_at,
});

const leaveItAlone = (file: string) =>
  `clawlink has not changed it. Move it somewhere else (keep it if you want to look into it) to start this account with a fresh state, or set stateDir to another directory. File: ${file}`;

/**
 * Creates the file with mode 0600 when it does not exist, and refuses anything that exists
 * but is not a SQLite file. An empty file counts as a new database (as SQLite treats it).
 */
function prepareFile(file: string): void {
  try {
    closeSync(openSync(file, 'wx', FILE_MODE));
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new StateStoreError(
        `Could not create the state file ${file}; check that the state directory is writable, or set stateDir to another directory.`,
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
  if (stat.size === 0) return;
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
}

/** Refuses a file clawlink did not write, or one written by a newer schema. Only reads. */
function checkIdentity(db: Database.Database, file: string): void {
  let version: number;
  let tables: string[];
  let app: string | undefined;
  try {
    version = db.pragma('user_version', { simple: true }) as number;
    tables = (
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .all() as { name: string }[]
    ).map((t) => t.name);
    app = tables.includes('meta')
      ? (
          db.prepare("SELECT value FROM meta WHERE key = 'app'").get() as
            | { value: string }
            | undefined
        )?.value
      : undefined;
  } catch (error) {
    throw new StateStoreError(
      `The state file ${file} could not be read as a SQLite database (it is damaged). ${leaveItAlone(file)}`,
      { file, cause: error },
    );
  }
  if (tables.length === 0 && version === 0) return;
  if (app !== STATE_FILE_APP) {
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
}

function openDatabase(file: string, busyTimeoutMs: number): Database.Database {
  try {
    prepareFile(file);
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
      `Could not open the state file ${file}; check that it is readable and writable by this user.`,
      { file, cause: error },
    );
  }
  try {
    checkIdentity(db, file);
    if (process.platform !== 'win32' && (statSync(file).mode & 0o777) !== FILE_MODE) {
      chmodSync(file, FILE_MODE);
    }
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') {
      throw new StateStoreError(
        `The state file ${file} could not be switched to WAL mode (got "${String(mode)}"); put stateDir on a local disk.`,
        { file },
      );
    }
    db.pragma('synchronous = NORMAL');
    applyMigrations(db, STATE_MIGRATIONS, file);
    return db;
  } catch (error) {
    db.close();
    if (StateStoreError.isInstance(error)) throw error;
    throw new StateStoreError(
      `Could not prepare the state file ${file}; check that it and its directory are writable by this user.`,
      { file, cause: error },
    );
  }
}

/**
 * Opens (creating when needed) the SQLite state file of one account: WAL journal,
 * `synchronous = NORMAL`, a busy timeout, file mode 0600 (an existing file's mode is fixed)
 * in a directory created with mode 0700, schema brought up to date in one transaction.
 *
 * Throws a `StateStoreError` that names the file when it is damaged, belongs to another
 * program, or was written by a newer clawlink; such a file is never modified.
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
  const db = openDatabase(file, options.busyTimeoutMs ?? 5000);

  const sql = {
    insertSeen: db.prepare(
      `INSERT OR IGNORE INTO ledger (message_id, conversation_id, seq, time, status, seen_at)
       VALUES (?, ?, ?, ?, 'seen', ?)`,
    ),
    markHandled: db.prepare(
      `UPDATE ledger SET status = 'handled', handled_at = COALESCE(handled_at, ?)
       WHERE message_id = ?`,
    ),
    getLedger: db.prepare('SELECT * FROM ledger WHERE message_id = ?'),
    listUnhandled: db.prepare(
      "SELECT * FROM ledger WHERE status = 'seen' ORDER BY seen_at, rowid LIMIT ?",
    ),
    prune: db.prepare(
      `DELETE FROM ledger WHERE (status = 'handled' AND seen_at < ?)
       OR (status = 'seen' AND seen_at < ?)`,
    ),
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
    listRequests: db.prepare(
      `SELECT * FROM pending_requests WHERE @direction IS NULL OR direction = @direction
       ORDER BY created_at, id`,
    ),
    takeExpired: db.prepare('DELETE FROM pending_requests WHERE deadline_at <= ? RETURNING *'),
    putChannel: db.prepare(
      `INSERT OR REPLACE INTO channels (channel_id, name, skill, custom_fields, updated_at)
       VALUES (?, ?, ?, ?, ?)`,
    ),
    getChannel: db.prepare('SELECT * FROM channels WHERE channel_id = ?'),
    deleteChannel: db.prepare('DELETE FROM channels WHERE channel_id = ?'),
    listChannels: db.prepare('SELECT * FROM channels ORDER BY channel_id'),
  };

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

  let closed = false;
  const open = (): void => {
    if (closed) throw closedStoreError(file);
  };

  return {
    file,

    recordSeen(message) {
      open();
      const result = sql.insertSeen.run(
        message.messageId,
        message.conversationId,
        message.seq ?? null,
        message.time,
        now(),
      );
      return result.changes === 1;
    },

    markHandled(messageId) {
      open();
      return sql.markHandled.run(now(), messageId).changes === 1;
    },

    getLedgerEntry(messageId) {
      open();
      const row = sql.getLedger.get(messageId) as LedgerRow | undefined;
      return row && toLedgerEntry(row);
    },

    listUnhandled(listOptions = {}) {
      open();
      return (sql.listUnhandled.all(listOptions.limit ?? -1) as LedgerRow[]).map(toLedgerEntry);
    },

    pruneLedger(pruneOptions) {
      open();
      const { handledBefore, unhandledBefore } = pruneCutoffs(now(), pruneOptions);
      return sql.prune.run(handledBefore, unhandledBefore).changes;
    },

    getWatermark(conversationId) {
      open();
      const row = sql.getWatermark.get(conversationId) as WatermarkRow | undefined;
      return row && toWatermark(row);
    },

    advanceWatermark(conversationId, position) {
      open();
      return advance.immediate(conversationId, position);
    },

    listWatermarks() {
      open();
      return (sql.listWatermarks.all() as WatermarkRow[]).map(
        (r): ConversationWatermark => ({ conversationId: r.conversation_id, ...toWatermark(r) }),
      );
    },

    putPendingRequest(request) {
      open();
      sql.putRequest.run(
        request.id,
        request.peer,
        request.direction,
        request.task,
        request.payload ?? null,
        request.createdAt,
        request.deadlineAt,
      );
    },

    getPendingRequest(id) {
      open();
      const row = sql.getRequest.get(id) as RequestRow | undefined;
      return row && toRequest(row);
    },

    deletePendingRequest(id) {
      open();
      return sql.deleteRequest.run(id).changes === 1;
    },

    listPendingRequests(listOptions = {}) {
      open();
      return (
        sql.listRequests.all({ direction: listOptions.direction ?? null }) as RequestRow[]
      ).map(toRequest);
    },

    takeExpiredRequests(at) {
      open();
      return (sql.takeExpired.all(at) as RequestRow[])
        .map(toRequest)
        .sort((a, b) => a.deadlineAt - b.deadlineAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },

    putChannel(channel) {
      open();
      sql.putChannel.run(
        channel.channelId,
        channel.name,
        channel.skill ?? null,
        JSON.stringify(channel.customFields),
        channel.updatedAt,
      );
    },

    getChannel(channelId) {
      open();
      const row = sql.getChannel.get(channelId) as ChannelRow | undefined;
      return row && toChannel(row);
    },

    deleteChannel(channelId) {
      open();
      return sql.deleteChannel.run(channelId).changes === 1;
    },

    listChannels() {
      open();
      return (sql.listChannels.all() as ChannelRow[]).map(toChannel);
    },

    close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
