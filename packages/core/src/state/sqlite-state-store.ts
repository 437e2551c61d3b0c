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
import { ConfigError } from '../errors/config-error.js';
import { StateStoreError } from '../errors/state-store-error.js';
import {
  isTooManyOpenFiles,
  outOfFileDescriptors,
  tooManyOpenFilesAdvice,
} from '../errors/too-many-open-files.js';
import {
  applyMigrations,
  type Migration,
  SHARED_STATE_MIGRATIONS,
  SHARED_STATE_SCHEMA_VERSION,
  STATE_FILE_APP,
  STATE_MIGRATIONS,
  STATE_SCHEMA_VERSION,
} from './migrations.js';
import { createSqliteStoreView } from './sqlite-store-view.js';
import { defaultStateDir, stateFileName } from './state-file.js';
import type { StateStore } from './state-store.js';
import { createStoreOpenedAtFirstWrite } from './store-opened-at-first-write.js';
import {
  createWriteBatch,
  DEFAULT_BATCH_WINDOW_MS,
  type WriteBatch,
  type WriteBatchOptions,
} from './write-batch.js';

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
  /**
   * Whether writes are grouped into one transaction per burst (default `true`; see
   * {@link batchWindowMs}); `false` commits each write before it returns. See
   * {@link StateStore.flush} for what a crash keeps.
   */
  batchWrites?: boolean;
  /**
   * How long a batch of writes stays open after its first write before it is committed, in
   * milliseconds; default {@link DEFAULT_BATCH_WINDOW_MS} (100). 0 commits it when the
   * event-loop turn of its first write ends. `flush`, `transaction` and `close` commit it
   * earlier. A crash loses at most the writes of this window (see {@link StateStore.flush}).
   */
  batchWindowMs?: number;
  /**
   * Whether a new state file (missing, or empty) is created and gets its database at the
   * store's first write instead of now (default `false`). The state directory is created and
   * checked now, and an existing file is opened, and refused when damaged, now as always; what
   * waits is only the work on a file that holds nothing yet (creating it 0600, WAL mode, the
   * schema, two more files and three descriptors), which a registry starting thousands of new
   * accounts would otherwise do for all of them before the first is ready. Until the first
   * write the store answers as the empty store it is.
   */
  openAtFirstWrite?: boolean;
}

/**
 * What a state file holds: one account (the default, `<stateDir>/<account>.sqlite`) or many
 * (a registry's shared state file, rows keyed by account). @internal
 */
export type StateFileLayout = { kind: 'account'; accountId: string } | { kind: 'shared' };

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
const SIDE_FILES = ['-wal', '-shm'];
// Rows of the `meta` table (besides `app`): the account the file belongs to, as JSON (exact
// even for ids that are not well-formed UTF-16), and when the account was last online.
// A shared file has a `layout` row (`shared`) instead, and its accounts in a table.
const META_ACCOUNT = 'account';
const META_LAYOUT = 'layout';

const migrationsOf = (layout: StateFileLayout): readonly Migration[] =>
  layout.kind === 'shared' ? SHARED_STATE_MIGRATIONS : STATE_MIGRATIONS;
const schemaVersionOf = (layout: StateFileLayout): number =>
  layout.kind === 'shared' ? SHARED_STATE_SCHEMA_VERSION : STATE_SCHEMA_VERSION;

/** A `StateStoreError` saying the process ran out of file descriptors opening `file`. */
function tooManyOpenFiles(file: string, cause: unknown, operation?: string): StateStoreError {
  return new StateStoreError(
    `${tooManyOpenFilesAdvice(`the state file ${file} could not be opened`)} The file is not damaged.`,
    { file, cause, ...(operation === undefined ? {} : { operation }) },
  );
}

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
export function operationError(file: string, operation: string, error: unknown): unknown {
  if (StateStoreError.isInstance(error) || !(error instanceof Database.SqliteError)) return error;
  // SQLite opens the -wal and -shm on first use; their EMFILE shows as CANTOPEN or IOERR.
  if (/^SQLITE_(CANTOPEN|IOERR)/.test(error.code) && outOfFileDescriptors()) {
    return tooManyOpenFiles(file, error, operation);
  }
  if (operation === 'commit') {
    return new StateStoreError(
      `The state store ${file} could not commit its last batch of writes (${error.code}: ${error.message}); they are lost, so messages recorded or marked handled in it are delivered again after a restart. ${adviceFor(error.code)}`,
      { file, operation, cause: error },
    );
  }
  return new StateStoreError(
    `The state store ${file} failed in ${operation} (${error.code}: ${error.message}). ${adviceFor(error.code)}`,
    { file, operation, cause: error },
  );
}

/** A directory where the state file and its WAL files cannot be created. */
function cannotWriteDir(file: string): StateStoreError | undefined {
  const dir = path.dirname(file);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (error) {
    return new StateStoreError(
      `The state directory ${dir} cannot be written by this user, and clawlink must write there (the state file and its -wal and -shm files beside it). The state file is not damaged and clawlink has not changed it. Make the directory writable by this user, or set stateDir to a writable directory.`,
      { file, cause: error },
    );
  }
}

/** A readable file we may not write, or a directory where SQLite cannot create its WAL files. */
function cannotWrite(file: string): StateStoreError | undefined {
  const dirProblem = cannotWriteDir(file);
  if (dirProblem) return dirProblem;
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
    if (isTooManyOpenFiles(error)) throw tooManyOpenFiles(file, error);
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
function inspect(file: string, layout: StateFileLayout, busyTimeoutMs: number): void {
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
    if (isTooManyOpenFiles(error) || outOfFileDescriptors()) throw tooManyOpenFiles(file, error);
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
  const shared = meta.get(META_LAYOUT) === 'shared';
  if (shared !== (layout.kind === 'shared')) {
    throw new StateStoreError(
      shared
        ? `The state file ${file} is a registry's shared state file (many accounts in one file), not one account's. clawlink has not changed it. Open it through AccountRegistry's sharedStateFile option, or set stateDir to another directory.`
        : `The state file ${file} is one account's state file, not a shared one. clawlink has not changed it. Give sharedStateFile another path.`,
      { file },
    );
  }
  const newest = schemaVersionOf(layout);
  if (version > newest) {
    throw new StateStoreError(
      `The state file ${file} was written by a newer clawlink (schema ${version}; this version reads up to schema ${newest}). Upgrade @clawlink/core and the clawlink packages you use, then start again; keep the file, it holds this account's message ledger.`,
      { file },
    );
  }
  const owner = meta.get(META_ACCOUNT);
  if (
    layout.kind === 'account' &&
    owner !== undefined &&
    owner !== JSON.stringify(layout.accountId)
  ) {
    const id = JSON.stringify(layout.accountId);
    throw new StateStoreError(
      `The state file ${file} belongs to account ${owner}, not to ${id} (it was copied or renamed). clawlink has not changed it. Put it back under that account's name, or move it away to start ${id} with a fresh state.`,
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

/**
 * Creates the file (0600) when missing and refuses it untouched when it is not a clawlink file
 * of `layout` (see {@link inspect}); tightens the modes of a file readable by others. Returns
 * whether the file is new (holds nothing yet).
 */
function checkStateFile(file: string, layout: StateFileLayout, busyTimeoutMs: number): boolean {
  try {
    const fresh = prepareFile(file);
    if (!fresh) inspect(file, layout, busyTimeoutMs);
    // Before the first read-write connection, so SQLite creates any WAL file 0600 too.
    tightenModes(file);
    return fresh;
  } catch (error) {
    if (StateStoreError.isInstance(error)) throw error;
    if (isTooManyOpenFiles(error)) throw tooManyOpenFiles(file, error);
    throw new StateStoreError(
      `Could not read the state file ${file}; check that it is readable and writable by this user.`,
      { file, cause: error },
    );
  }
}

/**
 * Opens a state file of `layout` read-write (created 0600 when missing, refused untouched when
 * it is not a clawlink file of that layout), WAL, schema up to date. @internal
 */
export function openStateDatabase(
  file: string,
  layout: StateFileLayout,
  busyTimeoutMs: number,
): Database.Database {
  checkStateFile(file, layout, busyTimeoutMs);
  return connectStateDatabase(file, layout, busyTimeoutMs);
}

/** Opens a checked state file ({@link checkStateFile}) read-write: WAL, schema up to date. */
function connectStateDatabase(
  file: string,
  layout: StateFileLayout,
  busyTimeoutMs: number,
): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: true, timeout: busyTimeoutMs });
  } catch (error) {
    if (outOfFileDescriptors()) throw tooManyOpenFiles(file, error);
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
    applyMigrations(db, migrationsOf(layout), file);
    if (layout.kind === 'account') {
      db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(
        META_ACCOUNT,
        JSON.stringify(layout.accountId),
      );
    }
    return db;
  } catch (error) {
    // Probed before closing: the close frees descriptors.
    const exhausted = outOfFileDescriptors();
    db.close();
    if (exhausted) throw tooManyOpenFiles(file, error);
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
 * Writes are batched (unless `batchWrites: false`): every write of a burst goes into one
 * transaction, committed `batchWindowMs` (100) after its first write, by
 * {@link StateStore.flush}, by {@link StateStore.transaction}, by `close` or as the process
 * exits (also by `process.exit()`, except in the middle of a transaction). A crash loses at
 * most the writes of the batch it interrupts, never an older one nor a later one without it,
 * so the file is always as an unbatched store would have left it a moment earlier: a message
 * marked handled and flushed is never delivered again, one not handled always is.
 *
 * Throws a `StateStoreError` that names the file and says what to do when the file is
 * damaged (`PRAGMA quick_check`), belongs to another program or to another account, was
 * written by a newer clawlink, is read-only (mode without owner write: clawlink refuses it
 * rather than change a mode you set), or when it or its directory cannot be written; when
 * the process is out of file descriptors (EMFILE/ENFILE), its message starts with
 * "too many open files: raise ulimit -n". A refused file is inspected read-only and never
 * modified, nor is its -wal. With `openAtFirstWrite`, a new file gets its database at the
 * first write (an error then is thrown by that write). Throws a `ConfigError` for a
 * `batchWindowMs` that is not a number >= 0, before touching any file.
 */
export function openSqliteStateStore(options: SqliteStateStoreOptions): StateStore {
  const batching = batchingOf(options);
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
  const layout: StateFileLayout = { kind: 'account', accountId: options.accountId };
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const openNow = () =>
    storeOver(file, openStateDatabase(file, layout, busyTimeoutMs), options, batching);
  if (!options.openAtFirstWrite) return openNow();
  // A missing file is created by its first write, where it is checked like any other (another
  // process may have written it meanwhile): creating a file costs about 0.5 ms of synchronous
  // work here, which a registry starting thousands of new accounts would do for each.
  if (!existsSync(file) && !existsSync(`${file}-wal`)) {
    const problem = cannotWriteDir(file);
    if (problem) throw problem;
    return createStoreOpenedAtFirstWrite(file, openNow);
  }
  // An empty file waits the same way; an existing one is opened now, checked once.
  if (checkStateFile(file, layout, busyTimeoutMs)) {
    return createStoreOpenedAtFirstWrite(file, openNow);
  }
  return storeOver(file, connectStateDatabase(file, layout, busyTimeoutMs), options, batching);
}

/** The store of one account's file over its open connection `db`. */
function storeOver(
  file: string,
  db: Database.Database,
  options: SqliteStateStoreOptions,
  batching: ReturnType<typeof batchingOf>,
): StateStore {
  const describe = (operation: string, error: unknown) => operationError(file, operation, error);
  const batch = createWriteBatch(db, { ...batching, describe });
  return createSqliteStoreView(db, {
    file,
    now: options.now ?? Date.now,
    batch,
    scope: { kind: 'file' },
    describe,
    onClose: () => closeStateDatabase(file, db, batch),
  });
}

/** The batching options of a store or shared file, with their defaults; checked. @internal */
export function batchingOf(options: {
  batchWrites?: boolean;
  batchWindowMs?: number;
}): Omit<WriteBatchOptions, 'describe'> {
  const windowMs = options.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS;
  if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs < 0) {
    throw new ConfigError('state store options', [
      {
        path: 'batchWindowMs',
        message: `must be a number of milliseconds >= 0 (0 commits at the end of each event-loop turn); got ${JSON.stringify(options.batchWindowMs)}`,
      },
    ]);
  }
  return { batched: options.batchWrites ?? true, windowMs };
}

/**
 * Commits what `batch` holds, then closes `db` even when the commit failed; throws the first
 * failure (the commit's, else the close's, naming `file`). @internal
 */
export function closeStateDatabase(file: string, db: Database.Database, batch: WriteBatch): void {
  let failure: unknown;
  try {
    batch.flush();
  } catch (error) {
    failure = error;
  }
  try {
    db.close();
  } catch (error) {
    failure ??= operationError(file, 'close', error);
  }
  if (failure !== undefined) throw failure;
}
