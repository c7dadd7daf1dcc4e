import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEngine, startNamedServer, freePort, request, HTTP_DEFAULTS } from '../../helpers/net.ts';
import { readCsv, row } from './helpers.ts';
import { parseStatsPage } from './page-parse.ts';
import type { PageTable } from './page-parse.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';

async function setup() {
  const origin = await startNamedServer('app');
  const port = await freePort();
  const e = await startEngine(`${HTTP_DEFAULTS}frontend web
  bind 127.0.0.1:${port}
  stats enable
  stats uri /stats
  stats refresh 5s
  stats realm Lab
  stats auth admin:secret
  stats admin if { src 127.0.0.1 }
  default_backend app
backend app
  server a 127.0.0.1:${origin.port}
  server b 127.0.0.1:${origin.port}
`);
  const auth = { authorization: `Basic ${Buffer.from('admin:secret').toString('base64')}` };
  return { port, auth, e, close: async () => { await e.stop(); await origin.close(); } };
}

test('stats auth: 401 with the realm without credentials, the page with them', async () => {
  const s = await setup();
  try {
    const denied = await request(s.port, '/stats');
    assert.equal(denied.status, 401);
    assert.equal(denied.headers['www-authenticate'], 'Basic realm="Lab"');
    const page = await request(s.port, '/stats', { headers: s.auth });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(page.headers['refresh'], '5');
    assert.match(page.body, /<table class="tbl" width="100%">/);
    assert.doesNotMatch(page.body, /<(link|script)[^>]+(href|src)="http/i, 'self-contained');
    // HAProxy's form has no action: it posts back to the page's own URL, which starts with the stats URI.
    assert.match(page.body, /<form method="post"><table class="tbl"/);
    assert.match(page.body, /<input type="hidden" name="b" value="#\d+">/);
    assert.equal((await request(s.port, '/')).body, 'app', 'other URIs go to the backend');
  } finally {
    await s.close();
  }
});

test(';csv answers HAProxy\'s CSV, readable by a CSV reader', async () => {
  const s = await setup();
  try {
    await request(s.port, '/');
    const csv = await request(s.port, '/stats;csv', { headers: s.auth });
    assert.equal(csv.status, 200);
    assert.match(String(csv.headers['content-type']), /^text\/plain/);
    const rows = readCsv(csv.body);
    assert.equal(row(rows, 'web', 'FRONTEND')['status'], 'OPEN');
    assert.equal(row(rows, 'app', 'BACKEND')['hrsp_2xx'], '1');
  } finally {
    await s.close();
  }
});

test('stats admin: the form sets a server to drain, and the page redirects with st=DONE', async () => {
  const s = await setup();
  try {
    const rows = readCsv((await request(s.port, '/stats;csv', { headers: s.auth })).body);
    const iid = row(rows, 'app', 'BACKEND')['iid'];
    const body = `s=b&action=drain&b=%23${iid}`;
    const res = await request(s.port, '/stats', { method: 'POST', body, headers: { ...s.auth, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) } });
    assert.equal(res.status, 303);
    assert.equal(res.headers['location'], '/stats;st=DONE');
    assert.equal(s.e.engine.backend('app')!.server('b')!.status, 'DRAIN');
    const after = readCsv((await request(s.port, '/stats;csv', { headers: s.auth })).body);
    assert.equal(row(after, 'app', 'b')['status'], 'DRAIN');
  } finally {
    await s.close();
  }
});

test('the page shows LbTot next to Total, as HAProxy\'s: the balancer\'s picks, not the cookie\'s', async () => {
  const origin = await startNamedServer('app');
  // A server named by a cookie is not picked (HAProxy 2.6.12's cum_lbconn): Total counts it, LbTot does not.
  const e = await startEngine(`${HTTP_DEFAULTS}frontend web
  bind 127.0.0.1:${await freePort()}
  stats enable
  stats uri /stats
  default_backend app
backend app
  cookie SRV
  server a 127.0.0.1:${origin.port} cookie a
`);
  try {
    await request(e.port, '/x');
    await request(e.port, '/x', { headers: { cookie: 'SRV=a' } });
    const page = (await request(e.port, '/stats')).body;
    const table = parseStatsPage(page).find((t) => t.proxy === 'app')!;
    const heads = table.headers[1]!;
    const column = heads.indexOf('LbTot');
    assert.equal(heads[column - 1], 'Total');
    // The first cell is the row's name: the value cells are one further.
    for (const cls of ['active_no_check', 'backend']) {
      const cells = table.rows.find((r) => r.cls === cls)!.cells;
      assert.equal(cells[column], '2', `${cls} Total`);
      assert.equal(cells[column + 1], '1', `${cls} LbTot`);
    }
  } finally {
    await e.stop();
    await origin.close();
  }
});

/** Servers in each state a page shows: checked UP, not checked, DOWN, MAINT, backup, tracking, and one with weight 0. */
function stateConfig(ports: { stats: number; admin: number; web: number }, origin: number): string {
  return `${HTTP_DEFAULTS}    timeout check 5s
listen stats
  bind 127.0.0.1:${ports.stats}
  stats enable
  stats uri /stats
  stats refresh 5s
  stats show-legends
listen stats-admin
  bind 127.0.0.1:${ports.admin}
  stats enable
  stats uri /stats
  stats refresh 5s
  stats admin if TRUE
frontend web
  bind 127.0.0.1:${ports.web}
  maxconn 500
  default_backend app
backend app
  server up1 127.0.0.1:${origin} check inter 200 rise 1 fall 1 maxconn 30 maxqueue 7
  server nocheck 127.0.0.1:${origin}
  server down1 127.0.0.1:1 check inter 200 rise 1 fall 1
  server maint1 127.0.0.1:${origin} check disabled
  server bk 127.0.0.1:${origin} check inter 200 rise 1 fall 1 backup weight 7
  server tr 127.0.0.1:${origin} track app/up1
  server w0 127.0.0.1:${origin} weight 0
backend tcp-side
  mode tcp
  server t1 127.0.0.1:${origin} check inter 200 rise 1 fall 1
`;
}

/**
 * A table's comparable form: header rows, row classes, and cells with counters, times and
 * durations masked, except the columns both processes know alike (limits, weights, Act/Bck,
 * throttle). Last (time since the last session) is dropped: HAProxy counts its own stats page there.
 */
function comparable(table: PageTable): string[] {
  const heads = ['', ...table.headers[1]!];
  // With `stats admin`, a checkbox column comes first (an empty heading before the name's).
  const admin = table.headers[0]![1] === '';
  const exact = new Set(['Limit', 'Wght', 'Act', 'Bck', 'Thrtle']);
  // A check running at that instant shows "* " before its status (checks every 200 ms): timing, masked too.
  const mask = (text: string): string => text.replace(/^\* /, '').replace(/\d+/g, 'N').replace(/(N[dhms])+/g, 'T');
  return [
    `${table.proxy}: ${table.headers.map((h) => h.join('|')).join(' / ')}`,
    ...table.rows.map((r) => {
      const cells = admin ? r.cells.slice(1) : r.cells;
      let column = 0;
      return `${r.cls} ${cells.map((c) => {
        const head = heads[column]!;
        column += Number(/@(\d+)$/.exec(c)?.[1] ?? 1);
        return head === 'Last' ? '*' : exact.has(head) ? c : mask(c);
      }).join('|')}`;
    }),
  ];
}

/** A status cell marked "* ": a check running at that instant. */
function checkUnderWay(page: string): boolean {
  return parseStatsPage(page).some((t) => t.rows.some((r) => r.cells.some((c) => c.startsWith('* '))));
}

async function statePages(start: (text: string, port: number) => Promise<{ stop(): Promise<void> }>) {
  const origin = await startNamedServer('app');
  const ports = { stats: await freePort(), admin: await freePort(), web: await freePort() };
  const proxy = await start(stateConfig(ports, origin.port), ports.stats);
  try {
    await request(ports.web, '/');
    // The checks settle (each has run once, down1 is DOWN) within a few intervals; bounded wait, by
    // time: under CI's load haproxy's first check of t1 came after the 5 s that 50 tries had taken.
    let plain = '';
    for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
      plain = (await request(ports.stats, '/stats')).body;
      const rows = parseStatsPage(plain).flatMap((t) => t.rows);
      if (rows.some((r) => r.cls === 'active_down') && !rows.some((r) => r.cells.includes('INI')) && !checkUnderWay(plain)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Read at a moment no check runs: one under way shows its code 0 and no details (HAProxy clears
    // them as a check starts), so its tooltip would depend on when each side was read.
    const page = async (port: number, path: string): Promise<string> => {
      let body = '';
      for (let tries = 0; tries < 50; tries++) {
        body = (await request(port, path)).body;
        if (!checkUnderWay(body)) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      return body;
    };
    return {
      plain, admin: await page(ports.admin, '/stats'), up: await page(ports.stats, '/stats;up'),
      scoped: await page(ports.stats, '/stats;up;norefresh?scope=AP'), done: await page(ports.admin, '/stats;st=DONE'), part: await page(ports.admin, '/stats;st=PART;norefresh'),
    };
  } finally {
    await proxy.stop();
    await origin.close();
  }
}

test('the page is HAProxy 2.6\'s: per proxy the same header rows, rows, row classes and cells (counters and times masked)', async (t) => {
  if (!requireHaproxy(t)) return;
  const h = await statePages((text, port) => startHaproxy(text, port, { defaultThreads: true }));
  const l = await statePages((text) => startEngine(text));
  for (const form of ['plain', 'admin', 'up', 'scoped'] as const) {
    const ht = parseStatsPage(h[form]);
    const lt = parseStatsPage(l[form]);
    assert.deepEqual(lt.map((x) => x.proxy), ht.map((x) => x.proxy), form);
    for (let i = 0; i < ht.length; i++) assert.deepEqual(comparable(lt[i]!), comparable(ht[i]!), `${form}: ${ht[i]!.proxy}`);
  }
  // Every tooltip (rates, sessions, HTTP responses, times, compression, check details) says the same things.
  const tooltips = (page: string): string[] => [...page.matchAll(/<div class=tips>(.*?)<\/div>/gs)]
    .map((m) => m[1]!.replace(/<span class="rls">(\d)<\/span>/g, '$1').replace(/\d+/g, 'N'));
  for (const form of ['plain', 'admin'] as const) assert.deepEqual(tooltips(l[form]), tooltips(h[form]), form);
  // The display options' links (;up, ;norefresh, the scope carried along) and the `;st=` messages.
  const options = (page: string): string => page.slice(page.indexOf('<b>Display option:</b>'), page.indexOf('<b>External resources:</b>'));
  const message = (page: string): string | undefined => /<p><div class=\w+>.*?<\/div>\n/s.exec(page)?.[0];
  for (const form of ['plain', 'scoped', 'done', 'part'] as const) {
    assert.equal(options(l[form]), options(h[form]), form);
    assert.equal(message(l[form]), message(h[form]), form);
  }
  assert.ok(message(l.done)!.includes('Action processed successfully.'));
  // `stats show-legends`: the proxies', servers' and backends' legend tooltips.
  const legends = (page: string): string[] => [...page.matchAll(/<div class=tips>((?:cap|IPv4|IPv6|id|balancing):[^<]*)<\/div>/g)].map((m) => m[1]!.replace(/:\d{4,5},/, ':PORT,'));
  assert.ok(legends(h.plain).length > 0);
  assert.deepEqual(legends(l.plain), legends(h.plain));
  assert.deepEqual(legends(l.admin), []);
  // The admin page: a form per backend with servers, HAProxy's action list, each server's checkbox.
  for (const page of [h.admin, l.admin]) {
    assert.match(page, /<input class='app-checkbox' type="checkbox" name="s" value="up1">/);
    assert.match(page, /<option value="shutdown">Kill Sessions<\/option><\/select><input type="hidden" name="b" value="#\d+">/);
  }
});

test('text from the configuration is HTML-escaped on the page (a description, a cookie in the legends)', async () => {
  const origin = await startNamedServer('app');
  const port = await freePort();
  const e = await startEngine(`${HTTP_DEFAULTS}frontend web
  bind 127.0.0.1:${port}
  stats enable
  stats uri /stats
  stats show-legends
  default_backend app
backend app
  description <script>alert(1)</script> & co
  cookie SRV insert
  server a 127.0.0.1:${origin.port} cookie <b>
`);
  try {
    const page = (await request(port, '/stats')).body;
    assert.doesNotMatch(page, /<script>|<b>'/);
    assert.match(page, /<th class="desc" width="90%">&#60;script&#62;alert\(1\)&#60;\/script&#62; &#38; co<\/th>/);
    assert.match(page, /id: 1, cookie: '&#60;b&#62;'/);
  } finally {
    await e.stop();
    await origin.close();
  }
});

test('stats hide-version: the heading names the product alone, as HAProxy\'s says "HAProxy"', async () => {
  const port = await freePort();
  const config = (hide: boolean) => `${HTTP_DEFAULTS}listen stats\n  bind 127.0.0.1:${port}\n  stats enable\n  stats uri /stats\n${hide ? '  stats hide-version\n' : ''}`;
  const heading = async (hide: boolean) => {
    const e = await startEngine(config(hide));
    try {
      return /<h1><a [^>]*>(.*?)<\/a><\/h1>/.exec((await request(port, '/stats')).body)![1];
    } finally {
      await e.stop();
    }
  };
  assert.equal(await heading(true), 'Loadstar');
  assert.match((await heading(false))!, /^Loadstar &mdash; HAProxy 2\.6 compatible \(.+\)$/);
});

test('stats show-node and show-desc name the node and describe it in the title and heading, as HAProxy 2.6 does; an invalid node name is refused', async (t) => {
  if (!requireHaproxy(t)) return;
  const config = (port: number, lines: string) => `global
    node lab-node-1
    description The home lab
${HTTP_DEFAULTS}listen stats
    bind 127.0.0.1:${port}
    stats enable
    stats uri /stats
${lines}`;
  /** The page's <title> and <h2>, the pid and the product name masked. */
  const heads = async (start: (text: string, port: number) => Promise<{ stop(): Promise<void> }>, lines: string): Promise<string> => {
    const port = await freePort();
    const proxy = await start(config(port, lines), port);
    try {
      const body = (await request(port, '/stats')).body;
      const title = /<title>([^<]*)<\/title>/.exec(body)![1]!.replace(/HAProxy|Loadstar/, 'PRODUCT');
      const h2 = /<h2>([^<]*)<\/h2>/.exec(body)![1]!.replace(/pid \d+/, 'pid N');
      return `${title} | ${h2}`;
    } finally {
      await proxy.stop();
    }
  };
  for (const lines of ['    stats show-node\n', '    stats show-node edge_2.lan\n', '    stats show-desc\n', '    stats show-desc rack 2, shelf 3\n',
    '    stats show-node\n    stats show-desc\n', '']) {
    const theirs = await heads((text, port) => startHaproxy(text, port, { defaultThreads: true }), lines);
    const ours = await heads((text) => startEngine(text), lines);
    assert.equal(ours, theirs, lines);
  }
  assert.equal(await heads((text) => startEngine(text), '    stats show-node edge\n    stats show-desc rack 2\n'), 'Statistics Report for PRODUCT on edge | Statistics Report for pid N on edge: rack 2');
});
