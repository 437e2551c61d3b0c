import { describe, expect, it } from 'vitest';
import { defaultStateDir, stateFileName } from './state-file.js';

describe('defaultStateDir', () => {
  const home = '/home/ada';

  it('prefers CLAWLINK_STATE_DIR, then an absolute XDG_DATA_HOME', () => {
    const env = { CLAWLINK_STATE_DIR: '/srv/claw', XDG_DATA_HOME: '/xdg' };
    expect(defaultStateDir({ env, platform: 'linux', homeDir: home })).toBe('/srv/claw');
    expect(
      defaultStateDir({ env: { XDG_DATA_HOME: '/xdg' }, platform: 'linux', homeDir: home }),
    ).toBe('/xdg/clawlink');
  });

  it('ignores a relative XDG_DATA_HOME, as the XDG spec says', () => {
    expect(
      defaultStateDir({ env: { XDG_DATA_HOME: 'rel' }, platform: 'linux', homeDir: home }),
    ).toBe('/home/ada/.local/share/clawlink');
  });

  it('uses each platform’s per-user data directory', () => {
    expect(defaultStateDir({ env: {}, platform: 'linux', homeDir: home })).toBe(
      '/home/ada/.local/share/clawlink',
    );
    expect(defaultStateDir({ env: {}, platform: 'darwin', homeDir: '/Users/ada' })).toBe(
      '/Users/ada/Library/Application Support/clawlink',
    );
    expect(
      defaultStateDir({
        env: { LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' },
        platform: 'win32',
        homeDir: 'C:\\Users\\ada',
      }),
    ).toBe('C:\\Users\\ada\\AppData\\Local\\clawlink');
    expect(defaultStateDir({ env: {}, platform: 'win32', homeDir: 'C:\\Users\\ada' })).toBe(
      'C:\\Users\\ada\\AppData\\Local\\clawlink',
    );
  });
});

describe('stateFileName', () => {
  it('uses a plain lowercase id as it is', () => {
    expect(stateFileName('support-bot_2.eu')).toBe('support-bot_2.eu.sqlite');
  });

  it('gives anything else a slug and a hash, never a path separator', () => {
    for (const id of [
      '../x',
      'a/b',
      'a\\b',
      '..',
      '.hidden',
      'Bot',
      'CON',
      'nul.txt',
      'ünï 🦀',
      '',
    ]) {
      const name = stateFileName(id);
      expect(name).toMatch(/^[a-z0-9_-]+~[0-9a-f]{16}\.sqlite$|^account~[0-9a-f]{16}\.sqlite$/);
      expect(name).not.toMatch(/[/\\]/);
    }
    expect(stateFileName('../x')).toMatch(/^x~/);
    expect(stateFileName('ünï')).toMatch(/^uni~/);
  });

  it('keeps names short and distinct, even for ids that only differ by case or length', () => {
    const ids = ['Bot', 'bot', 'BOT', 'x'.repeat(200), `${'x'.repeat(200)}y`, 'a/b', 'a-b', 'a b'];
    const names = ids.map(stateFileName);
    expect(new Set(names).size).toBe(ids.length);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(64 + '.sqlite'.length);
  });

  it('tells apart ids that differ only in lone surrogates (UTF-8 would make both U+FFFD)', () => {
    const ids = ['agent\uD800', 'agent\uDC00', 'agent\uFFFD', 'agent\uDC00\uD800'];
    expect(new Set(ids.map(stateFileName)).size).toBe(ids.length);
  });

  it('keeps the names of well-formed ids as they were', () => {
    expect(stateFileName('Bot')).toBe('bot~41e35ba1a1fd8b4c.sqlite');
    expect(stateFileName('ünï 🦀')).toMatch(/^uni~/);
  });
});
