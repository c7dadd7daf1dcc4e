/**
 * A frontend's h1_bytes_in / h1_bytes_out side by side with haproxy 2.6.12: the bytes its HTTP/1
 * connections received and sent as they went over the wire (mux_h1.c h1_recv / h1_send), closed
 * connections and open ones alike, not bin / bout (HAProxy's HTX accounting, a few bytes more per message).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { startNamedServer, freePort, rawExchange } from '../../helpers/net.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { cli, readCsv, row, until } from './helpers.ts';

test('h1_bytes_in / h1_bytes_out: the HTTP/1 connections\' bytes on the wire, as haproxy 2.6.12 counts them', { timeout: 60_000 }, async (t) => {
  const origin = await startNamedServer('app');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-h1bytes-'));
  const config = (port: number) => `global
  stats socket ${path.join(dir, `${port}.sock`)} mode 600 level admin
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
  default_backend app
backend app
  server s1 127.0.0.1:${origin.port}
`;
  try {
    await sideBySide(t, config, async (port) => {
      const sock = path.join(dir, `${port}.sock`);
      // The probe connection each side got first was answered a 400 (it closed without a request): counted already.
      const before = row(readCsv(await cli(sock, 'show stat')), 'fe', 'FRONTEND');
      const closing = 'GET /one HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n';
      let received = 0;
      for (let i = 0; i < 2; i++) received += Buffer.byteLength(await rawExchange(port, closing), 'latin1');
      // One connection left open after its answer: its bytes count too.
      const open = net.connect(port, '127.0.0.1');
      const keptAlive = 'GET /two HTTP/1.1\r\nhost: x\r\nuser-agent: test\r\n\r\n';
      let openReceived = 0;
      open.on('data', (d: Buffer) => (openReceived += d.length));
      open.write(keptAlive);
      try {
        await until('the kept-alive answer', () => openReceived > 0 && openReceived >= 100);
        await new Promise((r) => setTimeout(r, 100));
        const fe = row(readCsv(await cli(sock, 'show stat')), 'fe', 'FRONTEND');
        assert.equal(Number(fe['h1_bytes_in']) - Number(before['h1_bytes_in']), 2 * closing.length + keptAlive.length);
        assert.equal(Number(fe['h1_bytes_out']) - Number(before['h1_bytes_out']), received + openReceived);
        // bin counts HAProxy's HTX sizes, not the wire's.
        assert.notEqual(Number(fe['bin']) - Number(before['bin']), Number(fe['h1_bytes_in']) - Number(before['h1_bytes_in']));
      } finally {
        open.destroy();
      }
    });
  } finally {
    await origin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
