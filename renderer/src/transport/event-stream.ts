/**
 * One Server-Sent Events stream to the admin server (`GET api/events?topics=…`,
 * `id:` = the event's seq, `event:` = the topic's channel name). The browser's
 * EventSource resumes a dropped stream by itself with Last-Event-ID; when it
 * gives up (the server was down for good, or answered an error) this class
 * checks the session and opens a new one with backoff, or reports
 * 'signed-out' and stops. It hands on each message undecoded: in a browser
 * with several tabs only one holds this stream and passes the messages to the
 * others as they are (shared-stream.ts).
 */
import type { ControlTopic } from '../../../proxy/control/contract.ts';
import type { StreamState } from './types.ts';

/** The SSE event names per topic: a copy of the contract's CONTROL_EVENT_CHANNELS (the renderer imports types only; a test holds them equal). */
export const EVENT_CHANNELS: Record<ControlTopic, string> = {
  'access-log': 'log:entry',
  events: 'engine:event',
  stats: 'stats:tick',
};

const MAX_BACKOFF_MS = 10_000;

/** One message as the stream carried it: `data` still JSON text, `id` the event's seq as text. */
export interface RawEvent {
  topic: ControlTopic;
  data: string;
  id: string;
}

/** Where a stream's messages and state changes go. */
export interface StreamSink {
  /** `receivedAt`: performance.now() when the message reached the page. */
  event(raw: RawEvent, receivedAt: number): void;
  state(state: StreamState): void;
}

/** Asks the admin server whether this browser is still signed in; rejects when it cannot be reached. */
export type SessionCheck = () => Promise<'ok' | 'signed-out'>;

/** What the stream's owner may do with it. */
export interface StreamHandle {
  /** The topics wanted now: opens the stream, or reopens it when a topic is missing (resuming the others). */
  want(topics: readonly ControlTopic[]): void;
  /** Signed out or waiting to retry: check the session now and reopen if it is back. */
  retry(): void;
  close(): void;
}

export interface EventStreamOptions {
  /** Resume after this seq on the first open (a tab taking the stream over from another); default: start fresh. */
  lastSeq?: number;
  /** The state the page shows now (taken over from the tab that held the stream); default 'connecting'. */
  state?: StreamState;
  /** Tests pass a fake. */
  EventSource?: typeof EventSource;
}

export class EventStream implements StreamHandle {
  private source: EventSource | undefined;
  private sourceTopics: readonly string[] = [];
  private wanted: readonly ControlTopic[] = [];
  private reopenTimer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private lastSeq: number;
  private state: StreamState;
  private closed = false;
  private checking = false;
  private readonly Source: typeof EventSource;

  constructor(private readonly base: string, private readonly sink: StreamSink, private readonly checkSession: SessionCheck, options: EventStreamOptions = {}) {
    this.lastSeq = options.lastSeq ?? -1;
    this.state = options.state ?? 'connecting';
    this.Source = options.EventSource ?? EventSource;
  }

  want(topics: readonly ControlTopic[]): void {
    if (this.closed) return;
    this.wanted = [...new Set(topics)].sort();
    if (this.wanted.length === 0) return;
    if (this.source && this.wanted.every((t) => this.sourceTopics.includes(t))) return;
    if (this.reopenTimer !== undefined || this.state === 'signed-out') return;
    // Several stores subscribe while the page starts: open one stream for all of them.
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      // Reopening for one more topic resumes the others where they were (the server replays from its buffer).
      this.open(this.lastSeq >= 0 ? this.lastSeq : undefined);
    }, 0);
  }

  retry(): void {
    if (this.closed || this.source || this.checking) return;
    clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    this.reconnect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    this.source?.close();
    this.source = undefined;
  }

  private open(afterSeq?: number): void {
    this.source?.close();
    const topics = this.wanted;
    if (topics.length === 0) return;
    this.sourceTopics = topics;
    const resume = afterSeq === undefined ? '' : `&lastEventId=${afterSeq}`;
    const source = new this.Source(`${this.base}api/events?topics=${encodeURIComponent(topics.join(','))}${resume}`, { withCredentials: true });
    this.source = source;
    source.onopen = () => {
      if (this.source !== source) return;
      this.failures = 0;
      this.setState('open');
    };
    source.onerror = () => {
      if (this.source !== source) return;
      if (source.readyState === this.Source.CLOSED) {
        this.source = undefined;
        this.scheduleReopen();
      }
      if (this.state !== 'signed-out') this.setState('reconnecting');
    };
    for (const topic of topics) {
      source.addEventListener(EVENT_CHANNELS[topic], (message) => {
        if (this.source !== source) return;
        const receivedAt = performance.now();
        const { data, lastEventId } = message as MessageEvent<string>;
        const seq = Number(lastEventId);
        if (lastEventId !== '' && Number.isFinite(seq)) this.lastSeq = seq;
        this.sink.event({ topic, data, id: lastEventId }, receivedAt);
      });
    }
  }

  private scheduleReopen(): void {
    clearTimeout(this.reopenTimer);
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.failures++);
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      this.reconnect();
    }, delay);
  }

  /** A stream refused because the session ended shows the sign-in banner instead of retrying forever. */
  private reconnect(): void {
    this.checking = true;
    this.checkSession().then((answer) => {
      this.checking = false;
      if (this.closed) return;
      if (answer === 'signed-out') return this.setState('signed-out');
      if (this.state === 'signed-out') this.setState('connecting');
      this.open();
    }, () => {
      this.checking = false;
      if (!this.closed) this.scheduleReopen();
    });
  }

  private setState(state: StreamState): void {
    if (state === this.state) return;
    this.state = state;
    this.sink.state(state);
  }
}
