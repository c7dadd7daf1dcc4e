import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startNamedServer, startEngine, request, freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';
import type { TestServer } from '../../helpers/net.ts';

async function withEngine(
  frontendLines: string,
  fn: (port: number, app: TestServer) => Promise<void>,
  backendLines = '',
  handler?: http.RequestListener,
): Promise<void> {
  const app = await startNamedServer('app', handler);
  const e = await startEngine(`
userlist admins
    user alice insecure-password s3cret
${HTTP_DEFAULTS}frontend web
    bind 127.0.0.1:${await freePort()}
${frontendLines}
    default_backend app
backend app
${backendLines}
    server s1 127.0.0.1:${app.port}
`);
  try {
    await fn(e.port, app);
  } finally {
    await e.stop();
    await app.close();
  }
}

test('the seed redirect sends plain-HTTP clients to https with a 301', async () => {
  await withEngine('    http-request redirect scheme https code 301 if !{ ssl_fc }', async (port, app) => {
    const r = await request(port, '/login?next=/home', { headers: { host: 'app.home.arpa:8080' } });
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, 'https://app.home.arpa:8080/login?next=/home');
    assert.equal(app.hits, 0);
  });
});

test('redirect location and prefix with drop-query follow HAProxy', async () => {
  await withEngine(`    http-request redirect location /maintenance code 302 if { path_beg /old }
    http-request redirect prefix https://new.home.arpa drop-query code 308 if { path_beg /moved }`, async (port) => {
    const a = await request(port, '/old/page');
    assert.equal(a.status, 302);
    assert.equal(a.headers.location, '/maintenance');
    const b = await request(port, '/moved/x?y=1');
    assert.equal(b.status, 308);
    assert.equal(b.headers.location, 'https://new.home.arpa/moved/x');
  });
});

test('deny answers 403 (or deny_status) and return answers locally', async () => {
  await withEngine(`    acl blocked src 127.0.0.0/8
    http-request return status 200 content-type text/plain string "pong" if { path /ping }
    http-request deny deny_status 429 if blocked { path_beg /api }
    http-request deny if { path /admin }`, async (port, app) => {
    const ping = await request(port, '/ping');
    assert.equal(ping.status, 200);
    assert.equal(ping.body, 'pong');
    assert.equal(ping.headers['content-type'], 'text/plain');
    assert.equal((await request(port, '/api/x')).status, 429);
    const admin = await request(port, '/admin');
    assert.equal(admin.status, 403);
    assert.match(admin.body, /403 Forbidden/);
    assert.equal(app.hits, 0);
    assert.equal((await request(port, '/other')).body, 'app');
  });
});

test('http-request auth with a userlist asks for credentials and lets the right ones through', async () => {
  await withEngine(`    acl authorized http_auth(admins)
    http-request auth realm Lab if !authorized`, async (port) => {
    const anonymous = await request(port, '/');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers['www-authenticate'], 'Basic realm="Lab"');
    const wrong = await request(port, '/', { headers: { authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` } });
    assert.equal(wrong.status, 401);
    const right = await request(port, '/', { headers: { authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` } });
    assert.equal(right.status, 200);
  });
});

test('header rules, set-path and forwardfor shape what the server sees', async () => {
  await withEngine(`    option forwardfor
    http-request set-header X-Real-IP %[src]
    http-request set-path /v2%[path] if { path_beg /api }
    http-request del-header X-Secret
    http-response set-header X-Proxy loadstar
    http-response del-header X-Seen-Xff`, async (port) => {
    const r = await request(port, '/api/items?id=3', { headers: { 'x-secret': 'x' } });
    assert.equal(r.headers['x-seen-url'], '/v2/api/items?id=3');
    assert.equal(r.headers['x-proxy'], 'loadstar');
    assert.equal(r.headers['x-seen-xff'], undefined);
  });
  const seen: http.IncomingHttpHeaders[] = [];
  await withEngine(`    option forwardfor
    http-request set-header X-Real-IP %[src]
    http-request del-header X-Secret`, async (port) => {
    await request(port, '/', { headers: { 'x-secret': 'x' } });
    assert.equal(seen[0]!['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen[0]!['x-real-ip'], '127.0.0.1');
    assert.equal(seen[0]!['x-secret'], undefined);
  }, '', (req, res) => { seen.push(req.headers); res.end('ok'); });
});

test('each request of one keep-alive connection is routed on its own', async () => {
  const a = await startNamedServer('a');
  const b = await startNamedServer('b');
  const e = await startEngine(`
${HTTP_DEFAULTS}frontend web
    bind 127.0.0.1:${await freePort()}
    use_backend be_b if { hdr(host) -i b.home.arpa }
    default_backend be_a
backend be_a
    server a 127.0.0.1:${a.port}
backend be_b
    server b 127.0.0.1:${b.port}
`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const bodies: string[] = [];
    const sockets = new Set<unknown>();
    for (const host of ['a.home.arpa', 'b.home.arpa', 'a.home.arpa', 'b.home.arpa']) {
      bodies.push(await new Promise((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: e.port, path: '/', headers: { host }, agent }, (res) => {
          sockets.add(res.socket);
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
      }));
    }
    assert.deepEqual(bodies, ['a', 'b', 'a', 'b']);
    assert.equal(sockets.size, 1, 'one client connection carried all four requests');
  } finally {
    agent.destroy();
    await e.stop();
    await a.close();
    await b.close();
  }
});
