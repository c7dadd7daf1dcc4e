import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { startNamedServer, startRawServer, freePort } from '../../helpers/net.ts';
import { tcpConnectCheck } from '../../../proxy/checks/tcp.ts';
import { httpProbe, httpCheckSpec } from '../../../proxy/checks/http.ts';
import { tcpCheckProbe } from '../../../proxy/checks/tcp-check.ts';
import type { CheckTarget } from '../../../proxy/checks/types.ts';
import type { TcpCheckRule } from '../../../proxy/config/model.ts';

const loc = { file: 't.cfg', line: 1, column: 1 };
const up = { serverDown: false };
const target = (port: number, read = 300): CheckTarget => ({ host: '127.0.0.1', port, connectTimeout: 300, readTimeout: read });

/** A raw server that records the first request bytes and answers with `answer` (or never). */
async function rawHttp(answer: string | undefined, delayMs = 0) {
  const seen: string[] = [];
  const server = await startRawServer((socket: net.Socket) => {
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      seen.push(buf);
      if (answer === undefined) return;
      setTimeout(() => socket.end(answer), delayMs);
    });
  });
  return { ...server, seen };
}

test('TCP check: a listening server is L4OK, a closed port is L4CON "Connection refused"', async () => {
  const s = await startNamedServer('a');
  try {
    const ok = await tcpConnectCheck(target(s.port), up);
    assert.equal(ok.code, 'L4OK');
    assert.ok(ok.durationMs >= 0);
  } finally {
    await s.close();
  }
  const refused = await tcpConnectCheck(target(await freePort()), up);
  assert.equal(refused.code, 'L4CON');
  assert.equal(refused.info, 'Connection refused');
});

test('HTTP check: default expectation accepts 2xx/3xx, wrong status is L7STS with the code', async () => {
  const ok = await startNamedServer('ok');
  const bad = await startNamedServer('bad', (_req, res) => { res.statusCode = 503; res.end('no'); });
  try {
    const probe = httpProbe(httpCheckSpec(undefined, [], false));
    const r1 = await probe(target(ok.port), up);
    assert.equal(r1.code, 'L7OK');
    assert.equal(r1.status, 200);
    const r2 = await probe(target(bad.port), up);
    assert.equal(r2.code, 'L7STS');
    assert.equal(r2.status, 503);
    assert.equal(r2.info, 'Service Unavailable');
  } finally {
    await ok.close();
    await bad.close();
  }
});

test('option httpchk forms build the request line; http-check send adds headers and body', async () => {
  const s = await rawHttp('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
  try {
    await httpProbe(httpCheckSpec(undefined, [], false))(target(s.port), up);
    await httpProbe(httpCheckSpec({ method: 'OPTIONS', uri: '/ping', version: 'HTTP/1.0' }, [], false))(target(s.port), up);
    await httpProbe(httpCheckSpec({ method: 'HEAD', uri: '/h', version: 'HTTP/1.1' }, [], false))(target(s.port), up);
    await httpProbe(httpCheckSpec(undefined, [{ type: 'send', method: 'POST', uri: '/s', version: 'HTTP/1.1', headers: [{ name: 'Host', value: 'svc' }], body: 'hi', loc }], false))(target(s.port), up);
    // As HAProxy 2.6.12 sends them: no Connection header on an HTTP/1.0 check, connection: close on HTTP/1.1.
    assert.equal(s.seen[0], 'OPTIONS / HTTP/1.0\r\n\r\n');
    assert.equal(s.seen[1], 'OPTIONS /ping HTTP/1.0\r\n\r\n');
    assert.equal(s.seen[2], 'HEAD /h HTTP/1.1\r\nconnection: close\r\n\r\n');
    // Header names go out in lower case, as HAProxy 2.6's HTTP/1 mux writes them ('hdr Host svc' arrives as 'host: svc').
    assert.match(s.seen[3]!, /^POST \/s HTTP\/1\.1\r\nhost: svc\r\ncontent-length: 2\r\n/);
  } finally {
    await s.close();
  }
});

test('http-check expect status, rstatus, string, rstring and their negations', async () => {
  const s = await startNamedServer('x', (_req, res) => { res.statusCode = 201; res.end('all good here'); });
  try {
    const run = (kind: 'status' | 'rstatus' | 'string' | 'rstring', pattern: string, negate = false) =>
      httpProbe(httpCheckSpec(undefined, [{ type: 'expect', expect: { kind, pattern, negate }, loc }], false))(target(s.port), up);
    assert.equal((await run('status', '201')).code, 'L7OK');
    assert.equal((await run('status', '200')).code, 'L7STS');
    assert.equal((await run('status', '200-299')).code, 'L7OK');
    assert.equal((await run('status', '201', true)).code, 'L7STS');
    assert.equal((await run('rstatus', '^2')).code, 'L7OK');
    assert.equal((await run('string', 'good')).code, 'L7OK');
    assert.equal((await run('string', 'bad')).code, 'L7RSP');
    assert.equal((await run('string', 'bad', true)).code, 'L7OK');
    assert.equal((await run('rstring', 'g[o]+d')).code, 'L7OK');
    assert.equal((await run('rstring', 'good', true)).code, 'L7RSP');
  } finally {
    await s.close();
  }
});

test('HTTP check: a server that never answers or answers too late is L7TOUT; garbage is L7RSP', async () => {
  const hang = await rawHttp(undefined);
  const slow = await rawHttp('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n', 500);
  const junk = await rawHttp('NOT HTTP AT ALL\r\n\r\n');
  try {
    const probe = httpProbe(httpCheckSpec(undefined, [], false));
    const t = await probe(target(hang.port, 150), up);
    assert.equal(t.code, 'L7TOUT');
    assert.ok(t.durationMs >= 100, `duration ${t.durationMs}`);
    assert.equal((await probe(target(slow.port, 150), up)).code, 'L7TOUT');
    assert.equal((await probe(target(slow.port, 2000), up)).code, 'L7OK');
    assert.equal((await probe(target(junk.port), up)).code, 'L7RSP');
  } finally {
    await hang.close();
    await slow.close();
    await junk.close();
  }
});

test('disable-on-404: a 404 is L7OKC while the server is not DOWN, a failure when it is', async () => {
  const s = await startNamedServer('x', (_req, res) => { res.statusCode = 404; res.end(); });
  try {
    const probe = httpProbe(httpCheckSpec(undefined, [], true));
    const r = await probe(target(s.port), up);
    assert.equal(r.code, 'L7OKC');
    assert.equal(r.status, 404);
    assert.equal((await probe(target(s.port), { serverDown: true })).code, 'L7STS');
  } finally {
    await s.close();
  }
});

test('tcp-check: send and expect string / rstring / binary, failures say which step', async () => {
  const s = await startRawServer((socket) => {
    socket.on('data', (d: Buffer) => { if (d.toString().startsWith('PING')) socket.write('+PONG\r\n'); });
  });
  try {
    const rules = (expect: TcpCheckRule): TcpCheckRule[] => [{ type: 'send', data: 'PING\\r\\n', loc }, expect];
    const ok = await tcpCheckProbe(rules({ type: 'expect', kind: 'string', pattern: '+PONG', negate: false, loc }))(target(s.port), up);
    assert.equal(ok.code, 'L7OK');
    const re = await tcpCheckProbe(rules({ type: 'expect', kind: 'rstring', pattern: '^\\+PO', negate: false, loc }))(target(s.port), up);
    assert.equal(re.code, 'L7OK');
    const bin = await tcpCheckProbe(rules({ type: 'expect', kind: 'binary', pattern: '2b504f4e47', negate: false, loc }))(target(s.port), up);
    assert.equal(bin.code, 'L7OK');
    const bad = await tcpCheckProbe(rules({ type: 'expect', kind: 'string', pattern: 'NOPE', negate: false, loc }))(target(s.port, 200), up);
    assert.equal(bad.code, 'L7TOUT');
    assert.match(bad.info, /step 2/);
    const connectOnly = await tcpCheckProbe([{ type: 'connect', ssl: false, sendProxy: false, loc }])(target(s.port), up);
    assert.equal(connectOnly.code, 'L4OK');
    const refused = await tcpCheckProbe([{ type: 'connect', port: await freePort(), ssl: false, sendProxy: false, loc }])(target(s.port), up);
    assert.equal(refused.code, 'L4CON');
  } finally {
    await s.close();
  }
});

test('HTTP check: a good status whose body is cut short is judged on what came; a reset before any answer is SOCKERR (as HAProxy 2.6)', async () => {
  // HAProxy 2.6.12 keeps such a server UP, and reports "Socket error, info: "Connection reset by peer"" for the reset.
  const cut = await rawHttp('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc');
  const reset = await startRawServer((s) => s.once('data', () => s.resetAndDestroy()));
  try {
    assert.equal((await httpProbe(httpCheckSpec(undefined, [], false))(target(cut.port), up)).code, 'L7OK');
    const wrong = await httpProbe(httpCheckSpec(undefined, [{ type: 'expect', expect: { kind: 'status', pattern: '201', negate: false }, loc }], false))(target(cut.port), up);
    assert.equal(wrong.code, 'L7STS');
    const r = await httpProbe(httpCheckSpec(undefined, [], false))(target(reset.port), up);
    assert.equal(r.code, 'SOCKERR');
    assert.equal(r.info, 'Connection reset by peer');
  } finally {
    await cut.close();
    await reset.close();
  }
});
