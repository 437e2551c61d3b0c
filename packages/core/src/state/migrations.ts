import type Database from 'better-sqlite3';
import { StateStoreError } from '../errors/state-store-error.js';

/** One step of the state file's schema; `version` is stored in `PRAGMA user_version`. */
export interface Migration {
  /** The schema version this step produces: 1, 2, 3, ... with no gaps. */
  version: number;
  /** Changes the schema from `version - 1` to `version`. Runs inside a transaction. */
  up(db: Database.Database): void;
}

/** The value of the `app` row of the `meta` table that marks a file as clawlink's. */
export const STATE_FILE_APP = 'clawlink';

/**
 * Every schema step, oldest first. Released steps never change; a new schema is a new step
 * appended at the end.
 */
export const STATE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up(db) {
      db.exec(`
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        INSERT INTO meta (key, value) VALUES ('app', '${STATE_FILE_APP}');

        CREATE TABLE ledger (
          message_id TEXT PRIMARY KEY,
          conversation_id TEXT NOT NULL,
          seq INTEGER,
          time INTEGER NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('seen', 'handled')),
          seen_at INTEGER NOT NULL,
          handled_at INTEGER
        );
        CREATE INDEX ledger_by_status_seen_at ON ledger (status, seen_at);

        CREATE TABLE watermarks (
          conversation_id TEXT PRIMARY KEY,
          time INTEGER NOT NULL,
          seq INTEGER,
          message_id TEXT,
          updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE pending_requests (
          id TEXT PRIMARY KEY,
          peer TEXT NOT NULL,
          direction TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound')),
          task TEXT NOT NULL,
          payload TEXT,
          created_at INTEGER NOT NULL,
          deadline_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX pending_requests_by_deadline ON pending_requests (deadline_at);

        CREATE TABLE channels (
          channel_id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          skill TEXT,
          custom_fields TEXT NOT NULL,
          updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    // At-least-once ledger (a `failed` status, with when and why), settled agent requests.
    // SQLite cannot change a CHECK constraint in place, so the ledger is copied into a new
    // table, keeping its rowid order (the recording order `listUnhandled` breaks ties with).
    version: 2,
    up(db) {
      db.exec(`
        CREATE TABLE ledger_v2 (
          message_id TEXT PRIMARY KEY,
          conversation_id TEXT NOT NULL,
          seq INTEGER,
          time INTEGER NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('seen', 'handled', 'failed')),
          seen_at INTEGER NOT NULL,
          handled_at INTEGER,
          failed_at INTEGER,
          failure_reason TEXT
        );
        INSERT INTO ledger_v2 (message_id, conversation_id, seq, time, status, seen_at, handled_at)
          SELECT message_id, conversation_id, seq, time, status, seen_at, handled_at
          FROM ledger ORDER BY rowid;
        DROP TABLE ledger;
        ALTER TABLE ledger_v2 RENAME TO ledger;
        CREATE INDEX ledger_by_status_seen_at ON ledger (status, seen_at);

        CREATE TABLE settled_requests (
          id TEXT PRIMARY KEY,
          peer TEXT NOT NULL,
          direction TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound')),
          status TEXT NOT NULL CHECK (status IN ('ok', 'refused', 'failed', 'timeout')),
          result TEXT,
          reason TEXT,
          settled_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX settled_requests_by_settled_at ON settled_requests (settled_at);
      `);
    },
  },
];

/** The schema version of the newest step, i.e. what this release writes. */
export const STATE_SCHEMA_VERSION = STATE_MIGRATIONS.at(-1)?.version ?? 0;

/**
 * Brings `db` from its `user_version` up to the last of `migrations`, all steps in one
 * immediate transaction: either every step applies or the file is left as it was, and a second
 * process opening the same file at the same time waits and then finds nothing left to do.
 * Returns the versions applied. A failing step throws a `StateStoreError` naming `file`.
 */
export function applyMigrations(
  db: Database.Database,
  migrations: readonly Migration[],
  file: string,
): number[] {
  let from = 0;
  let running = 0;
  const run = db.transaction((): number[] => {
    from = db.pragma('user_version', { simple: true }) as number;
    const pending = migrations.filter((m) => m.version > from);
    for (const migration of pending) {
      running = migration.version;
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }
    return pending.map((m) => m.version);
  });
  try {
    return run.immediate();
  } catch (error) {
    const step = running === 0 ? 'could not start' : `schema ${running} failed`;
    throw new StateStoreError(
      `Could not upgrade the state file ${file} from schema ${from} (${step}); nothing was changed. Check that the disk has space, the file is writable and no other program holds it locked, then start again.`,
      { file, cause: error },
    );
  }
}

/**
 * Every schema step of a registry's shared state file (many accounts in one file): the
 * tables of an account's file with `account_key` leading every key, and an `accounts` table
 * that gives each account id its key (and holds when it was last online).
 */
export const SHARED_STATE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up(db) {
      db.exec(`
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        INSERT INTO meta (key, value) VALUES ('app', '${STATE_FILE_APP}'), ('layout', 'shared');

        CREATE TABLE accounts (
          account_key INTEGER PRIMARY KEY,
          account_id TEXT NOT NULL UNIQUE,
          last_online REAL
        );

        CREATE TABLE ledger (
          account_key INTEGER NOT NULL,
          message_id TEXT NOT NULL,
          conversation_id TEXT NOT NULL,
          seq INTEGER,
          time INTEGER NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('seen', 'handled', 'failed')),
          seen_at INTEGER NOT NULL,
          handled_at INTEGER,
          failed_at INTEGER,
          failure_reason TEXT,
          UNIQUE (account_key, message_id)
        );
        CREATE INDEX ledger_by_status_seen_at ON ledger (account_key, status, seen_at);

        CREATE TABLE watermarks (
          account_key INTEGER NOT NULL,
          conversation_id TEXT NOT NULL,
          time INTEGER NOT NULL,
          seq INTEGER,
          message_id TEXT,
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (account_key, conversation_id)
        ) WITHOUT ROWID;

        CREATE TABLE pending_requests (
          account_key INTEGER NOT NULL,
          id TEXT NOT NULL,
          peer TEXT NOT NULL,
          direction TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound')),
          task TEXT NOT NULL,
          payload TEXT,
          created_at INTEGER NOT NULL,
          deadline_at INTEGER NOT NULL,
          PRIMARY KEY (account_key, id)
        ) WITHOUT ROWID;
        CREATE INDEX pending_requests_by_deadline ON pending_requests (account_key, deadline_at);

        CREATE TABLE settled_requests (
          account_key INTEGER NOT NULL,
          id TEXT NOT NULL,
          peer TEXT NOT NULL,
          direction TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound')),
          status TEXT NOT NULL CHECK (status IN ('ok', 'refused', 'failed', 'timeout')),
          result TEXT,
          reason TEXT,
          settled_at INTEGER NOT NULL,
          PRIMARY KEY (account_key, id)
        ) WITHOUT ROWID;
        CREATE INDEX settled_requests_by_settled_at ON settled_requests (account_key, settled_at);

        CREATE TABLE channels (
          account_key INTEGER NOT NULL,
          channel_id TEXT NOT NULL,
          name TEXT NOT NULL,
          skill TEXT,
          custom_fields TEXT NOT NULL,
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (account_key, channel_id)
        ) WITHOUT ROWID;
      `);
    },
  },
];

/** The schema version of a shared state file this release writes. */
export const SHARED_STATE_SCHEMA_VERSION = SHARED_STATE_MIGRATIONS.at(-1)?.version ?? 0;
