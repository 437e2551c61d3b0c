// The interactive demo: you type into #lobby as a user and the helper agent answers.
import { createInterface } from 'node:readline';
import { answerWithLangChain } from './langchain-answerer.mjs';
import { createHelperAnswerer, translate } from './rule-based-answerer.mjs';
import { createStage, LOBBY } from './stage.mjs';
import { createTranscript, printStatus, until, watchChannel } from './transcript.mjs';

const PERSON = 'you';
/** How long to wait for an answer (a real model can be slow). */
const ANSWER_TIMEOUT_MS = 120_000;
/** An answer is taken as complete when its message has not changed for this long. */
const QUIET_MS = 800;

const HELP = [
  'Type a message and press Enter: it is posted in #lobby as "you", and helper answers.',
  'Here helper answers every message (groups.channels.lobby.requireMention is false).',
  'Commands: /stop and /start stop and restart helper (what you write meanwhile is caught',
  'up after the restart), /status, /help, /quit (or Ctrl-D).',
];

/** Runs until the person quits (or stdin ends). */
export async function runInteractive() {
  const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
  /** The prompt, once the agents are up (stdin is read from then on). */
  let rl;
  const transcript = createTranscript((line) => {
    if (tty && rl) {
      process.stdout.clearLine(0);
      process.stdout.cursorTo(0);
    }
    console.log(line);
    if (tty && rl) rl.prompt(true);
  });
  const { say, plain } = transcript;
  const stage = await createStage({ person: PERSON, personNick: 'You' });
  const { emulator } = stage;
  const lobby = watchChannel(emulator, LOBBY, transcript);
  try {
    const registration = await stage.register('helper', 'Helper');
    await stage.claim('helper');
    say('helper was registered at the credential exchange and claimed by its owner');
    const helper = stage.agent(registration, {
      groups: { channels: { [LOBBY.groupId]: { requireMention: false } } },
    });
    printStatus(helper, transcript);
    let lastError;
    helper.on('error', (error) => {
      lastError = performance.now();
      say(`(helper reports: ${error.message})`);
    });
    if (process.env.OPENAI_API_KEY) {
      say(`helper answers with LangChain: ${await answerWithLangChain(helper)}`);
    } else {
      helper.on('message', createHelperAnswerer(helper));
      say(
        'helper answers with local rules (set OPENAI_API_KEY to use a real model through LangChain)',
      );
    }
    await helper.start();
    await helper.channels.join(LOBBY.groupId);

    const translator = stage.agent(await stage.register('translator', 'Translator'), {
      agentRequests: { allowFrom: ['helper'] },
    });
    await stage.claim('translator');
    translator.on('agent_request', (event) => {
      say(`  translator got a request from ${event.request.from}: "${event.request.task}"`);
      return translate(event);
    });
    await translator.start();
    for (const line of HELP) plain(line);
    rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'you> ' });
    const lines = rl[Symbol.asyncIterator]();
    if (tty) rl.prompt();

    for await (const line of lines) {
      const text = line.trim();
      if (text === '/quit') break;
      if (text === '/help') for (const help of HELP) plain(help);
      else if (text === '/stop') await helper.stop();
      else if (text === '/start') await helper.start();
      else if (text === '/status') say(`(helper is ${helper.status().state})`);
      else if (text !== '') {
        const posted = emulator.postGroupMessage({
          groupId: LOBBY.groupId,
          from: PERSON,
          content: { text, ...(text.includes('@helper') ? { atUserIds: ['helper'] } : {}) },
        });
        lobby.poll();
        if (helper.status().state === 'connected') {
          const askedAt = performance.now();
          await until(
            'an answer',
            () => {
              lobby.poll();
              if (lastError > askedAt) return true;
              const answered = lobby
                .messages()
                .some(({ message }) => message.from === 'helper' && message.seq > posted.seq);
              return answered && performance.now() - lobby.changedAt() > QUIET_MS;
            },
            ANSWER_TIMEOUT_MS,
          ).catch(() => say('(no answer yet; it may still come)'));
        }
      }
      if (tty) rl.prompt();
    }
  } finally {
    rl?.close();
    lobby.stop();
    await stage.close();
  }
  say('done');
}
