import { ClawlinkError } from '../errors/clawlink-error.js';
import { accountTools } from './account-tools.js';
import { channelTools } from './channel-tools.js';
import { messageTools } from './message-tools.js';
import type { ToolRuntime } from './tool-runtime.js';
import type { ToolSpec } from './tool-spec.js';

/** Which tools {@link createToolSpecs} returns. */
export interface ToolSelection {
  /** Only these tools (by name). */
  include?: readonly string[];
  /** Not these tools (by name). */
  exclude?: readonly string[];
  /** Only tools that change nothing (`mutates: false`). */
  readOnly?: boolean;
}

/** Every tool's name, in the order {@link createToolSpecs} returns them. */
export const TOOL_NAMES = [
  'clawlink_list_channels',
  'clawlink_search_channels',
  'clawlink_join_channel',
  'clawlink_leave_channel',
  'clawlink_get_members',
  'clawlink_create_channel',
  'clawlink_get_channel_skill',
  'clawlink_set_channel_skill',
  'clawlink_send_message',
  'clawlink_fetch_messages',
  'clawlink_request_agent',
  'clawlink_status',
] as const;

/**
 * The host-agnostic tools over one account, for adapters to translate. Each tool validates its
 * input and resolves every failure as `{error: {code, message}}`. Unknown names in `include` or
 * `exclude` throw `INVALID_ARGUMENT` (a typo would otherwise hide a tool silently).
 */
export function createToolSpecs(runtime: ToolRuntime, selection: ToolSelection = {}): ToolSpec[] {
  const known = new Set<string>(TOOL_NAMES);
  for (const name of [...(selection.include ?? []), ...(selection.exclude ?? [])]) {
    if (!known.has(name)) {
      throw new ClawlinkError(
        'INVALID_ARGUMENT',
        `createToolSpecs: there is no tool named '${name}'; the tools are ${TOOL_NAMES.join(', ')}.`,
      );
    }
  }
  const include = selection.include ? new Set(selection.include) : undefined;
  const exclude = new Set(selection.exclude ?? []);
  return [...channelTools(runtime), ...messageTools(runtime), ...accountTools(runtime)].filter(
    (tool) =>
      (!include || include.has(tool.name)) &&
      !exclude.has(tool.name) &&
      !(selection.readOnly && tool.mutates),
  );
}
