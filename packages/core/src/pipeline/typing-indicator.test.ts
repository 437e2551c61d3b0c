import { describe, expect, it } from 'vitest';
import { manualClock } from '../runtime/manual-clock.js';
import { createRecordingLogger } from '../testing/recording-logger.js';
import {
  isTypingStatus,
  showTyping,
  TYPING_REFRESH_MS,
  typingStatusData,
} from './typing-indicator.js';

describe('showTyping', () => {
  it('says "typing" now and every refresh until ended, then "ended" once', async () => {
    const clock = manualClock(0);
    const sent: boolean[] = [];
    const end = showTyping('alice', {
      send: async (_peer, typing) => {
        sent.push(typing);
      },
      clock,
      logger: createRecordingLogger(),
    });
    expect(sent).toEqual([true]);
    clock.advance(TYPING_REFRESH_MS * 2 + 10);
    expect(sent).toEqual([true, true, true]);
    end();
    end();
    clock.advance(TYPING_REFRESH_MS * 3);
    expect(sent).toEqual([true, true, true, false]);
    expect(clock.pending()).toBe(0);
  });

  it('logs a status it could not send and goes on', async () => {
    const clock = manualClock(0);
    const logger = createRecordingLogger();
    const end = showTyping('alice', {
      send: () => Promise.reject(new Error('not connected')),
      clock,
      logger,
      refreshMs: 100,
    });
    clock.advance(100);
    end();
    await new Promise((resolve) => setImmediate(resolve));
    const lines = logger.lines.filter((l) => l.msg === 'typing status not sent');
    expect(lines.map((l) => l.obj)).toEqual([
      { peer: 'alice', typing: true, err: 'not connected' },
      { peer: 'alice', typing: true, err: 'not connected' },
      { peer: 'alice', typing: false, err: 'not connected' },
    ]);
  });
});

describe('typingStatusData', () => {
  it("is TUIKit's typing status, new and old fields", () => {
    expect(JSON.parse(typingStatusData(true))).toEqual({
      businessID: 'user_typing_status',
      typingStatus: 1,
      version: 1,
      userAction: 14,
      actionParam: 'EIMAMSG_InputStatus_Ing',
    });
    expect(JSON.parse(typingStatusData(false))).toMatchObject({
      typingStatus: 0,
      userAction: 0,
      actionParam: 'EIMAMSG_InputStatus_End',
    });
  });
});

describe('isTypingStatus', () => {
  const custom = (data: string) => ({
    kind: 'custom' as const,
    custom: { data, description: '', extension: '' },
  });
  it('knows a typing status by its businessID, and nothing else', () => {
    expect(isTypingStatus(custom(typingStatusData(false)))).toBe(true);
    expect(isTypingStatus(custom('{"businessID":"order","note":"user_typing_status"}'))).toBe(
      false,
    );
    expect(isTypingStatus(custom('user_typing_status'))).toBe(false);
    expect(isTypingStatus({ kind: 'text' })).toBe(false);
  });
});
