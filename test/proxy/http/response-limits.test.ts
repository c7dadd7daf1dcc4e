/**
 * A server's response head over HAProxy 2.6's H1 parser limits: more header fields than
 * `tune.http.maxhdr` − 1, or more bytes than `tune.bufsize` − `tune.maxrewrite` leaves for a head
 * (request-checks.ts responseHeadRefused). The client gets a 502 where llhttp alone took the answer;
 * one field or one byte less still passes. Side by side with haproxy 2.6.12; 127.0.0.1 only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closedRequest, sideBySide } from './lib/side-by-side.ts';
import { answeringOrigin } from './lib/answering-origin.ts';
import { responseHeadRefused, DEFAULT_REQUEST_LIMITS } from '../../../proxy/http/request-checks.ts';
import { oneBackend } from './lib/one-backend.ts';
import { HTTP_DEFAULTS } from '../../helpers/net.ts';

/** `/pN`: one field with an N-byte value; `/fN`: N fields besides the Content-Length. */
function answer(path: string): string {
  const n = Number(path.slice(2));
  const fields = path[1] === 'p' ? `X-Pad: ${'x'.repeat(n)}\r\n` : Array.from({ length: n }, (_, i) => `X-${i}: v\r\n`).join('');
  return `HTTP/1.1 200 OK\r\nContent-Length: 2\r\n${fields}\r\nok`;
}

const config = (originPort: number, tune = '') => oneBackend(originPort, '', `${tune ? `global\n${tune}` : ''}${HTTP_DEFAULTS}`);

const status = async (port: number, path: string): Promise<string> => (await closedRequest(port, path)).slice(0, 3);

test('a response head one byte or one field over the limits is a 502, as from haproxy; at the limits it is relayed', async (t) => {
  const origin = await answeringOrigin(answer);
  try {
    await sideBySide(t, config(origin.port), async (port) => {
      assert.deepEqual(await Promise.all(['/p15226', '/p15227', '/f99', '/f100'].map((p) => status(port, p))), ['200', '502', '200', '502']);
    });
  } finally {
    await origin.close();
  }
});

test('the limits follow tune.bufsize, tune.maxrewrite and tune.http.maxhdr', async (t) => {
  const origin = await answeringOrigin(answer);
  try {
    // 8192 − 1024 bytes of room: 8,192 bytes less than the defaults'; 20 fields.
    await sideBySide(t, config(origin.port, '    tune.bufsize 8192\n    tune.http.maxhdr 21\n'), async (port) => {
      assert.deepEqual(await Promise.all(['/p7034', '/p7035', '/f19', '/f20'].map((p) => status(port, p))), ['200', '502', '200', '502']);
    });
  } finally {
    await origin.close();
  }
});

test('responseHeadRefused counts a head as HAProxy does', () => {
  const pad = (n: number) => ['Content-Length', '2', 'X-Pad', 'x'.repeat(n)];
  assert.equal(responseHeadRefused('OK', pad(15226), DEFAULT_REQUEST_LIMITS), false);
  assert.equal(responseHeadRefused('OK', pad(15227), DEFAULT_REQUEST_LIMITS), true);
  assert.equal(responseHeadRefused('A longer reason', pad(15226 - 13), DEFAULT_REQUEST_LIMITS), false);
  assert.equal(responseHeadRefused('A longer reason', pad(15226 - 12), DEFAULT_REQUEST_LIMITS), true);
});
