// The poster of the pipeline benchmark, in its own process so its CPU is not counted against
// the receiver: posts text messages through the emulator's admin API.
//   node bench/post-messages.mjs '<json>'
// json: { adminUrl, from, count, groupIds? | toPrefix?, rate?, inFlight? }
//   groupIds  message i goes to group groupIds[i % groupIds.length]
//   toPrefix  message i goes one-to-one to user `${toPrefix}${i}`
//   rate      messages per second, spread evenly (0 or absent: as fast as `inFlight` allows)
//   inFlight  requests at once (default 4)
// Each text is `bench <i> <t>`, t being process.hrtime.bigint() just before the request: on
// Linux that is CLOCK_MONOTONIC, the same clock in every process, so the receiver can take
// the latency from the post to its handler. Prints one line `posted <count>` when done.
const {
  adminUrl,
  from,
  count,
  groupIds,
  toPrefix,
  rate = 0,
  inFlight = 4,
} = JSON.parse(process.argv[2]);
const urlOf = (i) =>
  groupIds
    ? `${adminUrl}/admin/groups/${encodeURIComponent(groupIds[i % groupIds.length])}/messages`
    : `${adminUrl}/admin/c2c/messages`;
const started = performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let next = 0;

async function post(i) {
  const text = `bench ${i} ${process.hrtime.bigint()}`;
  const body = groupIds
    ? { from, content: { text } }
    : { from, to: `${toPrefix}${i}`, content: { text } };
  const response = await fetch(urlOf(i), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`post ${i}: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

async function lane() {
  while (next < count) {
    const i = next++;
    if (rate > 0) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
    }
    await post(i);
  }
}

await Promise.all(Array.from({ length: inFlight }, lane));
console.log(`posted ${count}`);
