/**
 * One configuration load's stick tables (proxy/stick/tables.ts): a reload
 * starts with empty tables — HAProxy keeps a table's contents across a reload
 * only through `peers` (test/proxy/stick/peers.test.ts) — while connections of the
 * old configuration let go of their entries in the old tables without harm.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';
import { freePort, startEngine } from '../../helpers/net.ts';

const text = (port: number, version: string): string => `defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 1s
frontend web
    bind 127.0.0.1:${port}
    stick-table type ip size 1k expire 30s store http_req_cnt,conn_cur
    tcp-request connection track-sc0 src
    http-request return status 200 content-type text/plain lf-string "${version} %[sc0_http_req_cnt] %[sc0_conn_cur]"
`;

function ask(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const onData = (d: Buffer): void => {
      got += d.toString('latin1');
      const end = got.indexOf('\r\n\r\n');
      const length = Number(/content-length: *(\d+)/i.exec(got)?.[1] ?? -1);
      if (end >= 0 && length >= 0 && got.length >= end + 4 + length) {
        socket.off('data', onData);
        resolve(got.slice(end + 4));
      }
    };
    socket.on('data', onData);
    socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
  });
}

test('a reload starts with empty stick tables; a connection of the old configuration keeps its old entry', async () => {
  const port = await freePort();
  const e = await startEngine(text(port, 'v1'));
  const old = net.connect(port, '127.0.0.1');
  let fresh: net.Socket | undefined;
  try {
    assert.equal(await ask(old), 'v1 1 1');
    assert.equal(await ask(old), 'v1 2 1');
    const parsed = parseConfig([{ name: 'test.cfg', text: text(port, 'v2') }]);
    assert.ok(parsed.ok, parsed.ok ? '' : formatDiagnostics(parsed.diagnostics));
    await e.engine.reload(parsed.config);
    fresh = net.connect(port, '127.0.0.1');
    assert.equal(await ask(fresh), 'v2 1 1');
    // The old connection's next answer is on the old configuration (it then closes): its own entry.
    assert.equal(await ask(old), 'v1 3 1');
    assert.equal(await ask(fresh), 'v2 2 1');
  } finally {
    old.destroy();
    fresh?.destroy();
    await e.stop();
  }
});
