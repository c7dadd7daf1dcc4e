/**
 * Clients that misbehave, against Loadstar as a child process (so its memory and
 * descriptors are its own): slowloris gets 408 at `timeout http-request` (like
 * HAProxy 2.6, run beside it); a client that stops reading a large response
 * holds a bounded amount of memory (backpressure reaches the server); thousands
 * of idle connections are closed at `timeout client` and give their memory and
 * descriptors back; TLS garbage and plain HTTP on an ssl bind are closed without
 * affecting anything else. IDLE_CONNECTIONS (default 2000) sets the idle count.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { freePort, waitFor, request } from '../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../helpers/haproxy.ts';
import { certPath, tlsRequest } from '../helpers/tls.ts';
import { startLoadstar, openDescriptors } from './lib/loadstar-process.ts';
import type { ProcessSample, LoadstarProcess } from './lib/loadstar-process.ts';
import { prng } from './lib/mutate.ts';
import { writeReport } from './lib/report.ts';

const IDLE = Number(process.env.IDLE_CONNECTIONS ?? 2000);
const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const report: string[] = [];

function slowlorisConfig(port: number, origin: number): string {
  return `global\n    nbthread 1\ndefaults\n    mode http\n    timeout connect 1s\n    timeout http-request 1s\n    timeout client 10s\n    timeout server 5s\nfrontend web\n    bind 127.0.0.1:${port}\n    default_backend app\nbackend app\n    server s 127.0.0.1:${origin}\n`;
}

/** Sends a request head one header line every 150 ms (at most 40 lines) and returns what came back. */
function slowloris(port: number): Promise<{ answer: string; closed: boolean; linesSent: number }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let lines = 0;
    let closed = false;
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', () => {});
    const timer = setInterval(() => {
      if (closed || lines >= 40) return finish();
      socket.write(lines === 0 ? 'GET / HTTP/1.1\r\nHost: t.example\r\n' : `X-Slow-${lines}: a\r\n`);
      lines++;
    }, 150);
    const finish = () => {
      clearInterval(timer);
      socket.destroy();
      resolve({ answer, closed, linesSent: lines });
    };
    socket.on('close', () => { closed = true; finish(); });
  });
}

test('slowloris: a head dribbled line by line gets 408 at timeout http-request, as from HAProxy', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const origin = http.createServer((_q, s) => s.end('ok'));
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const originPort = (origin.address() as net.AddressInfo).port;
  const hp = await freePort();
  const lp = await freePort();
  let haproxy: Awaited<ReturnType<typeof startHaproxy>> | undefined;
  let loadstar: LoadstarProcess | undefined;
  try {
    haproxy = await startHaproxy(slowlorisConfig(hp, originPort), hp);
    loadstar = await startLoadstar(slowlorisConfig(lp, originPort), lp);
    const [h, l] = await Promise.all([slowloris(hp), slowloris(lp)]);
    report.push(`- slowloris (timeout http-request 1s, a header line every 150 ms): HAProxy ${h.answer.split('\r\n')[0] || 'nothing'} after ${h.linesSent} lines, closed ${h.closed}; Loadstar ${l.answer.split('\r\n')[0] || 'nothing'} after ${l.linesSent} lines, closed ${l.closed}`);
    assert.match(h.answer, /^HTTP\/1\.[01] 408/);
    assert.match(l.answer, /^HTTP\/1\.[01] 408/);
    assert.equal(l.closed, true);
    assert.ok(l.linesSent < 40, 'the connection was closed before the client gave up');
    assert.equal((await request(lp, '/')).status, 200);
  } finally {
    await haproxy?.stop();
    await loadstar?.stop();
    origin.closeAllConnections();
    origin.close();
  }
});

test('a client that stops reading a 256 MB response costs bounded memory: backpressure reaches the server', { timeout: 60_000 }, async () => {
  const TOTAL = 256 * MB;
  let written = 0;
  const chunk = Buffer.alloc(64 * 1024, 'b');
  const origin = http.createServer((_q, res) => {
    res.writeHead(200, { 'content-length': String(TOTAL) });
    const pump = () => {
      while (written < TOTAL) {
        written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const port = await freePort();
  let loadstar: LoadstarProcess | undefined;
  let socket: net.Socket | undefined;
  try {
    loadstar = await startLoadstar(slowlorisConfig(port, (origin.address() as net.AddressInfo).port).replace('timeout client 10s', 'timeout client 30s').replace('timeout server 5s', 'timeout server 30s'), port);
    const client = (socket = net.connect(port, '127.0.0.1'));
    const before = await loadstar.sample();
    client.write('GET /big HTTP/1.1\r\nHost: t.example\r\n\r\n');
    // Read the first bytes only, then stop reading.
    await new Promise<void>((r) => client.once('data', () => { client.pause(); r(); }));
    let last = -1;
    // The server stops being able to write once every buffer on the way is full.
    for (let i = 0; i < 100 && written !== last; i++) {
      last = written;
      await sleep(100);
    }
    const during = await loadstar.sample();
    const growth = during.rss - before.rss;
    report.push(`- slow reader of a 256 MB response: the server could write ${(written / MB).toFixed(1)} MB before backpressure stopped it; Loadstar RSS ${(before.rss / MB).toFixed(0)} → ${(during.rss / MB).toFixed(0)} MB (+${(growth / MB).toFixed(1)} MB)`);
    assert.ok(written < 64 * MB, `the server wrote ${written} bytes: backpressure did not reach it`);
    assert.ok(growth < 64 * MB, `RSS grew by ${growth} bytes`);
  } finally {
    socket?.destroy();
    await loadstar?.stop();
    origin.closeAllConnections();
    origin.close();
  }
});

test(`${IDLE} idle connections are closed at timeout client, and memory and descriptors come back`, { timeout: 120_000 }, async () => {
  const port = await freePort();
  const loadstar: LoadstarProcess = await startLoadstar(`defaults\n    mode http\n    timeout connect 1s\n    timeout client 6s\n    timeout server 5s\nfrontend web\n    bind 127.0.0.1:${port}\n    default_backend app\nbackend app\n    server s 127.0.0.1:9\n`, port);
  const sockets: net.Socket[] = [];
  let closedByProxy = 0;
  try {
    const base = await loadstar.sample();
    for (let i = 0; i < IDLE; i += 250) {
      await Promise.all(Array.from({ length: Math.min(250, IDLE - i) }, () => new Promise<void>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => resolve());
        s.on('error', () => resolve());
        s.on('close', () => closedByProxy++);
        sockets.push(s);
      })));
    }
    // Connected is not yet accepted: wait (bounded) until the proxy holds them all.
    let held = 0;
    for (let i = 0; i < 200 && held < base.fds + IDLE * 0.98; i++) {
      held = Math.max(held, openDescriptors(loadstar.pid));
      if (held < base.fds + IDLE * 0.98) await sleep(50);
    }
    const peak: ProcessSample = await loadstar.sample();
    peak.fds = Math.max(peak.fds, held);
    await waitFor('the proxy to close every idle connection', () => closedByProxy === IDLE, 60_000);
    await sleep(200);
    const after = await loadstar.sample();
    const perConnection = (peak.rss - base.rss) / IDLE;
    report.push(`- ${IDLE} idle connections (timeout client 6s): descriptors ${base.fds} → ${peak.fds} → ${after.fds}; RSS ${(base.rss / MB).toFixed(0)} → ${(peak.rss / MB).toFixed(0)} → ${(after.rss / MB).toFixed(0)} MB (${(perConnection / 1024).toFixed(1)} KB per connection); all closed by the proxy`);
    assert.ok(peak.fds >= base.fds + IDLE / 2, `the connections were held (${peak.fds} descriptors)`);
    assert.ok(after.fds <= base.fds + 5, `descriptors came back (${base.fds} → ${after.fds})`);
    assert.ok(perConnection < 64 * 1024, `${perConnection} bytes per idle connection`);
  } finally {
    for (const s of sockets) s.destroy();
    await loadstar.stop();
  }
});

test('TLS garbage on an ssl bind and plain HTTP on a TLS port are closed, and the engine keeps serving', { timeout: 60_000 }, async () => {
  const origin = http.createServer((_q, s) => s.end('ok'));
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const originPort = (origin.address() as net.AddressInfo).port;
  const tlsPort = await freePort();
  const plainPort = await freePort();
  const tlsConfig = `defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nfrontend tls\n    bind 127.0.0.1:${tlsPort} ssl crt ${certPath('site.pem')}\n    bind 127.0.0.1:${plainPort}\n    default_backend app\nbackend app\n    server s 127.0.0.1:${originPort}\n`;
  let loadstar: LoadstarProcess | undefined;
  const rnd = prng(7);
  const sendRaw = (data: Buffer) => new Promise<{ closed: boolean; bytes: number }>((resolve) => {
    const s = net.connect(tlsPort, '127.0.0.1', () => s.write(data));
    let bytes = 0;
    const timer = setTimeout(() => { s.destroy(); resolve({ closed: false, bytes }); }, 5000);
    s.on('data', (d: Buffer) => (bytes += d.length));
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(timer); resolve({ closed: true, bytes }); });
  });
  try {
    loadstar = await startLoadstar(tlsConfig, plainPort);
    const garbage = Buffer.from(Array.from({ length: 4096 }, () => Math.floor(rnd() * 256)));
    // A TLS record header that announces a handshake, then nonsense.
    const fakeHello = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]), garbage.subarray(0, 512)]);
    const results = {
      garbage: await sendRaw(garbage),
      fakeHello: await sendRaw(fakeHello),
      plainHttp: await sendRaw(Buffer.from('GET / HTTP/1.1\r\nHost: t.example\r\n\r\n')),
    };
    report.push(`- ssl bind: 4 KB random bytes → closed ${results.garbage.closed} (${results.garbage.bytes} bytes back); a broken ClientHello → closed ${results.fakeHello.closed}; plain HTTP → closed ${results.plainHttp.closed} (${results.plainHttp.bytes} bytes back)`);
    for (const [what, r] of Object.entries(results)) assert.equal(r.closed, true, `${what} was not closed`);
    assert.ok(loadstar.alive());
    const answer = await tlsRequest(tlsPort, 'site.home.arpa', 'GET / HTTP/1.1\r\nHost: site.home.arpa\r\nConnection: close\r\n\r\n');
    assert.match(answer.response, /^HTTP\/1\.1 200/);
    assert.equal((await request(plainPort, '/')).status, 200);
  } finally {
    await loadstar?.stop();
    origin.closeAllConnections();
    origin.close();
  }
});

after(() => {
  writeReport('client-hostility.md', `# Misbehaving clients\n\nGenerated by test/reliability/client-hostility.test.ts (${new Date().toISOString()}).\n\n${report.join('\n')}\n`);
});
