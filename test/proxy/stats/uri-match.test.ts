/**
 * Which requests the statistics page answers (HAProxy 2.6's http_stats_check_uri): GET, HEAD and
 * POST only (other methods go on to the backend), and a `stats uri` that is a path is compared with
 * the request's path, so an absolute-form target (`GET http://host/stats`) reaches the page too. The
 * same requests go to Loadstar and, where installed, to haproxy 2.6; the status lines must agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEngine, rawExchange, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';

const config = (port: number): string => `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen st
    bind 127.0.0.1:${port}
    stats enable
    stats uri /st
`;

const REQUESTS = ['GET /st', 'HEAD /st', 'GET /st;csv', 'GET http://h.test/st', 'GET http://h.test/st;csv', 'GET http://h.test', 'GET /other',
  'PUT /st', 'DELETE /st', 'OPTIONS /st', 'PATCH /st'];

/** Each request's status line (a request the page does not take goes to the backend: no server, 503). */
async function statusLines(port: number): Promise<Record<string, string>> {
  const seen: Record<string, string> = {};
  for (const r of REQUESTS) seen[r] = (await rawExchange(port, `${r} HTTP/1.1\r\nHost: h.test\r\nConnection: close\r\n\r\n`)).split('\r\n')[0]!;
  return seen;
}

test('the stats page takes GET, HEAD and POST, and matches an absolute-form target by its path, as HAProxy 2.6 does', async (t) => {
  const port = await freePort();
  const e = await startEngine(config(port));
  let loadstar: Record<string, string>;
  try {
    loadstar = await statusLines(port);
  } finally {
    await e.stop();
  }
  const ok = 'HTTP/1.1 200 OK';
  const unavailable = 'HTTP/1.1 503 Service Unavailable';
  assert.deepEqual(loadstar, {
    'GET /st': ok, 'HEAD /st': ok, 'GET /st;csv': ok, 'GET http://h.test/st': ok, 'GET http://h.test/st;csv': ok, 'GET http://h.test': unavailable,
    'GET /other': unavailable, 'PUT /st': unavailable, 'DELETE /st': unavailable, 'OPTIONS /st': unavailable, 'PATCH /st': unavailable,
  });
  if (!requireHaproxy(t)) return;
  const hport = await freePort();
  const h = await startHaproxy(config(hport), hport);
  try {
    assert.deepEqual(await statusLines(hport), loadstar);
  } finally {
    await h.stop();
  }
});
