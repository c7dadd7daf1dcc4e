import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { startNamedServer, startRawServer, startEngine, request, freePort, waitFor } from '../../helpers/net.ts';

const defaults = `
defaults
    mode http
    timeout connect 500ms
    timeout client 5s
    timeout server 5s
`;

/** One frontend `web` (plus `frontendLines`) sending everything to backend `app` (its lines given). */
async function engineWith(backendLines: string, frontendLines = '') {
  return startEngine(`${defaults}
frontend web
    bind 127.0.0.1:${await freePort()}
${frontendLines}    default_backend app
backend app
${backendLines}`);
}

test('maxconn 1 queues the second request until the first is answered', async () => {
  const release: Array<() => void> = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const app = await startNamedServer('app', (req, res) => {
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    release.push(() => { concurrent--; res.end(req.url); });
  });
  const e = await engineWith(`
    timeout queue 5s
    server s1 127.0.0.1:${app.port} maxconn 1
`);
  try {
    const first = request(e.port, '/first');
    const second = request(e.port, '/second');
    while (release.length < 1) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(release.length, 1, 'the second request waits in the queue, not at the server');
    assert.equal(e.engine.backend('app')!.queue.length, 1);
    release.shift()!();
    assert.equal((await first).body, '/first');
    while (release.length < 1) await new Promise((r) => setTimeout(r, 10));
    release.shift()!();
    assert.equal((await second).body, '/second');
    assert.equal(maxConcurrent, 1);
  } finally {
    await e.stop();
    await app.close();
  }
});

test('a request still queued after timeout queue gets 503', async () => {
  const held: http.ServerResponse[] = [];
  const app = await startNamedServer('app', (_req, res) => { held.push(res); });
  const e = await engineWith(`
    timeout queue 200ms
    server s1 127.0.0.1:${app.port} maxconn 1
`);
  try {
    const first = request(e.port, '/first');
    while (held.length < 1) await new Promise((r) => setTimeout(r, 10));
    const second = await request(e.port, '/second');
    assert.equal(second.status, 503);
    held[0]!.end('done');
    assert.equal((await first).status, 200);
  } finally {
    await e.stop();
    await app.close();
  }
});

test('a failed connection is retried, and with option redispatch moves to another server', async () => {
  const dead = await startRawServer((s) => s.destroy());
  await dead.close();
  const alive = await startNamedServer('alive');
  const e = await engineWith(`
    retries 2
    option redispatch
    balance roundrobin
    server dead 127.0.0.1:${dead.port}
    server alive 127.0.0.1:${alive.port}
`, `
    option httplog
`);
  try {
    // roundrobin picks "dead" first; with another active server and a non-hash algorithm HAProxy 2.6
    // redispatches at once (stream_choose_redispatch), so "alive" answers after one failed attempt.
    const r = await request(e.port, '/');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'alive');
    assert.equal(e.engine.backend('app')!.server('dead')!.connectErrors, 1);
    assert.match(e.logs[0]!, / app\/alive .* 200 /);
    // %rc (the last of the five connection counts) reads +1: one retry, redispatched (haproxy 2.6.12 logs '1/1/0/0/+1').
    assert.match(e.logs[0]!, / \d+\/\d+\/\d+\/\d+\/\+1 /);
  } finally {
    await e.stop();
    await alive.close();
  }
});

test('a WebSocket upgrade becomes a tunnel in both directions', async () => {
  const server = await startRawServer((s) => {
    s.once('data', (head: Buffer) => {
      assert.match(head.toString(), /^GET \/ws HTTP\/1.1\r\n/);
      assert.match(head.toString(), /upgrade: websocket/i);
      s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\nhello-from-server');
      s.on('data', (d: Buffer) => s.write(`echo:${d}`));
    });
  });
  const e = await startEngine(`${defaults}
    timeout tunnel 5s
frontend web
    bind 127.0.0.1:${await freePort()}
    default_backend app
backend app
    server s1 127.0.0.1:${server.port}
`);
  try {
    const client = net.connect(e.port, '127.0.0.1');
    let received = '';
    client.on('data', (d: Buffer) => (received += d.toString()));
    // A WebSocket handshake carries its key (HAProxy refuses one without it with 400).
    client.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    await waitFor('the server\'s first bytes', () => received.includes('hello-from-server'));
    assert.match(received, /^HTTP\/1.1 101 Switching Protocols\r\n/);
    client.write('ping');
    await waitFor('the echo', () => received.includes('echo:ping'));
    client.destroy();
  } finally {
    await e.stop();
    await server.close();
  }
});

test('frontend maxconn holds extra connections unanswered until a slot frees, without refusing them', async () => {
  const held: http.ServerResponse[] = [];
  const app = await startNamedServer('app', (_req, res) => { held.push(res); });
  const e = await engineWith(`
    server s1 127.0.0.1:${app.port}
`, `
    maxconn 1
`);
  try {
    const first = request(e.port, '/first', { headers: { connection: 'close' } });
    while (held.length < 1) await new Promise((r) => setTimeout(r, 10));
    const second = request(e.port, '/second', { headers: { connection: 'close' } });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(held.length, 1, 'the second connection is not served while the first holds the only slot');
    held[0]!.end('one');
    assert.equal((await first).body, 'one');
    while (held.length < 2) await new Promise((r) => setTimeout(r, 10));
    held[1]!.end('two');
    assert.equal((await second).body, 'two');
  } finally {
    await e.stop();
    await app.close();
  }
});

test('a server connection the server asked to close is not reused', async () => {
  let connections = 0;
  const server = await startRawServer((s) => {
    connections++;
    s.on('data', () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'));
  });
  const e = await engineWith(`
    server s1 127.0.0.1:${server.port}
`);
  try {
    for (let i = 0; i < 3; i++) assert.equal((await request(e.port)).body, 'ok');
    assert.equal(connections, 3);
  } finally {
    await e.stop();
    await server.close();
  }
});

test('option http-server-close opens a new server connection per request while the client stays connected', async () => {
  let connections = 0;
  const server = await startRawServer((s) => {
    connections++;
    s.on('data', (d: Buffer) => {
      assert.match(d.toString(), /\r\nconnection: close\r\n/i);
      s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
  });
  const e = await engineWith(`
    server s1 127.0.0.1:${server.port}
`, `
    option http-server-close
`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const clientSockets = new Set<unknown>();
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: e.port, agent }, (res) => {
          clientSockets.add(res.socket);
          res.resume();
          res.on('end', resolve);
        }).on('error', reject);
      });
    }
    assert.equal(connections, 3);
    assert.equal(clientSockets.size, 1);
  } finally {
    agent.destroy();
    await e.stop();
    await server.close();
  }
});

test('a client that leaves with pipelined requests waiting gives every connection slot back', async () => {
  const held: http.ServerResponse[] = [];
  const app = await startNamedServer('app', (_req, res) => { held.push(res); });
  const e = await engineWith(`
    server s1 127.0.0.1:${app.port} maxconn 10
`);
  try {
    const socket = net.connect(e.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n');
    while (held.length < 1) await new Promise((r) => setTimeout(r, 10));
    socket.destroy();
    // Without `option abortonclose` the request in flight is still answered (as in HAProxy);
    // the answer finds the client gone. The client's close reads as a FIN, so the next pipelined
    // request goes to the server too, as haproxy 2.6.12 sends it; whatever was sent is answered,
    // and every slot must come back.
    held[0]!.end('late');
    const server = e.engine.backend('app')!.server('s1')!;
    for (let i = 0, answered = 1; i < 200 && (server.served > 0 || held.length > answered); i++) {
      for (; answered < held.length; answered++) held[answered]!.end('late');
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(server.served, 0);
  } finally {
    await e.stop();
    await app.close();
  }
});
