import { closeSync, openSync } from 'node:fs';
import { devNull } from 'node:os';

/** What every "out of file descriptors" error of clawlink starts with. */
export const TOO_MANY_OPEN_FILES = 'too many open files: raise ulimit -n';

const EXHAUSTED = new Set(['EMFILE', 'ENFILE']);

/**
 * Whether `error` (or an error in its `cause` chain) is EMFILE or ENFILE: the process (or
 * the system) has no file descriptor left.
 */
export function isTooManyOpenFiles(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const { code, errno } = current as { code?: unknown; errno?: unknown };
    if (typeof code === 'string' && EXHAUSTED.has(code)) return true;
    if (typeof errno === 'string' && EXHAUSTED.has(errno)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Whether the process is out of file descriptors right now: opening the null device fails
 * with EMFILE or ENFILE. For errors that do not say why a file or socket could not be opened
 * (SQLite's `SQLITE_CANTOPEN`, a WebSocket that never connects).
 */
export function outOfFileDescriptors(): boolean {
  try {
    closeSync(openSync(devNull, 'r'));
    return false;
  } catch (error) {
    return isTooManyOpenFiles(error);
  }
}

/**
 * The sentence to put first in an error when the process ran out of file descriptors:
 * `too many open files: raise ulimit -n ...`, naming what could not be opened and how many
 * descriptors each account needs.
 */
export function tooManyOpenFilesAdvice(what: string): string {
  return `${TOO_MANY_OPEN_FILES} (the process has no file descriptor left, so ${what}). Each account holds about 4 (its state file, -wal, -shm and its socket; 1 with a registry's sharedStateFile): raise the limit (ulimit -n 65536 in the shell that starts the process, LimitNOFILE= in a systemd unit), run fewer accounts per process, or give a registry a sharedStateFile.`;
}
