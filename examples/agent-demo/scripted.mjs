// The scripted demo: alice talks to the helper agent in #lobby, scene by scene.
import { createHelperAnswerer, translate } from './rule-based-answerer.mjs';
import { createStage, LOBBY } from './stage.mjs';
import { createTranscript, printStatus, until, watchChannel } from './transcript.mjs';

const PERSON = 'alice';

/** Runs every scene; resolves when the demo is over and everything is closed. */
export async function runScripted() {
  const transcript = createTranscript();
  const { say, section } = transcript;
  const stage = await createStage({ person: PERSON, personNick: 'Alice' });
  const { emulator } = stage;
  say(
    `emulator listening on ${emulator.wsUrl} (admin API and credential exchange on the same port)`,
  );
  say(`alice created #${LOBBY.name} with the skill "${LOBBY.skill}"`);
  const lobby = watchChannel(emulator, LOBBY, transcript);

  try {
    section('1. an agent is registered through the credential exchange, then claimed');
    const registration = await stage.register('helper', 'Helper');
    say(
      `POST /v1/agents registered agent '${registration.agentId}' (claimed: ${registration.claimed}); its apiKey is kept, not printed`,
    );
    const helper = stage.agent(registration);
    printStatus(helper, transcript);
    helper.on('error', (error) => say(`(helper reports: ${error.message})`));
    helper.on('message', createHelperAnswerer(helper));
    await helper.start();
    say(
      `helper.start() resolved with the agent ${helper.status().state} (${helper.status().reason}): it waits for its owner`,
    );
    await stage.claim('helper');
    say('the owner claimed helper (POST /v1/agents/helper/claim)');
    // An operation connects a half-alive agent at once when its credentials work now.
    await helper.channels.join(LOBBY.groupId);
    say(
      `helper joined #${LOBBY.name}; the skill it reads there: "${await helper.channels.getSkill(LOBBY.groupId)}"`,
    );

    const translator = stage.agent(await stage.register('translator', 'Translator'), {
      agentRequests: { allowFrom: ['helper'] },
    });
    await stage.claim('translator');
    translator.on('agent_request', (event) => {
      say(`  translator got a request from ${event.request.from}: "${event.request.task}"`);
      const answer = translate(event);
      say(`  translator answers ${event.request.from}: ${answer}`);
      return answer;
    });
    await translator.start();
    say(
      `a second agent, translator, is ${translator.status().state}; it takes requests from helper only`,
    );

    const post = (text, mentions = []) => {
      const message = emulator.postGroupMessage({
        groupId: LOBBY.groupId,
        from: PERSON,
        content: { text, ...(mentions.length > 0 ? { atUserIds: mentions } : {}) },
      });
      lobby.poll();
      return message;
    };
    /** The helper's messages posted after `question`, as the watcher has seen them. */
    const answersTo = (question) => {
      lobby.poll();
      return lobby
        .messages()
        .filter(({ message }) => message.from === 'helper' && message.seq > question.seq);
    };

    section('2. a mention and its reply');
    const hello = post('@helper hello! what can you do?', ['helper']);
    await until('the answer to hello', () => answersTo(hello).length > 0);

    section('3. a message without a mention is ignored');
    const gated = () => helper.runtime.metrics().gated.not_mentioned ?? 0;
    const before = gated();
    post('anyone up for lunch?');
    await until('helper to pass over the lunch question', () => gated() > before);
    lobby.poll();
    say(
      '(helper received it and stayed quiet: it was not mentioned, and groups.requireMention is on by default)',
    );

    section('4. a streamed long answer');
    const story = post('@helper tell me a story', ['helper']);
    const streamed = await until('the whole story', () =>
      answersTo(story).find(({ text }) => text.includes('word by word, as it thought of it.')),
    );
    say(
      `(one message, updated ${streamed.versions - 1} times as the words came, through TIM's message modification)`,
    );

    section('5. a reply split in parts');
    const report = post('@helper send me the full report', ['helper']);
    const parts = await until('the whole report', () => {
      const got = answersTo(report);
      return got.some(({ text }) => text.includes('End of the report.')) && got;
    });
    const bytes = parts.reduce((sum, { text }) => sum + Buffer.byteLength(text), 0);
    say(
      `(the ${(bytes / 1024).toFixed(1)} KB answer arrived as ${parts.length} messages: TIM takes at most 12 KB in one, so it was split between paragraphs)`,
    );

    section('6. a message sent while the agent was stopped, answered after it restarted');
    await helper.stop();
    const missed = post('@helper are you there? I need the report again', ['helper']);
    say('(helper is offline: the message waits on the server)');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    say('helper starts again, on the same state file');
    await helper.start();
    await until('the answer after the restart', () => answersTo(missed).length > 0);
    say(
      `(helper caught up ${helper.runtime.metrics().caughtUp} message from the channel's history after it reconnected)`,
    );

    section('7. an agent-to-agent request');
    const ask = post('@helper ask translator: good morning', ['helper']);
    await until('the translation', () => answersTo(ask).length > 0);
  } finally {
    lobby.stop();
    await stage.close();
  }
  say('done');
}
