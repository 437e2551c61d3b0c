/**
 * The part of tim-js-sdk 2.27.6 that clawlink uses, typed from its runtime behaviour (the
 * package's own `.d.ts` types most results as `any`). Internal: nothing outside `tim/` sees
 * these types.
 */

/** An SDK call's result: `{code, data}`. */
export interface SdkResponse<T> {
  code: number;
  data: T;
}

/** One element of `groupCustomField`. */
export interface SdkCustomField {
  key: string;
  value: string;
}

/** A group as the SDK reports it. */
export interface SdkGroup {
  groupID: string;
  name: string;
  type: string;
  introduction?: string;
  notification?: string;
  ownerID?: string;
  memberCount?: number;
  memberNum?: number;
  createTime?: number | string;
  nextMessageSeq?: number;
  groupCustomField?: SdkCustomField[];
  selfInfo?: { role?: string; joinTime?: number };
}

/** A group member as the SDK reports it. */
export interface SdkGroupMember {
  userID: string;
  role?: string;
  nick?: string;
  nameCard?: string;
  joinTime?: number;
}

/** A message as the SDK reports it. */
export interface SdkMessage {
  ID: string;
  type: string;
  payload: Record<string, unknown> | undefined;
  conversationID: string;
  conversationType: string;
  to: string;
  from: string;
  flow?: string;
  time: number;
  sequence?: number;
  random?: number;
  nick?: string;
  nameCard?: string;
  atUserList?: string[];
  cloudCustomData?: string;
  isRevoked?: boolean;
  isDeleted?: boolean;
}

/** Options of `createTextMessage` / `createTextAtMessage` / `createCustomMessage`. */
export interface SdkCreateMessageOptions {
  to: string;
  conversationType: string;
  payload: Record<string, unknown>;
  cloudCustomData?: string;
}

/** Listener signature of the SDK's `on`. */
export type SdkListener = (event: { name: string; data: unknown }) => void;

/** One SDK instance (`TIM.create(...)`), reduced to what clawlink calls. */
export interface SdkInstance {
  setLogLevel(level: number): void;
  on(eventName: string, listener: SdkListener): void;
  off(eventName: string, listener: SdkListener): void;
  login(options: { userID: string; userSig: string }): Promise<SdkResponse<unknown>>;
  logout(): Promise<SdkResponse<unknown>>;
  destroy(): Promise<unknown>;
  getGroupList(options?: {
    groupProfileFilter?: string[];
  }): Promise<SdkResponse<{ groupList: SdkGroup[] }>>;
  getGroupProfile(options: {
    groupID: string;
    groupCustomFieldFilter?: string[];
  }): Promise<SdkResponse<{ group: SdkGroup }>>;
  searchGroupByID(groupID: string): Promise<SdkResponse<{ group: SdkGroup }>>;
  joinGroup(options: {
    groupID: string;
    type?: string;
  }): Promise<SdkResponse<{ status: string; group?: SdkGroup }>>;
  quitGroup(groupID: string): Promise<SdkResponse<{ groupID: string }>>;
  getGroupMemberList(options: {
    groupID: string;
    count?: number;
    offset?: number;
  }): Promise<SdkResponse<{ memberList: SdkGroupMember[]; offset?: number }>>;
  createGroup(options: {
    name: string;
    type: string;
    groupID?: string;
    joinOption?: string;
    introduction?: string;
    groupCustomField?: SdkCustomField[];
  }): Promise<SdkResponse<{ group: SdkGroup }>>;
  updateGroupProfile(options: {
    groupID: string;
    groupCustomField?: SdkCustomField[];
  }): Promise<SdkResponse<{ group: SdkGroup }>>;
  createTextMessage(options: SdkCreateMessageOptions): SdkMessage;
  createTextAtMessage(options: SdkCreateMessageOptions): SdkMessage;
  createCustomMessage(options: SdkCreateMessageOptions): SdkMessage;
  sendMessage(
    message: SdkMessage,
    options?: { onlineUserOnly?: boolean },
  ): Promise<SdkResponse<{ message: SdkMessage }>>;
  setMessageRead(options: { conversationID: string }): Promise<SdkResponse<unknown>>;
  getMessageList(options: {
    conversationID: string;
    nextReqMessageID?: string;
    count?: number;
  }): Promise<
    SdkResponse<{ messageList: SdkMessage[]; nextReqMessageID: string; isCompleted: boolean }>
  >;
  getMessageListHopping(options: {
    conversationID: string;
    sequence?: number;
    time?: number;
    count?: number;
    direction?: 0 | 1;
  }): Promise<SdkResponse<{ messageList: SdkMessage[]; isCompleted: boolean }>>;
}

/** The SDK module's export (`TIM`). */
export interface SdkModule {
  create(options: { SDKAppID: number; proxyServer?: string }): SdkInstance;
  EVENT: Record<string, string>;
  TYPES: Record<string, string | number>;
  VERSION: string;
}
