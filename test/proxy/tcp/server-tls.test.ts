/**
 * `server … ssl` in a `mode tcp` section (tcp/frontend.ts connectTls, tcp/stream-reads.ts): plain
 * TCP clients relayed to a TLS server, side by side with haproxy 2.6.12 — the bytes both ways with
 * half-close, the SNI and certificate check, a handshake failure retried as a failed connection
 * (but not a certificate for another name than the SNI sent), a handshake never answered bounded
 * by `timeout connect` (sC, retried at once), and `maxsslconn` (IC, not retried).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { sideBySide } from '../http/lib/side-by-side.ts';
import type { Proxy } from '../http/lib/side-by-side.ts';
import { certPath } from '../../helpers/tls.ts';
import { cli, readCsv, row, until } from '../stats/helpers.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { unsupportedFeatures } from '../../../proxy/runtime/unsupported.ts';

interface Origin {
  port: number;
  /** TCP connections accepted (handshakes attempted). */
  connections: number;
  /** SNI of each completed handshake ('-' when none was sent). */
  sni: string[];
  close(): Promise<void>;
}

/** A TLS server with nas.home.arpa's certificate: echoes each chunk as `echo:<chunk>`, and answers the client's FIN with `bye` and its own. */
let echo: Origin;
/** Accepts TCP connections and never answers a ClientHello. */
let silent: Origin;

async function listen(server: net.Server, counted: { connections: number }): Promise<number> {
  server.on('connection', (s: net.Socket) => {
    counted.connections++;
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

function origin(server: net.Server, sni: string[]): Promise<Origin> {
  const state = { connections: 0 };
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return listen(server, state).then((port) => ({
    port,
    sni,
    get connections() { return state.connections; },
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  }));
}

before(async () => {
  const pem = fs.readFileSync(certPath('sites/nas.home.arpa.pem'));
  const sni: string[] = [];
  const server = tls.createServer({ cert: pem, key: pem, allowHalfOpen: true }, (s) => {
    sni.push(String(s.servername || '-'));
    s.on('data', (d: Buffer) => s.write(`echo:${d}`));
    s.on('end', () => s.end('bye'));
    s.on('error', () => {});
  });
  echo = await origin(server, sni);
  silent = await origin(net.createServer(() => {}), []);
});
after(async () => {
  await echo.close();
  await silent.close();
});

/** `bytesIn`: the log shows %U too (on failed connections as well since tcp/connect-watch.ts: test/proxy/tcp/client-leaves.test.ts). */
function config(port: number, serverLine: string, head = '', bytesIn = false): string {
  return `${head}defaults
    mode tcp
    timeout connect 300ms
    timeout client 5s
    timeout server 5s
listen db
    bind 127.0.0.1:${port}
    retries 2
    log stdout format raw local0
    log-format "%ts %rc %b/%s %B${bytesIn ? ' %U' : ''}"
    ${serverLine}
`;
}

/** Sends `hello`, then its FIN once `hello`'s echo came (or after 300 ms); what came back and how the connection ended. */
function session(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let got = '';
    const finish = setTimeout(() => s.end(), 300);
    s.on('data', (d: Buffer) => {
      got += d;
      if (got === 'echo:hello') {
        clearTimeout(finish);
        s.end();
      }
    });
    s.on('end', () => (got += '|FIN'));
    s.on('error', (e: NodeJS.ErrnoException) => (got += `|${e.code}`));
    s.on('close', () => resolve(got));
    s.setTimeout(10_000, () => s.destroy());
    s.write('hello');
  });
}

/**
 * Waits for the log line of sideBySide's probe connection: Loadstar goes on connecting (and
 * retrying) for it after the client left, HAProxy does not; counted attempts start after it.
 */
async function probeDone(proxy: Proxy): Promise<void> {
  await logged(proxy, 0);
}

/** The session's log line (the last one, once there is one more than `before`). */
async function logged(proxy: Proxy, before: number): Promise<string> {
  for (let i = 0; i < 150 && proxy.logs().length <= before; i++) await new Promise((r) => setTimeout(r, 20));
  return proxy.logs().at(-1) ?? '(no log line)';
}

test('a plain TCP client reaches a TLS server: bytes both ways, half-close, SNI and certificate checked, as haproxy 2.6.12', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${echo.port} ssl verify required ca-file ${certPath('ca.pem')} sni str(nas.home.arpa)`, '', true), async (port, proxy) => {
    const before = proxy.logs().length;
    const handshakes = echo.sni.length;
    // The server's `bye` comes after the client's FIN went through: each side closes on its own.
    assert.equal(await session(port), 'echo:hellobye|FIN');
    assert.deepEqual(echo.sni.slice(handshakes), ['nas.home.arpa']);
    assert.equal(await logged(proxy, before), '-- 0 db/s 13 5');
  });
});

test('a certificate not signed by ca-file fails the connection: retried, then SC, nothing relayed (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${echo.port} ssl verify required ca-file ${certPath('legacy.pem')}`), async (port, proxy) => {
    await probeDone(proxy);
    const before = proxy.logs().length;
    const attempts = echo.connections;
    assert.equal(await session(port), '|FIN');
    assert.equal(await logged(proxy, before), 'SC 2 db/s 0');
    assert.equal(echo.connections - attempts, 3, 'the first attempt and 2 retries');
  });
});

test('a certificate for another name than the SNI sent is not retried (CO_ER_SSL_MISMATCH_SNI), logged with every retry spent', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${echo.port} ssl verify required ca-file ${certPath('ca.pem')} sni str(git.home.arpa)`), async (port, proxy) => {
    await probeDone(proxy);
    const before = proxy.logs().length;
    const attempts = echo.connections;
    assert.equal(await session(port), '|FIN');
    assert.equal(await logged(proxy, before), 'SC 2 db/s 0');
    assert.equal(echo.connections - attempts, 1, 'one attempt only');
  });
});

test('a handshake never answered ends at timeout connect: retried at once, then sC (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${silent.port} ssl verify none`), async (port, proxy) => {
    await probeDone(proxy);
    const before = proxy.logs().length;
    const attempts = silent.connections;
    const started = Date.now();
    assert.equal(await session(port), '|FIN');
    const took = Date.now() - started;
    assert.equal(await logged(proxy, before), 'sC 2 db/s 0');
    assert.equal(silent.connections - attempts, 3);
    // Three timeouts of 300 ms, without the turn-around pause an error would add (2 × 300 ms more).
    assert.ok(took < 1400, `took ${took} ms`);
  });
});

test('maxsslconn 1 in TCP mode: a second session needing a TLS server connection ends IC at once, not retried (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${echo.port} ssl verify none`, 'global\n    maxsslconn 1\n'), async (port, proxy) => {
    // The first session holds the one TLS slot while it is open.
    const first = net.connect({ port, host: '127.0.0.1' });
    try {
      const echoed = await new Promise<string>((resolve) => {
        first.once('data', (d: Buffer) => resolve(String(d)));
        first.on('error', () => resolve('error'));
        first.write('hello');
      });
      assert.equal(echoed, 'echo:hello');
      const before = proxy.logs().length;
      const attempts = echo.connections;
      assert.equal(await session(port), '|FIN');
      assert.equal(await logged(proxy, before), 'IC 0 db/s 0');
      assert.equal(echo.connections, attempts, 'no connection was opened');
    } finally {
      first.destroy();
    }
  });
});

test('show servers state and show stat of a checked TLS server in a TCP section read as haproxy 2.6.12 (srv_use_ssl 1, L6OK)', { timeout: 60_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-tcp-tls-'));
  let configured = 0;
  let runs = 0;
  const seen: string[][] = [];
  try {
    // A check's connection, its TLS handshake included, has min(timeout connect, inter): haproxy's
    // handshake overran 200 ms (the interval alone), then 300 ms (timeout connect), on a loaded
    // machine (L6TOUT). Hence 2 s for both here; `timeout check` bounds the rest.
    await sideBySide(t, (port) => config(port, `timeout connect 3s\n    timeout check 3s\n    server s 127.0.0.1:${echo.port} ssl verify none check inter 2s`, `global\n    stats socket ${path.join(dir, `s${configured++}.sock`)} level admin\n`), async () => {
      const sock = path.join(dir, `s${runs++}.sock`);
      const server = async (): Promise<Record<string, string>> => row(readCsv(await cli(sock, 'show stat')), 'db', 's');
      // HAProxy marks a check under way with '* '.
      const status = (row: Record<string, string>): string => row.check_status!.replace(/^\* /, '');
      await until('a check result', async () => status(await server()) === 'L6OK', 5000);
      const stat = await server();
      // HAProxy's srv_check_result reads 0 and srv_check_state has CHK_ST_INPROGRESS while a check runs: a snapshot between checks.
      let state = (await cli(sock, 'show servers state db')).split('\n')[2]!.split(' ');
      for (let tries = 0; tries < 50 && (state[11] === '0' || state[13] !== '6'); tries++) {
        await new Promise((r) => setTimeout(r, 20));
        state = (await cli(sock, 'show servers state db')).split('\n')[2]!.split(' ');
      }
      // srv_time_since_last_change (9) differs by when each one was asked.
      state[9] = '*';
      seen.push([stat.status!, status(stat), stat.check_desc!, stat.mode!, state.join(' ')]);
    });
    if (seen.length === 2) assert.deepEqual(seen[0], seen[1]);
    assert.deepEqual(seen[0]!.slice(0, 4), ['UP', 'L6OK', 'Layer6 check passed', 'tcp']);
    assert.equal(seen[0]![4]!.split(' ')[20], '1', 'srv_use_ssl');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('re-encryption: a TLS client on `bind … ssl` relayed to a TLS server, as haproxy 2.6.12', { timeout: 60_000 }, async (t) => {
  const bind = (port: number): string => config(port, `server s 127.0.0.1:${echo.port} ssl verify required ca-file ${certPath('ca.pem')} sni str(nas.home.arpa)`, '', true)
    .replace(`bind 127.0.0.1:${port}`, `bind 127.0.0.1:${port} ssl crt ${certPath('site.pem')}`);
  await sideBySide(t, bind, async (port, proxy) => {
    await probeDone(proxy);
    const before = proxy.logs().length;
    const got = await new Promise<string>((resolve) => {
      const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, allowHalfOpen: true } as tls.ConnectionOptions);
      let text = '';
      s.on('secureConnect', () => s.write('hello'));
      s.on('data', (d: Buffer) => {
        text += d;
        if (text === 'echo:hello') s.end();
      });
      s.on('end', () => (text += '|FIN'));
      s.on('error', (e: NodeJS.ErrnoException) => (text += `|${e.code}`));
      s.on('close', () => resolve(text));
      s.setTimeout(10_000, () => s.destroy());
    });
    assert.equal(got, 'echo:hellobye|FIN');
    assert.equal(await logged(proxy, before), '-- 0 db/s 13 5');
  });
});

test('tcp-response content rules see a TLS server\'s first bytes: reject ends the session PD, nothing relayed (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, `tcp-response inspect-delay 1s
    tcp-response content reject if { res.payload(0,5) -m str echo: }
    server s 127.0.0.1:${echo.port} ssl verify none`), async (port, proxy) => {
    await probeDone(proxy);
    const before = proxy.logs().length;
    assert.equal(await session(port), '|FIN');
    assert.equal(await logged(proxy, before), 'PD 0 db/s 10');
  });
});

test('timeout server bounds a TLS server that stays silent once connected: sD (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${echo.port} ssl verify none`).replace('timeout server 5s', 'timeout server 300ms'), async (port, proxy) => {
    await probeDone(proxy);
    const before = proxy.logs().length;
    // Connected, nothing sent either way: the server side's inactivity ends it.
    const got = await new Promise<string>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      let text = '';
      s.on('data', (d: Buffer) => (text += d));
      s.on('end', () => (text += '|FIN'));
      s.on('error', (e: NodeJS.ErrnoException) => (text += `|${e.code}`));
      s.on('close', () => resolve(text));
      s.setTimeout(10_000, () => s.destroy());
    });
    assert.equal(got, '|FIN');
    assert.equal(await logged(proxy, before), 'sD 0 db/s 0');
  });
});

test('send-proxy and alpn on a TLS server in TCP mode: the PROXY header goes first in clear, then the handshake offers the alpn list (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  const pem = fs.readFileSync(certPath('sites/nas.home.arpa.pem'));
  const seen: string[] = [];
  // Reads the PROXY v1 line, then speaks TLS on the same connection.
  const raw = net.createServer((socket) => {
    socket.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      const rest = head.subarray(end + 2);
      if (rest.length > 0) socket.unshift(rest);
      const proxyLine = String(head.subarray(0, end)).replace(/ \d+ \d+$/, ' <ports>');
      const secure = new tls.TLSSocket(socket, { isServer: true, cert: pem, key: pem, ALPNProtocols: ['x-test', 'y-test'] });
      secure.on('secure', () => seen.push(`${proxyLine} alpn=${secure.alpnProtocol}`));
      secure.on('data', (chunk: Buffer) => secure.write(`echo:${chunk}`));
      secure.on('error', () => {});
    };
    socket.on('data', onData);
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const rawPort = (raw.address() as net.AddressInfo).port;
  try {
    await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${rawPort} ssl verify none send-proxy alpn x-test`), async (port, proxy) => {
      await probeDone(proxy);
      const before = seen.length;
      const got = await new Promise<string>((resolve) => {
        const s = net.connect({ port, host: '127.0.0.1' });
        s.once('data', (d: Buffer) => {
          resolve(String(d));
          s.destroy();
        });
        s.on('error', () => resolve('error'));
        s.on('close', () => resolve('closed'));
        s.write('hello');
      });
      assert.equal(got, 'echo:hello');
      assert.deepEqual(seen.slice(before), ['PROXY TCP4 127.0.0.1 127.0.0.1 <ports> alpn=x-test']);
    });
  } finally {
    raw.close();
  }
});

test('loadstar check no longer refuses server … ssl in a TCP-mode backend or listen section', () => {
  const parsed = parseConfig([{ name: 't.cfg', text: `${config(8443, 'server s 127.0.0.1:443 ssl verify none check')}backend tls_tcp
    mode tcp
    server s 127.0.0.1:443 ssl verify required ca-file ${certPath('ca.pem')} sni str(nas.home.arpa)
` }]);
  assert.ok(parsed.ok);
  assert.deepEqual(unsupportedFeatures(parsed.config), []);
});

test('timeout tunnel replaces the client and server timeouts once a TLS server is connected (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  const tunnel = (port: number): string => config(port, `server s 127.0.0.1:${echo.port} ssl verify none`).replace('timeout server 5s', 'timeout server 5s\n    timeout tunnel 300ms');
  await sideBySide(t, tunnel, async (port, proxy) => {
    await probeDone(proxy);
    const before = proxy.logs().length;
    const started = Date.now();
    const got = await new Promise<string>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      let text = '';
      s.on('data', (d: Buffer) => (text += d));
      s.on('end', () => (text += '|FIN'));
      s.on('error', (e: NodeJS.ErrnoException) => (text += `|${e.code}`));
      s.on('close', () => resolve(text));
      s.setTimeout(10_000, () => s.destroy());
      s.write('hello');
    });
    assert.equal(got, 'echo:hello|FIN');
    assert.ok(Date.now() - started < 3000, 'ended by the tunnel timeout, not the 5 s ones');
    // Both sides idle for the same time: the client's side is reported.
    assert.equal(await logged(proxy, before), 'cD 0 db/s 10');
  });
});
