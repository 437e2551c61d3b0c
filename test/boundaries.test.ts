import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Who may import what, checked on the source text of every file in the repository.
// - Only @clawlink/core's TIM layer (packages/core/src/tim/) loads tim-js-sdk: the rest of core,
//   the adapters and the examples go through it. The emulator and these e2e tests drive the real
//   SDK as a TIM client by design, core's benchmark measures a bare SDK as its baseline, and
//   tim-facts' test reads the SDK's text (never loads it) to check the @all marker against it.
// - Outside packages/core, @clawlink/core is imported only through its public entry points.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PUBLIC_CORE_ENTRIES = new Set([
  '@clawlink/core',
  '@clawlink/core/tim',
  '@clawlink/core/testing',
]);
const SDK_USERS_BY_DESIGN = [
  'packages/emulator/',
  'test/',
  'packages/core/bench/',
  'packages/tim-facts/src/tim-facts.test.ts',
];
const SOURCE = /\.(?:[cm]?[jt]s|tsx)$/;
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.turbo', '.tools', '.git']);

/** Every module specifier a file imports, re-exports, requires or resolves. */
function specifiersOf(source: string): string[] {
  const pattern =
    /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire(?:\.resolve)?\s*\(\s*)['"]([^'"\n]+)['"]/g;
  return [...source.matchAll(pattern)].map((match) => match[1] as string);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory())
      return SKIPPED_DIRS.has(entry.name) ? [] : sourceFiles(join(dir, entry.name));
    return SOURCE.test(entry.name) ? [join(dir, entry.name)] : [];
  });
}

const files = sourceFiles(root).map((file) => ({
  path: relative(root, file).split(sep).join('/'),
  specifiers: specifiersOf(readFileSync(file, 'utf8')),
  file,
}));

describe('package boundaries', () => {
  it('finds import, export-from, dynamic import, require and require.resolve specifiers', () => {
    const text = `import a from 'x1';\nexport { b } from "x2";\nimport 'x3';\nawait import('x4');
      const c = require('x5'); require.resolve('x6'); import type { D } from './x7.js';`;
    expect(specifiersOf(text)).toEqual(['x1', 'x2', 'x3', 'x4', 'x5', 'x6', './x7.js']);
    expect(files.some((f) => f.path === 'packages/core/src/tim/sdk-loader.ts')).toBe(true);
  });

  it('only packages/core/src/tim/ loads tim-js-sdk', () => {
    const offenders = files
      .filter((f) => !f.path.startsWith('packages/core/src/tim/'))
      .filter((f) => !SDK_USERS_BY_DESIGN.some((prefix) => f.path.startsWith(prefix)))
      .filter((f) => f.specifiers.some((s) => s === 'tim-js-sdk' || s.startsWith('tim-js-sdk/')))
      .map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('outside packages/core, @clawlink/core is imported only through its public entry points', () => {
    const coreDir = join(root, 'packages', 'core') + sep;
    const offenders = files
      .filter((f) => !f.path.startsWith('packages/core/'))
      .flatMap((f) =>
        f.specifiers
          .filter(
            (s) =>
              (s.startsWith('@clawlink/core') && !PUBLIC_CORE_ENTRIES.has(s)) ||
              (s.startsWith('.') && resolve(dirname(f.file), s).startsWith(coreDir)),
          )
          .map((s) => `${f.path}: ${s}`),
      );
    expect(offenders).toEqual([]);
  });
});
