/**
 * Log lines to a syslog server over UDP (proxy/runtime/syslog.ts), side by side with haproxy
 * 2.6.12: the same datagrams in every format, with the facility, the tag, the host name, the
 * levels and `len` each target asks for, and log targets and tags inherited as HAProxy does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sideBySide, requests } from '../http/lib/side-by-side.ts';
import { startRawServer } from '../../helpers/net.ts';
import { udpAddress } from '../../../proxy/config/log-targets.ts';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from '../config/lib/parse-cases.ts';
import { syslogServer } from '../../helpers/syslog-server.ts';

/** Times, pids and client ports masked: what must be the same between the two. */
function masked(line: string): string {
  return line
    .replace(/^(<\d+>)?[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d /, '$1BSDTIME ')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d/, 'ISOTIME')
    .replace(/\[\d+\]: /, '[PID]: ')
    .replace(/ (haproxy|gtag|lab) \d+ - - /, ' $1 PID - - ')
    .replace(/127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+/, '127.0.0.1:P to 127.0.0.1:F');
}

async function settle(got: string[], n: number): Promise<void> {
  for (let i = 0; i < 100 && got.length < n; i++) await new Promise((r) => setTimeout(r, 20));
  // Anything more (a level filter that should have held a line back) would come now.
  await new Promise((r) => setTimeout(r, 200));
}

const config = (syslog: number, origin: number) => (port: number) => `global
    log 127.0.0.1:${syslog} local0
    log 127.0.0.1:${syslog} format rfc5424 local1
    log 127.0.0.1:${syslog} format short local2
    log udp@127.0.0.1:${syslog} format raw local3
    log ipv4@127.0.0.1:${syslog} format iso local4
    log 127.0.0.1:${syslog} format timed local5
    log 127.0.0.1:${syslog} format priority local6
    log 127.0.0.1:${syslog} format local local7
    log 127.0.0.1:${syslog} local0 notice
    log 127.0.0.1:${syslog} local1 info notice
    log 127.0.0.1:${syslog} len 80 local2
defaults
    log global
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    log-tag gtag
    log 127.0.0.1:${syslog} format rfc5424 daemon
    default_backend app
backend app
    server s1 127.0.0.1:${origin}
`;

test('every format, facility, level filter, len, tag and inherited target, as haproxy 2.6.12 sends them', { timeout: 30_000 }, async (t) => {
  const origin = await startRawServer((socket) => socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')));
  const servers = [await syslogServer(), await syslogServer()];
  const seen: string[][] = [];
  let configured = 0;
  let checked = 0;
  try {
    await sideBySide(t, (port) => config(servers[configured++]!.port, origin.port)(port), async (port) => {
      const got = servers[checked++]!.got;
      // The helper's probe connection opened no stream: no line. Then one request, one "Connect from" line per target.
      await requests(port, '/a');
      await settle(got, 11);
      seen.push(got.map(masked));
    });
    const loadstar = seen[0]!;
    assert.deepEqual(loadstar, [
      '<134>BSDTIME gtag[PID]: Connect from 127.0.0.1:P to 127.0.0.1:F (fe/HTTP)\n',
      '<142>1 ISOTIME - gtag PID - - Connect from 127.0.0.1:P to 127.0.0.1:F (fe/HTTP)\n',
      '<6>Connect from 127.0.0.1:P to 127.0.0.1:F (fe/HTTP)\n',
      'Connect from 127.0.0.1:P to 127.0.0.1:F (fe/HTTP)\n',
      'ISOTIME Connect from 127.0.0.1:P to 127.0.0.1:F (fe/HTTP)\n',
      '<6>ISOTIME Connect from 127.0.0.1:P to 127.0.0.1:F (fe/HTTP)\n',
      '<182>Connect from 127.0.0.1:P to 127.0.0.1:F (fe/HTTP)\n',
      '<190>BSDTIME gtag[PID]: Connect from 127.0.0.1:P to 127.0.0.1:F (fe/HTTP)\n',
      // local0 notice: an info line is held back. local1 info notice: sent.
      '<142>BSDTIME gtag[PID]: Connect from 127.0.0.1:P to 127.0.0.1:F (fe/HTTP)\n',
      // len 80: header and message in 80 bytes, then the newline (checked below).
      loadstar[9]!,
      // The frontend's own target comes after the inherited ones.
      '<30>1 ISOTIME - gtag PID - - Connect from 127.0.0.1:P to 127.0.0.1:F (fe/HTTP)\n',
    ]);
    const cut = servers[0]!.got[9]!;
    assert.match(cut, /^<150>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d gtag\[\d+\]: Connect from 127\.0\.0\.1:\d+ to /);
    assert.ok(Buffer.byteLength(cut, 'latin1') === 81 && cut.endsWith('\n') && !cut.includes('(fe/HTTP)'), cut);
    // Where the len 80 cut falls moves with the pid's digits too (pids wrap at 32768, and the test's
    // process can be older than the wrap, haproxy newer): what follows the cut's last mask is not compared.
    const uncut = (line: string): string => (line.includes('(fe/HTTP)') ? line : line.replace(/( to 127\.0\.0\.1:F).*\n$/s, '$1…\n'));
    if (seen[1]) assert.deepEqual(seen[1].map(uncut), loadstar.map(uncut), 'haproxy sent the same datagrams');
    // The masks hide where the cut falls (the client port's digits move it): the length itself, as haproxy sends it.
    if (servers[1]!.got[9] !== undefined) assert.equal(Buffer.byteLength(servers[1]!.got[9], 'latin1'), 81, servers[1]!.got[9]);
  } finally {
    for (const s of servers) s.close();
    await origin.close();
  }
});

test('log targets: what is sent to over UDP, what cannot be', () => {
  assert.deepEqual(udpAddress('127.0.0.1'), { host: '127.0.0.1', port: 514, family: 4 });
  assert.deepEqual(udpAddress('udp@127.0.0.1:5140'), { host: '127.0.0.1', port: 5140, family: 4 });
  assert.deepEqual(udpAddress('ipv6@::1:5140'), { host: '::1', port: 5140, family: 6 });
  assert.deepEqual(udpAddress('[::1]:5140'), { host: '::1', port: 5140, family: 6 });
  assert.deepEqual(udpAddress('[::1]'), { host: '::1', port: 514, family: 6 });
  assert.equal(udpAddress('stdout'), undefined);
  assert.deepEqual(udpAddress('/dev/log'), { unsupported: 'a UNIX datagram socket' });
});

test('levels: errors at err with option log-separate-errors, set-log-level, and a target that takes notice and above', { timeout: 30_000 }, async (t) => {
  const origin = await startRawServer((socket) => socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')));
  const servers = [await syslogServer(), await syslogServer()];
  const seen: string[][] = [];
  let configured = 0;
  let checked = 0;
  try {
    await sideBySide(t, (port) => `global
    log 127.0.0.1:${servers[configured]!.port} format priority local0
    log 127.0.0.1:${servers[configured++]!.port} format priority local1 notice
defaults
    log global
    mode http
    option httplog
    option dontlognull
    option log-separate-errors
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    http-request set-log-level notice if { path /notice }
    use_backend none if { path /error }
    default_backend app
backend app
    server s1 127.0.0.1:${origin.port}
backend none
`, async (port) => {
      const got = servers[checked++]!.got;
      for (const path of ['/ok', '/error', '/notice']) {
        const before = got.length;
        await requests(port, path);
        await settle(got, before + 1);
      }
      // The priority (facility × 8 + level) and the request of each line.
      seen.push(got.map((l) => `${/^<(\d+)>/.exec(l)?.[1]} ${/"GET (\S+)/.exec(l)?.[1]}`));
    });
    // local0 (16): info 134, err 131, notice 133; local1 (17) takes notice and above: err 139, notice 141.
    assert.deepEqual(seen[0], ['134 /ok', '131 /error', '139 /error', '133 /notice', '141 /notice']);
    if (seen[1]) assert.deepEqual(seen[1], seen[0], 'haproxy sent the same');
  } finally {
    for (const s of servers) s.close();
    await origin.close();
  }
});

test('a server going down and its backend left without servers reach the backend\'s syslog servers at alert and emerg', { timeout: 30_000 }, async (t) => {
  const servers = [await syslogServer(), await syslogServer()];
  const seen: string[][] = [];
  let configured = 0;
  let checked = 0;
  // Nothing listens there: the first checks fail.
  const { freePort } = await import('../../helpers/net.ts');
  const dead = await freePort();
  await sideBySide(t, (port) => `global
    log 127.0.0.1:${servers[configured++]!.port} format priority local0
defaults
    log global
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server s1 127.0.0.1:${dead} check inter 100ms fall 1 rise 1
`, async () => {
    const got = servers[checked++]!.got;
    await settle(got, 2);
    seen.push(got.filter((l) => !l.includes('Connect from')).map((l) => l.replace(/\d+ms/g, 'Nms').replace(/"[^"]*"/, '"…"').trimEnd()));
  });
  try {
    // local0 (16 × 8) + alert (1).
    assert.equal(seen[0]![0], '<129>Server app/s1 is DOWN, reason: Layer4 connection problem, info: "…", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.');
    assert.equal(seen[0]![1], '<128>backend app has no server available!');
    if (seen[1]) assert.deepEqual(seen[1], seen[0], 'haproxy sent the same');
  } finally {
    for (const s of servers) s.close();
  }
});

test('a log target given by a host name is resolved at load: lines reach it; a name that does not resolve refuses the start and a reload, as haproxy -c refuses it', { timeout: 30_000 }, async (t) => {
  const { parseConfig, formatDiagnostics } = await import('../../../proxy/config/index.ts');
  const { Engine } = await import('../../../proxy/engine.ts');
  const { freePort } = await import('../../helpers/net.ts');
  const { requireHaproxy, haproxyCheck } = await import('../../helpers/haproxy.ts');
  const syslog = await syslogServer();
  const origin = await startRawServer((socket) => socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')));
  const port = await freePort();
  const text = (host: string) => `global\n    log ${host}:${syslog.port} format raw local0\ndefaults\n    log global\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nfrontend fe\n    bind 127.0.0.1:${port}\n    default_backend app\nbackend app\n    server s1 127.0.0.1:${origin.port}\n`;
  const parsed = (host: string) => {
    const r = parseConfig([{ name: 'x.cfg', text: text(host) }]);
    assert.ok(r.ok, formatDiagnostics(r.diagnostics));
    return r.config;
  };
  const refusal = "[x.cfg:2] : log : invalid address: 'nonexistent.invalid' in 'nonexistent.invalid:" + syslog.port + "' (the name does not resolve).";
  const refused = new Engine(parsed('nonexistent.invalid'), { sink: { traffic: () => {}, alert: () => {} } });
  await assert.rejects(refused.start(), (e: Error & { code?: string }) => e.code === 'LS_ERR_ENG_RESOLVE' && e.message === refusal);
  await refused.stop(0);
  const engine = new Engine(parsed('localhost'), { sink: { traffic: () => {}, alert: () => {} } });
  try {
    await engine.start();
    await requests(port, '/');
    await settle(syslog.got, 1);
    assert.match(syslog.got[0] ?? '', /^Connect from 127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+ \(fe\/HTTP\)\n$/);
    await assert.rejects(engine.reload(parsed('nonexistent.invalid')), (e: Error) => e.message === refusal);
    // The running configuration goes on, its syslog server with it.
    await requests(port, '/');
    await settle(syslog.got, 2);
    assert.equal(syslog.got.length, 2);
  } finally {
    await engine.stop(0);
    syslog.close();
    await origin.close();
  }
  if (!requireHaproxy(t)) return;
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syslog-host-'));
  try {
    fs.writeFileSync(path.join(dir, 'x.cfg'), text('nonexistent.invalid'));
    const check = haproxyCheck('x.cfg', dir);
    assert.equal(check.status, 1);
    assert.match(check.output, /\[x\.cfg:2\] : log : invalid address: 'nonexistent\.invalid' in 'nonexistent\.invalid:\d+'/);
    fs.writeFileSync(path.join(dir, 'x.cfg'), text('localhost'));
    assert.equal(haproxyCheck('x.cfg', dir).status, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('datagrams waiting to be sent are bounded: a burst beyond the bound is dropped and counted (show info DroppedLogs), and lines go out again once the queue drains', { timeout: 30_000 }, async () => {
  const { parseConfig, formatDiagnostics } = await import('../../../proxy/config/index.ts');
  const { Syslog, MAX_PENDING_DATAGRAMS, LOG_INFO } = await import('../../../proxy/runtime/syslog.ts');
  const { infoValues } = await import('../../../proxy/stats/info.ts');
  const { StatsRegistry } = await import('../../../proxy/stats/registry.ts');
  const syslog = await syslogServer();
  const parsed = parseConfig([{ name: 'x.cfg', text: `global\n    log 127.0.0.1:${syslog.port} format raw local0\ndefaults\n    log global\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nbackend app\n    server s1 127.0.0.1:9\n` }]);
  assert.ok(parsed.ok, formatDiagnostics(parsed.diagnostics));
  const proxy = parsed.config.proxies.find((p) => p.name === 'app' && p.kind !== 'defaults');
  assert.ok(proxy && proxy.kind !== 'defaults');
  const drops = { dropped: 0 };
  const sender = await Syslog.prepare(parsed.config, drops);
  try {
    // One tick: no send completes before the loop turns, so everything past the bound waits, and is dropped instead.
    const BURST = MAX_PENDING_DATAGRAMS + 500;
    for (let i = 0; i < BURST; i++) sender.send(proxy, LOG_INFO, `line ${i}`);
    assert.equal(drops.dropped, 500);
    await settle(syslog.got, MAX_PENDING_DATAGRAMS);
    assert.ok(syslog.got.length <= MAX_PENDING_DATAGRAMS, `${syslog.got.length} datagrams arrived`);
    assert.ok(!syslog.got.includes(`line ${BURST - 1}\n`), 'the lines past the bound were not sent');
    // Drained: the next line goes out.
    sender.send(proxy, LOG_INFO, 'after');
    for (let i = 0; i < 100 && !syslog.got.includes('after\n'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(syslog.got.includes('after\n'));
    assert.equal(drops.dropped, 500);
    // `show info` reports what the engine counted.
    const info = infoValues({ stats: new StatsRegistry(), backend: () => undefined, droppedLogs: () => drops.dropped });
    assert.equal(info.get('DroppedLogs'), 500);
  } finally {
    sender.close();
    syslog.close();
  }
});

const sdConfig = (syslog: number) => (port: number) => `global
    log 127.0.0.1:${syslog} format rfc5424 local0
    log 127.0.0.1:${syslog} local1
defaults
    log global
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    log-format "%ST %{+Q}r"
frontend fe
    bind 127.0.0.1:${port}
    use_backend sd if { path_beg /sd }
    use_backend empty if { path_beg /empty }
    use_backend merged if { path_beg /merged }
    default_backend plain
backend plain
    http-request return status 200
backend sd
    http-request return status 201
backend empty
    http-request return status 202
backend merged
    http-request return status 203
`;

test('log-format-sd: the structured data of rfc5424 lines, rendered as haproxy 2.6.12 renders it; other formats carry none', { timeout: 30_000 }, async (t) => {
  const cases: Array<[string | undefined, string]> = [
    [undefined, '/plain'],
    ['"[exampleSDID@32473 iut=\\"3\\" path=%{+Q}HP]"', '/sd?a=1'],
    ['%[var(txn.nothing)]', '/empty'],
    ['"%[str()]  x   y "', '/merged'],
  ];
  const seen: string[][] = [];
  for (const [sd, path] of cases) {
    const server = await syslogServer();
    try {
      const text = (port: number) => sdConfig(server.port)(port).replace('    log-format "%ST %{+Q}r"\n', `    log-format "%ST %{+Q}r"\n${sd ? `    log-format-sd ${sd}\n` : ''}`);
      let run = 0;
      await sideBySide(t, text, async (port) => {
        const before = server.got.length;
        await requests(port, path);
        await settle(server.got, before + 2);
        (seen[run++] ??= []).push(...server.got.slice(before).map((l) => l.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d/, 'ISOTIME').replace(/ haproxy \d+ - /, ' haproxy PID - ').replace(/^(<\d+>)[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d haproxy\[\d+\]/, '$1BSDTIME haproxy[PID]')));
      });
    } finally {
      server.close();
    }
  }
  assert.deepEqual(seen[0], [
    '<134>1 ISOTIME - haproxy PID - - 200 "GET /plain HTTP/1.1"\n',
    '<142>BSDTIME haproxy[PID]: 200 "GET /plain HTTP/1.1"\n',
    '<134>1 ISOTIME - haproxy PID - [exampleSDID@32473 iut="3" path="/sd"] 201 "GET /sd?a=1 HTTP/1.1"\n',
    '<142>BSDTIME haproxy[PID]: 201 "GET /sd?a=1 HTTP/1.1"\n',
    // An empty sample is '-', as in log-format.
    '<134>1 ISOTIME - haproxy PID - - 202 "GET /empty HTTP/1.1"\n',
    '<142>BSDTIME haproxy[PID]: 202 "GET /empty HTTP/1.1"\n',
    // Spaces merged, the trailing one dropped.
    '<134>1 ISOTIME - haproxy PID - - x y 203 "GET /merged HTTP/1.1"\n',
    '<142>BSDTIME haproxy[PID]: 203 "GET /merged HTTP/1.1"\n',
  ]);
  if (seen[1]) assert.deepEqual(seen[1], seen[0], 'haproxy sent the same datagrams');
});

const sdHead = 'defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n';
const sdCases: ParseCase[] = [
  { text: `${sdHead}frontend fe\n  bind 127.0.0.1:1\n  log-format-sd\n`, valid: false, message: 'log-format-sd expects an argument.' },
  { text: `${sdHead}frontend fe\n  bind 127.0.0.1:1\n  log-format-sd a b\n`, valid: false, message: "log-format-sd expects only one argument, don't forget to escape spaces!" },
  { text: `${sdHead}backend be\n  log-format-sd x\n`, valid: true, message: "backend 'be' : 'log-format-sd' directive is ignored in backends." },
  { text: `${sdHead}  log-format-sd "[id@1 a=%{+Q}ci]"\nfrontend fe\n  bind 127.0.0.1:1\n`, valid: true },
];

test('log-format-sd: accepted and refused as haproxy 2.6.12 -c does, with its messages', (t) => {
  assertLoadstarParses(sdCases);
  assertHaproxyParses(t, sdCases);
});
