import type { StateStore } from '../state/state-store.js';
import {
  type Channel,
  type ChannelMember,
  type ChannelSummary,
  type CreateChannelOptions,
  createChannel,
  getChannel,
  getChannelAndNextSequence,
  getCustomField,
  getMembers,
  type JoinStatus,
  joinChannel,
  leaveChannel,
  listChannels,
  SKILL_FIELD_KEY,
  searchChannels,
  setCustomField,
} from '../tim/channels.js';
import type { TimClient } from '../tim/tim-client.js';

/** What the operations need from their account. */
export interface OperationContext {
  /** Resolves with a ready client, logging in first when needed (single flight). */
  connect(): Promise<TimClient>;
  /** The account's state store. */
  store(): StateStore;
  now(): number;
}

/**
 * An account's channel (TIM group) operations. Each one connects lazily through the
 * account's `ensureConnected()`, so it works on a half-alive account as soon as credentials
 * are available. Profiles read or written here refresh the account's channel cache.
 */
export class ChannelOperations {
  readonly #context: OperationContext;

  /** @internal Made by the account runtime. */
  constructor(context: OperationContext) {
    this.#context = context;
  }

  /** The channels this account has joined. */
  async list(): Promise<ChannelSummary[]> {
    return listChannels(await this.#context.connect());
  }

  /** Channels matching `keyword`: an exact id, or a name/description among joined ones. */
  async search(keyword: string): Promise<ChannelSummary[]> {
    return searchChannels(await this.#context.connect(), keyword);
  }

  /** A channel's full profile, including its skill and custom fields. */
  async get(channelId: string): Promise<Channel> {
    return this.#cache(await getChannel(await this.#context.connect(), channelId));
  }

  /**
   * The channel's profile (cached, as {@link get}) and the sequence of its next message, from
   * one profile read: where a catch-up starts reading its history. @internal
   */
  async getWithNextSequence(channelId: string): Promise<number | undefined> {
    const { channel, nextSequence } = await getChannelAndNextSequence(
      await this.#context.connect(),
      channelId,
    );
    this.#cache(channel);
    return nextSequence;
  }

  /** Joins a channel; says whether it joined, was already a member, or awaits approval. */
  async join(channelId: string): Promise<JoinStatus> {
    return joinChannel(await this.#context.connect(), channelId);
  }

  /** Leaves a channel and forgets its cached profile. */
  async leave(channelId: string): Promise<void> {
    await leaveChannel(await this.#context.connect(), channelId);
    this.#context.store().deleteChannel(channelId);
  }

  /** A page of a channel's members. */
  async members(
    channelId: string,
    options: { offset?: number; count?: number } = {},
  ): Promise<ChannelMember[]> {
    return getMembers(await this.#context.connect(), channelId, options);
  }

  /** Creates a channel owned by this account. */
  async create(options: CreateChannelOptions): Promise<Channel> {
    return this.#cache(await createChannel(await this.#context.connect(), options));
  }

  /** The channel's skill (the `clawlink_skill` custom field), if set. */
  async getSkill(channelId: string): Promise<string | undefined> {
    return (await this.get(channelId)).skill;
  }

  /** Sets the channel's skill; TIM's size limits are checked before anything is sent. */
  async setSkill(channelId: string, skill: string): Promise<void> {
    await this.#setCustomField('setSkill', channelId, SKILL_FIELD_KEY, skill);
  }

  /** One group custom field of the channel, if set. */
  async getCustomField(channelId: string, key: string): Promise<string | undefined> {
    return getCustomField(await this.#context.connect(), channelId, key);
  }

  /** Sets one group custom field of the channel. */
  async setCustomField(channelId: string, key: string, value: string): Promise<void> {
    await this.#setCustomField('setCustomField', channelId, key, value);
  }

  async #setCustomField(
    operation: string,
    channelId: string,
    key: string,
    value: string,
  ): Promise<void> {
    await setCustomField(await this.#context.connect(), channelId, key, value, { operation });
    const store = this.#context.store();
    const cached = store.getChannel(channelId);
    if (!cached) return;
    const customFields = { ...cached.customFields, [key]: value };
    store.putChannel({
      ...cached,
      customFields,
      ...(key === SKILL_FIELD_KEY ? { skill: value } : {}),
      updatedAt: this.#context.now(),
    });
  }

  #cache(channel: Channel): Channel {
    this.#context.store().putChannel({
      channelId: channel.id,
      name: channel.name,
      customFields: channel.customFields,
      ...(channel.skill === undefined ? {} : { skill: channel.skill }),
      updatedAt: this.#context.now(),
    });
    return channel;
  }
}
