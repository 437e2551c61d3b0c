/** The head of a TIM frame: what the emulator reads of it. */
export interface FrameHead {
  servcmd: string;
  seq: number;
  /** The UserID, sent until login succeeds. */
  identifier?: string;
  /** The UserSig, sent until login succeeds. */
  usersig?: string;
  /** The A2 key the login reply gave, sent instead of identifier/usersig afterwards. */
  a2?: string;
  /** The SDKAppID: a number, or the value as sent (JSON text) when it is not one. */
  sdkappid?: number | string;
}

/** A parsed request frame. */
export interface RequestFrame {
  head: FrameHead;
  body: Record<string, unknown>;
}

/** Outcome of {@link parseFrame}: a frame, or why not (with the seq/servcmd when readable). */
export type ParsedFrame =
  | { ok: true; frame: RequestFrame }
  | { ok: false; reason: string; servcmd?: string; seq?: number };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Parses one WebSocket message as a TIM frame `{head: {servcmd, seq, ...}, body: {...}}`.
 * Never throws: anything unreadable comes back as `ok: false` with a reason.
 */
export function parseFrame(data: Buffer | string): ParsedFrame {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'the frame is not JSON' };
  }
  if (!isObject(json) || !isObject(json.head)) {
    return { ok: false, reason: 'the frame has no head object' };
  }
  const head = json.head;
  const seq = typeof head.seq === 'number' && Number.isFinite(head.seq) ? head.seq : undefined;
  const servcmd =
    typeof head.servcmd === 'string' && head.servcmd !== '' ? head.servcmd : undefined;
  if (servcmd === undefined || seq === undefined) {
    return {
      ok: false,
      reason: 'the frame head needs a string servcmd and a numeric seq',
      ...(servcmd !== undefined ? { servcmd } : {}),
      ...(seq !== undefined ? { seq } : {}),
    };
  }
  const body = json.body === undefined ? {} : json.body;
  if (!isObject(body)) {
    return { ok: false, reason: 'the frame body is not an object', servcmd, seq };
  }
  const optionalString = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const parsedHead: FrameHead = { servcmd, seq };
  const identifier = optionalString(head.identifier);
  const usersig = optionalString(head.usersig);
  const a2 = optionalString(head.a2);
  if (identifier !== undefined) parsedHead.identifier = identifier;
  if (usersig !== undefined) parsedHead.usersig = usersig;
  if (a2 !== undefined && a2 !== '') parsedHead.a2 = a2;
  if (typeof head.sdkappid === 'number') parsedHead.sdkappid = head.sdkappid;
  else if (typeof head.sdkappid === 'string' && /^\d+$/.test(head.sdkappid)) {
    parsedHead.sdkappid = Number(head.sdkappid);
  } else if (head.sdkappid !== undefined && head.sdkappid !== null) {
    parsedHead.sdkappid = JSON.stringify(head.sdkappid).slice(0, 40);
  }
  return { ok: true, frame: { head: parsedHead, body } };
}

/** The text of a frame the emulator sends (a reply or a push). */
export function encodeFrame(servcmd: string, seq: number, body: unknown): string {
  return JSON.stringify({ head: { servcmd, seq, ver: 'v4' }, body });
}

/** A success body: `ActionStatus OK`, `ErrorCode 0`, plus `fields`. */
export function okBody(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '', ...fields };
}

/** A failure body with a TIM error code. */
export function failBody(code: number, info: string): Record<string, unknown> {
  return { ActionStatus: 'FAIL', ErrorCode: code, ErrorInfo: info };
}
