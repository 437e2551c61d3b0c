import type { WireAtInfo, WireElement } from '../storage/storage.js';
import { isRecord, list } from './handler.js';
import { TIM_CODES, TimCodeError } from './tim-codes.js';

/** The `MsgBody` of a request, checked: a non-empty list of `{MsgType, MsgContent}`. */
export function readMsgBody(body: Record<string, unknown>): WireElement[] {
  const elements = list(body, 'MsgBody');
  if (elements.length === 0) {
    throw new TimCodeError(TIM_CODES.INVALID_PARAMETERS, 'MsgBody must hold at least one element');
  }
  return elements.map((element) => {
    if (
      !isRecord(element) ||
      typeof element.MsgType !== 'string' ||
      !isRecord(element.MsgContent)
    ) {
      throw new TimCodeError(
        TIM_CODES.INVALID_PARAMETERS,
        'every MsgBody element needs a string MsgType and an object MsgContent',
      );
    }
    return { MsgType: element.MsgType, MsgContent: element.MsgContent };
  });
}

/** The `GroupAtInfo` of a request: the entries that name an account or @all. */
export function readAtInfo(body: Record<string, unknown>): WireAtInfo[] {
  return list(body, 'GroupAtInfo')
    .filter(isRecord)
    .map((at) => ({
      GroupAtAllFlag: at.GroupAtAllFlag === 1 ? 1 : 0,
      ...(typeof at.GroupAt_Account === 'string' ? { GroupAt_Account: at.GroupAt_Account } : {}),
    }));
}
