import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSharedStateFile } from './shared-state-file.js';
import { openSqliteStateStore } from './sqlite-state-store.js';
import type { StateStore } from './state-store.js';

const moduleUrl = new URL('./sqlite-state-store.ts', import.meta.url).href;
const sharedModuleUrl = new URL('./shared-state-file.ts', import.meta.url).href;

/** Runs `script` (an ES module importing the store) in a child process; collects its stderr. */
function spawnScript(script: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '--eval', script],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  return { child, exited, stderr: () => stderr };
}

// A child process writes the ledger and is killed (SIGKILL, no cleanup) in the middle of a
// transaction; the parent then opens the same file as a restarted runtime would.
const childScript = (moduleUrl: string, stateDir: string) => `
  const { openSqliteStateStore } = await import(${JSON.stringify(moduleUrl)});
  const store = openSqliteStateStore({ accountId: 'bot', stateDir: ${JSON.stringify(stateDir)} });
  const seen = (id) => store.recordSeen({ messageId: id, conversationId: 'group:g', time: 1 });
  // Acknowledged: one burst committed, every even message handled.
  store.transaction(() => {
    for (let i = 0; i < 20; i += 1) {
      seen('m' + i);
      if (i % 2 === 0) store.markHandled('m' + i);
    }
  });
  // Outside any transaction: committed by the call itself.
  seen('single');
  store.markHandled('single');
  // Not acknowledged: the odd messages marked handled and new ones seen, never committed.
  store.transaction(() => {
    for (let i = 1; i < 20; i += 2) store.markHandled('m' + i);
    seen('uncommitted');
    console.log('inside');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  });
`;

describe('openSqliteStateStore after a crash', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'clawlink-sqlite-crash-'));
  });
  afterEach(() => {
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged change and none of an unfinished transaction', async () => {
    const { child, exited, stderr } = spawnScript(childScript(moduleUrl, stateDir));
    for await (const line of createInterface({ input: child.stdout })) {
      if (line === 'inside') break;
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(stderr()).toBe('');

    const store = openSqliteStateStore({ accountId: 'bot', stateDir });
    try {
      for (let i = 0; i < 20; i += 1) {
        const admission = store.recordSeen({
          messageId: `m${i}`,
          conversationId: 'group:g',
          time: 1,
        });
        // Handled and acknowledged: never dispatched again. Not handled: dispatched again.
        expect(admission).toBe(i % 2 === 0 ? 'handled' : 'seen');
      }
      expect(store.getLedgerEntry('single')?.status).toBe('handled');
      expect(store.getLedgerEntry('uncommitted')).toBeUndefined();
      expect(store.listUnhandled().map((e) => e.messageId)).toEqual(
        Array.from({ length: 10 }, (_, k) => `m${2 * k + 1}`),
      );
    } finally {
      store.close();
    }
  });
});

// A child process receives bursts of messages, one burst per event-loop turn, as the pipeline
// does: each recorded, most marked handled with the watermark moved, the writes batched (a
// batch spans the turns of its window, held in memory until it commits); now and then it
// flushes and says so. Each write is logged before it is made. It is
// killed (SIGKILL) after a random number of log lines, i.e. at a random point of a turn.
const batchingChild = (moduleUrl: string, stateDir: string, logFile: string) => `
  const { openSqliteStateStore } = await import(${JSON.stringify(moduleUrl)});
  const { openSync, writeSync } = await import('node:fs');
  const store = openSqliteStateStore({ accountId: 'bot', stateDir: ${JSON.stringify(stateDir)} });
  const fd = openSync(${JSON.stringify(logFile)}, 'a');
  const log = (line) => writeSync(fd, line + '\\n');
  let n = 0;
  let turns = 0;
  const turn = () => {
    const burst = 1 + Math.floor(Math.random() * 20);
    for (let k = 0; k < burst; k += 1) {
      n += 1;
      const id = 'm' + n;
      log('seen ' + id);
      store.recordSeen({ messageId: id, conversationId: 'group:g', seq: n, time: n });
      if (Math.random() < 0.6) {
        log('handled ' + id);
        store.markHandled(id);
        log('watermark ' + n);
        store.advanceWatermark('group:g', { seq: n, time: n, messageId: id });
      }
    }
    if (Math.random() < 0.2) {
      store.flush();
      log('flushed');
    }
    turns += 1;
    if (turns % 20 === 0) process.stdout.write('turns ' + turns + '\\n');
    setImmediate(turn);
  };
  turn();
`;

type Op =
  | { kind: 'seen'; id: string }
  | { kind: 'handled'; id: string }
  | { kind: 'watermark'; seq: number };

/**
 * Runs the batching child and kills it once it reports `progress` lines (every 20 turns; it
 * goes on writing while the kill is on its way); returns its log of writes.
 */
async function runUntilKilled(stateDir: string, progress: number): Promise<string[]> {
  const logFile = path.join(stateDir, 'writes.log');
  const { child, exited, stderr } = spawnScript(batchingChild(moduleUrl, stateDir, logFile));
  let reports = 0;
  for await (const _line of createInterface({ input: child.stdout })) {
    reports += 1;
    if (reports === progress) child.kill('SIGKILL');
  }
  expect({ signal: await exited, stderr: stderr() }).toEqual({ signal: 'SIGKILL', stderr: '' });
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

/**
 * How many of `ops` the store holds: the file must be exactly as after the first `p` writes,
 * for one `p` (a crash keeps a prefix of the writes). Each write changes one of the counts
 * (entries, handled entries, watermark), so at most one prefix has the file's counts.
 */
function durablePrefix(ops: Op[], store: StateStore): number {
  const ids = ops.flatMap((op) => (op.kind === 'seen' ? [op.id] : []));
  const onDisk = new Map(ids.map((id) => [id, store.getLedgerEntry(id)?.status]));
  const entries = [...onDisk.values()].filter((status) => status !== undefined).length;
  const handled = [...onDisk.values()].filter((status) => status === 'handled').length;
  const watermark = store.getWatermark('group:g')?.seq ?? 0;
  const replay = new Map<string, 'seen' | 'handled'>();
  let replayHandled = 0;
  let replayWatermark = 0;
  for (let p = 0; p <= ops.length; p += 1) {
    if (replay.size === entries && replayHandled === handled && replayWatermark === watermark) {
      for (const id of ids) expect([id, onDisk.get(id)]).toEqual([id, replay.get(id)]);
      return p;
    }
    const op = ops[p];
    if (op === undefined) break;
    if (op.kind === 'seen') replay.set(op.id, 'seen');
    else if (op.kind === 'handled') {
      replay.set(op.id, 'handled');
      replayHandled += 1;
    } else replayWatermark = op.seq;
  }
  throw new Error(
    `the file is not the state after any prefix of the writes (${entries} entries, ${handled} handled, watermark ${watermark})`,
  );
}

describe('openSqliteStateStore batching writes, killed at a random point', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every flushed write and a prefix of the rest: handled stays handled, unhandled is dispatched again', async () => {
    for (let round = 0; round < 4; round += 1) {
      const stateDir = mkdtempSync(path.join(tmpdir(), 'clawlink-batch-crash-'));
      dirs.push(stateDir);
      const log = await runUntilKilled(stateDir, 1 + Math.floor(Math.random() * 30));
      const ops: Op[] = [];
      let flushedOps = 0;
      for (const line of log) {
        const [kind, value = ''] = line.split(' ');
        if (kind === 'flushed') flushedOps = ops.length;
        else if (kind === 'watermark') ops.push({ kind, seq: Number(value) });
        else if (kind === 'seen') ops.push({ kind, id: value });
        else if (kind === 'handled') ops.push({ kind, id: value });
      }

      const store = openSqliteStateStore({ accountId: 'bot', stateDir });
      try {
        const kept = durablePrefix(ops, store);
        // Every write before the last flush survived (and the commits of the batches kept
        // more: the kill came long after the first batch).
        expect(kept).toBeGreaterThanOrEqual(flushedOps);
        const handled = new Set(
          ops.slice(0, kept).flatMap((op) => (op.kind === 'handled' ? [op.id] : [])),
        );
        for (const op of ops) {
          if (op.kind !== 'seen') continue;
          // What a restarted pipeline does with a redelivery of each message.
          const admission = store.recordSeen({
            messageId: op.id,
            conversationId: 'group:g',
            time: 1,
          });
          if (handled.has(op.id)) expect(admission).toBe('handled');
          else expect(['new', 'seen']).toContain(admission);
        }
      } finally {
        store.close();
      }
    }
  });
});

// A child process writes in a batch, then ends with `process.exit()` in the same turn: no
// timer ran, no stop(), no flush. `shared` puts the account in a shared state file;
// `insideTransaction` exits in the middle of a transaction.
const exitingChild = (stateDir: string, shared: boolean, insideTransaction: boolean) => `
  const { openSqliteStateStore } = await import(${JSON.stringify(moduleUrl)});
  const { openSharedStateFile } = await import(${JSON.stringify(sharedModuleUrl)});
  const stateDir = ${JSON.stringify(stateDir)};
  const store = ${shared}
    ? openSharedStateFile({ file: stateDir + '/shared.sqlite' }).store('bot')
    : openSqliteStateStore({ accountId: 'bot', stateDir });
  store.recordSeen({ messageId: 'kept', conversationId: 'group:g', seq: 1, time: 1 });
  store.markHandled('kept');
  store.advanceWatermark('group:g', { seq: 1, time: 1, messageId: 'kept' });
  if (${insideTransaction}) {
    store.transaction(() => {
      store.recordSeen({ messageId: 'half', conversationId: 'group:g', seq: 2, time: 2 });
      process.exit(0);
    });
  }
  process.exit(0);
`;

describe('the SQLite stores in a process that calls process.exit()', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'clawlink-sqlite-exit-'));
  });
  afterEach(() => {
    rmSync(stateDir, { recursive: true, force: true });
  });

  /** Runs the exiting child; opens what it left (closed by the caller). */
  async function afterExit(shared: boolean, insideTransaction: boolean) {
    const { exited, stderr } = spawnScript(exitingChild(stateDir, shared, insideTransaction));
    expect({ signal: await exited, stderr: stderr() }).toEqual({ signal: null, stderr: '' });
    if (!shared) return openSqliteStateStore({ accountId: 'bot', stateDir });
    const file = openSharedStateFile({ file: path.join(stateDir, 'shared.sqlite') });
    return Object.assign(file.store('bot'), { close: () => file.close() });
  }

  it.each([
    ['its own state file', false],
    ['a shared state file', true],
  ])('commit the open batch as the process exits (%s)', async (_name, shared) => {
    const store = await afterExit(shared, false);
    try {
      expect(store.getLedgerEntry('kept')?.status).toBe('handled');
      expect(store.getWatermark('group:g')?.seq).toBe(1);
    } finally {
      store.close();
    }
  });

  it('commit the batch before a transaction the exit interrupted, and none of the transaction', async () => {
    const store = await afterExit(false, true);
    try {
      expect(store.getLedgerEntry('kept')?.status).toBe('handled');
      expect(store.getLedgerEntry('half')).toBeUndefined();
    } finally {
      store.close();
    }
  });
});
