/**
 * The headless transport (`loadstar serve`): each method is `POST
 * api/<method>` with `{"args": [...]}` answering the contract's Result as
 * JSON, carrying the session's CSRF token; pushed events come over one
 * Server-Sent Events stream per page (`GET api/events?topics=…`, `id:` = the
 * event's seq, `event:` = the topic's channel name). The browser's
 * EventSource resumes a dropped stream by itself with Last-Event-ID; when it
 * gives up (the server was down for good, or answered an error) this class
 * opens a new one with backoff. URLs are relative so the UI also works
 * under a path prefix.
 */
import type { ControlArgs, ControlEvent, ControlMethodName, ControlTopic } from '../../../proxy/control/contract.ts';
import { isResult, transportError, type EventListener, type MethodValue, type StreamState, type Transport, type UiResult } from './types.ts';

/** The SSE event names per topic: a copy of the contract's CONTROL_EVENT_CHANNELS (the renderer imports types only; a test holds them equal). */
export const EVENT_CHANNELS: Record<ControlTopic, string> = {
  'access-log': 'log:entry',
  events: 'engine:event',
  stats: 'stats:tick',
};

const DEFAULT_CSRF_HEADER = 'X-Loadstar-CSRF';
const MAX_BACKOFF_MS = 10_000;

interface Session {
  token?: string;
  header: string;
}

/** Reads the CSRF token out of `GET api/session`'s answer, whatever the field is called. */
function sessionFrom(body: unknown): Session {
  const session: Session = { header: DEFAULT_CSRF_HEADER };
  if (typeof body !== 'object' || body === null) return session;
  const flat: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  const inner = flat.value;
  if (typeof inner === 'object' && inner !== null) Object.assign(flat, inner);
  for (const [key, value] of Object.entries(flat)) {
    if (typeof value !== 'string') continue;
    if (/header/i.test(key) && /csrf/i.test(key + value)) session.header = value;
    else if (/csrf|token/i.test(key)) session.token = value;
  }
  return session;
}

export class HttpTransport implements Transport {
  readonly kind = 'http' as const;
  private session: Promise<Session> | undefined;
  private readonly listeners = new Map<ControlTopic, Set<EventListener<ControlTopic>>>();
  private readonly stateListeners = new Set<(state: StreamState) => void>();
  private state: StreamState = 'connecting';
  private source: EventSource | undefined;
  private sourceTopics = '';
  private reopenTimer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private lastSeq = -1;

  constructor(private readonly base = '') {}

  async call<M extends ControlMethodName>(method: M, args: ControlArgs<M>): Promise<UiResult<MethodValue<M>>> {
    let answer = await this.post(method, args);
    // A restarted server forgets the old token: fetch a new session once and retry.
    if (!answer.ok && answer.error.code === 'LS_ERR_CTL_FORBIDDEN') {
      this.session = undefined;
      answer = await this.post(method, args);
    }
    return answer as UiResult<MethodValue<M>>;
  }

  private async post(method: ControlMethodName, args: readonly unknown[]): Promise<UiResult<unknown>> {
    let response: Response;
    try {
      const session = await this.currentSession();
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (session.token) headers[session.header] = session.token;
      response = await fetch(`${this.base}api/${method}`, {
        method: 'POST', headers, body: JSON.stringify({ args }), credentials: 'same-origin', cache: 'no-store',
      });
    } catch (err) {
      this.session = undefined;
      return transportError(`The admin server could not be reached (${err instanceof Error ? err.message : String(err)}).`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      return transportError(`The admin server answered ${method} with HTTP ${response.status} and no readable result.`);
    }
    if (response.status === 401) this.setState('signed-out');
    if (isResult(body)) return body;
    return transportError(`The admin server answered ${method} with HTTP ${response.status} and something that is not a result.`);
  }

  private currentSession(): Promise<Session> {
    this.session ??= fetch(`${this.base}api/session`, { credentials: 'same-origin', cache: 'no-store' })
      .then(async (response) => {
        if (response.status === 401) this.setState('signed-out');
        const text = await response.text();
        try {
          return sessionFrom(JSON.parse(text));
        } catch {
          return sessionFrom(undefined);
        }
      })
      .catch((err: unknown) => {
        this.session = undefined;
        throw err;
      });
    return this.session;
  }

  subscribe<K extends ControlTopic>(topics: readonly K[], listener: EventListener<K>): () => void {
    for (const topic of topics) {
      let set = this.listeners.get(topic);
      if (!set) this.listeners.set(topic, (set = new Set()));
      set.add(listener as EventListener<ControlTopic>);
    }
    this.ensureStream();
    return () => {
      for (const topic of topics) this.listeners.get(topic)?.delete(listener as EventListener<ControlTopic>);
    };
  }

  onStreamState(listener: (state: StreamState) => void): () => void {
    this.stateListeners.add(listener);
    listener(this.state);
    return () => this.stateListeners.delete(listener);
  }

  /** Closes the stream (page unload, tests). */
  close(): void {
    clearTimeout(this.reopenTimer);
    this.source?.close();
    this.source = undefined;
  }

  private wantedTopics(): string {
    return [...this.listeners.keys()].sort().join(',');
  }

  /** Opens the stream, or reopens it when a listener asked for a topic it does not carry yet. */
  private ensureStream(): void {
    const wanted = this.wantedTopics();
    if (this.source && this.sourceTopics.split(',').length >= wanted.split(',').length && wanted.split(',').every((t) => this.sourceTopics.includes(t))) return;
    if (this.reopenTimer !== undefined) return;
    // Several stores subscribe while the page starts: open one stream for all of them.
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      // Reopening for one more topic resumes the others where they were (the server replays from its buffer).
      this.open(this.source && this.lastSeq >= 0 ? this.lastSeq : undefined);
    }, 0);
  }

  private open(afterSeq?: number): void {
    this.source?.close();
    const topics = this.wantedTopics();
    this.sourceTopics = topics;
    const resume = afterSeq === undefined ? '' : `&lastEventId=${afterSeq}`;
    const source = new EventSource(`${this.base}api/events?topics=${encodeURIComponent(topics)}${resume}`, { withCredentials: true });
    this.source = source;
    source.onopen = () => {
      this.failures = 0;
      this.setState('open');
    };
    source.onerror = () => {
      if (this.source !== source) return;
      if (source.readyState === EventSource.CLOSED) {
        this.source = undefined;
        this.scheduleReopen();
      }
      if (this.state !== 'signed-out') this.setState('reconnecting');
    };
    for (const topic of topics.split(',') as ControlTopic[]) {
      source.addEventListener(EVENT_CHANNELS[topic], (message) => this.dispatch(topic, message as MessageEvent<string>));
    }
  }

  private scheduleReopen(): void {
    clearTimeout(this.reopenTimer);
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.failures++);
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      // A stream refused because the session ended shows the sign-in banner instead of retrying forever.
      this.session = undefined;
      this.currentSession().then(() => this.state !== 'signed-out' && this.open(), () => this.scheduleReopen());
    }, delay);
  }

  private dispatch(topic: ControlTopic, message: MessageEvent<string>): void {
    const receivedAt = performance.now();
    let data: unknown;
    try {
      data = JSON.parse(message.data);
    } catch {
      return;
    }
    const seq = Number(message.lastEventId);
    const event: ControlEvent = isEnvelope(data)
      ? data
      : { seq: Number.isFinite(seq) ? seq : this.lastSeq + 1, topic, payload: data as ControlEvent['payload'] };
    this.lastSeq = event.seq;
    const set = this.listeners.get(topic);
    if (!set) return;
    for (const listener of set) listener(event, receivedAt);
  }

  private setState(state: StreamState): void {
    if (state === this.state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }
}

function isEnvelope(data: unknown): data is ControlEvent {
  return typeof data === 'object' && data !== null && 'seq' in data && 'topic' in data && 'payload' in data;
}
