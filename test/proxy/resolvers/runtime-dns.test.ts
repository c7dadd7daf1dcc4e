/**
 * Runtime DNS (configuration.txt §5.3) side by side with haproxy 2.6.12: both point a
 * `resolvers` section at the same fake DNS server on 127.0.0.1, the test changes its answers
 * and waits for each proxy's `show servers state` to reach the rows HAProxy was seen to reach
 * (recorded below), then compares the lines each printed about it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startFakeDns } from '../../helpers/fake-dns.ts';
import type { FakeDns } from '../../helpers/fake-dns.ts';
import { freePort, startEngine } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy, inAlertWords } from '../../helpers/haproxy.ts';
import { cli } from '../stats/helpers.ts';

interface Proxy {
  /** The lines it printed about state changes (HAProxy's log, Loadstar's alerts). */
  lines(): string[];
  stop(): Promise<void>;
}

type Runner = (config: string, port: number) => Promise<Proxy>;

const loadstar: Runner = async (config) => {
  const engine = await startEngine(config);
  return { lines: () => engine.alerts, stop: () => engine.stop() };
};

const haproxy: Runner = async (config, port) => {
  const h = await startHaproxy(config, port);
  // The log lines (stdout, raw format) and not their [WARNING] copies on stderr.
  return { lines: () => h.output().split('\n').filter((l) => l !== '' && !l.startsWith('[')).map(inAlertWords), stop: () => h.stop() };
};

function config(dns: FakeDns, port: number, stats: number, resolvers: string, backend: string): string {
  return `global
    log stdout format raw local0
    stats socket 127.0.0.1:${stats} level admin
resolvers fake
    nameserver ns1 127.0.0.1:${dns.port}
${resolvers}
defaults
    mode http
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
${backend}
`;
}


/** `show servers state be` as `name addr op_state admin_state fqdn port` rows. */
async function serverRows(stats: number): Promise<string[]> {
  const text = await cli(stats, 'show servers state be');
  return text.split('\n').filter((l) => /^\d+ be /.test(l)).map((l) => {
    const f = l.split(' ');
    return [f[3], f[4], f[5], f[6], f[17], f[18]].join(' ');
  });
}

/** Waits until the proxy's rows are `expected` (each checkpoint is a state both proxies settle in). */
async function settle(stats: number, expected: string[], what: string): Promise<void> {
  let last: string[] = [];
  const deadline = Date.now() + 8000;
  for (;;) {
    last = await serverRows(stats);
    if (last.length === expected.length && last.every((l, i) => l === expected[i])) return;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual(last, expected, what);
}

/** `show stat` as `svname status addr` for the servers of `be`. */
async function statRows(stats: number): Promise<string[]> {
  const text = await cli(stats, 'show stat');
  const header = text.split('\n')[0]!.replace(/^# /, '').split(',');
  const at = (name: string) => header.indexOf(name);
  return text.split('\n').filter((l) => l.startsWith('be,') && !l.startsWith('be,BACKEND')).map((l) => {
    const f = l.split(',');
    return `${f[at('svname')]} ${f[at('status')]} ${f[at('addr')]}`;
  });
}

async function templateSlots(run: Runner): Promise<{ lines: string[]; stat: string[] }> {
  const dns = await startFakeDns({ 'app.test': { a: ['127.0.0.2', '127.0.0.3'] } });
  const port = await freePort();
  const stats = await freePort();
  const proxy = await run(config(dns, port, stats, `    timeout resolve 300ms
    timeout retry 200ms
    hold valid 300ms
    hold obsolete 600ms
    hold nx 500ms`, '    server-template web 1-3 app.test:8080 resolvers fake init-addr none'), port);
  try {
    // One address per slot; the third waits in maintenance without one.
    await settle(stats, ['web1 127.0.0.2 2 0 app.test 8080', 'web2 127.0.0.3 2 0 app.test 8080', 'web3 - 0 32 app.test 8080'], 'two records fill two slots');
    const stat = await statRows(stats);
    // 127.0.0.2 goes, 127.0.0.4 comes: the free slot takes it at once, web1 lets go after `hold obsolete`.
    dns.set('app.test', { a: ['127.0.0.3', '127.0.0.4'] });
    await settle(stats, ['web1 - 0 32 app.test 8080', 'web2 127.0.0.3 2 0 app.test 8080', 'web3 127.0.0.4 2 0 app.test 8080'], 'a record replaced');
    // NXDOMAIN for longer than `hold nx`: every slot in maintenance, without an address.
    dns.set('app.test', 'nxdomain');
    await settle(stats, ['web1 - 0 32 app.test 8080', 'web2 - 0 32 app.test 8080', 'web3 - 0 32 app.test 8080'], 'NXDOMAIN');
    return { lines: proxy.lines(), stat };
  } finally {
    await proxy.stop();
    await dns.close();
  }
}

// Recorded from haproxy 2.6.12 (the same scenario, its log on stdout).
const TEMPLATE_LINES = [
  'be/web1 changed its IP from (none) to 127.0.0.2 by fake/ns1.',
  "Server be/web1 ('app.test') is UP/READY (resolves again).",
  'Server be/web1 administratively READY thanks to valid DNS answer.',
  'be/web2 changed its IP from (none) to 127.0.0.3 by DNS cache.',
  "Server be/web2 ('app.test') is UP/READY (resolves again).",
  'Server be/web2 administratively READY thanks to valid DNS answer.',
  'be/web3 changed its IP from (none) to 127.0.0.4 by DNS cache.',
  "Server be/web3 ('app.test') is UP/READY (resolves again).",
  'Server be/web3 administratively READY thanks to valid DNS answer.',
  'Server be/web1 is going DOWN for maintenance (No IP for server ). 2 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
  'Server be/web2 is going DOWN for maintenance (DNS NX status). 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
  'Server be/web3 is going DOWN for maintenance (DNS NX status). 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
  "backend 'be' has no server available!",
];

const TEMPLATE_STAT = ['web1 no check 127.0.0.2:8080', 'web2 no check 127.0.0.3:8080', 'web3 MAINT (resolution) '];

test('server-template: slots filled from A records one address each, emptied after hold obsolete, in maintenance after hold nx (as haproxy 2.6)', async () => {
  const seen = await templateSlots(loadstar);
  assert.deepEqual(seen.stat, TEMPLATE_STAT);
  assert.deepEqual(seen.lines.filter((l) => TEMPLATE_LINES.includes(l)).sort(), [...TEMPLATE_LINES].sort());
});

test('server-template slots against real haproxy', async (t) => {
  if (!requireHaproxy(t)) return;
  const seen = await templateSlots(haproxy);
  assert.deepEqual(seen.stat, TEMPLATE_STAT);
  assert.deepEqual(seen.lines.filter((l) => TEMPLATE_LINES.includes(l)).sort(), [...TEMPLATE_LINES].sort());
});

/** Two origins on one port, at 127.0.0.2 and 127.0.0.3; each answers its name and closes. */
async function twoOrigins(): Promise<{ port: number; close(): Promise<void> }> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const servers = ['a', 'b'].map((name) => http.createServer((_req, res) => {
      res.setHeader('connection', 'close');
      res.end(name);
    }));
    try {
      await Promise.all(servers.map((s, i) => new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, `127.0.0.${i + 2}`, () => resolve());
      })));
      return { port, close: async () => { await Promise.all(servers.map((s) => new Promise((r) => s.close(r)))); } };
    } catch (e) {
      for (const s of servers) s.close();
      if (attempt > 5) throw e;
    }
  }
}

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    }).on('error', reject);
  });
}

async function trafficFollows(run: Runner): Promise<string[]> {
  const origins = await twoOrigins();
  const dns = await startFakeDns({ 'app.test': 'silence' });
  const port = await freePort();
  const stats = await freePort();
  const proxy = await run(config(dns, port, stats, `    timeout resolve 300ms
    timeout retry 200ms
    hold valid 300ms`, `    server s1 app.test:${origins.port} resolvers fake init-addr none`), port);
  const seen: string[] = [];
  try {
    // Without an answer the server waits in maintenance: no server for the request.
    seen.push(await get(port));
    dns.set('app.test', { a: ['127.0.0.2'] });
    await settle(stats, [`s1 127.0.0.2 2 0 app.test ${origins.port}`], 'first address');
    seen.push(await get(port));
    dns.set('app.test', { a: ['127.0.0.3'] });
    await settle(stats, [`s1 127.0.0.3 2 0 app.test ${origins.port}`], 'new address');
    seen.push(await get(port));
    seen.push(...proxy.lines().filter((l) => l.includes('changed its IP')));
    return seen;
  } finally {
    await proxy.stop();
    await dns.close();
    await origins.close();
  }
}

const TRAFFIC = [
  '503 <html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n',
  '200 a',
  '200 b',
  'be/s1 changed its IP from (none) to 127.0.0.2 by fake/ns1.',
  'be/s1 changed its IP from 127.0.0.2 to 127.0.0.3 by fake/ns1.',
];

test('init-addr none: no traffic until DNS answers, then new connections follow the address DNS gives (as haproxy 2.6)', async () => {
  assert.deepEqual(await trafficFollows(loadstar), TRAFFIC);
});

test('traffic follows DNS against real haproxy', async (t) => {
  if (!requireHaproxy(t)) return;
  assert.deepEqual(await trafficFollows(haproxy), TRAFFIC);
});

async function preferences(run: Runner): Promise<{ rows: string[]; lines: string[] }> {
  const dns = await startFakeDns({ 'dual.test': { a: ['127.0.0.7'], aaaa: ['::1'] }, 'one.test': { a: ['127.0.0.5'] } });
  const port = await freePort();
  const stats = await freePort();
  const proxy = await run(config(dns, port, stats, `    timeout resolve 300ms
    timeout retry 200ms
    hold timeout 600ms
    resolve_retries 2`, `    server six dual.test:8081 resolvers fake init-addr none
    server four dual.test:8081 resolvers fake init-addr none resolve-prefer ipv4
    server net dual.test:8081 resolvers fake init-addr none resolve-net 127.0.0.0/8
    server dup dual.test:8082 resolvers fake init-addr none resolve-prefer ipv4 resolve-opts allow-dup-ip
    server one one.test:8083 resolvers fake init-addr 127.0.0.5`), port);
  try {
    // six: IPv6 first (the default); four: IPv4; net shares six's AAAA resolution, whose one
    // address six holds; dup may share four's. one keeps the address it started with.
    await settle(stats, [
      'six ::1 2 0 dual.test 8081', 'four 127.0.0.7 2 0 dual.test 8081', 'net - 0 32 dual.test 8081',
      'dup 127.0.0.7 2 0 dual.test 8082', 'one 127.0.0.5 2 0 one.test 8083',
    ], 'preferences');
    // A silent nameserver: the address stays for `hold timeout`, then maintenance.
    dns.set('one.test', 'silence');
    await settle(stats, [
      'six ::1 2 0 dual.test 8081', 'four 127.0.0.7 2 0 dual.test 8081', 'net - 0 32 dual.test 8081',
      'dup 127.0.0.7 2 0 dual.test 8082', 'one - 0 32 one.test 8083',
    ], 'silence');
    return { rows: await serverRows(stats), lines: proxy.lines().filter((l) => l.includes('be/one') || l.includes('be/dup')) };
  } finally {
    await proxy.stop();
    await dns.close();
  }
}

const PREFERENCE_LINES = [
  'be/dup changed its IP from (none) to 127.0.0.7 by DNS cache.',
  "Server be/dup ('dual.test') is UP/READY (resolves again).",
  'Server be/dup administratively READY thanks to valid DNS answer.',
  'Server be/one is going DOWN for maintenance (DNS timeout status). 3 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
];

test('resolve-prefer, resolve-net, allow-dup-ip, and a silent nameserver after hold timeout (as haproxy 2.6)', async () => {
  const seen = await preferences(loadstar);
  assert.deepEqual(seen.lines, PREFERENCE_LINES);
});

test('resolve preferences against real haproxy', async (t) => {
  if (!requireHaproxy(t)) return;
  const seen = await preferences(haproxy);
  assert.deepEqual(seen.lines, PREFERENCE_LINES);
});

async function srvSlots(run: Runner): Promise<{ lines: string[]; stat: string[] }> {
  const dns = await startFakeDns({
    // a.test has no glue: its server resolves it; b.test comes with its address.
    '_http._tcp.app.test': { srv: [{ target: 'a.test', port: 8001, weight: 10, glue: false }, { target: 'b.test', port: 8002, weight: 512 }] },
    'b.test': { a: ['127.0.0.12'] },
  });
  const port = await freePort();
  const stats = await freePort();
  const proxy = await run(config(dns, port, stats, `    timeout resolve 300ms
    timeout retry 200ms
    hold valid 300ms
    hold obsolete 600ms
    hold nx 500ms`, '    server-template web 1-3 _http._tcp.app.test resolvers fake init-addr none'), port);
  const rows = async () => (await cli(stats, 'show servers state be')).split('\n').filter((l) => /^\d+ be /.test(l)).map((l) => {
    const f = l.split(' ');
    // name addr op_state admin_state weight fqdn port srvrecord
    return [f[3], f[4], f[5], f[6], f[7], f[17], f[18], f[19]].join(' ');
  });
  const settleRows = async (expected: string[], what: string) => {
    let last: string[] = [];
    const deadline = Date.now() + 8000;
    while (Date.now() < deadline) {
      last = await rows();
      if (last.join('\n') === expected.join('\n')) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(last, expected, what);
  };
  try {
    // Weights (10 + 255) / 256 = 1 and (512 + 255) / 256 = 2; a.test does not resolve yet.
    await settleRows([
      'web1 - 0 96 1 a.test 8001 _http._tcp.app.test',
      'web2 127.0.0.12 2 64 2 b.test 8002 _http._tcp.app.test',
      'web3 - 0 32 1 - 0 _http._tcp.app.test',
    ], 'two SRV records');
    const stat = await statRows(stats);
    dns.set('a.test', { a: ['127.0.0.11'] });
    await settleRows([
      'web1 127.0.0.11 2 64 1 a.test 8001 _http._tcp.app.test',
      'web2 127.0.0.12 2 64 2 b.test 8002 _http._tcp.app.test',
      'web3 - 0 32 1 - 0 _http._tcp.app.test',
    ], 'the target resolves');
    // a.test goes and b.test moves to another port (another record): the free slot takes it, the others are emptied.
    dns.set('_http._tcp.app.test', { srv: [{ target: 'b.test', port: 8003, weight: 256 }] });
    await settleRows([
      'web1 - 0 96 1 - 0 _http._tcp.app.test',
      'web2 - 0 96 2 - 0 _http._tcp.app.test',
      'web3 127.0.0.12 2 64 1 b.test 8003 _http._tcp.app.test',
    ], 'records replaced');
    dns.set('_http._tcp.app.test', 'nxdomain');
    await settleRows([
      'web1 - 0 96 1 - 0 _http._tcp.app.test',
      'web2 - 0 96 2 - 0 _http._tcp.app.test',
      'web3 - 0 96 1 - 0 _http._tcp.app.test',
    ], 'NXDOMAIN');
    return { lines: proxy.lines().filter((l) => l.startsWith('be/') || l.startsWith('Server be/') || l.startsWith('backend ')), stat };
  } finally {
    await proxy.stop();
    await dns.close();
  }
}

// Recorded from haproxy 2.6.12.
const SRV_LINES = [
  "be/web1 changed its FQDN from (null) to a.test by 'SRV record'",
  'be/web2 changed its IP from (none) to 127.0.0.12 by DNS additional record.',
  "be/web2 changed its FQDN from (null) to b.test by 'SRV record'",
  "Server be/web2 ('b.test') is UP/READY (resolves again).",
  'be/web1 changed its IP from (none) to 127.0.0.11 by fake/ns1.',
  "Server be/web1 ('a.test') is UP/READY (resolves again).",
  'Server be/web1 administratively READY thanks to valid DNS answer.',
  "be/web3 changed its FQDN from (null) to b.test by 'SRV record'",
  'be/web3 changed its IP from (none) to 127.0.0.12 by fake/ns1.',
  "Server be/web3 ('b.test') is UP/READY (resolves again).",
  'Server be/web3 administratively READY thanks to valid DNS answer.',
  'Server be/web1 is going DOWN for maintenance (entry removed from SRV record). 2 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
  'Server be/web2 is going DOWN for maintenance (entry removed from SRV record). 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
  'Server be/web3 is going DOWN for maintenance (entry removed from SRV record). 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
  "backend 'be' has no server available!",
];

const SRV_STAT = ['web1 MAINT (resolution) ', 'web2 no check 127.0.0.12:8002', 'web3 MAINT (resolution) '];

test('server-template with an SRV label: target, port and weight per record, glue or the target resolved, slots emptied (as haproxy 2.6)', async () => {
  const seen = await srvSlots(loadstar);
  assert.deepEqual(seen.stat, SRV_STAT);
  assert.deepEqual(seen.lines, SRV_LINES);
});

test('SRV slots against real haproxy', async (t) => {
  if (!requireHaproxy(t)) return;
  const seen = await srvSlots(haproxy);
  assert.deepEqual(seen.stat, SRV_STAT);
  assert.deepEqual(seen.lines, SRV_LINES);
});

async function checkedServer(run: Runner): Promise<{ stat: string[]; lines: string[] }> {
  const originPort = await freePort();
  const origin = http.createServer((_req, res) => res.end('a'));
  await new Promise<void>((resolve) => origin.listen(originPort, '127.0.0.2', () => resolve()));
  const dns = await startFakeDns({ 'app.test': 'silence' });
  const port = await freePort();
  const stats = await freePort();
  const proxy = await run(config(dns, port, stats, `    timeout resolve 300ms
    timeout retry 200ms
    hold valid 300ms
    hold nx 300ms`, `    server s1 app.test:${originPort} check inter 200ms rise 2 fall 2 resolvers fake init-addr none`), port);
  const stat: string[] = [];
  const checkStat = async () => {
    const text = await cli(stats, 'show stat');
    const header = text.split('\n')[0]!.replace(/^# /, '').split(',');
    const f = text.split('\n').find((l) => l.startsWith('be,s1,'))!.split(',');
    return `${f[header.indexOf('status')]} ${f[header.indexOf('addr')]} ${f[header.indexOf('check_status')]}`.replace(`:${originPort}`, ':P');
  };
  try {
    // Stopped in maintenance, without an address: its check waits.
    await settle(stats, [`s1 - 0 32 app.test ${originPort}`], 'no address yet');
    stat.push(await checkStat());
    dns.set('app.test', { a: ['127.0.0.2'] });
    await settle(stats, [`s1 127.0.0.2 2 0 app.test ${originPort}`], 'address');
    await waitForStat(checkStat, 'UP 127.0.0.2:P L4OK');
    stat.push(await checkStat());
    // Nothing listens at the new address: the checks, which follow it, take the server down.
    dns.set('app.test', { a: ['127.0.0.3'] });
    await waitForStat(checkStat, 'DOWN 127.0.0.3:P L4CON');
    stat.push(await checkStat());
    dns.set('app.test', 'nxdomain');
    await waitForStat(checkStat, 'MAINT (resolution)  ');
    stat.push(await checkStat());
    return { stat, lines: proxy.lines().filter((l) => l.includes('be/s1') || l.startsWith('backend ')).map((l) => l.replace(/check duration: \d+ms/, 'check duration: Nms')) };
  } finally {
    await proxy.stop();
    await dns.close();
    await new Promise((r) => origin.close(r));
  }
}

async function waitForStat(read: () => Promise<string>, expected: string): Promise<void> {
  let last = '';
  const deadline = Date.now() + 8000;
  while (Date.now() < deadline) {
    last = await read();
    if (last === expected) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(last, expected);
}

// Recorded from haproxy 2.6.12.
const CHECKED_STAT = ['MAINT (resolution)  ', 'UP 127.0.0.2:P L4OK', 'DOWN 127.0.0.3:P L4CON', 'MAINT (resolution)  '];
const CHECKED_LINES = [
  'be/s1 changed its IP from (none) to 127.0.0.2 by fake/ns1.',
  "Server be/s1 ('app.test') is UP/READY (resolves again).",
  'Server be/s1 administratively READY thanks to valid DNS answer.',
  'be/s1 changed its IP from 127.0.0.2 to 127.0.0.3 by fake/ns1.',
  'Server be/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
  "backend 'be' has no server available!",
  'Server be/s1 was DOWN and now enters maintenance (DNS NX status).',
];

test('a checked server: checks wait for an address, then follow the one DNS gives; NXDOMAIN puts it in maintenance (as haproxy 2.6)', async () => {
  const seen = await checkedServer(loadstar);
  assert.deepEqual(seen.stat, CHECKED_STAT);
  assert.deepEqual(seen.lines, CHECKED_LINES);
});

test('a checked resolved server against real haproxy', async (t) => {
  if (!requireHaproxy(t)) return;
  const seen = await checkedServer(haproxy);
  assert.deepEqual(seen.stat, CHECKED_STAT);
  assert.deepEqual(seen.lines, CHECKED_LINES);
});

async function fqdnColumns(run: Runner): Promise<string[]> {
  const dns = await startFakeDns();
  const port = await freePort();
  const stats = await freePort();
  const proxy = await run(config(dns, port, stats, '', '    server s1 localhost:80\n    server s2 127.0.0.1:81'), port);
  try {
    const text = await cli(stats, 'show servers state be');
    return text.split('\n').filter((l) => /^\d+ be /.test(l)).map((l) => {
      const f = l.split(' ');
      return `${f[3]} ${f[17]} ${f[18]}`;
    });
  } finally {
    await proxy.stop();
    await dns.close();
  }
}

test("show servers state names a server's host name in srv_fqdn without resolvers too (as haproxy 2.6)", async () => {
  assert.deepEqual(await fqdnColumns(loadstar), ['s1 localhost 80', 's2 - 81']);
});

test('srv_fqdn against real haproxy', async (t) => {
  if (!requireHaproxy(t)) return;
  assert.deepEqual(await fqdnColumns(haproxy), ['s1 localhost 80', 's2 - 81']);
});
