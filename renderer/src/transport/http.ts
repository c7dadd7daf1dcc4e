/**
 * The headless transport (`loadstar serve`): each method is `POST
 * api/<method>` with `{"args": [...]}` answering the contract's Result as
 * JSON, carrying the session's CSRF token; pushed events come over one
 * Server-Sent Events stream (event-stream.ts) that all tabs of the browser
 * share (shared-stream.ts: one tab holds it, the others listen), or one per
 * tab where the browser cannot share it. URLs are relative so the UI also
 * works under a path prefix.
 */
import type { ControlArgs, ControlEvent, ControlMethodName, ControlTopic } from '../../../proxy/control/contract.ts';
import { isResult, transportError, type EventListener, type MethodValue, type StreamState, type Transport, type UiResult } from './types.ts';
import { EventStream, type RawEvent, type SessionCheck, type StreamSink } from './event-stream.ts';
import { PROTOCOL, SharedStream, type ChannelLike, type LockManagerLike, type Role } from './shared-stream.ts';

export { EVENT_CHANNELS } from './event-stream.ts';

const DEFAULT_CSRF_HEADER = 'X-Loadstar-CSRF';

/** What lets tabs share one stream; absent: each tab opens its own. */
export interface Sharing {
  locks: LockManagerLike;
  channel(name: string): ChannelLike;
}

/** Web Locks and BroadcastChannel when the page has both (Web Locks need a secure context: https:, or http: on loopback). */
export function browserSharing(): Sharing | undefined {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  if (!locks || typeof BroadcastChannel !== 'function') return undefined;
  return { locks, channel: (name) => new BroadcastChannel(name) };
}

interface Session {
  token?: string;
  header: string;
  /** The server answered 401: not signed in. */
  signedOut?: boolean;
  /** The admin asks for a password (`passwordRequired` in the answer): there is a login to end. */
  passwordRequired?: boolean;
}

/** Reads the CSRF token out of `GET api/session`'s answer, whatever the field is called. */
function sessionFrom(body: unknown): Session {
  const session: Session = { header: DEFAULT_CSRF_HEADER };
  if (typeof body !== 'object' || body === null) return session;
  const flat: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  const inner = flat.value;
  if (typeof inner === 'object' && inner !== null) Object.assign(flat, inner);
  if (typeof flat.passwordRequired === 'boolean') session.passwordRequired = flat.passwordRequired;
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
  /** The events: this tab's share of the browser's stream, or its own stream; opened on the first subscribe. */
  private feed: SharedStream | EventStream | undefined;
  private lastSeq = -1;
  private sharing: Sharing | undefined;

  /** `sharing`: tests pass fakes, or null for one stream per tab; default: the browser's, when it has them. */
  constructor(private readonly base = '', sharing?: Sharing | null) {
    this.sharing = sharing === null ? undefined : sharing ?? browserSharing();
    if (this.sharing && typeof addEventListener === 'function' && typeof document !== 'undefined') {
      // A page that leaves (or goes into the back-forward cache) hands the stream to another tab; back from
      // the cache it joins again as if reconnecting, so the page refetches what it missed meanwhile.
      addEventListener('pagehide', () => this.dropFeed());
      addEventListener('pageshow', (e) => {
        if (!(e as PageTransitionEvent).persisted) return;
        this.setState('connecting');
        this.ensureFeed();
      });
      // A frozen page hands the stream on too, but keeps listening: the events wait for it.
      document.addEventListener('freeze', () => this.feed instanceof SharedStream && this.feed.suspend());
      document.addEventListener('resume', () => this.feed instanceof SharedStream && this.feed.resume());
    }
  }

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

  /** True when the admin asks for a password and this browser is logged in (false when it cannot tell). */
  async passwordRequired(): Promise<boolean> {
    try {
      const session = await this.currentSession();
      return session.passwordRequired === true && !session.signedOut;
    } catch {
      return false;
    }
  }

  /**
   * Ends this browser's login: `POST logout` with the session's CSRF token (a token refused because
   * another tab logged in again meanwhile is fetched anew once). Not logged in (401) counts as done.
   */
  async logout(): Promise<UiResult<{ loggedOut: true }>> {
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        const session = await this.currentSession();
        if (session.signedOut) return { ok: true, value: { loggedOut: true } };
        const headers: Record<string, string> = {};
        if (session.token) headers[session.header] = session.token;
        response = await fetch(`${this.base}logout`, { method: 'POST', headers, credentials: 'same-origin', cache: 'no-store' });
      } catch (err) {
        this.session = undefined;
        return transportError(`The admin server could not be reached to log out (${err instanceof Error ? err.message : String(err)}).`);
      }
      this.session = undefined;
      if (response.ok || response.status === 401) return { ok: true, value: { loggedOut: true } };
      if (response.status === 403 && attempt === 1) continue;
      const text = (await response.text().catch(() => '')).trim();
      return transportError(`The admin server refused to log out (HTTP ${response.status}${text ? `: ${text}` : ''}).`);
    }
  }

  private currentSession(): Promise<Session> {
    this.session ??= fetch(`${this.base}api/session`, { credentials: 'same-origin', cache: 'no-store' })
      .then(async (response) => {
        const signedOut = response.status === 401;
        if (signedOut) this.setState('signed-out');
        const text = await response.text();
        let session: Session;
        try {
          session = sessionFrom(JSON.parse(text));
        } catch {
          session = sessionFrom(undefined);
        }
        return signedOut ? { ...session, signedOut } : session;
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
    this.ensureFeed();
    return () => {
      for (const topic of topics) this.listeners.get(topic)?.delete(listener as EventListener<ControlTopic>);
    };
  }

  onStreamState(listener: (state: StreamState) => void): () => void {
    this.stateListeners.add(listener);
    listener(this.state);
    return () => this.stateListeners.delete(listener);
  }

  /** 'own': this tab's own stream (no sharing); 'leader': it holds the browser's; 'follower': it listens; 'none': no subscriber yet. */
  get streamRole(): 'own' | 'none' | Role {
    if (!this.feed) return 'none';
    return this.feed instanceof SharedStream ? this.feed.role : 'own';
  }

  /** Closes the stream, or leaves the shared one (tests). */
  close(): void {
    this.dropFeed();
  }

  private readonly sink: StreamSink = {
    event: (raw, receivedAt) => this.dispatch(raw, receivedAt),
    state: (state) => this.setState(state),
  };

  private readonly checkSession: SessionCheck = async () => {
    this.session = undefined;
    return (await this.currentSession()).signedOut ? 'signed-out' : 'ok';
  };

  /** Opens the stream (or joins the shared one) for every topic a listener wants. */
  private ensureFeed(): void {
    const topics = [...this.listeners.keys()];
    if (topics.length === 0) return;
    if (!this.feed) {
      if (this.sharing) {
        const name = `${PROTOCOL} ${this.streamUrl()}`;
        this.feed = new SharedStream({
          name,
          locks: this.sharing.locks,
          channel: this.sharing.channel(name),
          sink: this.sink,
          state: this.state,
          lastSeq: this.lastSeq,
          openStream: (sink, from) => new EventStream(this.base, sink, this.checkSession, from),
          unavailable: () => {
            // The browser refused the lock (e.g. a storage policy): this tab opens its own stream.
            this.dropFeed();
            this.sharing = undefined;
            this.ensureFeed();
          },
        });
      } else {
        this.feed = new EventStream(this.base, this.sink, this.checkSession, { state: this.state, lastSeq: this.lastSeq });
      }
    }
    this.feed.want(topics);
  }

  private dropFeed(): void {
    this.feed?.close();
    this.feed = undefined;
  }

  /** The events endpoint as an absolute URL: tabs of one admin server share a stream, tabs of another (path prefix) do not. */
  private streamUrl(): string {
    try {
      return new URL(`${this.base}api/events`, globalThis.location?.href).href;
    } catch {
      return `${this.base}api/events`;
    }
  }

  private dispatch(raw: RawEvent, receivedAt: number): void {
    let data: unknown;
    try {
      data = JSON.parse(raw.data);
    } catch {
      return;
    }
    const seq = Number(raw.id);
    const event: ControlEvent = isEnvelope(data)
      ? data
      : { seq: raw.id !== '' && Number.isFinite(seq) ? seq : this.lastSeq + 1, topic: raw.topic, payload: data as ControlEvent['payload'] };
    this.lastSeq = event.seq;
    const set = this.listeners.get(raw.topic);
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
