import { createMemoryStorage } from './memory-storage.js';
import { createSqliteStorage } from './sqlite-storage.js';
import type { EmulatorStorage } from './storage.js';

/** The storage for `dbPath`: a SQLite file when given, memory otherwise. */
export function openStorage(dbPath: string | undefined): EmulatorStorage {
  return dbPath === undefined ? createMemoryStorage() : createSqliteStorage(dbPath);
}
