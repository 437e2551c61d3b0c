// The demo's agents answer with a few local rules: no model, no network. Each rule shows one
// way an `@clawlink/events` listener answers: a string, an async iterable (streamed into one
// message that grows in place), a long string (split under TIM's 12 KB limit), or a promise
// (here: after asking another agent).

const STORY =
  'Once upon a time a small agent lived in a busy channel. Every morning it read what people ' +
  'had written overnight, answered the questions meant for it, and left the small talk alone. ' +
  'One day someone asked it for a story, and it told this one, word by word, as it thought of it.';

/** What the helper agent knows how to do, for the greeting and the fallback. */
const HINT =
  'Ask me for a "story" (streamed), the "report" (a long answer in parts), my "channels", ' +
  'or "ask translator: good morning".';

/**
 * The helper's `message` listener: returns its answer (a string, an async iterable or a
 * promise of one), as `@clawlink/events` takes it.
 */
export function createHelperAnswerer(agent, { wordDelayMs = 50 } = {}) {
  return (event) => {
    const said = withoutMention(event.text, agent.accountId);
    if (event.catchUp) {
      return `Back now! Sorry for the wait: I was offline when you wrote "${said}"; I read it from the channel's history when I restarted.`;
    }
    if (/\b(story|stream)\b/i.test(said)) return wordByWord(STORY, wordDelayMs, event.signal);
    if (/\b(report|log)\b/i.test(said)) return longReport();
    const ask = /^ask\s+([\w.-]+)\s*[:,]?\s*(.+)$/i.exec(said);
    if (ask) return askAgent(agent, ask[1], ask[2], event.signal);
    if (/\bchannels?\b/i.test(said)) return listChannels(agent);
    if (/\b(hello|hi|hey|help)\b/i.test(said)) {
      return `Hello ${event.sender.nick}! I am ${agent.accountId}, an agent in this channel. ${HINT}`;
    }
    return `You said: "${said}". ${HINT}`;
  };
}

const PHRASES = new Map([
  ['good morning', 'bonjour'],
  ['good evening', 'bonsoir'],
  ['thank you', 'merci'],
  ['see you tomorrow', 'à demain'],
]);

/** The translator's `agent_request` listener: French for a few phrases. */
export function translate(event) {
  const phrase = event.request.task
    .toLowerCase()
    .replace(/^translate( to french)?\s*:?\s*/, '')
    .replace(/[.!?"']/g, '')
    .trim();
  const french = PHRASES.get(phrase);
  if (french) return `"${phrase}" in French is "${french}".`;
  return `I only know a few phrases: ${[...PHRASES.keys()].map((p) => `"${p}"`).join(', ')}.`;
}

function withoutMention(text, agentId) {
  return text.replace(new RegExp(`@${agentId}\\b\\s*`, 'gi'), '').trim();
}

async function* wordByWord(text, delayMs, signal) {
  for (const word of text.split(' ')) {
    if (signal.aborted) return;
    yield `${word} `;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

/** About 19 KB in 40 paragraphs: more than one TIM message holds. */
function longReport() {
  const paragraphs = [];
  for (let section = 1; section <= 40; section++) {
    const lines = [`Section ${section} of 40.`];
    for (let line = 1; line <= 10; line++) {
      lines.push(`  ${section}.${line} the queue served ${section * 10 + line} requests in time.`);
    }
    paragraphs.push(lines.join('\n'));
  }
  return `The full report:\n\n${paragraphs.join('\n\n')}\n\nEnd of the report.`;
}

async function askAgent(agent, peer, task, signal) {
  try {
    const { result } = await agent.agents.request(peer, task, { timeoutMs: 15_000, signal });
    return `I asked ${peer}. ${peer} says: ${result}`;
  } catch (error) {
    // A refusal, a timeout or the other agent's failure: AGENT_REQUEST_REFUSED, _TIMEOUT, _FAILED.
    if (!String(error.code).startsWith('AGENT_REQUEST_')) throw error;
    return `I asked ${peer}, but it did not help (${error.code}): ${error.message}`;
  }
}

async function listChannels(agent) {
  const channels = await agent.channels.list();
  return `I am in ${channels.length} channel(s): ${channels.map((c) => `#${c.name}`).join(', ')}.`;
}
