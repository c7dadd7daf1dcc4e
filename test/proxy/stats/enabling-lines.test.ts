/**
 * Which `stats` lines turn the statistics page on (HAProxy 2.6's stats_check_init_uri_auth, called by
 * every `stats` keyword that takes effect): `stats hide-version`, `show-legends`, `show-node`,
 * `show-desc`, `admin`, `scope`, `realm` … each alone serves the page at /haproxy?stats. The
 * page's status line for each, from Loadstar and, where installed, from haproxy 2.6.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEngine, rawExchange, freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';

const LINES = ['stats hide-version', 'stats show-legends', 'stats show-node', 'stats show-desc home lab', 'stats admin if TRUE', 'stats scope .', 'stats realm lab', 'stats refresh 5s'];

const config = (port: number, line: string): string => `${HTTP_DEFAULTS}listen st
    bind 127.0.0.1:${port}
    ${line}
    server s1 127.0.0.1:9
`;

const statusLine = async (port: number): Promise<string> =>
  (await rawExchange(port, 'GET /haproxy?stats HTTP/1.1\r\nHost: h.test\r\nConnection: close\r\n\r\n')).split('\r\n')[0]!;

for (const line of LINES) {
  test(`'${line}' alone serves the statistics page, as in HAProxy 2.6`, async (t) => {
    const port = await freePort();
    const e = await startEngine(config(port, line));
    try {
      assert.equal(await statusLine(port), 'HTTP/1.1 200 OK');
    } finally {
      await e.stop();
    }
    if (!requireHaproxy(t)) return;
    const hport = await freePort();
    const h = await startHaproxy(config(hport, line), hport);
    try {
      assert.equal(await statusLine(hport), 'HTTP/1.1 200 OK');
    } finally {
      await h.stop();
    }
  });
}
