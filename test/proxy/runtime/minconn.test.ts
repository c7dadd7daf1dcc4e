/**
 * `minconn` with `fullconn` (configuration.txt §5.2 minconn, §4.2 fullconn) side by side with
 * HAProxy 2.6.12: below `fullconn` requests on the backend, a server accepts
 * max(minconn, beconn × maxconn / fullconn) connections and the rest queue; `show stat` reports
 * the server's maxconn and the backend's fullconn (given, or 10% of its frontends' maxconn) as
 * slim. The origin holds every request until the test answers it. Each case runs on Loadstar
 * against the outcome recorded from haproxy, then on haproxy itself when installed.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { startEngine, freePort } from '../../helpers/net.ts';
import { haproxyPath, startHaproxy } from '../../helpers/haproxy.ts';
import { cli, readCsv, row, until } from '../stats/helpers.ts';

interface Ports {
  main: number;
  other: number;
  probe: number;
  sock: string;
  /** The origin of this run: a late request of one run cannot reach the other's. */
  origin: Origin;
}

type Origin = Awaited<ReturnType<typeof holdingOrigin>>;

/** Runs `check` on Loadstar, then on haproxy when installed, each with fresh ports, socket and origin. */
async function sideBySide(t: TestContext, config: (p: Ports) => string, check: (p: Ports) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-minconn-'));
  const ports = async (name: string): Promise<Ports> => ({ main: await freePort(), other: await freePort(), probe: await freePort(), sock: path.join(dir, name), origin: await holdingOrigin() });
  try {
    const ours = await ports('l.sock');
    const engine = await startEngine(config(ours));
    try {
      await check(ours);
    } finally {
      await engine.stop();
      await ours.origin.close();
    }
    if (!haproxyPath) return void t.diagnostic('haproxy is not installed: compared with the recorded behaviour only');
    const theirs = await ports('h.sock');
    const haproxy = await startHaproxy(config(theirs), theirs.probe);
    try {
      await check(theirs);
    } finally {
      await haproxy.stop();
      await theirs.origin.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** An origin holding each request until `answer()` answers the oldest one. */
async function holdingOrigin(): Promise<{ port: number; held: () => number; answer(): void; close(): Promise<void> }> {
  const waiting: net.Socket[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.on('data', () => waiting.push(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    held: () => waiting.length,
    answer: () => waiting.shift()?.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'),
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

const head = (p: Ports): string => `global
    stats socket ${p.sock} mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    timeout queue 10s
listen probe
    mode tcp
    bind 127.0.0.1:${p.probe}
    tcp-request connection reject
`;

async function stat(sock: string): Promise<Array<Record<string, string>>> {
  return readCsv(await cli(sock, 'show stat'));
}

/** Sends `n` requests at once, each on its own connection; resolves to their sockets. */
function clients(port: number, n: number): net.Socket[] {
  return Array.from({ length: n }, () => {
    const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
    s.on('error', () => {});
    return s;
  });
}

/** The number of requests the origin holds once it stopped changing for 300 ms (the proxy's own hand-over cannot be observed). */
async function settledHeld(origin: { held: () => number }): Promise<number> {
  let last = -1;
  while (origin.held() !== last) {
    last = origin.held();
    await new Promise((r) => setTimeout(r, 300));
  }
  return last;
}

test('minconn 1 maxconn 5, fullconn 20: 12 requests at once — 1 served, 11 queued; each answer lets max(1, beconn×5/20) through', async (t) => {
  await sideBySide(t, (p) => `${head(p)}
frontend fe
    bind 127.0.0.1:${p.main}
    default_backend be
backend be
    fullconn 20
    server s 127.0.0.1:${p.origin.port} minconn 1 maxconn 5
`, async (p) => {
    const origin = p.origin;
    const sockets = clients(p.main, 12);
    try {
      await until('11 requests queued', async () => row(await stat(p.sock), 'be', 'BACKEND').qcur === '11');
      const rows = await stat(p.sock);
      assert.deepEqual([row(rows, 'be', 's').slim, row(rows, 'be', 'BACKEND').slim], ['5', '20']);
      // Requests at the origin after each answer, one at a time. The ended request still counts in
      // beconn while its slot is handed on (HAProxy), so the first answer lets floor(12×5/20) = 3 in.
      const held = [await settledHeld(origin)];
      for (let i = 0; i < 8; i++) {
        origin.answer();
        held.push(await settledHeld(origin));
      }
      assert.deepEqual(held, [1, 3, 2, 2, 2, 2, 1, 1, 1]);
      assert.equal(row(await stat(p.sock), 'be', 'BACKEND').qcur, '3');
    } finally {
      for (const s of sockets) s.destroy();
      while (origin.held() > 0) origin.answer();
    }
  });
});

test('without fullconn: 10% of the maxconn of the frontends using the backend; minconn alone becomes the maxconn', async (t) => {
  await sideBySide(t, (p) => `${head(p)}
frontend fe
    bind 127.0.0.1:${p.main}
    maxconn 100
    default_backend be
frontend fe2
    bind 127.0.0.1:${p.other}
    maxconn 55
    use_backend be if { path /x }
    default_backend be2
backend be
    server s 127.0.0.1:${p.origin.port} minconn 2 maxconn 4
backend be2
    server s 127.0.0.1:${p.origin.port} minconn 3
`, async (p) => {
      const origin = p.origin;
      const rows = await stat(p.sock);
      // fullconn (100 + 55) / 10 rounded up.
      assert.deepEqual([row(rows, 'be', 'BACKEND').slim, row(rows, 'be', 's').slim, row(rows, 'be2', 's').slim], ['16', '4', '3']);
      // 6 at once with fullconn 16: the first two fit minconn 2, then floor(beconn×4/16) stays below 2.
      const sockets = clients(p.main, 6);
      try {
        await until('4 requests queued', async () => row(await stat(p.sock), 'be', 'BACKEND').qcur === '4');
        assert.equal(await settledHeld(origin), 2);
      } finally {
        for (const s of sockets) s.destroy();
        while (origin.held() > 0) origin.answer();
      }
    });
});
