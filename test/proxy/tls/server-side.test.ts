import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import fs from 'node:fs';
import tls from 'node:tls';
import { startEngine, freePort, request, startNamedServer, HTTP_DEFAULTS } from '../../helpers/net.ts';
import type { TestServer } from '../../helpers/net.ts';
import { certPath } from '../../helpers/tls.ts';

/** An HTTPS server with nas.home.arpa's certificate (signed by the test CA) that reports the SNI it got. */
let secure: { port: number; sni: string[]; connections: number; close(): Promise<void> };
let plain: TestServer;

before(async () => {
  const pem = fs.readFileSync(certPath('sites/nas.home.arpa.pem'));
  const sni: string[] = [];
  const state = { connections: 0 };
  const server = https.createServer({ cert: pem, key: pem }, (req, res) => {
    const socket = req.socket as tls.TLSSocket;
    res.setHeader('x-sni', String(socket.servername || '-'));
    res.end(`tls ${req.url}`);
  });
  server.on('secureConnection', (s: tls.TLSSocket) => {
    state.connections++;
    sni.push(String(s.servername || '-'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  secure = {
    port: (server.address() as net.AddressInfo).port,
    sni,
    get connections() { return state.connections; },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
  plain = await startNamedServer('plain');
});
after(async () => {
  await secure.close();
  await plain.close();
});

async function proxyTo(serverLine: string, extra = ''): Promise<Awaited<ReturnType<typeof startEngine>>> {
  const port = await freePort();
  return startEngine(`${HTTP_DEFAULTS}    timeout check 5s
frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
    retries 0
${extra}    ${serverLine}
`);
}

test('server ssl verify required ca-file sni: the certificate is checked against the CA and the SNI sent', async () => {
  const e = await proxyTo(`server s 127.0.0.1:${secure.port} ssl verify required ca-file ${certPath('ca.pem')} sni str(nas.home.arpa)`);
  try {
    const r = await request(e.port, '/a');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'tls /a');
    assert.equal(r.headers['x-sni'], 'nas.home.arpa');
  } finally {
    await e.stop();
  }
});

test('a certificate that does not match verifyhost, or is not signed by ca-file, is refused: 503', async () => {
  const wrongHost = await proxyTo(`server s 127.0.0.1:${secure.port} ssl verify required ca-file ${certPath('ca.pem')} sni str(nas.home.arpa) verifyhost git.home.arpa`);
  try {
    assert.equal((await request(wrongHost.port, '/')).status, 503);
  } finally {
    await wrongHost.stop();
  }
  // legacy.pem is self-signed: it is not a CA of nas.home.arpa's certificate.
  const wrongCa = await proxyTo(`server s 127.0.0.1:${secure.port} ssl verify required ca-file ${certPath('legacy.pem')}`);
  try {
    assert.equal((await request(wrongCa.port, '/')).status, 503);
  } finally {
    await wrongCa.stop();
  }
});

test('verify none accepts any certificate; without sni no server name is sent', async () => {
  const e = await proxyTo(`server s 127.0.0.1:${secure.port} ssl verify none`);
  try {
    const r = await request(e.port, '/');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-sni'], '-');
  } finally {
    await e.stop();
  }
});

test('sni req.hdr(host): each request sends its own name; kept-alive connections are reused per name only', async () => {
  const e = await proxyTo(`server s 127.0.0.1:${secure.port} ssl verify required ca-file ${certPath('ca.pem')} sni req.hdr(host)`);
  try {
    const before = secure.connections;
    const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 1 });
    const nas1 = await request(e.port, '/', { headers: { host: 'nas.home.arpa' }, agent });
    const nas2 = await request(e.port, '/', { headers: { host: 'nas.home.arpa' }, agent });
    assert.equal(nas1.headers['x-sni'], 'nas.home.arpa');
    assert.equal(nas2.headers['x-sni'], 'nas.home.arpa');
    assert.equal(secure.connections - before, 1, 'the second request reused the first TLS connection');
    // The same server under another name fails the host check (its certificate is nas.home.arpa's).
    assert.equal((await request(e.port, '/', { headers: { host: 'other.home.arpa' }, agent })).status, 503);
    agent.destroy();
  } finally {
    await e.stop();
  }
});

/** The server's status once it matches `wanted` and a check result exists (servers start UP before any check). */
async function waitForStatus(e: Awaited<ReturnType<typeof startEngine>>, wanted: RegExp): Promise<string> {
  const deadline = Date.now() + 5000;
  let status = '';
  while (Date.now() < deadline) {
    status = e.engine.backend('be')!.servers[0]!.status;
    if (wanted.test(status) && e.engine.healthChecks()!.checks[0]!.results.last()) return status;
    await new Promise((r) => setTimeout(r, 50));
  }
  return status;
}

test('check-ssl: a TLS server passes with L6OK, a plain one fails with L6RSP; httpchk over TLS gives L7OK', async () => {
  const ok = await proxyTo(`server s 127.0.0.1:${secure.port} check check-ssl verify none inter 1s rise 1 fall 1`);
  try {
    assert.equal(await waitForStatus(ok, /^UP$/), 'UP');
    assert.equal(ok.engine.healthChecks()!.checks[0]!.results.last()?.code, "L6OK");
  } finally {
    await ok.stop();
  }
  const bad = await proxyTo(`server s 127.0.0.1:${plain.port} check check-ssl verify none inter 1s rise 1 fall 1`);
  try {
    assert.equal(await waitForStatus(bad, /^DOWN$/), 'DOWN');
    const last = bad.engine.healthChecks()!.checks[0]!.results.last();
    assert.equal(last?.code, 'L6RSP');
    assert.match(last?.info ?? '', /^SSL handshake failure/);
  } finally {
    await bad.stop();
  }
  const http = await proxyTo(`server s 127.0.0.1:${secure.port} ssl verify required ca-file ${certPath('ca.pem')} check-sni nas.home.arpa sni str(nas.home.arpa) check inter 1s rise 1 fall 1`, '    option httpchk GET /health\n');
  try {
    assert.equal(await waitForStatus(http, /^UP$/), 'UP', 'ssl implies TLS checks to the same address');
    assert.equal(http.engine.healthChecks()!.checks[0]!.results.last()?.code, 'L7OK');
  } finally {
    await http.stop();
  }
});
