/**
 * sc-inc-gpc0/1 and sc-set-gpt0 in tcp-request connection and content, http-request and http-response rules, with
 * the sc_get_gpc0/1 and sc_get_gpt0 fetches reading them back: side by side with haproxy 2.6.12, whose
 * answers are recorded here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { rawExchange } from '../../helpers/net.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';

const config = (origin: number) => (port: number): string => `defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
backend st
    stick-table type ip size 1k expire 1m store gpc0,gpc1,gpt0,gpc0_rate(10s)
backend conns
    stick-table type ip size 1k expire 1m store gpc0,gpt0
frontend f
    bind 127.0.0.1:${port}
    tcp-request connection track-sc1 src table conns
    tcp-request connection sc-inc-gpc0(1)
    tcp-request connection sc-set-gpt0(1) 9
    tcp-request content track-sc0 src table st
    tcp-request content sc-inc-gpc0(0) if { path /gpc }
    tcp-request content sc-set-gpt0(0) 7 if { path /seven }
    http-request sc-inc-gpc1(0) if { path /gpc }
    http-request sc-set-gpt0(0) int(3),add(1) if { path /four }
    http-request sc-set-gpt0 -1 if { path /minus }
    http-request set-var(txn.before) sc_get_gpc0(0),concat(/,txn.gpt) if { sc_get_gpt0(0),set-var(txn.gpt) -m found }
    http-response sc-inc-gpc0 if { var(txn.before) -m found }
    http-response sc-set-gpt0(0) str(nope) if { var(txn.before) -m beg 9 }
    http-response set-header x-counters "before=%[var(txn.before)] gpc0=%[sc_get_gpc0(0)] gpc1=%[sc_get_gpc1(0)] gpt0=%[sc_get_gpt0(0)] rate=%[sc_gpc0_rate(0)] conn=%[sc_get_gpc0(1)]/%[sc_get_gpt0(1)]"
    default_backend app
backend app
    server s1 127.0.0.1:${origin}
`;

/** [path, the x-counters header haproxy sent]: one connection each, the same client address throughout. */
const STEPS: Array<[string, string]> = [
  // conn: counted by the connection rules, the harness's probe connection included.
  ['/gpc', 'before=1/0 gpc0=2 gpc1=1 gpt0=0 rate=2 conn=2/9'],
  ['/seven', 'before=2/7 gpc0=3 gpc1=1 gpt0=7 rate=3 conn=3/9'],
  ['/four', 'before=3/4 gpc0=4 gpc1=1 gpt0=4 rate=4 conn=4/9'],
  ['/gpc', 'before=5/4 gpc0=6 gpc1=2 gpt0=4 rate=6 conn=5/9'],
  // gpt0 is an unsigned 32-bit tag: -1 wraps.
  ['/minus', 'before=6/4294967295 gpc0=7 gpc1=2 gpt0=4294967295 rate=7 conn=6/9'],
];

test('sc-inc-gpc0/1 and sc-set-gpt0 change the tracked entry as in HAProxy 2.6', async (t) => {
  const origin = http.createServer((_req, res) => res.end());
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  try {
    await sideBySide(t, config((origin.address() as AddressInfo).port), async (port) => {
      const seen: string[] = [];
      for (const [path] of STEPS) {
        const reply = await rawExchange(port, `GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
        seen.push(/x-counters: ([^\r]*)/i.exec(reply)?.[1] ?? reply);
      }
      assert.deepEqual(seen, STEPS.map(([, h]) => h));
    });
  } finally {
    await new Promise((r) => origin.close(r));
  }
});

const arrays = (port: number): string => `defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
backend st
    stick-table type ip size 1k expire 1m store gpc(2),gpt(2),gpc_rate(2,10s)
frontend f
    bind 127.0.0.1:${port}
    http-request track-sc0 src table st
    http-request sc-inc-gpc(1,0)
    http-request sc-set-gpt(1,0) int(5),add(1) if { path /six }
    http-request sc-set-gpt0(0) 3 if { path /three }
    http-request return status 200 hdr x-arrays "gpc1=%[sc_get_gpc(1,0)] rate1=%[sc_gpc_rate(1,0)] gpt1=%[sc_get_gpt(1,0)] gpt0=%[sc_get_gpt0(0)] inc0=%[sc_inc_gpc(0,0)] gpc0=%[sc_get_gpc0(0)] rate0=%[sc0_gpc0_rate] table=%[src,table_gpc(1,st)]"
`;

test('the gpc, gpt and gpc_rate arrays, sc-inc-gpc(<idx>,<sc>) and sc-set-gpt(<idx>,<sc>), and gpc0/gpt0 falling back on their first element, as in HAProxy 2.6', async (t) => {
  await sideBySide(t, arrays, async (port) => {
    const seen: string[] = [];
    for (const path of ['/', '/six', '/three']) {
      const reply = await rawExchange(port, `GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      seen.push(/x-arrays: ([^\r]*)/i.exec(reply)?.[1] ?? reply);
    }
    assert.deepEqual(seen, [
      'gpc1=1 rate1=1 gpt1=0 gpt0=0 inc0=1 gpc0=1 rate0=1 table=1',
      'gpc1=2 rate1=2 gpt1=6 gpt0=0 inc0=2 gpc0=2 rate0=2 table=2',
      'gpc1=3 rate1=3 gpt1=6 gpt0=3 inc0=3 gpc0=3 rate0=3 table=3',
    ]);
  });
});

test('show table prints the arrays element by element, as haproxy 2.6.12 does', async () => {
  const { parseConfig } = await import('../../../proxy/config/index.ts');
  const { StickTables } = await import('../../../proxy/stick/tables.ts');
  const { showTable } = await import('../../../proxy/stick/show.ts');
  const { incGpcAt, setGpt } = await import('../../../proxy/stick/read.ts');
  const result = parseConfig([{ name: 'x.cfg', text: 'backend st\n    stick-table type ip size 1k expire 1m store gpc(2),gpt(2),gpc_rate(2,10s),conn_cnt\n' }]);
  assert.ok(result.ok);
  const tables = new StickTables(result.config);
  const table = tables.get('st')!;
  const entry = table.getEntry('127.0.0.1')!;
  table.add(entry, 'conn_cnt', 1);
  incGpcAt(table, entry, 'gpc[1]', 'gpc_rate[1]', Date.now());
  setGpt(table, entry, 1, 6, Date.now());
  // haproxy, after one request through `sc-inc-gpc(1,0)` and `sc-set-gpt(1,0) 6` (its address and exp= aside).
  const line = showTable(tables, ['st'], true).split('\n')[1]!;
  assert.equal(line.replace(/^0x[0-9a-f]+: /, '').replace(/exp=\d+/, 'exp=T'), 'key=127.0.0.1 use=0 exp=T conn_cnt=1 gpt0=0 gpt1=6 gpc0=0 gpc1=1 gpc0_rate(10000)=0 gpc1_rate(10000)=1');
});

test('array data types in a stick-table store are refused as HAProxy 2.6 refuses them', async () => {
  const { parseConfig } = await import('../../../proxy/config/index.ts');
  const alerts = (store: string): string[] => parseConfig([{ name: 'x.cfg', text: `backend b\n    stick-table type ip size 1k store ${store}\n` }]).diagnostics.filter((d) => d.severity === 'alert').map((d) => d.message);
  assert.deepEqual(alerts('gpc'), [`stick-table: missing argument to store option 'gpc'.`]);
  assert.deepEqual(alerts('gpc(0)'), [`stick-table: array size is out of allowed range (1-100) for store option 'gpc'.`]);
  assert.deepEqual(alerts('gpc(101)'), [`stick-table: array size is out of allowed range (1-100) for store option 'gpc'.`]);
  assert.deepEqual(alerts('gpc_rate(2)'), [`stick-table: missing argument to store option 'gpc_rate'.`]);
  assert.deepEqual(alerts('gpc(2),gpc0'), [`stick-table: simultaneous usage of 'gpc' and 'gpc[0/1]' in a same table is not permitted as 'gpc' overrides 'gpc[0/1]'.`]);
  assert.deepEqual(alerts('gpt(3),gpc(100),gpc_rate(2,10s)'), []);
});
