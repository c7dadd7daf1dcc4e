/**
 * The tabs' shared event stream, tab by tab, with a lock manager and a
 * broadcast channel that behave like the browser's (a FIFO lock released when
 * its holder's page goes away; messages delivered later, to every other tab)
 * and a stand-in for the stream itself: who leads, what every tab receives,
 * hand-overs, leaving on purpose, signing out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlTopic } from '../../../proxy/control/contract.ts';
import { SharedStream, type ChannelLike, type LockManagerLike } from '../../../renderer/src/transport/shared-stream.ts';
import type { RawEvent, StreamHandle, StreamSink } from '../../../renderer/src/transport/event-stream.ts';
import type { StreamState } from '../../../renderer/src/transport/types.ts';

/** One browser: the lock queue and the channel's tabs. */
class Browser {
  private holder: Tab | undefined;
  private readonly queue: Array<{ tab: Tab; grant: () => void }> = [];
  readonly channels = new Set<FakeChannel>();

  locksFor(tab: Tab): LockManagerLike {
    return {
      request: (_name, options, callback) => new Promise((resolve, reject) => {
        const entry = {
          tab,
          grant: () => {
            this.holder = tab;
            tab.releaseHeld = () => {
              if (this.holder !== tab) return;
              this.holder = undefined;
              tab.releaseHeld = undefined;
              this.pump();
            };
            void callback({}).then((value) => {
              tab.releaseHeld?.();
              resolve(value);
            });
          },
        };
        options.signal?.addEventListener('abort', () => {
          const i = this.queue.indexOf(entry);
          if (i >= 0) this.queue.splice(i, 1);
          reject(new Error('AbortError'));
        });
        this.queue.push(entry);
        this.pump();
      }),
    };
  }

  private pump(): void {
    if (this.holder || this.queue.length === 0) return;
    // The browser grants in a task of its own.
    const next = this.queue.shift()!;
    this.holder = next.tab;
    setImmediate(() => next.grant());
  }

  /** Lets queued messages and lock grants run. */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  }
}

class FakeChannel implements ChannelLike {
  onmessage: ((event: MessageEvent) => void) | null = null;
  /** While set, messages to this tab wait here (a slow delivery). */
  held: unknown[] | undefined;
  closed = false;
  constructor(private readonly browser: Browser) {
    browser.channels.add(this);
  }
  postMessage(message: unknown): void {
    if (this.closed) throw new Error('InvalidStateError: the channel is closed');
    for (const other of this.browser.channels) {
      if (other === this) continue;
      const copy = structuredClone(message);
      if (other.held) other.held.push(copy);
      else setImmediate(() => other.receive(copy));
    }
  }
  receive(data: unknown): void {
    if (!this.closed) this.onmessage?.({ data } as MessageEvent);
  }
  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const data of held) this.receive(data);
  }
  close(): void {
    this.closed = true;
    this.browser.channels.delete(this);
  }
}

/** The stream a leading tab opens, driven by the test. */
interface FakeStream extends StreamHandle {
  sink: StreamSink;
  from: { lastSeq: number; state: StreamState };
  wanted: ControlTopic[];
  retries: number;
  closed: boolean;
}

class Tab {
  readonly events: string[] = [];
  readonly states: StreamState[] = [];
  readonly streams: FakeStream[] = [];
  readonly channel: FakeChannel;
  readonly shared: SharedStream;
  releaseHeld: (() => void) | undefined;

  constructor(readonly name: string, browser: Browser, topics: ControlTopic[]) {
    this.channel = new FakeChannel(browser);
    this.shared = new SharedStream({
      name: 'loadstar-events http://127.0.0.1:9000/api/events',
      locks: browser.locksFor(this),
      channel: this.channel,
      tabId: name,
      sink: {
        event: (raw) => this.events.push(`${raw.topic}#${raw.id}`),
        state: (state) => this.states.push(state),
      },
      openStream: (sink, from) => {
        const stream: FakeStream = {
          sink, from: { ...from }, wanted: [], retries: 0, closed: false,
          want(t) { this.wanted = [...t]; },
          retry() { this.retries++; },
          close() { this.closed = true; },
        };
        this.streams.push(stream);
        return stream;
      },
    });
    this.shared.want(topics);
  }

  get stream(): FakeStream {
    return this.streams.at(-1)!;
  }

  /** The page is killed: the browser releases its lock; it says nothing. */
  crash(): void {
    this.channel.close();
    this.releaseHeld?.();
  }
}

function emit(tab: Tab, topic: ControlTopic, seq: number): void {
  const raw: RawEvent = { topic, data: JSON.stringify({ seq, topic, payload: {} }), id: String(seq) };
  tab.stream.sink.event(raw, 0);
}

test('the first tab leads and opens the one stream, for every tab\'s topics; every tab gets each message and state change, a tab that starts later too', async () => {
  const browser = new Browser();
  const a = new Tab('a', browser, ['events']);
  await browser.settle();
  const b = new Tab('b', browser, ['access-log']);
  const c = new Tab('c', browser, ['stats', 'events']);
  await browser.settle();
  assert.deepEqual([a.shared.role, b.shared.role, c.shared.role], ['leader', 'follower', 'follower']);
  assert.equal(a.streams.length, 1);
  assert.deepEqual([b.streams.length, c.streams.length], [0, 0], 'followers open no stream');
  assert.deepEqual(a.stream.wanted, ['access-log', 'events', 'stats']);
  assert.deepEqual(a.stream.from, { lastSeq: -1, state: 'connecting' }, 'the first leader starts fresh');

  a.stream.sink.state('open');
  emit(a, 'stats', 1);
  emit(a, 'access-log', 2);
  await browser.settle();
  for (const tab of [a, b, c]) {
    assert.deepEqual(tab.states, ['open'], `${tab.name}'s states`);
    assert.deepEqual(tab.events, ['stats#1', 'access-log#2'], `${tab.name}'s events`);
  }

  const d = new Tab('d', browser, ['stats']);
  await browser.settle();
  assert.deepEqual(d.states, ['open'], 'a tab that starts later hears the stream is open');
  emit(a, 'stats', 3);
  await browser.settle();
  assert.deepEqual(d.events, ['stats#3']);
  for (const tab of [a, b, c, d]) tab.shared.close();
});

test('when the leading tab\'s page goes away the next one leads, resumes after the last seq passed on, and no tab gets an event twice or loses one', async () => {
  const browser = new Browser();
  const a = new Tab('a', browser, ['stats']);
  await browser.settle();
  const b = new Tab('b', browser, ['stats']);
  const c = new Tab('c', browser, ['stats']);
  await browser.settle();
  a.stream.sink.state('open');
  for (let seq = 1; seq <= 3; seq++) emit(a, 'stats', seq);
  await browser.settle();
  // Event 4 reaches c, but b's copy is still on its way when a's page dies.
  b.channel.held = [];
  emit(a, 'stats', 4);
  await browser.settle();
  a.crash();
  await browser.settle();
  assert.equal(b.shared.role, 'leader', 'b asked for the lock first');
  assert.equal(c.shared.role, 'follower');
  assert.deepEqual(b.stream.from, { lastSeq: 3, state: 'open' }, 'b resumes after the last event it saw, and the page stays "open"');
  b.channel.release(); // a's late event 4: b leads now and takes events from its own stream only.
  // b's stream: the server replays 4, then 5 comes live.
  emit(b, 'stats', 4);
  emit(b, 'stats', 5);
  await browser.settle();
  assert.deepEqual(b.events, ['stats#1', 'stats#2', 'stats#3', 'stats#4', 'stats#5']);
  assert.deepEqual(c.events, ['stats#1', 'stats#2', 'stats#3', 'stats#4', 'stats#5'], 'c drops the replayed 4 it already had');
  assert.deepEqual([b.states, c.states], [['open'], ['open']], 'no state change: no banner, no refetch');

  // Another hand-over, and the server restarted meanwhile (numbering began again): c takes everything.
  b.crash();
  await browser.settle();
  assert.equal(c.shared.role, 'leader');
  assert.equal(c.stream.from.lastSeq, 5);
  emit(c, 'stats', 1);
  assert.deepEqual(c.events.slice(-1), ['stats#1']);
  c.shared.close();
});

test('a tab that leaves on purpose says so: a follower never leads afterwards, a leader hands the stream on at once', async () => {
  const browser = new Browser();
  const a = new Tab('a', browser, ['stats']);
  await browser.settle();
  const b = new Tab('b', browser, ['access-log']);
  const c = new Tab('c', browser, ['events']);
  await browser.settle();
  assert.deepEqual(a.stream.wanted, ['access-log', 'events', 'stats']);
  b.shared.close();
  await browser.settle();
  a.shared.close();
  await browser.settle();
  assert.equal(a.stream.closed, true, 'the leaving leader closed its stream');
  assert.deepEqual([a.shared.role, b.shared.role, c.shared.role], ['closed', 'closed', 'leader']);
  assert.equal(b.streams.length, 0, 'the tab that left never led');
  assert.deepEqual(c.stream.wanted, ['events'], 'the new leader asks only for what the tabs left want');
  c.shared.close();
});

test('signed out: the leader tells every tab; a tab that starts later (after a new login) makes the leader check the session again', async () => {
  const browser = new Browser();
  const a = new Tab('a', browser, ['stats']);
  await browser.settle();
  const b = new Tab('b', browser, ['stats']);
  await browser.settle();
  a.stream.sink.state('open');
  a.stream.sink.state('signed-out');
  await browser.settle();
  assert.deepEqual(b.states, ['open', 'signed-out']);
  assert.equal(a.stream.retries, 0);
  const c = new Tab('c', browser, ['stats']);
  await browser.settle();
  assert.deepEqual(c.states, ['signed-out'], 'the new tab hears the state first');
  assert.equal(a.stream.retries, 1, 'and the leader looks again');
  a.stream.sink.state('connecting');
  a.stream.sink.state('open');
  await browser.settle();
  assert.deepEqual(b.states, ['open', 'signed-out', 'connecting', 'open']);
  assert.deepEqual(c.states, ['signed-out', 'connecting', 'open']);
  for (const tab of [a, b, c]) tab.shared.close();
});

test('a frozen page hands the stream on and queues for nothing; it keeps its events and queues again when it resumes', async () => {
  const browser = new Browser();
  const a = new Tab('a', browser, ['stats']);
  await browser.settle();
  const b = new Tab('b', browser, ['stats']);
  await browser.settle();
  a.stream.sink.state('open');
  emit(a, 'stats', 1);
  await browser.settle();
  a.shared.suspend();
  await browser.settle();
  assert.equal(a.stream.closed, true, 'the frozen leader closed its stream');
  assert.deepEqual([a.shared.role, b.shared.role], ['follower', 'leader']);
  assert.deepEqual(b.stream.from, { lastSeq: 1, state: 'open' });
  emit(b, 'stats', 2);
  await browser.settle();
  assert.deepEqual(a.events, ['stats#1', 'stats#2'], 'what came while frozen is delivered');
  // b goes away while a is frozen: c, which came later, leads; a frozen tab never does.
  const c = new Tab('c', browser, ['stats']);
  await browser.settle();
  b.crash();
  await browser.settle();
  assert.deepEqual([a.shared.role, c.shared.role], ['follower', 'leader']);
  a.shared.resume();
  c.shared.close();
  await browser.settle();
  assert.equal(a.shared.role, 'leader', 'resumed, it queued again');
  assert.equal(a.stream.from.lastSeq, 2);
  a.shared.close();
});

test('a frozen follower leaves the queue for the lock: the next tab leads in its place', async () => {
  const browser = new Browser();
  const a = new Tab('a', browser, ['stats']);
  await browser.settle();
  const b = new Tab('b', browser, ['stats']);
  await browser.settle();
  const c = new Tab('c', browser, ['stats']);
  await browser.settle();
  b.shared.suspend();
  a.crash();
  await browser.settle();
  assert.deepEqual([b.shared.role, c.shared.role], ['follower', 'leader'], 'b was first in the queue, but frozen');
  b.shared.resume();
  c.shared.close();
  await browser.settle();
  assert.equal(b.shared.role, 'leader');
  b.shared.close();
});

test('the leader asks the server only for topics it knows, whatever another tab says', async () => {
  const browser = new Browser();
  const a = new Tab('a', browser, ['stats']);
  await browser.settle();
  const stranger = new FakeChannel(browser);
  stranger.postMessage({ t: 'hello', from: 'x', topics: ['events', 'secrets', 42] });
  stranger.postMessage({ t: 'nonsense', from: 'x' });
  await browser.settle();
  assert.deepEqual(a.stream.wanted, ['events', 'stats']);
  stranger.close();
  a.shared.close();
});
