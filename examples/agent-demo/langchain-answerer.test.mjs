// The interactive demo with LangChain, as a person runs it with OPENAI_API_KEY set: the model is
// an OpenAI-compatible server on loopback (this file's, scripted: it calls clawlink's
// list-channels tool, then answers from the tool's result, streamed), everything else is real:
// the demo as a child process, the emulator, the TIM SDK, LangChain's createAgent.
// Run by `pnpm test` in this package (node's own test runner), after the packages are built.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** A chat-completions server: a tool call first, then an answer built from the tool's result. */
async function startModel() {
  const requests = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const parsed = JSON.parse(body);
      requests.push({ url: request.url, body: parsed });
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (delta, finish = null) =>
        response.write(
          `data: ${JSON.stringify({
            id: `chatcmpl-${requests.length}`,
            object: 'chat.completion.chunk',
            created: 0,
            model: parsed.model,
            choices: [{ index: 0, delta, finish_reason: finish }],
          })}\n\n`,
        );
      const toolResult = parsed.messages.find((message) => message.role === 'tool');
      if (!toolResult) {
        send({
          role: 'assistant',
          tool_calls: [
            {
              index: 0,
              id: 'call_1',
              type: 'function',
              function: { name: 'clawlink_list_channels', arguments: '{}' },
            },
          ],
        });
        send({}, 'tool_calls');
      } else {
        const { channels } = JSON.parse(toolResult.content);
        const answer = `I am in ${channels.map((channel) => `#${channel.name}`).join(', ')}.`;
        for (const word of answer.split(/(?<= )/)) send({ role: 'assistant', content: word });
        send({}, 'stop');
      }
      response.end('data: [DONE]\n\n');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/v1`, requests, server };
}

/** Runs the interactive demo with `input` typed in; killed after 50 s. */
function runDemo(env, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'index.mjs'), '--interactive'], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const limit = setTimeout(() => child.kill('SIGKILL'), 50_000);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(limit);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

test('with OPENAI_API_KEY set, helper answers through LangChain and uses clawlink tools', async () => {
  const model = await startModel();
  try {
    const { code, signal, stdout, stderr } = await runDemo(
      { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: model.url, OPENAI_MODEL: 'test-model' },
      'which channels are you in?\n/quit\n',
    );
    assert.deepEqual({ code, signal, stderr }, { code: 0, signal: null, stderr: '' });
    const lines = stdout.split('\n').map((line) => line.replace(/^\+\d+\.\d\ds /, ''));
    assert.ok(
      lines.includes(
        `helper answers with LangChain: test-model via ${model.url}, with clawlink's tools`,
      ),
      stdout,
    );
    assert.ok(lines.includes('[#lobby] you: which channels are you in?'), stdout);
    const answers = lines.filter((line) => line.startsWith('[#lobby] helper'));
    assert.match(answers.at(-1), /@You I am in #lobby\.$/);

    assert.equal(model.requests.length, 2);
    const [first, second] = model.requests;
    assert.equal(first.url, '/v1/chat/completions');
    assert.equal(first.body.model, 'test-model');
    const tools = first.body.tools.map((tool) => tool.function.name);
    assert.ok(tools.includes('clawlink_list_channels') && tools.includes('clawlink_request_agent'));
    const asked = first.body.messages.findLast((message) => message.role === 'user');
    assert.match(String(asked.content), /which channels are you in\?/);
    const toolResult = second.body.messages.find((message) => message.role === 'tool');
    assert.deepEqual(
      JSON.parse(toolResult.content).channels.map((channel) => channel.id),
      ['lobby'],
    );
  } finally {
    model.server.close();
  }
});
