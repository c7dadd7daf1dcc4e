/**
 * `peers` sections with the local peer only, and what they are for in
 * Loadstar: a table naming one keeps its entries across a reload when its
 * definition is unchanged (HAProxy's local peer hands tables over to the new
 * process; Loadstar reloads in-process). Which configurations load is
 * compared with `haproxy -c` (2.6.12); peers on other hosts are refused by
 * Loadstar on purpose. A peers section's `table <name>` is a table named `<peers>/<name>`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { parseConfig } from '../../../proxy/config/index.ts';
import type { Config } from '../../../proxy/config/model.ts';
import { showTable } from '../../../proxy/stick/show.ts';
import { freePort, startEngine, startRawServer } from '../../helpers/net.ts';
import { haproxyCheck, haproxyPath } from '../../helpers/haproxy.ts';

const TABLE = `frontend f
    timeout client 1s
    bind 127.0.0.1:10002
    default_backend b
backend b
    timeout connect 1s
    timeout server 1s
    stick-table type ip size 1k peers mine
    stick on src
    server s 127.0.0.1:80
`;

/** Configuration text → [loads, the alert and warning lines], for Loadstar. */
function loadstar(text: string): [boolean, string[]] {
  const result = parseConfig([{ name: 'p.cfg', text }]);
  return [result.ok, result.diagnostics.map((d) => `${d.severity} ${d.message}`)];
}

const CASES: Array<{ what: string; text: string; loads: boolean; diagnostics: string[] }> = [
  {
    what: 'the local peer named after the host',
    text: `peers mine\n    peer ${os.hostname()} 127.0.0.1:10001\n${TABLE}`,
    loads: true, diagnostics: [],
  },
  {
    what: '2.x syntax: bind and a server line without address, named by localpeer',
    text: `global\n    localpeer lp\npeers mine\n    bind 127.0.0.1:10001\n    default-server inter 1s\n    server lp\n${TABLE}`,
    loads: true, diagnostics: [],
  },
  {
    what: 'no local peer: the section is removed with a warning',
    text: `global\n    localpeer lp\npeers mine\n    peer notme 127.0.0.1:10001\n${TABLE}`,
    loads: true, diagnostics: [`warning Removing incomplete section 'peers mine' (no peer named 'lp').`],
  },
  {
    what: 'a table naming a peers section that does not exist',
    text: TABLE,
    loads: false, diagnostics: [`alert Proxy 'b': unable to find sync peers 'mine'.`],
  },
  {
    what: 'a table naming an empty peers section',
    text: `global\n    localpeer lp\npeers mine\n${TABLE}`,
    loads: false, diagnostics: [`warning Removing incomplete section 'peers mine' (no peer named 'lp').`, `alert Proxy 'b': unable to find local peer 'lp' in peers section 'mine'.`],
  },
  {
    what: 'a disabled section, whatever its peers',
    text: `global\n    localpeer lp\npeers mine\n    disabled\n    peer other 10.0.0.2:10001\n${TABLE}`,
    loads: true, diagnostics: [],
  },
];

test('peers sections with the local peer load as with haproxy -c: named by the host or localpeer, peer or bind+server syntax, incomplete and disabled sections, missing references', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-peers-'));
  try {
    for (const c of CASES) {
      assert.deepEqual(loadstar(c.text), [c.loads, c.diagnostics], c.what);
      if (!haproxyPath) continue;
      fs.writeFileSync(path.join(dir, 'p.cfg'), c.text);
      const theirs = haproxyCheck('p.cfg', dir);
      assert.equal(theirs.status === 0, c.loads, `${c.what}: haproxy -c says\n${theirs.output}`);
      for (const d of c.diagnostics) assert.ok(theirs.output.includes(d.replace(/^\w+ /, '')), `${c.what}: haproxy -c does not say ${d}\n${theirs.output}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Loadstar refuses a peer on another host (no table synchronisation between hosts), naming the line; a table declared in a peers section loads', () => {
  const remote = loadstar(`global\n    localpeer lp\npeers mine\n    peer lp 127.0.0.1:10001\n    peer other 10.0.0.2:10001\n${TABLE}`);
  assert.deepEqual(remote, [false, [`alert peers 'mine': peer 'other' is another host (the local peer is 'lp'): synchronising stick tables between hosts is not supported by Loadstar; a peers section with only the local peer keeps tables across reloads.`]]);
  const table = parseConfig([{ name: 'p.cfg', text: `global\n    localpeer lp\npeers mine\n    peer lp 127.0.0.1:10001\n    table t type ip size 1k\n` }]);
  assert.deepEqual(table.diagnostics.map((d) => [d.code, d.line, d.message]), []);
  const bad = parseConfig([{ name: 'p.cfg', text: `global\n    localpeer lp\npeers mine\n    peer lp 127.0.0.1:10001\n    table t type foo size 1k\n` }]);
  assert.deepEqual(bad.diagnostics.map((d) => [d.line, d.message]), [[5, `stick-table: unknown type 'foo'.`]]);
});

/** One TCP connection: what the server answers. */
function ask(port: number): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const s = net.connect(port, '127.0.0.1', () => s.write('hello'));
    s.on('data', (d) => (answer += d.toString()));
    s.on('error', () => {});
    s.on('close', () => resolve(answer || 'closed'));
  });
}

test('a reload keeps the entries of a table naming a local-only peers section when its type, size and store are unchanged; other tables, a changed size or a disabled section start empty', async () => {
  const servers = await Promise.all(['t1', 't2'].map(async (name) => ({ name, ...(await startRawServer((s) => s.once('data', () => s.end(name)))) })));
  const config = (opts: { peers?: string; size?: string; order?: 't1t2' | 't2t1'; disabled?: boolean }): string => `global
    localpeer lp
defaults
    timeout client 5s
    timeout server 5s
    timeout connect 2s
peers mine
    ${opts.disabled ? 'disabled' : ''}
    peer lp 127.0.0.1:10001
listen tcpl
    mode tcp
    bind 127.0.0.1:${listen}
    balance roundrobin
    stick-table type ip size ${opts.size ?? '1k'} expire 30m${opts.peers ? ` peers ${opts.peers}` : ''}
    stick on src
${(opts.order === 't2t1' ? [servers[1]!, servers[0]!] : servers).map((s) => `    server ${s.name} 127.0.0.1:${s.port} id ${s.name.slice(1)}`).join('\n')}
`;
  const parsed = (text: string): Config => {
    const result = parseConfig([{ name: 'reload.cfg', text }]);
    assert.ok(result.ok);
    return result.config;
  };
  const listen = await freePort();
  const e = await startEngine(config({ peers: 'mine' }));
  try {
    const port = () => e.engine.addresses()[0]!.port;
    const entries = () => showTable(e.engine.stickTables(), ['tcpl'], true).split('\n').filter((l) => l.includes('key=')).map((l) => l.replace(/^\S+ /, '').replace(/ exp=\d+/, ''));
    assert.equal(await ask(port()), 't1');
    assert.deepEqual(entries(), ['key=127.0.0.1 use=0 server_id=1 server_key=t1']);
    // The balancer would now pick t2 first: the kept entry sends the client to t1.
    await e.engine.reload(parsed(config({ peers: 'mine', order: 't2t1' })));
    assert.deepEqual(entries(), ['key=127.0.0.1 use=0 server_id=1 server_key=t1']);
    assert.equal(await ask(port()), 't1');
    // A different size: HAProxy's new table would not take the old one's entries either.
    await e.engine.reload(parsed(config({ peers: 'mine', size: '2k', order: 't2t1' })));
    assert.deepEqual(entries(), []);
    assert.equal(await ask(port()), 't2');
    await e.engine.reload(parsed(config({ peers: 'mine', size: '2k', order: 't1t2', disabled: true })));
    assert.deepEqual(entries(), []);
    assert.equal(await ask(port()), 't1');
    await e.engine.reload(parsed(config({ order: 't2t1' })));
    assert.deepEqual(entries(), []);
  } finally {
    await e.stop();
    await Promise.all(servers.map((s) => s.close()));
  }
});

test('a table declared in a peers section is the table <peers>/<name> that track-sc uses, as in HAProxy 2.6', async (t) => {
  const { sideBySide } = await import('../http/lib/side-by-side.ts');
  const { rawExchange } = await import('../../helpers/net.ts');
  const peerPort = await freePort();
  const config = (port: number): string => `global
    localpeer lp
peers mine
    peer lp 127.0.0.1:${peerPort}
    table clients type ip size 1k expire 1m store http_req_cnt,gpt0
defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port}
    http-request track-sc0 src table mine/clients
    http-request sc-set-gpt0(0) 42
    http-request return status 200 hdr x-count "%[sc_http_req_cnt(0)] %[sc_get_gpt0(0)] %[src,table_http_req_cnt(mine/clients)]"
`;
  await sideBySide(t, config, async (port) => {
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) {
      const reply = await rawExchange(port, 'GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      seen.push(/x-count: ([^\r]*)/.exec(reply)?.[1] ?? reply);
    }
    assert.deepEqual(seen, ['1 42 1', '2 42 2']);
  });
});
