/**
 * `show servers state` side by side with haproxy 2.6.12 for servers with and without `check`,
 * with `port` / `addr` / agent-check / agent-port / agent-addr, `disabled`, and tracking servers,
 * after runtime state changes: the check's and the agent's port and address as configured (`port`
 * and `addr` set both, unset ones 0 and '-': a check without a port shows 0), the agent's state,
 * the configuration's maintenance (4) that `ready` does not clear, maintenance and drain inherited
 * along a track chain (2, 0x10), a health of 0 kept by a server without check once in maintenance,
 * and a checked server in maintenance stopped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../helpers/net.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { cli } from './helpers.ts';

/** Servers whose checks run: their op state and health depend on when the first check came. */
const CHECK_TIMED = new Set(['chk', 'chkport', 'agentaddr', 'chkdis']);

test('show servers state: check and agent ports and addresses, admin flags, health without check, as haproxy 2.6.12', { timeout: 60_000 }, async (t) => {
  const [closed, p1, p2] = [await freePort(), await freePort(), await freePort()];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-srvstate-'));
  const a = `127.0.0.1:${closed}`;
  const config = (port: number) => `global
  stats socket ${path.join(dir, `${port}.sock`)} mode 600 level admin
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
  default-server inter 60s agent-inter 60s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server nocheck ${a}
  server chk ${a} check
  server chkport ${a} check port ${p1}
  server chkaddr ${a} check addr 127.0.0.2
  server portaddr ${a} port ${p1} addr 127.0.0.2
  server agent ${a} agent-check agent-port ${p2}
  server agentaddr ${a} check port ${p1} agent-check agent-port ${p2} agent-addr 127.0.0.4
  server chkdis ${a} check disabled
  server plaindis ${a} disabled
  server trkagent ${a} track be/agent
  server trkchk ${a} track be/chkport
`;
  try {
    await sideBySide(t, config, async (port) => {
      const sock = path.join(dir, `${port}.sock`);
      for (const line of [
        'set server be/nocheck state maint', 'set server be/nocheck state ready', 'set server be/agent state maint',
        'set server be/chkaddr state maint', 'set server be/chkport state drain', 'set server be/chkdis state ready', 'set server be/plaindis state ready',
      ]) await cli(sock, line);
      const lines = (await cli(sock, 'show servers state be')).split('\n').slice(2).filter((l) => l !== '');
      // name op admin health check_state agent_state check_port check_addr agent_addr agent_port
      const seen = lines.map((line) => {
        const f = line.split(' ');
        const timed = CHECK_TIMED.has(f[3]!);
        return [f[3], timed ? 'x' : f[5], f[6], timed ? 'x' : f[12], f[13], f[14], f[21], f[22], f[23], f[24]].join(' ');
      });
      assert.deepEqual(seen, [
        // Once in maintenance, a server without check keeps health 0.
        'nocheck 2 0 0 0 0 0 - - 0',
        // A check without a port of its own: check port 0, no address.
        'chk x 0 x 6 0 0 - - 0',
        `chkport x 8 x 6 0 ${p1} - - ${p1}`,
        // In maintenance: stopped, its check paused (6|8), its health 0; `addr` is the agent's too.
        'chkaddr 0 1 0 14 0 0 127.0.0.2 127.0.0.2 0',
        `portaddr 2 0 2 0 0 ${p1} 127.0.0.2 127.0.0.2 ${p1}`,
        // An agent only: no regular check configured (0); the agent configured, enabled, an agent (0x16).
        `agent 0 1 0 0 22 0 - - ${p2}`,
        `agentaddr x 0 x 6 22 ${p1} - 127.0.0.4 ${p2}`,
        // `disabled` then ready: the configuration's maintenance flag (4) stays.
        'chkdis x 4 x 6 0 0 - - 0',
        // Without a check, the pause `disabled` set and the health it zeroed stay.
        'plaindis 2 4 0 8 0 0 - - 0',
        // Maintenance and drain inherited from the tracked server (IMAINT 2, IDRAIN 0x10).
        'trkagent 0 2 0 0 0 0 - - 0',
        'trkchk 2 16 2 0 0 0 - - 0',
      ]);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
