/**
 * The same configuration and the same 200 varied requests sent to real HAProxy
 * and to Loadstar land on the same backend and server, request by request
 * (ACL routing and the deterministic algorithms). Both proxies report their
 * choice with `http-response set-header X-Route %b/%s`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startNamedServer, startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';

function configText(port: number, origin: number): string {
  const servers = (prefix: string, weights: number[]) =>
    weights.map((w, i) => `    server ${prefix}${i + 1} 127.0.0.1:${origin} weight ${w}`).join('\n');
  return `global
    nbthread 1
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend web
    bind 127.0.0.1:${port}
    http-response set-header X-Route %b/%s
    acl is_api hdr(host) -i api.example.com
    acl is_static path_beg /static/ /assets/
    acl is_img path_end .png .jpg
    acl by_user url_param(user) -m found
    acl is_post method POST
    acl has_beta hdr_sub(x-features) -i beta
    acl v2 path_reg ^/api/v2/
    use_backend api_v2 if is_api v2
    use_backend api if is_api
    use_backend static if is_static || is_img
    use_backend users if by_user
    use_backend beta if has_beta !is_post
    use_backend writes if is_post
    default_backend web

backend web
    balance roundrobin
${servers('web', [1, 2, 3])}
backend api
    balance static-rr
${servers('api', [2, 1])}
backend api_v2
    balance leastconn
${servers('v2-', [1, 1, 1])}
backend static
    balance uri
${servers('st', [1, 1, 1, 1])}
backend users
    balance url_param user
    hash-type consistent
${servers('u', [1, 1, 1])}
backend beta
    balance hdr(x-tenant)
${servers('b', [1, 2])}
backend writes
    balance first
${servers('w', [1, 1])}
`;
}

/** 200 requests mixing hosts, paths, query strings, headers and methods, the same every run. */
function requests(): Array<{ method: string; path: string; headers: Record<string, string> }> {
  const out = [];
  let seed = 42;
  const next = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), (seed >>> 12) % n);
  const hosts = ['www.example.com', 'api.example.com', 'API.EXAMPLE.COM', 'shop.example.com'];
  const paths = ['/', '/static/app.js', '/assets/x.css', '/img/logo.png', '/photo.jpg', '/api/v1/items', '/api/v2/items', '/account', '/search?q=x', '/static/deep/a/b.js'];
  for (let i = 0; i < 200; i++) {
    const headers: Record<string, string> = { host: hosts[next(hosts.length)]! };
    let path = paths[next(paths.length)]!;
    if (next(5) === 0) path += (path.includes('?') ? '&' : '?') + `user=u${next(50)}`;
    if (next(6) === 0) headers['x-features'] = next(2) ? 'alpha,BETA' : 'gamma';
    if (next(3) === 0) headers['x-tenant'] = `t${next(20)}`;
    out.push({ method: next(8) === 0 ? 'POST' : 'GET', path, headers });
  }
  return out;
}

async function routes(port: number): Promise<string[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const seen: string[] = [];
  for (const r of requests()) {
    seen.push(await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers: r.headers, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(`${r.method} ${r.headers.host}${r.path} -> ${res.headers['x-route']} (${res.statusCode})`));
      });
      req.on('error', reject);
      req.end(r.method === 'POST' ? 'payload' : undefined);
    }));
  }
  agent.destroy();
  return seen;
}

test('200 varied requests reach the same backend and server through HAProxy and Loadstar', async (t) => {
  if (!requireHaproxy(t)) return;
  const origin = await startNamedServer('origin');
  try {
    const haproxyPort = await freePort();
    const haproxy = await startHaproxy(configText(haproxyPort, origin.port), haproxyPort);
    let expected: string[];
    try {
      expected = await routes(haproxyPort);
    } finally {
      await haproxy.stop();
    }
    const e = await startEngine(configText(await freePort(), origin.port));
    try {
      const actual = await routes(e.port);
      if (process.env.DEBUG_DIFF) console.log(expected.slice(0, 12).join("\n"));
      assert.deepEqual(actual, expected);
      // The corpus really exercises every backend.
      for (const b of ['web', 'api', 'api_v2', 'static', 'users', 'beta', 'writes']) {
        assert.ok(expected.some((line) => line.includes(`-> ${b}/`)), `no request reached ${b}`);
      }
    } finally {
      await e.stop();
    }
  } finally {
    await origin.close();
  }
});
