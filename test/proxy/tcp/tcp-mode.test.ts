import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startRawServer, startEngine, freePort } from '../../helpers/net.ts';

/** A tcp-mode `listen db` section in front of one server. */
async function listenDb(serverPort: number, extra = '') {
  return startEngine(`
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen db
    bind 127.0.0.1:${await freePort()}
${extra}    server s1 127.0.0.1:${serverPort}
`);
}

/** Connects, sends `data`, half-closes, and returns everything received until the proxy closes. */
function exchange(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => { socket.end(); resolve(Buffer.concat(chunks)); });
    socket.on('error', reject);
    socket.on('connect', () => socket.end(data));
  });
}

test('tcp mode pipes bytes both ways and honours half-close', async () => {
  // The server answers only after the client has finished sending (FIN), then closes.
  const server = await startRawServer((s) => {
    const got: Buffer[] = [];
    s.on('data', (c: Buffer) => got.push(c));
    s.on('end', () => s.end(Buffer.concat([Buffer.from('echo:'), ...got])));
  });
  const e = await listenDb(server.port);
  try {
    const payload = Buffer.alloc(512 * 1024, 7);
    const answer = await exchange(e.port, payload);
    assert.equal(answer.length, payload.length + 5);
    assert.equal(answer.subarray(0, 5).toString(), 'echo:');
    assert.ok(answer.subarray(5).equals(payload));
  } finally {
    await e.stop();
    await server.close();
  }
});

test('tcp mode balances each connection round robin', async () => {
  const a = await startRawServer((s) => s.end('a'));
  const b = await startRawServer((s) => s.end('b'));
  const port = await freePort();
  const e = await startEngine(`
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend front
    bind 127.0.0.1:${port}
    default_backend pool
backend pool
    balance roundrobin
    server a 127.0.0.1:${a.port}
    server b 127.0.0.1:${b.port}
`);
  try {
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push((await exchange(e.port, Buffer.alloc(0))).toString());
    assert.deepEqual(seen, ['a', 'b', 'a', 'b']);
  } finally {
    await e.stop();
    await a.close();
    await b.close();
  }
});

test('option tcplog writes HAProxy\'s TCP log line when the connection ends', async () => {
  const server = await startRawServer((s) => s.end('hello'));
  const e = await listenDb(server.port, '    option tcplog\n');
  try {
    assert.equal((await exchange(e.port, Buffer.from('hi'))).toString(), 'hello');
    for (let i = 0; i < 100 && e.logs.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.match(e.logs[0]!, /^127\.0\.0\.1:\d+ \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] db db\/s1 \d+\/\d+\/\d+ 5 -- \d+\/\d+\/\d+\/\d+\/0 0\/0$/);
  } finally {
    await e.stop();
    await server.close();
  }
});
