// @clawlink/openclaw: the OpenClaw channel plugin. OpenClaw loads the default export (the
// plugin entry); the named exports are for tests and for hosts that compose the plugin.
import { join } from 'node:path';
import { defineChannelPluginEntry } from 'openclaw/plugin-sdk/channel-core';
import { resolveStateDir } from 'openclaw/plugin-sdk/state-paths';
import { AGENT_TOOL_NAMES, createAgentTools } from './agent-tools.js';
import { CHANNEL_ID } from './channel-id.js';
import { createClawlinkChannelPlugin } from './channel-plugin.js';
import { setPluginRuntime } from './plugin-runtime.js';

export {
  type ClawlinkAccountEntry,
  type ClawlinkChannelConfig,
  type ClawlinkPolicyConfig,
  type DmPolicy,
  type GroupPolicy,
  listAccountIds,
  type ResolvedClawlinkAccount,
  resolveAccount,
} from './account-config.js';
export { AGENT_TOOL_NAMES, createAgentTools, MUTATING_TOOL_NAMES } from './agent-tools.js';
export { CHANNEL_ID } from './channel-id.js';
export {
  type ClawlinkChannelPluginOptions,
  createClawlinkChannelPlugin,
} from './channel-plugin.js';
export { formatTarget, normalizeTarget, parseTarget } from './target.js';

/** The channel as OpenClaw's gateway runs it: state under `<OpenClaw state dir>/clawlink/`. */
export const clawlinkChannelPlugin = createClawlinkChannelPlugin({
  stateDirOf: () => join(resolveStateDir(), CHANNEL_ID),
});

/**
 * The plugin entry OpenClaw loads (`openclaw.extensions`): registers the `clawlink` channel
 * and, as agent tools, every `@clawlink/core` tool spec (sending is OpenClaw's shared `message`
 * tool, through the channel's outbound adapter).
 */
const entry: ReturnType<typeof defineChannelPluginEntry<typeof clawlinkChannelPlugin>> =
  defineChannelPluginEntry({
    id: CHANNEL_ID,
    name: 'clawlink',
    description: 'Tencent Cloud IM channels and direct chats as an OpenClaw channel, via clawlink',
    plugin: clawlinkChannelPlugin,
    setRuntime: setPluginRuntime,
    registerFull: (api) => {
      api.registerTool((ctx) => createAgentTools(ctx) as never, { names: [...AGENT_TOOL_NAMES] });
    },
  });

export default entry;
