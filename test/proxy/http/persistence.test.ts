/**
 * Cookie persistence (`cookie` + server `cookie`): clients stick to the server
 * their cookie names, also while it drains or is NOLB; a DOWN server's cookie
 * is balanced again and replaced. The Set-Cookie / Cache-control bytes and the
 * Cookie header the server sees are compared with real HAProxy 2.6.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEngine, startNamedServer, freePort, request, rawExchange, waitFor } from '../../helpers/net.ts';
import type { TestServer } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { setServerAdminState } from '../../../proxy/runtime/admin.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { unsupportedFeatures } from '../../../proxy/runtime/unsupported.ts';

/**
 * An origin that answers with its name, the Cookie header it received, and
 * what the query asks for: `set=V` → its own `Set-Cookie: SRV=V; Path=/app`,
 * `cc=X` → `Cache-Control: X`. /health answers `health.status`.
 */
async function origin(name: string): Promise<TestServer & { health: { status: number }; seen: string[] }> {
  const health = { status: 200 };
  const seen: string[] = [];
  const server = await startNamedServer(name, (req, res) => {
    req.resume();
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/health') {
        res.statusCode = health.status;
        return res.end();
      }
      seen.push(String(req.headers.cookie ?? ''));
      res.setHeader('x-server', name);
      res.setHeader('x-seen-cookie', String(req.headers.cookie ?? '-'));
      const set = url.searchParams.get('set');
      if (set !== null) res.setHeader('Set-Cookie', [`SRV=${set}; Path=/app`, 'other=1']);
      const cc = url.searchParams.get('cc');
      if (cc !== null) res.setHeader('Cache-Control', cc);
      res.end(name);
    });
  });
  return Object.assign(server, { health, seen });
}


function config(port: number, servers: TestServer[], cookie: string, extra = '', serverOpts = ''): string {
  return `global
    nbthread 1
defaults
    mode http
    timeout connect 500ms
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${port}
    option httplog
    default_backend app
backend app
    balance roundrobin
    cookie ${cookie}
${extra}${servers.map((s) => `    server ${s.name} 127.0.0.1:${s.port} cookie ${s.name}${serverOpts}\n`).join('')}`;
}

const get = (port: number, path: string, cookie?: string, method = 'GET') =>
  request(port, path, { method, headers: cookie !== undefined ? { cookie } : {} });

test('a client with the cookie keeps landing on its server; others are balanced', async () => {
  const servers = [await origin('s1'), await origin('s2'), await origin('s3')];
  const lb = await startEngine(config(await freePort(), servers, 'SRV insert indirect nocache'));
  try {
    const first = await get(lb.port, '/');
    const server = String(first.headers['x-server']);
    assert.deepEqual(first.headers['set-cookie'], [`SRV=${server}; path=/`]);
    const landed = new Set<string>();
    for (let i = 0; i < 9; i++) {
      const sticky = await get(lb.port, '/', `a=1; SRV=${server}; b=2`);
      assert.equal(sticky.headers['x-server'], server);
      // indirect: the server never sees the persistence cookie, and none is set again.
      assert.equal(sticky.headers['x-seen-cookie'], 'a=1; b=2');
      assert.equal(sticky.headers['set-cookie'], undefined);
      landed.add(String((await get(lb.port, '/')).headers['x-server']));
    }
    assert.deepEqual([...landed].sort(), ['s1', 's2', 's3']);
    assert.match(lb.logs[0]!, / 200 \d+ - - --NI /);
    assert.match(lb.logs[1]!, / 200 \d+ - - --VN /);
    const invalid = await get(lb.port, '/', 'SRV=nosuch');
    assert.deepEqual(invalid.headers['set-cookie'], [`SRV=${invalid.headers['x-server']}; path=/`]);
    assert.match(lb.logs.at(-1)!, / --II /);
  } finally {
    await lb.stop();
    for (const s of servers) await s.close();
  }
});

test('DRAIN (control API) and NOLB (disable-on-404) servers keep their cookie holders but get no new clients', async () => {
  const servers = [await origin('s1'), await origin('s2'), await origin('s3')];
  const lb = await startEngine(config(await freePort(), servers, 'SRV insert indirect',
    // No server may go DOWN here (its cookie holders would be redispatched): without `timeout check` a
    // check has `inter` (50 ms) in all, and under CI's load two in a row outlasted it once.
    '    option httpchk GET /health\n    http-check disable-on-404\n    timeout check 5s\n', ' check inter 50 rise 1 fall 1000'));
  try {
    const backend = lb.engine.backend('app')!;
    await waitFor('servers UP', () => backend.servers.every((s) => s.status === 'UP'));
    assert.deepEqual(setServerAdminState(lb.engine, 'app', 's2', 'drain'), { ok: true });
    servers[2]!.health.status = 404;
    await waitFor('s3 NOLB', () => backend.server('s3')!.status === 'NOLB');
    assert.equal(backend.server('s2')!.status, 'DRAIN');
    for (let i = 0; i < 6; i++) {
      assert.equal((await get(lb.port, '/')).headers['x-server'], 's1');
      for (const name of ['s2', 's3']) {
        const r = await get(lb.port, '/', `SRV=${name}`);
        assert.equal(r.headers['x-server'], name);
        assert.equal(r.headers['set-cookie'], undefined);
      }
    }
  } finally {
    await lb.stop();
    for (const s of servers) await s.close();
  }
});

test("a DOWN server's cookie is balanced and replaced (option redispatch); option persist keeps sending to it", async () => {
  for (const persist of [false, true]) {
    const servers = [await origin('s1'), await origin('s2')];
    const lb = await startEngine(config(await freePort(), servers, 'SRV insert indirect',
      `    option httpchk GET /health\n    option redispatch\n${persist ? '    option persist\n' : ''}`, ' check inter 50 rise 1 fall 1'));
    try {
      const backend = lb.engine.backend('app')!;
      servers[1]!.health.status = 500;
      await waitFor('s2 DOWN', () => backend.server('s2')!.status === 'DOWN');
      const r = await get(lb.port, '/', 'SRV=s2');
      if (persist) {
        assert.equal(r.headers['x-server'], 's2');
        assert.equal(r.headers['set-cookie'], undefined);
        assert.match(lb.logs.at(-1)!, / --DN /);
      } else {
        assert.equal(r.headers['x-server'], 's1');
        assert.deepEqual(r.headers['set-cookie'], ['SRV=s1; path=/']);
        assert.match(lb.logs.at(-1)!, / --DI /);
      }
    } finally {
      await lb.stop();
      for (const s of servers) await s.close();
    }
  }
});

test('a cookie server at maxconn queues its holders on it, and serves them while draining', async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const slow = await startNamedServer('s1', (req, res) => {
    req.resume();
    void gate.then(() => { res.setHeader('x-server', 's1'); res.end('s1'); });
  });
  const other = await origin('s2');
  const port = await freePort();
  const lb = await startEngine(config(port, [slow, other], 'SRV insert indirect', '    timeout queue 5s\n').replace(`cookie s1\n`, 'cookie s1 maxconn 1\n'));
  try {
    const first = get(lb.port, '/', 'SRV=s1');
    await waitFor('s1 busy', () => lb.engine.backend('app')!.server('s1')!.served === 1);
    const second = get(lb.port, '/', 'SRV=s1');
    await waitFor('queued on s1', () => lb.engine.backend('app')!.server('s1')!.queue.length === 1);
    // Draining does not drop the holders already waiting for it.
    setServerAdminState(lb.engine, 'app', 's1', 'drain');
    release();
    assert.equal((await first).headers['x-server'], 's1');
    assert.equal((await second).headers['x-server'], 's1');
  } finally {
    await lb.stop();
    await slow.close();
    await other.close();
  }
});

test('maxidle / maxlife / dynamic load without refusal (persistence-dated / persistence-dynamic tests run them)', () => {
  const text = (cookie: string) => `defaults\n    mode http\nbackend app\n    cookie ${cookie}\n    dynamic-cookie-key k\n    server s1 127.0.0.1:1 cookie a\n    server s2 127.0.0.1:2\n`;
  for (const cookie of ['SRV insert maxidle 30m', 'SRV insert maxlife 1h', 'SRV insert dynamic', 'SRV prefix']) {
    const parsed = parseConfig([{ name: 'p.cfg', text: text(cookie) }]);
    assert.ok(parsed.ok);
    assert.deepEqual(unsupportedFeatures(parsed.config), [], cookie);
  }
});

// ---------------------------------------------------------------- against HAProxy 2.6

interface Exchange { path: string; cookie?: string; method?: string }

/** The response's server, Set-Cookie and Cache-Control lines (names lowercased), and the Cookie header the server saw. */
async function observe(port: number, x: Exchange): Promise<string> {
  const head = `${x.method ?? 'GET'} ${x.path} HTTP/1.1\r\nhost: t\r\n${x.cookie !== undefined ? `cookie: ${x.cookie}\r\n` : ''}connection: close\r\ncontent-length: 0\r\n\r\n`;
  const raw = await rawExchange(port, head);
  const lines = raw.split('\r\n\r\n')[0]!.split('\r\n');
  const keep = lines.filter((l) => /^(x-server|set-cookie|cache-control|x-seen-cookie):/i.test(l));
  return [lines[0], ...keep.map((l) => l.replace(/^[^:]+/, (n) => n.toLowerCase()))].join('\n');
}

/** The %tsc field (termination state + persistence cookie flags) of each httplog line. */
function terminationStates(log: string): string[] {
  return [...log.matchAll(/ \d{3} \d+ \S+ \S+ (\S{4}) [\d/]+ [\d/]+ "(?:GET|POST) /g)].map((m) => m[1]!);
}

const SCENARIOS: Array<{ cookie: string; extra?: string; exchanges: Exchange[] }> = [
  {
    cookie: 'SRV insert indirect nocache httponly secure domain .example.com domain .example.org attr SameSite=Lax',
    exchanges: [
      { path: '/' }, { path: '/?cc=max-age=60' }, { path: '/?cc=public' }, { path: '/?cc=public,max-age=5' }, { path: '/?cc=no-cache' }, { path: '/?cc=s-maxage=0' }, { path: '/', method: 'POST' },
      { path: '/', cookie: 'SRV=s2' }, { path: '/', cookie: 'x=1; SRV=s1; y=2' }, { path: '/', cookie: 'SRV=s1; y=2' },
      { path: '/', cookie: 'SRV=bad' }, { path: '/', cookie: 'SRV=' }, { path: '/?set=zzz' }, { path: '/?set=zzz', cookie: 'SRV=s2' },
      // A second cookie of the name leaves the first one's flag (V, I), even when it names another server.
      { path: '/', cookie: 'SRV=s2; SRV=s1' }, { path: '/', cookie: 'SRV=bad; SRV=worse' },
    ],
  },
  {
    cookie: 'SRV insert preserve',
    exchanges: [{ path: '/' }, { path: '/', cookie: 'SRV=s1; a=b' }, { path: '/?set=gone' }, { path: '/?set=x', cookie: 'SRV=s2' }],
  },
  {
    cookie: 'SRV insert postonly',
    exchanges: [{ path: '/' }, { path: '/', method: 'POST' }, { path: '/', method: 'POST', cookie: 'SRV=s2' }],
  },
  {
    cookie: 'SRV rewrite',
    exchanges: [{ path: '/' }, { path: '/?set=abc' }, { path: '/?set=abc', cookie: 'SRV=s1' }, { path: '/', cookie: 'SRV=s2; q=1' }],
  },
  {
    cookie: 'SRV prefix',
    exchanges: [{ path: '/?set=sess42' }, { path: '/', cookie: 'SRV=s2~sess42' }, { path: '/?set=n', cookie: 'a=1; SRV=s1~abc; b=2' }, { path: '/', cookie: 'SRV=plain' }],
  },
  {
    cookie: 'SRV indirect',
    exchanges: [{ path: '/' }, { path: '/?set=mine' }, { path: '/?set=s2', cookie: 'SRV=s2' }],
  },
];

test('Set-Cookie, Cache-control, the forwarded Cookie header and the log cookie flags match HAProxy 2.6', async (t) => {
  if (!requireHaproxy(t)) return;
  const servers = [await origin('s1'), await origin('s2')];
  try {
    for (const scenario of SCENARIOS) {
      const results: string[][] = [];
      for (const run of ['haproxy', 'loadstar'] as const) {
        const port = await freePort();
        const text = config(port, servers, scenario.cookie, scenario.extra ?? '')
          .replace('    nbthread 1\n', '    nbthread 1\n    log stdout format raw local0\n')
          .replace('defaults\n', 'defaults\n    log global\n');
        const out: string[] = [];
        if (run === 'haproxy') {
          const proxy = await startHaproxy(text, port);
          try {
            for (const x of scenario.exchanges) out.push(await observe(port, x));
            await waitFor('HAProxy log lines', () => terminationStates(proxy.output()).length === scenario.exchanges.length);
          } finally {
            await proxy.stop();
          }
          out.push(terminationStates(proxy.output()).join(' '));
        } else {
          const proxy = await startEngine(text);
          try {
            for (const x of scenario.exchanges) out.push(await observe(port, x));
          } finally {
            await proxy.stop();
          }
          out.push(terminationStates(proxy.logs.join('\n')).join(' '));
        }
        results.push(out);
      }
      assert.deepEqual(results[1], results[0], `cookie ${scenario.cookie}`);
    }
  } finally {
    for (const s of servers) await s.close();
  }
});
