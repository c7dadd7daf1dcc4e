/**
 * `server … socks4 <addr>:<port>` and `check-via-socks4` (proxy/runtime/socks4.ts), side by side
 * with haproxy 2.6.12: a SOCKS4 proxy written here records what it is sent and grants (then
 * relays to the address asked for), refuses, closes or stays silent. Compared: the bytes the proxy
 * received, the client's answer, the log line, and the health checks' log-health-checks lines.
 */
import { test, before, after } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { sideBySide, linesLogged } from './lib/side-by-side.ts';
import type { Proxy } from './lib/side-by-side.ts';
import { startEngine, freePort, waitFor } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { certPath } from '../../helpers/tls.ts';
import { socks4Request } from '../../../proxy/runtime/socks4.ts';
import { unsupportedFeatures } from '../../../proxy/runtime/unsupported.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { cli, readCsv, row, until } from '../stats/helpers.ts';

type Behaviour = 'grant' | 'slow' | 'refuse' | 'close' | 'reset' | 'silent' | 'short';

interface SocksProxy {
  port: number;
  behaviour: Behaviour;
  /** Each connection's request (up to and with its user id's NUL), in hex, in order. */
  requests: string[];
  /** Connections accepted. */
  connections: number;
  /** With 'grant': bytes written in the same write as the grant (a server's banner arriving with it). */
  withGrant: Buffer;
  close(): Promise<void>;
}

/** A SOCKS4 proxy on `host` that behaves as told, and relays granted connections to 127.0.0.1 (whatever address they ask for). */
async function socksProxy(host = '127.0.0.1'): Promise<SocksProxy> {
  const sockets = new Set<net.Socket>();
  const state: SocksProxy = { port: 0, behaviour: 'grant', requests: [], connections: 0, withGrant: Buffer.alloc(0), close: async () => {} };
  const server = net.createServer((c) => {
    state.connections++;
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => {});
    let got = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      got = Buffer.concat([got, d]);
      const end = got.length > 8 ? got.indexOf(0, 8) : -1;
      if (end < 0) return;
      c.off('data', onData);
      c.pause();
      state.requests.push(got.subarray(0, end + 1).toString('hex'));
      const rest = got.subarray(end + 1);
      switch (state.behaviour) {
        case 'close': return void c.end();
        case 'reset': return void c.resetAndDestroy();
        case 'silent': return;
        case 'short': return void c.end(Buffer.from('005a00', 'hex'));
        case 'refuse': return void c.write(Buffer.from('005b000000000000', 'hex'));
      }
      const up = net.connect(got.readUInt16BE(2), '127.0.0.1', () => setTimeout(() => {
        c.write(Buffer.concat([Buffer.from('005a000000000000', 'hex'), state.withGrant]));
        if (rest.length > 0) up.write(rest);
        c.pipe(up);
        up.pipe(c);
        c.resume();
      }, state.behaviour === 'slow' ? 250 : 0));
      up.on('error', () => c.destroy());
      c.on('close', () => up.destroy());
      up.on('close', () => c.destroy());
    };
    c.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  state.port = (server.address() as net.AddressInfo).port;
  state.close = () => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  });
  return state;
}

/** What the proxy must receive for 127.0.0.1:`port`: version 4, CONNECT, the port, the address, "HAProxy\0". */
function expectedRequest(port: number): string {
  return `0401${port.toString(16).padStart(4, '0')}7f000001${Buffer.from('HAProxy\0').toString('hex')}`;
}

let socks: SocksProxy;
/** An HTTP server answering 200 "ok" to each request, keeping connections alive. */
let web: net.Server;
let webPort: number;
/** The same over TLS. */
let secureWeb: tls.Server;
let secureWebPort: number;
/** A TCP server that speaks first: "220 banner\r\n", then echoes. */
let banner: net.Server;
let bannerPort: number;

function answer(s: net.Socket): void {
  let buf = '';
  s.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    while (buf.includes('\r\n\r\n')) {
      buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
      s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    }
  });
  s.on('error', () => {});
}

/** Closes `server` and the connections it still has. */
function closeServer(server: net.Server): Promise<void> {
  return new Promise<void>((r) => {
    server.close(() => r());
    for (const socket of open.get(server) ?? []) socket.destroy();
  });
}
const open = new Map<net.Server, Set<net.Socket>>();
/** Listens on 127.0.0.1, keeping the server's connections for closeServer; the port. */
async function listen(server: net.Server): Promise<number> {
  const sockets = new Set<net.Socket>();
  open.set(server, sockets);
  server.on(server instanceof tls.Server ? 'secureConnection' : 'connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

before(async () => {
  socks = await socksProxy();
  web = net.createServer(answer);
  webPort = await listen(web);
  const pem = fs.readFileSync(certPath('sites/nas.home.arpa.pem'));
  secureWeb = tls.createServer({ cert: pem, key: pem }, answer);
  secureWebPort = await listen(secureWeb);
  banner = net.createServer((s) => {
    s.on('error', () => {});
    s.write('220 banner\r\n');
    s.on('data', (d: Buffer) => s.write(d));
  });
  bannerPort = await listen(banner);
});
after(async () => {
  await socks.close();
  for (const s of [web, secureWeb, banner]) await closeServer(s);
});

function httpConfig(port: number, serverLine: string, extra = ''): string {
  return `defaults
    mode http
    timeout connect 300ms
    timeout client 5s
    timeout server 5s
listen web
    bind 127.0.0.1:${port}
    retries 1
    log stdout format raw local0
    log-format "%tsc %rc %b/%s %ST"
    ${extra}
    ${serverLine}
`;
}

/** GETs written one after the other on one connection, each after the last answer: the statuses. */
async function gets(port: number, n: number): Promise<string[]> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => {});
  const statuses: string[] = [];
  let buf = '';
  try {
    for (let i = 0; i < n; i++) {
      s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
      const status = await new Promise<string>((resolve) => {
        const onData = (d: Buffer): void => {
          buf += d.toString('latin1');
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const length = Number(/content-length: *(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
          if (buf.length < end + 4 + length) return;
          const status = buf.slice(9, 12);
          buf = buf.slice(end + 4 + length);
          s.off('data', onData);
          s.off('close', onClose);
          resolve(status);
        };
        const onClose = (): void => resolve('none');
        s.on('data', onData);
        s.once('close', onClose);
      });
      statuses.push(status);
      if (status === 'none') break;
    }
  } finally {
    s.destroy();
  }
  return statuses;
}

async function lastLine(proxy: Proxy, before: number): Promise<string> {
  return (await linesLogged(proxy, before + 1)).at(-1) ?? '(no log line)';
}

/**
 * `sideBySide` with the proxy granting plainly when each side starts (its probe connection goes
 * through the proxy in TCP mode: a proxy left silent would hold it, a retry landing in the case).
 */
function socksSideBySide(t: TestContext, config: (port: number) => string, check: (port: number, proxy: Proxy) => Promise<void>): Promise<void> {
  return sideBySide(t, config, async (port, proxy) => {
    try {
      await check(port, proxy);
    } finally {
      as('grant');
    }
  });
}

/** The proxy behaves as `behaviour` from now on, its records cleared. */
function as(behaviour: Behaviour): void {
  socks.behaviour = behaviour;
  socks.requests = [];
  socks.connections = 0;
  socks.withGrant = Buffer.alloc(0);
}

test('HTTP mode: requests reach the server through the SOCKS4 proxy (16 bytes: 04 01, port, address, "HAProxy\\0"), a kept-alive server connection is reused without a new handshake (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await socksSideBySide(t, (port) => httpConfig(port, `server s 127.0.0.1:${webPort} socks4 127.0.0.1:${socks.port}`), async (port, proxy) => {
    as('grant');
    const before = proxy.logs().length;
    assert.deepEqual(await gets(port, 2), ['200', '200']);
    assert.deepEqual(socks.requests, [expectedRequest(webPort)], 'one CONNECT, for the server, then the connection is reused');
    assert.equal(await lastLine(proxy, before + 1), '---- 0 web/s 200');
  });
});

test('HTTP mode: an IPv6 server through an IPv6 proxy: the request carries the address\'s first 32-bit word that is not zero (::1 → 0.0.0.1), as haproxy 2.6.12 sends it', { timeout: 60_000 }, async (t) => {
  const v6 = await socksProxy('::1');
  try {
    await socksSideBySide(t, (port) => httpConfig(port, `server s [::1]:${webPort} socks4 [::1]:${v6.port}`), async (port, proxy) => {
      v6.requests = [];
      const before = proxy.logs().length;
      assert.deepEqual(await gets(port, 1), ['200']);
      assert.deepEqual(v6.requests, [expectedRequest(webPort).replace('7f000001', '00000001')]);
      assert.equal(await lastLine(proxy, before), '---- 0 web/s 200');
    });
  } finally {
    await v6.close();
  }
});

test('HTTP mode: %Tc counts the SOCKS4 handshake (a proxy granting after 250 ms), within timeout connect (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await socksSideBySide(t, (port) => httpConfig(port, `server s 127.0.0.1:${webPort} socks4 127.0.0.1:${socks.port}`).replace('%tsc %rc %b/%s %ST', '%tsc %Tc %ST'), async (port, proxy) => {
    as('slow');
    const before = proxy.logs().length;
    assert.deepEqual(await gets(port, 1), ['200']);
    const [flags, tc, status] = (await lastLine(proxy, before)).split(' ');
    assert.deepEqual([flags, status], ['----', '200']);
    assert.ok(Number(tc) >= 240 && Number(tc) < 300, `%Tc ${tc}`);
  });
});

test('HTTP mode: a refusal (reply code 91) or a proxy closing before its reply is a failed connection: retried, then 503 logged SC (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await socksSideBySide(t, (port) => httpConfig(port, `server s 127.0.0.1:${webPort} socks4 127.0.0.1:${socks.port}`), async (port, proxy) => {
    for (const behaviour of ['refuse', 'close', 'reset'] as const) {
      as(behaviour);
      const before = proxy.logs().length;
      assert.deepEqual(await gets(port, 1), ['503'], behaviour);
      assert.equal(await lastLine(proxy, before), 'SC-- 1 web/s 503', behaviour);
      assert.deepEqual(socks.requests, [expectedRequest(webPort), expectedRequest(webPort)], `${behaviour}: the first attempt and one retry`);
    }
  });
});

test('HTTP mode: a proxy that never replies, or sends part of a reply and closes, runs into timeout connect: 503 logged sC (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await socksSideBySide(t, (port) => httpConfig(port, `server s 127.0.0.1:${webPort} socks4 127.0.0.1:${socks.port}`), async (port, proxy) => {
    for (const behaviour of ['silent', 'short'] as const) {
      as(behaviour);
      const before = proxy.logs().length;
      const started = Date.now();
      assert.deepEqual(await gets(port, 1), ['503'], behaviour);
      assert.ok(Date.now() - started >= 500, `${behaviour}: two timeouts of 300 ms`);
      assert.equal(await lastLine(proxy, before), 'sC-- 1 web/s 503', behaviour);
      assert.equal(socks.requests.length, 2, behaviour);
    }
  });
});

test('HTTP mode: a TLS server through the SOCKS4 proxy (the handshake goes through the tunnel), with send-proxy the PROXY line after the grant (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await socksSideBySide(t, (port) => httpConfig(port, `server s 127.0.0.1:${secureWebPort} ssl verify none socks4 127.0.0.1:${socks.port}`), async (port, proxy) => {
    as('grant');
    const before = proxy.logs().length;
    assert.deepEqual(await gets(port, 2), ['200', '200']);
    assert.deepEqual(socks.requests, [expectedRequest(secureWebPort)]);
    assert.equal(await lastLine(proxy, before + 1), '---- 0 web/s 200');
  });
  // send-proxy: what the server gets first, after the proxy's grant.
  const firstLines: string[] = [];
  const pp = net.createServer((s) => {
    s.once('data', (d: Buffer) => firstLines.push(d.toString('latin1').split('\r\n')[0]!.split(' ').slice(0, 2).join(' ')));
    answer(s);
  });
  const ppPort = await listen(pp);
  try {
    await socksSideBySide(t, (port) => httpConfig(port, `server s 127.0.0.1:${ppPort} send-proxy socks4 127.0.0.1:${socks.port}`), async (port) => {
      as('grant');
      firstLines.length = 0;
      assert.deepEqual(await gets(port, 1), ['200']);
      assert.deepEqual(socks.requests, [expectedRequest(ppPort)]);
      assert.deepEqual(firstLines, ['PROXY TCP4']);
    });
  } finally {
    await closeServer(pp);
  }
});

function tcpConfig(port: number, serverLine: string): string {
  return `defaults
    mode tcp
    timeout connect 300ms
    timeout client 5s
    timeout server 5s
listen relay
    bind 127.0.0.1:${port}
    retries 1
    log stdout format raw local0
    log-format "%ts %b/%s"
    ${serverLine}
`;
}

/** Connects, reads the banner, sends "hi\n", reads the echo, closes: what the client got. */
function talk(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got === '220 banner\r\n') s.write('hi\n');
      if (got.endsWith('hi\n')) s.end();
    });
    s.on('error', () => {});
    s.on('close', () => resolve(got));
    s.setTimeout(3000, () => s.destroy());
  });
}

test('TCP mode: a server that speaks first through the SOCKS4 proxy (its banner in the grant\'s packet), refused and silent proxies logged SC / sC (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await socksSideBySide(t, (port) => tcpConfig(port, `server s 127.0.0.1:${bannerPort} socks4 127.0.0.1:${socks.port}`), async (port, proxy) => {
    as('grant');
    let before = proxy.logs().length;
    assert.equal(await talk(port), '220 banner\r\nhi\n');
    assert.deepEqual(socks.requests, [expectedRequest(bannerPort)], `port ${port} ${socks.connections} ${proxy.logs().join("\n")}`);
    assert.equal(await lastLine(proxy, before), '-- relay/s');
    for (const [behaviour, line] of [['refuse', 'SC relay/s'], ['silent', 'sC relay/s']] as const) {
      as(behaviour);
      before = proxy.logs().length;
      assert.equal(await talk(port), '', behaviour);
      assert.equal(await lastLine(proxy, before), line, behaviour);
      assert.equal(socks.requests.length, 2, `${behaviour}: the first attempt and one retry`);
    }
  });
  // The banner in the very write that grants: nothing after the reply is lost.
  await socksSideBySide(t, (port) => tcpConfig(port, `server s 127.0.0.1:${webPort} socks4 127.0.0.1:${socks.port}`), async (port) => {
    as('grant');
    socks.withGrant = Buffer.from('220 banner\r\n');
    const got = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      let data = '';
      s.on('data', (d: Buffer) => {
        data += d.toString('latin1');
        if (data === '220 banner\r\n') s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
        if (data.endsWith('ok')) s.end();
      });
      s.on('error', () => {});
      s.on('close', () => resolve(data));
      s.setTimeout(3000, () => s.destroy());
    });
    assert.equal(got, '220 banner\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });
  // A TLS server through the proxy in TCP mode.
  await socksSideBySide(t, (port) => tcpConfig(port, `server s 127.0.0.1:${secureWebPort} ssl verify none socks4 127.0.0.1:${socks.port}`), async (port, proxy) => {
    as('grant');
    const before = proxy.logs().length;
    const got = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
      let data = '';
      s.on('data', (d: Buffer) => {
        data += d.toString('latin1');
        if (data.endsWith('ok')) s.end();
      });
      s.on('error', () => {});
      s.on('close', () => resolve(data));
      s.setTimeout(3000, () => s.destroy());
    });
    assert.equal(got, 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    assert.deepEqual(socks.requests, [expectedRequest(secureWebPort)], `port ${port} ${proxy.logs().join('\n')}`);
    assert.equal(await lastLine(proxy, before), '-- relay/s');
  });
});

/** The backend's log-health-checks lines of haproxy and Loadstar for `serverLine`, after 3 checks reached the proxy (or the server). */
async function healthLines(serverLine: string, option: string, until: () => boolean, reset?: () => void, kind: 'Health' | 'Agent' = 'Health'): Promise<Record<'haproxy' | 'loadstar', string[]>> {
  const bind = await freePort();
  const config = `global
    log stdout format raw local0
defaults
    mode tcp
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 300ms
backend be
    option log-health-checks
    ${option}
    ${serverLine}${kind === 'Health' ? ' check inter 150 rise 1 fall 1' : ''}
frontend fe
    bind 127.0.0.1:${bind}
    tcp-request connection reject
    default_backend be
`;
  const seen = {} as Record<'haproxy' | 'loadstar', string[]>;
  for (const impl of ['haproxy', 'loadstar'] as const) {
    socks.requests = [];
    socks.connections = 0;
    reset?.();
    let stop: () => Promise<void>;
    let lines: () => string[];
    if (impl === 'haproxy') {
      const h = await startHaproxy(config, bind);
      stop = h.stop;
      lines = () => h.output().split('\n');
    } else {
      const e = await startEngine(config);
      stop = e.stop;
      lines = () => [...e.alerts, ...e.logs];
    }
    try {
      await waitFor(`${impl}: 3 checks`, until, 15_000);
    } finally {
      await stop();
    }
    // haproxy 2.6.12 may add a stale errno's text to a SOCKS4 info ("… deny the request (Message too long)"): left out.
    seen[impl] = [...new Set(lines()
      .map((l) => l.replace(/^\[\w+\]\s+\(\d+\) : /, '').replace(/check duration: \d+ms/, 'check duration: Nms').replace(/(info: "SOCKS4 Proxy (?:deny the request|read error during handshake)) \([^")]*\)"/, '$1"')
        .replace(/\d+ active and \d+ backup servers/, 'N active and N backup servers').trim())
      .filter((l) => l.startsWith(`${kind} check for server be/`)))].sort();
  }
  return seen;
}

test('check-via-socks4: health checks go through the proxy (UP; a refusal or a close is a "Socket error" with HAProxy\'s info, silence a "Layer7 timeout"), without it they go straight to the server (haproxy 2.6.12)', { timeout: 120_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const server = `server s 127.0.0.1:${webPort} socks4 127.0.0.1:${socks.port} check-via-socks4`;
  for (const [behaviour, option, expected] of [
    ['grant', 'option httpchk GET /', 'succeeded, reason: Layer7 check passed, code: 200'],
    ['grant', '', 'succeeded, reason: Layer4 check passed'],
    ['refuse', '', 'failed, reason: Socket error, info: "SOCKS4 Proxy deny the request"'],
    // (With httpchk haproxy adds a stale errno's text to this info: "… handshake (Message too long)".)
    ['close', '', 'failed, reason: Socket error, info: "SOCKS4 Proxy read error during handshake"'],
    ['reset', '', 'failed, reason: Socket error, info: "SOCKS4 Proxy handshake aborted by server (Connection reset by peer)"'],
    ['silent', '', 'failed, reason: Layer7 timeout'],
  ] as const) {
    socks.behaviour = behaviour;
    const seen = await healthLines(server, option, () => socks.requests.length >= 3);
    assert.ok(seen.haproxy.length >= 1 && seen.haproxy.every((l) => l.includes(expected)), `${behaviour} ${option}: ${seen.haproxy.join('\n')}`);
    assert.deepEqual(seen.loadstar, seen.haproxy, `${behaviour} ${option}`);
    assert.ok(socks.requests.every((r) => r === expectedRequest(webPort)), socks.requests.join(' '));
  }
  // Without check-via-socks4 (the proxy refusing everything), checks reach the server directly.
  socks.behaviour = 'refuse';
  let webChecks = 0;
  const count = (): void => void webChecks++;
  web.on('connection', count);
  try {
    const seen = await healthLines(`server s 127.0.0.1:${webPort} socks4 127.0.0.1:${socks.port}`, 'option httpchk GET /', () => webChecks >= 3, () => void (webChecks = 0));
    assert.equal(socks.connections, 0, 'no check went to the proxy');
    assert.ok(seen.haproxy.length >= 1 && seen.haproxy.every((l) => l.includes('succeeded')), seen.haproxy.join('\n'));
    assert.deepEqual(seen.loadstar, seen.haproxy);
  } finally {
    web.off('connection', count);
  }
});

test('tcp-check connect via-socks4 and http-check connect via-socks4 connect through the proxy (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  socks.behaviour = 'grant';
  const seen = await healthLines(`server s 127.0.0.1:${webPort} socks4 127.0.0.1:${socks.port}`, `option tcp-check
    tcp-check connect via-socks4
    tcp-check send "GET / HTTP/1.0\\r\\n\\r\\n"
    tcp-check expect string ok`, () => socks.requests.length >= 3);
  assert.ok(seen.haproxy.length >= 1 && seen.haproxy.every((l) => l.includes('succeeded')), seen.haproxy.join('\n'));
  assert.deepEqual(seen.loadstar, seen.haproxy);
  assert.ok(socks.requests.every((r) => r === expectedRequest(webPort)));
  // http-check connect via-socks4, the proxy refusing.
  socks.behaviour = 'refuse';
  const refused = await healthLines(`server s 127.0.0.1:${webPort} socks4 127.0.0.1:${socks.port}`, `option httpchk
    http-check connect via-socks4
    http-check send meth GET uri /`, () => socks.requests.length >= 3);
  assert.ok(refused.haproxy.length >= 1 && refused.haproxy.every((l) => l.includes('SOCKS4 Proxy deny the request')), refused.haproxy.join('\n'));
  assert.deepEqual(refused.loadstar, refused.haproxy);
  socks.behaviour = 'grant';
});

test('the CONNECT request carries an IPv4 address; of an IPv6 one its first 32-bit word that is not zero, 0.0.0.0 for a UNIX socket (haproxy 2.6.12\'s is_inet_addr)', () => {
  const user = Buffer.from('HAProxy\0').toString('hex');
  assert.equal(socks4Request('192.0.2.7', 443).toString('hex'), `040101bbc0000207${user}`);
  // haproxy 2.6.12 sent 04016db0 00000001 … for `server s ::1:28080` through an IPv6 proxy.
  assert.equal(socks4Request('::1', 8080).toString('hex'), `04011f9000000001${user}`);
  assert.equal(socks4Request('2001:db8::5', 80).toString('hex'), `0401005020010db8${user}`);
  assert.equal(socks4Request('::ffff:192.0.2.9', 80).toString('hex'), `040100500000ffff${user}`);
  assert.equal(socks4Request('::1:2:3:4', 80).toString('hex'), `0401005000010002${user}`);
  assert.equal(socks4Request('::', 80).toString('hex'), `0401005000000000${user}`);
  assert.equal(socks4Request('/run/app.sock', 0).toString('hex'), `0401000000000000${Buffer.from('HAProxy\0').toString('hex')}`);
});

test('socks4 on an HTTP/2 server is refused by the engine (not run yet), on an HTTP/1 one it is not', () => {
  const uses = (line: string) => unsupportedFeatures(parseConfig([{ name: 'd.cfg', text: `defaults\n    mode http\nbackend b\n    ${line}\n` }]).config).map((u) => u.what);
  assert.deepEqual(uses('server s 127.0.0.1:80 proto h2 socks4 127.0.0.1:1080'), [`'socks4' on an HTTP/2 server ('proto h2' or 'alpn h2')`]);
  assert.deepEqual(uses('server s 127.0.0.1:80 socks4 127.0.0.1:1080'), []);
});

test('show stat: a refusing SOCKS4 proxy counts one connection error and the retry on the server, and its checks show SOCKERR with HAProxy\'s text (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-socks4-'));
  // The checks' own proxy refuses from the start (a switch while a check is under way makes haproxy's outcome a race).
  const refusing = await socksProxy();
  refusing.behaviour = 'refuse';
  const config = (port: number) => `global
    stats socket ${path.join(dir, `${port}.sock`)} mode 600 level admin
defaults
    mode http
    timeout connect 300ms
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    default_backend web
backend web
    retries 1
    server s 127.0.0.1:${webPort} socks4 127.0.0.1:${socks.port}
backend checked
    server c 127.0.0.1:${webPort} socks4 127.0.0.1:${refusing.port} check-via-socks4 check inter 100 downinter 10s rise 1 fall 1
`;
  try {
    await socksSideBySide(t, config, async (port) => {
      as('refuse');
      assert.deepEqual(await gets(port, 1), ['503']);
      const sock = path.join(dir, `${port}.sock`);
      await until('the check failed', async () => row(readCsv(await cli(sock, 'show stat')), 'checked', 'c')['status'] === 'DOWN');
      const rows = readCsv(await cli(sock, 'show stat'));
      const s = row(rows, 'web', 's');
      assert.deepEqual([s['econ'], s['wretr'], s['connect'], s['status']], ['1', '1', '2', 'no check']);
      const c = row(rows, 'checked', 'c');
      // (haproxy may add a stale errno's text, as in the log lines: left out.)
      assert.deepEqual([c['check_status'], c['check_desc'], c['last_chk']!.replace(/ \([^)]*\)$/, '')], ['SOCKERR', 'Socket error', 'SOCKS4 Proxy deny the request']);
    });
  } finally {
    await refusing.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('check-via-socks4 sends the agent check through the proxy too (the server\'s flag, as tcpcheck_eval_connect reads it; haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  socks.behaviour = 'refuse';
  try {
    const agentPort = await freePort();
    // Each side's agent reaches the proxy 3 times (healthLines waits for it), asking for the agent's port.
    const seen = await healthLines(`server s 127.0.0.1:${webPort} socks4 127.0.0.1:${socks.port} check-via-socks4 agent-check agent-port ${agentPort} agent-inter 150`, '', () => socks.requests.length >= 3, undefined, 'Agent');
    assert.ok(seen.haproxy.length >= 1 && seen.haproxy.every((l) => l.includes('SOCKS4 Proxy deny the request')), seen.haproxy.join('\n'));
    assert.ok(socks.requests.every((r) => r === expectedRequest(agentPort)), socks.requests.join(' '));
    // (haproxy logs each failed agent connection; Loadstar logs the agent's verdicts only, refused proxy or not.)
  } finally {
    socks.behaviour = 'grant';
  }
});
