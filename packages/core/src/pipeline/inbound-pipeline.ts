import { type ConversationRef, conversationKey } from '../conversation/conversation-ref.js';
import { ClawlinkError } from '../errors/clawlink-error.js';
import type { Logger } from '../logging/logger.js';
import type { AccountRuntime } from '../runtime/account-runtime.js';
import type { Clock } from '../runtime/clock.js';
import type { StateStore, WatermarkPosition } from '../state/state-store.js';
import type { SentMessage } from '../tim/messages.js';
import { senderTinyIdOf, type TimMessage } from '../tim/tim-message.js';
import { boundMissedLive, type CatchUpReport, type CatchUpSource, catchUp } from './catch-up.js';
import { chunkText } from './chunk-text.js';
import {
  type ConversationBatch,
  createConversationQueue,
  type QueueSettings,
} from './conversation-queue.js';
import { createDispatchRunner } from './dispatch-runner.js';
import { gate, isMentioned } from './gate.js';
import type { Dispatch, DispatchContext, InboundEvent, Reply } from './inbound-event.js';
import { createPipelineMetrics, type PipelineMetricsSnapshot } from './metrics.js';
import { type NormaliseContext, type NormalisedMessage, normalise } from './normalise.js';
import { createOutboundQueue } from './outbound-queue.js';
import type { PipelineConfig } from './pipeline-config.js';
import { answeredInFull, buildReplyFormat, type ReplyFormat } from './reply-format.js';
import { createSettledWatermarks, type WatermarkMessage } from './settled-watermark.js';
import { type StreamPart, streamReply } from './stream-reply.js';
import { showTyping, TYPING_RECENT_MS } from './typing-indicator.js';

/** What the pipeline needs from TIM: sending, editing, history and channel profiles. */
export interface PipelineTim {
  /** Sends one message (text with mentions and cloud custom data). */
  send(
    conversation: ConversationRef,
    text: string,
    options: { mentions?: readonly string[]; cloudCustomData?: string },
  ): Promise<SentMessage>;
  /**
   * Replaces the text of a message this account sent (streamed replies), and its cloud custom
   * data (the reply marker of its new version).
   */
  modify(
    conversation: ConversationRef,
    message: SentMessage,
    text: string,
    options: { cloudCustomData: string },
  ): Promise<void>;
  /** Recent history of a conversation, oldest first. */
  history(conversation: ConversationRef, options: { count: number }): Promise<TimMessage[]>;
  /** A channel's name and skill (through the account's channel cache). */
  channel(channelId: string): Promise<{ name: string; skill?: string }>;
  /** Sends `peer` a typing status (an online message, see `typing-indicator.ts`). */
  typing(peer: string, typing: boolean): Promise<void>;
  /** Reports a conversation read up to its newest message (the peer sees its messages read). */
  markRead(conversation: ConversationRef): Promise<void>;
}

/** Options of {@link createInboundPipeline}. */
export interface InboundPipelineOptions {
  readonly accountId: string;
  /** The account's runtime, handed to the dispatch as `ctx.runtime`. */
  readonly runtime: AccountRuntime;
  readonly store: () => StateStore;
  /** The pipeline config, read for every message (`runtime.updateConfig` applies at once). */
  readonly config: () => PipelineConfig;
  /**
   * Runs before each message is gated, so a host that reads its config per message can call
   * `runtime.updateConfig` for this very message; a throw is logged and the config stays.
   */
  readonly refreshConfig?: () => void;
  /** The host's dispatch. */
  readonly dispatch: Dispatch;
  /** This agent's TIM UserID (known once logged in). */
  readonly selfUserId: () => string | undefined;
  /**
   * Names this agent appears under in others' quotes besides its UserID (its TIM nick): TUIKit
   * names a quoted message's sender by nick, so a quote of the agent's message from before a
   * restart (its id no longer remembered) is still recognised as a mention.
   */
  readonly selfNames?: () => readonly string[];
  /**
   * Reads again what {@link selfNames} returns (the agent's profile); runs at the start of every
   * catch-up, i.e. after every (re)connect, with live messages held until it is done. Should
   * not reject (a rejection is logged and the catch-up goes on).
   */
  readonly refreshSelf?: () => Promise<void>;
  readonly tim: PipelineTim;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Reports a failure the host should know of (a dispatch given up, a reply not sent). */
  readonly onError: (error: ClawlinkError) => void;
  /** Recognises a clawlink agent envelope: such messages go to {@link onAgentEnvelope}. */
  readonly isAgentEnvelope?: (message: TimMessage) => boolean;
  /** Handles an agent envelope (request or response); resolves when it was handled. */
  readonly onAgentEnvelope?: (message: TimMessage) => Promise<void>;
}

/** How recent history is read to see whether a message found unhandled was answered already. */
const ANSWER_CHECK_HISTORY = 50;
/** How many of this agent's sent message ids are remembered (quote replies to them count as mentions). */
const OWN_IDS_KEPT = 500;

/** The inbound pipeline of one account: ledger, gate, queue, dispatch, replies. */
export interface InboundPipeline {
  /** Takes a message received from TIM (live or caught up). Never throws. */
  accept(message: TimMessage, options?: { catchUp?: boolean }): void;
  /**
   * Catches up after a (re)connect: history after each conversation's watermark goes through
   * the pipeline before the live messages that arrive meanwhile (those are held until the
   * catch-up has finished). Never rejects; one catch-up runs at a time, and one asked for while
   * another runs follows it (its reconnect may have come after that one read its history).
   */
  catchUp(source: CatchUpSource): Promise<CatchUpReport | undefined>;
  /** The pipeline's counters. */
  metrics(): PipelineMetricsSnapshot;
  /** Stops: queued messages stay unhandled (caught up later), running dispatches are aborted. */
  stop(): Promise<void>;
}

interface QueuedMessage {
  readonly message: NormalisedMessage;
  /** Found unhandled in the ledger (a restart, or catch-up): check for an earlier answer first. */
  readonly recheck: boolean;
}

/**
 * Creates the pipeline: normalise -> drop own/system/unsupported -> durable ledger dedupe ->
 * gate -> per-conversation queue (order, debounce, concurrency) -> dispatch (signal, timeout,
 * retries) -> reply (quoted, mentioned, chunked, rate-limited, streamed) -> mark handled.
 */
export function createInboundPipeline(options: InboundPipelineOptions): InboundPipeline {
  const { store, config, clock, logger, tim } = options;
  /** Delivered in this run and not yet settled: a second delivery is a duplicate. */
  const inFlight = new Set<string>();
  const ownIds = new Set<string>();
  /** Learns this agent's TinyId from the id of one of its messages (see `selfTinyId`). */
  const learnSelf = (messageId: string): void => {
    normaliseContext.selfTinyId ??= senderTinyIdOf(messageId);
  };
  const rememberOwn = (sent: SentMessage): void => {
    learnSelf(sent.messageId);
    ownIds.add(sent.messageId);
    if (ownIds.size > OWN_IDS_KEPT) ownIds.delete(ownIds.values().next().value as string);
  };
  const initial = config();
  const queue = createConversationQueue<QueuedMessage>({
    clock,
    logger,
    windowMs: initial.debounce.windowMs,
    maxBatch: initial.debounce.maxBatch,
    concurrency: initial.dispatch.concurrency,
    dispatch: (batch, signal) => runBatch(batch, signal),
  });
  const metrics = createPipelineMetrics(() => Object.fromEntries(queue.depths()));
  /** The queue settings last applied, so a config change reaches the queue with the next message. */
  let applied = queueSettings(initial);
  const reconfigureQueue = (current: PipelineConfig): void => {
    if (
      current.debounce.windowMs === applied.windowMs &&
      current.debounce.maxBatch === applied.maxBatch &&
      current.dispatch.concurrency === applied.concurrency
    ) {
      return;
    }
    const wanted = queueSettings(current);
    queue.reconfigure(wanted);
    applied = wanted;
  };
  /**
   * The dispatch runner of each (timeout, attempts) setting a batch ran with: made once per
   * setting, not per batch (a config change makes a new one; the old ones are kept for stop).
   */
  const runners = new Map<string, ReturnType<typeof createDispatchRunner>>();
  const runnerFor = (timeoutMs: number, maxAttempts: number) => {
    const key = `${timeoutMs}/${maxAttempts}`;
    let runner = runners.get(key);
    if (!runner) {
      runner = createDispatchRunner({ clock, logger, timeoutMs, maxAttempts });
      if (stopped) runner.stop();
      runners.set(key, runner);
    }
    return runner;
  };
  let stopped = false;
  const outbound = createOutboundQueue<
    { text: string; format: ReplyFormat; first: boolean; cloudCustomData: string },
    SentMessage
  >({
    clock,
    logger,
    send: async (conversation, part) => {
      const sent = await tim.send(conversation, part.text, {
        ...(part.first && part.format.mentions.length > 0
          ? { mentions: part.format.mentions }
          : {}),
        cloudCustomData: part.cloudCustomData,
      });
      rememberOwn(sent);
      return sent;
    },
  });

  /** Where the watermarks may move: never past a message taken and not yet settled. */
  const watermarks = createSettledWatermarks();
  const settle = (messages: readonly NormalisedMessage[], outcome: 'handled' | string): void => {
    const s = store();
    let position: WatermarkPosition | undefined;
    for (const message of messages) {
      if (outcome === 'handled') s.markHandled(message.id);
      else s.markFailed(message.id, outcome);
      inFlight.delete(message.id);
      position = watermarks.settle(watermarkMessage(message)) ?? position;
    }
    // A batch is one conversation's.
    const conversation = messages[0]?.conversation;
    if (position && conversation) s.advanceWatermark(conversationKey(conversation), position);
  };

  /** Live messages held while a catch-up runs; `undefined` when none runs. */
  let held: TimMessage[] | undefined;
  let catchingUp: Promise<CatchUpReport | undefined> | undefined;
  /** A catch-up asked for while one runs (a reconnect meanwhile): it runs next. */
  let again: CatchUpSource | undefined;

  /** What normalise needs, made once (the UserID and names are set for each message). */
  const normaliseContext: { -readonly [K in keyof NormaliseContext]: NormaliseContext[K] } = {
    selfUserId: '',
    selfNames: [],
    isOwnMessageId: (id) => ownIds.has(id),
    ...(options.isAgentEnvelope ? { isAgentRequest: options.isAgentEnvelope } : {}),
  };

  const accept = (raw: TimMessage, { catchUp = false } = {}): void => {
    if (held && !catchUp) {
      held.push(raw);
      return;
    }
    metrics.received();
    const conversationId = conversationKey(raw.conversation);
    // Cheap while nothing is logged: the runtime's logger makes a child at its first line.
    const log = logger.child({ messageId: raw.id, conversation: conversationId });
    const selfUserId = options.selfUserId();
    if (selfUserId === undefined) {
      // Not logged in yet: the message stays unrecorded, so catch-up delivers it after login.
      log.warn('inbound message before the account knows its UserID; left for catch-up');
      return;
    }
    /** Whether the message was taken in (in flight, its watermark held back) before a throw. */
    let taken = false;
    try {
      normaliseContext.selfUserId = selfUserId;
      normaliseContext.selfNames = options.selfNames?.() ?? [];
      const normalised = normalise(raw, normaliseContext);
      if ('drop' in normalised) {
        if (normalised.drop === 'own') learnSelf(raw.id);
        metrics.dropped(normalised.drop);
        log.debug({ reason: normalised.drop }, 'message dropped');
        return;
      }
      const message = normalised.message;
      const admission = store().recordSeen({
        messageId: message.id,
        conversationId,
        time: message.time,
        ...(message.seq === undefined ? {} : { seq: message.seq }),
      });
      if (admission === 'handled' || admission === 'failed' || inFlight.has(message.id)) {
        metrics.duplicate();
        log.debug({ ledger: admission }, 'duplicate message dropped');
        return;
      }
      inFlight.add(message.id);
      watermarks.track(watermarkMessage(message));
      taken = true;
      if (catchUp) metrics.caughtUp();
      if (message.kind === 'agent_request' && options.onAgentEnvelope) {
        options.onAgentEnvelope(raw).then(
          () => settle([message], 'handled'),
          (error: unknown) => {
            log.warn({ err: summary(error) }, 'agent envelope not handled');
            settle([message], 'agent_envelope_failed');
          },
        );
        return;
      }
      if (options.refreshConfig) {
        try {
          options.refreshConfig();
        } catch (error) {
          log.warn({ err: summary(error) }, 'refreshConfig threw; the config stays as it was');
        }
      }
      const current = config();
      reconfigureQueue(current);
      const verdict = gate(message, current, { selfUserId });
      if (!verdict.pass) {
        metrics.gated(verdict.reason);
        log.debug({ reason: verdict.reason }, 'message gated out');
        settle([message], 'handled');
        return;
      }
      queue.enqueue(message.conversation, { message, recheck: admission === 'seen' }, { catchUp });
    } catch (error) {
      if (taken) {
        // Left unsettled in the ledger (caught up after a restart); here it holds nothing up.
        inFlight.delete(raw.id);
        watermarks.forget(watermarkMessage(raw));
      }
      const failure = ClawlinkError.isInstance(error)
        ? error
        : new ClawlinkError('INTERNAL', `The inbound pipeline failed on message ${raw.id}.`, {
            cause: error,
          });
      log.error({ err: summary(failure) }, 'inbound message could not be processed');
      options.onError(failure);
    }
  };

  /** Ids of the messages this agent's recent replies in `conversation` answered in full. */
  const alreadyAnswered = async (conversation: ConversationRef): Promise<Set<string>> => {
    const self = options.selfUserId();
    const recent = await tim.history(conversation, { count: ANSWER_CHECK_HISTORY });
    return answeredInFull(recent.filter((m) => m.from === self).map((m) => m.cloudCustomData));
  };

  async function runBatch(
    batch: ConversationBatch<QueuedMessage>,
    signal: AbortSignal,
  ): Promise<void> {
    const log = logger.child({
      conversation: batch.key,
      messageIds: batch.items.map((item) => item.message.id),
    });
    let items = batch.items;
    // Only messages found unhandled (a restart, catch-up) may have been answered already.
    if (items.some((item) => item.recheck)) {
      try {
        const answered = await alreadyAnswered(batch.conversation);
        const earlier = items.filter((item) => answered.has(item.message.id));
        if (earlier.length > 0) {
          log.info(
            { answered: earlier.map((i) => i.message.id) },
            'already answered before a restart; not answering again',
          );
          settle(
            earlier.map((i) => i.message),
            'handled',
          );
          items = items.filter((item) => !answered.has(item.message.id));
        }
      } catch (error) {
        log.warn(
          { err: summary(error) },
          'could not check history for earlier answers; dispatching',
        );
      }
      if (items.length === 0) return;
    }
    const messages = items.map((item) => item.message);
    const event = await buildEvent(batch.conversation, messages, batch.catchUp);
    if (event.kind === 'direct' && config().direct.markRead) {
      tim.markRead(event.conversation).catch((error: unknown) => {
        log.debug({ err: summary(error) }, 'direct chat not reported read');
      });
    }
    const endTyping = typingFor(event);
    try {
      await dispatchBatch(batch, event, messages, signal, log, endTyping);
    } finally {
      endTyping();
    }
  }

  /** Shows typing while a recent direct message is answered; returns what ends it. */
  function typingFor(event: InboundEvent): () => void {
    const recent = clock.now() - event.time <= TYPING_RECENT_MS;
    if (event.kind !== 'direct' || !recent || !config().direct.typing) return () => {};
    return showTyping(event.conversation.id, { send: tim.typing, clock, logger });
  }

  /** Dispatches a batch, sends its reply and settles it; `replied` is told once a reply is out. */
  async function dispatchBatch(
    batch: ConversationBatch<QueuedMessage>,
    event: InboundEvent,
    messages: readonly NormalisedMessage[],
    signal: AbortSignal,
    log: Logger,
    replied: () => void,
  ): Promise<void> {
    const dispatch = options.dispatch;
    metrics.dispatched();
    const { timeoutMs, maxAttempts } = config().dispatch;
    const runner = runnerFor(timeoutMs, maxAttempts);
    const outcome = await runner.run(
      async (attemptSignal) => {
        const ctx = replyContext(event, messages, attemptSignal, log, replied);
        const reply: Reply = await dispatch(event, ctx);
        return reply;
      },
      { signal, context: { conversation: batch.key } },
    );
    if (outcome.attempts > 1) for (let i = 1; i < outcome.attempts; i++) metrics.retry();
    if (outcome.status === 'stopped') {
      for (const m of messages) inFlight.delete(m.id);
      return;
    }
    if (outcome.status === 'failed') {
      metrics.failure();
      settle(messages, `dispatch_${outcome.reason}`);
      const error = new ClawlinkError(
        'DISPATCH_FAILED',
        `The dispatch failed ${outcome.attempts} time(s) for message(s) ${messages.map((m) => m.id).join(', ')} in ${batch.key}: ${outcome.message}. They are recorded as failed and not retried.`,
        { cause: outcome.cause },
      );
      log.warn({ attempts: outcome.attempts, reason: outcome.reason }, 'dispatch given up');
      options.onError(error);
      return;
    }
    const reply = outcome.value;
    if (reply !== undefined && reply !== null && reply !== '') {
      try {
        await sendReply(event, messages, reply, signal, replied);
      } catch (error) {
        settle(messages, 'reply_failed');
        const failure = ClawlinkError.isInstance(error)
          ? error
          : new ClawlinkError('INTERNAL', 'The reply could not be sent.', { cause: error });
        log.warn({ err: summary(failure) }, 'reply not sent');
        options.onError(failure);
        return;
      }
    }
    settle(messages, 'handled');
  }

  async function buildEvent(
    conversation: ConversationRef,
    messages: readonly NormalisedMessage[],
    catchUp: boolean,
  ): Promise<InboundEvent> {
    const newest = messages.at(-1) as NormalisedMessage;
    const selfUserId = options.selfUserId() ?? '';
    const mentions = [...new Set(messages.flatMap((m) => m.mentions))];
    const base = {
      accountId: options.accountId,
      conversation,
      sender: { id: newest.senderId, nick: newest.senderNick },
      text: messages.map((m) => m.text).join('\n'),
      messages: messages.map((m) => ({
        id: m.id,
        time: m.time,
        text: m.text,
        ...(m.seq === undefined ? {} : { seq: m.seq }),
      })),
      mentions,
      wasMentioned: messages.some((m) => isMentioned(m, config(), { selfUserId })),
      time: newest.time,
      catchUp,
    };
    if (conversation.type === 'c2c') return { ...base, kind: 'direct' };
    const channel = await tim.channel(conversation.id).catch(() => ({ name: conversation.id }));
    return {
      ...base,
      kind: 'channel',
      channel: {
        id: conversation.id,
        name: channel.name,
        ...('skill' in channel && channel.skill !== undefined ? { skill: channel.skill } : {}),
      },
    };
  }

  function replyContext(
    event: InboundEvent,
    messages: readonly NormalisedMessage[],
    signal: AbortSignal,
    log: Logger,
    replied: () => void,
  ): DispatchContext {
    return {
      signal,
      runtime: options.runtime,
      logger: log,
      reply: (content) => {
        if (signal.aborted) {
          return Promise.reject(
            new ClawlinkError(
              'STOPPED',
              'This dispatch was stopped or timed out; its reply is not sent (the message is retried or recorded as failed).',
            ),
          );
        }
        return sendReply(event, messages, content, signal, replied);
      },
    };
  }

  async function sendReply(
    event: InboundEvent,
    messages: readonly NormalisedMessage[],
    content: string | AsyncIterable<string>,
    signal: AbortSignal,
    replied: () => void,
  ): Promise<SentMessage[]> {
    // The ledger's `seen` rows durable before anything is said: a reply of a message whose
    // row a crash lost would not be checked for after a restart, and be given twice.
    store().flush();
    const format = buildReplyFormat(event.conversation, messages, event.sender, config().replies);
    if (typeof content === 'string') {
      const prefixBytes = Buffer.byteLength(format.textPrefix, 'utf8');
      const chunks = chunkText(content, {
        prefixBytes,
        reserveBytes: Buffer.byteLength(format.cloudCustomData, 'utf8') + 64,
      });
      // A reply in several messages marks each part k of n: one cut by a crash is answered again.
      const parts = chunks.map((chunk, index) => ({
        text: index === 0 ? `${format.textPrefix}${chunk.text}` : chunk.text,
        format,
        first: index === 0,
        cloudCustomData:
          chunks.length === 1
            ? format.cloudCustomData
            : format.cloudCustomDataFor({ part: index + 1, parts: chunks.length }),
      }));
      const sent = await outbound.send(event.conversation, parts);
      replied();
      metrics.replied();
      metrics.chunksSent(sent.length);
      return sent;
    }
    let sentFirst = false;
    const streamed = await streamReply<SentMessage>(content, {
      clock,
      intervalMs: config().stream.intervalMs,
      prefix: format.textPrefix,
      reserveBytes: Buffer.byteLength(format.cloudCustomData, 'utf8') + 64,
      signal,
      logger,
      editor: {
        send: async (text, _first, part) => {
          const first = !sentFirst;
          sentFirst = true;
          const cloudCustomData = streamMarker(format, part);
          const [message] = await outbound.send(event.conversation, [
            { text, format, first, cloudCustomData },
          ]);
          // The reply shows from its first version on: typing is over.
          replied();
          return message as SentMessage;
        },
        modify: async (message, text, part) => {
          const cloudCustomData = streamMarker(format, part);
          await tim.modify(event.conversation, message, text, { cloudCustomData });
        },
      },
    });
    const sent = streamed.messages.map((m) => m.handle);
    metrics.streamed();
    metrics.chunksSent(sent.length);
    return sent;
  }

  /** One catch-up; the baseline moves on only when every conversation was read. */
  const catchUpOnce = async (source: CatchUpSource): Promise<CatchUpReport | undefined> => {
    const startedAt = clock.now();
    try {
      const report = await catchUp({
        source,
        store: store(),
        config: config().catchUp,
        now: startedAt,
        logger,
        deliver: (message) => accept(message, { catchUp: true }),
      });
      if (report.failed === 0) store().setLastOnline(startedAt);
      if (report.delivered > 0 || report.skipped > 0) {
        logger.info({ ...report }, `caught up ${report.delivered} message(s)`);
      }
      return report;
    } catch (error) {
      logger.warn({ err: summary(error) }, 'catch-up failed; it runs again on the next connect');
      return undefined;
    }
  };

  /**
   * Catches up, and again for each (re)connect that asked meanwhile (the running catch-up may
   * have read through a connection that is gone); live messages are held throughout.
   */
  const runCatchUps = async (first: CatchUpSource): Promise<CatchUpReport | undefined> => {
    held ??= [];
    const startedAt = clock.now();
    let report: CatchUpReport | undefined;
    try {
      await options.refreshSelf?.().catch((error: unknown) => {
        logger.warn({ err: summary(error) }, "could not read the agent's own profile");
      });
      for (let source: CatchUpSource | undefined = first; source && !stopped; source = again) {
        again = undefined;
        report = await catchUpOnce(source);
      }
      return report;
    } finally {
      const { kept, leftOut } = boundMissedLive(held ?? [], config().catchUp, startedAt, logger);
      held = undefined;
      metrics.leftOut(leftOut);
      for (const message of kept) accept(message);
    }
  };

  return {
    accept,
    catchUp(source) {
      if (catchingUp) {
        again = source;
        return catchingUp;
      }
      catchingUp = runCatchUps(source).finally(() => {
        catchingUp = undefined;
      });
      return catchingUp;
    },
    metrics: () => metrics.snapshot(),
    async stop() {
      stopped = true;
      for (const runner of runners.values()) runner.stop();
      const dropped = await queue.stop();
      for (const item of dropped) inFlight.delete(item.message.id);
      await outbound.stop();
    },
  };
}

/**
 * The cloud custom data of a streamed reply's message: marked growing (`partial`) until the
 * stream ends, so a reply cut by a crash is not read back as an answer; a finished message is
 * part k (the count is known at the end only, and written on the last one).
 */
function streamMarker(format: ReplyFormat, part: StreamPart): string {
  const number = part.index + 1;
  if (part.state === 'growing') return format.cloudCustomDataFor({ part: number, partial: true });
  if (part.state === 'finished') return format.cloudCustomDataFor({ part: number });
  return part.index === 0
    ? format.cloudCustomData
    : format.cloudCustomDataFor({ part: number, parts: number });
}

function watermarkMessage(message: {
  id: string;
  conversation: ConversationRef;
  time: number;
  seq?: number;
}): WatermarkMessage {
  return {
    id: message.id,
    conversation: conversationKey(message.conversation),
    time: message.time,
    ...(message.seq === undefined ? {} : { seq: message.seq }),
  };
}

function queueSettings(config: PipelineConfig): QueueSettings {
  return {
    windowMs: config.debounce.windowMs,
    maxBatch: config.debounce.maxBatch,
    concurrency: config.dispatch.concurrency,
  };
}

function summary(error: unknown): { code?: string; message: string } {
  if (ClawlinkError.isInstance(error)) return { code: error.code, message: error.message };
  return { message: error instanceof Error ? error.message : String(error) };
}
