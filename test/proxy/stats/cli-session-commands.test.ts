/**
 * Runtime API commands about the CLI itself, side by side with haproxy 2.6.12 on the same
 * configuration: `help` lists the commands both have in the same order (haproxy sorts them by their
 * usage text); `show cli sockets`, the session modes (`expert-mode`, `experimental-mode`, unlisted),
 * `show ssl providers` and `show schema json` answer alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEngine, freePort } from '../../helpers/net.ts';
import { haproxyPath, startHaproxy } from '../../helpers/haproxy.ts';
import { adminHttpHead, cli } from './helpers.ts';

function config(sock: string, port: number): string {
  // A second socket at user level: the head's global section takes one more line.
  return `${adminHttpHead(sock).replace('level admin\n', `level admin\n    stats socket ${sock}.user level user\n`)}frontend f
    bind 127.0.0.1:${port}
    http-request return status 200
`;
}

const LINES = [
  'show cli sockets', 'experimental-mode', 'experimental-mode on; experimental-mode', 'expert-mode foo; expert-mode',
  'expert-mode on; expert-mode; expert-mode off; expert-mode', 'show ssl providers', 'show schema json',
];

/** Every answer with the socket directory written as DIR; `help` as the usage texts it lists, in order. */
async function answers(sock: string): Promise<{ help: string[]; lines: string[]; user: string[] }> {
  const dir = path.dirname(sock);
  const clean = (text: string): string => text.split(dir).join('DIR');
  const help = (await cli(sock, 'help')).split('\n').filter((l) => l.startsWith('  ')).map((l) => l.slice(2, 42).trim());
  const lines: string[] = [];
  for (const line of LINES) lines.push(clean(await cli(sock, line)));
  // A user-level session may ask, not switch; `help` at that level leaves the modes out too.
  const user = [clean(await cli(`${sock}.user`, 'expert-mode on')), clean(await cli(`${sock}.user`, 'show cli sockets'))];
  return { help, lines, user };
}

test('help, show cli sockets, the session modes, show ssl providers and show schema json answer as haproxy 2.6 does', { timeout: 60_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-cli-session-'));
  try {
    const port = await freePort();
    const e = await startEngine(config(path.join(dir, 'l.sock'), port));
    let loadstar: Awaited<ReturnType<typeof answers>>;
    try {
      loadstar = await answers(path.join(dir, 'l.sock'));
    } finally {
      await e.stop();
    }
    assert.equal(loadstar.lines[0], '# socket lvl processes\nunix@DIR/l.sock admin all\nunix@DIR/l.sock.user user all\n\n');
    assert.equal(loadstar.lines[3], '\nexpert-mode is OFF\n\n');
    assert.ok(!loadstar.help.some((u) => u.startsWith('expert-mode')), 'not listed');
    if (!haproxyPath) return t.diagnostic('haproxy is not installed: checked without comparing');
    const hport = await freePort();
    const h = await startHaproxy(config(path.join(dir, 'h.sock'), hport), hport);
    let haproxy: Awaited<ReturnType<typeof answers>>;
    try {
      haproxy = await answers(path.join(dir, 'h.sock'));
    } finally {
      await h.stop();
    }
    const norm = (a: Awaited<ReturnType<typeof answers>>): unknown => ({ ...a, lines: a.lines.map((l) => l.replace(/[hl]\.sock/g, 'X.sock')), user: a.user.map((l) => l.replace(/[hl]\.sock/g, 'X.sock')) });
    // The commands Loadstar has, in haproxy's order; haproxy has more (its internals: show fd, show pools …).
    const common = haproxy.help.filter((u) => loadstar.help.includes(u));
    assert.deepEqual(loadstar.help.filter((u) => haproxy.help.includes(u)), common);
    assert.deepEqual(loadstar.help.filter((u) => !haproxy.help.includes(u)), [], 'every command Loadstar lists is haproxy\'s');
    assert.deepEqual((norm(loadstar) as { lines: string[] }).lines, (norm(haproxy) as { lines: string[] }).lines);
    assert.deepEqual((norm(loadstar) as { user: string[] }).user, (norm(haproxy) as { user: string[] }).user);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
