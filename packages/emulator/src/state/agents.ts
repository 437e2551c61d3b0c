import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { TIM_CODES, TimCodeError } from '../protocol/tim-codes.js';
import type { StoredAgent } from '../storage/storage.js';
import type { EmulatorAgent } from '../types.js';
import type { StateContext } from './state-context.js';
import type { UserState } from './users.js';

const hashKey = (apiKey: string): string => createHash('sha256').update(apiKey).digest('hex');

function publicAgent(agent: StoredAgent): EmulatorAgent {
  return {
    agentId: agent.agentId,
    userId: agent.userId,
    claimed: agent.claimed,
    revoked: agent.revoked,
  };
}

/** Agents of the credential exchange: registered, claimed, revoked, their apiKeys verified. */

/** Creates the agents part of the state; an agent's TIM user is made through `users`. */
export function createAgentState(ctx: StateContext, users: UserState) {
  const { storage, now } = ctx;

  function requireAgent(agentId: string): StoredAgent {
    const agent = storage.getAgent(agentId);
    if (!agent) {
      throw new TimCodeError(
        TIM_CODES.INVALID_PARAMETERS,
        `agent "${agentId}" is not registered; register it first`,
      );
    }
    return agent;
  }

  return {
    /** Registers an agent and its TIM user; the apiKey is returned once, only its hash kept. */
    registerAgent(
      input: { agentId?: string; userId?: string; nick?: string } = {},
    ): EmulatorAgent & {
      apiKey: string;
    } {
      const agentId = input.agentId ?? `agent_${randomBytes(8).toString('hex')}`;
      if (typeof agentId !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(agentId)) {
        throw new TimCodeError(
          TIM_CODES.INVALID_PARAMETERS,
          'agentId must be 1-64 letters, digits, dots, dashes or underscores',
        );
      }
      if (storage.getAgent(agentId)) {
        throw new TimCodeError(
          TIM_CODES.INVALID_PARAMETERS,
          `agent "${agentId}" is already registered; pick another agentId`,
        );
      }
      const userId = input.userId ?? agentId;
      const user = users.ensureUser(userId, input.nick ?? '');
      if (input.nick !== undefined && user.nick !== input.nick) {
        storage.saveUser({ ...user, nick: input.nick });
      }
      const apiKey = `ak_${randomBytes(32).toString('base64url')}`;
      const agent: StoredAgent = {
        agentId,
        userId,
        claimed: false,
        revoked: false,
        apiKeyHash: hashKey(apiKey),
        createdAt: now(),
      };
      storage.saveAgent(agent);
      return { agentId, userId, claimed: false, revoked: false, apiKey };
    },

    getAgent(agentId: string): EmulatorAgent | undefined {
      const agent = storage.getAgent(agentId);
      return agent && publicAgent(agent);
    },

    /** Marks an agent claimed (idempotent); a revoked agent cannot be claimed. */
    claimAgent(agentId: string): EmulatorAgent {
      const agent = requireAgent(agentId);
      if (agent.revoked) {
        throw new TimCodeError(
          TIM_CODES.PERMISSION_DENIED,
          `agent "${agentId}" is revoked and cannot be claimed; register a new agent`,
        );
      }
      const claimed = { ...agent, claimed: true };
      storage.saveAgent(claimed);
      return publicAgent(claimed);
    },

    /** Revokes an agent (idempotent): the credential exchange refuses it from now on. */
    revokeAgent(agentId: string): EmulatorAgent {
      const revoked = { ...requireAgent(agentId), revoked: true };
      storage.saveAgent(revoked);
      return publicAgent(revoked);
    },

    /** True when `apiKey` is the key of registered agent `agentId` (constant-time compare). */
    verifyAgentKey(agentId: string, apiKey: string): boolean {
      const agent = typeof agentId === 'string' ? storage.getAgent(agentId) : undefined;
      if (!agent || typeof apiKey !== 'string') return false;
      const expected = Buffer.from(agent.apiKeyHash, 'hex');
      const given = Buffer.from(hashKey(apiKey), 'hex');
      return timingSafeEqual(expected, given);
    },
  };
}
