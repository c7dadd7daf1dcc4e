/**
 * The termination state Loadstar logs for its own answers is HAProxy 2.6's:
 * PR when the proxy refused (deny), LR when it served the answer itself
 * (return, redirect, auth, the stats page, a service). Before, all were PR.
 * The stats page and the Prometheus exporter are HAProxy applets, which %s names.
 * Recorded from haproxy 2.6.12 and checked against it again when it is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEngine, freePort, rawExchange } from '../../helpers/net.ts';
import { haproxyPath, loggedHttpHead, startHaproxy } from '../../helpers/haproxy.ts';

const EXPECTED = [
  '403 PR-- <NOSRV> /deny', '429 PR-- <NOSRV> /deny-string', '302 LR-- <NOSRV> /redirect', '401 LR-- <NOSRV> /auth',
  '200 LR-- <PROMEX> /metrics', '200 LR-- <NOSRV> /return', '200 LR-- <STATS> /stats', '503 SC-- <NOSRV> /no-server',
];

const site = (port: number): string => `${loggedHttpHead()}userlist people
    user a insecure-password b
frontend web
    bind 127.0.0.1:${port}
    log-format "%ST %tsc %s %HU"
    stats enable
    stats uri /stats
    http-request deny if { path /deny }
    http-request deny deny_status 429 content-type text/plain string no if { path /deny-string }
    http-request redirect location /elsewhere if { path /redirect }
    http-request auth realm r if { path /auth } !{ http_auth(people) }
    http-request use-service prometheus-exporter if { path /metrics }
    http-request return status 200 content-type text/plain string ok if { path /return }
    default_backend none
backend none
`;

async function lines(port: number, logged: () => string[]): Promise<string[]> {
  // One request at a time, each once the previous one is logged: a proxy may log an exchange just after
  // the client saw it end, and the next one's line must not come first.
  for (const [i, e] of EXPECTED.entries()) {
    await rawExchange(port, `GET ${e.split(' ')[3]} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
    const deadline = Date.now() + 3000;
    while (logged().length <= i && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
  return logged();
}

test('a deny logs PR, an answer Loadstar serves itself logs LR, as HAProxy 2.6 logs them', async (t) => {
  const port = await freePort();
  const e = await startEngine(site(port));
  try {
    assert.deepEqual(await lines(port, () => e.logs), EXPECTED);
  } finally {
    await e.stop();
  }
  if (!haproxyPath) return t.diagnostic('haproxy is not installed: compared with the recorded lines only');
  const hport = await freePort();
  const h = await startHaproxy(site(hport), hport);
  try {
    // The start-up probe's connection (closed without a request) is HAProxy's first line: not one of these.
    assert.deepEqual(await lines(hport, () => h.output().split('\n').filter((l) => /^\d{3} .* \/[a-z-]+$/.test(l))), EXPECTED);
  } finally {
    await h.stop();
  }
});
