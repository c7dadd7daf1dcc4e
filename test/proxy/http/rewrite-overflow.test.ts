/**
 * A header rewrite that leaves a head larger than HAProxy's whole buffer (`tune.bufsize`: the
 * `tune.maxrewrite` reserve used up): HAProxy 2.6's rewrite fails and, in strict mode (its
 * default), the exchange ends with a 500, logged PR (request) or PH (response) and counted in the
 * failed-rewrite counters (wrew); with `strict-mode off` it goes on. Side by side with haproxy
 * 2.6.12 (request heads of 16,383 bytes pass, 16,385 do not); 127.0.0.1 only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loggedHttpHead } from '../../helpers/haproxy.ts';
import { cli, readCsv } from '../stats/helpers.ts';
import { answeringOrigin } from './lib/answering-origin.ts';
import { linesLogged, sideBySide } from './lib/side-by-side.ts';
import { oneBackend } from './lib/one-backend.ts';

/** One request with an N-byte X-Pad field (`req`) or asking the origin for one (`res`): the status. */
function status(port: number, side: 'req' | 'res', n: number): Promise<string> {
  return new Promise((resolve) => {
    const pad = side === 'req' ? `X-Pad: ${'x'.repeat(n)}\r\n` : '';
    const c = net.connect(port, '127.0.0.1', () => c.write(`GET /${side}/${n} HTTP/1.1\r\nHost: a\r\n${pad}Connection: close\r\n\r\n`));
    let got = '';
    c.on('data', (d: Buffer) => (got += d.toString('latin1')));
    c.on('close', () => resolve(got.slice(9, 12)));
    c.on('error', () => resolve('reset'));
  });
}

/** The origin answers `/res/N` with an N-byte X-Pad field, anything else plainly. */
const answer = (path: string): string => {
  const m = /^\/res\/(\d+)$/.exec(path);
  return `HTTP/1.1 200 OK\r\nContent-Length: 2\r\n${m ? `X-Pad: ${'x'.repeat(Number(m[1]))}\r\n` : ''}\r\nok`;
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-rewrite-'));
const socketOf = (port: number): string => path.join(dir, `${port}.sock`);
const config = (originPort: number, rules: string) => (port: number) =>
  oneBackend(originPort, rules, `${loggedHttpHead('    option dontlognull\n').replace('global\n', `global\n    stats socket ${socketOf(port)} level admin\n`)}    log-format "%ST %tsc %b/%s %r"\n`)(port);

const COPY = '    http-request set-header X-Long %[req.hdr(x-pad)]\n    http-response set-header X-Long %[res.hdr(x-pad)]';

test('a rewrite that no longer fits the buffer ends the exchange with a 500 (PR for a request, PH for a response), as in haproxy', async (t) => {
  const origin = await answeringOrigin(answer);
  try {
    await sideBySide(t, config(origin.port, COPY), async (port, proxy) => {
      // The request head: 145 + 2N bytes once X-Long is added (16,383, then 16,385).
      assert.equal(await status(port, 'req', 8119), '200');
      assert.equal(await status(port, 'req', 8120), '500');
      // The response head (148 + 2N) with room to spare, and far over.
      assert.equal(await status(port, 'res', 8000), '200');
      assert.equal(await status(port, 'res', 9000), '500');
      const lines = await linesLogged(proxy, 4);
      assert.deepEqual(lines.slice(0, 4), [
        '200 ---- be/s1 GET /req/8119 HTTP/1.1',
        '500 PR-- be/<NOSRV> GET /req/8120 HTTP/1.1',
        '200 ---- be/s1 GET /res/8000 HTTP/1.1',
        '500 PH-- be/s1 GET /res/9000 HTTP/1.1',
      ]);
      // Failed rewrites: the frontend's and the backend's both, the server's for the response.
      const rows = readCsv(await cli(socketOf(port), 'show stat')).map((r) => `${r['pxname']}/${r['svname']} wrew=${r['wrew']}`);
      assert.deepEqual(rows, ['fe/FRONTEND wrew=2', 'be/s1 wrew=1', 'be/BACKEND wrew=2']);
    });
  } finally {
    await origin.close();
  }
});

test('strict-mode off: the exchange goes on', async (t) => {
  const origin = await answeringOrigin(answer);
  try {
    await sideBySide(t, config(origin.port, `    http-request strict-mode off\n    http-response strict-mode off\n${COPY}`), async (port) => {
      assert.equal(await status(port, 'req', 8120), '200');
      assert.equal(await status(port, 'res', 9000), '200');
    });
  } finally {
    await origin.close();
  }
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
