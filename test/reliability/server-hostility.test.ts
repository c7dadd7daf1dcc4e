/**
 * Servers that misbehave, behind HAProxy 2.6 and behind Loadstar (a child
 * process) with the same configuration: interim answers, a response without
 * framing, two Content-Lengths, garbage after the body, a reset mid-body, an
 * answer before the request body was sent, no answer at all. Whatever the
 * server does, Loadstar answers the client sensibly and keeps serving.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { startRawServer, startNamedServer, freePort } from '../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../helpers/haproxy.ts';
import { startLoadstar } from './lib/loadstar-process.ts';
import { exchange } from './lib/clients.ts';
import type { Exchange } from './lib/clients.ts';
import { writeReport, cell } from './lib/report.ts';

/**
 * Calls `answer` for each request once its head (and its body by Content-Length
 * or chunked, unless `waitBody` is false) arrived; requests on one connection in turn.
 */
function onRequest(socket: net.Socket, answer: (socket: net.Socket) => void, waitBody = true): void {
  let buf = Buffer.alloc(0);
  let skip = 0;
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      if (skip > 0) {
        const n = Math.min(skip, buf.length);
        buf = buf.subarray(n);
        skip -= n;
        if (skip > 0) return;
      }
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.toString('latin1', 0, end);
      const cl = /content-length:\s*(\d+)/i.exec(head);
      let size = end + 4 + (cl ? Number(cl[1]) : 0);
      if (/transfer-encoding:\s*chunked/i.test(head)) {
        const last = buf.indexOf('0\r\n\r\n', end);
        if (last < 0 && waitBody) return;
        size = last < 0 ? buf.length : last + 5;
      }
      if (waitBody && buf.length < size) return;
      // Without waitBody the rest of the body is read and dropped.
      skip = Math.max(0, size - buf.length);
      buf = buf.subarray(Math.min(size, buf.length));
      answer(socket);
    }
  });
}

interface Scenario {
  name: string;
  what: string;
  origin: (socket: net.Socket) => void;
  request: http.RequestOptions & { body?: string };
  /** What Loadstar must do; HAProxy's answer is recorded beside it. */
  check: (l: Exchange) => void;
}

const BIG = 'x'.repeat(10_000);

const scenarios: Scenario[] = [
  {
    name: 'interim-100-then-200',
    what: 'server sends 100 Continue at once, then 200 (node:http\'s habit), client sent its body with the head',
    origin: (s) => {
      let sent100 = false;
      s.on('data', () => { if (!sent100) { sent100 = true; s.write('HTTP/1.1 100 Continue\r\n\r\n'); } });
      onRequest(s, (x) => x.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    },
    request: { method: 'POST', path: '/upload', headers: { expect: '100-continue', 'content-length': '5' }, body: 'hello' },
    check: (l) => { assert.equal(l.status, 200); assert.equal(l.body, 'ok'); },
  },
  {
    name: 'interim-103-early-hints',
    what: 'server sends 103 Early Hints, then 200',
    origin: (s) => onRequest(s, (x) => x.write('HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')),
    request: { path: '/' },
    check: (l) => { assert.equal(l.status, 200); assert.equal(l.body, 'ok'); assert.deepEqual(l.interim, [103]); },
  },
  {
    name: 'response-without-framing',
    what: 'server sends neither Content-Length nor Transfer-Encoding and closes after 10,000 bytes',
    origin: (s) => onRequest(s, (x) => x.end(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n${BIG}`)),
    request: { path: '/' },
    check: (l) => { assert.equal(l.error, undefined); assert.equal(l.status, 200); assert.equal(l.body.length, BIG.length); },
  },
  {
    name: 'two-different-content-lengths',
    what: 'server answers with Content-Length: 2 and Content-Length: 3',
    origin: (s) => onRequest(s, (x) => x.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!')),
    request: { path: '/' },
    check: (l) => assert.equal(l.status, 502),
  },
  {
    name: 'garbage-after-body',
    what: 'server sends a complete 200 (Content-Length: 2) followed by garbage bytes',
    origin: (s) => onRequest(s, (x) => x.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 666 GARBAGE\r\n\r\n\0\0junk')),
    request: { path: '/' },
    check: (l) => { assert.equal(l.status, 200); assert.equal(l.body, 'ok'); },
  },
  {
    name: 'reset-mid-body',
    what: 'server announces 100,000 bytes, sends 1,000, then resets the connection',
    origin: (s) => onRequest(s, (x) => { x.write(`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${'y'.repeat(1000)}`); setTimeout(() => x.resetAndDestroy(), 50); }),
    request: { path: '/' },
    check: (l) => { assert.notEqual(l.error, undefined, 'the client must see the response cut, not a complete one'); assert.ok(l.body.length < 100_000); },
  },
  {
    name: 'answer-before-request-body',
    what: 'server answers 413 and closes as soon as the head of a 1 MB upload arrives',
    origin: (s) => onRequest(s, (x) => x.end('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'), false),
    request: { method: 'POST', path: '/big', headers: { 'content-length': String(1_000_000) }, body: 'z'.repeat(1_000_000) },
    check: (l) => assert.ok(l.status === 413 || l.error !== undefined, `413 or a closed connection, got ${l.status} ${l.error}`),
  },
  {
    name: 'bad-chunk-size-with-the-head',
    what: 'server sends a chunked 200 whose first chunk size is `zz`, in the same write as the head',
    origin: (s) => onRequest(s, (x) => x.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n')),
    request: { path: '/' },
    // HAProxy 2.6: 502 (PH), the whole read failed before anything was forwarded. Loadstar closed the client with nothing.
    check: (l) => assert.equal(l.status, 502),
  },
  {
    name: 'interim-100-flood',
    what: 'server sends 5,000 `100 Continue` answers, then 200',
    origin: (s) => onRequest(s, (x) => x.write(`${'HTTP/1.1 100 Continue\r\n\r\n'.repeat(5000)}HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok`)),
    request: { path: '/' },
    check: (l) => { assert.equal(l.status, 200); assert.equal(l.body, 'ok'); },
  },
  {
    name: 'interim-103-flood',
    what: 'server sends 5,000 `103 Early Hints` answers with a Link field, then 200',
    origin: (s) => onRequest(s, (x) => x.write(`${'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n'.repeat(5000)}HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok`)),
    request: { path: '/' },
    check: (l) => { assert.equal(l.status, 200); assert.equal(l.body, 'ok'); },
  },
  {
    name: 'never-answers',
    what: 'server reads the request and never answers (timeout server 1s)',
    origin: (s) => onRequest(s, () => {}),
    request: { path: '/' },
    check: (l) => assert.equal(l.status, 504),
  },
];

function show(e: Exchange): string {
  return `${[...e.interim, e.status || 'none'].join('+')}${e.error ? ` (${e.error})` : ''}, body ${e.body.length} B`;
}

test('misbehaving servers get sensible answers to the client and never take Loadstar down, side by side with HAProxy', { timeout: 120_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const origins = await Promise.all(scenarios.map((s) => startRawServer(s.origin)));
  const healthy = await startNamedServer('healthy');
  const all = [...origins, healthy];
  const make = async () => {
    const ports = await Promise.all(all.map(() => freePort()));
    let cfg = `global\n    nbthread 1\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 1s\n`;
    all.forEach((o, i) => { cfg += `frontend f${i}\n    bind 127.0.0.1:${ports[i]}\n    default_backend b${i}\nbackend b${i}\n    server s 127.0.0.1:${o.port}\n`; });
    return { ports, cfg };
  };
  const h = await make();
  const l = await make();
  let haproxy: Awaited<ReturnType<typeof startHaproxy>> | undefined;
  let loadstar: Awaited<ReturnType<typeof startLoadstar>> | undefined;
  const rows: string[] = [];
  try {
    haproxy = await startHaproxy(h.cfg, h.ports.at(-1)!);
    loadstar = await startLoadstar(l.cfg, l.ports.at(-1)!);
    for (const [i, s] of scenarios.entries()) {
      const hx = await exchange(h.ports[i]!, s.request);
      const lx = await exchange(l.ports[i]!, s.request);
      // Garbage left on a server connection must not become the next client's answer.
      const again = s.name === 'garbage-after-body' ? await exchange(l.ports[i]!, s.request) : undefined;
      const haproxyAgain = s.name === 'garbage-after-body' ? await exchange(h.ports[i]!, s.request) : undefined;
      const served = await exchange(l.ports.at(-1)!, { path: '/' });
      await new Promise((r) => setTimeout(r, 100));
      const alive = loadstar.alive();
      const crashOutput = alive ? '' : loadstar.output().slice(-3000);
      const second = (x: Exchange | undefined) => (x ? `; next request: ${show(x)}` : '');
      rows.push(`| ${s.name} | ${cell(s.what)} | ${cell(show(hx) + second(haproxyAgain))} | ${cell(show(lx) + second(again))}${alive ? '' : ' **Loadstar exited**'} |`);
      // Later scenarios still get a Loadstar to run against.
      if (!alive) loadstar = await startLoadstar(l.cfg, l.ports.at(-1)!);
      await t.test(s.name, () => {
        assert.ok(alive, `Loadstar exited:\n${crashOutput}`);
        s.check(lx);
        if (again) assert.ok(again.status === 200 && again.body === 'ok', `second request after garbage: ${show(again)}`);
        assert.equal(served.status, 200, 'the next request on another connection is served');
      });
    }
  } finally {
    writeReport('server-hostility.md', `# Misbehaving servers: HAProxy 2.6 vs Loadstar\n\nGenerated by test/reliability/server-hostility.test.ts (${new Date().toISOString()}). Cells: interim+final status (client error), body bytes received.\n\n| scenario | server does | HAProxy 2.6 | Loadstar |\n|---|---|---|---|\n${rows.join('\n')}\n`);
    await haproxy?.stop();
    await loadstar?.stop();
    await Promise.all(all.map((o) => o.close()));
  }
});
