/**
 * The demo as `./run demo` runs it: `node examples/agent-demo/index.mjs` from the repository
 * root, as a child process on the built packages, offline on the embedded emulator. It must exit
 * 0 and print every scene it promises; `--interactive` with typed lines piped in must answer them.
 */
import { describe, expect, it } from 'vitest';
import { runExample } from './support/run-example.js';

/** A run that takes longer than this is killed (and fails): the demo is meant to take seconds. */
const RUN_LIMIT_MS = 50_000;

/** Runs the demo with `args` (and `input` on stdin); resolves with what it printed. */
function runDemo(args: string[], input = '') {
  // The interactive demo uses a real model when a key is set; the test wants the local rules.
  return runExample('agent-demo', {
    args,
    input,
    withoutEnv: ['OPENAI_API_KEY'],
    limitMs: RUN_LIMIT_MS,
  });
}

/** The printed lines without their `+1.23s ` time stamps. */
function linesOf(stdout: string): string[] {
  return stdout.split('\n').map((line) => line.replace(/^\+\d+\.\d\ds /, ''));
}

/** The non-empty lines of the scene whose heading starts with `== <number>.`. */
function scene(lines: string[], number: number): string[] {
  const start = lines.findIndex((line) => line.startsWith(`== ${number}.`));
  expect(start, `scene ${number} is printed`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((line, index) => index > start && line.startsWith('== '));
  return lines.slice(start + 1, end === -1 ? undefined : end).filter((line) => line !== '');
}

describe('the demo', () => {
  it('shows an agent registered, claimed and answering in every way it promises', async () => {
    const { code, signal, stdout, stderr } = await runDemo([]);
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    const stamped = stdout.split('\n').filter((line) => line !== '' && !line.startsWith('== '));
    expect(stamped.filter((line) => !/^\+\d+\.\d\ds /.test(line))).toEqual([]);
    const lines = linesOf(stdout);
    expect(lines.at(-2)).toBe('done');

    const registration = scene(lines, 1);
    const halfAlive = registration.findIndex((line) =>
      /^\(helper is half-alive, unclaimed: .*not claimed by its owner yet/.test(line),
    );
    const claimed = registration.indexOf('the owner claimed helper (POST /v1/agents/helper/claim)');
    const connected = registration.indexOf('(helper is connected)');
    expect(registration[0]).toMatch(
      /^POST \/v1\/agents registered agent 'helper' \(claimed: false\)/,
    );
    expect(halfAlive).toBeGreaterThan(0);
    expect(claimed).toBeGreaterThan(halfAlive);
    expect(connected).toBeGreaterThan(claimed);
    expect(registration).toContain(
      'a second agent, translator, is connected; it takes requests from helper only',
    );

    expect(scene(lines, 2)).toEqual([
      '[#lobby] alice: @helper hello! what can you do?',
      expect.stringMatching(/^\[#lobby\] helper: @Alice Hello Alice! I am helper/),
    ]);

    const ignored = scene(lines, 3);
    expect(ignored[0]).toBe('[#lobby] alice: anyone up for lunch?');
    expect(ignored[1]).toMatch(/^\(helper received it and stayed quiet: it was not mentioned/);
    expect(ignored.filter((line) => line.includes('helper:'))).toEqual([]);

    const streamed = scene(lines, 4);
    expect(streamed[0]).toBe('[#lobby] alice: @helper tell me a story');
    expect(streamed[1]).toMatch(/^\[#lobby\] helper: @Alice Once/);
    const edits = streamed.filter((line) => line.startsWith('[#lobby] helper edits (v'));
    expect(edits.length).toBeGreaterThanOrEqual(2);
    expect(edits.at(-1)).toMatch(/as it thought of it\./);
    expect(streamed.at(-1)).toBe(
      `(one message, updated ${edits.length} times as the words came, through TIM's message modification)`,
    );

    const split = scene(lines, 5);
    expect(split[0]).toBe('[#lobby] alice: @helper send me the full report');
    const parts = split.filter((line) => line.startsWith('[#lobby] helper: '));
    expect(parts).toHaveLength(2);
    expect(parts[0]).toMatch(/^\[#lobby\] helper: @Alice The full report:/);
    expect(parts[1]).toMatch(/End of the report\. \([\d.]+ KB\)$/);
    expect(split.at(-1)).toMatch(
      /^\(the [\d.]+ KB answer arrived as 2 messages: TIM takes at most 12 KB/,
    );

    const caughtUp = scene(lines, 6);
    const stopped = caughtUp.indexOf('(helper is stopped)');
    const missed = caughtUp.indexOf(
      '[#lobby] alice: @helper are you there? I need the report again',
    );
    const restarted = caughtUp.indexOf('helper starts again, on the same state file');
    const answer = caughtUp.findIndex((line) =>
      /^\[#lobby\] helper: @Alice Back now! Sorry for the wait: I was offline when you wrote "are you there\?/.test(
        line,
      ),
    );
    expect(stopped).toBeGreaterThanOrEqual(0);
    expect(missed).toBeGreaterThan(stopped);
    expect(restarted).toBeGreaterThan(missed);
    expect(answer).toBeGreaterThan(restarted);
    expect(caughtUp).toContain(
      "(helper caught up 1 message from the channel's history after it reconnected)",
    );

    expect(scene(lines, 7)).toEqual(
      expect.arrayContaining([
        '[#lobby] alice: @helper ask translator: good morning',
        '  translator got a request from helper: "good morning"',
        '  translator answers helper: "good morning" in French is "bonjour".',
        '[#lobby] helper: @Alice I asked translator. translator says: "good morning" in French is "bonjour".',
      ]),
    );
  });

  it('--interactive posts what the person types and the agent answers it', async () => {
    const typed = ['hello there', 'ask translator: thank you', '/quit', 'never posted'];
    const { code, signal, stdout, stderr } = await runDemo(
      ['--interactive'],
      `${typed.join('\n')}\n`,
    );
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    const lines = linesOf(stdout);
    expect(lines).toEqual(
      expect.arrayContaining([
        'helper answers with local rules (set OPENAI_API_KEY to use a real model through LangChain)',
        '[#lobby] you: hello there',
        expect.stringMatching(/^\[#lobby\] helper: @You Hello You! I am helper/),
        '[#lobby] you: ask translator: thank you',
        '  translator got a request from helper: "thank you"',
        '[#lobby] helper: @You I asked translator. translator says: "thank you" in French is "merci".',
        'done',
      ]),
    );
    expect(stdout).not.toContain('never posted');
  });
});
