/**
 * `balance hash <expression>` side by side with haproxy 2.6.12 (backend.c get_server_expr): for
 * the same requests, the same servers are chosen. Covered: a cookie, a header with `,lower`, map-based
 * and consistent hashing, other hash functions and avalanche, integer and address samples (hashed
 * as 8 and 4 bytes, not as text), an empty value (a key), no value (round robin, in between), and
 * a TCP backend hashing the bytes its inspection held, an L6 fetch in an HTTP backend (ignored:
 * round robin). The origins answer their own name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { sideBySide } from './lib/side-by-side.ts';
import { request, startNamedServer } from '../../helpers/net.ts';
import type { TestServer } from '../../helpers/net.ts';

const NAMES = ['s1', 's2', 's3', 's4'];

async function withOrigins(run: (origins: TestServer[]) => Promise<void>): Promise<void> {
  const origins = await Promise.all(NAMES.map((n) => startNamedServer(n)));
  try {
    await run(origins);
  } finally {
    await Promise.all(origins.map((o) => o.close()));
  }
}

const servers = (origins: TestServer[], weights = [1, 1, 1, 1]): string =>
  origins.map((o, i) => `    server ${o.name} 127.0.0.1:${o.port} weight ${weights[i]}\n`).join('');

/** One backend per case, chosen by the path's first segment. */
function httpConfig(port: number, origins: TestServer[], backends: Record<string, string[]>): string {
  return `global
    nbthread 1
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port}
    use_backend %[path,field(2,/)]
${Object.entries(backends).map(([name, lines]) => `backend ${name}\n${lines.map((l) => `    ${l}\n`).join('')}${servers(origins, WEIGHTED.has(name) ? [1, 2, 3, 4] : undefined)}`).join('')}`;
}

type Req = { headers?: Record<string, string> };

async function served(port: number, backend: string, reqs: Req[]): Promise<string> {
  const out: string[] = [];
  for (const [i, r] of reqs.entries()) {
    const res = await request(port, `/${backend}/${i}`, { headers: { connection: 'close', ...r.headers } });
    out.push(res.status === 200 ? res.body : String(res.status));
  }
  return out.join(' ');
}

const keys = (n: number, f: (i: number) => Req): Req[] => Array.from({ length: n }, (_, i) => f(i));
const cookie = (v: string): Req => ({ headers: { cookie: `other=x; sid=${v}` } });
const NONE: Req = {};

// 24 keys, then requests without the data in between keys (round robin on the same map / ring).
const COOKIES = [...keys(24, (i) => cookie(`user-${i * 7}`)), NONE, cookie('user-0'), NONE, NONE, cookie('user-7'), NONE, cookie(''), cookie('')];
const MIXED = [...keys(20, (i) => ({ headers: { 'x-key': i % 2 ? `Key-${(i * 7919) % 1009}x` : `KEY-${(i * 7919) % 1009}X` } })), ...keys(20, (i) => ({ headers: { 'x-key': `key-${(i * 7919) % 1009}x` } })), NONE, NONE, NONE];
// req.hdr_cnt counts the header's comma-separated values: 0 to 5 (0 is a value, not an absence).
const COUNTS = keys(24, (i) => (i % 6 ? { headers: { 'x-count': Array.from({ length: i % 6 }, () => 'v').join(', ') } } : NONE));

/** Backends whose servers weigh 1, 2, 3 and 4 (a map of 10 slots, not 4). */
const WEIGHTED = new Set(['weighted', 'lower', 'count', 'address', 'src']);

const BACKENDS: Record<string, string[]> = {
  cookie: ['balance hash req.cook(sid)'],
  lower: ['balance hash req.hdr(x-key),lower'],
  consistent: ['balance hash req.hdr(x-key),lower', 'hash-type consistent'],
  djb2: ['balance hash req.cook(sid)', 'hash-type map-based djb2 avalanche'],
  crc32: ['balance hash req.cook(sid)', 'hash-type consistent crc32'],
  weighted: ['balance hash req.cook(sid)'],
  // An integer: its 8 bytes, big-endian (sample.c c_int2bin), not its digits.
  count: ['balance hash req.hdr_cnt(x-count)'],
  number: ['balance hash req.cook(sid),length'],
  // An IPv4 address: its 4 bytes (c_addr2bin); src is 127.0.0.1 here, so ipmask varies it.
  address: ['balance hash req.hdr(x-ip),ipmask(32)'],
  // src: 127.0.0.1 as 4 bytes (as text it would land on s2).
  src: ['balance hash src'],
  // An L6 fetch in an HTTP backend finds nothing (haproxy warns it is ignored): round robin.
  payload: ['balance hash req.payload(0,10)'],
};

/** What haproxy 2.6.12 chose for each backend's requests (the origin's name per request). */
const RECORDED: Record<string, string> = {
  cookie: 's3 s2 s2 s2 s1 s1 s1 s4 s4 s4 s4 s3 s3 s3 s2 s1 s1 s4 s4 s4 s4 s3 s3 s3 s1 s3 s2 s3 s2 s4 s1 s1',
  lower: 's4 s2 s4 s1 s2 s4 s4 s3 s3 s3 s3 s4 s4 s2 s2 s1 s2 s1 s1 s4 s4 s2 s4 s1 s2 s4 s4 s3 s3 s3 s3 s4 s4 s2 s2 s1 s2 s1 s1 s4 s1 s2 s4',
  consistent: 's3 s4 s1 s4 s4 s2 s2 s2 s4 s3 s1 s3 s2 s3 s2 s4 s1 s1 s3 s1 s3 s4 s1 s4 s4 s2 s2 s2 s4 s3 s1 s3 s2 s3 s2 s4 s1 s1 s3 s1 s3 s4 s4',
  djb2: 's2 s3 s1 s2 s3 s4 s2 s2 s3 s1 s4 s4 s2 s1 s3 s1 s1 s1 s4 s3 s1 s2 s2 s1 s1 s2 s2 s3 s3 s4 s4 s4',
  crc32: 's4 s2 s4 s2 s1 s3 s2 s4 s1 s1 s2 s1 s1 s3 s4 s2 s4 s4 s3 s4 s3 s4 s4 s1 s3 s4 s4 s4 s2 s3 s4 s4',
  weighted: 's1 s4 s4 s2 s4 s3 s4 s2 s4 s3 s4 s3 s4 s3 s2 s1 s3 s3 s4 s2 s2 s3 s4 s1 s1 s1 s2 s4 s4 s3 s1 s1',
  count: 's1 s2 s4 s3 s4 s2 s1 s2 s4 s3 s4 s2 s1 s2 s4 s3 s4 s2 s1 s2 s4 s3 s4 s2',
  number: 's3 s3 s4 s4 s4 s4 s4 s4 s4 s4 s4 s4 s4 s4 s4 s1 s1 s1 s1 s1 s1 s1 s1 s1 s1 s3 s2 s3 s3 s4 s1 s1',
  src: 's3 s3 s3',
  payload: 's1 s2 s3 s4 s1 s2 s3 s4',
  address: 's4 s2 s3 s4 s3 s4 s3 s3 s1 s2 s3 s3 s4 s2 s3 s4 s3 s2 s3 s4 s1 s3 s4 s2',
};

test('balance hash as haproxy 2.6.12: the same server for the same value, round robin without one', { timeout: 120_000 }, async (t) => {
  await withOrigins(async (origins) => {
    const results: Record<string, string>[] = [];
    await sideBySide(t, (port) => httpConfig(port, origins, BACKENDS), async (port) => {
      results.push({
        cookie: await served(port, 'cookie', COOKIES),
        lower: await served(port, 'lower', MIXED),
        consistent: await served(port, 'consistent', MIXED),
        djb2: await served(port, 'djb2', COOKIES),
        crc32: await served(port, 'crc32', COOKIES),
        weighted: await served(port, 'weighted', COOKIES),
        count: await served(port, 'count', COUNTS),
        number: await served(port, 'number', COOKIES),
        address: await served(port, 'address', keys(24, (i) => ({ headers: { 'x-ip': `10.${(i * 37) % 256}.${(i * 101) % 256}.${(i * 7) % 256}` } }))),
        src: await served(port, 'src', [NONE, NONE, NONE]),
        payload: await served(port, 'payload', keys(8, (i) => cookie(`p${i}`))),
      });
    });
    // The same key lands on the same server, whatever its case once lowered.
    const lower = results[0]!.lower!.split(' ');
    assert.deepEqual(lower.slice(0, 20), lower.slice(20, 40));
    for (const [i, seen] of results.entries()) {
      for (const name of Object.keys(BACKENDS)) assert.equal(seen[name], RECORDED[name], `${i === 0 ? 'Loadstar' : 'haproxy'}, backend ${name}`);
    }
  });
});

/** Raw bytes on a TCP connection; the origin's name from its HTTP answer. */
function rawGet(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1', () => c.write(text));
    let got = '';
    c.on('data', (d) => (got += d.toString('latin1')));
    c.on('close', () => resolve(/x-server: (\w+)/i.exec(got)?.[1] ?? (got === '' ? 'closed' : got.slice(0, 12))));
    c.on('error', () => resolve('error'));
  });
}

test('balance hash in a TCP backend as haproxy 2.6.12: the bytes the inspection held, round robin without them', { timeout: 120_000 }, async (t) => {
  await withOrigins(async (origins) => {
    const results: string[] = [];
    await sideBySide(t, (port) => `global
    nbthread 1
defaults
    mode tcp
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port}
    tcp-request inspect-delay 2s
    tcp-request content accept if HTTP
    default_backend b
backend b
    balance hash req.hdr(x-key)
${servers(origins)}`, async (port) => {
      const seen: string[] = [];
      for (let i = 0; i < 24; i++) seen.push(await rawGet(port, `GET /${i} HTTP/1.1\r\nhost: a\r\nx-key: k${i * 13}\r\nconnection: close\r\n\r\n`));
      // Without the header: round robin. (Without an inspect-delay haproxy hashes whatever already
      // arrived when it picks, which a test cannot time: not compared.)
      for (let i = 0; i < 5; i++) seen.push(await rawGet(port, `GET /n${i} HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n`));
      seen.push(await rawGet(port, `GET /k HTTP/1.1\r\nhost: a\r\nx-key: k0\r\nconnection: close\r\n\r\n`));
      results.push(seen.join(' '));
    });
    // Recorded from haproxy 2.6.12.
    for (const seen of results) assert.equal(seen, 's2 s2 s4 s2 s1 s3 s1 s4 s3 s1 s4 s2 s4 s2 s1 s3 s4 s3 s1 s3 s2 s4 s2 s4 s2 s3 s4 s1 s2 s2');
  });
});
