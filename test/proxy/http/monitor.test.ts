/**
 * `monitor-uri`, `monitor fail` and `option dontlog-normal` side by side with HAProxy 2.6.12:
 * the monitor answers before http-request rules (path with its query, or an absolute URI's
 * path), 503 while `monitor fail` holds, never logged; dontlog-normal logs only errors.
 * Expected answers and log lines are recorded from haproxy, then replayed against it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { parseConfig } from '../../../proxy/config/index.ts';
import { startRawServer } from '../../helpers/net.ts';
import { sideBySide, linesLogged } from './lib/side-by-side.ts';

/** One request on its own connection: the whole answer, then 'fin' or 'open' (nothing more within 400 ms). */
function exchange(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(request));
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const done = (end: string) => {
      clearTimeout(timer);
      s.destroy();
      resolve(`${received}|${end}`);
    };
    s.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      clearTimeout(timer);
      timer = setTimeout(() => done('open'), 400);
    });
    s.on('end', () => done('fin'));
    s.on('error', () => done('reset'));
  });
}

const head = `global
    log stdout format raw local0
defaults
    mode http
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
`;

const SERVICE_READY = 'HTTP/1.1 200 OK\r\ncontent-length: 58\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n';
const UNAVAILABLE = 'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n';

test('monitor-uri answers before http-request rules, 503 while monitor fail holds, and is not logged', async (t) => {
  await sideBySide(t, (port) => `${head}frontend f
    bind 127.0.0.1:${port}
    log-format "%ST %r"
    monitor-uri /healthz
    monitor fail if { req.hdr(x-fail) -m found }
    http-request return status 200 content-type text/plain string "rule" if { path /healthz }
    http-request return status 200 content-type text/plain string "other"
`, async (port, proxy) => {
    // Recorded from haproxy 2.6.12.
    assert.equal(await exchange(port, 'GET /healthz HTTP/1.1\r\nhost: a\r\n\r\n'), `${SERVICE_READY}|open`);
    assert.equal(await exchange(port, 'GET /healthz HTTP/1.1\r\nhost: a\r\nx-fail: 1\r\n\r\n'), `${UNAVAILABLE}|open`);
    assert.equal(await exchange(port, 'GET http://a/healthz HTTP/1.1\r\nhost: a\r\n\r\n'), `${SERVICE_READY}|open`);
    assert.equal(await exchange(port, 'HEAD /healthz HTTP/1.1\r\nhost: a\r\n\r\n'), `${SERVICE_READY.slice(0, SERVICE_READY.indexOf('\r\n\r\n') + 4)}|open`);
    assert.equal(await exchange(port, 'GET /healthz?x=1 HTTP/1.1\r\nhost: a\r\n\r\n'), 'HTTP/1.1 200 OK\r\ncontent-length: 4\r\ncontent-type: text/plain\r\n\r\nrule|open');
    assert.equal(await exchange(port, 'GET /healthzz HTTP/1.1\r\nhost: a\r\n\r\n'), 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nother|open');
    const lines = await linesLogged(proxy, 2);
    assert.deepEqual(lines.filter((l) => !l.includes('<BADREQ>')), ['200 GET /healthz?x=1 HTTP/1.1', '200 GET /healthzz HTTP/1.1']);
  });
});

test('monitor fail with a backend condition: 503 once that backend\'s servers are gone, whatever the frontend\'s own backend says', async (t) => {
  const web = await startRawServer((s) => s.on('data', () => s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')));
  const gone = await startRawServer(() => {});
  const goneAddress = gone.port;
  await gone.close();
  try {
    await sideBySide(t, (port) => `${head}frontend f
    bind 127.0.0.1:${port}
    monitor-uri /up
    monitor fail if { nbsrv(db) lt 1 }
    default_backend web
backend web
    server s 127.0.0.1:${web.port}
backend db
    server s 127.0.0.1:${goneAddress} check inter 200 fall 1
`, async (port) => {
      // Until the first check fails, db's server counts as up; then the monitor fails.
      let answer = '';
      for (let i = 0; i < 50; i++) {
        answer = await exchange(port, 'GET /up HTTP/1.1\r\nhost: a\r\n\r\n');
        if (!answer.startsWith('HTTP/1.1 200')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(answer, `${UNAVAILABLE}|open`);
      assert.equal(await exchange(port, 'GET /other HTTP/1.1\r\nhost: a\r\n\r\n'), 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok|open');
    });
  } finally {
    await web.close();
  }
});

test('option dontlog-normal logs errors only (status 500 and above, termination causes other than L)', async (t) => {
  const origin = await startRawServer((s) => s.on('data', (d: Buffer) => {
    const path = d.toString('latin1').split(' ')[1];
    if (path === '/boom') s.write('HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n');
    else if (path === '/reset') s.destroy();
    else s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  }));
  try {
    await sideBySide(t, (port) => `${head}frontend f
    bind 127.0.0.1:${port}
    option dontlog-normal
    log-format "%ST %tsc %r"
    http-request return status 404 if { path /local }
    default_backend app
backend app
    retries 0
    server s 127.0.0.1:${origin.port}
`, async (port, proxy) => {
      for (const p of ['/fine', '/local', '/boom', '/reset', '/fine2']) await exchange(port, `GET ${p} HTTP/1.1\r\nhost: a\r\n\r\n`);
      const lines = await linesLogged(proxy, 2);
      // Recorded from haproxy 2.6.12.
      assert.deepEqual(lines.filter((l) => !l.includes('<BADREQ>')), ['500 ---- GET /boom HTTP/1.1', '502 SH-- GET /reset HTTP/1.1']);
    });
  } finally {
    await origin.close();
  }
});

test('monitor and monitor-uri errors as haproxy -c gives them', () => {
  const alerts = (line: string) => parseConfig([{ name: 'x.cfg', text: `defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nfrontend f\n    bind 127.0.0.1:1\n    ${line}\n` }])
    .diagnostics.filter((d) => d.severity === 'alert').map((d) => d.message);
  // Recorded from haproxy 2.6.12 -c.
  assert.deepEqual(alerts('monitor fail'), [`'monitor fail' requires either 'if' or 'unless' followed by a condition.`]);
  assert.deepEqual(alerts('monitor fail foo'), [`'monitor fail' requires either 'if' or 'unless' followed by a condition.`]);
  assert.deepEqual(alerts('monitor-uri'), [`'monitor-uri' expects an URI.`]);
  assert.deepEqual(alerts('monitor-uri a b'), [`'monitor-uri' cannot handle unexpected argument 'b'.`]);
  assert.deepEqual(alerts('monitor fail unless { nbsrv(f) gt 0 }'), []);
});
