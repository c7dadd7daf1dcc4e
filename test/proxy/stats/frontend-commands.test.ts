/**
 * `disable frontend` / `enable frontend` (HAProxy 2.6's cli_parse_disable_frontend and
 * cli_parse_enable_frontend), side by side with haproxy: admin level, its answers, new connections
 * refused while the frontend is PAUSED, the connections it has going on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startNamedServer, startEngine, freePort, request } from '../../helpers/net.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { cli, readCsv, row } from './helpers.ts';
import { parseConfig } from '../../../proxy/config/index.ts';

function config(dir: string, port: number, origin: number): string {
  return `global
  stats socket ${path.join(dir, `${port}.admin.sock`)} mode 600 level admin
  stats socket ${path.join(dir, `${port}.oper.sock`)} mode 600 level operator
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
frontend off
  disabled
  bind 127.0.0.1:${port + 1}
backend be
  server s1 127.0.0.1:${origin}
`;
}

/** 'refused' when nothing listens, else the answer's body. */
function attempt(port: number, agent?: http.Agent): Promise<string> {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent: agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' ? 'refused' : e.message));
  });
}

function status(csv: string): string {
  return row(readCsv(csv), 'fe', 'FRONTEND')['status']!;
}

test('disable frontend refuses new connections (PAUSED) and lets open ones go on; enable frontend opens it again', { timeout: 60_000 }, async (t) => {
  const origin = await startNamedServer('origin');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-fe-'));
  const seen: string[][] = [];
  try {
    await sideBySide(t, (port) => config(dir, port, origin.port), async (port) => {
      const admin = path.join(dir, `${port}.admin.sock`);
      const oper = path.join(dir, `${port}.oper.sock`);
      const out: string[] = [];
      const say = async (sock: string, line: string): Promise<void> => void out.push(`${line} -> ${JSON.stringify(await cli(sock, line))}`);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        out.push(`kept-alive: ${await attempt(port, agent)}`);
        await say(oper, 'disable frontend fe');
        await say(oper, 'enable frontend fe');
        await say(admin, 'disable frontend');
        await say(admin, 'disable frontend be');
        await say(admin, 'disable frontend nope');
        await say(admin, 'disable frontend off');
        await say(admin, 'enable frontend off');
        await say(admin, 'enable frontend fe');
        await say(admin, 'disable frontend fe');
        await say(admin, 'disable frontend fe');
        out.push(`status: ${status(await cli(admin, 'show stat'))}`);
        out.push(`new connection: ${await attempt(port)}`);
        out.push(`kept-alive: ${await attempt(port, agent)}`);
        await say(admin, 'enable frontend fe');
        await say(admin, 'enable frontend fe');
        out.push(`status: ${status(await cli(admin, 'show stat'))}`);
        out.push(`new connection: ${await attempt(port)}`);
      } finally {
        agent.destroy();
      }
      seen.push(out);
    });
    const expected = [
      'kept-alive: origin',
      'disable frontend fe -> "Permission denied\\n\\n"',
      'enable frontend fe -> "Permission denied\\n\\n"',
      'disable frontend -> "A frontend name is expected.\\n\\n"',
      'disable frontend be -> "No such frontend.\\n\\n"',
      'disable frontend nope -> "No such frontend.\\n\\n"',
      'disable frontend off -> "Frontend was previously shut down, cannot disable.\\n\\n"',
      'enable frontend off -> "Frontend was previously shut down, cannot enable.\\n\\n"',
      'enable frontend fe -> "All sockets are already enabled.\\n\\n"',
      'disable frontend fe -> "\\n"',
      'disable frontend fe -> "All sockets are already disabled.\\n\\n"',
      'status: PAUSED',
      'new connection: refused',
      'kept-alive: origin',
      'enable frontend fe -> "\\n"',
      'enable frontend fe -> "All sockets are already enabled.\\n\\n"',
      'status: OPEN',
      'new connection: origin',
    ];
    for (const [i, out] of seen.entries()) assert.deepEqual(out, expected, i === 0 ? 'Loadstar' : 'haproxy');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await origin.close();
  }
});

test('enable frontend whose port was taken meanwhile says so and stays paused; a reload opens a paused frontend again', async () => {
  const origin = await startNamedServer('origin');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-fe-'));
  const port = await freePort();
  const text = config(dir, port, origin.port);
  const admin = path.join(dir, `${port}.admin.sock`);
  const e = await startEngine(text);
  let blocker: net.Server | undefined;
  try {
    assert.equal(await cli(admin, 'disable frontend fe'), '\n');
    blocker = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => blocker!.listen(port, '127.0.0.1', r));
    assert.equal(await cli(admin, 'enable frontend fe'), 'Failed to resume frontend, check logs for precise cause (port conflict?).\n\n');
    assert.match(e.alerts.join('\n'), /enable frontend fe: /);
    assert.equal(status(await cli(admin, 'show stat')), 'PAUSED');
    await new Promise<void>((r) => blocker!.close(() => r()));
    blocker = undefined;
    // Several commands on one line: each answered in order, the one that waits included.
    assert.equal(await cli(admin, 'enable frontend fe; show cli level'), '\nadmin\n\n');
    assert.equal((await request(port)).body, 'origin');

    assert.equal(await cli(admin, 'disable frontend fe'), '\n');
    const parsed = parseConfig([{ name: 'test.cfg', text: text + '# reloaded\n' }]);
    assert.ok(parsed.ok);
    await e.engine.reload(parsed.config);
    assert.equal(status(await cli(admin, 'show stat')), 'OPEN');
    assert.equal((await request(port)).body, 'origin');
    assert.equal(await cli(admin, 'enable frontend fe'), 'All sockets are already enabled.\n\n');
  } finally {
    blocker?.close();
    await e.stop();
    await origin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
