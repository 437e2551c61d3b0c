import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStateStore } from './sqlite-state-store.js';

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
    const moduleUrl = new URL('./sqlite-state-store.ts', import.meta.url).href;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', childScript(moduleUrl, stateDir)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    for await (const line of createInterface({ input: child.stdout })) {
      if (line === 'inside') break;
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(stderr).toBe('');

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
