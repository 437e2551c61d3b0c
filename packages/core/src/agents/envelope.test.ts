import { describe, expect, it } from 'vitest';
import {
  type AgentEnvelope,
  encodeEnvelope,
  isAgentEnvelope,
  type ParsedEnvelope,
  parseEnvelope,
} from './envelope.js';

const request: AgentEnvelope = {
  type: 'clawlink.request',
  v: 1,
  id: 'r-1',
  task: 'Summarise   the\nrelease notes',
  context: '{"version":"1.2"}',
  deadline: 1_800_000_000_000,
};

const data = (body: unknown) => ({ data: JSON.stringify(body) });

function problem(parsed: ParsedEnvelope) {
  if (parsed.ok) throw new Error('expected a problem');
  return parsed.problem;
}

describe('envelope', () => {
  it('encodes a request as versioned JSON with a human-readable description', () => {
    const custom = encodeEnvelope(request);
    expect(JSON.parse(custom.data)).toEqual({
      type: 'clawlink.request',
      v: 1,
      id: 'r-1',
      task: 'Summarise   the\nrelease notes',
      context: '{"version":"1.2"}',
      deadline: 1_800_000_000_000,
    });
    expect(custom.description).toBe('Agent request: Summarise the release notes');
    expect(custom.extension).toBe('');
    expect(parseEnvelope(custom)).toEqual({ ok: true, envelope: request });
  });

  it('round-trips every response shape and shortens long descriptions', () => {
    const responses: AgentEnvelope[] = [
      { type: 'clawlink.response', v: 1, id: 'r-1', status: 'ok', result: 'x'.repeat(500) },
      {
        type: 'clawlink.response',
        v: 1,
        id: 'r-1',
        status: 'ok',
        result: 'piece',
        part: { index: 1, count: 3 },
      },
      { type: 'clawlink.response', v: 1, id: 'r-1', status: 'refused', reason: 'not allowed' },
      { type: 'clawlink.response', v: 1, id: 'r-1', status: 'failed', reason: 'boom' },
    ];
    for (const envelope of responses) {
      expect(parseEnvelope(encodeEnvelope(envelope))).toEqual({ ok: true, envelope });
    }
    const descriptions = responses.map((e) => encodeEnvelope(e).description);
    expect(descriptions[0]).toBe(`Agent response: ${'x'.repeat(79)}…`);
    expect(descriptions.slice(1)).toEqual([
      'Agent response (part 2 of 3)',
      'Agent request refused: not allowed',
      'Agent request failed: boom',
    ]);
  });

  it('recognises envelopes of any version or shape, and nothing else', () => {
    expect(isAgentEnvelope(encodeEnvelope(request))).toBe(true);
    expect(isAgentEnvelope(data({ type: 'clawlink.request', v: 9 }))).toBe(true);
    expect(isAgentEnvelope(data({ type: 'clawlink.response' }))).toBe(true);
    for (const other of [
      data({ type: 'typing' }),
      data(['clawlink.request']),
      { data: 'clawlink.request' },
      { data: '{"type":"clawlink.request"' },
      { data: 42 },
      {},
      undefined,
    ]) {
      expect(isAgentEnvelope(other)).toBe(false);
    }
  });

  it('reports what is wrong with a malformed envelope instead of throwing', () => {
    const cases: [unknown, string][] = [
      [{ type: 'clawlink.request', v: 2, id: 'a' }, 'unsupported envelope version 2'],
      [{ type: 'clawlink.request', id: 'a' }, 'unsupported envelope version undefined'],
      [{ type: 'clawlink.request', v: 1, task: 't', deadline: 1 }, 'id must be a non-empty'],
      [{ type: 'clawlink.request', v: 1, id: 'x'.repeat(129) }, 'id must be'],
      [{ type: 'clawlink.request', v: 1, id: 'a', task: 42, deadline: 1 }, 'task must be'],
      [{ type: 'clawlink.request', v: 1, id: 'a', task: ' ', deadline: 1 }, 'task must be'],
      [
        { type: 'clawlink.request', v: 1, id: 'a', task: 't', context: {}, deadline: 1 },
        'context must be a string',
      ],
      [{ type: 'clawlink.request', v: 1, id: 'a', task: 't', deadline: 'soon' }, 'deadline'],
      [{ type: 'clawlink.response', v: 1, id: 'a', status: 'maybe' }, 'status must be'],
      [{ type: 'clawlink.response', v: 1, id: 'a', status: 'ok' }, 'result must be a string'],
      [{ type: 'clawlink.response', v: 1, id: 'a', status: 'failed' }, 'reason must be'],
      [
        {
          type: 'clawlink.response',
          v: 1,
          id: 'a',
          status: 'ok',
          result: '',
          part: { index: 3, count: 3 },
        },
        'part must be',
      ],
      [{ type: 'other', v: 1, id: 'a' }, "type must be 'clawlink.request'"],
    ];
    for (const [body, message] of cases) {
      expect(problem(parseEnvelope(data(body))).message).toContain(message);
    }
    expect(problem(parseEnvelope(data({ type: 'clawlink.request', v: 2, id: 'a' })))).toEqual({
      type: 'clawlink.request',
      id: 'a',
      message: 'unsupported envelope version 2; this agent reads version 1',
    });
    expect(problem(parseEnvelope({ data: '{not json' }))).toEqual({
      type: undefined,
      id: undefined,
      message: 'the custom data is not a JSON object',
    });
    expect(problem(parseEnvelope(undefined)).message).toBe('the custom data is not a JSON object');
  });

  it('ignores fields version 1 does not know', () => {
    const parsed = parseEnvelope(data({ ...request, priority: 'high' }));
    expect(parsed).toEqual({ ok: true, envelope: request });
  });
});
