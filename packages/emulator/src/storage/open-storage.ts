import { createMemoryStorage } from './memory-storage.js';
import type { EmulatorStorage } from './storage.js';

/** The storage for `dbPath`: memory when omitted. */
export function openStorage(dbPath: string | undefined): EmulatorStorage {
  if (dbPath === undefined) return createMemoryStorage();
  throw new TypeError('dbPath: SQLite storage is not available in this build yet');
}
