import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startNamedServer, startEngine, freePort } from '../../helpers/net.ts';

async function engineWith(defaultsLines: string, serverPort: number) {
  return startEngine(`
defaults
    mode http
    timeout connect 1s
    timeout server 5s
${defaultsLines}
frontend web
    bind 127.0.0.1:${await freePort()}
    default_backend app
backend app
    server s1 127.0.0.1:${serverPort}
`);
}

/** Sends one request, reads the answer, then waits to see when (and whether) the proxy closes. */
function idleAfterOneRequest(port: number, limitMs: number): Promise<{ answer: string; closedAfterMs: number | undefined }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let answeredAt = 0;
    const timer = setTimeout(() => { socket.destroy(); resolve({ answer, closedAfterMs: undefined }); }, limitMs);
    socket.on('data', (d: Buffer) => { answer += d.toString(); answeredAt ||= Date.now(); });
    socket.on('close', () => { clearTimeout(timer); resolve({ answer, closedAfterMs: Date.now() - answeredAt }); });
    socket.on('error', () => {});
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  });
}

test('timeout http-keep-alive closes an idle keep-alive connection silently', async () => {
  const app = await startNamedServer('app');
  const e = await engineWith('    timeout client 5s\n    timeout http-keep-alive 200ms', app.port);
  try {
    const r = await idleAfterOneRequest(e.port, 3000);
    assert.match(r.answer, /^HTTP\/1.1 200 OK\r\n/);
    assert.doesNotMatch(r.answer, /408/);
    assert.ok(r.closedAfterMs !== undefined && r.closedAfterMs < 2000, `closed after ${r.closedAfterMs} ms`);
  } finally {
    await e.stop();
    await app.close();
  }
});

test('timeout client closes a connection on which the client stays silent', async () => {
  const app = await startNamedServer('app');
  const e = await engineWith('    timeout client 200ms', app.port);
  try {
    const r = await idleAfterOneRequest(e.port, 3000);
    assert.match(r.answer, /^HTTP\/1.1 200 OK\r\n/);
    assert.ok(r.closedAfterMs !== undefined && r.closedAfterMs < 2000, `closed after ${r.closedAfterMs} ms`);
  } finally {
    await e.stop();
    await app.close();
  }
});

test('without an idle timeout a keep-alive connection stays open', async () => {
  const app = await startNamedServer('app');
  const e = await engineWith('    timeout client 10s', app.port);
  try {
    const r = await idleAfterOneRequest(e.port, 600);
    assert.match(r.answer, /^HTTP\/1.1 200 OK\r\n/);
    assert.equal(r.closedAfterMs, undefined);
  } finally {
    await e.stop();
    await app.close();
  }
});
