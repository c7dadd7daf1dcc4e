/**
 * The listen backlog asked of the kernel (`backlog` in a frontend and on a bind line), side by side
 * with haproxy 2.6.12: HAProxy's listener_backlog order (the bind's backlog, the frontend's, the
 * bind's maxconn, the frontend's maxconn, the global maxconn configured or derived), read back
 * from `ss -ltn` (Send-Q of a listening socket; the kernel caps it at net.core.somaxconn).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { requireHaproxy, startHaproxy } from '../helpers/haproxy.ts';
import { startEngine, freePort } from '../helpers/net.ts';
import { parseConfig } from '../../proxy/config/index.ts';

function sendQ(port: number): string {
  const out = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).trim();
  return out.split(/\s+/)[2] ?? `(nothing listens on ${port})`;
}

function hasSs(): boolean {
  try {
    execFileSync('ss', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('backlog parses as haproxy 2.6.12 reads it', () => {
  const errors = (text: string) => parseConfig([{ name: 't.cfg', text }]).diagnostics.filter((d) => d.severity !== 'warning').map((d) => d.message);
  assert.deepEqual(errors('frontend f\n    backlog\n'), [`'backlog' expects an integer argument.`]);
  assert.deepEqual(errors('frontend f\n    backlog 10 20\n'), [`'backlog' cannot handle unexpected argument '20'.`]);
  assert.deepEqual(errors('frontend f\n    bind 127.0.0.1:8000 backlog -5\n'), [`'bind 127.0.0.1:8000' in section 'frontend' : 'backlog' : invalid value -5, must be > 0`]);
  const parsed = parseConfig([{ name: 't.cfg', text: 'defaults\n    backlog 33\nfrontend f\n    bind 127.0.0.1:8000 backlog 12\n' }]);
  const f = parsed.config.proxies.find((p) => p.name === 'f')!;
  assert.equal(f.backlog, 33, 'from defaults');
  assert.equal(f.binds[0]!.backlog, 12);
});

test('the listen backlog of each bind is the one haproxy 2.6.12 asks for', { timeout: 30_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  if (!hasSs()) return t.skip('ss (iproute2) is not installed');
  const seen: Record<string, string[]> = {};
  for (const impl of ['haproxy', 'loadstar'] as const) {
    const ports = await Promise.all([1, 2, 3, 4, 5].map(() => freePort()));
    const config = `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f1
    backlog 71
    bind 127.0.0.1:${ports[0]} backlog 37
    bind 127.0.0.1:${ports[1]} maxconn 20
    http-request return status 200
frontend f2
    maxconn 90
    bind 127.0.0.1:${ports[2]} maxconn 55
    bind 127.0.0.1:${ports[3]}
    http-request return status 200
frontend f3
    bind 127.0.0.1:${ports[4]}
    http-request return status 200
`;
    const running = impl === 'haproxy' ? await startHaproxy(config, ports[0]!) : await startEngine(config);
    try {
      seen[impl] = ports.map(sendQ);
    } finally {
      await running.stop();
    }
  }
  // The last one: the derived global maxconn, capped by net.core.somaxconn.
  assert.deepEqual(seen.haproxy!.slice(0, 4), ['37', '71', '55', '90']);
  assert.deepEqual(seen.loadstar, seen.haproxy);
});
