/**
 * TLS options of `server` lines (configuration.txt §5.2) side by side with HAProxy 2.6.12:
 * protocol versions (`ssl-min-ver`, `ssl-max-ver`, `force-*`, `no-*`, and the global
 * `ssl-default-server-options`), `ciphers` / `ciphersuites`, the client certificate (`crt`),
 * revocation (`crl-file`), and health checks over TLS with the same settings. The origin is
 * Node's TLS server with certificates of its own CA (test/scenarios/certs/server-side/); it
 * answers with the protocol it negotiated and the CN of the client certificate it got. Each
 * case runs on Loadstar against the outcome recorded from haproxy, then on haproxy itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import { parseConfig } from '../../../proxy/config/index.ts';
import { certPath } from '../../helpers/tls.ts';
import { sideBySide, closedRequest } from '../http/lib/side-by-side.ts';
import { startEngine, freePort } from '../../helpers/net.ts';
import { inLanes } from '../../helpers/lanes.ts';

const ORIGIN_CA = certPath('server-side/ca.pem');

interface OriginOptions {
  /** Certificate file under test/scenarios/certs/server-side. Default origin.pem. */
  cert?: string;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  ciphers?: string;
  /** Ask for a client certificate signed by the main test CA (and refuse without one). */
  requireClientCert?: boolean;
}

/** An HTTPS origin answering `<protocol> <client certificate CN or ->`. */
async function startOrigin(options: OriginOptions = {}): Promise<{ port: number; close(): Promise<void> }> {
  const pem = fs.readFileSync(certPath(`server-side/${options.cert ?? 'origin.pem'}`));
  const server = https.createServer({
    cert: pem,
    key: pem,
    ...(options.minVersion ? { minVersion: options.minVersion } : {}),
    ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
    ...(options.ciphers ? { ciphers: options.ciphers } : {}),
    ...(options.requireClientCert ? { requestCert: true, rejectUnauthorized: true, ca: fs.readFileSync(certPath('ca.pem')) } : {}),
  }, (req, res) => {
    const socket = req.socket as tls.TLSSocket;
    const cn = socket.getPeerCertificate()?.subject?.CN;
    res.end(`${socket.getProtocol()} ${cn ?? '-'}`);
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

function config(port: number, serverLine: string, global = ''): string {
  return `global
${global}defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    timeout check 5s
    retries 0
frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
    ${serverLine}
`;
}

/**
 * What a client reads for one GET through the proxy: "status body" (a status alone but for 200s).
 * It waits for the whole answer: `requests` reads no answer within 500 ms as "open", and under CI's
 * load one TLS handshake with the origin once took longer.
 */
async function answer(port: number): Promise<string> {
  const first = await closedRequest(port, '/');
  return first.startsWith('200') ? first : first.slice(0, 3);
}

/**
 * Runs each [server options, expected answer] against `origin` on Loadstar, then on haproxy.
 * The rows are independent (own ports, one request each) and mostly wait, so three run at once.
 */
async function cases(t: test.TestContext, origin: OriginOptions, rows: Array<[string, string, string?]>): Promise<void> {
  const o = await startOrigin(origin);
  try {
    await inLanes(rows, 3, async ([options, expected, global]) => {
      await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${o.port} ${options}`, global), async (port) => {
        assert.equal(await answer(port), expected, options);
      });
    });
  } finally {
    await o.close();
  }
}

test('ssl-min-ver / ssl-max-ver / force-* / no-* bound the version both ways', async (t) => {
  // Recorded from haproxy 2.6.12: a TLS 1.2-only origin.
  await cases(t, { maxVersion: 'TLSv1.2' }, [
    ['ssl verify none', '200 TLSv1.2 -'],
    ['ssl verify none ssl-min-ver TLSv1.3', '503'],
    ['ssl verify none force-tlsv13', '503'],
    // no-tlsv12 alone leaves TLSv1.0 … TLSv1.3 with a hole HAProxy only warns about: OpenSSL gets a min and a max.
    ['ssl verify none no-tlsv12', '200 TLSv1.2 -'],
    ['ssl verify none', '503', '    ssl-default-server-options ssl-min-ver TLSv1.3\n'],
    // The line's own min wins over the global one.
    ['ssl verify none ssl-min-ver TLSv1.2', '200 TLSv1.2 -', '    ssl-default-server-options ssl-min-ver TLSv1.3\n'],
  ]);
  // A TLS 1.3-only origin.
  await cases(t, { minVersion: 'TLSv1.3' }, [
    ['ssl verify none', '200 TLSv1.3 -'],
    ['ssl verify none ssl-max-ver TLSv1.2', '503'],
    ['ssl verify none force-tlsv12', '503'],
    ['ssl verify none no-tlsv13', '503'],
    ['ssl verify none no-tlsv10 no-tlsv11 no-tlsv12', '200 TLSv1.3 -'],
    ['ssl verify none', '503', '    ssl-default-server-options force-tlsv12\n'],
  ]);
});

test('ciphers (TLS ≤ 1.2) and ciphersuites (TLS 1.3) must meet the origin\'s', async (t) => {
  await cases(t, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }, [
    ['ssl verify none ciphers ECDHE-ECDSA-AES128-GCM-SHA256', '200 TLSv1.2 -'],
    ['ssl verify none ciphers ECDHE-ECDSA-AES256-GCM-SHA384', '503'],
    ['ssl verify none', '503', '    ssl-default-server-ciphers ECDHE-ECDSA-CHACHA20-POLY1305\n'],
    // ciphers does not touch TLS 1.3: the origin is TLS 1.2-only, so it fails on ciphers, not on suites.
    ['ssl verify none ciphersuites TLS_CHACHA20_POLY1305_SHA256', '200 TLSv1.2 -'],
  ]);
  await cases(t, { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256' }, [
    ['ssl verify none ciphersuites TLS_AES_128_GCM_SHA256', '200 TLSv1.3 -'],
    ['ssl verify none ciphersuites TLS_CHACHA20_POLY1305_SHA256', '503'],
    // A TLS ≤ 1.2 cipher list does not cap the version: TLS 1.3 still works.
    ['ssl verify none ciphers ECDHE-ECDSA-AES128-GCM-SHA256', '200 TLSv1.3 -'],
  ]);
});

test('crt presents a client certificate the origin sees; without it an origin requiring one refuses', async (t) => {
  await cases(t, { requireClientCert: true }, [
    [`ssl verify none crt ${certPath('client.pem')}`, '200 TLSv1.3 loadstar-client'],
    // In TLS 1.2 the origin refuses within the handshake: 503. (In TLS 1.3 it refuses after the
    // handshake, while the request goes out: haproxy answers 502 SH or 503 depending on timing,
    // Loadstar 502 SH; not compared.)
    ['ssl verify none force-tlsv12', '503'],
    [`ssl verify none crt ${certPath('client.pem')}`, '200 TLSv1.2 loadstar-client', '    ssl-default-server-options force-tlsv12\n'],
  ]);
});

test('crl-file: a revoked origin certificate is refused, a valid one accepted; with verify none the CRL is not used', async (t) => {
  await cases(t, {}, [
    [`ssl verify required ca-file ${ORIGIN_CA} crl-file ${certPath('server-side/crl.pem')}`, '200 TLSv1.3 -'],
  ]);
  await cases(t, { cert: 'revoked.pem' }, [
    [`ssl verify required ca-file ${ORIGIN_CA}`, '200 TLSv1.3 -'],
    [`ssl verify required ca-file ${ORIGIN_CA} crl-file ${certPath('server-side/crl.pem')}`, '503'],
    [`ssl verify none crl-file ${certPath('server-side/crl.pem')}`, '200 TLSv1.3 -'],
  ]);
});

test('no-verifyhost drops the verifyhost of default-server', async () => {
  // HAProxy 2.6.12's parser does not know no-verifyhost (its documentation does): Loadstar only.
  const o = await startOrigin();
  try {
    for (const [line, expected] of [['', '503'], [' no-verifyhost', '200 TLSv1.3 -']] as const) {
      const text = config(await freePort(), `server s 127.0.0.1:${o.port}${line}`)
        .replace('\nbackend be\n', `\nbackend be\n    default-server ssl verify required ca-file ${ORIGIN_CA} sni str(origin.test) verifyhost other.test\n`);
      const e = await startEngine(text);
      try {
        assert.equal(await answer(e.port), expected, line);
      } finally {
        await e.stop();
      }
    }
  } finally {
    await o.close();
  }
});

test('check-ssl checks use the same versions, client certificate and CRL as traffic', async (t) => {
  // A TLS 1.2-only origin requiring a client certificate: the check passes only with both right.
  const o = await startOrigin({ maxVersion: 'TLSv1.2', requireClientCert: true });
  try {
    for (const [options, expected] of [
      [`crt ${certPath('client.pem')}`, 'UP'],
      [`crt ${certPath('client.pem')} ssl-min-ver TLSv1.3`, 'DOWN'],
      ['', 'DOWN'],
    ] as const) {
      await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${o.port} ssl verify none check inter 1s rise 1 fall 1 ${options}`)
        .replace('retries 0\n', 'retries 0\n    option httpchk GET /\n'), async (port) => {
        // Servers start UP; a failing check takes it DOWN (503: no server available). Asked until
        // the expected state shows or 5 s passed, then held for a few more checks.
        const state = async () => ((await answer(port)).startsWith('200') ? 'UP' : 'DOWN');
        for (let deadline = Date.now() + 5000; (await state()) !== expected && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 100));
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(await state(), expected, options);
      });
    }
  } finally {
    await o.close();
  }
});

test('configuration errors name the line as haproxy -c does', () => {
  const parse = (line: string, global = '') => {
    const result = parseConfig([{ name: 'x.cfg', text: `global\n${global}defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\nbackend b\n  server s1 127.0.0.1:8080 ssl verify none ${line}\n` }]);
    return result.diagnostics.map((d) => `${d.severity} ${d.message}`);
  };
  // Recorded from haproxy 2.6.12 -c.
  assert.deepEqual(parse('ssl-min-ver TLSv1.4'), [`alert 'server b/s1' : 'TLSv1.4' : unknown ssl/tls version.`]);
  assert.deepEqual(parse('crt /nonexistent/c.pem'), [`alert 'server b/s1' : unable to stat SSL certificate from file '/nonexistent/c.pem' : No such file or directory.`]);
  assert.deepEqual(parse('ssl-max-ver TLSv1.1 ssl-min-ver TLSv1.2'), [`alert 'server b/s1' : backend 'b': all SSL/TLS versions are disabled for server 's1'.`]);
  assert.deepEqual(parse('force-sslv3'), [`alert 'server b/s1' : backend 'b': all SSL/TLS versions are disabled for server 's1'.`]);
  assert.deepEqual(parse('no-tlsv12 ssl-min-ver TLSv1.0'), [`warning 'server b/s1' : no-sslv3/no-tlsv1x are ignored for this server. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.`]);
  assert.deepEqual(parse('no-tlsv12'), [`warning 'server b/s1' : backend 'b': SSL/TLS versions range not contiguous for server 's1'. Hole find for TLSv1.2. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.`]);
  assert.deepEqual(parse('on-marked-down foo'), [`alert 'server b/s1' : 'on-marked-down' expects 'shutdown-sessions' but got 'foo'.`]);
  assert.deepEqual(parse('on-marked-up x'), [`alert 'server b/s1' : 'on-marked-up' expects 'shutdown-backup-sessions' but got 'x'.`]);
});
