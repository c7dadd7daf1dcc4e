/**
 * `option log-health-checks` lines of agent checks, side by side with HAProxy 2.6: an agent that
 * cannot be reached is logged when the agent's status changes, with the agent's own health
 * ("status: 1/1 UP"), as set_server_check_status logs it (Loadstar logged the agent's verdicts
 * only); one whose line has no up/down word (a weight only) is not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';

test('an unreachable agent is logged under log-health-checks once, a weight-only answer not, as HAProxy 2.6 logs them', async (t) => {
  if (!requireHaproxy(t)) return;
  const agent = net.createServer((s) => { s.on('error', () => {}); s.end('75%\n'); });
  await new Promise<void>((r) => agent.listen(0, '127.0.0.1', r));
  const agentPort = (agent.address() as net.AddressInfo).port;
  const closed = await freePort();
  const bind = await freePort();
  const config = `global
    log stdout format raw local0
defaults
    mode http
    log global
    option log-health-checks
    timeout connect 10s
    timeout client 2s
    timeout server 2s
    timeout check 10s
backend b
    server unreachable 127.0.0.1:${closed} agent-check agent-port ${closed} agent-inter 200
    server weight 127.0.0.1:${closed} agent-check agent-port ${agentPort} agent-inter 200
frontend fe
    bind 127.0.0.1:${bind}
    default_backend b
`;
  const lines = {} as Record<'haproxy' | 'loadstar', string[]>;
  try {
    for (const impl of ['haproxy', 'loadstar'] as const) {
      let stop: () => Promise<void>;
      let output: () => string[];
      if (impl === 'haproxy') {
        const h = await startHaproxy(config, bind);
        stop = h.stop;
        output = () => h.output().split('\n');
      } else {
        const e = await startEngine(config);
        stop = e.stop;
        output = () => [...e.alerts, ...e.logs];
      }
      // Several agent runs each: a line only when the status changes, not at every run. The check
      // timeouts are long so that no run times out under load: a 500 ms one did in CI, and haproxy
      // logged that agent's "Layer7 timeout" too.
      await new Promise((r) => setTimeout(r, 1200));
      await stop();
      // haproxy writes each line twice (stderr and the log): once each is what counts.
      lines[impl] = [...new Set(output()
        .map((l) => l.replace(/^\[\w+\]\s+(\(\d+\) : )?/, '').replace(/check duration: \d+ms/, 'check duration: Nms').trim())
        .filter((l) => /^Agent check for server/.test(l)))];
    }
  } finally {
    await new Promise<void>((r) => agent.close(() => r()));
  }
  // The failure once (not at each run); a line with a weight only is not logged.
  assert.deepEqual(lines.haproxy, [
    'Agent check for server b/unreachable failed, reason: Layer4 connection problem, info: "Connection refused", check duration: Nms, status: 1/1 UP.',
  ], lines.haproxy.join('\n'));
  assert.deepEqual(lines.loadstar, lines.haproxy);
});
