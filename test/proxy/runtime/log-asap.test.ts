/**
 * `option logasap`, compared with HAProxy 2.6.12: an HTTP exchange is logged when its response
 * head is in, a TCP session when its server connection is up, with the time and bytes so far
 * marked '+'. The server here holds its body back, so a line written at the end would show it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy, loggedHttpHead } from '../../helpers/haproxy.ts';

function config(httpPort: number, tcpPort: number, origin: number): string {
  return `${loggedHttpHead()}    option logasap
frontend web
    option httplog
    bind 127.0.0.1:${httpPort}
    default_backend app
backend app
    server s1 127.0.0.1:${origin}
listen raw
    mode tcp
    option tcplog
    bind 127.0.0.1:${tcpPort}
    server s1 127.0.0.1:${origin}
`;
}

/** The fields that do not depend on timing: timers reduced to their '+' marks, status, bytes, state, counts. */
function shape(line: string): string {
  const f = line.split(' ');
  const timers = f[4]!.split('/').map((t) => (t.startsWith('+') ? '+T' : t === '-1' ? '-1' : 'T')).join('/');
  // The connection counts only of a <BADREQ> line, written once the other connections are gone (before, they
  // depend on when the closing ones are counted out).
  const badreq = line.includes('<BADREQ>');
  return f.length > 10 ? `${timers} ${f[5]} ${f[6]} ${f[9]}${badreq ? ` ${f[10]}` : ''}` : `${timers} ${f[5]} ${f[6]}`;
}

async function observe(start: (text: string, port: number) => Promise<{ stop(): Promise<void>; logs(): string }>): Promise<string[]> {
  // A server that sends its head at once and its body 600 ms later.
  const origin = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => {
      s.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n');
      setTimeout(() => s.end('later'), 600);
    });
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const httpPort = await freePort();
  const tcpPort = await freePort();
  const proxy = await start(config(httpPort, tcpPort, (origin.address() as net.AddressInfo).port), httpPort);
  const linesAfter = async (port: number, what: string): Promise<string[]> => {
    const before = proxy.logs().length;
    const s = net.connect(port, '127.0.0.1', () => s.write('GET /slow HTTP/1.1\r\nhost: ex.com\r\n\r\n'));
    s.on('error', () => {});
    await new Promise((r) => setTimeout(r, 300)); // the head is in, the body is not
    const lines = proxy.logs().slice(before).split('\n').filter((l) => l.includes(what));
    s.destroy();
    return lines;
  };
  try {
    const http = await linesAfter(httpPort, '"GET /slow');
    const tcp = await linesAfter(tcpPort, ' raw ');
    // A connection that sends nothing, once the others are over: its <BADREQ> line is marked too.
    await new Promise((r) => setTimeout(r, 800));
    const before = proxy.logs().length;
    await new Promise<void>((r) => { const s = net.connect(httpPort, '127.0.0.1', () => s.end()); s.resume(); s.on('close', () => r()); s.on('error', () => r()); });
    await new Promise((r) => setTimeout(r, 200));
    const empty = proxy.logs().slice(before).split('\n').filter((l) => l.includes('<BADREQ>'));
    return [...http.map(shape), ...tcp.map(shape), ...empty.map(shape)];
  } finally {
    await proxy.stop();
    await new Promise<void>((r) => origin.close(() => r()));
  }
}

const RECORDED = ['T/T/T/T/+T 200 +49 ----', 'T/T/+T +0 --', '-1/-1/-1/-1/+T 400 +0 CR-- 1/1/0/0/0'];

test('option logasap writes the line early, with + marks, as HAProxy does (recorded from HAProxy 2.6.12)', async () => {
  assert.deepEqual(await observe(async (text) => {
    const e = await startEngine(text);
    return { stop: () => e.stop(), logs: () => e.logs.join('\n') };
  }), RECORDED);
});

test('the recording still matches real HAProxy', async (t) => {
  if (!requireHaproxy(t)) return;
  assert.deepEqual(await observe(async (text, port) => {
    const h = await startHaproxy(text, port);
    return { stop: () => h.stop(), logs: () => h.output() };
  }), RECORDED);
});
