import type { InboundEvent, TimMessage } from '@clawlink/core';
import { AIMessage, type BaseMessage, HumanMessage } from '@langchain/core/messages';

/**
 * What the agent reads for one event: the conversation's earlier text messages (its own as AI
 * messages, everyone else's as human messages, prefixed with the sender's name in a channel),
 * then one human message with the event's text, led by a `<context>` block saying where the
 * agent is, who is talking to it and the channel's skill.
 *
 * The context rides in the human message, not in a system message: an agent from
 * `createAgent` puts its own `systemPrompt` first, and several providers (Anthropic, Google)
 * refuse a second system message.
 *
 * `history` is what came before the event, oldest first (not the event's own messages).
 */
export function conversationMessages(
  event: InboundEvent,
  history: readonly TimMessage[],
  selfId: string,
): BaseMessage[] {
  const inChannel = event.kind === 'channel';
  const earlier = history.filter((message) => message.kind === 'text' && message.text);
  return [
    ...earlier.map((message) =>
      message.from === selfId
        ? new AIMessage(message.text as string)
        : new HumanMessage(
            inChannel
              ? `${message.nick || message.from}: ${message.text}`
              : (message.text as string),
          ),
    ),
    new HumanMessage(`<context>\n${contextOf(event, selfId)}\n</context>\n\n${questionOf(event)}`),
  ];
}

function contextOf(event: InboundEvent, selfId: string): string {
  const who = `${event.sender.nick} (user id ${event.sender.id})`;
  switch (event.kind) {
    case 'channel': {
      const { channel } = event;
      const lines = [
        `You are ${selfId}, a member of the Tencent Cloud IM channel "${channel.name}" (channel id ${channel.id}).`,
        `${who} addressed you there. Messages from others start with the sender's name; answer the last one, below.`,
      ];
      if (channel.skill)
        lines.push(`The channel's skill (what it is for, from its owner):\n${channel.skill}`);
      return lines.join('\n');
    }
    case 'direct':
      return `You are ${selfId}, in a direct (one-to-one) chat on Tencent Cloud IM with ${who}.`;
    case 'agent_request':
      return (
        `You are ${selfId}. Another agent, ${who}, sent you a task over Tencent Cloud IM. ` +
        'Do it; your answer is sent back to it as the result.'
      );
  }
}

function questionOf(event: InboundEvent): string {
  if (event.kind === 'agent_request') {
    const { task, context } = event.request;
    return context === undefined ? task : `${task}\n\nContext: ${JSON.stringify(context)}`;
  }
  return event.kind === 'channel' ? `${event.sender.nick}: ${event.text}` : event.text;
}
