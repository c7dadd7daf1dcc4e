import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { startNamedServer, startEngine, freePort, rawExchange } from '../../helpers/net.ts';
import type { TestServer } from '../../helpers/net.ts';
import { readScenario } from '../../helpers/scenarios.ts';
import { certPath, tlsRequest, presentedCertificate, h2Requests } from '../../helpers/tls.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';

let web: TestServer;
before(async () => {
  web = await startNamedServer('web', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('x-server', 'web');
      res.setHeader('x-seen-proto', String(req.headers['x-forwarded-proto'] ?? ''));
      res.setHeader('x-seen-sni', String(req.headers['x-sni'] ?? ''));
      res.setHeader('x-seen-tls', String(req.headers['x-tls'] ?? ''));
      res.setHeader('x-seen-host', String(req.headers.host ?? ''));
      res.setHeader('x-seen-version', req.httpVersion);
      res.end(`${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`);
    });
  });
});
after(() => web.close());

const defaults = `defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
`;

test('SNI picks the certificate whose names match (exact, SAN, wildcard), the first crt otherwise', async () => {
  const port = await freePort();
  const e = await startEngine(`${defaults}
frontend fe
    bind 127.0.0.1:${port} ssl crt ${certPath('site.pem')} crt ${certPath('sites')}
    default_backend be
backend be
    server web 127.0.0.1:${web.port}
`);
  try {
    const cn = async (name: string | undefined) => (await presentedCertificate(port, name)).cn;
    assert.equal(await cn('nas.home.arpa'), 'nas.home.arpa');
    assert.equal(await cn('media.home.arpa'), 'media.home.arpa');
    assert.equal(await cn('JELLYFIN.home.arpa'), 'media.home.arpa', 'a SAN, any case');
    assert.equal(await cn('git.home.arpa'), 'git.home.arpa');
    assert.equal(await cn('printer.home.arpa'), 'site.home.arpa', '*.home.arpa of site.pem');
    assert.equal(await cn('a.b.home.arpa'), 'site.home.arpa', 'no match (a wildcard covers one label): the default');
    assert.equal(await cn('unknown.test'), 'site.home.arpa', 'the first crt is the default');
    assert.equal(await cn(undefined), 'site.home.arpa', 'no SNI: the default');
    // A verifying client (CA only, host name checked) gets the page through the proxy.
    const answer = await tlsRequest(port, 'nas.home.arpa', 'GET /hello HTTP/1.1\r\nhost: nas.home.arpa\r\nconnection: close\r\n\r\n');
    assert.match(answer.response, /^HTTP\/1\.1 200 /);
    assert.match(answer.response, /GET \/hello $/m);
  } finally {
    await e.stop();
  }
});

test('crt-list: SNI filters replace the certificate names, a negative filter excludes a name from the wildcard, per-line alpn', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-crtlist-'));
  const list = path.join(dir, 'list.txt');
  fs.writeFileSync(list, [
    '# comment line',
    `${certPath('site.pem')} [alpn h2,http/1.1] *.home.arpa !legacy.home.arpa`,
    '',
    `${certPath('sites/media.home.arpa.pem')} [alpn http/1.1] media.home.arpa jellyfin.home.arpa`,
    `${certPath('legacy.pem')} legacy.home.arpa`,
    `${certPath('api.test.pem')} other.test`,
  ].join('\n'));
  const port = await freePort();
  const e = await startEngine(`${defaults}
frontend fe
    bind 127.0.0.1:${port} ssl crt-list ${list} alpn h2,http/1.1
    default_backend be
backend be
    server web 127.0.0.1:${web.port}
`);
  try {
    const offer = { ALPNProtocols: ['h2', 'http/1.1'] };
    const nas = await presentedCertificate(port, 'nas.home.arpa', offer);
    assert.deepEqual([nas.cn, nas.alpn], ['site.home.arpa', 'h2']);
    const media = await presentedCertificate(port, 'media.home.arpa', offer);
    assert.deepEqual([media.cn, media.alpn], ['media.home.arpa', 'http/1.1'], 'the line allows http/1.1 only');
    assert.equal((await presentedCertificate(port, 'legacy.home.arpa')).cn, 'legacy.home.arpa', '!legacy excludes it from *.home.arpa');
    assert.equal((await presentedCertificate(port, 'other.test')).cn, 'api.test', 'the filter replaces the names of the certificate');
    assert.equal((await presentedCertificate(port, 'api.test')).cn, 'site.home.arpa', 'api.test is not a filter of any line: the first line');
  } finally {
    await e.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the seed TLS configuration serves HTTPS; with a plain bind added, http:// is redirected to https:// with 301', async () => {
  const seed = readScenario('seed/seed-2-tls-redirect.cfg')
    .replace('/etc/haproxy/certs/my-app.pem', certPath('site.pem'))
    .replace(/server webserver1 \S+/, `server webserver1 127.0.0.1:${web.port}`)
    .replace(/server webserver2 \S+/, `server webserver2 127.0.0.1:${web.port}`);
  const tlsPort = await freePort();
  const plainPort = await freePort();
  const verbatim = seed.replace('bind *:443', `bind 127.0.0.1:${tlsPort}`);
  const e = await startEngine(`${defaults}\n${verbatim}`);
  try {
    const answer = await tlsRequest(tlsPort, 'site.home.arpa', 'GET /app?x=1 HTTP/1.1\r\nhost: site.home.arpa\r\nconnection: close\r\n\r\n');
    assert.match(answer.response, /^HTTP\/1\.1 200 /);
    assert.match(answer.response, /GET \/app\?x=1 $/m);
  } finally {
    await e.stop();
  }
  const withPlain = verbatim.replace(/(bind 127\.0\.0\.1:\d+ ssl .*\n)/, `$1    bind 127.0.0.1:${plainPort}\n    http-request set-header X-Forwarded-Proto https if { ssl_fc }\n`);
  const e2 = await startEngine(`${defaults}\n${withPlain}`);
  try {
    const plain = await rawExchange(plainPort, 'GET /app?x=1 HTTP/1.1\r\nhost: site.home.arpa\r\nconnection: close\r\n\r\n');
    assert.match(plain, /^HTTP\/1\.1 301 Moved Permanently\r\n/);
    assert.match(plain, /\r\nlocation: https:\/\/site\.home\.arpa\/app\?x=1\r\n/i);
    const secure = await tlsRequest(tlsPort, 'site.home.arpa', 'GET / HTTP/1.1\r\nhost: site.home.arpa\r\nconnection: close\r\n\r\n');
    assert.match(secure.response, /^HTTP\/1\.1 200 /);
    assert.match(secure.response, /\r\nx-seen-proto: https\r\n/i);
  } finally {
    await e2.stop();
  }
});

test('ssl_fc, ssl_fc_sni, ssl_fc_protocol and ssl_fc_cipher reach the rules', async () => {
  const port = await freePort();
  const e = await startEngine(`${defaults}
frontend fe
    bind 127.0.0.1:${port} ssl crt ${certPath('sites')} ssl-min-ver TLSv1.2
    http-request set-header X-SNI %[ssl_fc_sni]
    http-request set-header X-TLS "%[ssl_fc] %[ssl_fc_protocol] %[ssl_fc_cipher]"
    default_backend be
backend be
    server web 127.0.0.1:${web.port}
`);
  try {
    const tls13 = await tlsRequest(port, 'git.home.arpa', 'GET / HTTP/1.1\r\nhost: git.home.arpa\r\nconnection: close\r\n\r\n');
    assert.match(tls13.response, /\r\nx-seen-sni: git\.home\.arpa\r\n/i);
    assert.match(tls13.response, /\r\nx-seen-tls: 1 TLSv1\.3 TLS_AES_\d+_GCM_SHA\d+\r\n/i);
    const tls12 = await tlsRequest(port, 'git.home.arpa', 'GET / HTTP/1.1\r\nhost: git.home.arpa\r\nconnection: close\r\n\r\n', { maxVersion: 'TLSv1.2' });
    assert.match(tls12.response, /\r\nx-seen-tls: 1 TLSv1\.2 ECDHE-ECDSA-[A-Z0-9-]+\r\n/i);
  } finally {
    await e.stop();
  }
});

test('alpn h2,http/1.1: an HTTP/2 client is routed and rewritten like an HTTP/1.1 client on the same bind', async () => {
  const port = await freePort();
  const e = await startEngine(`${defaults}
frontend fe
    bind 127.0.0.1:${port} ssl crt ${certPath('site.pem')} alpn h2,http/1.1
    option httplog
    log stdout format raw local0
    http-request set-header X-Forwarded-Proto https if { ssl_fc }
    use_backend api if { path_beg /api }
    default_backend be
backend be
    server web 127.0.0.1:${web.port}
backend api
    http-request return status 200 content-type text/plain string "api says hi"
`);
  try {
    const h2 = await h2Requests(port, 'site.home.arpa', [
      { path: '/page?q=1' },
      { path: '/form', method: 'POST', body: 'name=value' },
      { path: '/api/x' },
    ]);
    assert.equal(h2.alpn, 'h2');
    const [page, form, api] = h2.answers;
    assert.equal(page!.status, 200);
    assert.equal(page!.body, 'GET /page?q=1 ');
    assert.equal(page!.headers['x-seen-proto'], 'https');
    assert.equal(page!.headers['x-seen-host'], `site.home.arpa:${port}`, ':authority becomes Host');
    assert.equal(page!.headers['x-seen-version'], '1.1', 'forwarded to the server as HTTP/1.1');
    assert.equal(form!.body, 'POST /form name=value');
    assert.equal(api!.body, 'api says hi');
    // HAProxy 2.6 logs an h2 request's URI in absolute form (:scheme://:authority:path).
    assert.ok(e.logs.some((l) => l.endsWith(` "GET https://site.home.arpa:${port}/page?q=1 HTTP/2.0"`)), `log lines show HTTP/2.0:\n${e.logs.join('\n')}`);
    // An HTTP/1.1-only client on the same bind.
    const h1 = await tlsRequest(port, 'site.home.arpa', 'GET /page HTTP/1.1\r\nhost: site.home.arpa\r\nconnection: close\r\n\r\n', { ALPNProtocols: ['http/1.1'] });
    assert.equal(h1.alpn, 'http/1.1');
    assert.match(h1.response, /^HTTP\/1\.1 200 /);
    const noAlpn = await tlsRequest(port, 'site.home.arpa', 'GET /page HTTP/1.1\r\nhost: site.home.arpa\r\nconnection: close\r\n\r\n');
    assert.equal(noAlpn.alpn, false);
    assert.match(noAlpn.response, /GET \/page $/m);
  } finally {
    await e.stop();
  }
});

test('a bind without alpn never offers h2', async () => {
  const port = await freePort();
  const e = await startEngine(`${defaults}
frontend fe
    bind 127.0.0.1:${port} ssl crt ${certPath('site.pem')}
    default_backend be
backend be
    server web 127.0.0.1:${web.port}
`);
  try {
    assert.equal((await presentedCertificate(port, 'site.home.arpa', { ALPNProtocols: ['h2', 'http/1.1'] })).alpn, false);
  } finally {
    await e.stop();
  }
});

test('a certificate replaced on disk is served to new connections without a restart; open connections keep working', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-certswap-'));
  const file = path.join(dir, 'current.pem');
  fs.copyFileSync(certPath('sites/nas.home.arpa.pem'), file);
  const port = await freePort();
  const e = await startEngine(`${defaults}
frontend fe
    bind 127.0.0.1:${port} ssl crt ${file}
    default_backend be
backend be
    server web 127.0.0.1:${web.port}
`);
  const tls = await import('node:tls');
  const { testCa } = await import('../../helpers/tls.ts');
  const open = tls.connect({ host: '127.0.0.1', port, servername: 'nas.home.arpa', ca: testCa });
  try {
    await new Promise<void>((r, j) => { open.once('secureConnect', () => r()); open.once('error', j); });
    assert.equal((await presentedCertificate(port, 'x.test')).cn, 'nas.home.arpa');
    // Replaced the way renewal tools do it: a new file renamed over the old one.
    fs.copyFileSync(certPath('sites/git.home.arpa.pem'), `${file}.new`);
    fs.renameSync(`${file}.new`, file);
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    e.engine.refreshCertificates();
    assert.equal((await presentedCertificate(port, 'x.test')).cn, 'git.home.arpa');
    // A broken replacement (truncated) is refused; the last good certificate stays.
    fs.writeFileSync(file, fs.readFileSync(certPath('sites/media.home.arpa.pem'), 'latin1').slice(0, 300));
    fs.utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    e.engine.refreshCertificates();
    assert.equal((await presentedCertificate(port, 'x.test')).cn, 'git.home.arpa');
    assert.ok(e.alerts.some((a) => a.includes('cannot be used, keeping the previous ones')), e.alerts.join('\n'));
    // The connection opened before the changes still serves requests.
    const reply = await new Promise<string>((resolve) => {
      let data = '';
      open.on('data', (c: Buffer) => (data += c.toString()));
      open.on('close', () => resolve(data));
      open.write('GET /still HTTP/1.1\r\nhost: nas.home.arpa\r\nconnection: close\r\n\r\n');
    });
    assert.match(reply, /GET \/still $/m);
  } finally {
    open.destroy();
    await e.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('ssl-load-extra-del-ext: site.crt takes its key from site.key; ssl-load-extra-files without key refuses it (as haproxy 2.6.12)', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-crtkey-'));
  const pem = fs.readFileSync(certPath('site.pem'), 'latin1');
  const keyAt = pem.indexOf('-----BEGIN PRIVATE KEY-----');
  fs.writeFileSync(path.join(dir, 'site.crt'), keyAt > 0 ? pem.slice(0, keyAt) : pem.replace(/-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----\n?/, ''));
  fs.writeFileSync(path.join(dir, 'site.key'), /-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----\n/.exec(pem)![0], { mode: 0o600 });
  const config = (globals: string, port: number) => `global
${globals}
${defaults}
frontend fe
    bind 127.0.0.1:${port} ssl crt ${path.join(dir, 'site.crt')}
    default_backend be
backend be
    server web 127.0.0.1:${web.port}
`;
  try {
    for (const name of ['Loadstar', 'haproxy']) {
      if (name === 'haproxy' && !requireHaproxy(t)) break;
      const port = await freePort();
      const text = config('    ssl-load-extra-del-ext', port);
      const proxy = name === 'haproxy' ? await startHaproxy(text, port) : await startEngine(text);
      try {
        assert.equal((await presentedCertificate(port, 'site.home.arpa')).cn, 'site.home.arpa', name);
      } finally {
        await proxy.stop();
      }
    }
    // Without the option the companion would be site.crt.key; with key left out of the extra files there is none.
    for (const globals of ['', '    ssl-load-extra-del-ext\n    ssl-load-extra-files bundle ocsp']) {
      await assert.rejects(startEngine(config(globals, await freePort())), /No Private Key found in '.*site\.crt'/);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an unusable certificate stops the start with the file and the bind line named', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-badcert-'));
  const cases: Array<[string, string | Buffer, RegExp]> = [
    ['cert-only.pem', fs.readFileSync(certPath('site.pem'), 'latin1').replace(/-----BEGIN PRIVATE KEY-----[\s\S]*$/, ''), /No Private Key found in '.*cert-only\.pem' nor in '.*cert-only\.pem\.key'/],
    ['mismatch.pem', fs.readFileSync(certPath('site.pem'), 'latin1').replace(/-----BEGIN PRIVATE KEY-----[\s\S]*$/, '') + fs.readFileSync(certPath('api.test.pem'), 'latin1').replace(/^[\s\S]*(?=-----BEGIN PRIVATE KEY-----)/, ''), /inconsistencies between private key and certificate loaded from PEM file '.*mismatch\.pem'/],
    ['binary.der', Buffer.from([0x30, 0x82, 0x01, 0x0a, 0x02, 0x82]), /unable to load SSL certificate from PEM file '.*binary\.der' \(no PEM certificate in it: is it DER\?\)/],
  ];
  try {
    for (const [name, content, message] of cases) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content);
      const port = await freePort();
      await assert.rejects(startEngine(`${defaults}
frontend fe
    bind 127.0.0.1:${port} ssl crt ${file}
    default_backend be
backend be
    server web 127.0.0.1:${web.port}
`), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'LS_ERR_TLS_LOAD');
        assert.match(err.message, /^\[test\.cfg:8\] : /);
        assert.match(err.message, message);
        return true;
      });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an HTTP/2 client may open at most 100 concurrent streams (HAProxy\'s tune.h2.max-concurrent-streams default)', async () => {
  const port = await freePort();
  const e = await startEngine(`${defaults}
frontend fe
    bind 127.0.0.1:${port} ssl crt ${certPath('site.pem')} alpn h2
    default_backend be
backend be
    server web 127.0.0.1:${web.port}
`);
  const http2 = await import('node:http2');
  const { testCa } = await import('../../helpers/tls.ts');
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca: testCa, servername: 'site.home.arpa' });
  try {
    const settings = await new Promise<{ maxConcurrentStreams?: number }>((resolve, reject) => {
      session.once('remoteSettings', resolve);
      session.once('error', reject);
    });
    assert.equal(settings.maxConcurrentStreams, 100);
  } finally {
    session.close();
    await e.stop();
  }
});

/** The cipher a TLS client with this version range and cipher order negotiates (no request). */
function negotiatedCipher(port: number, options: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'site.home.arpa', rejectUnauthorized: false, ...options }, () => {
      resolve(s.getCipher().name);
      s.destroy();
    });
    s.on('error', reject);
  });
}

const CLIENT_ORDERS: Array<[string, tls.ConnectionOptions]> = [
  ['TLS 1.2, Node\'s client order', { maxVersion: 'TLSv1.2' }],
  ['TLS 1.2, AES-128 first', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384' }],
  ['TLS 1.2, ChaCha20 first', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384' }],
  ['TLS 1.3, ChaCha20 first', { minVersion: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384' }],
  ['TLS 1.3, AES-128 first', { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384' }],
];

const cipherConfig = (port: number, crt: string) => `${defaults}
frontend fe
    bind 127.0.0.1:${port} ssl crt ${certPath(crt)}
    default_backend be
backend be
    server web 127.0.0.1:${web.port}
`;

test('no ciphers configured: TLS 1.2 clients get AES-256-GCM (OpenSSL\'s default list, the server\'s order), ChaCha20 when they prefer it', async () => {
  const port = await freePort();
  const e = await startEngine(cipherConfig(port, 'site.pem'));
  try {
    assert.equal(await negotiatedCipher(port, CLIENT_ORDERS[1]![1]), 'ECDHE-ECDSA-AES256-GCM-SHA384');
    assert.equal(await negotiatedCipher(port, CLIENT_ORDERS[2]![1]), 'ECDHE-ECDSA-CHACHA20-POLY1305');
    assert.equal(await negotiatedCipher(port, CLIENT_ORDERS[3]![1]), 'TLS_CHACHA20_POLY1305_SHA256');
  } finally {
    await e.stop();
  }
});

test('no ciphers configured: the same cipher as HAProxy 2.6 for each client order, EC and RSA certificates', async (t) => {
  if (!requireHaproxy(t)) return;
  for (const crt of ['site.pem', 'legacy.pem']) {
    const lsPort = await freePort();
    const haPort = await freePort();
    const e = await startEngine(cipherConfig(lsPort, crt));
    const h = await startHaproxy(cipherConfig(haPort, crt), haPort);
    try {
      for (const [name, options] of CLIENT_ORDERS) {
        assert.equal(await negotiatedCipher(lsPort, options), await negotiatedCipher(haPort, options), `${crt}, ${name}`);
      }
    } finally {
      await h.stop();
      await e.stop();
    }
  }
});
