import type Database from 'better-sqlite3';
import type {
  CachedChannel,
  ConversationWatermark,
  LedgerAdmission,
  LedgerEntry,
  LedgerStatus,
  PendingRequest,
  SettledRequest,
  StateStore,
  Watermark,
  WatermarkPosition,
} from './state-store.js';
import {
  closedStoreError,
  failureReason,
  pruneCutoffs,
  watermarkMoves,
} from './state-store-rules.js';
import type { HeldWrites, WriteBatch } from './write-batch.js';

// The StateStore methods over one SQLite connection: either a whole per-account file, or the
// rows of one account in a shared file (every table then leads with `account_key`). Internal.

/** Which rows a view reads and writes. */
export type ViewScope =
  /** A per-account file: every row is the account's; `last_online` is a row of `meta`. */
  | { kind: 'file' }
  /** A shared file: the rows whose `account_key` is `key`; `last_online` is in `accounts`. */
  | { kind: 'account'; key: number };

/** What {@link createSqliteStoreView} needs. */
export interface SqliteStoreViewOptions {
  /** The file, for `store.file` and error messages. */
  file: string;
  /** The store clock. */
  now: () => number;
  /** The connection's write batching (shared by every view of the connection). */
  batch: WriteBatch;
  scope: ViewScope;
  /** Turns an SQLite error into the `StateStoreError` callers see. */
  describe: (operation: string, error: unknown) => unknown;
  /** Called once when the view is closed (a per-account file closes its connection). */
  onClose: () => void;
}

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

/** The `meta` row of a per-account file that holds when the account was last online. */
const META_LAST_ONLINE = 'last_online';

/**
 * The SQL of every store call. In an account scope each statement also matches (and each
 * insert also writes) `account_key = @account`; named parameters a statement does not use
 * are ignored, so every call binds `account` either way.
 */
function statementsFor(scoped: boolean) {
  const where = scoped ? 'account_key = @account AND ' : '';
  const col = scoped ? 'account_key, ' : '';
  const val = scoped ? '@account, ' : '';
  return {
    insertSeen: `INSERT OR IGNORE INTO ledger
      (${col}message_id, conversation_id, seq, time, status, seen_at)
      VALUES (${val}@messageId, @conversationId, @seq, @time, 'seen', @now)`,
    insertHeld: `INSERT OR IGNORE INTO ledger
      (${col}message_id, conversation_id, seq, time, status, seen_at, handled_at, failed_at,
        failure_reason)
      VALUES (${val}@message_id, @conversation_id, @seq, @time, @status, @seen_at, @handled_at,
        @failed_at, @failure_reason)`,
    ledgerStatus: `SELECT status FROM ledger WHERE ${where}message_id = @messageId`,
    markHandled: `UPDATE ledger SET status = 'handled', handled_at = COALESCE(handled_at, @now)
      WHERE ${where}message_id = @messageId AND status != 'failed'`,
    markFailed: `UPDATE ledger SET status = 'failed', failed_at = COALESCE(failed_at, @now),
      failure_reason = COALESCE(failure_reason, @reason)
      WHERE ${where}message_id = @messageId AND status != 'handled'`,
    getLedger: `SELECT * FROM ledger WHERE ${where}message_id = @messageId`,
    listUnhandled: `SELECT * FROM ledger WHERE ${where}status = 'seen'
      ORDER BY seen_at, rowid LIMIT @limit`,
    prune: `DELETE FROM ledger WHERE ${where}(
      (status IN ('handled', 'failed') AND seen_at < @handledBefore)
      OR (status = 'seen' AND seen_at < @unhandledBefore))`,
    getLastOnline: scoped
      ? 'SELECT last_online FROM accounts WHERE account_key = @account'
      : `SELECT value FROM meta WHERE key = '${META_LAST_ONLINE}'`,
    setLastOnline: scoped
      ? 'UPDATE accounts SET last_online = @time WHERE account_key = @account'
      : `INSERT OR REPLACE INTO meta (key, value) VALUES ('${META_LAST_ONLINE}', @text)`,
    getWatermark: `SELECT * FROM watermarks WHERE ${where}conversation_id = @conversationId`,
    putWatermark: `INSERT OR REPLACE INTO watermarks
      (${col}conversation_id, time, seq, message_id, updated_at)
      VALUES (${val}@conversationId, @time, @seq, @messageId, @now)`,
    listWatermarks: `SELECT * FROM watermarks ${scoped ? 'WHERE account_key = @account' : ''}
      ORDER BY conversation_id`,
    putRequest: `INSERT OR REPLACE INTO pending_requests
      (${col}id, peer, direction, task, payload, created_at, deadline_at)
      VALUES (${val}@id, @peer, @direction, @task, @payload, @createdAt, @deadlineAt)`,
    getRequest: `SELECT * FROM pending_requests WHERE ${where}id = @id`,
    deleteRequest: `DELETE FROM pending_requests WHERE ${where}id = @id`,
    takeRequest: `DELETE FROM pending_requests WHERE ${where}id = @id RETURNING *`,
    listRequests: `SELECT * FROM pending_requests
      WHERE ${where}(@direction IS NULL OR direction = @direction) ORDER BY created_at, id`,
    takeExpired: `DELETE FROM pending_requests WHERE ${where}deadline_at <= @at RETURNING *`,
    putSettled: `INSERT OR IGNORE INTO settled_requests
      (${col}id, peer, direction, status, result, reason, settled_at)
      VALUES (${val}@id, @peer, @direction, @status, @result, @reason, @settledAt)`,
    getSettled: `SELECT * FROM settled_requests WHERE ${where}id = @id`,
    pruneSettled: `DELETE FROM settled_requests WHERE ${where}settled_at < @before`,
    putChannel: `INSERT OR REPLACE INTO channels
      (${col}channel_id, name, skill, custom_fields, updated_at)
      VALUES (${val}@channelId, @name, @skill, @customFields, @updatedAt)`,
    getChannel: `SELECT * FROM channels WHERE ${where}channel_id = @channelId`,
    deleteChannel: `DELETE FROM channels WHERE ${where}channel_id = @channelId`,
    listChannels: `SELECT * FROM channels ${scoped ? 'WHERE account_key = @account' : ''}
      ORDER BY channel_id`,
  };
}

type StatementName = keyof ReturnType<typeof statementsFor>;
type Statements = Record<StatementName, Database.Statement>;

/** `db`'s entry of a per-connection map (created empty on first use). */
function ofConnection<K, V>(
  perConnection: WeakMap<Database.Database, Map<K, V>>,
  db: Database.Database,
): Map<K, V> {
  let entries = perConnection.get(db);
  if (!entries) {
    entries = new Map();
    perConnection.set(db, entries);
  }
  return entries;
}

/**
 * The statements of `db` for one scope kind, shared by every view of the connection and
 * each prepared on first use (a store that never lists channels never compiles that SQL:
 * opening thousands of accounts' files stays cheap).
 */
const prepared = new WeakMap<Database.Database, Map<boolean, Statements>>();
const PLUCKED: ReadonlySet<StatementName> = new Set(['ledgerStatus', 'getLastOnline']);
function statements(db: Database.Database, scoped: boolean): Statements {
  const byKind = ofConnection(prepared, db);
  let sql = byKind.get(scoped);
  if (!sql) {
    const text = statementsFor(scoped);
    const cache = new Map<StatementName, Database.Statement>();
    sql = {} as Statements;
    for (const name of Object.keys(text) as StatementName[]) {
      Object.defineProperty(sql, name, {
        get() {
          let statement = cache.get(name);
          if (!statement) {
            statement = db.prepare(text[name]);
            if (PLUCKED.has(name)) statement.pluck();
            cache.set(name, statement);
          }
          return statement;
        },
      });
    }
    byKind.set(scoped, sql);
  }
  return sql;
}

/**
 * The ledger rows and watermarks of one scope (an account's file, or an account of a shared
 * file) written while a batch is open: held in memory and written together when the batch
 * commits, so a message seen and handled within one batch costs one row write, and a
 * conversation's watermark one write per batch. Also the scope's channels as last read
 * committed, so the pipeline's lookup for every message costs no query (only the scope writes
 * them, and each write forgets its channel). Shared by every view of the scope on the connection,
 * so they all see the same state.
 */
interface HeldScope extends HeldWrites {
  /** Ledger rows by message id, as the table will hold them. */
  readonly rows: Map<string, LedgerRow>;
  readonly watermarks: Map<string, Watermark>;
  readonly channels: Map<string, CachedChannel>;
  /** The connection's {@link WriteBatch.losses} when `channels` was last valid. */
  channelsAsOf: number;
}

const heldScopes = new WeakMap<Database.Database, Map<number | null, HeldScope>>();
function heldScope(db: Database.Database, sql: Statements, account: number | null): HeldScope {
  const byAccount = ofConnection(heldScopes, db);
  let scope = byAccount.get(account);
  if (!scope) {
    const rows = new Map<string, LedgerRow>();
    const watermarks = new Map<string, Watermark>();
    scope = {
      rows,
      watermarks,
      channels: new Map(),
      channelsAsOf: 0,
      write() {
        const heldRows = [...rows.values()];
        const heldWatermarks = [...watermarks];
        rows.clear();
        watermarks.clear();
        // Checked absent when held, and only the scope's held rows are written meanwhile.
        for (const row of heldRows) sql.insertHeld.run({ account, ...row });
        for (const [conversationId, mark] of heldWatermarks) {
          sql.putWatermark.run(watermarkRow(account, conversationId, mark, mark.updatedAt));
        }
      },
      discard() {
        rows.clear();
        watermarks.clear();
      },
    };
    byAccount.set(account, scope);
  }
  return scope;
}

/** The `putWatermark` parameters of a conversation's watermark at `position`. */
const watermarkRow = (
  account: number | null,
  conversationId: string,
  position: WatermarkPosition,
  updatedAt: number,
) => ({
  account,
  conversationId,
  time: position.time,
  seq: position.seq ?? null,
  messageId: position.messageId ?? null,
  now: updatedAt,
});

/** A {@link StateStore} over `db`, reading and writing the rows of `options.scope`. */
export function createSqliteStoreView(
  db: Database.Database,
  options: SqliteStoreViewOptions,
): StateStore {
  const { file, now, batch, scope } = options;
  const sql = statements(db, scope.kind === 'account');
  const account = scope.kind === 'account' ? scope.key : null;

  const putSettled = (request: SettledRequest): boolean =>
    sql.putSettled.run({
      account,
      id: request.id,
      peer: request.peer,
      direction: request.direction,
      status: request.status,
      result: request.result ?? null,
      reason: request.reason ?? null,
      settledAt: request.settledAt,
    }).changes === 1;

  const held = heldScope(db, sql, account);
  /**
   * Writes what the scope holds into the open batch now: before a statement that reads or
   * writes more than one held row (a listing, a prune, a transaction of the caller's).
   */
  const release = (): void => {
    if (held.rows.size > 0 || held.watermarks.size > 0) batch.write(() => held.write());
  };

  // Inside a transaction a compound write needs no savepoint of its own: nothing runs between
  // its statements on this connection. Only a write committed on its own is wrapped in one.
  const admitNow = (message: Parameters<StateStore['recordSeen']>[0]): LedgerAdmission => {
    const inserted = sql.insertSeen.run({
      account,
      messageId: message.messageId,
      conversationId: message.conversationId,
      seq: message.seq ?? null,
      time: message.time,
      now: now(),
    });
    if (inserted.changes === 1) return 'new';
    return sql.ledgerStatus.get({ account, messageId: message.messageId }) as LedgerStatus;
  };
  const admitAlone = db.transaction(admitNow);
  /** recordSeen while writes are held: a new row waits in memory for the batch's commit. */
  const admitHeld = (message: Parameters<StateStore['recordSeen']>[0]): LedgerAdmission => {
    const row = held.rows.get(message.messageId);
    if (row) return row.status;
    const status = sql.ledgerStatus.get({ account, messageId: message.messageId }) as
      | LedgerStatus
      | undefined;
    if (status !== undefined) return status;
    held.rows.set(message.messageId, {
      message_id: message.messageId,
      conversation_id: message.conversationId,
      seq: message.seq ?? null,
      time: message.time,
      status: 'seen',
      seen_at: now(),
      handled_at: null,
      failed_at: null,
      failure_reason: null,
    });
    batch.hold(held);
    return 'new';
  };

  const currentWatermark = (conversationId: string): Watermark | undefined => {
    const mark = held.watermarks.get(conversationId);
    if (mark) return mark;
    const row = sql.getWatermark.get({ account, conversationId }) as WatermarkRow | undefined;
    return row && toWatermark(row);
  };
  const advanceNow = (
    conversationId: string,
    position: Parameters<StateStore['advanceWatermark']>[1],
  ): boolean => {
    if (!watermarkMoves(currentWatermark(conversationId), position)) return false;
    sql.putWatermark.run(watermarkRow(account, conversationId, position, now()));
    return true;
  };
  const advanceAlone = db.transaction(advanceNow);
  const advanceHeld = (
    conversationId: string,
    position: Parameters<StateStore['advanceWatermark']>[1],
  ): boolean => {
    if (!watermarkMoves(currentWatermark(conversationId), position)) return false;
    held.watermarks.set(conversationId, {
      time: position.time,
      seq: position.seq,
      messageId: position.messageId,
      updatedAt: now(),
    });
    batch.hold(held);
    return true;
  };

  const settle = db.transaction(
    (id: string, outcome: Parameters<StateStore['settlePendingRequest']>[1]) => {
      const row = sql.takeRequest.get({ account, id }) as RequestRow | undefined;
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
  /** Runs one read: refused once closed, an SQLite error thrown as a StateStoreError. */
  const read = <T>(operation: string, fn: () => T): T => {
    if (closed) throw closedStoreError(file);
    try {
      return fn();
    } catch (error) {
      throw options.describe(operation, error);
    }
  };
  /** Runs one write, in the open batch when batching is on. */
  const write = <T>(operation: string, fn: () => T): T => read(operation, () => batch.write(fn));

  return {
    file,

    recordSeen(message) {
      return read('recordSeen', () => {
        if (batch.deferring()) return admitHeld(message);
        return batch.write(() =>
          db.inTransaction ? admitNow(message) : admitAlone.immediate(message),
        );
      });
    },

    markHandled(messageId) {
      const row = held.rows.get(messageId);
      if (row && read('markHandled', () => batch.deferring())) {
        if (row.status === 'failed') return false;
        row.status = 'handled';
        row.handled_at ??= now();
        return true;
      }
      return write(
        'markHandled',
        () => sql.markHandled.run({ account, messageId, now: now() }).changes === 1,
      );
    },

    markFailed(messageId, reason) {
      const row = held.rows.get(messageId);
      if (row && read('markFailed', () => batch.deferring())) {
        if (row.status === 'handled') return false;
        row.status = 'failed';
        row.failed_at ??= now();
        row.failure_reason ??= failureReason(reason);
        return true;
      }
      return write(
        'markFailed',
        () =>
          sql.markFailed.run({ account, messageId, now: now(), reason: failureReason(reason) })
            .changes === 1,
      );
    },

    getLedgerEntry(messageId) {
      return read('getLedgerEntry', () => {
        const heldRow = held.rows.get(messageId);
        if (heldRow) return toLedgerEntry(heldRow);
        const row = sql.getLedger.get({ account, messageId }) as LedgerRow | undefined;
        return row && toLedgerEntry(row);
      });
    },

    listUnhandled(listOptions = {}) {
      return read('listUnhandled', () => {
        release();
        return (
          sql.listUnhandled.all({ account, limit: listOptions.limit ?? -1 }) as LedgerRow[]
        ).map(toLedgerEntry);
      });
    },

    pruneLedger(pruneOptions) {
      return write('pruneLedger', () => {
        release();
        const { handledBefore, unhandledBefore } = pruneCutoffs(now(), pruneOptions);
        return sql.prune.run({ account, handledBefore, unhandledBefore }).changes;
      });
    },

    getLastOnline() {
      return read('getLastOnline', () => {
        const value = sql.getLastOnline.get({ account }) as number | string | null | undefined;
        return value === undefined || value === null ? undefined : Number(value);
      });
    },

    setLastOnline(time) {
      write('setLastOnline', () => sql.setLastOnline.run({ account, time, text: String(time) }));
    },

    getWatermark(conversationId) {
      return read('getWatermark', () => {
        const mark = currentWatermark(conversationId);
        return mark && { ...mark };
      });
    },

    advanceWatermark(conversationId, position) {
      return read('advanceWatermark', () => {
        if (batch.deferring()) return advanceHeld(conversationId, position);
        return batch.write(() =>
          db.inTransaction
            ? advanceNow(conversationId, position)
            : advanceAlone.immediate(conversationId, position),
        );
      });
    },

    listWatermarks() {
      return read('listWatermarks', () => {
        release();
        return (sql.listWatermarks.all({ account }) as WatermarkRow[]).map(
          (r): ConversationWatermark => ({ conversationId: r.conversation_id, ...toWatermark(r) }),
        );
      });
    },

    putPendingRequest(request) {
      write('putPendingRequest', () =>
        sql.putRequest.run({
          account,
          id: request.id,
          peer: request.peer,
          direction: request.direction,
          task: request.task,
          payload: request.payload ?? null,
          createdAt: request.createdAt,
          deadlineAt: request.deadlineAt,
        }),
      );
    },

    getPendingRequest(id) {
      return read('getPendingRequest', () => {
        const row = sql.getRequest.get({ account, id }) as RequestRow | undefined;
        return row && toRequest(row);
      });
    },

    deletePendingRequest(id) {
      return write(
        'deletePendingRequest',
        () => sql.deleteRequest.run({ account, id }).changes === 1,
      );
    },

    listPendingRequests(listOptions = {}) {
      return read('listPendingRequests', () =>
        (
          sql.listRequests.all({
            account,
            direction: listOptions.direction ?? null,
          }) as RequestRow[]
        ).map(toRequest),
      );
    },

    takeExpiredRequests(at) {
      return write('takeExpiredRequests', () =>
        (sql.takeExpired.all({ account, at }) as RequestRow[])
          .map(toRequest)
          .sort((a, b) => a.deadlineAt - b.deadlineAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      );
    },

    putSettledRequest(request) {
      return write('putSettledRequest', () => putSettled(request));
    },

    getSettledRequest(id) {
      return read('getSettledRequest', () => {
        const row = sql.getSettled.get({ account, id }) as SettledRow | undefined;
        return row && toSettled(row);
      });
    },

    settlePendingRequest(id, outcome) {
      return write('settlePendingRequest', () => settle.immediate(id, outcome));
    },

    pruneSettledRequests(pruneOptions) {
      return write(
        'pruneSettledRequests',
        () => sql.pruneSettled.run({ account, before: now() - pruneOptions.olderThanMs }).changes,
      );
    },

    putChannel(channel) {
      write('putChannel', () => {
        held.channels.delete(channel.channelId);
        sql.putChannel.run({
          account,
          channelId: channel.channelId,
          name: channel.name,
          skill: channel.skill ?? null,
          customFields: JSON.stringify(channel.customFields),
          updatedAt: channel.updatedAt,
        });
      });
    },

    getChannel(channelId) {
      return read('getChannel', () => {
        // A batch lost by a failed commit may have held what was cached.
        if (held.channelsAsOf !== batch.losses()) {
          held.channels.clear();
          held.channelsAsOf = batch.losses();
        }
        let channel = held.channels.get(channelId);
        if (!channel) {
          const row = sql.getChannel.get({ account, channelId }) as ChannelRow | undefined;
          if (!row) return undefined;
          channel = toChannel(row);
          // Not what a caller's transaction wrote: it may yet be rolled back.
          if (!batch.transacting()) held.channels.set(channelId, channel);
        }
        // A copy: the caller may change what it gets.
        return { ...channel, customFields: { ...channel.customFields } };
      });
    },

    deleteChannel(channelId) {
      return write('deleteChannel', () => {
        held.channels.delete(channelId);
        return sql.deleteChannel.run({ account, channelId }).changes === 1;
      });
    },

    listChannels() {
      return read('listChannels', () =>
        (sql.listChannels.all({ account }) as ChannelRow[]).map(toChannel),
      );
    },

    transaction(fn) {
      // The transaction commits the open batch first, with what every scope holds.
      return read('transaction', () => batch.transaction(fn));
    },

    flush() {
      read('flush', () => batch.flush());
    },

    close() {
      if (closed) return;
      // Into the open batch, which the connection commits (a shared file's other accounts may
      // go on using it).
      try {
        release();
      } finally {
        closed = true;
        options.onClose();
      }
    },
  };
}
