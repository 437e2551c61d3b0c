import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import path from 'node:path';

/** What {@link defaultStateDir} looks at; every field defaults to the real process. */
export interface StateDirEnvironment {
  /** Environment variables; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** The platform; default `process.platform`. */
  platform?: NodeJS.Platform;
  /** The user's home directory; default `os.homedir()`. */
  homeDir?: string;
}

/**
 * Where clawlink keeps its state files when an account sets no `stateDir`:
 * `$CLAWLINK_STATE_DIR`; else `$XDG_DATA_HOME/clawlink` (when absolute); else
 * `%LOCALAPPDATA%\clawlink` on Windows, `~/Library/Application Support/clawlink` on macOS and
 * `~/.local/share/clawlink` elsewhere.
 */
export function defaultStateDir(environment: StateDirEnvironment = {}): string {
  const env = environment.env ?? process.env;
  const platform = environment.platform ?? process.platform;
  const paths = platform === 'win32' ? path.win32 : path.posix;
  const home = () => environment.homeDir ?? homedir();

  const explicit = env.CLAWLINK_STATE_DIR;
  if (explicit) return paths.resolve(explicit);
  const xdg = env.XDG_DATA_HOME;
  // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  if (xdg && paths.isAbsolute(xdg)) return paths.join(xdg, 'clawlink');
  if (platform === 'win32') {
    return paths.join(env.LOCALAPPDATA || paths.join(home(), 'AppData', 'Local'), 'clawlink');
  }
  if (platform === 'darwin')
    return paths.join(home(), 'Library', 'Application Support', 'clawlink');
  return paths.join(home(), '.local', 'share', 'clawlink');
}

// A plain id is used as it is: lowercase (safe on case-insensitive file systems), no path
// separators, no leading dot, short. Anything else gets a slug plus a hash; the `~` that joins
// them never occurs in a plain id, so the two kinds of names cannot collide.
const PLAIN_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/;
const SLUG_LENGTH = 40;
// With the `u` flag a surrogate pair is one code point, so this matches lone surrogates only.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * The bytes an account id is hashed from. UTF-8 for a well-formed id; UTF-8 cannot encode a
 * lone surrogate (it becomes U+FFFD, so `'\uD800'` and `'\uDC00'` would share a name), so an
 * id that is not well-formed is hashed from its UTF-16 code units instead, behind a prefix
 * that keeps it apart from every well-formed id.
 */
function idBytes(accountId: string): Buffer {
  if (!LONE_SURROGATE.test(accountId)) return Buffer.from(accountId, 'utf8');
  return Buffer.concat([Buffer.from('utf-16le\0', 'latin1'), Buffer.from(accountId, 'utf16le')]);
}

/**
 * The state file name of an account: `<accountId>.sqlite` when the id is plain (lowercase
 * letters, digits, `.`, `_`, `-`, at most 64 characters), else `<slug>~<hash>.sqlite` where
 * the hash is the first 16 hex digits of the SHA-256 of the id's UTF-8 (of its UTF-16 code
 * units when the id has a lone surrogate). Never contains a path separator, and distinct ids
 * give distinct names (a JavaScript string's code units are all hashed, so two ids differing
 * only in lone surrogates differ too).
 */
export function stateFileName(accountId: string): string {
  if (PLAIN_ID.test(accountId) && !WINDOWS_RESERVED.test(accountId)) {
    return `${accountId}.sqlite`;
  }
  const slug =
    accountId
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, SLUG_LENGTH)
      .replace(/-+$/, '') || 'account';
  const hash = createHash('sha256').update(idBytes(accountId)).digest('hex').slice(0, 16);
  return `${slug}~${hash}.sqlite`;
}
