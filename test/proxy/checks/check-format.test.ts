import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { parseConfig } from '../../../proxy/config/index.ts';
import { startEngine, startNamedServer, startRawServer, freePort, waitFor, frontendToApp } from '../../helpers/net.ts';



test('http-check send uri-lf, hdr and body-lf are rendered per check with the checked backend and server', async () => {
  process.env.LS_CHECK_FORMAT_TEST = 'from-env';
  const seen: Array<{ url: string; headers: Record<string, string | string[] | undefined>; body: string }> = [];
  const a = await startNamedServer('a', (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      res.end('ok');
    });
  });
  const lb = await startEngine(`${frontendToApp(await freePort())}backend app
    option httpchk
    http-check send meth POST uri-lf /health/%[be_name]/%[srv_name]?e=%[env(LS_CHECK_FORMAT_TEST)] ver HTTP/1.1 hdr host svc hdr x-srv-id %[srv_id] hdr x-empty %[env(LS_CHECK_FORMAT_UNSET)] body-lf %[srv_name]@%[be_name]
    server web1 127.0.0.1:${a.port} check inter 50
`);
  try {
    await waitFor('a check', () => seen.length > 0);
    const first = seen[0]!;
    assert.equal(first.url, '/health/app/web1?e=from-env');
    assert.equal(first.headers['host'], 'svc');
    assert.equal(first.headers['x-srv-id'], '1');
    assert.ok(!('x-empty' in first.headers), 'HAProxy leaves out a header whose value renders empty');
    assert.equal(first.body, 'web1@app');
  } finally {
    await lb.stop();
    await a.close();
    delete process.env.LS_CHECK_FORMAT_TEST;
  }
});

test('http-check send uri (not uri-lf) is sent as written, and an empty uri-lf rendering is "/"', async () => {
  const urls: string[] = [];
  const a = await startNamedServer('a', (req, res) => { urls.push(req.url ?? ''); res.end(); });
  const b = await startNamedServer('b', (req, res) => { urls.push(req.url ?? ''); res.end(); });
  const lb = await startEngine(`${frontendToApp(await freePort())}backend app
    option httpchk
    http-check send uri /plain/%[srv_name]
    server a 127.0.0.1:${a.port} check inter 50
backend other
    option httpchk
    http-check send uri-lf %[env(LS_CHECK_FORMAT_UNSET)]
    server b 127.0.0.1:${b.port} check inter 50
`);
  try {
    await waitFor('both checked', () => urls.includes('/plain/%[srv_name]') && urls.includes('/'));
  } finally {
    await lb.stop();
    await a.close();
    await b.close();
  }
});

test('tcp-check send-lf and send-binary-lf are rendered before sending', async () => {
  const received: string[] = [];
  const s = await startRawServer((socket: net.Socket) => {
    let got = '';
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.endsWith('!')) { received.push(got); socket.end('+OK\r\n'); }
    });
  });
  const lb = await startEngine(`${frontendToApp(await freePort())}backend app
backend redis
    mode tcp
    option tcp-check
    tcp-check send-lf "PING %[srv_name] %[be_name]\\r\\n"
    tcp-check send-binary-lf %[srv_name,hex]21
    tcp-check expect string +OK
    server redis1 127.0.0.1:${s.port} check inter 50
`);
  try {
    await waitFor('check received', () => received.length > 0);
    assert.equal(received[0], 'PING redis1 redis\r\nredis1!');
    const check = lb.engine.healthChecks()!.find('redis', 'redis1')!;
    await waitFor('a result', () => check.results.length > 0);
    assert.equal(check.results.last()!.code, 'L7OK');
  } finally {
    await lb.stop();
    await s.close();
  }
});

test('log-format check strings are validated at load like HAProxy: no request fetches, balanced brackets', () => {
  const load = (line: string) => parseConfig([{ name: 'c.cfg', text: `defaults\n    mode http\nbackend app\n    option httpchk\n    ${line}\n    server a 127.0.0.1:80 check\n` }]);
  const bad = load('http-check send uri-lf /x/%[req.hdr(host)]');
  assert.ok(!bad.ok);
  assert.match(bad.diagnostics.map((d) => d.message).join('\n'),
    /'http-check send' : '\/x\/%\[req\.hdr\(host\)\]' invalid log-format string \(.*HTTP request headers.*\)\./);
  const open = load('http-check send hdr x-a %[srv_name');
  assert.ok(!open.ok);
  // A header value's error is printed as it is (haproxy 2.6.12: "'http-check send' : missing ']' after 'srv_name'.").
  assert.match(open.diagnostics.map((d) => d.message).join('\n'), /'http-check send' : missing ']' after 'srv_name'\./);
  assert.ok(load('http-check send uri-lf /x/%[be_name] body-lf %[env(HOME)]').ok);
  assert.ok(!load('tcp-check send-lf %[srv_name').ok);
  assert.ok(load('tcp-check send-binary-lf %[srv_name,hex]').ok);
});
