/**
 * `option http-use-proxy-header` (HAProxy 2.6's TX_USE_PX_CONN): a request whose target begins with
 * neither `/` nor `*` came to a forward proxy, so its credentials are read from Proxy-Authorization
 * and `http-request auth` / `stats auth` answer 407 with `proxy-authenticate`; other requests, and
 * every request of a frontend without the option, use Authorization and 401. The same requests go
 * to Loadstar and to haproxy 2.6 with the same configuration: the answers must be the same bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { startEngine, rawExchange, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';

const ALICE = Buffer.from('alice:secret').toString('base64');
const BOB = Buffer.from('bob:pw').toString('base64');

function config(ports: { proxy: number; plain: number; stats: number; h2: number }): string {
  const answer = 'http-request return status 200 content-type text/plain lf-string "user=%[http_auth_user] type=%[http_auth_type] pass=%[http_auth_pass] bearer=%[http_auth_bearer] group=%[http_auth_group(ul)]\\n"';
  return `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
userlist ul
    group admins users alice
    user alice insecure-password secret
frontend proxied
    bind 127.0.0.1:${ports.proxy}
    option http-use-proxy-header
    http-request auth realm Forward unless { http_auth(ul) }
    ${answer}
frontend plain
    bind 127.0.0.1:${ports.plain}
    http-request auth realm Origin unless { http_auth(ul) }
    ${answer}
listen stats
    bind 127.0.0.1:${ports.stats}
    option http-use-proxy-header
    stats enable
    stats uri /
    stats auth bob:pw
frontend h2
    bind 127.0.0.1:${ports.h2} proto h2
    option http-use-proxy-header
    http-request auth realm H2 unless { http_auth(ul) }
    ${answer}
`;
}

const TARGETS = ['GET /x', 'GET http://site.test/x', 'OPTIONS *', 'CONNECT site.test:443'];
const CREDENTIALS = ['', `Authorization: Basic ${ALICE}\r\n`, `Proxy-Authorization: Basic ${ALICE}\r\n`, 'Proxy-Authorization: Bearer tok3n\r\n'];

/** Every target × credential on a port, and the stats page's, as raw answers (the Date-free bytes both send). */
async function exchanges(ports: { proxy: number; plain: number; stats: number }): Promise<Record<string, string>> {
  const seen: Record<string, string> = {};
  for (const [name, port] of [['proxied', ports.proxy], ['plain', ports.plain]] as const) {
    for (const target of TARGETS) {
      for (const credential of CREDENTIALS) {
        const key = `${name} ${target} [${credential.trim()}]`;
        seen[key] = await rawExchange(port, `${target} HTTP/1.1\r\nHost: site.test\r\n${credential}Connection: close\r\n\r\n`);
      }
    }
  }
  for (const target of ['GET /', 'GET http://stats.test/']) {
    for (const credential of ['', `Authorization: Basic ${BOB}\r\n`, `Proxy-Authorization: Basic ${BOB}\r\n`]) {
      const answer = await rawExchange(ports.stats, `${target} HTTP/1.1\r\nHost: stats.test\r\n${credential}Connection: close\r\n\r\n`);
      // The page itself differs (Loadstar's is its own); its status line and challenge are compared.
      seen[`stats ${target} [${credential.trim()}]`] = answer.split('\r\n').filter((l) => /^HTTP\/|authenticate/i.test(l)).join('\n');
    }
  }
  return seen;
}

/** An HTTP/2 request (prior knowledge): HAProxy holds its URI in absolute form, so it counts as a forward proxy's. */
async function h2Statuses(port: number): Promise<string[]> {
  const client = http2.connect(`http://127.0.0.1:${port}`);
  try {
    const out: string[] = [];
    for (const credential of [{}, { authorization: `Basic ${ALICE}` }, { 'proxy-authorization': `Basic ${ALICE}` }]) {
      out.push(await new Promise<string>((resolve, reject) => {
        const req = client.request({ ':path': '/x', ':authority': 'site.test', ...credential });
        let body = '';
        let head = '';
        req.on('response', (h) => (head = `${h[':status']} ${h['www-authenticate'] ?? ''}${h['proxy-authenticate'] ?? ''}`));
        req.setEncoding('utf8');
        req.on('data', (d: string) => (body += d));
        req.on('end', () => resolve(`${head} ${head.startsWith('200') ? body.trim() : ''}`));
        req.on('error', reject);
        req.end();
      }));
    }
    return out;
  } finally {
    client.close();
  }
}

async function ports(): Promise<{ proxy: number; plain: number; stats: number; h2: number }> {
  return { proxy: await freePort(), plain: await freePort(), stats: await freePort(), h2: await freePort() };
}

test('option http-use-proxy-header: forward-proxy requests authenticate with Proxy-Authorization and get 407, as in HAProxy 2.6', async (t) => {
  const p = await ports();
  const e = await startEngine(config(p));
  let loadstar: Record<string, string>;
  let loadstarH2: string[];
  try {
    loadstar = await exchanges(p);
    loadstarH2 = await h2Statuses(p.h2);
  } finally {
    await e.stop();
  }
  // What the option changes, spelled out (the comparison below is against haproxy, where installed).
  assert.match(loadstar[`proxied GET http://site.test/x []`]!, /^HTTP\/1\.1 407 Unauthorized\r\n[^]*\r\nproxy-authenticate: Basic realm="Forward"\r\n[^]*\r\n\r\n<html><body><h1>407 Unauthorized<\/h1>/);
  assert.match(loadstar[`proxied GET http://site.test/x [Authorization: Basic ${ALICE}]`]!, /^HTTP\/1\.1 407 /);
  assert.match(loadstar[`proxied GET http://site.test/x [Proxy-Authorization: Basic ${ALICE}]`]!, /\r\n\r\nuser=alice type=Basic pass=secret bearer= group=alice\n$/);
  assert.match(loadstar[`proxied CONNECT site.test:443 [Proxy-Authorization: Basic ${ALICE}]`]!, /^HTTP\/1\.1 200 /);
  assert.match(loadstar[`proxied GET /x [Proxy-Authorization: Basic ${ALICE}]`]!, /^HTTP\/1\.1 401 Unauthorized\r\n[^]*\r\nwww-authenticate: Basic realm="Forward"\r\n/);
  assert.match(loadstar[`proxied OPTIONS * [Authorization: Basic ${ALICE}]`]!, /^HTTP\/1\.1 200 /);
  assert.match(loadstar[`plain GET http://site.test/x [Proxy-Authorization: Basic ${ALICE}]`]!, /^HTTP\/1\.1 401 /);
  assert.match(loadstar[`plain GET http://site.test/x [Authorization: Basic ${ALICE}]`]!, /^HTTP\/1\.1 200 /);
  assert.equal(loadstar[`stats GET http://stats.test/ []`], 'HTTP/1.1 407 Unauthorized\nproxy-authenticate: Basic realm="HAProxy Statistics"');
  assert.equal(loadstar[`stats GET http://stats.test/ [Proxy-Authorization: Basic ${BOB}]`], 'HTTP/1.1 200 OK');
  assert.equal(loadstar[`stats GET / [Authorization: Basic ${BOB}]`], 'HTTP/1.1 200 OK');
  assert.deepEqual(loadstarH2, ['407 Basic realm="H2" ', '407 Basic realm="H2" ', '200  user=alice type=Basic pass=secret bearer= group=alice']);

  if (!requireHaproxy(t)) return;
  const q = await ports();
  const h = await startHaproxy(config(q), q.proxy);
  let haproxy: Record<string, string>;
  let haproxyH2: string[];
  try {
    haproxy = await exchanges(q);
    haproxyH2 = await h2Statuses(q.h2);
  } finally {
    await h.stop();
  }
  const differing = Object.keys(haproxy).filter((k) => loadstar[k] !== haproxy[k]).map((k) => ({ request: k, loadstar: loadstar[k], haproxy: haproxy[k] }));
  assert.deepEqual(differing, []);
  assert.deepEqual(loadstarH2, haproxyH2);
});
