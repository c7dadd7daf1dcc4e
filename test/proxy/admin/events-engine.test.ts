import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import { startEngine, startNamedServer, request, waitFor, freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';
import { adminWith } from './helpers.ts';

interface Received {
  id: string;
  event: string;
  data: { seq: number; topic: string; payload: { url?: string } };
}

function stream(port: number, headers: Record<string, string> = {}): { events: Received[]; close(): void } {
  const events: Received[] = [];
  let buffer = '';
  const req = http.get({ host: '127.0.0.1', port, path: '/api/events?topics=access-log', headers: { host: `127.0.0.1:${port}`, ...headers }, agent: false }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (.*)$/m.exec(block)?.[1];
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id && event && data) events.push({ id, event, data: JSON.parse(data) });
      }
    });
  });
  req.on('error', () => {});
  return { events, close: () => req.destroy() };
}

test('access-log entries of real requests arrive over SSE, and a reconnect with Last-Event-ID gets the ones it missed', async () => {
  const app = await startNamedServer('app');
  const run = await startEngine(`${HTTP_DEFAULTS}frontend web
    bind 127.0.0.1:${await freePort()}
    default_backend app
backend app
    server a 127.0.0.1:${app.port}
`);
  const control = new InProcessControl(run.engine, { log: () => {} });
  const admin = await adminWith({ control });
  try {
    const first = stream(admin.port);
    await waitFor('the stream to subscribe', () => admin.streams.size === 1);
    await request(run.port, '/one');
    await waitFor('the first entry', () => first.events.length === 1);
    assert.equal(first.events[0]!.event, 'log:entry');
    assert.equal(first.events[0]!.data.payload.url, '/one');
    assert.equal(first.events[0]!.id, String(first.events[0]!.data.seq));
    first.close();
    await waitFor('the stream to close', () => admin.streams.size === 0);

    await request(run.port, '/two');
    await request(run.port, '/three');
    const resumed = stream(admin.port, { 'last-event-id': first.events[0]!.id });
    await waitFor('the missed entries', () => resumed.events.length === 2);
    assert.deepEqual(resumed.events.map((e) => e.data.payload.url), ['/two', '/three']);
    await request(run.port, '/four');
    await waitFor('a live entry after the replay', () => resumed.events.length === 3);
    assert.equal(resumed.events[2]!.data.payload.url, '/four');
    resumed.close();
  } finally {
    await admin.close();
    await run.stop();
    await app.close();
  }
});
