/**
 * The global maxconn HAProxy 2.6 derives from the open-file limit when none is set
 * (proxy/runtime/default-maxconn.ts): the formula on fixed numbers, then `show info` Maxconn and
 * Hard_maxconn side by side with haproxy 2.6.12 on the same machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../proxy/config/index.ts';
import { effectiveMaxconn, openFileCeiling, reservedSockets } from '../../../proxy/runtime/default-maxconn.ts';
import { backendFullconn } from '../../../proxy/runtime/fullconn.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, freePort } from '../../helpers/net.ts';
import { cli } from '../stats/helpers.ts';

const config = (port: number, extra = '', sock?: string) => `global
${sock ? `    stats socket ${sock} level admin\n` : ''}${extra}defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port}
    bind 127.0.0.1:${port + 1}
    default_backend b
backend b
    server s1 127.0.0.1:1 check inter 60s
    server s2 127.0.0.1:2 check agent-check agent-port 5555 inter 60s
    server s3 127.0.0.1:3 minconn 10 maxconn 100
`;

test('the derived maxconn: (open-file limit − reserved descriptors − 3 per thread) / 2, at least 100', () => {
  const parsed = parseConfig([{ name: 't.cfg', text: config(8000) }]);
  // 10 reserved + 2 listeners + 2 checks + 1 agent + 1 agent-port.
  assert.equal(reservedSockets(parsed.config), 16);
  assert.equal(effectiveMaxconn(parsed.config, 20000, 2), Math.floor((20000 - 16 - 6) / 2));
  assert.equal(effectiveMaxconn(parsed.config, 200, 2), 100, 'never below DEFAULT_MAXCONN');
  const withSocket = parseConfig([{ name: 't.cfg', text: config(8000, '', '/tmp/x.sock') }]);
  assert.equal(reservedSockets(withSocket.config), 16 + 1 + 10, 'a stats socket and its stats maxconn');
  const set = parseConfig([{ name: 't.cfg', text: config(8000, '    maxconn 500\n') }]);
  assert.equal(effectiveMaxconn(set.config, 20000, 2), 500, 'a configured maxconn wins');
  assert.equal(openFileCeiling('Max open files            1024                 524288               files\n'), 524288);
  // fullconn: 10% of the frontends' maxconn, the derived global one for a frontend without its own.
  const backend = parsed.config.proxies.find((p) => p.name === 'b' && p.kind !== 'defaults')!;
  assert.ok(backend.kind !== 'defaults');
  const derived = effectiveMaxconn(parsed.config)!;
  assert.equal(backendFullconn(parsed.config, backend), Math.ceil(derived / 10));
});

test('show info Maxconn and Hard_maxconn without a maxconn line are the ones haproxy 2.6.12 derives', { timeout: 30_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-maxconn-'));
  try {
    const values: Record<string, string[]> = {};
    for (const impl of ['haproxy', 'loadstar'] as const) {
      const port = await freePort();
      const sock = path.join(dir, `${impl}.sock`);
      const text = config(port, '', sock);
      const running = impl === 'haproxy' ? await startHaproxy(text, port, { defaultThreads: true }) : await startEngine(text);
      try {
        const info = await cli(sock, 'show info');
        values[impl] = info.split('\n').filter((l) => /^(Maxconn|Hard_maxconn): /.test(l));
      } finally {
        await running.stop();
      }
    }
    assert.equal(values.haproxy!.length, 2, values.haproxy!.join('\n'));
    assert.deepEqual(values.loadstar, values.haproxy);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
