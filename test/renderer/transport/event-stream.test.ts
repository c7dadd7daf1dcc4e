/**
 * The one event stream (event-stream.ts) with a stand-in EventSource: one
 * open for the topics asked in the same task, a reopen that resumes when a
 * topic is missing, a stream taken over from another tab resuming quietly, a
 * stream that gives up checking the session (signed out: it stops until
 * asked to retry). And how the HTTP transport picks: the browser's shared
 * stream when it can, its own otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventStream, type RawEvent } from '../../../renderer/src/transport/event-stream.ts';
import { HttpTransport } from '../../../renderer/src/transport/http.ts';
import type { StreamState } from '../../../renderer/src/transport/types.ts';

class FakeSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static made: FakeSource[] = [];
  readyState = FakeSource.CONNECTING;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  readonly handlers = new Map<string, (m: { data: string; lastEventId: string }) => void>();
  constructor(readonly url: string) {
    FakeSource.made.push(this);
  }
  addEventListener(name: string, handler: (m: { data: string; lastEventId: string }) => void): void {
    this.handlers.set(name, handler);
  }
  close(): void {
    this.readyState = FakeSource.CLOSED;
  }
  open(): void {
    this.readyState = FakeSource.OPEN;
    this.onopen?.();
  }
  send(channel: string, seq: number): void {
    this.handlers.get(channel)!({ data: `{"seq":${seq}}`, lastEventId: String(seq) });
  }
  fail(): void {
    this.readyState = FakeSource.CLOSED;
    this.onerror?.();
  }
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));
/** Waits for `done` (a rejected lock settles after a few promise turns, later on a loaded machine), at most `ms`. */
async function until(done: () => boolean, ms = 2000): Promise<void> {
  for (const end = Date.now() + ms; !done() && Date.now() < end;) await tick();
}

function recorder() {
  const events: string[] = [];
  const states: StreamState[] = [];
  return { events, states, sink: { event: (raw: RawEvent) => events.push(`${raw.topic}#${raw.id}`), state: (s: StreamState) => states.push(s) } };
}

test('one stream for the topics asked in the same task; a missing topic reopens it, resuming after the last event', async () => {
  FakeSource.made = [];
  const r = recorder();
  const stream = new EventStream('', r.sink, async () => 'ok', { EventSource: FakeSource as unknown as typeof EventSource });
  stream.want(['stats', 'events']);
  stream.want(['events', 'stats']);
  await tick();
  assert.deepEqual(FakeSource.made.map((s) => s.url), ['api/events?topics=events%2Cstats']);
  const first = FakeSource.made[0]!;
  first.open();
  first.send('stats:tick', 7);
  assert.deepEqual([r.events, r.states], [['stats#7'], ['open']]);
  stream.want(['events', 'stats']);
  await tick();
  assert.equal(FakeSource.made.length, 1, 'nothing new: no reopen');
  stream.want(['access-log', 'events', 'stats']);
  await tick();
  assert.deepEqual(FakeSource.made.map((s) => s.url).slice(1), ['api/events?topics=access-log%2Cevents%2Cstats&lastEventId=7']);
  assert.equal(first.readyState, FakeSource.CLOSED);
  first.send('stats:tick', 8);
  assert.deepEqual(r.events, ['stats#7'], 'the closed stream\'s messages are not passed on');
  stream.close();
});

test('a stream taken over from another tab resumes after its last seq and reports no state until its own changes', async () => {
  FakeSource.made = [];
  const r = recorder();
  const stream = new EventStream('/prefix/', r.sink, async () => 'ok', { EventSource: FakeSource as unknown as typeof EventSource, lastSeq: 41, state: 'open' });
  stream.want(['stats']);
  await tick();
  assert.equal(FakeSource.made[0]!.url, '/prefix/api/events?topics=stats&lastEventId=41');
  FakeSource.made[0]!.open();
  assert.deepEqual(r.states, [], 'still open: no banner, no refetch');
  stream.close();
});

test('a stream that gives up checks the session: signed out, it stops until asked to retry, then opens again', async () => {
  FakeSource.made = [];
  const r = recorder();
  let answer: 'ok' | 'signed-out' = 'signed-out';
  let checks = 0;
  const stream = new EventStream('', r.sink, async () => {
    checks++;
    return answer;
  }, { EventSource: FakeSource as unknown as typeof EventSource });
  stream.want(['stats']);
  await tick();
  FakeSource.made[0]!.open();
  FakeSource.made[0]!.fail();
  assert.deepEqual(r.states, ['open', 'reconnecting']);
  // The first retry waits 1 s.
  await new Promise((res) => setTimeout(res, 1100));
  assert.equal(checks, 1);
  assert.deepEqual(r.states, ['open', 'reconnecting', 'signed-out']);
  assert.equal(FakeSource.made.length, 1, 'signed out: no new stream');
  stream.want(['stats', 'events']);
  await tick();
  assert.equal(FakeSource.made.length, 1, 'not even for a new topic');
  answer = 'ok';
  stream.retry();
  stream.retry();
  await tick();
  assert.equal(checks, 2, 'one check at a time');
  assert.deepEqual(r.states.slice(-1), ['connecting']);
  assert.equal(FakeSource.made.length, 2);
  FakeSource.made[1]!.open();
  assert.deepEqual(r.states.slice(-1), ['open']);
  stream.close();
});

test('the HTTP transport shares the browser\'s stream when it has Web Locks and BroadcastChannel, and opens its own otherwise', async () => {
  const g = globalThis as { EventSource?: unknown };
  const before = g.EventSource;
  g.EventSource = FakeSource;
  FakeSource.made = [];
  const requests: string[] = [];
  const fakeLocks = { request: (name: string) => (requests.push(name), new Promise(() => {})) };
  const posted: unknown[] = [];
  const channel = { onmessage: null, postMessage: (m: unknown) => posted.push(m), close: () => {} };
  try {
    const own = new HttpTransport('', null);
    assert.equal(own.streamRole, 'none');
    own.subscribe(['stats'], () => {});
    assert.equal(own.streamRole, 'own');
    await tick();
    assert.equal(FakeSource.made.length, 1);
    own.close();

    const shared = new HttpTransport('', { locks: fakeLocks, channel: () => channel });
    shared.subscribe(['events'], () => {});
    await tick();
    assert.equal(shared.streamRole, 'follower', 'another tab holds the lock');
    assert.equal(FakeSource.made.length, 1, 'a follower opens no stream');
    assert.equal(requests.length, 1);
    assert.match(requests[0]!, /^loadstar-events\/1 .*api\/events$/);
    assert.deepEqual(posted.at(-1), { t: 'hello', from: (posted.at(-1) as { from: string }).from, topics: ['events'] });
    shared.close();
    assert.equal(shared.streamRole, 'none');
  } finally {
    g.EventSource = before;
  }
});

test('a browser that refuses the lock leaves the tab with its own stream', async () => {
  const g = globalThis as { EventSource?: unknown };
  const before = g.EventSource;
  g.EventSource = FakeSource;
  FakeSource.made = [];
  const refusing = { request: () => Promise.reject(new Error('SecurityError: the lock manager is not available')) };
  const channel = { onmessage: null, postMessage: () => {}, close: () => {} };
  try {
    const transport = new HttpTransport('', { locks: refusing, channel: () => channel });
    transport.subscribe(['stats'], () => {});
    // The role changes when the refusal arrives; the stream opens a timer later (subscriptions made in one task share it).
    await until(() => transport.streamRole === 'own' && FakeSource.made.length > 0);
    assert.equal(transport.streamRole, 'own');
    assert.equal(FakeSource.made.length, 1);
    transport.close();
  } finally {
    g.EventSource = before;
  }
});
