/**
 * An upgrade request (CONNECT, a WebSocket GET) that a rule answers while it is parsed, with more
 * requests pipelined behind it. As haproxy 2.6 does: a 2xx to CONNECT opens a tunnel with nothing
 * behind it (no Connection header, the connection ends); any other answer leaves the connection in
 * HTTP, and the requests after it are served. The same bytes go to Loadstar and, where installed, to
 * haproxy with the same configuration: the answers and whether the connection ended must agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';

const config = (ports: readonly number[]): string => `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend refuse
    bind 127.0.0.1:${ports[0]}
    http-request return status 403 content-type text/plain string no if METH_CONNECT || { req.hdr(upgrade) -m found }
    http-request return status 200 content-type text/plain string yes
frontend accept
    bind 127.0.0.1:${ports[1]}
    http-request return status 200 content-type text/plain string ok
`;

const CONNECT = 'CONNECT site.test:443 HTTP/1.1\r\nHost: site.test:443\r\n';
const WEBSOCKET = 'GET /ws HTTP/1.1\r\nHost: site.test\r\nConnection: upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';
const NEXT = 'GET /next HTTP/1.1\r\nHost: site.test\r\n\r\n';

/** What came back within `ms`, and whether the server ended the connection by then. */
function exchange(port: number, data: string, ms = 1500): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    let ended = false;
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (got += d));
    socket.on('end', () => (ended = true));
    socket.on('close', () => { clearTimeout(timer); resolve(`${got}${ended ? '[ended]' : '[open]'}`); });
    socket.on('error', reject);
    socket.write(data);
  });
}

async function observe(ports: readonly number[]): Promise<Record<string, string>> {
  const cases: Record<string, [number, string]> = {
    'CONNECT refused, a request behind it': [ports[0]!, `${CONNECT}\r\n${NEXT}`],
    'WebSocket refused, a request behind it': [ports[0]!, `${WEBSOCKET}\r\n${NEXT}`],
    'CONNECT refused, Connection: close': [ports[0]!, `${CONNECT}Connection: close\r\n\r\n`],
    'CONNECT answered 200, a request behind it': [ports[1]!, `${CONNECT}\r\n${NEXT}`],
    'CONNECT answered 200, Connection: close': [ports[1]!, `${CONNECT}Connection: close\r\n\r\n`],
  };
  const seen: Record<string, string> = {};
  for (const [name, [port, data]] of Object.entries(cases)) seen[name] = await exchange(port, data);
  return seen;
}

test('a rule answering an upgrade request: 2xx to CONNECT ends the connection, other answers let the next requests be served, as in HAProxy 2.6', async (t) => {
  const ports = [await freePort(), await freePort()];
  const e = await startEngine(config(ports));
  let loadstar: Record<string, string>;
  try {
    loadstar = await observe(ports);
  } finally {
    await e.stop();
  }
  const refused = 'HTTP/1.1 403 Forbidden\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nno';
  assert.deepEqual(loadstar, {
    'CONNECT refused, a request behind it': `${refused}HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-type: text/plain\r\n\r\nyes[open]`,
    'WebSocket refused, a request behind it': `${refused}HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-type: text/plain\r\n\r\nyes[open]`,
    'CONNECT refused, Connection: close': 'HTTP/1.1 403 Forbidden\r\ncontent-length: 2\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nno[ended]',
    'CONNECT answered 200, a request behind it': 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok[ended]',
    'CONNECT answered 200, Connection: close': 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok[ended]',
  });
  if (!requireHaproxy(t)) return;
  const hports = [await freePort(), await freePort()];
  const h = await startHaproxy(config(hports), hports[0]!);
  try {
    assert.deepEqual(await observe(hports), loadstar);
  } finally {
    await h.stop();
  }
});
