import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/config-error.js';
import {
  mergePipelineConfig,
  type PipelineConfig,
  parsePipelineConfig,
  pipelineConfigSchema,
} from './pipeline-config.js';

const DEFAULTS: PipelineConfig = {
  groups: { requireMention: true, mentionAll: false, allow: ['*'], deny: [], channels: {} },
  direct: { enabled: true, allowFrom: ['*'], typing: true, markRead: true },
  debounce: { windowMs: 300, maxBatch: 20 },
  catchUp: { maxAgeMs: 3_600_000, maxMessages: 50 },
  dispatch: { concurrency: 4, timeoutMs: 120_000, maxAttempts: 3 },
  replies: { mentionSender: true, quote: true, mentionText: '@{nick} ' },
  stream: { intervalMs: 500 },
};

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (ConfigError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parsePipelineConfig', () => {
  it('applies every default to an empty or absent config', () => {
    expect(parsePipelineConfig()).toEqual(DEFAULTS);
    expect(parsePipelineConfig({})).toEqual(DEFAULTS);
  });

  it('keeps what is written and defaults the rest of each section', () => {
    const config = parsePipelineConfig({
      groups: { requireMention: false, channels: { '@TGS#1a': { requireMention: true } } },
      debounce: { windowMs: 0 },
      dispatch: { maxAttempts: 1 },
    });
    expect(config.groups).toEqual({
      ...DEFAULTS.groups,
      requireMention: false,
      channels: { '@TGS#1a': { requireMention: true } },
    });
    expect(config.debounce).toEqual({ windowMs: 0, maxBatch: 20 });
    expect(config.dispatch).toEqual({ concurrency: 4, timeoutMs: 120_000, maxAttempts: 1 });
  });

  it('lists every problem by path, saying what to write, never echoing the value', () => {
    const error = configError(() =>
      parsePipelineConfig({
        groups: { requireMention: 'yes', allow: 'all', deny: [''], chanels: {} },
        debounce: { windowMs: -5, maxBatch: 0 },
        dispatch: { timeoutMs: 1.5 },
        stream: 'fast',
        extra: true,
      }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    const byPath = Object.fromEntries(error.issues.map((issue) => [issue.path, issue.message]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        'groups.requireMention',
        'groups.allow',
        'groups.deny.0',
        'groups.chanels',
        'debounce.windowMs',
        'debounce.maxBatch',
        'dispatch.timeoutMs',
        'stream',
        'extra',
      ].sort(),
    );
    expect(byPath['groups.requireMention']).toMatch(/^expected true or false/);
    expect(byPath['groups.chanels']).toMatch(
      /unknown field .* requireMention, mentionAll, allow, deny, allowFrom, channels$/,
    );
    expect(byPath['debounce.windowMs']).toMatch(/at least 0 \(default 300\)/);
    expect(byPath.extra).toMatch(/the fields here are: groups, direct, debounce/);
    for (const message of Object.values(byPath)) {
      expect(message).not.toMatch(/yes|fast|-5|1\.5/);
    }
  });

  it('reports unknown fields in a channel override', () => {
    const error = configError(() =>
      parsePipelineConfig({ groups: { channels: { g1: { requireMentions: false } } } }),
    );
    expect(error.issues).toEqual([
      {
        path: 'groups.channels.g1.requireMentions',
        message:
          'unknown field — remove it or check its spelling; the fields here are: requireMention',
      },
    ]);
  });

  it('exposes a shape the account config can spread', () => {
    expect(Object.keys(pipelineConfigSchema.shape)).toEqual([
      'groups',
      'direct',
      'debounce',
      'catchUp',
      'dispatch',
      'replies',
      'stream',
    ]);
  });
});

describe('mergePipelineConfig', () => {
  const current = parsePipelineConfig({
    groups: { allow: ['g1', 'g2'], channels: { g1: { requireMention: false } } },
  });

  it('merges objects deeply and replaces arrays, leaving both inputs unchanged', () => {
    const snapshot = structuredClone(current);
    const merged = mergePipelineConfig(current, {
      groups: { allow: ['g3'], channels: { g2: { requireMention: false } } },
      debounce: { windowMs: 0 },
    });
    expect(merged.groups).toEqual({
      ...DEFAULTS.groups,
      allow: ['g3'],
      channels: { g1: { requireMention: false }, g2: { requireMention: false } },
    });
    expect(merged.debounce).toEqual({ windowMs: 0, maxBatch: 20 });
    expect(merged.direct).toEqual(DEFAULTS.direct);
    expect(current).toEqual(snapshot);
  });

  it('returns a field set to undefined to its default', () => {
    const merged = mergePipelineConfig(current, {
      groups: { allow: undefined, channels: { g1: { requireMention: undefined } } },
    });
    expect(merged.groups.allow).toEqual(['*']);
    expect(merged.groups.channels).toEqual({ g1: {} });
  });

  it('refuses a bad update with every issue by path and keeps nothing of it', () => {
    const error = configError(() =>
      mergePipelineConfig(current, {
        dispatch: { concurrency: 0, maxAttempts: 'three' },
        replies: { qoute: false },
      }),
    );
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(
      ['dispatch.concurrency', 'dispatch.maxAttempts', 'replies.qoute'].sort(),
    );
    expect(error.message).toMatch(/^Invalid pipeline config update:/);
  });

  it.each([[null], ['debounce=0'], [[{ debounce: {} }]]])('refuses %j as an update', (partial) => {
    expect(configError(() => mergePipelineConfig(current, partial)).issues).toEqual([
      {
        path: '',
        message:
          'expected an object with the sections to change, e.g. { debounce: { windowMs: 0 } }',
      },
    ]);
  });
});
