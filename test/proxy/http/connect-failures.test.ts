/**
 * How a failed connection to a server ends an HTTP request, side by side with haproxy 2.6.12
 * (its back_handle_st_cer): `timeout connect` striking (a TLS handshake included) is retried at
 * once, without the turn-around pause an error takes, and the last one is logged sC; a
 * certificate for another name than the SNI sent (CO_ER_SSL_MISMATCH_SNI) is not retried and
 * %rc shows every retry spent. The same rules as TCP mode (test/proxy/tcp/server-tls.test.ts),
 * from the one retry plan (proxy/runtime/retry.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { sideBySide, linesLogged } from './lib/side-by-side.ts';
import type { Proxy } from './lib/side-by-side.ts';
import { certPath } from '../../helpers/tls.ts';

interface Origin {
  port: number;
  /** TCP connections accepted. */
  connections: number;
  close(): Promise<void>;
}

async function origin(server: net.Server): Promise<Origin> {
  const state = { connections: 0 };
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    get connections() { return state.connections; },
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

/** An HTTPS server with nas.home.arpa's certificate, answering 200. */
let secure: Origin;
/** Accepts TCP connections and never answers a ClientHello. */
let silent: Origin;

before(async () => {
  const pem = fs.readFileSync(certPath('sites/nas.home.arpa.pem'));
  secure = await origin(tls.createServer({ cert: pem, key: pem }, (s) => {
    s.on('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'));
    s.on('error', () => {});
  }));
  silent = await origin(net.createServer(() => {}));
});
after(async () => {
  await secure.close();
  await silent.close();
});

function config(port: number, serverLine: string): string {
  return `defaults
    mode http
    timeout connect 300ms
    timeout client 5s
    timeout server 5s
listen web
    bind 127.0.0.1:${port}
    retries 2
    log stdout format raw local0
    log-format "%ts %rc %b/%s %ST"
    ${serverLine}
`;
}

/** One GET; the answer's status once it came ('none' when the connection closed without one). */
function get(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.length >= 12) {
        s.destroy();
        resolve(got.slice(9, 12));
      }
    });
    s.on('error', () => {});
    s.on('close', () => resolve('none'));
    s.setTimeout(10_000, () => s.destroy());
  });
}

async function lastLine(proxy: Proxy, before: number): Promise<string> {
  return (await linesLogged(proxy, before + 1)).at(-1) ?? '(no log line)';
}

test('HTTP mode: a connection timing out is retried at once (no turn-around pause), the last one logged sC with a 503 (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${silent.port} ssl verify none`), async (port, proxy) => {
    const before = proxy.logs().length;
    const attempts = silent.connections;
    const started = Date.now();
    assert.equal(await get(port), '503');
    const took = Date.now() - started;
    assert.equal(await lastLine(proxy, before), 'sC 2 web/s 503');
    assert.equal(silent.connections - attempts, 3, 'the first attempt and 2 retries');
    // Three timeouts of 300 ms, without the pause an error would add (2 × 300 ms more).
    assert.ok(took < 1400, `took ${took} ms`);
  });
});

test('HTTP mode: a certificate for another name than the SNI sent is not retried (CO_ER_SSL_MISMATCH_SNI), %rc shows every retry spent (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${secure.port} ssl verify required ca-file ${certPath('ca.pem')} sni str(git.home.arpa)`), async (port, proxy) => {
    const before = proxy.logs().length;
    const attempts = secure.connections;
    assert.equal(await get(port), '503');
    assert.equal(await lastLine(proxy, before), 'SC 2 web/s 503');
    assert.equal(secure.connections - attempts, 1, 'one attempt only');
  });
});

test('HTTP mode: a certificate not signed by ca-file is retried after the pause, then SC (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${secure.port} ssl verify required ca-file ${certPath('legacy.pem')}`), async (port, proxy) => {
    const before = proxy.logs().length;
    const attempts = secure.connections;
    const started = Date.now();
    assert.equal(await get(port), '503');
    const took = Date.now() - started;
    assert.equal(await lastLine(proxy, before), 'SC 2 web/s 503');
    assert.equal(secure.connections - attempts, 3, 'the first attempt and 2 retries');
    assert.ok(took >= 550, `two pauses of min(timeout connect, 1s): took ${took} ms`);
  });
});

/** Sends a GET, and 200 ms later resets the connection. */
function getThenReset(port: number): void {
  const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
  s.on('error', () => {});
  setTimeout(() => s.resetAndDestroy(), 200);
}

for (const option of ['', 'option abortonclose']) {
  test(`HTTP mode: a client that resets while its server is being connected: ${option ? 'given up at once, CC, with option abortonclose' : 'the attempts go on without option abortonclose, sC'} (haproxy 2.6.12)`, { timeout: 60_000 }, async (t) => {
    await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${silent.port} ssl verify none`).replace('    retries 2\n', `    retries 2\n    ${option}\n`), async (port, proxy) => {
      // sideBySide's probe connection has no request: nothing is connected for it.
      const before = proxy.logs().length;
      const attempts = silent.connections;
      const started = Date.now();
      getThenReset(port);
      const line = await lastLine(proxy, before);
      const took = Date.now() - started;
      if (option) {
        assert.equal(line, 'CC 0 web/s -1');
        assert.ok(took < 450, `logged ${took} ms after the request, before the attempt's timeout`);
        await new Promise((r) => setTimeout(r, 800));
        assert.equal(silent.connections - attempts, 1, 'no retry');
      } else {
        assert.equal(line, 'sC 2 web/s 503');
        assert.equal(silent.connections - attempts, 3);
      }
    });
  });
}
