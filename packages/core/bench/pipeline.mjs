// The inbound pipeline's costs, each a ratio against a baseline measured in the same run with
// the emulator (and the message poster) in processes of their own:
//   1. CPU per message and added latency at a steady load: an AccountRuntime with a zero-time
//      dispatch against a bare TimClient's `message` event, on the same stream of group messages
//      (and the same runtime with its ledger writes unbatched: each committed on its own, as
//      before batching; with an in-memory store instead of SQLite; and a bare client that has
//      listed its groups and conversations, as the runtime's catch-up does, after which the
//      SDK itself does more for every message);
//   2. ledger writes/s: the SQLite state store (unbatched, one commit per message, batched 100
//      per turn) against a raw better-sqlite3 INSERT loop;
//   3. catch-up of missed messages: a runtime catching up against a bare client reading the
//      same history;
//   4. RSS per account with the pipeline, N held, each with its own state file or all in a
//      registry's shared one (pipeline-memory-probe.mjs, fresh processes).
//   node --expose-gc bench/pipeline.mjs     (CLAWLINK_BENCH_QUICK=1 for a quick run)
// Prints a table; nothing here is asserted anywhere.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccountRuntime, createMemoryStateStore, openSqliteStateStore } from '@clawlink/core';
import { createTimClient } from '@clawlink/core/tim';
import { createUserSig } from '@clawlink/usersig';
import Database from 'better-sqlite3';
import {
  adminOf,
  cpuMicros,
  percentile,
  pipelineConfig,
  postedAt,
  runPoster,
  waitFor,
} from './pipeline-support.mjs';
import {
  median,
  ratio,
  runProbe,
  SDK_APP_ID,
  SECRET_KEY,
  startEmulatorProcess,
} from './support.mjs';

const QUICK = process.env.CLAWLINK_BENCH_QUICK === '1';
const settings = QUICK
  ? {
      streamRounds: 2,
      streamMessages: 400,
      rate: 200,
      ledgerRounds: 3,
      ledgerWrites: 2_000,
      catchUpRounds: 1,
      catchUpGroups: 10,
      catchUpPerGroup: 100,
      accounts: 50,
    }
  : {
      streamRounds: 3,
      streamMessages: 5_000,
      rate: 1_000,
      ledgerRounds: 5,
      ledgerWrites: 20_000,
      catchUpRounds: 3,
      catchUpGroups: 100,
      catchUpPerGroup: 100,
      accounts: 500,
    };
const env = (name) => (process.env[name] === undefined ? undefined : Number(process.env[name]));
settings.catchUpGroups = env('CLAWLINK_BENCH_CATCHUP_GROUPS') ?? settings.catchUpGroups;
settings.catchUpPerGroup = env('CLAWLINK_BENCH_CATCHUP_PER_GROUP') ?? settings.catchUpPerGroup;

const emulator = await startEmulatorProcess();
const admin = adminOf(emulator.wsUrl);
const sig = (userId) => createUserSig({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, userId });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const tempDir = () => mkdtempSync(join(tmpdir(), 'clawlink-bench-pipeline-'));
const log = (line) => process.stderr.write(`[bench pipeline] ${line}\n`);

// 1. A steady stream of group messages: CPU per message (this process's user + system time
//    from the 10th percentile message to the last, over the messages in between) and the
//    latency of each from the poster's request to the handler (`message` event / dispatch).
async function streamRound(kind, tag) {
  const total = settings.streamMessages;
  const warm = Math.floor(total / 10);
  const sender = `ps_${tag}`;
  const receiver = `pr_${tag}`;
  await admin.post('/users', { userId: sender });
  await admin.post('/users', { userId: receiver });
  const { group } = await admin.post('/groups', {
    name: `stream ${tag}`,
    owner: sender,
    members: [sender, receiver],
  });
  const latenciesMs = [];
  let received = 0;
  let cpuStart = 0;
  let cpuEnd = 0;
  let eluStart;
  let eluEnd;
  let done;
  const finished = new Promise((resolve) => {
    done = resolve;
  });
  const onText = (text) => {
    const posted = postedAt(text ?? '');
    if (posted === undefined) return;
    const now = process.hrtime.bigint();
    received++;
    if (received > warm) latenciesMs.push(Number(now - posted) / 1e6);
    if (received === warm) {
      cpuStart = cpuMicros();
      eluStart = performance.eventLoopUtilization();
    }
    if (received === total) {
      cpuEnd = cpuMicros();
      eluEnd = performance.eventLoopUtilization();
      done();
    }
  };
  let stop;
  if (kind === 'client' || kind === 'listed') {
    const client = createTimClient({ sdkAppId: SDK_APP_ID, server: emulator.wsUrl });
    client.on('message', (message) => onText(message.text));
    await client.login({ userId: receiver, userSig: sig(receiver) });
    if (kind === 'listed') {
      await client.call('list groups', (tim) => tim.getGroupList());
      await client.call('list conversations', (tim) => tim.getConversationList());
    }
    stop = () => client.destroy();
  } else {
    const stateDir = tempDir();
    const runtime = createAccountRuntime({
      config: pipelineConfig(emulator.wsUrl, receiver, stateDir),
      dispatch: (event) => {
        for (const message of event.messages) onText(message.text);
      },
      ...(kind === 'memory' ? { store: createMemoryStateStore() } : {}),
      ...(kind === 'unbatched'
        ? { store: openSqliteStateStore({ accountId: receiver, stateDir, batchWrites: false }) }
        : {}),
    });
    await runtime.start();
    if (runtime.status().state !== 'connected') throw new Error(`${receiver} did not connect`);
    await sleep(300); // the connect's catch-up (nothing to fetch on a first start)
    stop = async () => {
      const { duplicates } = runtime.metrics();
      if (duplicates > 0) log(`pipeline round ${tag}: ${duplicates} duplicate(s)`);
      await runtime.stop();
      rmSync(stateDir, { recursive: true, force: true });
    };
  }
  await runPoster({
    adminUrl: admin.adminUrl,
    from: sender,
    groupIds: [group.groupId],
    count: total,
    rate: settings.rate,
  });
  let giveUp;
  await Promise.race([
    finished,
    new Promise((_, reject) => {
      giveUp = setTimeout(
        () => reject(new Error(`${kind} received ${received} of ${total} messages`)),
        60_000,
      );
    }),
  ]).finally(() => clearTimeout(giveUp));
  await stop();
  return {
    cpuUs: (cpuEnd - cpuStart) / (total - warm),
    elu: performance.eventLoopUtilization(eluEnd, eluStart).utilization,
    p50: percentile(latenciesMs, 50),
    p99: percentile(latenciesMs, 99),
  };
}

const stream = { client: [], pipeline: [], unbatched: [], memory: [], listed: [] };
for (let round = 0; round < settings.streamRounds; round++) {
  // Rotate which goes first, so none always runs on a warmer process.
  const kinds = Object.keys(stream);
  const order = [...kinds.slice(round % kinds.length), ...kinds.slice(0, round % kinds.length)];
  for (const kind of order) {
    const result = await streamRound(kind, `${kind.slice(0, 1)}${round}`);
    stream[kind].push(result);
    log(`stream ${kind} round ${round}: ${JSON.stringify(result)}`);
  }
}
const streamMedian = (kind, key) => median(stream[kind].map((r) => r[key]));

// 2. Ledger writes/s. Baseline: a prepared INSERT per row, autocommit, in a table with the
//    ledger's columns and index, WAL and synchronous = NORMAL like the store. The store:
//    recordSeen (what the pipeline writes on arrival), and the whole per-message cycle
//    (recordSeen + markHandled + advanceWatermark).
function rawInserts(count) {
  const dir = tempDir();
  const db = new Database(join(dir, 'raw.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE ledger (
    message_id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, seq INTEGER,
    time INTEGER NOT NULL, status TEXT NOT NULL, seen_at INTEGER NOT NULL, handled_at INTEGER);
    CREATE INDEX ledger_by_status_seen_at ON ledger (status, seen_at);`);
  const insert = db.prepare(
    `INSERT INTO ledger (message_id, conversation_id, seq, time, status, seen_at)
     VALUES (?, ?, ?, ?, 'seen', ?)`,
  );
  const base = Date.now();
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) insert.run(`msg-${i}`, 'GROUP@bench', i + 1, base + i, base);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return count / seconds;
}

// `flushEvery`: messages per commit (as many as one event-loop turn brings); 0: unbatched,
// each write committed on its own (batchWrites: false, the store before batching).
function storeWrites(count, cycle, flushEvery) {
  const dir = tempDir();
  const store = openSqliteStateStore({
    accountId: 'ledger_bench',
    stateDir: dir,
    batchWrites: flushEvery > 0,
  });
  const base = Date.now();
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const messageId = `msg-${i}`;
    store.recordSeen({ messageId, conversationId: 'GROUP@bench', time: base + i, seq: i + 1 });
    if (cycle) {
      store.markHandled(messageId);
      store.advanceWatermark('GROUP@bench', { time: base + i, messageId, seq: i + 1 });
    }
    if (flushEvery > 0 && (i + 1) % flushEvery === 0) store.flush();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return count / seconds;
}

const ledger = {
  raw: [],
  recordSeenUnbatched: [],
  recordSeen: [],
  cycleUnbatched: [],
  cyclePerMessage: [],
  cycle: [],
};
for (let round = 0; round < settings.ledgerRounds; round++) {
  ledger.raw.push(rawInserts(settings.ledgerWrites));
  ledger.recordSeenUnbatched.push(storeWrites(settings.ledgerWrites, false, 0));
  ledger.recordSeen.push(storeWrites(settings.ledgerWrites, false, 100));
  ledger.cycleUnbatched.push(storeWrites(settings.ledgerWrites, true, 0));
  ledger.cyclePerMessage.push(storeWrites(settings.ledgerWrites, true, 1));
  ledger.cycle.push(storeWrites(settings.ledgerWrites, true, 100));
}
log(`ledger: ${JSON.stringify(ledger)}`);

// 3. Catch-up: messages posted while the account was offline, spread over groups. Baseline: a
//    bare client logging in and reading every group's history back to its first message (group
//    profile for the newest sequence, then SDK pages of 15 by sequence, as core's history does).
//    Pipeline: an AccountRuntime whose state says it was last online before the posts, from
//    start() until every missed message was dispatched (catchUp.maxMessages raised to fit).
const catchUpTotal = settings.catchUpGroups * settings.catchUpPerGroup;
const cuSender = 'cu_sender';
const cuClient = 'cu_client';
const cuAgent = 'cu_agent';
for (const userId of [cuSender, cuClient, cuAgent]) await admin.post('/users', { userId });
const cuGroups = [];
for (let g = 0; g < settings.catchUpGroups; g++) {
  const { group } = await admin.post('/groups', {
    name: `catch-up ${g}`,
    owner: cuSender,
    members: [cuSender, cuClient, cuAgent],
  });
  cuGroups.push(group.groupId);
}
const offlineSince = Date.now() - 1000;
{
  const started = performance.now();
  await runPoster({
    adminUrl: admin.adminUrl,
    from: cuSender,
    groupIds: cuGroups,
    count: catchUpTotal,
    inFlight: 8,
  });
  log(`posted ${catchUpTotal} missed messages in ${Math.round(performance.now() - started)} ms`);
}

async function catchUpClientRound() {
  const cpuStart = cpuMicros();
  const started = performance.now();
  const client = createTimClient({ sdkAppId: SDK_APP_ID, server: emulator.wsUrl });
  await client.login({ userId: cuClient, userSig: sig(cuClient) });
  let fetched = 0;
  for (const groupId of cuGroups) {
    const { data } = await client.call('history', (tim) =>
      tim.getGroupProfile({ groupID: groupId }),
    );
    let sequence = Number(data.group.nextMessageSeq) - 1;
    while (sequence >= 1) {
      const top = sequence;
      const page = await client.call('history', (tim) =>
        tim.getMessageListHopping({
          conversationID: `GROUP${groupId}`,
          sequence: top,
          count: 15,
          direction: 0,
        }),
      );
      const messages = (page.data.messageList ?? []).filter((m) => m.sequence <= top);
      if (messages.length === 0) break;
      fetched += messages.filter((m) => postedAt(m.payload?.text ?? '') !== undefined).length;
      sequence = Math.min(...messages.map((m) => m.sequence)) - 1;
    }
  }
  const ms = performance.now() - started;
  const cpuMs = (cpuMicros() - cpuStart) / 1000;
  await client.destroy();
  if (fetched !== catchUpTotal) log(`catch-up baseline fetched ${fetched} of ${catchUpTotal}`);
  return { ms, cpuMs, messages: fetched };
}

async function catchUpPipelineRound() {
  const stateDir = tempDir();
  const seed = openSqliteStateStore({ accountId: cuAgent, stateDir });
  seed.setLastOnline(offlineSince);
  seed.close();
  let dispatched = 0;
  let lastDispatchAt = 0;
  let cpuEnd = 0;
  let report;
  const watch = (level) => (fields, message) => {
    if (typeof message !== 'string') return;
    if (message.startsWith('caught up ')) report = fields;
    else if (message.startsWith('catch-up')) log(`catch-up ${level}: ${message}`);
  };
  const logger = {
    debug() {},
    info: watch('info'),
    warn: watch('warn'),
    error: watch('error'),
    child: () => logger,
  };
  const started = performance.now();
  const runtime = createAccountRuntime({
    config: pipelineConfig(emulator.wsUrl, cuAgent, stateDir, {
      catchUp: { maxMessages: settings.catchUpPerGroup },
    }),
    logger,
    dispatch: (event) => {
      dispatched += event.messages.length;
      lastDispatchAt = performance.now();
      cpuEnd = cpuMicros();
    },
  });
  const cpuStart = cpuMicros();
  await runtime.start();
  await waitFor(() => report !== undefined, 'the catch-up report', 300_000, 20);
  await waitFor(() => dispatched >= report.delivered, 'the caught-up dispatches', 300_000, 20);
  const ms = lastDispatchAt - started;
  await runtime.stop();
  rmSync(stateDir, { recursive: true, force: true });
  if (dispatched !== catchUpTotal) {
    log(`catch-up pipeline dispatched ${dispatched} of ${catchUpTotal}: ${JSON.stringify(report)}`);
  }
  return { ms, cpuMs: (cpuEnd - cpuStart) / 1000, messages: dispatched };
}

const catchUps = { client: [], pipeline: [] };
for (let round = 0; round < settings.catchUpRounds; round++) {
  const client = await catchUpClientRound();
  const pipeline = await catchUpPipelineRound();
  catchUps.client.push(client);
  catchUps.pipeline.push(pipeline);
  log(
    `catch-up round ${round}: client ${JSON.stringify(client)} pipeline ${JSON.stringify(pipeline)}`,
  );
}
const catchUpMs = (kind, key = 'ms') => median(catchUps[kind].map((r) => r[key]));
const catchUpMessages = (kind) => Math.min(...catchUps[kind].map((r) => r.messages));

// 4. RSS per account, N held, each kind in a fresh process.
const measure = (mode) =>
  runProbe('pipeline-memory-probe.mjs', [mode, String(settings.accounts), emulator.wsUrl]);
const memClient = measure('client');
log(`memory client: ${JSON.stringify(memClient)}`);
const memPipeline = measure('pipeline');
log(`memory pipeline: ${JSON.stringify(memPipeline)}`);
const memShared = measure('shared');
log(`memory shared: ${JSON.stringify(memShared)}`);
await emulator.stop();

const row = (label, baseline, measured, r) =>
  console.log(
    `  ${label.padEnd(40)}${baseline.padStart(14)}${measured.padStart(14)}${r.padStart(9)}`,
  );
/** A row of `baseline` against `measured`, both shown with `digits` decimals and `unit`. */
const compare = (label, baseline, measured, digits, unit) => {
  const f = (value) => `${value.toFixed(digits)} ${unit}`;
  row(label, f(baseline), f(measured), ratio(measured, baseline));
};
const cpuClient = streamMedian('client', 'cpuUs');
const cpuPipeline = streamMedian('pipeline', 'cpuUs');
const cpuUnbatched = streamMedian('unbatched', 'cpuUs');
const p50Client = streamMedian('client', 'p50');
const p50Pipeline = streamMedian('pipeline', 'p50');
const p99Client = streamMedian('client', 'p99');
const p99Pipeline = streamMedian('pipeline', 'p99');
const rawRate = median(ledger.raw);
const seenRate = median(ledger.recordSeen);
const seenUnbatchedRate = median(ledger.recordSeenUnbatched);
const cycleRate = median(ledger.cycle);
const cycleUnbatchedRate = median(ledger.cycleUnbatched);
const cyclePerMessageRate = median(ledger.cyclePerMessage);
console.log('');
console.log(
  `clawlink inbound pipeline benchmark (Node ${process.versions.node}${QUICK ? ', QUICK' : ''}): ` +
    `medians of ${settings.streamRounds} stream rounds of ${settings.streamMessages} group messages at ` +
    `${settings.rate}/s, ${settings.ledgerRounds} ledger rounds of ${settings.ledgerWrites} writes, ` +
    `${settings.catchUpRounds} catch-up rounds of ${catchUpTotal} messages ` +
    `(${settings.catchUpGroups} groups x ${settings.catchUpPerGroup}), ${settings.accounts} accounts held`,
);
console.log('');
console.log(
  `  ${'measure'.padEnd(40)}${'baseline'.padStart(14)}${'pipeline'.padStart(14)}${'ratio'.padStart(9)}`,
);
compare('CPU per message (zero-time dispatch)', cpuClient, cpuPipeline, 0, 'µs');
compare('  same, ledger unbatched (before)', cpuClient, cpuUnbatched, 0, 'µs');
compare('  same, in-memory store', cpuClient, streamMedian('memory', 'cpuUs'), 0, 'µs');
compare(
  '  bare client, groups listed (no pipeline)',
  cpuClient,
  streamMedian('listed', 'cpuUs'),
  0,
  'µs',
);
row(
  'event loop busy at the steady load',
  `${(streamMedian('client', 'elu') * 100).toFixed(1)} %`,
  `${(streamMedian('pipeline', 'elu') * 100).toFixed(1)} %`,
  ratio(streamMedian('pipeline', 'elu'), streamMedian('client', 'elu')),
);
compare('latency post -> handler, p50', p50Client, p50Pipeline, 2, 'ms');
compare('latency post -> handler, p99', p99Client, p99Pipeline, 2, 'ms');
compare('ledger writes/s: recordSeen, unbatched', rawRate, seenUnbatchedRate, 0, '/s');
compare('  batched, 100 per turn', rawRate, seenRate, 0, '/s');
compare('ledger: messages/s, seen+handled+watermark', rawRate, cycleUnbatchedRate, 0, '/s');
compare('  one commit per message', rawRate, cyclePerMessageRate, 0, '/s');
compare('  batched, 100 messages per turn', rawRate, cycleRate, 0, '/s');
compare(
  `catch up ${catchUpTotal} missed messages`,
  catchUpMs('client'),
  catchUpMs('pipeline'),
  0,
  'ms',
);
compare(
  '  of which CPU time in this process',
  catchUpMs('client', 'cpuMs'),
  catchUpMs('pipeline', 'cpuMs'),
  0,
  'ms',
);
compare(
  `RSS per account, ${settings.accounts} held`,
  memClient.rssPerAccountMb,
  memPipeline.rssPerAccountMb,
  2,
  'MB',
);
compare(
  '  same, one shared state file',
  memClient.rssPerAccountMb,
  memShared.rssPerAccountMb,
  2,
  'MB',
);
compare(
  `heap per account, ${settings.accounts} held`,
  memClient.heapPerAccountMb,
  memPipeline.heapPerAccountMb,
  2,
  'MB',
);
console.log('');
console.log(
  `  added latency (pipeline - baseline): p50 ${(p50Pipeline - p50Client).toFixed(2)} ms, ` +
    `p99 ${(p99Pipeline - p99Client).toFixed(2)} ms`,
);
if (catchUpMessages('pipeline') !== catchUpTotal || catchUpMessages('client') !== catchUpTotal) {
  console.log(
    `  catch-up got only ${catchUpMessages('client')} (baseline) / ${catchUpMessages('pipeline')} ` +
      `(pipeline) of ${catchUpTotal} messages in some round: see the log above`,
  );
}
