/**
 * Runtime DNS against a hostile or broken nameserver on 127.0.0.1: replies echoing another
 * question, answers for other names or off the CNAME chain, CNAME loops, compression-pointer
 * loops, garbage and truncated datagrams, floods of replies with wrong IDs. No server may take
 * an address from them, the engine keeps resolving the honest name and keeps answering, as
 * haproxy 2.6.12 does with the same nameserver (the rows below were recorded from it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dnsPacket from 'dns-packet';
import { startFakeDns } from '../helpers/fake-dns.ts';
import type { FakeDns } from '../helpers/fake-dns.ts';
import { freePort, startEngine } from '../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../helpers/haproxy.ts';
import { cli } from '../proxy/stats/helpers.ts';

type Runner = (config: string, port: number) => Promise<{ stop(): Promise<void> }>;
const loadstar: Runner = (config) => startEngine(config);
const haproxy: Runner = (config, port) => startHaproxy(config, port);

/** A reply to `query` with `answers`, echoing `question` (default: the query's own). */
function reply(query: dnsPacket.DecodedPacket, answers: dnsPacket.Answer[], question = query.questions![0]!.name): Buffer {
  return dnsPacket.encode({ type: 'response', id: query.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: [{ ...query.questions![0]!, name: question }], answers });
}

/** A reply whose one answer's name is a compression pointer to itself. */
function pointerLoop(query: dnsPacket.DecodedPacket): Buffer {
  const head = dnsPacket.encode({ type: 'response', id: query.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: query.questions });
  head.writeUInt16BE(1, 6); // ANCOUNT
  const at = head.length;
  const record = Buffer.from([0xc0 | (at >> 8), at & 0xff, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 9]);
  return Buffer.concat([head, record]);
}

const A = (name: string, data: string): dnsPacket.Answer => ({ type: 'A', name, ttl: 60, data });
const CNAME = (name: string, data: string): dnsPacket.Answer => ({ type: 'CNAME', name, ttl: 60, data });

const HOSTILE: Record<string, (q: dnsPacket.DecodedPacket) => Buffer[]> = {
  'wrongq.test': (q) => [reply(q, [A('other.test', '10.0.0.1')], 'other.test')],
  'wrongan.test': (q) => [reply(q, [A('other.test', '10.0.0.2')])],
  'offchain.test': (q) => [reply(q, [CNAME(q.questions![0]!.name, 'real.test'), A('evil.test', '10.0.0.3')])],
  'loop.test': (q) => [reply(q, [CNAME(q.questions![0]!.name, q.questions![0]!.name), CNAME(q.questions![0]!.name, q.questions![0]!.name)])],
  'pointer.test': (q) => [pointerLoop(q)],
  // Garbage, a cut reply, and replies for IDs nobody asked, before nothing useful.
  'garbage.test': (q) => {
    const whole = reply(q, [A(q.questions![0]!.name, '10.0.0.6')]);
    const wrongId = Buffer.from(whole);
    wrongId.writeUInt16BE((q.id! + 1) & 0xffff, 0);
    return [Buffer.from([0xff]), Buffer.alloc(0), whole.subarray(0, whole.length - 3), ...Array<Buffer>(20).fill(wrongId)];
  },
};

function config(dns: FakeDns, port: number, stats: number): string {
  const servers = ['good.test', ...Object.keys(HOSTILE)].map((name, i) => `    server s${i + 1} ${name}:80 resolvers fake init-addr none`).join('\n');
  return `global
    stats socket 127.0.0.1:${stats} level admin
resolvers fake
    nameserver ns1 127.0.0.1:${dns.port}
    timeout resolve 1s
    timeout retry 1s
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
${servers}
`;
}


/** `show servers state be` as `name addr fqdn` rows. */
async function serverRows(stats: number): Promise<string[]> {
  const text = await cli(stats, 'show servers state be');
  return text.split('\n').filter((l) => /^\d+ be /.test(l)).map((l) => {
    const f = l.split(' ');
    return [f[3], f[4], f[17]].join(' ');
  });
}

/** Which of the counters telling the replies apart are not 0 (their values depend on how many rounds ran). */
function nonZeroCounters(text: string): string[] {
  const telling = ['valid', 'cname', 'cname_error', 'invalid', 'outdated'];
  return [...text.matchAll(/^ {2}(\w+): +(\d+)$/gm)].filter((m) => telling.includes(m[1]!) && m[2] !== '0').map((m) => m[1]!);
}

async function underHostileDns(run: Runner): Promise<{ rows: string[]; counters: string[] }> {
  const dns = await startFakeDns({ 'good.test': { a: [] }, 'real.test': { a: ['10.0.0.5'] } });
  dns.set('good.test', { forge: (q) => [reply(q, [CNAME(q.questions![0]!.name, 'real.test'), A('real.test', '10.0.0.5')])] });
  for (const [name, forge] of Object.entries(HOSTILE)) dns.set(name, { forge });
  const port = await freePort();
  const stats = await freePort();
  const proxy = await run(config(dns, port, stats), port);
  try {
    // Every hostile name asked twice at least (two resolutions), and the honest one resolved meanwhile.
    const deadline = Date.now() + 15_000;
    let rows: string[] = [];
    for (;;) {
      rows = await serverRows(stats);
      const askedTwice = Object.keys(HOSTILE).every((name) => dns.asked(name, 'A') >= 2);
      if ((askedTwice && rows[0]?.startsWith('s1 10.0.0.5 ')) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Still answering: its runtime API, with the section's counters.
    const counters = await cli(stats, 'show resolvers fake');
    assert.match(counters, /nameserver ns1:\n {2}sent:/);
    return { rows, counters: nonZeroCounters(counters) };
  } finally {
    await proxy.stop();
    await dns.close();
  }
}

const OUTCOME = { rows: [
  's1 10.0.0.5 good.test',
  's2 - wrongq.test',
  's3 - wrongan.test',
  's4 - offchain.test',
  's5 - loop.test',
  's6 - pointer.test',
  's7 - garbage.test',
], counters: ['valid', 'cname_error', 'invalid', 'outdated'] };

test('a hostile nameserver gives no server an address, and the engine keeps resolving and answering (as haproxy 2.6)', async () => {
  assert.deepEqual(await underHostileDns(loadstar), OUTCOME);
});

test('haproxy itself under the same hostile nameserver', async (t) => {
  if (!requireHaproxy(t)) return;
  assert.deepEqual(await underHostileDns(haproxy), OUTCOME);
});
