import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import net from 'node:net';
import { traceRequest, staticTarget } from '../../../proxy/http/trace.ts';
import { sdbm } from '../../../proxy/balance/index.ts';
import type { TraceRequest, TraceResult } from '../../../proxy/http/trace.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { scenariosDir } from '../../helpers/scenarios.ts';
import { startNamedServer, startEngine, freePort, waitFor, HTTP_DEFAULTS } from '../../helpers/net.ts';
import type { TestServer, RunningEngine } from '../../helpers/net.ts';

/**
 * A configuration of the seed or the corpus made runnable on loopback: each HTTP
 * frontend listens on a free port of 127.0.0.1, each server is an origin on
 * 127.0.0.1 that answers `x-server: <backend>/<server>`.
 */
async function runnable(text: string): Promise<{ text: string; origins: TestServer[]; ports: Map<string, number> }> {
  const origins: TestServer[] = [];
  const ports = new Map<string, number>();
  const out: string[] = [];
  let section = '';
  let kind = '';
  let bound = false;
  for (const line of text.split('\n')) {
    const header = /^(frontend|backend|listen|defaults|global)\s*(\S*)/.exec(line);
    if (header) {
      kind = header[1]!;
      section = header[2]!;
      bound = false;
      out.push(line);
      continue;
    }
    const bind = /^(\s*)bind\s/.exec(line);
    if (bind) {
      if (!bound) {
        const port = await freePort();
        ports.set(section, port);
        out.push(`${bind[1]}bind 127.0.0.1:${port}`);
        bound = true;
      }
      continue;
    }
    const server = /^(\s*)server\s+(\S+)\s+\S+(.*)$/.exec(line);
    if (server && (kind === 'backend' || kind === 'listen')) {
      const origin = await startNamedServer(`${section}/${server[2]}`);
      origins.push(origin);
      out.push(`${server[1]}server ${server[2]} 127.0.0.1:${origin.port}${server[3]}`);
      continue;
    }
    out.push(line);
  }
  return { text: out.join('\n'), origins, ports };
}

/** One real request; resolves with the status and the origin that answered (undefined: Loadstar answered itself). */
function send(port: number, r: TraceRequest): Promise<{ status: number; server?: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    for (const h of r.headers ?? []) {
      const [n, v] = typeof h === 'string' ? [h.slice(0, h.indexOf(':')), h.slice(h.indexOf(':') + 1).trim()] : h;
      headers[n] = v;
    }
    const req = http.request({ host: '127.0.0.1', port, path: r.url, method: r.method ?? 'GET', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, server: res.headers['x-server'] as string | undefined }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('request timed out')));
    req.end();
  });
}

/** Deterministic request mix over the patterns the configurations route on. */
function requests(frontend: string, count: number, seed: number): TraceRequest[] {
  const hosts = ['api.example.com', 'www.example.com', 'site1.example', 'API.EXAMPLE.COM'];
  const paths = ['/', '/static/app.css', '/api/v1/users', '/api/v2/items', '/api/docs', '/users/42', '/users/7/orders', '/reports/2024-01-02.csv',
    '/images/a/b/c.png', '/video/clip.mp4', '/data.json', '/graphql', '/other/page'];
  const queries = ['', '', '?userid=7', '?userid=12', '?beta=1', '?token=x', '?format=csv', '?debug=1'];
  const methods = ['GET', 'GET', 'GET', 'POST', 'DELETE', 'OPTIONS'];
  const cookies = [undefined, undefined, 'SERVERID=s2', 'SERVERID=s3', 'SERVERID=nope'];
  let s = seed;
  const next = (n: number): number => (s = (s * 1103515245 + 12345) % 2147483648) % n;
  return Array.from({ length: count }, () => {
    const cookie = cookies[next(cookies.length)];
    return {
      frontend,
      method: methods[next(methods.length)]!,
      url: paths[next(paths.length)]! + queries[next(queries.length)]!,
      headers: [`Host: ${hosts[next(hosts.length)]}`, ...(cookie ? [`Cookie: ${cookie}`] : [])],
      source: '127.0.0.1',
    };
  });
}

function describe(t: TraceResult): string {
  return t.steps.join('\n  ');
}

const seedText = fs.readFileSync(path.join(scenariosDir, 'seed', 'seed-3-acl-routing.cfg'), 'utf8');
const corpus = ['06-api-versioning-path.cfg', '07-api-path-reg-query.cfg', '08-api-method-filtering.cfg', '13-sticky-cookie-insert.cfg', '39-balance-uri.cfg', '40-balance-url-param-hdr.cfg'];

test('for generated requests over the seed and corpus configurations, the tracer names the backend and server the request really reaches', async () => {
  const configs: Array<[string, string]> = [['seed-3', `${HTTP_DEFAULTS}\n${seedText}`], ...corpus.map((f) => [f, fs.readFileSync(path.join(scenariosDir, 'valid', f), 'utf8')] as [string, string])];
  let compared = 0;
  let servers = 0;
  for (const [name, original] of configs) {
    const { text, origins, ports } = await runnable(original);
    let running: RunningEngine | undefined;
    try {
      running = await startEngine(text);
      const engine = running.engine;
      // Health checks settle first (servers with `check` start as HAProxy's do).
      await waitFor(`${name}: servers up`, () => engine.currentConfig().proxies.every((p) => !engine.backend(p.name) || engine.backend(p.name)!.servers.every((s) => s.usable)), 5000);
      for (const [frontend, port] of ports) {
        const states = (): string => engine.currentConfig().proxies.map((p) => engine.backend(p.name)?.servers.map((x) => `${x.name}:${x.status}`).join(',') ?? '').join(';');
        const idle = (): boolean => engine.currentConfig().proxies.every((p) => !engine.backend(p.name) || engine.backend(p.name)!.servers.every((x) => x.served === 0));
        for (const r of requests(frontend, 12, compared + 1)) {
          // The previous exchange has given its slot back (leastconn and first read the load).
          await waitFor('slots released', idle, 2000);
          const before = states();
          const traced = traceRequest(engine, r);
          assert.ok(traced.ok, JSON.stringify(traced));
          const again = traceRequest(engine, r);
          assert.ok(again.ok);
          assert.deepEqual(again.value.server, traced.value.server, 'a second trace sees the same state: the first changed nothing');
          const t = traced.value;
          const real = await send(port, r);
          const where = `${name} ${r.method} ${r.url} ${JSON.stringify(r.headers)}\n  ${describe(t)}\n  real: ${JSON.stringify(real)}`;
          if (t.answer && t.answer.kind !== 'no-server') {
            assert.equal(real.server, undefined, `Loadstar answers itself: ${where}`);
            assert.equal(real.status, t.answer.status, where);
          } else {
            assert.ok(real.server, `a server answered: ${where}`);
            assert.equal(real.server!.split('/')[0], t.backend, `backend: ${where}`);
            // A health check changing a server's state between the trace and the request changes the pick: not the tracer's fault.
            if (t.server && states() === before) {
              assert.equal(real.server, `${t.backend}/${t.server.name}`, `server: ${where}`);
              servers++;
            }
          }
          compared++;
        }
      }
    } finally {
      await running?.stop();
      for (const o of origins) await o.close();
    }
  }
  assert.ok(compared >= 50, `${compared} requests compared`);
  assert.ok(servers >= 30, `${servers} server picks compared`);
});

test('tracing consumes no round-robin position and changes no counter', async () => {
  const a = await startNamedServer('app/a');
  const b = await startNamedServer('app/b');
  const config = (port: number): string => `${HTTP_DEFAULTS}
frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    balance roundrobin
    server a 127.0.0.1:${a.port}
    server b 127.0.0.1:${b.port} weight 2
`;
  const tracedPort = await freePort();
  const plainPort = await freePort();
  const traced = await startEngine(config(tracedPort));
  const plain = await startEngine(config(plainPort));
  try {
    const withTraces: string[] = [];
    const without: string[] = [];
    for (let i = 0; i < 9; i++) {
      for (let k = 0; k < 5; k++) traceRequest(traced.engine, { frontend: 'web', url: '/' });
      withTraces.push((await send(tracedPort, { frontend: 'web', url: '/' })).server!);
      without.push((await send(plainPort, { frontend: 'web', url: '/' })).server!);
    }
    assert.deepEqual(withTraces, without);
    assert.deepEqual(new Set(without), new Set(['app/a', 'app/b']));
    assert.deepEqual(traced.engine.backend('app')!.servers.map((s) => s.total), plain.engine.backend('app')!.servers.map((s) => s.total));
    assert.deepEqual(traced.engine.backend('app')!.servers.map((s) => s.total), [3, 6]);
  } finally {
    await traced.stop();
    await plain.stop();
    await a.close();
    await b.close();
  }
});

test('a trace reports set-map, del-map, add-acl and del-acl rules as not run: the files\' entries outlive the request', () => {
  const text = `${HTTP_DEFAULTS}
frontend www
    bind 127.0.0.1:8080
    http-request set-map(/m/x.map) %[path] seen
    http-request del-acl(/m/x.lst) %[src]
    default_backend web
backend web
    server w1 127.0.0.1:9101
`;
  const parsed = parseConfig([{ name: 't.cfg', text }]);
  assert.ok(parsed.ok);
  const traced = traceRequest(staticTarget(parsed.config), { frontend: 'www', url: '/x' });
  assert.ok(traced.ok);
  assert.deepEqual(traced.value.rules.map((r) => [r.outcome, r.detail]), [
    ['not-run', 'the entries of /m/x.map outlive the request; not changed by a trace'],
    ['not-run', 'the entries of /m/x.lst outlive the request; not changed by a trace'],
  ]);
  assert.equal(traced.value.backend, 'web');
});

test('a trace lists each rule and ACL with its fetched value, the HTTPS redirect that answers, and persistence', () => {
  const text = `${HTTP_DEFAULTS}
frontend www
    bind 127.0.0.1:8080
    http-request redirect scheme https code 301 unless { ssl_fc }
    acl is_api hdr(host) -i api.example.com
    http-request set-header X-Api yes if is_api
    use_backend api if is_api
    default_backend web
backend api
    cookie SRV insert indirect nocache
    server a1 127.0.0.1:9001 cookie a1
    server a2 127.0.0.1:9002 cookie a2
backend web
    server w1 127.0.0.1:9101
`;
  const parsed = parseConfig([{ name: 't.cfg', text }]);
  assert.ok(parsed.ok);
  const target = staticTarget(parsed.config);
  const plain = traceRequest(target, { frontend: 'www', url: '/x?y=1', headers: ['Host: api.example.com'] });
  assert.ok(plain.ok);
  assert.deepEqual(plain.value.answer, { kind: 'redirect', status: 301, location: 'https://api.example.com/x?y=1', by: 'www:9 http-request redirect scheme https code 301 unless { ssl_fc }' });
  assert.equal(plain.value.rules[0]!.condition!.acls[0]!.name, '{ ssl_fc }');
  assert.equal(plain.value.rules[0]!.condition!.acls[0]!.declarations[0]!.fetched, '0');
  assert.equal(plain.value.backend, undefined);

  const tls = traceRequest(target, { frontend: 'www', url: '/x', headers: ['Host: API.example.com', 'Cookie: SRV=a2'], tls: true, sni: 'api.example.com' });
  assert.ok(tls.ok);
  const t = tls.value;
  assert.equal(t.answer, undefined);
  assert.deepEqual(t.rules.map((r) => r.outcome), ['skipped', 'applied']);
  assert.deepEqual(t.routes.map((r) => [r.text, r.matched]), [['use_backend api if is_api', true]]);
  assert.deepEqual(t.routes[0]!.condition!.acls[0]!.declarations[0], { criterion: 'hdr(host)', patterns: ['api.example.com'], fetched: 'API.example.com', matched: true, line: 10 });
  assert.equal(t.backend, 'api');
  assert.equal(t.backendBy, 'use_backend');
  assert.equal(t.persistence?.server, 'a2');
  assert.equal(t.server?.name, 'a2');
  assert.ok(t.request.headers.some(([n, v]) => n === 'X-Api' && v === 'yes'), 'the set-header rule applied to the traced copy');

  const other = traceRequest(target, { frontend: 'www', url: '/', headers: ['Host: www.example.com'], tls: true });
  assert.ok(other.ok);
  assert.equal(other.value.backend, 'web');
  assert.equal(other.value.backendBy, 'default_backend');
  assert.match(other.value.serverReason ?? '', /roundrobin picks w1 next/);
});

test('bad trace requests are answered with a code, never thrown', () => {
  const parsed = parseConfig([{ name: 't.cfg', text: `${HTTP_DEFAULTS}\nfrontend f\n    bind 127.0.0.1:8080\n    default_backend b\nbackend b\n    server s 127.0.0.1:9\n` }]);
  const target = staticTarget(parsed.config);
  for (const [r, code] of [
    [undefined, 'LS_ERR_CTL_BAD_VALUE'], [{ frontend: 'f' }, 'LS_ERR_CTL_BAD_VALUE'], [{ frontend: 'f', url: '/a b' }, 'LS_ERR_CTL_BAD_VALUE'],
    [{ frontend: 'f', url: '/', headers: ['no colon'] }, 'LS_ERR_CTL_BAD_VALUE'], [{ frontend: 'f', url: '/', source: 'evil host' }, 'LS_ERR_CTL_BAD_VALUE'],
    [{ frontend: 'nope', url: '/' }, 'LS_ERR_CTL_NOT_FOUND'],
  ] as const) {
    const out = traceRequest(target, r as never);
    assert.ok(!out.ok && out.error.code === code, JSON.stringify(r));
  }
});

test('a TCP frontend routes on layer-4 facts only: source address rules match, HTTP fetches find nothing', () => {
  const parsed = parseConfig([{ name: 't.cfg', text: `defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend db
    bind 127.0.0.1:5432
    use_backend lan if { src 10.0.0.0/8 }
    use_backend weird if { req.hdr(host) -m found }
    default_backend other
backend lan
    balance source
    server p1 127.0.0.1:9001
    server p2 127.0.0.1:9002
backend weird
    server w 127.0.0.1:9003
backend other
    server o 127.0.0.1:9004
` }]);
  assert.ok(parsed.ok, parsed.diagnostics.map((d) => d.message).join('\n'));
  const target = staticTarget(parsed.config);
  const lan = traceRequest(target, { frontend: 'db', url: '/', source: '10.1.2.3', headers: ['Host: x'] });
  assert.ok(lan.ok);
  assert.equal(lan.value.mode, 'tcp');
  assert.equal(lan.value.backend, 'lan');
  assert.equal(lan.value.hash?.key, '10.1.2.3');
  assert.ok(Number.isInteger(lan.value.hash?.value) && lan.value.hash!.value! >= 0);
  const other = traceRequest(target, { frontend: 'db', url: '/', source: '192.168.1.5', headers: ['Host: x'] });
  assert.ok(other.ok);
  assert.equal(other.value.backend, 'other', other.value.steps.join('\n'));
});

test('a TCP frontend with an inspect-delay routes on the HTTP head it holds, as the engine does', () => {
  const parsed = parseConfig([{ name: 't.cfg', text: `defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:8080
    tcp-request inspect-delay 2s
    tcp-request content accept if HTTP
    use_backend api if { path_beg /api }
    default_backend other
backend api
    server a 127.0.0.1:9001
backend other
    server o 127.0.0.1:9004
` }]);
  assert.ok(parsed.ok, parsed.diagnostics.map((d) => d.message).join('\n'));
  const target = staticTarget(parsed.config);
  const api = traceRequest(target, { frontend: 'web', url: '/api/v1', headers: ['Host: x'] });
  assert.ok(api.ok);
  assert.equal(api.value.mode, 'tcp');
  assert.equal(api.value.backend, 'api', api.value.steps.join('\n'));
  const other = traceRequest(target, { frontend: 'web', url: '/', headers: ['Host: x'] });
  assert.ok(other.ok);
  assert.equal(other.value.backend, 'other', other.value.steps.join('\n'));
});

test("a TLS passthrough is traced by the server name: its inspection holds the client's hello, as real HAProxy routes that hello", { timeout: 30_000 }, async (t) => {
  const frontend = (port: number, git: number, vault: number, wait = true): string => `defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend tls_pass
    bind 127.0.0.1:${port}
${wait ? '    tcp-request inspect-delay 5s\n    tcp-request content accept if { req.ssl_hello_type 1 }\n' : ''}    acl is_git req.ssl_sni -i git.home.arpa
    use_backend git_tls if is_git
    default_backend vault_tls
backend git_tls
    server g 127.0.0.1:${git}
backend vault_tls
    server v 127.0.0.1:${vault}
`;
  const parsed = parseConfig([{ name: 't.cfg', text: frontend(8443, 9001, 9002) }]);
  assert.ok(parsed.ok, parsed.diagnostics.map((d) => d.message).join('\n'));
  const target = staticTarget(parsed.config);
  const git = traceRequest(target, { frontend: 'tls_pass', url: '/', tls: true, sni: 'git.home.arpa' });
  assert.ok(git.ok);
  assert.equal(git.value.backend, 'git_tls', git.value.steps.join('\n'));
  assert.match(git.value.steps.join('\n'), /the TLS passes through \(the bind does not terminate it\): the inspection holds the client's hello with the server name git\.home\.arpa/);
  const other = traceRequest(target, { frontend: 'tls_pass', url: '/', tls: true, sni: 'vault.home.arpa' });
  assert.ok(other.ok);
  assert.equal(other.value.backend, 'vault_tls', other.value.steps.join('\n'));
  // Without the wait, the routing does not see the hello (as the engine: req.ssl_sni finds nothing).
  const noWait = parseConfig([{ name: 't.cfg', text: frontend(8443, 9001, 9002, false) }]);
  const early = traceRequest(staticTarget(noWait.config), { frontend: 'tls_pass', url: '/', tls: true, sni: 'git.home.arpa' });
  assert.ok(early.ok);
  assert.equal(early.value.backend, 'vault_tls', early.value.steps.join('\n'));

  // The hello the trace holds is one HAProxy reads the same way: sent to haproxy, it reaches git_tls.
  const { requireHaproxy, startHaproxy } = await import('../../helpers/haproxy.ts');
  if (!requireHaproxy(t)) return;
  const { clientHello } = await import('../../../proxy/http/trace.ts');
  const net = await import('node:net');
  const reached: string[] = [];
  const listen = (name: string) => new Promise<import('node:net').Server>((resolve) => {
    // Counted when the hello arrives (startHaproxy's readiness probe sends nothing).
    const s = net.createServer((c) => { c.on('error', () => {}); c.once('data', () => { reached.push(name); c.destroy(); }); });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
  const [gitServer, vaultServer] = [await listen('git_tls'), await listen('vault_tls')];
  const port = await freePort();
  const haproxy = await startHaproxy(frontend(port, (gitServer.address() as { port: number }).port, (vaultServer.address() as { port: number }).port), port);
  try {
    for (const sni of ['git.home.arpa', 'vault.home.arpa']) {
      await new Promise<void>((resolve) => {
        const c = net.connect(port, '127.0.0.1', () => c.write(clientHello(sni)));
        c.on('close', () => resolve());
        c.on('error', () => resolve());
      });
    }
    await waitFor('both hellos to reach a backend', () => reached.length === 2, 5000);
    assert.deepEqual(reached, ['git_tls', 'vault_tls']);
  } finally {
    await haproxy.stop();
    gitServer.close();
    vaultServer.close();
  }
});

test('for balance hdr the trace gives the hash the balancer looks up: sdbm of the header value', () => {
  const parsed = parseConfig([{ name: 't.cfg', text: `${HTTP_DEFAULTS}
frontend f
    bind 127.0.0.1:8080
    default_backend b
backend b
    balance hdr(host)
    server s1 127.0.0.1:9001
    server s2 127.0.0.1:9002
    server s3 127.0.0.1:9003
` }]);
  const target = staticTarget(parsed.config);
  const t = traceRequest(target, { frontend: 'f', url: '/', headers: ['Host: tenant7.example'] });
  assert.ok(t.ok);
  assert.deepEqual([t.value.hash?.key, t.value.hash?.value], ['tenant7.example', sdbm('tenant7.example')]);
  assert.match(t.value.serverReason ?? '', new RegExp(`hdr hashes "tenant7.example" \\(sdbm, map-based: ${sdbm('tenant7.example')}\\) to s\\d`));
  const none = traceRequest(target, { frontend: 'f', url: '/' });
  assert.ok(none.ok && none.value.hash?.key === null && none.value.hash.value === undefined);
  assert.match(none.value.hash!.note, /round robin/);
});

test('for balance hash the trace gives the value of the expression and the hash the balancer looks up', () => {
  const parsed = parseConfig([{ name: 't.cfg', text: `${HTTP_DEFAULTS}
frontend f
    bind 127.0.0.1:8080
    default_backend b
backend b
    balance hash req.cook(sid),lower
    server s1 127.0.0.1:9001
    server s2 127.0.0.1:9002
    server s3 127.0.0.1:9003
` }]);
  const target = staticTarget(parsed.config);
  const t = traceRequest(target, { frontend: 'f', url: '/', headers: ['Cookie: a=1; sid=User-42'] });
  assert.ok(t.ok);
  assert.deepEqual([t.value.algorithm, t.value.hash?.key, t.value.hash?.value], ['hash', 'user-42', sdbm('user-42')]);
  assert.equal(t.value.server?.name, `s${sdbm('user-42') % 3 + 1}`);
  assert.match(t.value.hash!.note, /value of req\.cook\(sid\),lower/);
  const none = traceRequest(target, { frontend: 'f', url: '/' });
  assert.ok(none.ok && none.value.hash?.key === null && none.value.hash.value === undefined);
  assert.match(none.value.hash!.note, /round robin/);
});

test('a trace shows the redirect lines where they run: after the http-request rules, before use_backend, and in the chosen backend', () => {
  const text = `${HTTP_DEFAULTS}
frontend www
    bind 127.0.0.1:8080
    use_backend shop if { path_beg /shop }
    redirect location /moved if { req.hdr(x-seen) -m found } { path /old }
    http-request set-header x-seen 1
    default_backend web
backend shop
    redirect prefix https://shop.example.com code 301
    server s1 127.0.0.1:9001
backend web
    server w1 127.0.0.1:9101
`;
  const parsed = parseConfig([{ name: 't.cfg', text }]);
  assert.ok(parsed.ok);
  const target = staticTarget(parsed.config);
  const old = traceRequest(target, { frontend: 'www', url: '/old', headers: ['Host: www.example.com'] });
  assert.ok(old.ok);
  assert.deepEqual(old.value.answer, { kind: 'redirect', status: 302, location: '/moved', by: 'www:10 redirect location /moved if { req.hdr(x-seen) -m found } { path /old }' });
  assert.equal(old.value.backend, undefined);
  const shop = traceRequest(target, { frontend: 'www', url: '/shop/a', headers: ['Host: www.example.com'] });
  assert.ok(shop.ok);
  assert.equal(shop.value.backend, 'shop');
  assert.deepEqual(shop.value.answer, { kind: 'redirect', status: 301, location: 'https://shop.example.com/shop/a', by: 'shop:14 redirect prefix https://shop.example.com code 301' });
  const plain = traceRequest(target, { frontend: 'www', url: '/', headers: ['Host: www.example.com'] });
  assert.ok(plain.ok);
  assert.equal(plain.value.answer, undefined);
  assert.equal(plain.value.backend, 'web');
});

test('a trace follows force-persist and ignore-persist: the first that holds decides whether the cookie may name a server in maintenance', () => {
  const text = `${HTTP_DEFAULTS}
frontend www
    bind 127.0.0.1:8080
    default_backend app
backend app
    cookie SRV
    ignore-persist if { req.hdr(x-ignore) 1 }
    force-persist if { req.hdr(x-force) 1 }
    server a1 127.0.0.1:9001 cookie a1 disabled
    server a2 127.0.0.1:9002 cookie a2
`;
  const parsed = parseConfig([{ name: 't.cfg', text }]);
  assert.ok(parsed.ok);
  const target = staticTarget(parsed.config);
  const trace = (headers: string[]) => {
    const r = traceRequest(target, { frontend: 'www', url: '/', headers: ['Host: x', 'Cookie: SRV=a1', ...headers] });
    assert.ok(r.ok);
    return r.value;
  };
  // a1 is in maintenance: the cookie names no usable server.
  assert.equal(trace([]).persistence?.used, false);
  const forced = trace(['X-Force: 1']);
  assert.equal(forced.server?.name, 'a1');
  assert.ok(forced.steps.some((s) => s.startsWith('a force-persist rule holds')), forced.steps.join('\n'));
  // ignore-persist comes first in the list: it decides.
  const ignored = trace(['X-Force: 1', 'X-Ignore: 1']);
  assert.notEqual(ignored.server?.name, 'a1');
  assert.ok(ignored.steps.some((s) => s.startsWith('an ignore-persist rule holds')), ignored.steps.join('\n'));
});

test('a trace runs the persist rules before the backend\'s http-request rules, as the engine and HAProxy do', () => {
  const text = `${HTTP_DEFAULTS}
frontend www
    bind 127.0.0.1:8080
    default_backend app
backend app
    cookie SRV
    http-request set-header x-force 1
    force-persist if { req.hdr(x-force) 1 }
    server a1 127.0.0.1:9001 cookie a1 disabled
    server a2 127.0.0.1:9002 cookie a2
`;
  const parsed = parseConfig([{ name: 't.cfg', text }]);
  assert.ok(parsed.ok);
  const r = traceRequest(staticTarget(parsed.config), { frontend: 'www', url: '/', headers: ['Host: x', 'Cookie: SRV=a1'] });
  assert.ok(r.ok);
  assert.equal(r.value.server?.name, 'a2');
  assert.ok(!r.value.steps.some((s) => s.startsWith('a force-persist rule holds')), r.value.steps.join('\n'));
});

test('a request head the engine refuses before any rule is traced as refused with the reason, and a real one gets the same 400', async () => {
  const origin = await startNamedServer('web/w1');
  const port = await freePort();
  const text = `${HTTP_DEFAULTS}\nfrontend site\n    bind 127.0.0.1:${port}\n    default_backend web\nbackend web\n    server w1 127.0.0.1:${origin.port}\n`;
  const e = await startEngine(text);
  /** The status line of a raw request (two Host headers cannot be sent through node:http). */
  const raw = (head: string): Promise<string> => new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(head));
    let got = '';
    s.setEncoding('latin1');
    s.on('data', (c: string) => { got += c; if (got.includes('\r\n')) { resolve(got.slice(0, got.indexOf('\r\n'))); s.destroy(); } });
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
  try {
    const target = staticTarget(parseConfig([{ name: 't.cfg', text }]).config);
    const cases: Array<{ trace: TraceRequest; wire: string; reason: RegExp }> = [
      { trace: { frontend: 'site', url: `/${'a'.repeat(20_000)}`, headers: ['Host: x'] }, wire: `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, reason: /take more than the 15360 bytes/ },
      { trace: { frontend: 'site', url: '/', headers: ['Host: x', 'Host: blog.lab'] }, wire: 'GET / HTTP/1.1\r\nHost: x\r\nHost: blog.lab\r\n\r\n', reason: /two Host headers that differ/ },
      { trace: { frontend: 'site', url: 'http://blog.lab/foo', headers: ['Host: 127.0.0.1'] }, wire: 'GET http://blog.lab/foo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', reason: /authority is not the Host header/ },
      { trace: { frontend: 'site', url: '/a#b', headers: ['Host: x'] }, wire: 'GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n', reason: /'#' in the target/ },
      { trace: { frontend: 'site', url: '/', headers: Array.from({ length: 101 }, (_, i) => `X-H${i}: v`) }, wire: `GET / HTTP/1.1\r\n${Array.from({ length: 101 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`, reason: /more than 100 header fields/ },
    ];
    for (const c of cases) {
      const out = traceRequest(target, c.trace);
      assert.ok(out.ok, JSON.stringify(out));
      assert.equal(out.value.answer?.kind, 'bad-request', c.wire.slice(0, 60));
      assert.equal(out.value.answer?.status, 400);
      assert.match(out.value.answer!.by, c.reason);
      assert.equal(out.value.backend, undefined, 'no backend is chosen');
      assert.match(await raw(c.wire), /^HTTP\/1\.1 400 /, c.wire.slice(0, 60));
    }
    // The same requests made valid are routed as before.
    const fine = traceRequest(target, { frontend: 'site', url: `/${'a'.repeat(1000)}`, headers: ['Host: x', 'Host: X'] });
    assert.ok(fine.ok && fine.value.backend === 'web' && fine.value.answer === undefined, JSON.stringify(fine.ok && fine.value.answer));
    // A header name that HTTP does not allow is named.
    const badName = traceRequest(target, { frontend: 'site', url: '/', headers: ['Host: x', 'Bad Name: v'] });
    assert.ok(!badName.ok && /header "Bad Name": its name has characters HTTP does not allow/.test(badName.error.message));
  } finally {
    await e.stop();
    await origin.close();
  }
});
