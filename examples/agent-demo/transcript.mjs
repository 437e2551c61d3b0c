// The demo's readable output: every line carries the time since the demo started; a channel
// watcher prints what the emulator holds for a channel (new messages, and each new version of a
// message edited in place, as a streamed reply is), so the transcript is what the server saw.

/** Lines printed with `+<seconds>s` since `createTranscript()` was called. */
export function createTranscript(write = (line) => console.log(line)) {
  const startedAt = performance.now();
  const stamp = () => `+${((performance.now() - startedAt) / 1000).toFixed(2)}s`;
  return {
    /** A line of the conversation or of what the demo does. */
    say: (line) => write(`${stamp()} ${line}`),
    /** A heading before each scene. */
    section: (title) => write(`\n== ${title} ==`),
    /** An unstamped line. */
    plain: (line) => write(line),
  };
}

/** Prints `who`'s status changes (state or reason; a new retry time alone is not printed). */
export function printStatus(agent, transcript) {
  let last = '';
  agent.on('status', (status) => {
    // `connecting` keeps the reason of the attempt before (e.g. still `unclaimed` last time).
    const why = status.state === 'connecting' ? ' again, after' : ',';
    const line = `${status.state}${status.reason ? `${why} ${status.reason}` : ''}`;
    if (line === last) return;
    last = line;
    const detail = status.state === 'half-alive' && status.detail ? `: ${status.detail}` : '';
    transcript.say(`(${agent.accountId} is ${line}${detail})`);
  });
}

/** The text of an emulator message as a person reads it. */
export function textOf(message) {
  if ('text' in message.content) return message.content.text;
  return `[custom message${message.content.custom.description ? `: ${message.content.custom.description}` : ''}]`;
}

/** One line for a text: short ones whole, long ones by their ends and their size. */
export function shorten(text) {
  const flat = text.replace(/\s*\n+\s*/g, ' | ');
  if (flat.length <= 200) return flat;
  const kb = (Buffer.byteLength(text) / 1024).toFixed(1);
  return `${flat.slice(0, 70)} ... ${flat.slice(-50)} (${kb} KB)`;
}

/**
 * Watches a channel on the emulator and prints each new message, and each new version of a
 * message edited in place. `messages()` is what it has seen, oldest first, with the latest
 * text of each.
 */
export function watchChannel(emulator, { groupId, name }, transcript) {
  const seen = new Map();
  let changedAt = performance.now();
  const poll = () => {
    for (const message of emulator.groupHistory(groupId, 100)) {
      const text = textOf(message);
      const known = seen.get(message.id);
      if (!known) {
        seen.set(message.id, { message, text, versions: 1 });
        changedAt = performance.now();
        transcript.say(`[#${name}] ${message.from}: ${shorten(text)}`);
      } else if (known.text !== text) {
        known.text = text;
        known.versions += 1;
        changedAt = performance.now();
        const tail = text.length > 60 ? `...${text.slice(-60)}` : text;
        transcript.say(
          `[#${name}] ${message.from} edits (v${known.versions}, ${text.length} chars): ${shorten(tail)}`,
        );
      }
    }
  };
  const timer = setInterval(poll, 25);
  return {
    /** Reads the channel now (also done every 25 ms). */
    poll,
    /** What the watcher has seen, oldest first: `{message, text, versions}`. */
    messages: () => [...seen.values()],
    /** When the watcher last saw a new message or a new version (`performance.now()`). */
    changedAt: () => changedAt,
    /** Stops watching after one last read. */
    stop() {
      clearInterval(timer);
      poll();
    },
  };
}

/** Polls `read` until it returns something truthy; fails after `timeoutMs` naming `what`. */
export async function until(what, read, timeoutMs = 20_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`the demo timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
