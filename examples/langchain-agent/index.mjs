// A LangChain agent in a Tencent Cloud IM channel, offline on the embedded clawlink emulator.
//
// The agent is a clawlink account runtime (the real tim-js-sdk underneath) whose dispatch runs
// a LangChain `createAgent` with clawlink's tools. Alice @-mentions it in #garden; the agent
// lists its channels, reads the channel's history and answers in the channel.
//
// By default the model is a small scripted tool-calling model (no network, no key). Set
// OPENAI_API_KEY (and optionally OPENAI_BASE_URL, OPENAI_MODEL) to use a real OpenAI-compatible
// model through @langchain/openai instead (`--scripted` keeps the scripted model regardless).
// Run from the repository root: node examples/langchain-agent/index.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccountRuntime } from '@clawlink/core';
import { startEmulator } from '@clawlink/emulator';
import { createClawlinkTools, createLangChainDispatch } from '@clawlink/langchain';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, AIMessageChunk } from '@langchain/core/messages';
import { ChatGenerationChunk } from '@langchain/core/outputs';
import { createAgent } from 'langchain';

const SDK_APP_ID = 1400000002;
const SECRET_KEY = 'clawlink-langchain-demo-secret';
const AGENT = 'gardenbot';
const ANSWER_TIMEOUT_MS = 120_000;

const say = (line) => console.log(line);

/**
 * A scripted tool-calling chat model: no network. It decides from the conversation: first it
 * lists its channels, then it reads the history of the channel it was asked in, then it answers
 * from what the tools returned, streaming the answer word by word like a real model.
 */
class ScriptedGardenModel extends BaseChatModel {
  _llmType() {
    return 'scripted-garden-model';
  }

  bindTools() {
    return this;
  }

  #turn(messages) {
    const results = messages.filter((m) => m.type === 'tool');
    const lastHuman = messages.findLast((m) => m.type === 'human');
    const channelId = /\(channel id ([^)]+)\)/.exec(String(lastHuman?.content))?.[1];
    const listed = results.find((m) => m.name === 'clawlink_list_channels');
    const fetched = results.find((m) => m.name === 'clawlink_fetch_messages');
    if (!listed) return { tool: { name: 'clawlink_list_channels', args: {} } };
    if (!fetched) {
      return { tool: { name: 'clawlink_fetch_messages', args: { channelId, count: 10 } } };
    }
    const { channels = [] } = JSON.parse(String(listed.content));
    const { messages: history = [], error } = JSON.parse(String(fetched.content));
    if (error) return { text: `I could not read the history: ${error.message}` };
    const earlier = history.filter((m) => m.from !== AGENT && !m.text.includes(`@${AGENT}`));
    return {
      text:
        `I am in ${channels.length} channels: ${channels.map((c) => `#${c.name}`).join(', ')}. ` +
        `Here, earlier: ${earlier.map((m) => `${m.nick ?? m.from} said "${m.text}"`).join('; ')}.`,
    };
  }

  async _generate(messages) {
    const turn = this.#turn(messages);
    const message = turn.tool
      ? new AIMessage({
          content: '',
          tool_calls: [{ ...turn.tool, id: `call_${messages.length}` }],
        })
      : new AIMessage(turn.text);
    return { generations: [{ message, text: turn.text ?? '' }] };
  }

  async *_streamResponseChunks(messages, _options, runManager) {
    const turn = this.#turn(messages);
    if (turn.tool) {
      const toolCall = { ...turn.tool, id: `call_${messages.length}`, type: 'tool_call' };
      yield new ChatGenerationChunk({
        message: new AIMessageChunk({ content: '', tool_calls: [toolCall] }),
        text: '',
      });
      return;
    }
    for (const word of turn.text.match(/\S+\s*/g) ?? []) {
      const chunk = new ChatGenerationChunk({ message: new AIMessageChunk(word), text: word });
      yield chunk;
      await runManager?.handleLLMNewToken(word, undefined, undefined, undefined, undefined, {
        chunk,
      });
    }
  }
}

async function chooseModel() {
  if (!process.env.OPENAI_API_KEY || process.argv.includes('--scripted')) {
    say('model: a scripted tool-calling model (set OPENAI_API_KEY to use a real one)');
    return new ScriptedGardenModel({});
  }
  const { ChatOpenAI } = await import('@langchain/openai');
  const model = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';
  const baseURL = process.env.OPENAI_BASE_URL;
  say(`model: ${model} via ${baseURL ?? 'api.openai.com'}`);
  return new ChatOpenAI({
    model,
    streaming: true,
    ...(baseURL ? { configuration: { baseURL } } : {}),
  });
}

const stateDir = mkdtempSync(join(tmpdir(), 'clawlink-langchain-demo-'));
const emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
say(`emulator listening on ${emulator.wsUrl}`);
emulator.createUser('alice', { nick: 'Alice' });
emulator.createUser(AGENT, { nick: 'Garden bot' });
emulator.createGroup({
  groupId: 'garden',
  name: 'Garden',
  owner: 'alice',
  members: ['alice', AGENT],
  customFields: { clawlink_skill: 'Help with the garden. Answer briefly.' },
});
emulator.createGroup({
  groupId: 'kitchen',
  name: 'Kitchen',
  owner: 'alice',
  members: ['alice', AGENT],
});
emulator.postGroupMessage({
  groupId: 'garden',
  from: 'alice',
  content: { text: 'the roses need water' },
});
emulator.postGroupMessage({
  groupId: 'garden',
  from: 'alice',
  content: { text: 'tomatoes are ripe' },
});
say('alice created #garden (with a skill) and #kitchen, and posted twice in #garden');

const model = await chooseModel();
const runtime = createAccountRuntime({
  config: {
    accountId: AGENT,
    server: emulator.wsUrl,
    stateDir,
    credentials: { kind: 'secretKey', sdkAppId: SDK_APP_ID, userId: AGENT, secretKey: SECRET_KEY },
    stream: { intervalMs: 100 },
  },
});
// The factory gets the runtime: the tools and the agent are built in one place.
runtime.setDispatch(
  createLangChainDispatch(
    (rt) =>
      createAgent({
        model,
        tools: createClawlinkTools(rt),
        systemPrompt: `You are ${AGENT}, a helpful agent in Tencent Cloud IM. Use the tools to look things up.`,
      }),
    {
      config: {
        callbacks: [
          {
            handleToolStart: (_tool, input, _runId, _parent, _tags, _meta, name) =>
              say(`  [tool] ${name} ${input}`),
            handleToolEnd: (output) => {
              const text = typeof output?.content === 'string' ? output.content : String(output);
              say(`  [tool result] ${text.length > 160 ? `${text.slice(0, 160)}...` : text}`);
            },
          },
        ],
      },
    },
  ),
);
await runtime.start();
say(`${AGENT} is ${runtime.status().state}`);

const question = `@${AGENT} which channels are you in, and what was said here before?`;
emulator.postGroupMessage({
  groupId: 'garden',
  from: 'alice',
  content: { text: question, atUserIds: [AGENT] },
});
say(`[#garden] alice: ${question}`);

const deadline = Date.now() + ANSWER_TIMEOUT_MS;
const answered = () => {
  const { streamed, replied, failures } = runtime.metrics();
  return streamed + replied + failures > 0;
};
while (!answered() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

const reply = emulator.groupHistory('garden').findLast((m) => m.from === AGENT);
const ok = reply !== undefined && runtime.metrics().failures === 0;
if (ok) say(`[#garden] ${AGENT}: ${reply.content.text}`);
else say(`no answer from ${AGENT} (metrics: ${JSON.stringify(runtime.metrics())})`);

await runtime.stop();
await emulator.close();
rmSync(stateDir, { recursive: true, force: true });
say(ok ? 'done' : 'failed');
process.exitCode = ok ? 0 : 1;
