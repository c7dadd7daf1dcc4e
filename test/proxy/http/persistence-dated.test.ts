/**
 * Dated persistence cookies (`cookie … maxidle / maxlife`): the inserted
 * cookie carries its last-seen and first-seen dates in HAProxy's encoding
 * (`SRV|<last>|<first>`, 5 base64 characters for 4-second units), a cookie
 * idle or old too long is ignored (log flags E / O), its dates are refreshed
 * when due (server flag U). Compared with HAProxy 2.6: the Set-Cookie lines,
 * the server reached and %tsc, and cookies carried from one to the other.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEngine, startNamedServer, freePort, rawExchange, waitFor } from '../../helpers/net.ts';
import type { TestServer } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';
import { unsupportedFeatures } from '../../../proxy/runtime/unsupported.ts';
import { b64tos30, dateField, lastSeenField, nowSeconds, s30tob64 } from '../../../proxy/http/cookie-dates.ts';

test("dates are encoded as HAProxy writes them: (now + 3) / 4 in 5 base64 characters, most significant first", () => {
  // Recorded from HAProxy 2.6.12: at UNIX time 1796320993 it inserted `SRV=s1|axGu5|axGu5`.
  assert.equal(lastSeenField(1796320993), 'axGu5');
  assert.equal(b64tos30('axGu5') << 2, 1796320996);
  assert.equal(dateField(1796320996), 'axGu5');
  assert.equal(s30tob64(0), 'AAAAA');
  assert.equal(s30tob64(2 ** 30 - 1), '/////');
  assert.equal(b64tos30('/////'), 2 ** 30 - 1);
  // Padding and characters outside the alphabet make the date unreadable (b64tos30 returns -1).
  for (const bad of ['axGu=', 'a-Gu5', 'a_Gu5', 'axGu|', 'axG', 'é1234']) assert.equal(b64tos30(bad), -1, bad);
});

test('maxidle / maxlife load (no longer refused); values are whole seconds, rounded up as HAProxy does, up to 68 years', () => {
  const load = (cookie: string) => parseConfig([{ name: 'p.cfg', text: `defaults\n    mode http\nbackend app\n    cookie ${cookie}\n    server s1 127.0.0.1:1 cookie a\n` }]);
  for (const [cookie, maxidle, maxlife] of [
    ['SRV insert maxidle 30m maxlife 1h', 1_800_000, 3_600_000], ['SRV insert maxidle 2', 2000, undefined],
    ['SRV insert maxidle 500ms', 1000, undefined], ['SRV insert maxlife 1500ms', undefined, 2000], ['SRV insert maxlife 30d', undefined, 2_592_000_000],
  ] as const) {
    const parsed = load(cookie);
    assert.ok(parsed.ok, parsed.ok ? '' : formatDiagnostics(parsed.diagnostics));
    const c = parsed.config.proxies.find((p) => p.name === 'app')!.cookie!;
    assert.deepEqual([c.maxidle, c.maxlife], [maxidle, maxlife], cookie);
    assert.deepEqual(unsupportedFeatures(parsed.config), []);
  }
  for (const [cookie, message] of [['SRV insert maxidle', /expects <idletime>/], ['SRV insert maxlife 1x', /unexpected character 'x'/], ['SRV insert maxlife 2147483648', /overflow/]] as const) {
    const parsed = load(cookie);
    assert.ok(!parsed.ok, cookie);
    assert.match(formatDiagnostics(parsed.diagnostics), message);
  }
});

// ---------------------------------------------------------------- side by side with HAProxy 2.6

/** An origin answering with its name; `?set=V` makes it send its own `Set-Cookie: SRV=V`. */
async function origin(name: string): Promise<TestServer> {
  return startNamedServer(name, (req, res) => {
    req.resume();
    req.on('end', () => {
      const set = new URL(req.url ?? '/', 'http://x').searchParams.get('set');
      if (set !== null) res.setHeader('Set-Cookie', `SRV=${set}`);
      res.setHeader('x-server', name);
      res.setHeader('x-seen-cookie', String(req.headers.cookie ?? '-'));
      res.end(name);
    });
  });
}

function config(port: number, servers: TestServer[], cookie: string): string {
  return `global
    nbthread 1
    log stdout format raw local0
defaults
    mode http
    log global
    option httplog
    timeout connect 500ms
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    balance roundrobin
    cookie ${cookie}
${servers.map((s) => `    server ${s.name} 127.0.0.1:${s.port} cookie ${s.name}\n`).join('')}`;
}

/** A cookie's last-seen / first-seen field for a date `offset` seconds from now, as a peer would have written it. */
const last = (offset: number) => lastSeenField(nowSeconds() + offset);
const first = (offset: number) => lastSeenField(nowSeconds() + offset);

/** The Cookie header of one exchange, made when it is sent (its dates relative to that moment). */
type CookieAt = () => string | undefined;
interface Exchange { path?: string; cookie?: CookieAt }

/**
 * A date field as a reading both runs share: `now` within 8 s, else its
 * distance from now in minutes — the two runs are seconds apart.
 */
function readable(field: string, now: number): string {
  const date = b64tos30(field) << 2;
  if (Math.abs(date - now) <= 8) return '<now>';
  return `<now${date < now ? '-' : '+'}${Math.round(Math.abs(date - now) / 60)}m>`;
}

/** Status line, x-server, set-cookie (dates made readable) and the Cookie header the server saw. */
async function observe(port: number, x: Exchange): Promise<string> {
  const cookie = x.cookie?.();
  const raw = await rawExchange(port, `GET ${x.path ?? '/'} HTTP/1.1\r\nhost: t\r\n${cookie !== undefined ? `cookie: ${cookie}\r\n` : ''}connection: close\r\n\r\n`);
  const now = nowSeconds();
  const lines = raw.split('\r\n\r\n')[0]!.split('\r\n');
  const keep = lines.filter((l) => /^(x-server|set-cookie|x-seen-cookie):/i.test(l)).map((l) => l.replace(/^[^:]+/, (n) => n.toLowerCase()));
  return [lines[0], ...keep].join('\n').replace(/\|([A-Za-z0-9+/]{5})(?=[|;\n]|$)/g, (_m, d: string) => `|${readable(d, now)}`)
    .replace(/(x-seen-cookie: .*)$/m, (l) => l.replace(/\|<now[^>]*>/g, '|<date>'));
}

/** The %tsc field (termination state + persistence cookie flags) of each httplog line. */
function terminationStates(log: string): string[] {
  return [...log.matchAll(/ \d{3} \d+ \S+ \S+ (\S{4}) [\d/]+ [\d/]+ "GET /g)].map((m) => m[1]!);
}

/** Runs the exchanges on HAProxy (when installed, else returns undefined) and on Loadstar; each run's observations and %tsc flags. */
async function sideBySide(t: import('node:test').TestContext, servers: TestServer[], cookie: string, exchanges: Exchange[]): Promise<{ loadstar: string[]; haproxy?: string[] }> {
  const out: { loadstar: string[]; haproxy?: string[] } = { loadstar: [] };
  for (const run of ['haproxy', 'loadstar'] as const) {
    if (run === 'haproxy' && !requireHaproxy(t)) continue;
    const port = await freePort();
    const text = config(port, servers, cookie);
    const seen: string[] = [];
    if (run === 'haproxy') {
      const proxy = await startHaproxy(text, port);
      try {
        for (const x of exchanges) seen.push(await observe(port, x));
        await waitFor('HAProxy log lines', () => terminationStates(proxy.output()).length === exchanges.length);
      } finally {
        await proxy.stop();
      }
      seen.push(terminationStates(proxy.output()).join(' '));
      out.haproxy = seen;
    } else {
      const proxy = await startEngine(text);
      try {
        for (const x of exchanges) seen.push(await observe(port, x));
      } finally {
        await proxy.stop();
      }
      seen.push(terminationStates(proxy.logs.join('\n')).join(' '));
      out.loadstar = seen;
    }
  }
  return out;
}

const SCENARIOS: Array<{ cookie: string; exchanges: Exchange[]; expected: string[] }> = [
  {
    cookie: 'SRV insert indirect maxidle 30s maxlife 1h',
    exchanges: [
      {},
      { cookie: () => `SRV=s2|${last(8)}|${first(-600)}` },
      { cookie: () => `a=1; SRV=s2|${last(-20)}|${first(-600)}; b=2` },
      { cookie: () => `SRV=s1|${last(-120)}|${first(-600)}` },
      { cookie: () => `SRV=s1|${last(-20)}|${first(-7200)}` },
      { cookie: () => 'SRV=s2' },
      { cookie: () => `SRV=s2|${last(2 * 86400)}` },
      { cookie: () => 'SRV=s2|!!!!!|zz' },
      { cookie: () => 'SRV=s2|AAAAA|AAAAA' },
      { cookie: () => `SRV=nosuch|${last(0)}` },
      { cookie: () => `SRV=|${last(0)}` },
    ],
    // Recorded from HAProxy 2.6.12.
    expected: [
      'HTTP/1.1 200 OK\nx-server: s1\nx-seen-cookie: -\nset-cookie: SRV=s1|<now>|<now>; path=/',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: -',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: a=1; b=2\nset-cookie: SRV=s2|<now>|<now-10m>; path=/',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: -\nset-cookie: SRV=s2|<now>|<now>; path=/',
      'HTTP/1.1 200 OK\nx-server: s1\nx-seen-cookie: -\nset-cookie: SRV=s1|<now>|<now>; path=/',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: -\nset-cookie: SRV=s2|<now>|<now>; path=/',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: -\nset-cookie: SRV=s2|<now>|<now>; path=/',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: -\nset-cookie: SRV=s2|<now>|<now>; path=/',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: -\nset-cookie: SRV=s2|<now>|<now>; path=/',
      'HTTP/1.1 200 OK\nx-server: s1\nx-seen-cookie: -\nset-cookie: SRV=s1|<now>|<now>; path=/',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: -\nset-cookie: SRV=s2|<now>|<now>; path=/',
      '--NI --VN --VU --EI --OI --VU --EI --VU --VU --II --II',
    ],
  },
  {
    // Without maxidle / maxlife, a dated cookie is given back without its dates once they are due.
    cookie: 'SRV insert',
    exchanges: [
      { cookie: () => `SRV=s1|${last(-20)}|${first(-600)}` },
      { cookie: () => `SRV=s1|${last(8)}` },
      { cookie: () => `SRV=s2|${last(8)}|${first(-600)}` },
      { cookie: () => `SRV=s2|${last(-4000)}` },
    ],
    expected: [
      'HTTP/1.1 200 OK\nx-server: s1\nx-seen-cookie: SRV=s1|<date>|<date>\nset-cookie: SRV=s1; path=/',
      'HTTP/1.1 200 OK\nx-server: s1\nx-seen-cookie: SRV=s1|<date>',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: SRV=s2|<date>|<date>\nset-cookie: SRV=s2; path=/',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: SRV=s2|<date>\nset-cookie: SRV=s2; path=/',
      '--VU --VN --VU --VU',
    ],
  },
  {
    // maxidle alone writes only the last date, and drops a first date.
    cookie: 'SRV insert indirect maxidle 30s',
    exchanges: [{}, { cookie: () => `SRV=s2|${last(8)}|${first(-600)}` }, { cookie: () => `SRV=s2|${last(-40)}` }, { cookie: () => `SRV=s2|${last(-20)}|${first(-7200)}` }],
    expected: [
      'HTTP/1.1 200 OK\nx-server: s1\nx-seen-cookie: -\nset-cookie: SRV=s1|<now>; path=/',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: -\nset-cookie: SRV=s2|<now>; path=/',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: -\nset-cookie: SRV=s2|<now>; path=/',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: -\nset-cookie: SRV=s2|<now>; path=/',
      '--NI --VU --EI --VU',
    ],
  },
  {
    // maxlife alone: idleness is not checked, the last date is still refreshed.
    cookie: 'SRV insert indirect maxlife 1h',
    exchanges: [{}, { cookie: () => `SRV=s2|${last(-20)}|${first(-600)}` }, { cookie: () => `SRV=s2|${last(-4000)}|${first(-600)}` }, { cookie: () => `SRV=s2|${last(8)}|${first(-4000)}` }],
    expected: [
      'HTTP/1.1 200 OK\nx-server: s1\nx-seen-cookie: -\nset-cookie: SRV=s1|<now>|<now>; path=/',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: -\nset-cookie: SRV=s2|<now>|<now-10m>; path=/',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: -\nset-cookie: SRV=s2|<now>|<now-10m>; path=/',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: -\nset-cookie: SRV=s2|<now>|<now>; path=/',
      '--NI --VU --VU --OI',
    ],
  },
  {
    // The attributes follow the dates. A second cookie of the name names no server, yet its dates are
    // read and checked (E), and it leaves the first one's flag (HAProxy never says U for it).
    cookie: 'SRV insert maxidle 30s maxlife 1h httponly domain .example.com',
    exchanges: [
      { cookie: () => `SRV=s2|${last(-20)}|${first(-600)}` },
      { cookie: () => `SRV=s2|${last(8)}|${first(-600)}; SRV=s1|${last(-20)}|${first(-300)}` },
      { cookie: () => `SRV=s2|${last(8)}|${first(-600)}; SRV=s1|${last(-120)}|${first(-300)}` },
      { cookie: () => 'SRV=bad; SRV=s1' },
    ],
    expected: [
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: SRV=s2|<date>|<date>\nset-cookie: SRV=s2|<now>|<now-10m>; path=/; domain=.example.com; HttpOnly',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: SRV=s2|<date>|<date>; SRV=s1|<date>|<date>\nset-cookie: SRV=s2|<now>|<now-5m>; path=/; domain=.example.com; HttpOnly',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: SRV=s2|<date>|<date>; SRV=s1|<date>|<date>\nset-cookie: SRV=s2|<now>|<now>; path=/; domain=.example.com; HttpOnly',
      'HTTP/1.1 200 OK\nx-server: s1\nx-seen-cookie: SRV=bad; SRV=s1\nset-cookie: SRV=s1|<now>|<now>; path=/; domain=.example.com; HttpOnly',
      '--VU --VU --EU --VU',
    ],
  },
  {
    // rewrite reads the dates (and checks maxidle) but never writes any; prefix has no dates: `|` is part of the value.
    cookie: 'SRV rewrite maxidle 30s',
    exchanges: [{ cookie: () => `SRV=s2|${last(8)}` }, { cookie: () => `SRV=s2|${last(-120)}` }, { path: '/?set=abc', cookie: () => `SRV=s1|${last(8)}` }],
    expected: [
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: SRV=s2|<date>',
      'HTTP/1.1 200 OK\nx-server: s1\nx-seen-cookie: SRV=s2|<date>',
      'HTTP/1.1 200 OK\nset-cookie: SRV=s1\nx-server: s1\nx-seen-cookie: SRV=s1|<date>',
      '--VN --EN --VR',
    ],
  },
  {
    cookie: 'SRV prefix maxidle 30s',
    exchanges: [{ cookie: () => `SRV=s1|${last(8)}` }, { cookie: () => 'SRV=s2~abc' }],
    expected: [
      'HTTP/1.1 200 OK\nx-server: s1\nx-seen-cookie: SRV=s1|<date>',
      'HTTP/1.1 200 OK\nx-server: s2\nx-seen-cookie: SRV=abc',
      '--IN --VN',
    ],
  },
];

test('Set-Cookie with dates, the server reached, and %tsc (E, O, U) match HAProxy 2.6 for maxidle / maxlife', async (t) => {
  const servers = [await origin('s1'), await origin('s2')];
  try {
    for (const scenario of SCENARIOS) {
      const runs = await sideBySide(t, servers, scenario.cookie, scenario.exchanges);
      assert.deepEqual(runs.loadstar, scenario.expected, `Loadstar, cookie ${scenario.cookie}`);
      if (runs.haproxy) assert.deepEqual(runs.haproxy, scenario.expected, `HAProxy, cookie ${scenario.cookie}`);
    }
  } finally {
    for (const s of servers) await s.close();
  }
});

test('with maxidle 3s a cookie works at once, and is ignored (E) once idle longer, as in HAProxy 2.6', async (t) => {
  const servers = [await origin('s1'), await origin('s2')];
  const visit = async (port: number, cookie?: string) => {
    const raw = await rawExchange(port, `GET / HTTP/1.1\r\nhost: t\r\n${cookie ? `cookie: ${cookie}\r\n` : ''}connection: close\r\n\r\n`);
    return { server: /x-server: (\S+)/i.exec(raw)?.[1], cookie: /set-cookie: ([^;\r]+)/i.exec(raw)?.[1] };
  };
  /** Cookie, immediate return, return once idle: the servers reached and the %tsc flags. */
  const scenario = async (port: number, flags: () => string[]) => {
    const set = await visit(port);
    const lastSeen = b64tos30(set.cookie!.split('|')[1]!) << 2;
    const again = await visit(port, set.cookie);
    // Idle longer than 3 s by the clock HAProxy reads (whole seconds), with a second of margin.
    await waitFor('the cookie idle for more than maxidle', () => nowSeconds() > lastSeen + 4, 15_000);
    const idle = await visit(port, set.cookie);
    await waitFor('log lines', () => flags().length === 3);
    // The immediate return may refresh the date (U) or not (N), depending on where in its 4-second unit it falls.
    return [set.server, again.server, idle.server, ...flags().map((f, i) => (i === 1 ? f.replace(/U$/, 'N') : f))];
  };
  const runs: Array<Promise<Array<string | undefined>>> = [];
  const cookie = 'SRV insert indirect maxidle 3s';
  const loadstarPort = await freePort();
  const loadstar = await startEngine(config(loadstarPort, servers, cookie));
  let haproxy: Awaited<ReturnType<typeof startHaproxy>> | undefined;
  try {
    runs.push(scenario(loadstarPort, () => terminationStates(loadstar.logs.join('\n'))));
    if (requireHaproxy(t)) {
      const port = await freePort();
      haproxy = await startHaproxy(config(port, servers, cookie), port);
      const proxy = haproxy;
      runs.push(scenario(port, () => terminationStates(proxy.output())));
    }
    for (const run of await Promise.all(runs)) assert.deepEqual(run, ['s1', 's1', 's2', '--NI', '--VN', '--EI']);
  } finally {
    await loadstar.stop();
    await haproxy?.stop();
    for (const s of servers) await s.close();
  }
});
