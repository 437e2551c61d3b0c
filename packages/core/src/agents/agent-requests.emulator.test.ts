import { type Emulator, startEmulator } from '@clawlink/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStateStore } from '../state/memory-state-store.js';
import { sendMessage } from '../tim/messages.js';
import { waitUntil } from '../tim/test-support.js';
import { createTimClient, type TimClient, type TimMessage } from '../tim/tim-client.js';
import { AgentRequestError } from './agent-request-error.js';
import { type AgentRequestDispatch, AgentRequests } from './agent-requests.js';
import type { AgentRequestsConfigInput } from './agent-requests-config.js';
import { isAgentEnvelope } from './envelope.js';

// Two agents on the emulator, each a real tim-js-sdk client: envelopes travel as real C2C
// custom messages and come back as TimMessages.
const SDK_APP_ID = 1400000061;
let emulator: Emulator;
const clients: TimClient[] = [];

interface Agent {
  client: TimClient;
  agents: AgentRequests;
  received: TimMessage[];
}

async function agent(
  userId: string,
  config: AgentRequestsConfigInput,
  dispatch: AgentRequestDispatch,
): Promise<Agent> {
  emulator.createUser(userId);
  const client = createTimClient({ sdkAppId: SDK_APP_ID, server: emulator.wsUrl });
  clients.push(client);
  const agents = new AgentRequests({
    store: createMemoryStateStore(),
    sendDirect: (to, custom) => sendMessage(client, { type: 'c2c', id: to }, { custom }),
    dispatch,
    config,
  });
  const received: TimMessage[] = [];
  client.on('message', (message) => {
    received.push(message);
    if (message.kind === 'custom' && isAgentEnvelope(message.custom)) {
      void agents.handleEnvelope(message.from, message.custom ?? {});
    }
  });
  await client.login({ userId, userSig: emulator.userSig(userId) });
  return { client, agents, received };
}

beforeAll(async () => {
  emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: 'agent-requests-secret' });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.destroy()));
  await emulator?.close();
});

describe('agent requests through the TIM SDK and the emulator', () => {
  it('asks another agent, gets its answer, a 40 KB one in parts, and a refusal', async () => {
    const report = 'Zusammenfassung — 数据 😀 "ok"\n'.repeat(1200);
    expect(Buffer.byteLength(report)).toBeGreaterThan(40 * 1024);
    const planner = await agent('planner', {}, async () => 'planner takes no work');
    const worker = await agent('worker', { allowFrom: ['planner'] }, async (request) =>
      request.task === 'report' ? report : `${request.task} for ${request.from}: done`,
    );

    const answer = await planner.agents.request('worker', 'deploy', {
      context: 'v1.2',
      timeoutMs: 20_000,
    });
    expect(answer).toMatchObject({ from: 'worker', result: 'deploy for planner: done' });
    const request = worker.received.find((m) => m.kind === 'custom');
    expect(request).toMatchObject({
      conversation: { type: 'c2c', id: 'planner' },
      from: 'planner',
    });
    expect(request?.custom?.description).toBe('Agent request: deploy');
    expect(JSON.parse(request?.custom?.data ?? '{}')).toMatchObject({
      type: 'clawlink.request',
      v: 1,
      id: answer.id,
      task: 'deploy',
      context: 'v1.2',
    });

    const long = await planner.agents.request('worker', 'report', { timeoutMs: 20_000 });
    expect(long.result).toBe(report);
    const parts = planner.received.filter((m) => m.custom?.data.includes(long.id));
    expect(parts.length).toBeGreaterThan(3);

    // The planner takes requests from nobody: the worker is refused at once.
    const refused = await worker.agents
      .request('planner', 'help me', { timeoutMs: 20_000 })
      .catch((error: unknown) => error);
    expect(AgentRequestError.isInstance(refused) && refused.code).toBe('AGENT_REQUEST_REFUSED');

    await waitUntil(() => worker.agents.pending().length === 0, 10_000, 'settled requests');
    expect(worker.agents.result(long.id)).toMatchObject({ direction: 'inbound', status: 'ok' });
  });
});
