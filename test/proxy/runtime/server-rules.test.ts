/**
 * `use-server` in HTTP and TCP backends, compared with HAProxy 2.6.12 on the same configuration:
 * which server each request or connection reaches. Loadstar is checked against what HAProxy did
 * (recorded here); where haproxy is installed, the same requests also go through it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startNamedServer, startEngine, freePort } from '../../helpers/net.ts';
import type { TestServer } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { parseConfig } from '../../../proxy/config/index.ts';

function config(httpPort: number, tcpPort: number, s: TestServer[]): string {
  const servers = `    server s1 127.0.0.1:${s[0]!.port}
    server s2 127.0.0.1:${s[1]!.port}
    server quiet 127.0.0.1:${s[2]!.port} weight 0
    server off 127.0.0.1:${s[3]!.port} disabled
`;
  return `defaults
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen web
    mode http
    bind 127.0.0.1:${httpPort}
    balance roundrobin
    use-server off if { path_beg /off }
    use-server quiet if { path_beg /quiet } || { path_beg /off }
    use-server s2 if { path_beg /two }
    use-server %[req.hdr(x-to)] if { req.hdr(x-to) -m found }
${servers}listen raw
    mode tcp
    bind 127.0.0.1:${tcpPort}
    balance roundrobin
    use-server quiet if { src 127.0.0.1 }
${servers}`;
}

/** A fresh connection per request (so TCP mode balances each one). */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: { ...headers, connection: 'close' }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
  });
}

async function observe(start: (text: string, port: number) => Promise<{ stop(): Promise<void> }>): Promise<string[]> {
  const names = ['s1', 's2', 'quiet', 'off'];
  const servers = await Promise.all(names.map((n) => startNamedServer(n)));
  const httpPort = await freePort();
  const tcpPort = await freePort();
  const proxy = await start(config(httpPort, tcpPort, servers), httpPort);
  try {
    const seen: string[] = [];
    // Balanced (the weight-0 server never), then each rule; a rule naming a server in maintenance is passed over.
    for (const path of ['/a', '/b', '/c', '/two/x', '/quiet', '/off', '/two']) seen.push(`${path}=${await get(httpPort, path)}`);
    seen.push(`x-to=${await get(httpPort, '/', { 'x-to': 's2' })}`);
    seen.push(`tcp=${await get(tcpPort, '/')},${await get(tcpPort, '/')}`);
    return seen;
  } finally {
    await proxy.stop();
    await Promise.all(servers.map((s) => s.close()));
  }
}

const RECORDED = ['/a=s1', '/b=s2', '/c=s1', '/two/x=s2', '/quiet=quiet', '/off=quiet', '/two=s2', 'x-to=s2', 'tcp=quiet,quiet'];

test('use-server picks servers as HAProxy does (recorded from HAProxy 2.6.12)', async () => {
  assert.deepEqual(await observe(async (text) => startEngine(text)), RECORDED);
});

test('the recording still matches real HAProxy', async (t) => {
  if (!requireHaproxy(t)) return;
  assert.deepEqual(await observe((text, port) => startHaproxy(text, port)), RECORDED);
});

test('use-server needs a condition and a server of its own backend, as HAProxy says', () => {
  const parse = (line: string) => {
    const r = parseConfig([{ name: 't.cfg', text: `defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nbackend b\n${line}\n    server s1 127.0.0.1:1\n` }]);
    return r.ok ? 'ok' : r.diagnostics.filter((d) => d.severity !== 'warning').map((d) => d.message).join(' / ');
  };
  assert.equal(parse('    use-server s1 if TRUE'), 'ok');
  assert.match(parse('    use-server s1'), /'use-server' requires either 'if' or 'unless' followed by a condition/);
  assert.match(parse('    use-server nope if TRUE'), /backend 'b' : unable to find server 'nope' referenced in a 'use-server' rule/);
});

test('the request tracer names the server a use-server rule chooses', async () => {
  const { traceRequest } = await import('../../../proxy/http/trace.ts');
  const servers = await Promise.all(['s1', 's2', 'quiet', 'off'].map((n) => startNamedServer(n)));
  const e = await startEngine(config(await freePort(), await freePort(), servers));
  try {
    const traced = traceRequest(e.engine, { frontend: 'web', url: '/quiet/page' });
    assert.ok(traced.ok, JSON.stringify(traced));
    assert.equal(traced.value.server?.name, 'quiet');
    assert.match(traced.value.serverReason ?? '', /use-server/);
    // The rule naming a server in maintenance is passed over, as the engine does.
    const off = traceRequest(e.engine, { frontend: 'web', url: '/off' });
    assert.equal(off.ok && off.value.server?.name, 'quiet');
  } finally {
    await e.stop();
    await Promise.all(servers.map((s) => s.close()));
  }
});
