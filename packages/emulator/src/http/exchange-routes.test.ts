import { verifyUserSig } from '@clawlink/usersig';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../index.js';
import type { Emulator } from '../types.js';
import { type ApiClient, createApiClient } from './http-test-client.js';

const SDK_APP_ID = 1400000077;
const SECRET_KEY = 'exchange-test-secret';
const TTL_SECONDS = 3600;

interface Registered {
  agentId: string;
  apiKey: string;
  userId: string;
  claimed: boolean;
}

let emulator: Emulator | undefined;
let clock = Date.now();
let logLines: string[] = [];

async function start(rateLimit = { attempts: 50, windowMs: 60_000 }): Promise<ApiClient> {
  clock = Date.now();
  logLines = [];
  emulator = await startEmulator({
    sdkAppId: SDK_APP_ID,
    secretKey: SECRET_KEY,
    credentialTtlSeconds: TTL_SECONDS,
    exchangeRateLimit: rateLimit,
    now: () => clock,
    log: (line) => logLines.push(line),
  });
  return createApiClient(emulator.adminUrl);
}

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function register(api: ApiClient, body?: unknown): Promise<Registered> {
  const answer = await api.call<Registered>('POST', '/v1/agents', body);
  expect(answer.status).toBe(201);
  return answer.body;
}

describe('credential exchange', () => {
  it('runs register -> unclaimed -> claim -> credentials -> revoke -> revoked', async () => {
    const api = await start();
    const agent = await register(api, {
      agentId: 'helper-bot',
      userId: 'helper_bot',
      nick: 'Helper',
    });
    expect(agent).toMatchObject({ agentId: 'helper-bot', userId: 'helper_bot', claimed: false });
    expect(agent.apiKey.length).toBeGreaterThanOrEqual(16);
    const credentials = { agentId: agent.agentId, apiKey: agent.apiKey };

    const unclaimed = await api.call('POST', '/v1/agents/credentials', credentials);
    expect(unclaimed.status).toBe(403);
    expect(unclaimed.body.error?.code).toBe('unclaimed');
    expect(unclaimed.body.error?.message).toContain('/v1/agents/helper-bot/claim');

    const claimed = await api.call('POST', `/v1/agents/${agent.agentId}/claim`);
    expect(claimed).toMatchObject({ status: 200, body: { agentId: 'helper-bot', claimed: true } });

    const issued = await api.call<{
      sdkAppId: number;
      userId: string;
      userSig: string;
      expiresAt: number;
    }>('POST', '/v1/agents/credentials', credentials);
    expect(issued.status).toBe(200);
    expect(issued.body.sdkAppId).toBe(SDK_APP_ID);
    expect(issued.body.userId).toBe('helper_bot');
    const verified = verifyUserSig(issued.body.userSig, {
      sdkAppId: SDK_APP_ID,
      secretKey: SECRET_KEY,
      now: () => clock,
    });
    expect(verified).toMatchObject({ ok: true, userId: 'helper_bot', expireSeconds: TTL_SECONDS });
    expect(Math.abs(issued.body.expiresAt - (clock + TTL_SECONDS * 1000))).toBeLessThanOrEqual(
      1000,
    );
    expect(
      verifyUserSig(issued.body.userSig, { sdkAppId: SDK_APP_ID, secretKey: 'other' }).ok,
    ).toBe(false);

    const revoked = await api.call('POST', `/v1/agents/${agent.agentId}/revoke`);
    expect(revoked).toMatchObject({ status: 200, body: { agentId: 'helper-bot', revoked: true } });
    const refused = await api.call('POST', '/v1/agents/credentials', credentials);
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe('revoked');

    for (const line of logLines) {
      expect(line).not.toContain(agent.apiKey);
      expect(line).not.toContain(issued.body.userSig);
    }
  });

  it('registers with no body at all, and gives each agent its own key', async () => {
    const api = await start();
    const first = await register(api);
    const second = await register(api);
    expect(first.agentId).not.toBe(second.agentId);
    expect(first.apiKey).not.toBe(second.apiKey);
    expect(emulator?.getAgent(first.agentId)).toMatchObject({ claimed: false, revoked: false });
  });

  it('answers 401 invalid for a wrong apiKey and an unknown agent, without echoing the key', async () => {
    const api = await start();
    const agent = await register(api);
    await api.call('POST', `/v1/agents/${agent.agentId}/claim`);
    const wrongKey = `${agent.apiKey.slice(0, -1)}x`;
    const wrong = await api.call('POST', '/v1/agents/credentials', {
      agentId: agent.agentId,
      apiKey: wrongKey,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error?.code).toBe('invalid');
    expect(JSON.stringify(wrong.body)).not.toContain(wrongKey);
    const unknown = await api.call('POST', '/v1/agents/credentials', {
      agentId: 'nobody',
      apiKey: agent.apiKey,
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error?.code).toBe('invalid');
    expect(logLines.join('\n')).not.toContain(agent.apiKey.slice(0, 12));
  });

  it('rate limits per agent with 429, Retry-After and retryAfterMs, and lets the agent in again later', async () => {
    const api = await start({ attempts: 3, windowMs: 10_000 });
    const agent = await register(api);
    const other = await register(api);
    await api.call('POST', `/v1/agents/${agent.agentId}/claim`);
    const credentials = { agentId: agent.agentId, apiKey: agent.apiKey };

    expect((await api.call('POST', '/v1/agents/credentials', credentials)).status).toBe(200);
    clock += 2_500;
    expect(
      (await api.call('POST', '/v1/agents/credentials', { ...credentials, apiKey: 'wrong' }))
        .status,
    ).toBe(401);
    expect((await api.call('POST', '/v1/agents/credentials', credentials)).status).toBe(200);

    const limited = await api.call('POST', '/v1/agents/credentials', credentials);
    expect(limited.status).toBe(429);
    expect(limited.body.error?.code).toBe('rate_limited');
    // The first attempt ages out 10 s after it was made, 7.5 s from now.
    expect(limited.body.error?.retryAfterMs).toBe(7_500);
    expect(limited.headers.get('retry-after')).toBe('8');

    // Another agent has its own budget.
    const otherAnswer = await api.call('POST', '/v1/agents/credentials', {
      agentId: other.agentId,
      apiKey: other.apiKey,
    });
    expect(otherAnswer.body.error?.code).toBe('unclaimed');

    clock += 7_500;
    expect((await api.call('POST', '/v1/agents/credentials', credentials)).status).toBe(200);
  });

  it('answers 400 naming the field, 404 for unknown agents and 405 for wrong methods', async () => {
    const api = await start();
    const missing = await api.call('POST', '/v1/agents/credentials', { agentId: 'a' });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'bad_request' });
    expect(missing.body.error?.message).toMatch(/apiKey is missing; send \{agentId, apiKey\}/);

    const mistyped = await api.call('POST', '/v1/agents', { agentId: 42 });
    expect(mistyped.status).toBe(400);
    expect(mistyped.body.error?.message).toMatch(
      /agentId must be a non-empty string \(got an integer\)/,
    );
    const unknownField = await api.call('POST', '/v1/agents', { agent: 'x' });
    expect(unknownField.body.error?.message).toMatch(
      /agent is not a known field; send only \{agentId\?, userId\?, nick\?\}/,
    );
    const badUser = await api.call('POST', '/v1/agents', { userId: 'has space' });
    expect(badUser.status).toBe(400);
    expect(emulator?.listUsers().map((u) => u.userId)).not.toContain('has space');

    for (const action of ['claim', 'revoke']) {
      const answer = await api.call('POST', `/v1/agents/ghost/${action}`);
      expect(answer.status).toBe(404);
      expect(answer.body.error?.code).toBe('not_found');
    }
    const wrongMethod = await api.call('GET', '/v1/agents/credentials');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });
});
