import { describe, expect, it } from 'vitest';
import { listAccountIds, resolveAccount } from './account-config.js';

const credentials = { kind: 'secretKey', sdkAppId: 1400000001, userId: 'bot', secretKey: 'k' };

describe('resolveAccount', () => {
  it('maps OpenClaw policy keys onto core gate settings, account keys over root defaults', () => {
    const cfg = {
      channels: {
        clawlink: {
          dmPolicy: 'allowlist',
          allowFrom: ['alice'],
          groups: { '*': { requireMention: false } },
          accounts: {
            bot: {
              credentials,
              groupPolicy: 'allowlist',
              groups: { g1: { requireMention: true } },
            },
          },
        },
      },
    };
    const account = resolveAccount(cfg, 'bot');
    expect(account.issues).toEqual([]);
    expect(account.core?.direct).toEqual({ enabled: true, allowFrom: ['alice'] });
    expect(account.core?.groups).toEqual({
      requireMention: false,
      mentionAll: false,
      allow: ['*'],
      deny: [],
      channels: { g1: { requireMention: true } },
    });
    expect(account.core?.debounce).toEqual({ windowMs: 0 });
  });

  it('reports every problem with its full path and never throws', () => {
    const cfg = {
      channels: { clawlink: { accounts: { bot: { dmPolicy: 'sometimes', credentails: {} } } } },
    };
    const account = resolveAccount(cfg, 'bot');
    const paths = account.issues.map((issue) => issue.path);
    expect(paths).toContain('channels.clawlink.accounts.bot.dmPolicy');
    expect(paths).toContain('channels.clawlink.accounts.bot.credentails');
    expect(account.core).toBeUndefined();
  });

  it('lists the configured accounts, none without the section', () => {
    expect(listAccountIds({})).toEqual([]);
    expect(listAccountIds({ channels: { clawlink: { accounts: { a: {}, b: {} } } } })).toEqual([
      'a',
      'b',
    ]);
  });
});
