import { expect, test } from 'vitest';
import type { WebSocket } from 'ws';
import { encodeFrame } from './protocol/frame.js';
import { createSessionRegistry, preparePush } from './sessions.js';

/** A socket that records what is sent on it (the registry only calls `send`). */
function recordingSocket(open = true) {
  const sent: (string | Buffer)[] = [];
  const ws = {
    OPEN: 1,
    readyState: open ? 1 : 3,
    send: (data: string | Buffer) => sent.push(data),
  };
  return { ws: ws as unknown as WebSocket, sent };
}

test('a prepared push is sent to each session as encodeFrame would, with a seq of its own', () => {
  const sessions = createSessionRegistry();
  const text = recordingSocket();
  const binary = recordingSocket();
  const a = sessions.start(
    sessions.open(text.ws, false, 'i1', '7'),
    { userId: 'a', tinyId: '1' },
    0,
  );
  const b = sessions.start(
    sessions.open(binary.ws, true, 'i2', '7'),
    { userId: 'b', tinyId: '2' },
    0,
  );
  const body = { EventArray: [{ Event: 3, GroupMsgArray: [{ Text: 'ü "quoted" \n' }] }] };
  const push = preparePush('im_open_push.msg_push', body);
  expect(sessions.pushPrepared(a, push)).toBe(true);
  expect(sessions.pushPrepared(b, push)).toBe(true);
  expect(sessions.pushTo(a, 'im_open_push.msg_push', body)).toBe(true);
  expect(text.sent).toEqual([
    encodeFrame('im_open_push.msg_push', 1, body),
    encodeFrame('im_open_push.msg_push', 3, body),
  ]);
  expect(binary.sent).toEqual([Buffer.from(encodeFrame('im_open_push.msg_push', 2, body))]);
});

test('a push to a session without an open socket is not sent', () => {
  const sessions = createSessionRegistry();
  const closing = recordingSocket(false);
  const connection = sessions.open(closing.ws, false, 'i1', '7');
  const session = sessions.start(connection, { userId: 'a', tinyId: '1' }, 0);
  const push = preparePush('im_open_push.msg_push', {});
  expect(sessions.pushPrepared(session, push)).toBe(false);
  sessions.closed(connection);
  expect(sessions.pushPrepared(session, push)).toBe(false);
  expect(closing.sent).toEqual([]);
});

test("finds a user's sessions by user, and forgets ended ones", () => {
  const sessions = createSessionRegistry();
  const start = (userId: string, instanceId: string) =>
    sessions.start(
      sessions.open(recordingSocket().ws, false, instanceId, '7'),
      { userId, tinyId: userId },
      0,
    );
  const a1 = start('a', 'i1');
  const b1 = start('b', 'i2');
  const a2 = start('a', 'i3');
  expect(sessions.sessionsOf('a')).toEqual([a1, a2]);
  expect(sessions.sessionsOf('b')).toEqual([b1]);
  expect(sessions.sessionsOf('nobody')).toEqual([]);
  expect(sessions.sessionsOf()).toEqual([a1, b1, a2]);
  sessions.end(a1);
  sessions.end(a1);
  expect(sessions.sessionsOf('a')).toEqual([a2]);
  sessions.end(a2);
  expect(sessions.sessionsOf('a')).toEqual([]);
  expect(sessions.sessionsOf()).toEqual([b1]);
  expect(sessions.byA2(a2.a2)).toBeUndefined();
});
