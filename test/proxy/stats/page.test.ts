import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEngine, startNamedServer, freePort, request, HTTP_DEFAULTS } from '../../helpers/net.ts';
import { readCsv, row } from './helpers.ts';

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
    assert.match(page.body, /<table>/);
    assert.doesNotMatch(page.body, /<(link|script)[^>]+(href|src)="http/i, 'self-contained');
    assert.match(page.body, /<form method="post" action="\/stats">/);
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
    const table = page.slice(page.indexOf('<h2 id="app">'));
    const heads = [...table.matchAll(/<th>([^<]*)<\/th>/g)].map((m) => m[1]);
    const column = heads.indexOf('LbTot');
    assert.equal(heads[column - 1], 'Total');
    const cells = (name: string) => [...new RegExp(`<td class="name">${name}</td>(.*?)</tr>`).exec(table)![1]!.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]);
    // heads[0] is Name: the value cells start one lower.
    for (const name of ['a', 'BACKEND']) {
      assert.equal(cells(name)[column - 2], '2', `${name} Total`);
      assert.equal(cells(name)[column - 1], '1', `${name} LbTot`);
    }
  } finally {
    await e.stop();
    await origin.close();
  }
});
