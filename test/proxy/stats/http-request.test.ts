/**
 * `stats http-request allow|deny|auth` on the statistics page, compared with HAProxy 2.6.12 on the
 * same configuration: which rule decides, the 401/403 answers (realm included), `stats auth` for
 * comparison, and the log line: the stats applet in the server field (`<STATS>`), its queue and
 * connect times of 0, and HAProxy 2.6.12's 400 for the 401 and 403 it refuses with (its stats
 * applet, created before the rules run, leaves a 400 of its own that never reaches the client;
 * what bytes it logs for them is not copied: more than it sent). Loadstar is checked against what HAProxy answered, recorded here;
 * where haproxy is installed, the same requests replay through it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy, loggedHttpHead } from '../../helpers/haproxy.ts';
import { echoServer } from '../http/lib/echo-server.ts';
import { oneExchange } from '../http/lib/one-exchange.ts';

/** The frontends, by the index of their port. */
const FRONTENDS = ['rules', 'legacy', 'norealm'];

function config(ports: readonly number[], origin: number): string {
  return `${loggedHttpHead()}    option httplog
userlist admins
    user admin insecure-password secret
frontend rules
    bind 127.0.0.1:${ports[0]}
    stats uri /stats
    stats http-request allow if { req.hdr(x-allow) -m found }
    stats http-request deny if { req.hdr(x-deny) -m found }
    stats http-request auth realm Ops unless { http_auth(admins) }
    default_backend app
frontend legacy
    bind 127.0.0.1:${ports[1]}
    stats uri /stats
    stats auth admin:secret
    default_backend app
frontend norealm
    bind 127.0.0.1:${ports[2]}
    stats uri /stats
    stats http-request auth if { req.hdr(x-auth) -m found }
    default_backend app
backend app
    server s1 127.0.0.1:${origin}
`;
}

const BASIC = `authorization: Basic ${Buffer.from('admin:secret').toString('base64')}\r\n`;
const req = (target: string, headers = '') => `GET ${target} HTTP/1.1\r\nhost: ex.com\r\n${headers}\r\n`;

/**
 * [frontend (index of its port), request, the answer's status line (its whole head for a 401/403),
 * the log's backend/server, Tw/Tc/Tr (N: some time ≥ 0), status and termination].
 */
const EXCHANGES: Array<[number, string, string, string]> = [
  [0, req('/stats', 'x-allow: 1\r\n'), 'HTTP/1.1 200 OK', 'rules/<STATS> 0/0/N 200 LR--'],
  [0, req('/stats', 'x-deny: 1\r\n'), 'HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\ncontent-type: text/html', 'rules/<STATS> 0/0/-1 400 PR--'],
  // allow is final: a later deny does not run.
  [0, req('/stats', 'x-allow: 1\r\nx-deny: 1\r\n'), 'HTTP/1.1 200 OK', 'rules/<STATS> 0/0/N 200 LR--'],
  [0, req('/stats'), 'HTTP/1.1 401 Unauthorized\r\ncontent-length: 112\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nwww-authenticate: Basic realm="Ops"', 'rules/<STATS> 0/0/-1 400 LR--'],
  [0, req('/stats', BASIC), 'HTTP/1.1 200 OK', 'rules/<STATS> 0/0/N 200 LR--'],
  // Other URIs are not the page's: no rule runs.
  [0, req('/app', 'x-deny: 1\r\n'), 'HTTP/1.1 200 OK', 'app/s1 N/N/N 200 ----'],
  [1, req('/stats'), 'HTTP/1.1 401 Unauthorized\r\ncontent-length: 112\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nwww-authenticate: Basic realm="HAProxy Statistics"', 'legacy/<STATS> 0/0/-1 400 LR--'],
  [1, req('/stats', BASIC), 'HTTP/1.1 200 OK', 'legacy/<STATS> 0/0/N 200 LR--'],
  [2, req('/stats', 'x-auth: 1\r\n'), 'HTTP/1.1 401 Unauthorized\r\ncontent-length: 112\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nwww-authenticate: Basic realm="HAProxy Statistics"', 'norealm/<STATS> 0/0/-1 400 LR--'],
  // No rule matched: the page.
  [2, req('/stats'), 'HTTP/1.1 200 OK', 'norealm/<STATS> 0/0/N 200 LR--'],
];

async function observe(start: (port: number, text: string) => Promise<{ stop(): Promise<void>; logs(): string }>): Promise<Array<[number, string, string, string]>> {
  const origin = await echoServer();
  const ports = [await freePort(), await freePort(), await freePort()];
  const proxy = await start(ports[0]!, config(ports, origin.port));
  try {
    const seen: Array<[number, string, string]> = [];
    const logged = () => proxy.logs().split('\n').filter((l) => l.includes('"GET /'));
    for (const [i, request] of EXCHANGES) {
      const { head } = await oneExchange(ports[i]!, request);
      seen.push([i, request, /^HTTP\/1.1 (401|403)/.test(head) ? head : head.slice(0, head.indexOf('\r\n'))]);
      // Its log line before the next exchange: a stream may end (and log) after the next one has
      // begun, so on a loaded machine haproxy's lines of two exchanges could swap.
      for (let n = 0; n < 200 && logged().length < seen.length; n++) await new Promise((r) => setTimeout(r, 25));
    }
    const lines = logged();
    const byFrontend = FRONTENDS.map((name) => lines.filter((l) => l.split(' ')[2] === name));
    return seen.map(([i, request, head]) => {
      const fields = byFrontend[i]!.shift()?.split(' ') ?? [];
      const [, tw, tc, tr] = fields[4]?.split('/') ?? [];
      // An applet is connected at once (Tw and Tc 0); a server's queue, connect and response times vary.
      const applet = fields[3]?.endsWith('<STATS>') ?? false;
      const some = (t: string | undefined) => (t === '-1' ? t : 'N');
      return [i, request, head, `${fields[3]} ${applet ? `${tw}/${tc}` : `${some(tw)}/${some(tc)}`}/${some(tr)} ${fields[5]} ${fields[9]}`];
    });
  } finally {
    await proxy.stop();
    await origin.close();
  }
}

test('stats http-request rules decide who sees the page, as HAProxy does (recorded from HAProxy 2.6.12)', async () => {
  assert.deepEqual(await observe(async (_port, text) => {
    const e = await startEngine(text);
    return { stop: () => e.stop(), logs: () => e.logs.join('\n') };
  }), EXCHANGES);
});

test('the stats http-request recording still matches real HAProxy', async (t) => {
  if (!requireHaproxy(t)) return;
  assert.deepEqual(await observe(async (port, text) => {
    const h = await startHaproxy(text, port);
    return { stop: () => h.stop(), logs: () => h.output() };
  }), EXCHANGES);
});
