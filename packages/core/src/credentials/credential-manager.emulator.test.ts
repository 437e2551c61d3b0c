import { type Emulator, startEmulator } from '@clawlink/emulator';
import { verifyUserSig } from '@clawlink/usersig';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CredentialError } from '../errors/credential-error.js';
import type { Logger } from '../logging/logger.js';
import { type CredentialManager, createCredentialManager } from './credential-manager.js';

// The real emulator's credential exchange over real HTTP. The emulator and the managers share
// one clock, so second-precision UserSig times and the rate-limit window are deterministic.
const SDK_APP_ID = 1400000077;
const SECRET_KEY = 'emulator-credentials-secret';
const TTL_SECONDS = 120;
const RATE_LIMIT = { attempts: 4, windowMs: 60_000 };

let t = Date.now();
const now = () => t;
let emulator: Emulator;
const secrets = new Set<string>([SECRET_KEY]);
const texts: string[] = [];
let requests = 0;

const logger: Logger = {
  debug: (o: object | string, m?: string) => void texts.push(JSON.stringify([o, m])),
  info: (o: object | string, m?: string) => void texts.push(JSON.stringify([o, m])),
  warn: (o: object | string, m?: string) => void texts.push(JSON.stringify([o, m])),
  error: (o: object | string, m?: string) => void texts.push(JSON.stringify([o, m])),
  child: () => logger,
};

beforeAll(async () => {
  emulator = await startEmulator({
    sdkAppId: SDK_APP_ID,
    secretKey: SECRET_KEY,
    credentialTtlSeconds: TTL_SECONDS,
    exchangeRateLimit: RATE_LIMIT,
    now,
  });
});

afterAll(async () => {
  await emulator.close();
});

afterEach(() => {
  for (const text of texts.splice(0)) {
    for (const secret of secrets) expect(text).not.toContain(secret);
  }
});

function agentManager(agentId: string, apiKey: string): CredentialManager {
  secrets.add(apiKey);
  return createCredentialManager({
    source: { kind: 'exchange', endpoint: emulator.adminUrl, agentId, apiKey },
    logger,
    now,
    random: () => 0,
    backoff: { initialDelayMs: 1000, maxDelayMs: 10_000 },
    fetch: (input, init) => {
      requests += 1;
      return fetch(input, init);
    },
  });
}

async function failure(promise: Promise<unknown>): Promise<CredentialError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a CredentialError, got credentials');
    },
    (e: unknown) => e,
  );
  if (!CredentialError.isInstance(error)) throw error;
  texts.push(error.message, String(error.cause ?? ''));
  return error;
}

describe('CredentialManager against the emulator', () => {
  it('registered agent: unclaimed until claimed, then a UserSig the emulator accepts', async () => {
    const agent = emulator.registerAgent({ agentId: 'cm_claim' });
    const m = agentManager(agent.agentId, agent.apiKey);

    const unclaimed = await failure(m.getCredentials());
    expect(unclaimed.reason).toBe('unclaimed');
    expect(unclaimed.retryAfterMs).toBe(500);

    emulator.claimAgent(agent.agentId);
    const creds = await m.getCredentials();
    secrets.add(creds.userSig);
    expect(creds).toMatchObject({ sdkAppId: SDK_APP_ID, userId: agent.userId });
    const verified = verifyUserSig(creds.userSig, {
      sdkAppId: SDK_APP_ID,
      secretKey: SECRET_KEY,
      now,
    });
    expect(verified).toMatchObject({ ok: true, userId: agent.userId, expireSeconds: TTL_SECONDS });
    expect(creds.expiresAt).toBe(verified.ok ? verified.expiresAt : 0);
    // 10% of a 120 s lifetime
    expect(m.refreshAt()).toBe(creds.expiresAt - 12_000);
  });

  it('invalidate(): the same UserSig within the second is refused; the next second brings a new one', async () => {
    const agent = emulator.registerAgent({ agentId: 'cm_invalidate' });
    emulator.claimAgent(agent.agentId);
    const m = agentManager(agent.agentId, agent.apiKey);
    t += 60_000; // a fresh rate-limit window
    const first = await m.getCredentials();
    secrets.add(first.userSig);

    m.invalidate();
    const stale = await failure(m.getCredentials());
    expect(stale.reason).toBe('unreachable');
    expect(stale.message).toContain('returned the UserSig TIM just refused');

    t += 1000;
    const second = await m.getCredentials();
    secrets.add(second.userSig);
    expect(second.userSig).not.toBe(first.userSig);
    expect(
      verifyUserSig(second.userSig, { sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, now }).ok,
    ).toBe(true);
  });

  it('revoked agent: revoked, not retryable', async () => {
    const agent = emulator.registerAgent({ agentId: 'cm_revoke' });
    emulator.claimAgent(agent.agentId);
    const m = agentManager(agent.agentId, agent.apiKey);
    t += 60_000;
    secrets.add((await m.getCredentials()).userSig);
    emulator.revokeAgent(agent.agentId);
    m.invalidate();
    const revoked = await failure(m.getCredentials());
    expect(revoked.reason).toBe('revoked');
    expect(revoked.retryable).toBe(false);
  });

  it('wrong apiKey: invalid', async () => {
    const agent = emulator.registerAgent({ agentId: 'cm_wrong_key' });
    emulator.claimAgent(agent.agentId);
    secrets.add(agent.apiKey);
    const m = agentManager(agent.agentId, `${agent.apiKey}-not`);
    t += 60_000;
    const invalid = await failure(m.getCredentials());
    expect(invalid.reason).toBe('invalid');
  });

  it('rate limit: cooldown with the exchange wait, then no request until it has passed', async () => {
    const agent = emulator.registerAgent({ agentId: 'cm_rate' });
    const m = agentManager(agent.agentId, agent.apiKey);
    t += 60_000;
    for (let i = 0; i < RATE_LIMIT.attempts; i++) {
      expect((await failure(m.getCredentials())).reason).toBe('unclaimed');
    }
    const before = requests;
    const limited = await failure(m.getCredentials());
    expect(limited.reason).toBe('cooldown');
    expect(limited.retryAfterMs).toBe(RATE_LIMIT.windowMs);
    expect(requests).toBe(before + 1);

    t += 30_000;
    const waiting = await failure(m.getCredentials());
    expect(waiting).toMatchObject({ reason: 'cooldown', retryAfterMs: 30_000 });
    expect(requests).toBe(before + 1);

    emulator.claimAgent(agent.agentId);
    t += 30_000;
    const creds = await m.getCredentials();
    secrets.add(creds.userSig);
    expect(creds.userId).toBe(agent.userId);
    expect(requests).toBe(before + 2);
  });
});
