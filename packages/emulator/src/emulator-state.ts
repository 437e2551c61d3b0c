import { createAgentState } from './state/agents.js';
import { createConversationState } from './state/conversations.js';
import { createGroupState } from './state/groups.js';
import { createMessageModificationState } from './state/message-modifications.js';
import { createMessageState } from './state/messages.js';
import type { StateContext } from './state/state-context.js';
import { createUserState } from './state/users.js';

/** What the state needs from its host: the storage (memory or SQLite) and the clock. */
export type EmulatorStateOptions = StateContext;

/**
 * The emulator's state and its rules: users, groups, members, messages and agents, with TIM's
 * limits and error codes. It knows nothing of sockets: the protocol and the admin API both call
 * it, and push what it returns.
 */
export type EmulatorState = ReturnType<typeof createEmulatorState>;

/** Creates the state over a storage, composed of one part per concept (see `state/`). */
export function createEmulatorState(options: EmulatorStateOptions) {
  const ctx: StateContext = { storage: options.storage, now: options.now };
  const users = createUserState(ctx);
  return {
    ...users,
    ...createGroupState(ctx),
    ...createMessageState(ctx),
    ...createMessageModificationState(ctx),
    ...createConversationState(ctx),
    ...createAgentState(ctx, users),
  };
}
