// Shared by the memory probes (memory-probe.mjs, pipeline-memory-probe.mjs): the process's
// memory once settled, and the one JSON line each prints.

/** Heap used and RSS after 500 ms of quiet and three GCs (needs node --expose-gc). */
export async function memorySnapshot() {
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (let i = 0; i < 3; i++) globalThis.gc();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
}

/**
 * Prints a probe's result line, `{mode, count, heapPerAccountMb, rssPerAccountMb, readyMs}`:
 * the growth from snapshot `before` to `after` per account, in MB to two decimals.
 */
export function printMemoryPerAccount({ mode, count, before, after, readyMs }) {
  const mb = (bytes) => Math.round((bytes / count / 1024 / 1024) * 100) / 100;
  console.log(
    JSON.stringify({
      mode,
      count,
      heapPerAccountMb: mb(after.heapUsed - before.heapUsed),
      rssPerAccountMb: mb(after.rss - before.rss),
      readyMs: Math.round(readyMs),
    }),
  );
}
