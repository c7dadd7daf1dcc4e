/**
 * http-request / http-response set-map, del-map, add-acl and del-acl (http_act.c
 * http_action_set_map): the rules change the entries of a map or pattern file in memory, and the
 * map converters and `-f` ACLs reading that file see the change at the next lookup. Run on
 * Loadstar and then on haproxy 2.6.12, which gave the answers recorded here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closedRequest, sideBySide } from './lib/side-by-side.ts';
import { startEngine, freePort } from '../../helpers/net.ts';
import { parseConfig } from '../../../proxy/config/index.ts';

function tempFiles(t: { after(fn: () => void): void }, files: Record<string, string>): Record<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-maps-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) {
    out[name] = path.join(dir, name);
    fs.writeFileSync(out[name], text);
  }
  return out;
}

const DEFAULTS = `defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
`;

/** Each path on a connection of its own, closed by its answer: "status body". */
async function each(port: number, ...paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) out.push(await closedRequest(port, p));
  return out;
}

test('set-map adds or updates a key and del-map removes it: map() and map_beg() on the same file see it at once', async (t) => {
  const f = tempFiles(t, { 'x.map': 'a 1\nb 2\n# comment\n' });
  await sideBySide(t, (port) => `${DEFAULTS}
frontend fe
    bind 127.0.0.1:${port}
    http-request set-map(${f['x.map']}) %[url_param(k)] %[url_param(v)] if { path_beg /set }
    http-request del-map(${f['x.map']}) %[url_param(k)] if { path_beg /del }
    http-request add-acl(${f['x.map']}) %[url_param(k)] if { path_beg /acl }
    http-request return status 200 content-type text/plain lf-string "%[url_param(k),map(${f['x.map']},none)] %[url_param(k),map_beg(${f['x.map']},none)]"
`, async (port) => {
    assert.deepEqual(await each(port,
      '/get?k=a', '/set?k=a&v=9', '/get?k=a', '/set?k=c&v=3', '/get?k=cz', '/get?k=c', '/del?k=a', '/get?k=a', '/get?k=b',
    ), ['200 1 1', '200 9 9', '200 9 9', '200 3 3', '200 none 3', '200 3 3', '200 none none', '200 none none', '200 2 2']);
    // add-acl on a map's file: an entry without a value, which a map answers as boolean true; none added for a key there already.
    assert.deepEqual(await each(port, '/acl?k=z', '/get?k=zz', '/acl?k=b', '/get?k=b'), ['200 1 1', '200 none 1', '200 2 2', '200 2 2']);
  });
});

test('use_backend reads a map a set-map rule of another frontend changed', async (t) => {
  const nextAdmin = [await freePort(), await freePort()];
  const f = tempFiles(t, { 'hosts.map': 'one be1\n' });
  const admin = new Map<number, number>();
  await sideBySide(t, (port) => {
    if (!admin.has(port)) admin.set(port, nextAdmin.shift()!);
    return config(port, admin.get(port)!);
  }, async (port) => {
    assert.deepEqual(await each(port, '/'), ['200 one']);
    assert.deepEqual(await each(admin.get(port)!, '/?h=x&b=be2'), ['200 ok']);
    assert.deepEqual(await each(port, '/'), ['200 two']);
  });
  function config(port: number, adminPort: number): string {
    return `${DEFAULTS}
frontend admin
    bind 127.0.0.1:${adminPort}
    http-request set-map(${f['hosts.map']}) %[url_param(h)] %[url_param(b)]
    http-request return status 200 content-type text/plain string ok
frontend fe
    bind 127.0.0.1:${port}
    use_backend %[req.hdr(host),map(${f['hosts.map']},be1)]
backend be1
    http-request return status 200 content-type text/plain string one
backend be2
    http-request return status 200 content-type text/plain string two
`;
  }
});

test('add-acl and del-acl change what an ACL reading the file with -f matches', async (t) => {
  const f = tempFiles(t, { 'blocked.lst': '192.0.2.1\n', 'listed.lst': '/a\n' });
  await sideBySide(t, (port) => `${DEFAULTS}
frontend fe
    bind 127.0.0.1:${port}
    acl blocked src -f ${f['blocked.lst']}
    acl listed path,lower -f ${f['listed.lst']}
    http-request add-acl(${f['blocked.lst']}) %[src] if { path_beg /block }
    http-request del-acl(${f['blocked.lst']}) %[src] if { path_beg /unblock }
    http-request add-acl(${f['listed.lst']}) %[url_param(p)] if { path_beg /list }
    http-request add-acl(${f['blocked.lst']}) %[url_param(p)] if { path_beg /list }
    http-request deny status 403 content-type text/plain string no if blocked !{ path_beg /unblock }
    http-request return status 200 content-type text/plain string listed if listed
    http-request return status 200 content-type text/plain string ok
`, async (port) => {
    // '/y' is no address: the blocked ACL's file refuses it (HAProxy's pat_ref_add fails as a whole).
    assert.deepEqual(await each(port, '/x', '/block', '/x', '/block', '/unblock', '/x', '/a', '/list?p=/y', '/y', '/z'),
      ['200 ok', '403 no', '403 no', '403 no', '200 ok', '200 ok', '200 listed', '200 ok', '200 listed', '200 ok']);
  });
});

test('http-response set-map stores what the server answered; a rule naming a file nothing reads does nothing', async (t) => {
  const f = tempFiles(t, { 'seen.map': '' });
  const origin = http.createServer((req, res) => res.setHeader('x-v', `v${req.url!.length}`).end());
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  t.after(() => origin.close());
  const originPort = (origin.address() as AddressInfo).port;
  await sideBySide(t, (port) => `${DEFAULTS}
frontend fe
    bind 127.0.0.1:${port}
    http-request set-var(txn.k) url_param(k)
    http-request return status 200 content-type text/plain lf-string "%[var(txn.k),map(${f['seen.map']},unseen)]" if { path_beg /get }
    http-response set-map(${f['seen.map']}) %[var(txn.k)] %[res.hdr(x-v)]
    http-response set-map(${path.dirname(f['seen.map']!)}/nothing.map) %[var(txn.k)] x
    default_backend be
backend be
    server s 127.0.0.1:${originPort}
`, async (port) => {
    assert.deepEqual(await each(port, '/get?k=a', '/put?k=a', '/get?k=a'), ['200 unseen', '200 ', '200 v8']);
  });
});

test('a reload reads the files again: changes made by the rules are gone', async () => {
  // (engine-level: Loadstar's reload, HAProxy's new process)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-maps-'));
  try {
    const map = path.join(dir, 'x.map');
    const list = path.join(dir, 'x.lst');
    fs.writeFileSync(map, 'a 1\n');
    fs.writeFileSync(list, '/blocked\n');
    const port = await freePort();
    const text = `${DEFAULTS}
frontend fe
    bind 127.0.0.1:${port}
    acl listed path -f ${list}
    http-request set-map(${map}) %[url_param(k)] %[url_param(v)] if { path_beg /set }
    http-request add-acl(${list}) %[url_param(p)] if { path_beg /add }
    http-request deny status 403 content-type text/plain string no if listed
    http-request return status 200 content-type text/plain lf-string "%[url_param(k),map(${map},none)]"
`;
    const engine = await startEngine(text);
    try {
      assert.deepEqual(await each(port, '/set?k=a&v=2', '/get?k=a', '/add?p=/x', '/x'), ['200 2', '200 2', '200 ', '403 no']);
      const config = parseConfig([{ name: 'test.cfg', text }]).config;
      await engine.engine.reload(config);
      assert.deepEqual(await each(port, '/get?k=a', '/x', '/add?p=/x', '/x'), ['200 1', '200 ', '200 ', '403 no']);
      // The same configuration again: a new load all the same.
      await engine.engine.reload(config);
      assert.deepEqual(await each(port, '/x', '/blocked'), ['200 ', '403 no']);
    } finally {
      await engine.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
