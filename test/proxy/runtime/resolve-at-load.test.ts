/**
 * Server and log target host names resolved at load (runtime/resolve-at-load.ts), as haproxy 2.6.12
 * does: `loadstar check` says what `haproxy -c` says, init-addr honoured, and the engine refuses a
 * start or a reload (the running configuration stays) with a server that gives no address.
 * Only `localhost` and `.invalid` names (which fail without a network).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../proxy/cli.ts';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';
import { Engine } from '../../../proxy/engine.ts';
import { freePort, startRawServer } from '../../helpers/net.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';
import { requests, sideBySide, linesLogged } from '../http/lib/side-by-side.ts';

const head = (port: number) => `defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nfrontend fe\n    bind 127.0.0.1:${port}\n    default_backend b\n\nbackend b\n`;

/** Each server line: HAProxy's exit status for `-c` and the line it prints ('' for none). */
const CASES: Array<[string, number, string]> = [
  ['server s1 nonexistent.invalid:80', 1, "[ALERT] [x.cfg:12] : 'server b/s1' : could not resolve address 'nonexistent.invalid'."],
  ['server s1 nonexistent.invalid:80 disabled', 1, "[ALERT] [x.cfg:12] : 'server b/s1' : could not resolve address 'nonexistent.invalid'."],
  ['server s1 nonexistent.invalid:80 init-addr last', 1, "[ALERT] [x.cfg:12] : 'server b/s1' : no method found to resolve address 'nonexistent.invalid'."],
  ['server s1 nonexistent.invalid:80 init-addr last,libc', 1, "[ALERT] [x.cfg:12] : 'server b/s1' : could not resolve address 'nonexistent.invalid'."],
  ['server s1 nonexistent.invalid:80 init-addr libc,none', 0, "[WARNING] [x.cfg:12] : 'server b/s1' : could not resolve address 'nonexistent.invalid', disabling server."],
  ['server s1 nonexistent.invalid:80 init-addr libc,127.0.0.1', 0, "[WARNING] [x.cfg:12] : 'server b/s1' : could not resolve address 'nonexistent.invalid', falling back to configured address."],
  ['server s1 nonexistent.invalid:80 init-addr none', 0, ''],
  ['server s1 nonexistent.invalid:80 init-addr 127.0.0.1,libc', 0, ''],
  ['default-server init-addr none\n    server s1 nonexistent.invalid:80', 0, ''],
  ['server s1 localhost:80', 0, ''],
  // A host name in one address family: resolved in it (HAProxy's str2ip2 with the family's hint).
  ['server s1 ipv4@localhost:80', 0, ''],
  ['server s1 ipv4@nonexistent.invalid:80', 1, "[ALERT] [x.cfg:12] : 'server b/s1' : could not resolve address 'nonexistent.invalid'."],
  ['server s1 nonexistent.invalid:80 resolvers dns', 0, "[WARNING] [x.cfg:12] : 'server b/s1' : could not resolve address 'nonexistent.invalid', disabling server."],
];
const RESOLVERS = 'resolvers dns\n    nameserver ns1 127.0.0.1:53\n\n';

async function loadstarCheck(file: string): Promise<{ status: number; output: string }> {
  let output = '';
  const status = await main(['check', '-f', file], { out: (s) => { output += s; }, err: (s) => { output += s; } });
  return { status, output };
}

test('loadstar check resolves server names as haproxy -c does, init-addr honoured: the same verdict and the same line', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-resolve-'));
  const haproxy = requireHaproxy(t);
  try {
    for (const [line, status, said] of CASES) {
      // The resolvers section goes after the proxies so that the server keeps line 12 in every case.
      const text = `${head(18999)}    ${line}\n${line.includes('resolvers') ? `\n${RESOLVERS}` : ''}`;
      fs.writeFileSync(path.join(dir, 'x.cfg'), text);
      const ours = await loadstarCheck(path.join(dir, 'x.cfg'));
      assert.equal(ours.status, status, `${line}\n${ours.output}`);
      const shown = ours.output.split('\n').filter((l) => /could not resolve|no method found/.test(l)).map((l) => l.replace(dir + path.sep, ''));
      assert.deepEqual(shown, said ? [said] : [], line);
      if (!haproxy) continue;
      const theirs = haproxyCheck('x.cfg', dir);
      assert.equal(theirs.status, status, `haproxy: ${line}\n${theirs.output}`);
      const lines = theirs.output.split('\n').filter((l) => /could not resolve|no method found/.test(l)).map((l) => l.replace(/^\[(\w+)\]\s+\(\d+\) : config : /, '[$1] '));
      assert.deepEqual(lines, said ? [said] : [], `haproxy: ${line}`);
    }
    // Every problem at once, log targets too (HAProxy stops at the log line, a parse error).
    fs.writeFileSync(path.join(dir, 'x.cfg'), `global\n    log nonexistent.invalid:514 local0\n${head(18999)}    server s1 nonexistent.invalid:80\n    server s2 other.invalid:80\n`);
    const all = await loadstarCheck(path.join(dir, 'x.cfg'));
    assert.equal(all.status, 1);
    assert.match(all.output, /\[ALERT\] parsing \[.*x\.cfg:2\] : log : invalid address: 'nonexistent\.invalid' in 'nonexistent\.invalid:514'/);
    assert.match(all.output, /'server b\/s1' : could not resolve address 'nonexistent\.invalid'\.\n.*'server b\/s2' : could not resolve address 'other\.invalid'\./);
    assert.doesNotMatch(all.output, /is valid/);
    if (haproxy) assert.match(haproxyCheck('x.cfg', dir).output, /\[x\.cfg:2\] : log : invalid address: 'nonexistent\.invalid' in 'nonexistent\.invalid:514'/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the engine refuses to start, or to reload to, a server whose name gives no address; the running configuration goes on', { timeout: 30_000 }, async () => {
  const origin = await startRawServer((socket) => socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')));
  const port = await freePort();
  const parsed = (server: string) => {
    const r = parseConfig([{ name: 'x.cfg', text: `${head(port)}    ${server}\n` }]);
    assert.ok(r.ok, formatDiagnostics(r.diagnostics));
    return r.config;
  };
  const refusal = "[x.cfg:12] : 'server b/s1' : could not resolve address 'nonexistent.invalid'.";
  const alerts: string[] = [];
  const refused = new Engine(parsed('server s1 nonexistent.invalid:80'), { sink: { traffic: () => {}, alert: () => {} } });
  const engine = new Engine(parsed(`server s1 localhost:${origin.port}`), { sink: { traffic: () => {}, alert: (m: string) => void alerts.push(m) } });
  try {
    try {
      await assert.rejects(refused.start(), (e: Error & { code?: string }) => e.code === 'LS_ERR_ENG_RESOLVE' && e.message === refusal);
    } finally {
      await refused.stop(0);
    }
    await engine.start();
    assert.equal((await requests(port, '/'))[0], '200 ok');
    await assert.rejects(engine.reload(parsed('server s1 nonexistent.invalid:80')), (e: Error) => e.message === refusal);
    assert.equal((await requests(port, '/'))[0], '200 ok', 'the running configuration goes on');
    // init-addr that allows no address: the reload goes through, with HAProxy's warning, and the server
    // waits in maintenance for an address (srv_iterate_initaddr: SRV_IADDR_NONE sets RMAINT).
    await engine.reload(parsed('server s1 nonexistent.invalid:80 init-addr libc,none'));
    assert.ok(alerts.some((m) => m === "[x.cfg:12] : 'server b/s1' : could not resolve address 'nonexistent.invalid', disabling server."), alerts.join('\n'));
    assert.equal(engine.backend('b')!.server('s1')!.admin, 'MAINT');
    assert.equal((await requests(port, '/'))[0]?.slice(0, 3), '503');
    // An IP address in init-addr: the server starts on it (SRV_IADDR_IP), here where the origin listens.
    await engine.reload(parsed(`server s1 nonexistent.invalid:${origin.port} init-addr libc,127.0.0.1`));
    assert.ok(alerts.some((m) => m === "[x.cfg:12] : 'server b/s1' : could not resolve address 'nonexistent.invalid', falling back to configured address."), alerts.join('\n'));
    assert.equal((await requests(port, '/'))[0], '200 ok');
    // `none` first: in maintenance even though the name resolves.
    await engine.reload(parsed(`server s1 localhost:${origin.port} init-addr none`));
    assert.equal(engine.backend('b')!.server('s1')!.admin, 'MAINT');
  } finally {
    await engine.stop(0);
    await origin.close();
  }
});

test('a server given by a host name without resolvers (here in one family, ipv4@localhost) is resolved once, at load: its connections go to that address, logged %si as haproxy 2.6.12 logs it', { timeout: 60_000 }, async (t) => {
  const origin = await startRawServer((s) => s.on('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok')));
  try {
    await sideBySide(t, (port) => `defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nlisten l\n    bind 127.0.0.1:${port}\n    log stdout format raw local0\n    log-format "%si:%sp %b/%s %ST"\n    server s ipv4@localhost:${origin.port}\n`, async (port, proxy) => {
      const before = proxy.logs().length;
      assert.equal((await requests(port, '/'))[0], '200 ok');
      const lines = await linesLogged(proxy, before + 1);
      // getaddrinfo's first address for localhost (Node's dns.lookup and HAProxy's str2ip2 alike).
      assert.equal(lines.at(-1), `127.0.0.1:${origin.port} l/s 200`);
    });
  } finally {
    await origin.close();
  }
});

test('a socks4 proxy given by a host name is resolved at load: one that gives no address is refused as by haproxy -c', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-resolve-'));
  const haproxy = requireHaproxy(t);
  try {
    for (const [proxy, status] of [['localhost:1080', 0], ['nonexistent.invalid:1080', 1]] as const) {
      fs.writeFileSync(path.join(dir, 'x.cfg'), `${head(18999)}    server s1 127.0.0.1:80 socks4 ${proxy}\n`);
      const ours = await loadstarCheck(path.join(dir, 'x.cfg'));
      assert.equal(ours.status, status, `${proxy}\n${ours.output}`);
      const said = "'server b/s1' : 'socks4 nonexistent.invalid:1080' : invalid address: 'nonexistent.invalid' in 'nonexistent.invalid:1080'";
      if (status === 1) assert.ok(ours.output.includes(said), ours.output);
      if (!haproxy) continue;
      const theirs = haproxyCheck('x.cfg', dir);
      assert.equal(theirs.status, status, `haproxy: ${proxy}\n${theirs.output}`);
      if (status === 1) assert.ok(theirs.output.replace(/\n\s+/g, '').includes(said), theirs.output);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a health check address (addr) and an agent address (agent-addr) given by a host name are resolved at load: one that gives no address is refused as by haproxy -c', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-resolve-'));
  const haproxy = requireHaproxy(t);
  /** Each server line: HAProxy's exit status for `-c` and its alert ('' for none). */
  const cases: Array<[string, number, string]> = [
    ['server s1 127.0.0.1:80 check addr localhost', 0, ''],
    ['server s1 127.0.0.1:80 check addr nonexistent.invalid', 1, "[x.cfg:12] : 'server b/s1' : 'addr' : invalid address: 'nonexistent.invalid' in 'nonexistent.invalid'."],
    ['server s1 127.0.0.1:80 check agent-check agent-port 9 agent-addr localhost', 0, ''],
    ['server s1 127.0.0.1:80 check agent-check agent-port 9 agent-addr nonexistent.invalid', 1, "[x.cfg:12] : 'server b/s1' : parsing agent-addr failed. Check if 'nonexistent.invalid' is correct address.."],
    // Digits and dots that are no IPv4 address: a name, which gives none.
    ['server s1 127.0.0.1:80 check agent-check agent-port 9 agent-addr 300.1.1.1', 1, "[x.cfg:12] : 'server b/s1' : parsing agent-addr failed. Check if '300.1.1.1' is correct address.."],
  ];
  try {
    await checkedAsHaproxy(dir, haproxy, cases);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Each case's backend lines through `loadstar check` and `haproxy -c` (when installed): the same
 * exit status, HAProxy's alert in its output, and Loadstar's (`ours[i]`, else the same) on one line.
 */
async function checkedAsHaproxy(dir: string, haproxy: boolean, cases: Array<[string, number, string]>, ours: Record<number, string> = {}): Promise<void> {
  for (const [i, [lines, status, said]] of cases.entries()) {
    fs.writeFileSync(path.join(dir, 'x.cfg'), `${head(18999)}    ${lines}\n`);
    const mine = await loadstarCheck(path.join(dir, 'x.cfg'));
    assert.equal(mine.status, status, `${lines}\n${mine.output}`);
    const alert = ours[i] ?? said;
    if (alert) assert.ok(mine.output.replaceAll(dir + path.sep, '').includes(`[ALERT] ${alert}`), mine.output);
    if (!haproxy) continue;
    const theirs = haproxyCheck('x.cfg', dir);
    assert.equal(theirs.status, status, `haproxy: ${lines}\n${theirs.output}`);
    if (said) assert.ok(theirs.output.includes(said), theirs.output);
  }
}

test('a source given by a host name (a backend\'s, a default-server\'s, a server\'s) is resolved at load: one that gives no address is refused as by haproxy -c', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-resolve-'));
  const haproxy = requireHaproxy(t);
  /** Lines 12 and 13 (the backend's first two): HAProxy's exit status for `-c` and its alert ('' for none), recorded from 2.6.12. */
  const cases: Array<[string, number, string]> = [
    ['source localhost\n    server s1 127.0.0.1:80 source ipv4@localhost:0', 0, ''],
    ['source nonexistent.invalid\n    server s1 127.0.0.1:80', 1, "parsing [x.cfg:12] : 'source nonexistent.invalid' : invalid address: 'nonexistent.invalid' in 'nonexistent.invalid'"],
    ['source 127.0.0.1\n    server s1 127.0.0.1:80 source nonexistent.invalid:0', 1, "[x.cfg:13] : 'server b/s1' : "],
    ['default-server source ipv4@nonexistent.invalid\n    server s1 127.0.0.1:80', 1, "[x.cfg:12] : "],
  ];
  /** Loadstar's one line where HAProxy spreads the option's alert over three. */
  const ours: Record<number, string> = {
    2: "[x.cfg:13] : 'server b/s1' : 'source nonexistent.invalid:0' : invalid address: 'nonexistent.invalid' in 'nonexistent.invalid:0'.",
    3: "[x.cfg:12] : 'source ipv4@nonexistent.invalid' : invalid address: 'nonexistent.invalid' in 'ipv4@nonexistent.invalid'.",
  };
  try {
    await checkedAsHaproxy(dir, haproxy, cases, ours);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the engine binds a server\'s connections to the address its source name gives, and refuses a start or a reload to a source name that gives none', { timeout: 30_000 }, async () => {
  const origin = await startRawServer((socket) => {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.on('data', () => socket.end(`HTTP/1.1 200 OK\r\ncontent-length: ${peer.length}\r\nconnection: close\r\n\r\n${peer}`));
  });
  const [port, sourcePort] = [await freePort(), await freePort()];
  const parsed = (lines: string) => {
    const r = parseConfig([{ name: 'x.cfg', text: `${head(port)}    ${lines}\n` }]);
    assert.ok(r.ok, formatDiagnostics(r.diagnostics));
    return r.config;
  };
  const refusal = "parsing [x.cfg:12] : 'source nonexistent.invalid' : invalid address: 'nonexistent.invalid' in 'nonexistent.invalid'";
  const refused = new Engine(parsed(`source nonexistent.invalid\n    server s1 127.0.0.1:${origin.port}`), { sink: { traffic: () => {}, alert: () => {} } });
  const engine = new Engine(parsed(`source ipv4@localhost:${sourcePort}\n    server s1 127.0.0.1:${origin.port}`), { sink: { traffic: () => {}, alert: () => {} } });
  try {
    try {
      await assert.rejects(refused.start(), (e: Error & { code?: string }) => e.code === 'LS_ERR_ENG_RESOLVE' && e.message === refusal);
    } finally {
      await refused.stop(0);
    }
    await engine.start();
    assert.equal((await requests(port, '/'))[0], `200 127.0.0.1:${sourcePort}`);
    await assert.rejects(engine.reload(parsed(`source nonexistent.invalid\n    server s1 127.0.0.1:${origin.port}`)), (e: Error) => e.message === refusal);
    assert.equal((await requests(port, '/'))[0], `200 127.0.0.1:${sourcePort}`, 'the running configuration goes on');
  } finally {
    await engine.stop(0);
    await origin.close();
  }
});
