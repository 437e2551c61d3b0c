// A tiny OpenAI-compatible chat-completions server on loopback, standing in for the model of an
// OpenClaw gateway in tests and the example (OpenClaw's `models.providers.<id>` with
// `api: 'openai-completions'`). It answers the last real user message:
//   - a message containing `/tool <name>` makes it call that tool once (arguments `{}`), and
//     after the tool result it answers `tool <name> said: <result>`;
//   - anything else is answered `model reply: <text>`.
// Every request is recorded, so a test can see what reached the model (e.g. a tool's result).
import { createServer } from 'node:http';

/** OpenClaw appends its own context after the user's text, as another user message. */
const INTERNAL_CONTEXT = '<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>';
/** OpenClaw prefixes the user's text with a timestamp, e.g. `[Wed 2026-11-25 04:04 UTC] `. */
const TIMESTAMP = /^\[[^\]]*\d{4}-\d{2}-\d{2}[^\]]*\]\s*/;

/**
 * Starts the mock model on 127.0.0.1 (a free port).
 * @returns {Promise<{ baseUrl: string, requests: object[], close(): Promise<void> }>}
 */
export async function startMockModel() {
  /** @type {object[]} */
  const requests = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      if (req.method === 'GET' && req.url?.endsWith('/models')) {
        return json(res, { object: 'list', data: [{ id: 'echo', object: 'model' }] });
      }
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        return json(res, { error: { message: `no route ${req.method} ${req.url}` } }, 404);
      }
      const request = JSON.parse(body || '{}');
      requests.push(request);
      const reply = answer(request.messages ?? []);
      if (request.stream) stream(res, reply);
      else json(res, completion(reply));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The text of a chat message's content (a string or a list of parts). */
export function contentText(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part === 'string' ? part : (part?.text ?? ''))).join('');
  }
  return '';
}

/**
 * What the person wrote, from OpenClaw's user message: it wraps the text in a timestamp, a
 * `Conversation info` block before and a `Runtime:` line after.
 */
export function userText(message) {
  let text = message.replace(TIMESTAMP, '');
  const info = text.startsWith('Conversation info') ? text.indexOf('```\n\n') : -1;
  if (info >= 0) text = text.slice(info + 5);
  const runtime = text.indexOf('\n\nRuntime:');
  if (runtime >= 0) text = text.slice(0, runtime);
  return text.trim();
}

/** @returns {{ text: string } | { toolCall: { name: string } }} */
function answer(messages) {
  let lastUser = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message.role === 'user' && !contentText(message.content).includes(INTERNAL_CONTEXT)) {
      lastUser = i;
      break;
    }
  }
  const said = lastUser >= 0 ? userText(contentText(messages[lastUser].content)) : '';
  const toolResult = messages.slice(lastUser + 1).find((message) => message.role === 'tool');
  const wanted = /\/tool\s+(\S+)/.exec(said)?.[1];
  if (wanted && toolResult) {
    return { text: `tool ${wanted} said: ${contentText(toolResult.content).slice(0, 300)}` };
  }
  if (wanted) return { toolCall: { name: wanted } };
  return { text: `model reply: ${said}` };
}

function completion(reply) {
  const message =
    'toolCall' in reply
      ? { role: 'assistant', content: null, tool_calls: [toolCall(reply.toolCall.name)] }
      : { role: 'assistant', content: reply.text };
  return {
    id: 'mock-completion',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: 'echo',
    choices: [{ index: 0, message, finish_reason: 'toolCall' in reply ? 'tool_calls' : 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  };
}

function stream(res, reply) {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const chunk = (delta, finish = null) =>
    res.write(
      `data: ${JSON.stringify({
        id: 'mock-completion',
        object: 'chat.completion.chunk',
        created: Math.floor(Date.now() / 1000),
        model: 'echo',
        choices: [{ index: 0, delta, finish_reason: finish }],
      })}\n\n`,
    );
  if ('toolCall' in reply) {
    chunk({ role: 'assistant', tool_calls: [{ index: 0, ...toolCall(reply.toolCall.name) }] });
    chunk({}, 'tool_calls');
  } else {
    chunk({ role: 'assistant', content: reply.text });
    chunk({}, 'stop');
  }
  res.write(
    `data: ${JSON.stringify({
      id: 'mock-completion',
      object: 'chat.completion.chunk',
      choices: [],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    })}\n\n`,
  );
  res.end('data: [DONE]\n\n');
}

let calls = 0;
function toolCall(name) {
  calls += 1;
  return { id: `call_mock_${calls}`, type: 'function', function: { name, arguments: '{}' } };
}

function json(res, value, status = 200) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}
