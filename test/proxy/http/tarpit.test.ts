/**
 * `http-request tarpit` holds the request `timeout tarpit` (else `timeout
 * connect`) before its answer and logs it as HAProxy 2.6 does: `%TR` -1, the
 * hold in `%Tw`, termination PT. Before, Loadstar answered at once and logged
 * PR. Checked against haproxy 2.6.12 when it is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startEngine, freePort } from '../../helpers/net.ts';
import { haproxyPath, loggedHttpHead, startHaproxy } from '../../helpers/haproxy.ts';

const site = (port: number): string => `${loggedHttpHead('    timeout tarpit 400ms\n')}frontend web
    bind 127.0.0.1:${port}
    log-format "%TR %Tw %ST %tsc %HU"
    http-request tarpit if { path /t }
    http-request tarpit deny_status 403 if { path /t403 }
    http-request return status 200 content-type text/plain string ok
`;

/** Each request on its own connection: [ms until the status line came, the status line]. */
async function ask(port: number, path: string): Promise<[number, string]> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`));
    s.once('data', (d: Buffer) => { resolve([Date.now() - started, d.toString('latin1').split('\r\n')[0]!]); s.destroy(); });
    s.on('error', reject);
  });
}

/** "%TR %Tw %ST %tsc %HU" with %Tw as "held" when it is the tarpit's 400 ms (give or take the machine). */
const shape = (line: string): string => line.replace(/^(\S+) (\d+) /, (_m, tr: string, tw: string) => `${tr} ${Number(tw) >= 380 && Number(tw) < 1500 ? 'held' : tw} `);

async function check(port: number, lines: () => string[]): Promise<void> {
  const [t, first] = await ask(port, '/t');
  const [t403, second] = await ask(port, '/t403');
  assert.equal(first, 'HTTP/1.1 500 Internal Server Error');
  assert.equal(second, 'HTTP/1.1 403 Forbidden');
  assert.ok(t >= 380 && t403 >= 380, `answers held ${t} and ${t403} ms`);
  const deadline = Date.now() + 2000;
  while (lines().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(lines().map(shape), ['-1 held 500 PT-- /t', '-1 held 403 PT-- /t403']);
}

test('a tarpit holds the request timeout tarpit, then answers its status; the log says PT with the hold as %Tw, as HAProxy', async (t) => {
  const port = await freePort();
  const e = await startEngine(site(port));
  try {
    await check(port, () => e.logs);
  } finally {
    await e.stop();
  }
  if (!haproxyPath) return t.diagnostic('haproxy is not installed: compared with the recorded behaviour only');
  const hport = await freePort();
  const h = await startHaproxy(site(hport), hport);
  try {
    await check(hport, () => h.output().split('\n').filter((l) => / \/t(403)?$/.test(l)));
  } finally {
    await h.stop();
  }
});
