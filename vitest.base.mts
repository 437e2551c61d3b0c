import { fileURLToPath } from 'node:url';

/**
 * Vitest `resolve.alias` entries pointing `@clawlink/<name>` at the sources of each of
 * `packages`, so a package's tests run against its siblings' sources and need no build between
 * edits.
 */
export function siblingSources(...packages: string[]): Record<string, string> {
  return Object.fromEntries(
    packages.map((name) => [
      `@clawlink/${name}`,
      fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url)),
    ]),
  );
}
