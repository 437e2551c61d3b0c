/**
 * The examples as a newcomer runs them: `node examples/<name>/index.mjs` from the repository
 * root, as a child process, offline on the embedded emulator; each must exit 0 and print the
 * conversation it promises.
 */
import { describe, expect, it } from 'vitest';
import { runExample } from './support/run-example.js';

/** Runs an example to its end; resolves with its exit code and what it printed. */
const run = (name: string) => runExample(name);

describe('examples', () => {
  it('echo-agent answers a mention with a string and a direct message with a stream', async () => {
    const { code, stdout, stderr } = await run('echo-agent');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        '[#lobby] alice: @echo hello, is anyone there?',
        '[#lobby] echo: @Alice You said: hello, is anyone there?',
        '[direct] alice: just between us',
        '[direct] echo: You said: just between us',
        'done',
      ]),
    );
  });

  it('agent-to-agent hands a task over, gets the answers back, and shows a refusal', async () => {
    const { code, stdout, stderr } = await run('agent-to-agent');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        '  researcher got a task from planner: "the size limit of one TIM message"',
        'planner got from researcher: One TIM message carries at most 12 KB.',
        'planner got from researcher: A group takes at most 40 messages a second.',
        'done',
      ]),
    );
    expect(stdout).toMatch(
      /stranger was refused \(AGENT_REQUEST_REFUSED\): .*does not take requests from 'stranger'/,
    );
    expect(lines.filter((line) => line.startsWith('  researcher got a task'))).toHaveLength(2);
  });

  it('langchain-agent: a scripted tool-calling model lists channels, reads history and answers', async () => {
    const { code, stdout, stderr } = await run('langchain-agent');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        '  [tool] clawlink_list_channels {}',
        '[#garden] gardenbot: @Alice I am in 2 channels: #Garden, #Kitchen. Here, earlier: Alice said "the roses need water"; Alice said "tomatoes are ripe".',
        'done',
      ]),
    );
  });

  it('two-users shows the core API: a channel with a skill, mentions, direct messages, history', async () => {
    const { code, stdout, stderr } = await run('two-users');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        '[#lobby] alice: @bob how is the weather over there?',
        '[#lobby] bob: @alice Sunny, 24 degrees. And with you?',
        '[direct] alice: p.s. this one is just between us',
        'the server keeps 6 text messages in #lobby',
        'done',
      ]),
    );
  });
});
