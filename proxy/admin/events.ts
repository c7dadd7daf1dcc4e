/**
 * Server-Sent Events for `subscribe`: `GET /api/events?topics=access-log,events,stats`
 * opens one stream per page carrying every topic it asked for. Each event is
 *
 *     id: <seq>
 *     event: <channel>          (CONTROL_EVENT_CHANNELS: log:entry, engine:event, stats:tick)
 *     data: {"seq":…,"topic":…,"payload":…}
 *
 * A reconnecting EventSource sends `Last-Event-ID` (or the page passes
 * `lastEventId=` in the query) and the stream starts with the events the
 * control still holds after that sequence number. A comment line every 15 s
 * keeps proxies and NATs from closing an idle stream.
 *
 * Memory: events are written straight to the socket; a browser that stops
 * reading leaves bytes in the socket's buffer, and once those exceed the
 * per-client limit (1 MiB) the stream is closed and its subscription dropped.
 * The browser reconnects with its last id and resumes from the control's
 * replay buffer, so a stalled page costs at most the limit, never more.
 *
 * With an admin password a stream belongs to the login that opened it: when
 * that session ends (logout, or a new login in the same browser: at once;
 * expired or evicted: at the next heartbeat) its streams are ended, so a page
 * (or the tab that carries the stream for every tab of a browser,
 * renderer/src/transport/shared-stream.ts) never keeps receiving events on a
 * dead session; its reconnect then meets the login.
 *
 * Streams are capped (each holds a subscription, buffered bytes and a place in
 * the heartbeat): 64 per process and 16 per client address by default. A page
 * needs one (a browser's tabs share one), so the caps only meet runaway or
 * hostile clients. Over a cap the request is answered 429 (this address) or 503
 * (the whole server), `LS_ERR_CTL_LIMIT` with Retry-After, before any
 * subscription is made; a closed stream frees its place at once.
 */
import type http from 'node:http';
import type { ControlContract, ControlEvent, ControlTopic } from '../control/contract.ts';
import { CONTROL_EVENT_CHANNELS } from '../control/contract.ts';

export const DEFAULT_HEARTBEAT_MS = 15_000;
export const DEFAULT_STREAM_BUFFER_LIMIT = 1024 * 1024;
export const DEFAULT_MAX_STREAMS = 64;
export const DEFAULT_MAX_STREAMS_PER_CLIENT = 16;
/** Seconds a refused client is asked to wait (Retry-After). */
export const STREAM_RETRY_AFTER_S = 5;
/** Browsers wait this long before reconnecting a closed stream. */
const RETRY_MS = 2000;

export interface EventStreamOptions {
  heartbeatMs?: number;
  /** Bytes a client may leave unread before its stream is closed. */
  bufferLimit?: number;
  log?: (line: string) => void;
  /** Streams open at once in this process; default 64. */
  maxStreams?: number;
  /** Streams open at once from one client address; default 16. */
  maxStreamsPerClient?: number;
  /** Whether a stream's session still lives, asked at each heartbeat (a session can also expire or be evicted). */
  sessionAlive?: (session: string) => boolean;
}

interface Stream {
  res: http.ServerResponse;
  /** The session id that opened it (undefined: none, no password set). */
  session: string | undefined;
  /** The client's address, as counted for maxStreamsPerClient. */
  address: string;
  unsubscribe: () => void;
  closed: boolean;
}

/** Each payload serialised once, however many pages receive it. */
const serialised = new WeakMap<object, string>();

function eventText(event: ControlEvent): string {
  const payload = event.payload as object;
  let json = serialised.get(payload);
  if (json === undefined) {
    json = JSON.stringify(payload);
    serialised.set(payload, json);
  }
  return `id: ${event.seq}\nevent: ${CONTROL_EVENT_CHANNELS[event.topic]}\ndata: {"seq":${event.seq},"topic":"${event.topic}","payload":${json}}\n\n`;
}

/** `Last-Event-ID` (header, or `lastEventId` in the query): a sequence number, or undefined for a fresh start. */
export function resumePoint(req: http.IncomingMessage, query: URLSearchParams): number | undefined {
  const raw = req.headers['last-event-id'] ?? query.get('lastEventId') ?? undefined;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw.trim())) return undefined;
  return Number(raw.trim());
}

export class EventStreams {
  private readonly streams = new Set<Stream>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly bufferLimit: number;
  private readonly maxStreams: number;
  private readonly maxPerClient: number;
  /** Open streams per client address. */
  private readonly perClient = new Map<string, number>();
  private readonly log: (line: string) => void;
  /** Streams closed because their client did not keep up (tests, diagnostics). */
  slowClosed = 0;

  constructor(private readonly control: Pick<ControlContract, 'subscribe'>, options: EventStreamOptions = {}) {
    this.bufferLimit = options.bufferLimit ?? DEFAULT_STREAM_BUFFER_LIMIT;
    this.maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
    this.maxPerClient = options.maxStreamsPerClient ?? DEFAULT_MAX_STREAMS_PER_CLIENT;
    this.log = options.log ?? (() => {});
    const alive = options.sessionAlive ?? (() => true);
    this.heartbeat = setInterval(() => {
      for (const s of [...this.streams]) {
        if (s.session !== undefined && !alive(s.session)) this.endSession(s.session);
        else this.write(s, ': keep-alive\n\n');
      }
    }, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.streams.size;
  }

  /** Why a new stream from `address` cannot be opened now (429: this address is at its cap, 503: the server is), or undefined. */
  refusal(address: string): { status: 429 | 503; message: string } | undefined {
    if ((this.perClient.get(address) ?? 0) >= this.maxPerClient) {
      return { status: 429, message: `/api/events: ${address} has ${this.maxPerClient} event streams open already (the limit per client); close one (a page needs one) and retry.` };
    }
    if (this.streams.size >= this.maxStreams) {
      return { status: 503, message: `/api/events: the admin server has ${this.maxStreams} event streams open already (its limit); retry in a few seconds.` };
    }
    return undefined;
  }

  /** Opens a stream; the caller has checked refusal(address) first. */
  open(req: http.IncomingMessage, res: http.ServerResponse, topics: ControlTopic[], afterSeq: number | undefined, session?: string, address = 'unknown'): void {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    req.socket.setNoDelay(true);
    const stream: Stream = { res, session, address, unsubscribe: () => {}, closed: false };
    this.streams.add(stream);
    this.perClient.set(address, (this.perClient.get(address) ?? 0) + 1);
    this.write(stream, `retry: ${RETRY_MS}\n: topics ${topics.join(',')}\n\n`);
    // The control may replay buffered events synchronously, before subscribe returns.
    const unsubscribe = this.control.subscribe(topics, (event) => {
      if (!stream.closed) this.write(stream, eventText(event));
    }, afterSeq === undefined ? {} : { afterSeq });
    if (stream.closed) unsubscribe();
    else stream.unsubscribe = unsubscribe;
    res.on('close', () => this.close(stream));
  }

  private write(stream: Stream, text: string): void {
    if (stream.closed) return;
    const socket = stream.res.socket;
    const buffered = stream.res.writableLength + (socket?.writableLength ?? 0);
    if (buffered > this.bufferLimit) {
      this.slowClosed++;
      this.log(`[NOTICE] admin: closing an event stream to ${socket?.remoteAddress ?? '?'}: the client left ${buffered} bytes unread (limit ${this.bufferLimit}); it resumes from its last event when it reconnects`);
      this.close(stream);
      stream.res.destroy();
      return;
    }
    stream.res.write(text);
  }

  private close(stream: Stream): void {
    if (stream.closed) return;
    stream.closed = true;
    this.streams.delete(stream);
    const left = (this.perClient.get(stream.address) ?? 1) - 1;
    if (left > 0) this.perClient.set(stream.address, left);
    else this.perClient.delete(stream.address);
    stream.unsubscribe();
  }

  /** Ends the streams a session opened (it logged out or was replaced); returns how many. */
  endSession(session: string): number {
    let ended = 0;
    for (const s of [...this.streams]) {
      if (s.session !== session) continue;
      this.close(s);
      s.res.end();
      ended++;
    }
    return ended;
  }

  /** Ends every stream (server shutdown). */
  closeAll(): void {
    clearInterval(this.heartbeat);
    for (const s of [...this.streams]) {
      this.close(s);
      s.res.end();
    }
  }
}
