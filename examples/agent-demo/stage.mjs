// What every run of the demo sets up: the embedded emulator, a channel with a person in it,
// and agents registered through the emulator's credential exchange (the clawlink flow: an
// agent is registered first, gets an apiKey, and works once its owner claims it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '@clawlink/emulator';
import { createAgent } from '@clawlink/events';

const SDK_APP_ID = 1400000003;
// The emulator's own key: it signs the UserSigs the credential exchange hands out.
const SECRET_KEY = 'clawlink-agent-demo-secret';

/** The channel of the demo. */
export const LOBBY = {
  groupId: 'lobby',
  name: 'lobby',
  skill: 'Help whoever asks. Answer when you are @-mentioned.',
};

/** Starts the emulator with `person` and the lobby channel; `close()` removes everything. */
export async function createStage({ person, personNick }) {
  const stateDir = mkdtempSync(join(tmpdir(), 'clawlink-agent-demo-'));
  const emulator = await startEmulator({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY });
  emulator.createUser(person, { nick: personNick });
  emulator.createGroup({
    groupId: LOBBY.groupId,
    name: LOBBY.name,
    owner: person,
    customFields: { clawlink_skill: LOBBY.skill },
  });
  const agents = [];
  return {
    emulator,
    /**
     * Registers an agent at the credential exchange over HTTP (`POST /v1/agents`), as an
     * agent's installer would; resolves with its registration (`agentId`, `apiKey`, `claimed`).
     */
    register: (agentId, nick) => post(emulator, '/v1/agents', { agentId, nick }),
    /** The owner claims the agent (`POST /v1/agents/:agentId/claim`): from now on it gets credentials. */
    claim: (agentId) => post(emulator, `/v1/agents/${encodeURIComponent(agentId)}/claim`, {}),
    /** An `@clawlink/events` agent that gets its credentials from the exchange. */
    agent(registration, extra = {}) {
      const agent = createAgent({
        accountId: registration.agentId,
        server: emulator.wsUrl,
        stateDir,
        credentials: {
          kind: 'exchange',
          endpoint: emulator.adminUrl,
          agentId: registration.agentId,
          apiKey: registration.apiKey,
        },
        // Checks the exchange again soon while unclaimed (defaults: 2 s, growing to 5 min).
        credentialRetry: { initialDelayMs: 500, maxDelayMs: 2_000 },
        // A streamed reply's message is updated at most every 250 ms (default 500).
        stream: { intervalMs: 250 },
        ...extra,
      });
      agents.push(agent);
      return agent;
    },
    async close() {
      await Promise.all(agents.map((agent) => agent.stop()));
      await emulator.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

async function post(emulator, path, body) {
  const response = await fetch(`${emulator.adminUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) {
    throw new Error(`POST ${path} answered ${response.status}: ${answer.error?.message}`);
  }
  return answer;
}
