/**
 * The server options of runtime DNS as HAProxy 2.6 parses them (messages recorded from
 * `haproxy -c`), what Loadstar refuses (TCP nameservers), `init-addr` at start, and the
 * pieces under the resolvers: record order, the address choice, the wire format.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';
import { Engine } from '../../../proxy/engine.ts';
import { AnswerCache, addressBytes } from '../../../proxy/runtime/resolvers/answers.ts';
import { pickAddress } from '../../../proxy/runtime/resolvers/pick.ts';
import { SrvCache } from '../../../proxy/runtime/resolvers/srv.ts';
import { decodeReply, encodeQuery } from '../../../proxy/runtime/resolvers/wire.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';
import { freePort } from '../../helpers/net.ts';
import * as dnsPacket from 'dns-packet';

const HEAD = 'resolvers fake\n    nameserver ns1 127.0.0.1:5353\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';

const CASES: Array<{ name: string; text: string; message?: string }> = [
  { name: 'every option', text: 'backend be\n    server s1 a.test:80 resolvers fake resolve-prefer ipv4 resolve-net 10.0.0.0/8,fd00::/8 resolve-opts allow-dup-ip,ignore-weight init-addr last,libc,none,127.0.0.9\n' },
  { name: 'an unknown resolve-opts option', text: 'backend be\n    server s1 a.test:80 resolvers fake resolve-opts allow-dup-ip,bogus\n', message: "'server be/s1' : 'resolve-opts' : unknown resolve-opts option 'bogus', supported methods are 'allow-dup-ip', 'ignore-weight', and 'prevent-dup-ip'." },
  { name: 'a bad network', text: 'backend be\n    server s1 a.test:80 resolvers fake resolve-net 10.0.0.0/8,nonet\n', message: "'server be/s1' : 'resolve-net' invalid network 'nonet'." },
  { name: 'six networks', text: 'backend be\n    server s1 a.test:80 resolvers fake resolve-net 1.0.0.0/8,2.0.0.0/8,3.0.0.0/8,4.0.0.0/8,5.0.0.0/8,6.0.0.0/8\n', message: "'server be/s1' : 'resolve-net' exceed 5 networks." },
  { name: 'an unknown resolvers section', text: 'backend be\n    server s1 a.test:80 resolvers nope init-addr none\n', message: "unable to find required resolvers 'nope'" },
];

test('resolve-opts, resolve-net and resolvers references: accepted and refused as haproxy 2.6 does, with its words', () => {
  for (const c of CASES) {
    const r = parseConfig([{ name: 'x.cfg', text: HEAD + c.text }]);
    const text = formatDiagnostics(r.diagnostics);
    if (c.message === undefined) assert.ok(r.ok, `${c.name}:\n${text}`);
    else assert.ok(!r.ok && text.includes(c.message), `${c.name}:\n${text}`);
  }
});

test('the same options against haproxy -c', (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-resolvers-'));
  try {
    for (const [i, c] of CASES.entries()) {
      const file = path.join(dir, `case${i}.cfg`);
      fs.writeFileSync(file, HEAD + c.text);
      const r = haproxyCheck(file, dir);
      if (c.message === undefined) assert.ok(!r.output.includes('[ALERT]'), `${c.name}:\n${r.output}`);
      else assert.ok(r.output.includes(c.message), `${c.name}:\n${r.output}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a TCP nameserver is refused as not supported, naming the line; udp@ is accepted', () => {
  const refused = parseConfig([{ name: 'x.cfg', text: 'resolvers r\n    nameserver ns1 tcp@127.0.0.1:53\n' }]);
  assert.equal(refused.ok, false);
  const d = refused.diagnostics.find((x) => x.code === 'LS_ERR_CFG_UNSUPPORTED');
  assert.ok(d, formatDiagnostics(refused.diagnostics));
  assert.equal(d.line, 2);
  assert.match(d.message, /DNS over TCP \('tcp@127\.0\.0\.1:53'\) is not supported/);
  // A port is needed, as haproxy 2.6 needs it ('missing port specification'): section-values.test.ts.
  for (const ok of ['udp@127.0.0.1:53', 'udp6@[::1]:53', 'ipv4@127.0.0.1:53']) assert.ok(parseConfig([{ name: 'x.cfg', text: `resolvers r\n    nameserver ns1 ${ok}\n` }]).ok, ok);
});

async function startWith(backend: string): Promise<{ engine: Engine; alerts: string[]; error?: string }> {
  const port = await freePort();
  const text = `${HEAD}frontend fe\n    bind 127.0.0.1:${port}\n    default_backend be\n${backend}`;
  const r = parseConfig([{ name: 'x.cfg', text }]);
  assert.ok(r.ok, formatDiagnostics(r.diagnostics));
  const alerts: string[] = [];
  const engine = new Engine(r.config, { sink: { traffic: () => {}, alert: (a) => alerts.push(a) } });
  try {
    await engine.start();
  } catch (e) {
    return { engine, alerts, error: `${(e as { code?: string }).code}: ${(e as Error).message}` };
  }
  return { engine, alerts };
}

test("init-addr: an address, none (maintenance without an address), and 'last' alone with nothing to reuse refuses to start as haproxy does", async () => {
  const started = await startWith('backend be\n    server ip a.test:80 resolvers fake init-addr 127.0.0.9\n    server none a.test:81 resolvers fake init-addr none\n    server plain 127.0.0.1:82 resolvers fake\n');
  try {
    assert.equal(started.error, undefined);
    const be = started.engine.backend('be')!;
    const [ip, none, plain] = be.servers;
    assert.deepEqual([ip!.host, ip!.addressless, ip!.status], ['127.0.0.9', false, 'no check']);
    assert.deepEqual([none!.addressless, none!.status, none!.usable], [true, 'MAINT (resolution)', false]);
    // An IP address needs no resolution: nothing runs for it.
    assert.equal(plain!.fqdn, undefined);
  } finally {
    await started.engine.stop(0);
  }
  const last = await startWith('backend be\n    server s1 a.test:80 resolvers fake init-addr last\n');
  await last.engine.stop(0);
  // haproxy -c: "[x.cfg:12] : 'server be/s1' : no method found to resolve address 'a.test'."
  assert.equal(last.error, "LS_ERR_ENG_RESOLVE: [x.cfg:12] : 'server be/s1' : no method found to resolve address 'a.test'.");
});

test('records are visited in HAProxy answer-tree order (XXH32 of the address bytes seeded with the type)', () => {
  const cache = new AnswerCache();
  cache.merge([{ type: 'A', name: 'a', address: '127.0.0.2' }, { type: 'A', name: 'a', address: '127.0.0.3' }, { type: 'A', name: 'a', address: '127.0.0.4' }], 1);
  // As haproxy 2.6.12 filled three template slots from these answers: web1 .2, web2 .3, web3 .4.
  const picked: string[] = [];
  for (const slot of [{}, {}, {}]) {
    const p = pickAddress(cache.ordered(), { prefer: 6, nets: undefined, allowDup: false }, slot, undefined, () => true);
    picked.push(p.kind === 'new' ? p.record.address : p.kind);
  }
  assert.deepEqual(picked.sort(), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
  assert.deepEqual([...addressBytes('::ffff:1.2.3.4')], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
  assert.deepEqual([...addressBytes('fd00::1')], [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
});

test('a query carries one question, recursion desired and the EDNS0 payload size; replies are classed as HAProxy does', () => {
  const q = dnsPacket.decode(encodeQuery(4660, 'app.test', 'AAAA', 1232));
  assert.equal(q.id, 4660);
  assert.deepEqual(q.questions, [{ name: 'app.test', type: 'AAAA', class: 'IN' }]);
  assert.equal(q.flag_rd, true);
  assert.equal((q.additionals![0] as { udpPayloadSize: number }).udpPayloadSize, 1232);
  const reply = (flags: number, answers: dnsPacket.Answer[] = []) => dnsPacket.encode({ type: 'response', id: 7, flags, questions: [{ type: 'A', name: 'app.test' }], answers });
  assert.equal(decodeReply(reply(3), 'app.test', 'A')?.status, 'nx');
  assert.equal(decodeReply(reply(5), 'app.test', 'A')?.status, 'refused');
  assert.equal(decodeReply(reply(2), 'app.test', 'A')?.status, 'other');
  assert.equal(decodeReply(reply(0), 'app.test', 'A')?.status, 'no-expected-record');
  assert.equal(decodeReply(reply(dnsPacket.TRUNCATED_RESPONSE), 'app.test', 'A')?.status, 'truncated');
  const valid = decodeReply(reply(0, [{ type: 'CNAME', name: 'app.test', data: 'real.test' }, { type: 'A', name: 'real.test', data: '127.0.0.2' }]), 'app.test', 'A');
  assert.deepEqual([valid?.status, valid?.cname, valid?.records], ['valid', true, [{ type: 'A', name: 'real.test', address: '127.0.0.2' }]]);
  assert.equal(decodeReply(Buffer.from('xx'), 'app.test', 'A'), undefined);
});

test('a reply for another name, or whose answers leave the CNAME chain, gives no address (as HAProxy validates them)', () => {
  const reply = (question: string, answers: dnsPacket.Answer[], questions = [{ type: 'A' as const, name: question }]) =>
    dnsPacket.encode({ type: 'response', id: 7, flags: 0, questions, answers });
  const statusOf = (buf: Buffer) => { const r = decodeReply(buf, 'app.test', 'A'); return [r?.status, r?.records.length]; };
  // The question echoed is not the one asked: HAProxy's RSLV_RESP_WRONG_NAME, counted invalid.
  assert.deepEqual(statusOf(reply('other.test', [{ type: 'A', name: 'other.test', data: '10.0.0.1' }])), ['invalid', 0]);
  assert.deepEqual(statusOf(reply('app.test', [], [])), ['invalid', 0]);
  // The first answer is for another name: invalid; a later one off the chain: a CNAME error.
  assert.deepEqual(statusOf(reply('app.test', [{ type: 'A', name: 'other.test', data: '10.0.0.1' }])), ['invalid', 0]);
  assert.deepEqual(statusOf(reply('app.test', [{ type: 'A', name: 'app.test', data: '10.0.0.1' }, { type: 'A', name: 'other.test', data: '10.0.0.2' }])), ['cname-error', 0]);
  assert.deepEqual(statusOf(reply('app.test', [{ type: 'CNAME', name: 'app.test', data: 'real.test' }, { type: 'A', name: 'evil.test', data: '10.0.0.3' }])), ['cname-error', 0]);
  // A chain that ends on a CNAME (a loop, say) gives nothing either.
  assert.deepEqual(statusOf(reply('app.test', [{ type: 'CNAME', name: 'app.test', data: 'app.test' }, { type: 'CNAME', name: 'app.test', data: 'app.test' }])), ['cname-error', 0]);
  // Names compare without case, and a chain followed is fine.
  assert.deepEqual(statusOf(reply('APP.test', [{ type: 'CNAME', name: 'App.Test', data: 'r.test' }, { type: 'A', name: 'R.TEST', data: '10.0.0.4' }])), ['valid', 1]);
});

test('SRV replies of thousands of records are merged in one pass: additionals go to the first record of their target', () => {
  const cache = new SrvCache();
  const n = 4000;
  const records = Array.from({ length: n }, (_, i) => ({ type: 'SRV' as const, name: '_h._tcp.app.test', target: `T${i >> 1}.app.test.`, port: 80 + (i & 1), weight: 10, priority: 0 }));
  // Two addresses per target: one for each of its two records, in their order.
  const additionals = Array.from({ length: n }, (_, i) => ({ type: 'A' as const, name: `t${i >> 1}.APP.test`, address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }));
  // Names are compared without case: counting the lower-casings counts the comparisons, without timing anything.
  // Comparing each record with each (as before) made ~16 million per reply and held the engine for seconds.
  const lower = String.prototype.toLowerCase;
  let lowered = 0;
  String.prototype.toLowerCase = function (this: string) { lowered++; return lower.call(this); };
  try {
    cache.merge(records, additionals, 1000);
    cache.merge(records, additionals, 2000);
  } finally {
    String.prototype.toLowerCase = lower;
  }
  assert.ok(lowered < 20 * n, `${lowered} name comparisons for ${n} records`);
  assert.equal(cache.all().length, n);
  const byTarget = new Map<string, string[]>();
  for (const item of cache.ordered()) byTarget.set(item.target, [...(byTarget.get(item.target) ?? []), `${item.port} ${item.additional?.address} ${item.additional?.lastSeen}`]);
  assert.deepEqual(byTarget.get('T0.app.test.'), ['80 10.0.0.0 2000', '81 10.0.0.1 2000']);
  assert.deepEqual(byTarget.get(`T${n / 2 - 1}.app.test.`), ['80 10.0.15.158 2000', '81 10.0.15.159 2000']);
  assert.equal(cache.dropObsolete(2001, 0).length, n);
  assert.equal(cache.all().length, 0);
});

test('parse-resolv-conf adds the nameservers of resolv.conf, named by their address, after those written before it', async () => {
  const { EngineResolvers } = await import('../../../proxy/runtime/resolvers/index.ts');
  const r = parseConfig([{ name: 'x.cfg', text: 'resolvers fake\n    nameserver ns1 127.0.0.1:5353\n    parse-resolv-conf\n' + HEAD.slice(HEAD.indexOf('defaults')) + 'backend be\n    server s1 a.test:80 resolvers fake init-addr none\n' }]);
  assert.ok(r.ok, formatDiagnostics(r.diagnostics));
  const { RuntimeBackend } = await import('../../../proxy/runtime/backend.ts');
  const proxy = r.config.proxies.find((p) => p.name === 'be')!;
  const backends = new Map([['be', new RuntimeBackend(proxy as never)]]);
  const built = EngineResolvers.build(r.config, backends, () => {}, () => '# a comment\nnameserver 127.0.0.53\nsearch example\nnameserver ::1\nnameserver not-an-ip\n');
  assert.deepEqual(built?.sections.get('fake')?.nameservers.map((n) => `${n.name} ${n.host}:${n.port}`), ['ns1 127.0.0.1:5353', '127.0.0.53 127.0.0.53:53', '::1 ::1:53']);
});

test("a reload: 'last' keeps the address DNS gave before it, 'none' starts over without one", async () => {
  const { startFakeDns } = await import('../../helpers/fake-dns.ts');
  const { startEngine, waitFor } = await import('../../helpers/net.ts');
  const dns = await startFakeDns({ 'a.test': { a: ['127.0.0.2'] } });
  const port = await freePort();
  const text = `resolvers fake\n    nameserver ns1 127.0.0.1:${dns.port}\n    timeout resolve 200ms\n    hold valid 200ms\n${HEAD.slice(HEAD.indexOf('defaults'))}frontend fe\n    bind 127.0.0.1:${port}\n    default_backend be\nbackend be\n    server kept a.test:80 resolvers fake init-addr last,none\n    server fresh a.test:81 resolvers fake init-addr none resolve-opts allow-dup-ip\n`;
  const running = await startEngine(text);
  try {
    const servers = () => running.engine.backend('be')!.servers;
    await waitFor('both resolved', () => servers().every((s) => !s.addressless));
    // The nameserver goes silent: only what the new tables are given at load can serve.
    dns.set('a.test', 'silence');
    const r = parseConfig([{ name: 'test.cfg', text }]);
    assert.ok(r.ok);
    await running.engine.reload(r.config);
    const [kept, fresh] = servers();
    assert.deepEqual([kept!.host, kept!.addressless, kept!.status], ['127.0.0.2', false, 'no check']);
    assert.deepEqual([fresh!.addressless, fresh!.status], [true, 'MAINT (resolution)']);
  } finally {
    await running.stop();
    await dns.close();
  }
});

test("an operator's maintenance set while DNS holds the server stays when DNS lets go; ready takes it back", async () => {
  const { RuntimeBackend } = await import('../../../proxy/runtime/backend.ts');
  const r = parseConfig([{ name: 'x.cfg', text: HEAD + 'backend be\n    server s1 a.test:80 resolvers fake init-addr none\n    server s2 a.test:81 resolvers fake init-addr none disabled\n' }]);
  assert.ok(r.ok, formatDiagnostics(r.diagnostics));
  const backend = new RuntimeBackend(r.config.proxies.find((p) => p.name === 'be') as never);
  const [s1, s2] = backend.servers;
  for (const s of [s1!, s2!]) backend.setServerResolutionMaint(s, 'No IP for server ');
  backend.setServerAdmin(s1!, 'MAINT');
  assert.equal(s1!.status, 'MAINT (resolution)');
  backend.setServerAddress(s1!, '127.0.0.2');
  backend.setServerResolutionMaint(s1!, undefined);
  assert.deepEqual([s1!.admin, s1!.usable], ['MAINT', false]);
  backend.setServerAdmin(s1!, 'READY');
  assert.deepEqual([s1!.admin, s1!.usable], ['READY', true]);
  // `disabled` on the line: DNS's answer does not enable it either.
  backend.setServerResolutionMaint(s2!, undefined);
  assert.deepEqual([s2!.admin, s2!.usable], ['MAINT', false]);
  // `set server … state ready` under DNS's maintenance changes nothing now.
  backend.setServerResolutionMaint(s1!, 'DNS NX status');
  backend.setServerAdmin(s1!, 'READY');
  assert.deepEqual([s1!.admin, s1!.status], ['MAINT', 'MAINT (resolution)']);
});

test("a resolvers section without nameservers is warned about as haproxy -c does", () => {
  const r = parseConfig([{ name: 'x.cfg', text: 'resolvers empty\n    timeout resolve 1s\nresolvers conf\n    parse-resolv-conf\n' }]);
  assert.ok(r.ok);
  // haproxy 2.6.12: "[WARNING] … config : resolvers 'empty' [x.cfg:1] has no nameservers configured!"
  assert.deepEqual(r.diagnostics.map((d) => `${d.severity} ${d.line} ${d.message}`), ["warning 1 resolvers 'empty' has no nameservers configured!"]);
});

test('the stats page shows a server DNS holds in maintenance as MAINT (resolution), in the maintenance colour', async () => {
  const { startEngine, request } = await import('../../helpers/net.ts');
  const port = await freePort();
  const running = await startEngine(`${HEAD}frontend fe\n    bind 127.0.0.1:${port}\n    stats enable\n    stats uri /stats\n    default_backend be\nbackend be\n    server s1 a.test:80 resolvers fake init-addr none\n`);
  try {
    const page = await request(port, '/stats');
    // HAProxy's page (a server's row is one line): the maintenance row class, "MAINT" in Status and "resolution" across Chk/Dwn/Dwntme.
    assert.match(page.body, /<tr class="maintain">[^\n]*<a class=lfsb href="#be\/s1">s1<\/a>[^\n]*<td class=ac>\w+ MAINT<\/td>[^\n]*<td class=ac colspan=3>resolution<\/td>/);
  } finally {
    await running.stop();
  }
});
