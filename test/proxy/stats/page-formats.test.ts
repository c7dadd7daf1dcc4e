/**
 * The stats page's `;csv` and `;json` forms as HAProxy 2.6.12 serves them (stats uri, refresh):
 * text/plain CSV and application/json, both with the page's refresh header; the JSON is `show stat
 * json`'s (management.txt), each field with its position (the module counters after the CSV's "-"
 * column one lower), tags and type; without `stats show-legends` the server addresses, cookies and
 * the algorithm stay empty. Recorded facts first; where haproxy is installed, the field lists of
 * both JSON answers are compared whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, startRawServer, freePort } from '../../helpers/net.ts';
import { readCsv } from './helpers.ts';

function config(port: number, serverPort: number): string {
  return `defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
  stats enable
  stats uri /stats
  stats refresh 5s
  default_backend be
backend be
  server s1 127.0.0.1:${serverPort}
`;
}

function get(port: number, path: string): Promise<{ headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ headers: res.headers, body }));
    }).on('error', reject);
  });
}

interface JsonField {
  objType: string; proxyId: number; id: number; field: { pos: number; name: string }; processNum: number;
  tags: { origin: string; nature: string; scope: string }; value: { type: string; value: string | number };
}

/** Every field of every row without its value: what must match HAProxy's. */
function shape(body: string): string[] {
  const rows = JSON.parse(body) as JsonField[][];
  return rows.flatMap((r) => r.map((f) => `${f.objType} ${f.field.pos} ${f.field.name} ${f.tags.origin}/${f.tags.nature}/${f.tags.scope} ${f.value.type}`));
}

async function pages(start: (text: string, port: number) => Promise<{ port: number; stop(): Promise<void> }>) {
  const origin = await startRawServer((s) => s.destroy());
  const port = await freePort();
  const proxy = await start(config(port, origin.port), port);
  try {
    return { csv: await get(proxy.port, '/stats;csv'), json: await get(proxy.port, '/stats;json'), norefresh: await get(proxy.port, '/stats;csv;norefresh') };
  } finally {
    await proxy.stop();
    await origin.close();
  }
}

const loadstar = (text: string) => startEngine(text).then((e) => ({ port: e.port, stop: e.stop }));

test('stats page ;csv and ;json: types, refresh header, JSON fields as HAProxy 2.6 prints them, no legends', async () => {
  const { csv, json, norefresh } = await pages(loadstar);
  assert.equal(csv.headers['content-type'], 'text/plain');
  assert.equal(csv.headers['refresh'], '5');
  assert.equal(norefresh.headers['refresh'], undefined);
  assert.equal(json.headers['content-type'], 'application/json');
  assert.equal(json.headers['refresh'], '5');
  assert.ok(json.body.endsWith(']]\n'));
  const fields = shape(json.body);
  // Recorded from haproxy 2.6.12's /stats;json.
  for (const f of [
    'Frontend 0 pxname Key/Name/Service str',
    'Frontend 103 ssl_sess Metric/Counter/Process u64',
    'Frontend 126 h1_spliced_bytes_out Metric/Counter/Process u64',
    'Server 18 weight Metric/Avg/Process u32',
    'Server 19 act Status/Gauge/Process u32',
    'Server 58 qtime Metric/Avg/Process u32',
    'Backend 33 rate Metric/Gauge/Process u32',
    'Backend 35 rate_max Metric/Gauge/Process u32',
    'Frontend 33 rate Metric/Rate/Process u32',
  ]) assert.ok(fields.includes(f), `${f} in\n${fields.join('\n')}`);
  assert.ok(!fields.some((f) => / (addr|algo|cookie) /.test(f)), 'no legends without stats show-legends');
  const s1 = readCsv(csv.body).find((r) => r['svname'] === 's1')!;
  assert.equal(s1['addr'], '');
});

test('stats page ;json: the same fields as HAProxy 2.6', async (t) => {
  if (!requireHaproxy(t)) return;
  const h = await pages(async (text, port) => {
    const p = await startHaproxy(text, port);
    return { port, stop: p.stop };
  });
  const l = await pages(loadstar);
  assert.deepEqual(shape(l.json.body), shape(h.json.body));
  assert.equal(l.json.headers['content-type'], h.json.headers['content-type']);
  assert.equal(l.csv.headers['refresh'], h.csv.headers['refresh']);
});
