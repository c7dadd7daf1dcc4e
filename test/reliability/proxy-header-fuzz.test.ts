/**
 * Hostile PROXY protocol senders (`bind … accept-proxy`, `tcp-request connection expect-proxy
 * layer4`): seeded mutations of v1 lines and v2 headers (lengths, families, commands, TLVs past
 * the end, CRC TLVs, garbage), sent whole, byte by byte, cut by a reset right after, or followed
 * by a TLS ClientHello or odd requests for the monitor URI (`*`, CONNECT, absolute URIs, a huge
 * query). After each batch the engine must still answer a well-formed connection with the
 * header's address, and once the clients are gone no connection may still wait for a header.
 * Count and time bounded (SEED and PP_FUZZ_CASES change them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { prng } from './lib/mutate.ts';
import { freePort, startEngine } from '../helpers/net.ts';
import { V2_SIGNATURE, proxyHeaderV2 } from '../../proxy/runtime/proxy-protocol.ts';

const SEED = Number(process.env.SEED ?? 20261204);
const CASES = Number(process.env.PP_FUZZ_CASES ?? 400);
const BATCH = 50;

function config(http: number, tcp: number, origin: number): string {
  return `defaults
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend web
    mode http
    bind 127.0.0.1:${http} accept-proxy
    monitor-uri /mon
    http-request return status 200 content-type text/plain lf-string "src=%[src]:%[src_port]"
frontend raw
    mode tcp
    bind 127.0.0.1:${tcp}
    tcp-request connection expect-proxy layer4 if { src 127.0.0.1 }
    default_backend origin
backend origin
    mode tcp
    server o 127.0.0.1:${origin}
`;
}

/** A TLS 1.2 ClientHello's first bytes (record header, handshake header, version, random). */
const CLIENT_HELLO = Buffer.concat([Buffer.from('160301006a0100006603', 'hex'), Buffer.alloc(40, 0x42)]);

const GOOD_V1 = Buffer.from('PROXY TCP4 192.0.2.7 198.51.100.1 40000 80\r\n', 'latin1');
const GOOD_V2 = proxyHeaderV2({ src: '2001:db8::7', srcPort: 40001, dst: '2001:db8::1', dstPort: 80 }, { crc32c: true, authority: 'a.example', uniqueId: 'u1' });

/** One hostile header (and what may follow it), from the seeded generator. */
function hostileHeader(rand: () => number): Buffer {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const v1Lines = [
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n', 'PROXY TCP6 ::1 ::2 1 2\r\n', 'PROXY UNKNOWN\r\n', 'PROXY UNKNOWN 1 2 3\r\n',
    'PROXY TCP4 1.2.3.400 5.6.7.8 99999 2\r\n', 'PROXY TCP6 ' + ':'.repeat(300) + ' ::2 1 2\r\n', 'PROXY TCP4 ' + '9'.repeat(2000) + '\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 2', 'PROXY \r\n', 'PROXY TCP5 a b c d\r\n', 'PROXY TCP6 1.2.3.4 ::1 1 2\n',
  ];
  const v2 = (): Buffer => {
    const family = pick([0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32, 0xff]);
    const command = pick([0x20, 0x21, 0x22, 0x2f, 0x10, 0x31]);
    const body = Buffer.alloc(Math.floor(rand() * (rand() < 0.1 ? 2000 : 260)));
    for (let i = 0; i < body.length; i++) body[i] = Math.floor(rand() * 256);
    // TLVs where the addresses end: CRC (right length or not), authority or unique id (maybe too long), lengths past the end.
    let at = family === 0x11 ? 12 : family === 0x21 ? 36 : family === 0x31 ? 216 : 0;
    while (at + 3 <= body.length && rand() < 0.8) {
      body[at] = pick([0x01, 0x02, 0x03, 0x04, 0x05, 0x20, 0x21, 0x30, 0xee]);
      const len = rand() < 0.2 ? 0xffff : Math.floor(rand() * (rand() < 0.3 ? 300 : 12));
      body.writeUInt16BE(len, at + 1);
      at += 3 + len;
    }
    const declared = rand() < 0.7 ? body.length : Math.floor(rand() * 0x10000);
    const head = Buffer.alloc(4);
    head[0] = command;
    head[1] = family;
    head.writeUInt16BE(declared, 2);
    return Buffer.concat([V2_SIGNATURE, head, body]);
  };
  let header = rand() < 0.4 ? Buffer.from(pick(v1Lines), 'latin1') : v2();
  // A few bytes flipped, or cut short.
  if (rand() < 0.3) header = Buffer.from(header.map((b) => (rand() < 0.02 ? Math.floor(rand() * 256) : b)));
  if (rand() < 0.2) header = header.subarray(0, Math.floor(rand() * header.length));
  const follow = pick([Buffer.alloc(0), CLIENT_HELLO, Buffer.from('GET / HTTP/1.1\r\nhost: x\r\n\r\n')]);
  return Buffer.concat([header, follow]);
}

type Delivery = 'whole' | 'bytewise' | 'reset' | 'half-close';

/** Sends `data` the way `delivery` says, then waits for the proxy to close (or gives up after 1.5 s: `timeout client` is 1 s). */
function send(port: number, data: Buffer, delivery: Delivery): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => s.destroy(), 1500);
    s.on('close', () => { clearTimeout(timer); resolve(); });
    s.on('error', () => {});
    s.on('data', () => {});
    s.on('connect', async () => {
      if (delivery === 'bytewise') {
        // Slowloris: one byte per write, the first few apart (HAProxy reads the header once: what is in the first read decides).
        for (let i = 0; i < Math.min(data.length, 8) && !s.destroyed; i++) {
          s.write(data.subarray(i, i + 1));
          await new Promise((r) => setTimeout(r, 5));
        }
        if (!s.destroyed) s.write(data.subarray(8));
        return;
      }
      s.write(data);
      if (delivery === 'reset') s.resetAndDestroy();
      else if (delivery === 'half-close') s.end();
    });
  });
}

/** A request through the accept-proxy bind with a well-formed header: the answer's body. */
function healthy(port: number, header: Buffer, target = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.concat([header, Buffer.from(`GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`)])));
    let raw = '';
    s.on('data', (d: Buffer) => (raw += d.toString('latin1')));
    s.on('close', () => resolve(raw));
    s.on('error', reject);
  });
}

test('hostile PROXY headers are refused one connection at a time; the engine keeps answering and holds no connection waiting', async () => {
  // It reads what comes (else it never sees the engine's FIN and never closes), answers and closes.
  const origin = net.createServer((c) => { c.on('error', () => {}); c.resume(); c.end('origin\n'); });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const http = await freePort();
  const tcp = await freePort();
  const e = await startEngine(config(http, tcp, (origin.address() as net.AddressInfo).port));
  const rand = prng(SEED);
  const deadline = Date.now() + 15_000;
  try {
    let sent = 0;
    while (sent < CASES && Date.now() < deadline) {
      const batch: Array<Promise<void>> = [];
      for (let i = 0; i < BATCH && sent < CASES; i++, sent++) {
        const delivery = (['whole', 'whole', 'bytewise', 'reset', 'half-close'] as const)[Math.floor(rand() * 5)]!;
        batch.push(send(rand() < 0.7 ? http : tcp, hostileHeader(rand), delivery));
        // At most 10 connections at once: the machine is shared.
        if (batch.length % 10 === 0) await Promise.all(batch.slice(-10));
      }
      await Promise.all(batch);
      assert.match(await healthy(http, GOOD_V1), /^HTTP\/1\.1 200 [^]*src=192\.0\.2\.7:40000$/, `after ${sent} cases (seed ${SEED})`);
      assert.match(await healthy(http, GOOD_V2), /^HTTP\/1\.1 200 [^]*src=2001:db8::7:40001$/, `after ${sent} cases (seed ${SEED})`);
    }
    assert.ok(sent >= Math.min(CASES, 100), `only ${sent} cases ran in the time given`);
    // The monitor URI with odd targets after a header: answered or refused, never a crash.
    for (const target of ['*', '', 'http://h/mon', 'http://h/mon?x', '//mon', `/mon?${'q'.repeat(7000)}`, 'h:80']) {
      const reply = await healthy(http, GOOD_V1, target);
      assert.match(reply, /^HTTP\/1\.1 \d{3} |^$/, `target '${target.slice(0, 20)}'`);
    }
    assert.match(await healthy(http, GOOD_V1, '/mon'), /^HTTP\/1\.1 200 /);
    // Every refused or abandoned connection is gone: none waits for a header any more.
    const waiting = (e.engine as unknown as { awaitingHeader: Set<net.Socket> }).awaitingHeader;
    const settled = Date.now() + 3000;
    while (waiting.size > 0 && Date.now() < settled) await new Promise((r) => setTimeout(r, 50));
    assert.equal(waiting.size, 0, 'connections still waiting for a header');
  } finally {
    await e.stop();
    await new Promise((r) => origin.close(r));
  }
});
