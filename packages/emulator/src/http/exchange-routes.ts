import { decodeUserSig } from '@clawlink/usersig';
import { HttpError, notFound } from './http-error.js';
import { createRateLimiter } from './rate-limiter.js';
import type { ApiRoute, HttpApiEmulator, HttpApiOptions } from './route-types.js';
import { object, optional, parseBody, string, userId } from './validate.js';

const registerBody = object({
  agentId: optional(string()),
  userId: optional(userId()),
  nick: optional(string({ allowEmpty: true })),
});
const credentialsBody = object({
  agentId: string({ maxLength: 128 }),
  apiKey: string({ maxLength: 1024 }),
});

/**
 * The credential exchange of the clawlink flow (README, "Credential exchange"): register an
 * agent, claim or revoke it, and trade `{agentId, apiKey}` for a UserSig.
 */
export function createExchangeRoutes(
  emulator: HttpApiEmulator,
  options: HttpApiOptions,
): ApiRoute[] {
  const limiter = createRateLimiter({ ...options.exchangeRateLimit, now: options.now });

  function existingAgent(agentId: string) {
    const agent = emulator.getAgent(agentId);
    if (!agent) {
      throw notFound(`no agent "${agentId}"; register one with POST /v1/agents`);
    }
    return agent;
  }

  return [
    {
      method: 'POST',
      pattern: '/v1/agents/credentials',
      handler: ({ body }) => {
        const { agentId, apiKey } = parseBody(body, credentialsBody);
        const decision = limiter.attempt(agentId);
        if (!decision.allowed) {
          const seconds = Math.ceil(decision.retryAfterMs / 1000);
          options.log(`exchange: agent "${agentId}" rate limited for ${seconds}s`);
          throw new HttpError(
            429,
            'rate_limited',
            `too many credential requests for agent "${agentId}"; retry in ${seconds} s`,
            {
              headers: { 'Retry-After': String(seconds) },
              extra: { retryAfterMs: decision.retryAfterMs },
            },
          );
        }
        const agent = emulator.getAgent(agentId);
        if (!agent || !emulator.verifyAgentKey(agentId, apiKey)) {
          options.log(`exchange: refused agent "${agentId}" (unknown agent or wrong apiKey)`);
          throw new HttpError(
            401,
            'invalid',
            'unknown agentId or wrong apiKey; use the agentId and apiKey POST /v1/agents returned',
          );
        }
        if (agent.revoked) {
          options.log(`exchange: refused agent "${agentId}" (revoked)`);
          throw new HttpError(
            403,
            'revoked',
            `agent "${agentId}" is revoked; register a new agent with POST /v1/agents`,
          );
        }
        if (!agent.claimed) {
          options.log(`exchange: refused agent "${agentId}" (unclaimed)`);
          throw new HttpError(
            403,
            'unclaimed',
            `agent "${agentId}" is not claimed yet; claim it with POST /v1/agents/${encodeURIComponent(agentId)}/claim`,
          );
        }
        const userSig = emulator.userSig(agent.userId, options.credentialTtlSeconds);
        const expiresAt =
          decodeUserSig(userSig)?.expiresAt ?? options.now() + options.credentialTtlSeconds * 1000;
        options.log(`exchange: issued a UserSig to agent "${agentId}" (user "${agent.userId}")`);
        return {
          status: 200,
          body: { sdkAppId: options.sdkAppId, userId: agent.userId, userSig, expiresAt },
        };
      },
    },
    {
      method: 'POST',
      pattern: '/v1/agents',
      handler: ({ body }) => {
        const registered = emulator.registerAgent(parseBody(body, registerBody));
        return {
          status: 201,
          body: {
            agentId: registered.agentId,
            apiKey: registered.apiKey,
            userId: registered.userId,
            claimed: registered.claimed,
          },
        };
      },
    },
    {
      method: 'POST',
      pattern: '/v1/agents/:agentId/claim',
      handler: ({ params }) => {
        const agentId = params.agentId as string;
        existingAgent(agentId);
        const agent = emulator.claimAgent(agentId);
        return { status: 200, body: { agentId: agent.agentId, claimed: agent.claimed } };
      },
    },
    {
      method: 'POST',
      pattern: '/v1/agents/:agentId/revoke',
      handler: ({ params }) => {
        const agentId = params.agentId as string;
        existingAgent(agentId);
        const agent = emulator.revokeAgent(agentId);
        return { status: 200, body: { agentId: agent.agentId, revoked: agent.revoked } };
      },
    },
  ];
}
