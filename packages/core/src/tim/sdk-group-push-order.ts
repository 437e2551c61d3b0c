/**
 * tim-js-sdk 2.27.6 holds back a group message push of a group it does not know yet (not in its
 * group list: right after login, before the list has loaded, or a group the account was added
 * to since) and reads the group's profile first (`CommonGroupHandler._cacheGroupMessageAndProbe`,
 * the "probe"). It releases what it held when the probe answers, or on its 1 s check once the
 * group is known (`_checkCachedGroupMessage`; it drops them after 4 checks). A push of the group
 * arriving after the group became known some other way (the group list loaded, a profile read)
 * but before that release went straight through, ahead of the held ones: m1, m0, m2. Past 20
 * probes at once (the SDK's own default limit on profile reads per second) the held pushes of
 * the other groups wait for the group list and the next check, up to a second in which every
 * push of those groups overtakes them.
 *
 * This file keeps each group's order without holding anything longer than the SDK does:
 *
 * - a push of a known group first releases what the SDK still holds of that group;
 * - when the SDK's group list has loaded, what it holds of the groups it now knows is released
 *   at once, not at the next check.
 *
 * Group tips (`GroupTipsHandler`, `kind: 'system'`) are held apart by the SDK and left as they
 * are.
 */

/** The group module's id in the SDK's module table (2.27.6: `Pn = 7`). */
const GROUP_MODULE = 7;

/** A group message push as the SDK's `CommonGroupHandler` takes it (and keeps a held one). */
interface SdkGroupPush {
  dataList?: Array<{ groupProfile?: { groupID?: unknown } } | undefined>;
}

/** The SDK's `CommonGroupHandler`, as much as this file uses. */
interface SdkCommonGroupHandler {
  /** Held pushes, per group id. */
  _cachedGroupMessageMap: Map<string, SdkGroupPush[]>;
  /** How many checks found each held group still unknown. */
  _checkCountMap: Map<string, number>;
  /** Releases a group's held pushes (through `onNewGroupMessage`) and forgets them. */
  _notifyCachedGroupMessage(groupID: string): void;
  onNewGroupMessage(push: SdkGroupPush): void;
  getGroupList(options?: unknown): unknown;
}

/** The SDK's `GroupModule`, as much as this file uses. */
interface SdkGroupModule {
  hasLocalGroup(groupID: string): boolean;
  _commonGroupHandler: SdkCommonGroupHandler;
}

/**
 * Keeps the order of each group's message pushes through the SDK's hold on groups it does not
 * know yet (see above), for the SDK instance behind `internals` (what the loader's
 * `onInstanceCreated` hook received). Returns false, changing nothing, when the SDK is not laid
 * out as 2.27.6 is.
 *
 * @internal
 */
export function keepSdkGroupPushOrder(internals: object): boolean {
  const groups = groupModuleOf(internals);
  if (!groups) return false;
  const handler = groups._commonGroupHandler;
  const held = handler._cachedGroupMessageMap;
  const { _notifyCachedGroupMessage: release, onNewGroupMessage: take, getGroupList } = handler;
  /** Groups being released: their held pushes come back through `onNewGroupMessage`. */
  const releasing = new Set<string>();
  /** What the SDK's own check does for a held group it knows now. */
  const releaseGroup = (groupID: string) => {
    handler._notifyCachedGroupMessage(groupID);
    handler._checkCountMap.delete(groupID);
  };

  handler._notifyCachedGroupMessage = function releaseHeld(
    this: SdkCommonGroupHandler,
    groupID: string,
  ) {
    releasing.add(groupID);
    try {
      release.call(this, groupID);
    } finally {
      releasing.delete(groupID);
    }
  };
  handler.onNewGroupMessage = function takeInOrder(
    this: SdkCommonGroupHandler,
    push: SdkGroupPush,
  ) {
    for (const item of Array.isArray(push?.dataList) ? push.dataList : []) {
      const groupID = item?.groupProfile?.groupID;
      if (typeof groupID !== 'string' || releasing.has(groupID) || !held.has(groupID)) continue;
      if (groups.hasLocalGroup(groupID)) releaseGroup(groupID);
    }
    take.call(this, push);
  };
  handler.getGroupList = function getGroupListThenRelease(
    this: SdkCommonGroupHandler,
    options?: unknown,
  ) {
    const result = getGroupList.call(this, options);
    const releaseKnown = () => {
      for (const groupID of [...held.keys()]) {
        if (held.has(groupID) && groups.hasLocalGroup(groupID)) releaseGroup(groupID);
      }
    };
    // Its rejection still reaches the SDK's own callers; this branch only does not release.
    if (isThenable(result)) result.then(releaseKnown, () => {});
    return result;
  };
  return true;
}

/** The SDK's group module behind `internals`, if it and its handler have the expected shape. */
function groupModuleOf(internals: object): SdkGroupModule | undefined {
  const manager = (internals as { _m?: { getModule?: (id: number) => unknown } })._m;
  if (typeof manager?.getModule !== 'function') return undefined;
  const groups = manager.getModule(GROUP_MODULE) as Partial<SdkGroupModule> | undefined;
  const handler = groups?._commonGroupHandler as Partial<SdkCommonGroupHandler> | undefined;
  const shaped =
    typeof groups?.hasLocalGroup === 'function' &&
    handler?._cachedGroupMessageMap instanceof Map &&
    handler._checkCountMap instanceof Map &&
    typeof handler._notifyCachedGroupMessage === 'function' &&
    typeof handler.onNewGroupMessage === 'function' &&
    typeof handler.getGroupList === 'function';
  return shaped ? (groups as SdkGroupModule) : undefined;
}

function isThenable(value: unknown): value is { then(ok: () => void, fail: () => void): unknown } {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
