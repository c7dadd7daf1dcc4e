/**
 * One event stream per browser for all its tabs of the admin UI. Browsers
 * open at most 6 HTTP/1.1 connections to a host, and an event stream holds
 * one for as long as its page lives: with one stream per tab, a 7th tab never
 * loaded. So the tabs elect a leader with the Web Locks API: every tab asks
 * for the same named lock and holds it for its whole life once granted; the
 * tab holding it opens the stream (event-stream.ts) and passes each message
 * on, undecoded, over a BroadcastChannel; the others queue for the lock and
 * only listen. When the leader's page goes away the browser releases its
 * lock and the next tab in the queue takes over: it opens the stream with
 * the last seq it received (`lastEventId=`), so the server replays what
 * came in between, exactly as a reconnect does. No timers, no heartbeats:
 * the lock is released only when its page is gone, leaves on purpose, or is
 * frozen (suspend(): a frozen tab could not pass anything on).
 *
 * Why not a SharedWorker: Chrome on Android has none, and the UI must work
 * on phones. Web Locks exist in every current browser, but only in secure
 * contexts (https:, or http: on loopback); elsewhere, and where
 * BroadcastChannel is missing, each tab keeps its own stream (http.ts).
 *
 * Who may see what: a BroadcastChannel reaches only pages of the same origin
 * in the same browser profile (and storage partition; the admin's pages are
 * always top-level, it refuses to be framed), which are also the pages that
 * send the same session cookie; so every listening tab belongs to
 * the session that opened the stream. When that session ends the server ends
 * the stream, the leader's reconnect meets the login, and it tells every tab
 * 'signed-out'. A tab that starts later (after a new login) makes a
 * signed-out leader check the session again.
 *
 * Messages (all with `from`, the sending tab's random id):
 *  - hello {topics}  a tab started or wants other topics; the leader answers with its state
 *  - bye             a tab is leaving; the leader forgets its topics
 *  - leader {afterSeq}  a tab took the stream over, resuming after afterSeq; tabs say hello again
 *  - state {state}   the leader's stream state
 *  - event {topic, data, id}  one message of the stream
 */
import type { ControlTopic } from '../../../proxy/control/contract.ts';
import { EVENT_CHANNELS, type RawEvent, type StreamHandle, type StreamSink } from './event-stream.ts';
import type { StreamState } from './types.ts';

/** The part of `navigator.locks` used here. */
export interface LockManagerLike {
  request(name: string, options: { signal?: AbortSignal }, callback: (lock: unknown) => Promise<unknown>): Promise<unknown>;
}

/** The part of BroadcastChannel used here. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}

export type Role = 'follower' | 'leader' | 'closed';

/** In the lock's and channel's name: tabs of a UI whose messages differ (an old tab left open after an upgrade) do not share. */
export const PROTOCOL = 'loadstar-events/1';

export interface SharedStreamOptions {
  /** The lock's and channel's name: the same for every tab of one admin server. */
  name: string;
  locks: LockManagerLike;
  channel: ChannelLike;
  /** This tab's own dispatch: every message and state change, whoever holds the stream. */
  sink: StreamSink;
  /** Opens the stream when this tab leads, resuming after `lastSeq` (-1: fresh) from the state the page shows. */
  openStream(sink: StreamSink, from: { lastSeq: number; state: StreamState }): StreamHandle;
  /** The state the page shows before anything is heard (default 'connecting'). */
  state?: StreamState;
  /** The last seq this tab saw (a page back from the back-forward cache); default -1. */
  lastSeq?: number;
  /** Tests fix it; default random. */
  tabId?: string;
  /** The browser refused the lock (not an abort of ours): this tab cannot share; it should open its own stream. */
  unavailable?: (error: unknown) => void;
}

type Message =
  | { t: 'hello'; from: string; topics: ControlTopic[] }
  | { t: 'bye'; from: string }
  | { t: 'leader'; from: string; afterSeq: number }
  | { t: 'state'; from: string; state: StreamState }
  | { t: 'event'; from: string; topic: ControlTopic; data: string; id: string };

const STATES: readonly StreamState[] = ['connecting', 'open', 'reconnecting', 'signed-out'];

function isMessage(value: unknown): value is Message {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  if (typeof m.from !== 'string') return false;
  switch (m.t) {
    case 'hello': return Array.isArray(m.topics);
    case 'bye': return true;
    case 'leader': return typeof m.afterSeq === 'number';
    case 'state': return STATES.includes(m.state as StreamState);
    case 'event': return typeof m.topic === 'string' && Object.hasOwn(EVENT_CHANNELS, m.topic) && typeof m.data === 'string' && typeof m.id === 'string';
    default: return false;
  }
}

export class SharedStream {
  readonly tabId: string;
  private roleNow: Role = 'follower';
  private topics: readonly ControlTopic[] = [];
  /** As leader: the topics each other tab asked for. */
  private readonly remote = new Map<string, readonly ControlTopic[]>();
  private stream: StreamHandle | undefined;
  private state: StreamState;
  private lastSeq = -1;
  /** As follower: the tab whose state the page shows (undefined until one is heard). */
  private leaderId: string | undefined;
  /** As follower, after a hand-over: seqs in (low, high] were passed on by the old leader already and come again in the new leader's replay. */
  private replayed: { low: number; high: number } | undefined;
  private abort = new AbortController();
  private releaseLock: (() => void) | undefined;
  /** The page is frozen: it neither leads nor queues for the lock. */
  private suspended = false;

  constructor(private readonly options: SharedStreamOptions) {
    this.tabId = options.tabId ?? Math.random().toString(36).slice(2) + Date.now().toString(36);
    this.state = options.state ?? 'connecting';
    this.lastSeq = options.lastSeq ?? -1;
    options.channel.onmessage = (event) => {
      if (isMessage(event.data)) this.receive(event.data);
    };
    this.requestLock();
  }

  private requestLock(): void {
    const abort = (this.abort = new AbortController());
    const granted = (): Promise<void> => {
      if (this.roleNow === 'closed' || this.suspended) return Promise.resolve();
      return new Promise<void>((release) => {
        this.releaseLock = release;
        this.lead();
      });
    };
    let asked: Promise<unknown>;
    try {
      asked = this.options.locks.request(this.options.name, { signal: abort.signal }, granted);
    } catch (e) {
      asked = Promise.reject(e);
    }
    asked.catch((e: unknown) => {
      // Aborted: this tab left (or was frozen) before its turn came. Anything else: no sharing here.
      if (!abort.signal.aborted && this.roleNow !== 'closed') this.options.unavailable?.(e);
    });
  }

  get role(): Role {
    return this.roleNow;
  }

  /** The topics this tab's listeners want now (the first call also asks the leader for its state). */
  want(topics: readonly ControlTopic[]): void {
    if (this.roleNow === 'closed') return;
    this.topics = [...new Set(topics)].sort();
    if (this.roleNow === 'leader') this.stream!.want(this.union());
    else this.post({ t: 'hello', from: this.tabId, topics: [...this.topics] });
  }

  /** The page goes away: drop the stream, give the lock to the next tab, say so. */
  close(): void {
    if (this.roleNow === 'closed') return;
    this.roleNow = 'closed';
    this.stream?.close();
    this.stream = undefined;
    this.post({ t: 'bye', from: this.tabId });
    this.abort.abort();
    this.releaseLock?.();
    this.options.channel.onmessage = null;
    this.options.channel.close();
  }

  /**
   * The page is being frozen (a background tab on a phone, or to save energy): a leader hands the stream
   * on, and no frozen tab queues for the lock (granted it, it would open nothing and every tab would wait).
   * The channel stays open: what the leader sends meanwhile waits for the page and arrives when it resumes.
   */
  suspend(): void {
    if (this.roleNow === 'closed' || this.suspended) return;
    this.suspended = true;
    this.abort.abort();
    if (this.roleNow === 'leader') {
      this.stream?.close();
      this.stream = undefined;
      this.remote.clear();
      this.roleNow = 'follower';
      this.releaseLock?.();
      this.releaseLock = undefined;
    }
  }

  /** The page runs again: queue for the lock again. */
  resume(): void {
    if (this.roleNow === 'closed' || !this.suspended) return;
    this.suspended = false;
    this.requestLock();
  }

  private lead(): void {
    this.roleNow = 'leader';
    this.leaderId = this.tabId;
    this.replayed = undefined;
    this.post({ t: 'leader', from: this.tabId, afterSeq: this.lastSeq });
    this.stream = this.options.openStream({
      event: (raw, receivedAt) => {
        this.post({ t: 'event', from: this.tabId, ...raw });
        this.deliver(raw, receivedAt);
      },
      state: (state) => {
        this.post({ t: 'state', from: this.tabId, state });
        this.setState(state);
      },
    }, { lastSeq: this.lastSeq, state: this.state });
    this.stream.want(this.union());
  }

  private union(): ControlTopic[] {
    const all = new Set<ControlTopic>(this.topics);
    for (const topics of this.remote.values()) for (const t of topics) all.add(t);
    return [...all].sort();
  }

  private receive(m: Message): void {
    if (this.roleNow === 'closed') return;
    if (this.roleNow === 'leader') {
      if (m.t === 'hello') {
        // Only topics this version knows: an unknown one would make the server refuse the whole stream.
        this.remote.set(m.from, m.topics.filter((t): t is ControlTopic => Object.hasOwn(EVENT_CHANNELS, t)));
        this.post({ t: 'state', from: this.tabId, state: this.state });
        this.stream!.want(this.union());
        // A tab that starts after a new login: the signed-out leader looks again.
        if (this.state === 'signed-out') this.stream!.retry();
      } else if (m.t === 'bye') {
        this.remote.delete(m.from);
      }
      return;
    }
    switch (m.t) {
      case 'leader':
        this.leaderId = m.from;
        this.replayed = m.afterSeq >= 0 && this.lastSeq > m.afterSeq ? { low: m.afterSeq, high: this.lastSeq } : undefined;
        this.post({ t: 'hello', from: this.tabId, topics: [...this.topics] });
        break;
      case 'state':
        if (this.adopt(m.from)) this.setState(m.state);
        break;
      case 'event':
        // From any tab: one leads at a time, and a message the old leader sent before its page went away is
        // queued before the new leader's announcement (a BroadcastChannel delivers in the order of posting).
        this.follow(m);
        break;
      default:
        break;
    }
  }

  /** True when `from` is the leader this tab follows; a tab that has heard none yet follows the first it hears. */
  private adopt(from: string): boolean {
    this.leaderId ??= from;
    return from === this.leaderId;
  }

  private follow(raw: RawEvent): void {
    const seq = Number(raw.id);
    if (this.replayed && raw.id !== '' && Number.isFinite(seq)) {
      if (seq > this.replayed.low && seq <= this.replayed.high) return;
      this.replayed = undefined;
    }
    this.deliver(raw, performance.now());
  }

  private deliver(raw: RawEvent, receivedAt: number): void {
    const seq = Number(raw.id);
    if (raw.id !== '' && Number.isFinite(seq)) this.lastSeq = seq;
    this.options.sink.event(raw, receivedAt);
  }

  private setState(state: StreamState): void {
    if (state === this.state) return;
    this.state = state;
    this.options.sink.state(state);
  }

  private post(message: Message): void {
    try {
      this.options.channel.postMessage(message);
    } catch {
      // A closed channel (the page is going away): nothing to tell.
    }
  }
}
