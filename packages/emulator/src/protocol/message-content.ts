import type { WireAtInfo, WireElement } from '../storage/storage.js';
import type { MessageContent } from '../types.js';

/** The wire body of a message given as {@link MessageContent}. */
export function contentToWire(content: MessageContent): {
  msgBody: WireElement[];
  groupAtInfo: WireAtInfo[];
} {
  if ('text' in content) {
    return {
      msgBody: [{ MsgType: 'TIMTextElem', MsgContent: { Text: content.text } }],
      groupAtInfo: (content.atUserIds ?? []).map((id) => ({
        GroupAtAllFlag: 0,
        GroupAt_Account: id,
      })),
    };
  }
  const { data, description = '', extension = '' } = content.custom;
  return {
    msgBody: [
      { MsgType: 'TIMCustomElem', MsgContent: { Data: data, Desc: description, Ext: extension } },
    ],
    groupAtInfo: [],
  };
}

/** The {@link MessageContent} view of a wire body: its first text or custom element. */
export function wireToContent(msgBody: WireElement[], groupAtInfo: WireAtInfo[]): MessageContent {
  const text = msgBody.find((e) => e.MsgType === 'TIMTextElem');
  if (text) {
    const atUserIds = groupAtInfo
      .map((at) => at.GroupAt_Account)
      .filter((id): id is string => typeof id === 'string' && id !== '');
    return {
      text: String(text.MsgContent.Text ?? ''),
      ...(atUserIds.length > 0 ? { atUserIds } : {}),
    };
  }
  const custom = msgBody.find((e) => e.MsgType === 'TIMCustomElem');
  if (custom) {
    return {
      custom: {
        data: String(custom.MsgContent.Data ?? ''),
        description: String(custom.MsgContent.Desc ?? ''),
        extension: String(custom.MsgContent.Ext ?? ''),
      },
    };
  }
  return { text: msgBody.map((e) => `[${e.MsgType}]`).join('') };
}
