/**
 * Containment (issue #10): an exception thrown by Loadstar's own code while it
 * handles one exchange closes that connection (500 when no response has
 * started), is logged once with its stack, counts as an internal error (eint),
 * and leaves the process and every other connection alone. Faults are injected
 * at each stage of an exchange (proxy/runtime/faults.ts).
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startEngine, freePort, request, waitFor, HTTP_DEFAULTS } from '../../helpers/net.ts';
import { armFault, clearFaults, pendingFaults, FAULT_STAGES } from '../../../proxy/runtime/faults.ts';
import type { FaultStage } from '../../../proxy/runtime/faults.ts';
import { HttpFrontend } from '../../../proxy/http/frontend.ts';
import { certPath, h2Requests } from '../../helpers/tls.ts';

afterEach(() => clearFaults());

/** Sockets (TCP handles) open in this process: clients, the engine's both sides, the origin's. */
function openSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TLSWrap').length;
}

/** An origin answering with a body, echoing request bodies, and switching to an echo tunnel on Upgrade. */
async function startOrigin(): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d));
    req.on('end', () => res.end(`answer:${body}`));
  });
  const tunnels = new Set<net.Socket>();
  server.on('upgrade', (_req, socket: net.Socket) => {
    tunnels.add(socket);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n');
    socket.on('data', (d: Buffer) => socket.write(`echo:${d}`));
    // node:http leaves upgraded sockets half-open: close this side when the proxy closes its own.
    socket.on('end', () => socket.end());
    socket.on('close', () => tunnels.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => {
      for (const t of tunnels) t.destroy();
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** What the client sends to walk an exchange through `stage`. */
function exchangeFor(stage: FaultStage): string {
  if (stage === 'request-body') return 'POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody';
  if (stage === 'tunnel') return 'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
  return 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';
}

/** Sends `data`, writes `after` once a 101 arrives; resolves with what came back when the engine closes (bounded). */
function exchange(port: number, data: string, after?: string): Promise<{ answer: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let sentAfter = false;
    const timer = setTimeout(() => { socket.destroy(); resolve({ answer, closed: false }); }, 4000);
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
      if (after && !sentAfter && answer.includes('\r\n\r\n') && answer.startsWith('HTTP/1.1 101')) {
        sentAfter = true;
        socket.write(after);
      }
    });
    socket.on('close', () => { clearTimeout(timer); resolve({ answer, closed: true }); });
    socket.on('error', () => {});
    socket.on('connect', () => socket.write(data));
  });
}

/** What the client must see when the fault hits at `stage`. */
const EXPECTED: Record<FaultStage, RegExp> = {
  // Nothing was read yet: the connection is closed without an answer.
  accept: /^$/,
  // No response has started: HAProxy's answer to its own internal errors.
  'request-head': /^HTTP\/1.1 500 Internal Server Error\r\n/,
  'request-body': /^HTTP\/1.1 500 Internal Server Error\r\n/,
  connect: /^HTTP\/1.1 500 Internal Server Error\r\n/,
  'response-head': /^HTTP\/1.1 500 Internal Server Error\r\n/,
  // The response has started: it is cut short by the close.
  'response-body': /^HTTP\/1.1 200 OK\r\n[^]*\r\n\r\n$/,
  tunnel: /^HTTP\/1.1 101 Switching Protocols\r\n[^]*\r\n\r\n$/,
  // The exchange was complete when the log line failed.
  log: /^HTTP\/1.1 200 OK\r\n[^]*answer:$/,
};

test('an exception at any stage of an exchange closes that connection only, is logged once and counted', async () => {
  const origin = await startOrigin();
  // http-server-close: no idle server connection stays pooled, so every socket has to go away.
  const e = await startEngine(`${HTTP_DEFAULTS}
    option http-server-close
    timeout tunnel 5s
frontend web
    bind 127.0.0.1:${await freePort()}
    default_backend app
backend app
    server s1 127.0.0.1:${origin.port}
`);
  try {
    const counters = () => e.engine.stats.counters('frontend', 'web')!;
    const frontend = e.engine.stats.view()!.frontends.get('web') as HttpFrontend;
    assert.equal((await request(e.port)).status, 200);
    await waitFor('sockets of the first request to close', () => openSockets() === 0);
    for (const stage of FAULT_STAGES) {
      const alertsBefore = e.alerts.length;
      const eintBefore = counters().eint;
      armFault(stage);
      const { answer, closed } = await exchange(e.port, exchangeFor(stage), stage === 'tunnel' ? 'ping' : undefined);
      assert.equal(pendingFaults().size, 0, `the fault at ${stage} was reached`);
      assert.ok(closed, `${stage}: the connection is closed`);
      assert.match(answer, EXPECTED[stage], stage);
      const internal = e.alerts.slice(alertsBefore).filter((a) => /internal error/.test(a));
      assert.equal(internal.length, 1, `${stage}: logged once: ${JSON.stringify(e.alerts.slice(alertsBefore))}`);
      assert.match(internal[0]!, new RegExp(`InjectedFault: fault injected at stage '${stage}'\\n\\s+at `), `${stage}: with its stack`);
      assert.equal(counters().eint, eintBefore + 1, `${stage}: counted in eint`);
      // Every socket of the failed exchange is gone, on both sides, and the engine forgot the connection.
      await waitFor(`${stage}: sockets to close`, () => openSockets() === 0);
      await waitFor(`${stage}: the frontend to release the connection`, () => frontend.connections.size === 0 && counters().scur === 0);
      // The next client is served.
      const next = await request(e.port, '/', { method: 'POST', body: 'next' });
      assert.equal(next.status, 200, `${stage}: next request served`);
      assert.equal(next.body, 'answer:next');
      await waitFor(`${stage}: sockets of the next request to close`, () => openSockets() === 0);
    }
  } finally {
    await e.stop();
    await origin.close();
  }
});

test('an exception in one exchange leaves the other connections in flight untouched', async () => {
  const held: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    if (req.url === '/slow') return void held.push(res);
    res.end('fast');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const e = await startEngine(`${HTTP_DEFAULTS}
frontend web
    bind 127.0.0.1:${await freePort()}
    default_backend app
backend app
    server s1 127.0.0.1:${port}
`);
  try {
    const slow = request(e.port, '/slow');
    await waitFor('the slow request to reach the server', () => held.length === 1);
    armFault('response-head');
    const failed = await exchange(e.port, 'GET /fast HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(failed.answer, /^HTTP\/1.1 500 /);
    held[0]!.end('slow done');
    const r = await slow;
    assert.equal(r.status, 200);
    assert.equal(r.body, 'slow done');
  } finally {
    await e.stop();
    await new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  }
});

test('an exception while serving an HTTP/2 stream answers that stream 500 and the others on the session go on', async () => {
  const origin = await startOrigin();
  const e = await startEngine(`${HTTP_DEFAULTS}
frontend web
    bind 127.0.0.1:${await freePort()} ssl crt ${certPath('site.pem')} alpn h2
    default_backend app
backend app
    server s1 127.0.0.1:${origin.port}
`);
  try {
    armFault('response-head');
    // Streams of one session: the first response head to arrive fails, the other one is answered.
    const { alpn, answers } = await h2Requests(e.port, 'site.home.arpa', [{ path: '/a', method: 'POST', body: 'one' }, { path: '/b', method: 'POST', body: 'two' }]);
    assert.equal(alpn, 'h2');
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 500]);
    assert.match(answers.find((a) => a.status === 200)!.body, /^answer:(one|two)$/);
    assert.equal(e.alerts.filter((a) => /internal error in frontend web/.test(a)).length, 1);
    assert.equal(e.engine.stats.counters('frontend', 'web')!.eint, 1);
  } finally {
    await e.stop();
    await origin.close();
  }
});

test('connections Loadstar ends itself (Connection: close, a refused request) are released by the frontend', async () => {
  const origin = await startOrigin();
  const e = await startEngine(`${HTTP_DEFAULTS}
frontend web
    bind 127.0.0.1:${await freePort()}
    default_backend app
backend app
    server s1 127.0.0.1:${origin.port}
`);
  try {
    const frontend = e.engine.stats.view()!.frontends.get('web') as HttpFrontend;
    for (let i = 0; i < 5; i++) assert.equal((await request(e.port, '/', { headers: { connection: 'close' } })).status, 200);
    for (let i = 0; i < 5; i++) await exchange(e.port, 'GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor('every connection to be released', () => frontend.connections.size === 0);
  } finally {
    await e.stop();
    await origin.close();
  }
});
