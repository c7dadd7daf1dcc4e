/**
 * TCP content inspection beyond SNI routing: connection rules, held bytes
 * forwarded intact, the buffer limit, the client timeout while inspecting,
 * and `balance rdp-cookie` fed by the held RDP connection request (compared
 * with real HAProxy).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRawServer, startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { rawClient } from './tls-clients.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tcpConfig(port: number, serverPort: number, rules: string, timeouts = 'timeout client 5s'): string {
  return `defaults
    mode tcp
    option tcplog
    timeout connect 1s
    ${timeouts}
    timeout server 5s
listen db
    bind 127.0.0.1:${port}
${rules}
    server s1 127.0.0.1:${serverPort}
`;
}

/** An echo server that also counts the connections it got. */
async function startEcho() {
  let connections = 0;
  const server = await startRawServer((s) => {
    connections++;
    s.pipe(s);
  });
  return { ...server, get connections() { return connections; } };
}

test('a tcp-request connection reject resets the connection, contacts no server and logs nothing', async () => {
  const echo = await startEcho();
  const e = await startEngine(tcpConfig(await freePort(), echo.port, '    tcp-request connection reject if { src 127.0.0.1 }'));
  try {
    const r = await rawClient(e.port, (s) => s.write('hello'));
    assert.equal(r.reset, true);
    assert.equal(r.answer, '');
    await sleep(50);
    assert.equal(echo.connections, 0);
    assert.deepEqual(e.logs, []);
  } finally {
    await e.stop();
    await echo.close();
  }
});

test('held bytes reach the server first and in order; a full buffer ends the wait', async () => {
  const echo = await startEcho();
  // req.len can never exceed one buffer, so this rule never matches: once the buffer is full the
  // contents are final, no rule matches, and the default accept applies without waiting 10 s.
  const e = await startEngine(tcpConfig(await freePort(), echo.port, `    tcp-request inspect-delay 10s
    tcp-request content accept if { req.len gt 20000 }`));
  try {
    const payload = Buffer.alloc(200_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
    const started = Date.now();
    const r = await rawClient(e.port, (s) => {
      s.write(payload.subarray(0, 100));
      setTimeout(() => s.end(payload.subarray(100)), 50);
    });
    assert.ok(Date.now() - started < 5000, 'the inspection did not wait for its 10 s delay');
    assert.ok(Buffer.from(r.answer, 'latin1').equals(payload));
  } finally {
    await e.stop();
    await echo.close();
  }
});

test('rules keep waiting for data that may still come, then decide on it', async () => {
  const echo = await startEcho();
  const e = await startEngine(tcpConfig(await freePort(), echo.port, `    tcp-request inspect-delay 5s
    tcp-request content reject if { req.payload(0,5) -m str QUIT! }
    tcp-request content accept if { req.payload(0,5) -m str HELLO }
    tcp-request content reject`));
  try {
    // Three bytes decide nothing yet; two more make it a QUIT!.
    const rejected = await rawClient(e.port, (s) => { s.write('QUI'); setTimeout(() => s.write('T!'), 100); });
    assert.equal(rejected.answer, '');
    const accepted = await rawClient(e.port, (s) => { s.write('HEL'); setTimeout(() => s.end('LO world'), 100); });
    assert.equal(accepted.answer, 'HELLO world');
    for (let i = 0; i < 100 && e.logs.length < 2; i++) await sleep(10);
    assert.match(e.logs[0]!, / db db\/<NOSRV> -1\/-1\/\d+ 0 PR /);
    assert.match(e.logs[1]!, / db db\/s1 \d+\/\d+\/\d+ 11 -- /);
    assert.equal(echo.connections, 1);
  } finally {
    await e.stop();
    await echo.close();
  }
});

test('a client timeout during inspection ends the connection as cR, naming the backend', async () => {
  const echo = await startEcho();
  // Real HAProxy 2.6 logs the same case as `db/<NOSRV> -1/-1/201 0 cR`, closing with a FIN.
  const e = await startEngine(tcpConfig(await freePort(), echo.port, `    tcp-request inspect-delay 2s
    tcp-request content accept if { req.len gt 0 }`, 'timeout client 200ms'));
  try {
    const r = await rawClient(e.port, () => {});
    assert.equal(r.reset, false);
    for (let i = 0; i < 100 && e.logs.length === 0; i++) await sleep(10);
    assert.match(e.logs[0]!, / db db\/<NOSRV> -1\/-1\/\d+ 0 cR /);
    assert.equal(echo.connections, 0);
  } finally {
    await e.stop();
    await echo.close();
  }
});

/** An X.224 connection request carrying `Cookie: mstshash=<user>` (or another `name=value`), as an RDP client sends first. */
function rdpConnectionRequest(user: string, cookieText = `mstshash=${user}`): Buffer {
  const cookie = Buffer.from(`Cookie: ${cookieText}\r\n`);
  const x224 = Buffer.concat([Buffer.from([cookie.length + 6, 0xe0, 0, 0, 0, 0, 0]), cookie]);
  return Buffer.concat([Buffer.from([3, 0, (x224.length + 4) >> 8, (x224.length + 4) & 0xff]), x224]);
}

/** A TCP listen section holding RDP connection requests until their cookie came (`lines`: balance, persist), over `servers`. */
const rdpListen = (servers: ReadonlyArray<{ port: number }>, lines: string, disabled = -1) => (port: number): string => `defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen rdp
    bind 127.0.0.1:${port}
${lines}    tcp-request inspect-delay 2s
    tcp-request content accept if RDP_COOKIE
${servers.map((s, i) => `    server r${i + 1} 127.0.0.1:${s.port}${i === disabled ? ' disabled' : ''}`).join('\n')}
`;

/**
 * The answers each RDP cookie gets through haproxy, then through Loadstar (the same configuration
 * on a port of its own), one connection per cookie.
 */
async function answersPerCookie(config: (port: number) => string, cookies: readonly string[]): Promise<{ haproxy: string[]; loadstar: string[] }> {
  const run = async (port: number) => {
    const seen: string[] = [];
    for (const cookie of cookies) seen.push((await rawClient(port, (s) => s.write(rdpConnectionRequest('', cookie)))).answer);
    return seen;
  };
  const hport = await freePort();
  const h = await startHaproxy(config(hport), hport);
  let haproxy: string[];
  try {
    haproxy = await run(hport);
  } finally {
    await h.stop();
  }
  const e = await startEngine(config(await freePort()));
  try {
    return { haproxy, loadstar: await run(e.port) };
  } finally {
    await e.stop();
  }
}

test('balance rdp-cookie hashes the cookie of the held connection request as HAProxy does', async (t) => {
  if (!requireHaproxy(t)) return;
  const servers = await Promise.all(['r1', 'r2', 'r3', 'r4'].map((name) => startRawServer((s) => s.end(name))));
  const config = rdpListen(servers, '    balance rdp-cookie\n');
  const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'alice', 'bob'];
  try {
    const { haproxy, loadstar } = await answersPerCookie(config, users.map((u) => `mstshash=${u}`));
    assert.deepEqual(loadstar, haproxy);
    assert.ok(new Set(loadstar).size > 1, `the cookies spread over several servers: ${loadstar.join(',')}`);
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
});

/** A Remote Desktop broker's routing token for 127.0.0.1:port: the address's bytes read as a little-endian integer, the port byte-swapped. */
const msts = (port: number): string => `msts=${127 + 2 ** 24}.${((port & 0xff) << 8) | (port >> 8)}.0000`;

test('persist rdp-cookie sends a connection whose msts cookie names a server\'s address to it, unless stopped, as HAProxy does', async (t) => {
  if (!requireHaproxy(t)) return;
  const servers = await Promise.all(['r1', 'r2', 'r3', 'r4'].map((name) => startRawServer((s) => s.end(name))));
  const config = rdpListen(servers, '    persist rdp-cookie\n    balance source\n', 3);
  const cookies = [msts(servers[1]!.port), msts(servers[1]!.port), msts(servers[2]!.port), 'mstshash=alice', 'mstshash=bob', msts(servers[3]!.port), msts(servers[1]!.port)];
  try {
    const { haproxy, loadstar } = await answersPerCookie(config, cookies);
    assert.deepEqual(loadstar, haproxy);
    // The cookie's server, except r4 (in maintenance): its connection is balanced like those without
    // one (balance source: all from 127.0.0.1 to the same server; a round robin's start differs, as
    // haproxy's readiness probe took a turn).
    const balanced = loadstar[3]!;
    assert.notEqual(balanced, 'r4');
    assert.deepEqual(loadstar, ['r2', 'r2', 'r3', balanced, balanced, balanced, 'r2']);
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
});
