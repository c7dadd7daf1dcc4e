import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { hashPassword } from '../../../proxy/admin/password.ts';
import { fakeControl, adminWith, call, session } from './helpers.ts';
import { waitFor } from '../../helpers/net.ts';

/** An EventSource-like reader: collects parsed events from GET /api/events. */
function openStream(port: number, query: string, headers: Record<string, string> = {}) {
  const events: Array<{ id?: string; event?: string; data?: string }> = [];
  const comments: string[] = [];
  let buffer = '';
  let response: http.IncomingMessage | undefined;
  let ended = false;
  const req = http.get({ host: '127.0.0.1', port, path: `/api/events${query}`, headers: { host: `127.0.0.1:${port}`, ...headers }, agent: false }, (res) => {
    response = res;
    res.on('end', () => (ended = true));
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: { id?: string; event?: string; data?: string } = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line.slice(1).trim());
          else if (line.startsWith('id: ')) event.id = line.slice(4);
          else if (line.startsWith('event: ')) event.event = line.slice(7);
          else if (line.startsWith('data: ')) event.data = line.slice(6);
        }
        if (event.data !== undefined) events.push(event);
      }
    });
  });
  req.on('error', () => {});
  return { events, comments, close: () => req.destroy(), response: () => response, ended: () => ended };
}

test('one stream carries every topic it asked for: id is the seq, event is the topic\'s channel, data the whole event', async () => {
  const control = fakeControl();
  const admin = await adminWith({ control });
  const stream = openStream(admin.port, '?topics=access-log,events,stats');
  try {
    await waitFor('the subscription', () => control.listeners === 1 && stream.response() !== undefined);
    assert.match(String(stream.response()!.headers['content-type']), /^text\/event-stream/);
    control.emit('stats', { t: 1, objects: [] });
    control.emit('access-log', { status: 200 });
    control.emit('events', { type: 'alert', time: 2, message: 'hi' });
    await waitFor('three events', () => stream.events.length === 3);
    assert.deepEqual(stream.events.map((e) => [e.id, e.event]), [['1', 'stats:tick'], ['2', 'log:entry'], ['3', 'engine:event']]);
    assert.deepEqual(JSON.parse(stream.events[2]!.data!), { seq: 3, topic: 'events', payload: { type: 'alert', time: 2, message: 'hi' } });
  } finally {
    stream.close();
    await admin.close();
  }
});

test('a stream only receives the topics it asked for, and an unknown topic is refused', async () => {
  const control = fakeControl();
  const admin = await adminWith({ control });
  const stream = openStream(admin.port, '?topics=events');
  try {
    await waitFor('the subscription', () => control.listeners === 1);
    control.emit('stats', { t: 1 });
    control.emit('events', { type: 'alert' });
    await waitFor('one event', () => stream.events.length === 1);
    assert.equal(stream.events[0]!.event, 'engine:event');
    const bad = await call(admin.port, 'GET', '/api/events?topics=events,secrets');
    assert.equal(bad.status, 400);
    assert.match(bad.json().error.message, /unknown topic 'secrets'/);
  } finally {
    stream.close();
    await admin.close();
  }
});

test('a reconnect with Last-Event-ID (or ?lastEventId=) resumes after that event', async () => {
  const control = fakeControl();
  const admin = await adminWith({ control });
  try {
    for (let i = 1; i <= 5; i++) control.emit('stats', { i });
    const resumed = openStream(admin.port, '?topics=stats', { 'last-event-id': '3' });
    await waitFor('the replay', () => resumed.events.length === 2);
    assert.deepEqual(resumed.events.map((e) => e.id), ['4', '5']);
    control.emit('stats', { i: 6 });
    await waitFor('the live event', () => resumed.events.length === 3);
    assert.equal(resumed.events[2]!.id, '6');
    resumed.close();
    const byQuery = openStream(admin.port, '?topics=stats&lastEventId=5');
    await waitFor('the replay', () => byQuery.events.length === 1);
    assert.equal(byQuery.events[0]!.id, '6');
    byQuery.close();
    const fresh = openStream(admin.port, '?topics=stats', { 'last-event-id': 'garbage' });
    await waitFor('the subscription', () => control.listeners >= 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(fresh.events.length, 0, 'a malformed id starts fresh');
    fresh.close();
  } finally {
    await admin.close();
  }
});

test('idle streams get a comment line at each heartbeat', async () => {
  const control = fakeControl();
  const admin = await adminWith({ control, events: { heartbeatMs: 30 } });
  const stream = openStream(admin.port, '?topics=stats');
  try {
    await waitFor('two heartbeats', () => stream.comments.filter((c) => c === 'keep-alive').length >= 2);
  } finally {
    stream.close();
    await admin.close();
  }
});

test('a closed page drops its subscription', async () => {
  const control = fakeControl();
  const admin = await adminWith({ control });
  const stream = openStream(admin.port, '?topics=stats');
  try {
    await waitFor('the subscription', () => control.listeners === 1);
    stream.close();
    await waitFor('the unsubscription', () => control.listeners === 0);
    assert.equal(admin.streams.size, 0);
  } finally {
    await admin.close();
  }
});

test('a client that stops reading is disconnected once its unread bytes pass the limit: the server never buffers more', async () => {
  const control = fakeControl();
  const limit = 256 * 1024;
  const admin = await adminWith({ control, events: { bufferLimit: limit } });
  // A raw socket that sends the request, then never reads again.
  const socket = net.connect(admin.port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(`GET /api/events?topics=stats HTTP/1.1\r\nHost: 127.0.0.1:${admin.port}\r\n\r\n`);
  socket.pause();
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  try {
    await waitFor('the subscription', () => control.listeners === 1);
    const payload = { blob: 'x'.repeat(64 * 1024) };
    let sent = 0;
    let maxBuffered = 0;
    const serverSide = () => [...(admin.streams as unknown as { streams: Set<{ res: http.ServerResponse }> }).streams][0]?.res;
    // Bounded: 64 MiB at most; the kernel's socket buffers take a few MiB on loopback before the server's own buffer grows.
    while (control.listeners > 0 && sent < 1024) {
      const res = serverSide();
      if (res) maxBuffered = Math.max(maxBuffered, res.writableLength + (res.socket?.writableLength ?? 0));
      control.emit('stats', payload);
      sent++;
      if (sent % 16 === 0) await new Promise((r) => setImmediate(r));
    }
    assert.equal(control.listeners, 0, `still subscribed after ${sent} events of 64 KiB`);
    assert.equal(admin.streams.slowClosed, 1);
    assert.ok(maxBuffered <= limit + 70 * 1024, `the server buffered ${maxBuffered} bytes for the stalled client (limit ${limit} + one event)`);
    socket.resume();
    await closed;
    // The server still serves everyone else.
    const ok = await call(admin.port, 'GET', '/api/session');
    assert.equal(ok.status, 200);
  } finally {
    socket.destroy();
    await admin.close();
  }
});

test("logging out ends that session's event streams (its reconnect meets the login), and a new login ends the old session's; another session's stream goes on", async () => {
  const control = fakeControl();
  const admin = await adminWith({ control, password: await hashPassword('correct horse battery') });
  const login = async (cookie = ''): Promise<string> => {
    const answer = await call(admin.port, 'POST', '/login', { 'content-type': 'application/x-www-form-urlencoded', origin: admin.origin, ...(cookie ? { cookie } : {}) }, 'password=correct+horse+battery');
    return answer.headers['set-cookie']![0]!.split(';')[0]!;
  };
  const [alice, bob] = [await login(), await login()];
  const aliceStreams = [openStream(admin.port, '?topics=stats', { cookie: alice }), openStream(admin.port, '?topics=events', { cookie: alice })];
  const bobStream = openStream(admin.port, '?topics=stats', { cookie: bob });
  try {
    await waitFor('three subscriptions', () => control.listeners === 3);
    control.emit('stats', { i: 1 });
    await waitFor('the event on both stats streams', () => aliceStreams[0]!.events.length === 1 && bobStream.events.length === 1);
    const s = await session(admin, alice);
    assert.equal((await call(admin.port, 'POST', '/logout', s.headers)).status, 200);
    await waitFor("alice's streams ended", () => aliceStreams.every((st) => st.ended()));
    assert.equal(control.listeners, 1);
    assert.equal((await call(admin.port, 'GET', '/api/events?topics=stats', { cookie: alice })).status, 401, 'the reconnect meets the login');
    control.emit('stats', { i: 2 });
    await waitFor("bob's stream goes on", () => bobStream.events.length === 2);
    assert.equal(bobStream.ended(), false);

    // A new login in bob's browser replaces his session: the old one's stream ends too.
    await login(bob);
    await waitFor("bob's old stream ended", () => bobStream.ended());
    assert.equal(control.listeners, 0);
  } finally {
    for (const st of [...aliceStreams, bobStream]) st.close();
    await admin.close();
  }
});

test('with a password, a stream whose session expired is ended at the next heartbeat', async () => {
  const control = fakeControl();
  let now = 1_000_000;
  const admin = await adminWith({ control, password: await hashPassword('correct horse battery'), sessions: { idleMs: 60_000, now: () => now }, events: { heartbeatMs: 30 } });
  const answer = await call(admin.port, 'POST', '/login', { 'content-type': 'application/x-www-form-urlencoded', origin: admin.origin }, 'password=correct+horse+battery');
  const cookie = answer.headers['set-cookie']![0]!.split(';')[0]!;
  const stream = openStream(admin.port, '?topics=stats', { cookie });
  try {
    await waitFor('the subscription', () => control.listeners === 1);
    await waitFor('two heartbeats', () => stream.comments.filter((c) => c === 'keep-alive').length >= 2);
    assert.equal(stream.ended(), false, 'a live session keeps its stream');
    now += 61_000;
    await waitFor('the stream ended', () => stream.ended());
    assert.equal(control.listeners, 0);
  } finally {
    stream.close();
    await admin.close();
  }
});

test('event streams are capped per client address (429) and per process (503) with a JSON error; a closed stream frees its place', { timeout: 10_000 }, async () => {
  const control = fakeControl();
  const lines: string[] = [];
  const admin = await adminWith({ control, log: (l) => lines.push(l), events: { maxStreams: 3, maxStreamsPerClient: 2 } });
  const streams = [openStream(admin.port, '?topics=stats'), openStream(admin.port, '?topics=stats')];
  try {
    await waitFor('two subscriptions', () => control.listeners === 2);
    const perClient = await call(admin.port, 'GET', '/api/events?topics=stats');
    assert.equal(perClient.status, 429);
    assert.equal(perClient.headers['retry-after'], '5');
    assert.equal(perClient.json().ok, false);
    assert.equal(perClient.json().error.code, 'LS_ERR_CTL_LIMIT');
    assert.match(perClient.json().error.message, /127\.0\.0\.1 has 2 event streams open already/);
    assert.equal(control.listeners, 2, 'no subscription for a refused stream');
    assert.equal(lines.filter((l) => l.includes('refused an event stream')).length, 1);
    streams[0]!.close();
    await waitFor('the place freed', () => admin.streams.size === 1 && control.listeners === 1);
    streams.push(openStream(admin.port, '?topics=stats'));
    await waitFor('the new stream', () => control.listeners === 2 && streams[2]!.response()?.statusCode === 200);
  } finally {
    for (const s of streams) s.close();
    await admin.close();
  }
  const global = await adminWith({ control: fakeControl(), events: { maxStreams: 2, maxStreamsPerClient: 10 } });
  const open = [openStream(global.port, '?topics=stats'), openStream(global.port, '?topics=stats')];
  try {
    await waitFor('two streams', () => global.streams.size === 2);
    const full = await call(global.port, 'GET', '/api/events?topics=stats');
    assert.equal(full.status, 503);
    assert.equal(full.json().error.code, 'LS_ERR_CTL_LIMIT');
    assert.match(full.json().error.message, /the admin server has 2 event streams open already/);
    // Other requests are not affected.
    assert.equal((await call(global.port, 'GET', '/api/session')).status, 200);
  } finally {
    for (const s of open) s.close();
    await global.close();
  }
});

test('by default a client may open 16 event streams and the 17th is refused', { timeout: 10_000 }, async () => {
  const control = fakeControl();
  const admin = await adminWith({ control });
  const streams = Array.from({ length: 16 }, () => openStream(admin.port, '?topics=stats'));
  try {
    await waitFor('sixteen streams', () => admin.streams.size === 16);
    assert.equal((await call(admin.port, 'GET', '/api/events?topics=stats')).status, 429);
  } finally {
    for (const s of streams) s.close();
    await admin.close();
  }
});
