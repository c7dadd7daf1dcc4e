/**
 * An HTTP/2 connection whose client preface fails (other bytes, or the client leaving before its
 * 24 bytes came) is logged as haproxy 2.6.12's H2 mux logs it: `<BADREQ>`, status 0, PR, no request
 * counted; a connection that sent nothing is a probe that `option dontlognull` and
 * `option http-ignore-probes` leave out; a connection that timed out, or sent the whole preface, is not logged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { loggedHttpHead } from '../../helpers/haproxy.ts';
import { certPath } from '../../helpers/tls.ts';
import { cli, readCsv, row } from '../stats/helpers.ts';
import { sideBySide, type Proxy } from './lib/side-by-side.ts';

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

/** A connection that writes `data` (if any), then leaves after `holdMs` (past `timeout client`: the proxy leaves first). */
function visit(port: number, data: string | undefined, holdMs: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      if (data !== undefined) s.write(data);
      setTimeout(() => s.destroy(), holdMs);
    });
    s.on('error', () => {});
    s.on('close', () => resolve());
  });
}

/** Makes each visit in turn and says what the proxy logged for it: "name: line | line", or "name: (not logged)". */
async function loggedPerVisit(proxy: Proxy, visits: ReadonlyArray<readonly [name: string, go: () => Promise<unknown>]>): Promise<string[]> {
  await new Promise((r) => setTimeout(r, 100));
  const seen: string[] = [];
  let before = proxy.logs().length;
  for (const [name, go] of visits) {
    await go();
    await new Promise((r) => setTimeout(r, 150));
    const lines = proxy.logs();
    seen.push(`${name}: ${lines.slice(before).join(' | ') || '(not logged)'}`);
    before = lines.length;
  }
  return seen;
}

const VISITS: Array<[name: string, data: string | undefined, holdMs: number]> = [
  ['nothing', undefined, 100],
  ['part of the preface', PREFACE.slice(0, 10), 100],
  ['the preface alone', PREFACE, 100],
  ['other bytes', 'GET / HTTP/1.1\r\nhost: a\r\n\r\n', 100],
  ['part of the preface, until timeout client', PREFACE.slice(0, 10), 1600],
];

for (const option of ['', 'option dontlognull', 'option http-ignore-probes']) {
  test(`a failed HTTP/2 preface is logged as haproxy 2.6.12 logs it${option ? `, with ${option}` : ''}; nothing is counted`, { timeout: 30_000 }, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-h2-preface-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const sock = (port: number) => path.join(dir, `${port}.sock`);
    const config = (port: number) => `${loggedHttpHead(option ? `    ${option}\n` : '').replace('timeout client 5s', 'timeout client 1s')
      .replace('global\n', `global\n    stats socket ${sock(port)} level admin\n`)}
frontend fe
    bind 127.0.0.1:${port} proto h2
    log-format "%Tq/%Tw/%Tc/%Tr %ST %B %tsc %ac/%fc/%bc %CC %r"
    default_backend app
backend app
    server s1 127.0.0.1:1
`;
    await sideBySide(t, config, async (port, proxy) => {
      const seen = await loggedPerVisit(proxy, VISITS.map(([name, data, holdMs]) => [name, () => visit(port, data, holdMs)] as const));
      const failed = '-1/-1/-1/-1 0 0 PR-- 1/1/0 - <BADREQ>';
      const quiet = option !== '';
      assert.deepEqual(seen, [
        `nothing: ${quiet ? '(not logged)' : failed}`,
        `part of the preface: ${failed}`,
        'the preface alone: (not logged)',
        `other bytes: ${failed}`,
        'part of the preface, until timeout client: (not logged)',
      ]);
      const fe = row(readCsv(await cli(sock(port), 'show stat')), 'fe', 'FRONTEND');
      assert.deepEqual([fe['ereq'], fe['req_tot'], fe['hrsp_other'], fe['conn_tot']], ['0', '0', '0', String(VISITS.length + 1)]);
    });
  });
}

/** A TLS connection that negotiates h2 (ALPN), writes `data` (if any) once the handshake is done, then leaves. */
function tlsVisit(port: number, data: string | undefined): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({ port, host: '127.0.0.1', ALPNProtocols: ['h2'], rejectUnauthorized: false }, () => {
      if (data !== undefined) s.write(data);
      setTimeout(() => s.destroy(), 100);
    });
    s.on('error', () => {});
    s.on('close', () => resolve(String(s.alpnProtocol)));
  });
}

test('over TLS, after ALPN chose h2, a failed preface is logged as haproxy 2.6.12 logs it, and a whole one is not', { timeout: 30_000 }, async (t) => {
  const config = (port: number) => `${loggedHttpHead()}frontend fe
    bind 127.0.0.1:${port} ssl crt ${certPath('site.pem')} alpn h2,http/1.1
    log-format "%Tq/%Tw/%Tc/%Tr %ST %B %tsc %r"
    default_backend app
backend app
    server s1 127.0.0.1:1
`;
  await sideBySide(t, config, async (port, proxy) => {
    const alpn: string[] = [];
    const seen = await loggedPerVisit(proxy, ([['nothing', undefined], ['other bytes', 'hello'], ['the preface alone', PREFACE]] as const)
      .map(([name, data]) => [name, async () => alpn.push(await tlsVisit(port, data))] as const));
    const failed = '-1/-1/-1/-1 0 0 PR-- <BADREQ>';
    assert.deepEqual(alpn, ['h2', 'h2', 'h2']);
    assert.deepEqual(seen, [`nothing: ${failed}`, `other bytes: ${failed}`, 'the preface alone: (not logged)']);
  });
});
