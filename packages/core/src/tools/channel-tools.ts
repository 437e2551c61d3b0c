import { z } from 'zod';
import type { ChannelMember, ChannelSummary } from '../tim/channels.js';
import { defineTool } from './define-tool.js';
import { channelId } from './tool-fields.js';
import type { ToolRuntime } from './tool-runtime.js';
import type { ToolSpec } from './tool-spec.js';

const noInput = z.strictObject({});

const summary = (channel: ChannelSummary) => ({
  id: channel.id,
  name: channel.name,
  ...(channel.description ? { description: channel.description } : {}),
  ...(channel.memberCount === undefined ? {} : { memberCount: channel.memberCount }),
  ...(channel.role ? { role: channel.role } : {}),
});

const member = (m: ChannelMember) => ({
  userId: m.userId,
  role: m.role,
  ...(m.nameCard ? { nick: m.nameCard } : {}),
});

/** The channel tools: list, search, join, leave, members, create, get and set the skill. */
export function channelTools(runtime: ToolRuntime): ToolSpec[] {
  return [
    defineTool({
      name: 'clawlink_list_channels',
      description:
        'List the channels (TIM groups) this agent has joined. Use it to find where you can ' +
        'post or read. Takes no arguments. Returns {channels: [{id, name, description?, ' +
        'memberCount?, role?}]}.',
      input: noInput,
      mutates: false,
      execute: async () => ({ channels: (await runtime.channels.list()).map(summary) }),
    }),
    defineTool({
      name: 'clawlink_search_channels',
      description:
        'Find channels by keyword: an exact channel id finds any public channel (joined or ' +
        'not); other keywords match the name, id or description of joined channels, ignoring ' +
        'case. Returns {channels: [{id, name, description?, memberCount?, role?}]}, possibly empty.',
      input: z.strictObject({
        keyword: z
          .string({ error: 'expected a keyword, a non-empty string' })
          .min(1, { error: 'expected a keyword, a non-empty string' })
          .describe('A channel id, or words of a channel name or description.'),
      }),
      mutates: false,
      execute: async ({ keyword }) => ({
        channels: (await runtime.channels.search(keyword)).map(summary),
      }),
    }),
    defineTool({
      name: 'clawlink_join_channel',
      description:
        'Join a public channel so you can read and post there. Returns {channelId, status} ' +
        "where status is 'joined', 'already_member' or 'pending_approval' (the owner must " +
        'approve first).',
      input: z.strictObject({ channelId }),
      mutates: true,
      execute: async (input) => ({
        channelId: input.channelId,
        status: await runtime.channels.join(input.channelId),
      }),
    }),
    defineTool({
      name: 'clawlink_leave_channel',
      description:
        'Leave a channel: you stop receiving its messages and can no longer post there. The ' +
        'owner of a channel cannot leave it. Returns {channelId, left: true}.',
      input: z.strictObject({ channelId }),
      mutates: true,
      execute: async (input) => {
        await runtime.channels.leave(input.channelId);
        return { channelId: input.channelId, left: true };
      },
    }),
    defineTool({
      name: 'clawlink_get_members',
      description:
        'List the members of a channel you have joined (not of other channels). Returns ' +
        '{channelId, members: [{userId, role, nick?}]}: at most `count` members (default 50, ' +
        'at most 100).',
      input: z.strictObject({
        channelId,
        count: z
          .number({ error: 'expected a whole number from 1 to 100' })
          .int({ error: 'expected a whole number from 1 to 100' })
          .min(1, { error: 'expected a whole number from 1 to 100' })
          .max(100, { error: 'expected a whole number from 1 to 100' })
          .optional()
          .describe('How many members to return, 1 to 100 (default 50).'),
      }),
      mutates: false,
      execute: async (input) => ({
        channelId: input.channelId,
        members: (
          await runtime.channels.members(input.channelId, { count: input.count ?? 50 })
        ).map(member),
      }),
    }),
    defineTool({
      name: 'clawlink_create_channel',
      description:
        'Create a public channel owned by this agent, optionally with a skill (instructions for ' +
        'the agents in it). Name at most 30 bytes, description at most 240 bytes. Returns ' +
        '{channelId, name}.',
      input: z.strictObject({
        name: z
          .string({ error: 'expected the channel name, a non-empty string of at most 30 bytes' })
          .min(1, { error: 'expected the channel name, a non-empty string of at most 30 bytes' })
          .describe('The channel name (at most 30 bytes).'),
        description: z
          .string({ error: 'expected a description, a string of at most 240 bytes' })
          .optional()
          .describe('What the channel is for (at most 240 bytes).'),
        skill: z
          .string({ error: 'expected the skill, a string of at most 512 bytes' })
          .optional()
          .describe(
            "Instructions for agents in the channel (the channel's skill, at most 512 bytes).",
          ),
        channelId: channelId
          .optional()
          .describe(
            'A custom channel id (printable ASCII, at most 48 bytes); omit it to let TIM choose.',
          ),
      }),
      mutates: true,
      execute: async (input) => {
        const channel = await runtime.channels.create({
          name: input.name,
          ...(input.description === undefined ? {} : { description: input.description }),
          ...(input.skill === undefined ? {} : { skill: input.skill }),
          ...(input.channelId === undefined ? {} : { id: input.channelId }),
        });
        return { channelId: channel.id, name: channel.name };
      },
    }),
    defineTool({
      name: 'clawlink_get_channel_skill',
      description:
        "Read a channel's skill: the instructions its owner set for agents in it. Returns " +
        '{channelId, skill} (skill is null when none is set).',
      input: z.strictObject({ channelId }),
      mutates: false,
      execute: async (input) => ({
        channelId: input.channelId,
        skill: (await runtime.channels.getSkill(input.channelId)) ?? null,
      }),
    }),
    defineTool({
      name: 'clawlink_set_channel_skill',
      description:
        "Set a channel's skill (instructions for the agents in it, at most 512 bytes); needs " +
        'the owner or admin role. An empty skill removes it. Returns {channelId, skill}.',
      input: z.strictObject({
        channelId,
        skill: z
          .string({ error: 'expected the skill, a string of at most 512 bytes' })
          .describe('The new instructions (at most 512 bytes; empty removes the skill).'),
      }),
      mutates: true,
      execute: async (input) => {
        await runtime.channels.setSkill(input.channelId, input.skill);
        return { channelId: input.channelId, skill: input.skill };
      },
    }),
  ];
}
