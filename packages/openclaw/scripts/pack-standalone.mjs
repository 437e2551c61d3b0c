#!/usr/bin/env node
// Packs @clawlink/openclaw as an installable npm tarball before @clawlink/core is on the
// registry: the workspace packages it needs (@clawlink/core, @clawlink/usersig,
// @clawlink/tim-facts) are bundled inside (npm `bundleDependencies`); registry dependencies
// (tim-js-sdk, better-sqlite3, zod) stay ordinary dependencies that `npm install` fetches.
// `openclaw plugins install npm-pack:<tgz>` takes the result. Build the packages first.
//
//   node scripts/pack-standalone.mjs [outDir]     prints the tarball's path
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pluginDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = resolve(pluginDir, '..');
const BUNDLED = ['core', 'usersig', 'tim-facts'];

/** Packs `dir` with pnpm (workspace: ranges become versions) and unpacks it into `into`. */
function packInto(dir, into, work) {
  const out = mkdtempSync(join(work, 'pack-'));
  execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: dir, stdio: 'ignore' });
  const [tgz] = readdirSync(out).filter((name) => name.endsWith('.tgz'));
  if (!tgz) throw new Error(`pnpm pack produced no tarball in ${dir}`);
  mkdirSync(into, { recursive: true });
  execFileSync('tar', ['-xzf', join(out, tgz), '-C', into, '--strip-components=1']);
}

/**
 * Removes a bundled package's `./testing` entry (core's test helpers, which import vitest, an
 * optional peer): the plugin never loads it, and OpenClaw's plugin loader follows every
 * dependency a bundled package declares, vitest included when the host can resolve it.
 */
function withoutTestingEntry(dir) {
  const manifestPath = join(dir, 'package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  if (!manifest.exports?.['./testing']) return;
  delete manifest.exports['./testing'];
  for (const field of ['peerDependencies', 'peerDependenciesMeta']) {
    if (manifest[field]) delete manifest[field].vitest;
    if (manifest[field] && Object.keys(manifest[field]).length === 0) delete manifest[field];
  }
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  for (const file of readdirSync(join(dir, 'dist'))) {
    if (file.startsWith('testing.')) rmSync(join(dir, 'dist', file));
  }
}

export function packStandalone(outDir = pluginDir) {
  const work = mkdtempSync(join(tmpdir(), 'clawlink-openclaw-pack-'));
  try {
    const staging = join(work, 'package');
    packInto(pluginDir, staging, work);
    const manifestPath = join(staging, 'package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    for (const name of BUNDLED) {
      const dir = join(packagesDir, name);
      const { name: pkg, version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const into = join(staging, 'node_modules', pkg);
      packInto(dir, into, work);
      withoutTestingEntry(into);
      manifest.dependencies[pkg] = version;
    }
    manifest.bundleDependencies = BUNDLED.map((name) => `@clawlink/${name}`);
    // What a registry install of the published package would see: no dev tooling.
    delete manifest.devDependencies;
    delete manifest.scripts;
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    mkdirSync(outDir, { recursive: true });
    const packed = execFileSync('npm', ['pack', '--pack-destination', resolve(outDir)], {
      cwd: staging,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
      .trim()
      .split('\n')
      .at(-1);
    return join(resolve(outDir), packed);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(packStandalone(process.argv[2]));
}
