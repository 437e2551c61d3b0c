import { describe, expect, it } from 'vitest';
import type { SdkMessage } from './sdk-types.js';
import { toTimMessage } from './tim-message.js';

const base: SdkMessage = {
  ID: 'm1',
  type: 'TIMTextElem',
  payload: { text: 'hello' },
  conversationID: 'GROUPg1',
  conversationType: 'GROUP',
  to: 'g1',
  from: 'alice',
  flow: 'in',
  time: 1_700_000_000,
  sequence: 7,
  random: 42,
  nick: 'Alice',
  atUserList: ['bob', '__kImSDK_MesssageAtALL__'],
  cloudCustomData: '{"replyTo":"m0"}',
};

describe('toTimMessage', () => {
  it('normalises a group text message with mentions and @all', () => {
    expect(toTimMessage(base)).toEqual({
      id: 'm1',
      conversation: { type: 'group', id: 'g1' },
      from: 'alice',
      nick: 'Alice',
      time: 1_700_000_000_000,
      seq: 7,
      random: 42,
      kind: 'text',
      text: 'hello',
      atUserList: ['bob'],
      atAll: true,
      cloudCustomData: '{"replyTo":"m0"}',
    });
  });

  it('names the peer of a C2C message, in either direction, and reads custom payloads', () => {
    const custom: SdkMessage = {
      ...base,
      type: 'TIMCustomElem',
      payload: { data: '{"type":"clawlink.request"}', description: 'd', extension: 'e' },
      conversationID: 'C2Cbob',
      conversationType: 'C2C',
      to: 'bob',
      flow: 'out',
      atUserList: [],
    };
    const message = toTimMessage(custom);
    expect(message).toMatchObject({
      conversation: { type: 'c2c', id: 'bob' },
      kind: 'custom',
      atAll: false,
    });
    expect(message.custom).toEqual({
      data: '{"type":"clawlink.request"}',
      description: 'd',
      extension: 'e',
    });
    expect(message.text).toBeUndefined();
  });

  it('marks group tips and system notices as system, on the group they concern', () => {
    const tip = toTimMessage({ ...base, type: 'TIMGroupTipElem', payload: { operationType: 1 } });
    expect(tip).toMatchObject({ kind: 'system', conversation: { type: 'group', id: 'g1' } });
    const notice = toTimMessage({
      ...base,
      type: 'TIMGroupSystemNoticeElem',
      conversationID: '@TIM#SYSTEM',
      conversationType: '@TIM#SYSTEM',
      payload: { groupProfile: { groupID: 'g9' } },
    });
    expect(notice).toMatchObject({
      kind: 'system',
      conversation: { type: 'group', id: 'g9' },
    });
    expect(toTimMessage({ ...base, type: 'TIMImageElem', payload: {} }).kind).toBe('other');
  });
});
