/**
 * HAProxy's address prefixes that name an IP family and a stream socket (`ip@`, `tcp@`, `tcp4@`,
 * `tcp6@`; configuration.txt 11.1 and 11.3): on binds, servers and the other TCP addresses they are
 * the family alone. Each line goes through `loadstar check` and, where installed, `haproxy -c`: the
 * same verdict; then traffic flows through a bind and a server written with them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../proxy/cli.ts';
import { startEngine, request, freePort, startNamedServer } from '../../helpers/net.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

const LINES: Array<[string, boolean]> = [
  ['bind tcp@127.0.0.1:18081', true],
  ['bind tcp4@127.0.0.1:18081', true],
  ['bind tcp6@[::1]:18081', true],
  ['bind ip@127.0.0.1:18081', true],
  ['bind tcp@:18081', true],
  ['bind tcp4@[::1]:18081', false],
  ['bind tcp@/tmp/loadstar-x.sock', false],
  ['server s tcp@127.0.0.1:80', true],
  ['server s tcp4@localhost:80', true],
  ['server s tcp6@::1:80', true],
  ['server s tcp6@127.0.0.1:80', false],
  ['server s tcp@/tmp/loadstar-x.sock', false],
  ['server-template t 2 tcp@127.0.0.1:80', true],
  ['server s 127.0.0.1:80 check addr tcp@127.0.0.1', true],
  ['server s 127.0.0.1:80 source tcp4@127.0.0.1', true],
  ['server s 127.0.0.1:80 socks4 tcp@127.0.0.1:1080', true],
];

const section = (line: string) => `defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nlisten l\n    bind 127.0.0.1:18080\n    ${line}\n`;

test('ip@, tcp@, tcp4@ and tcp6@ addresses are accepted and refused as haproxy -c does', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-prefixes-'));
  const haproxy = requireHaproxy(t);
  try {
    for (const [line, valid] of LINES) {
      fs.writeFileSync(path.join(dir, 'x.cfg'), section(line));
      let output = '';
      const status = await main(['check', '-f', path.join(dir, 'x.cfg')], { out: (s) => { output += s; }, err: (s) => { output += s; } });
      assert.equal(status === 0, valid, `${line}\n${output}`);
      if (haproxy) assert.equal(haproxyCheck('x.cfg', dir).status === 0, valid, `haproxy: ${line}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a bind and a server written with tcp4@ and tcp@ carry traffic', async () => {
  const origin = await startNamedServer('origin');
  const port = await freePort();
  const e = await startEngine(`defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nlisten l\n    bind tcp4@127.0.0.1:${port}\n    server s tcp@127.0.0.1:${origin.port}\n`);
  try {
    const r = await request(port, '/');
    assert.equal(r.status, 200);
    assert.match(r.body, /origin/);
  } finally {
    await e.stop();
    await origin.close();
  }
});
