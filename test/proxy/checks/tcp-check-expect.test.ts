/**
 * `tcp-check expect` and `http-check expect` as HAProxy 2.6 reads and runs them
 * (proxy/config/kw-checks.ts parseExpect, proxy/checks/tcp-check.ts and http.ts): options in any order after the pattern,
 * `!` glued to the kind (`!rstring`), comment / ok-status / error-status / tout-status /
 * on-success / on-error / status-code, string-lf; side by side with haproxy 2.6.12, the servers'
 * log-health-checks lines (reason, code, info) must be the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { startRawServer, startEngine, freePort, waitFor } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { parseConfig } from '../../../proxy/config/index.ts';

interface Fake {
  name: string;
  port: number;
  connections: number;
  close(): Promise<void>;
}

/** A server that answers `reply` to the first data it gets (then closes when `close`). */
async function fake(name: string, reply: string, close = false): Promise<Fake> {
  const f = { name, port: 0, connections: 0, close: async () => {} };
  const server = await startRawServer((socket: net.Socket) => {
    socket.once('data', () => (close ? socket.end(reply) : socket.write(reply)));
    socket.on('close', () => f.connections++);
  });
  f.port = server.port;
  f.close = server.close;
  return f;
}

async function healthLines(rules: string, fakes: Fake[], option = 'option tcp-check', mode = 'tcp'): Promise<Record<'haproxy' | 'loadstar', string[]>> {
  const bind = await freePort();
  const config = `global
    log stdout format raw local0
defaults
    mode ${mode}
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 300ms
backend be
    option log-health-checks
    ${option}
${rules.trim().split('\n').map((l) => `    ${l.trim()}`).join('\n')}
${fakes.map((f) => `    server ${f.name} 127.0.0.1:${f.port} check inter 150 rise 1 fall 1`).join('\n')}
frontend fe
    bind 127.0.0.1:${bind}
    tcp-request connection reject
    default_backend be
`;
  const seen = {} as Record<'haproxy' | 'loadstar', string[]>;
  for (const impl of ['haproxy', 'loadstar'] as const) {
    for (const f of fakes) f.connections = 0;
    let stop: () => Promise<void>;
    let lines: () => string[];
    if (impl === 'haproxy') {
      const h = await startHaproxy(config, bind);
      stop = h.stop;
      lines = () => h.output().split('\n');
    } else {
      const e = await startEngine(config);
      stop = e.stop;
      lines = () => [...e.alerts, ...e.logs];
    }
    try {
      await waitFor(`${impl}: 3 checks on each server`, () => fakes.every((f) => f.connections >= 3), 15_000);
    } finally {
      await stop();
    }
    seen[impl] = [...new Set(lines()
      .map((l) => l.replace(/^\[\w+\]\s+\(\d+\) : /, '').replace(/check duration: \d+ms/, 'check duration: Nms')
        .replace(/\d+ active and \d+ backup servers/, 'N active and N backup servers').trim())
      .filter((l) => /^Health check for server be\//.test(l)))].sort();
  }
  if (process.env.SHOW_CHECK_LINES) console.log(JSON.stringify(seen, null, 1));
  return seen;
}

test('tcp-check expect: !rstring, min-recv, comment, error-status, on-error, tout-status, ok-status and on-success run as in haproxy 2.6.12', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const fakes = [
    await fake('pong', '+PONG\r\n'),
    await fake('err', '-ERR nope\r\n'),
    await fake('closes', '+NOPE\r\n', true),
    await fake('silent', '+WAIT\r\n'),
  ];
  try {
    const seen = await healthLines(`
      tcp-check send PING\\r\\n
      tcp-check expect min-recv 5 !rstring ^-ERR comment "no error"
      tcp-check expect string +PONG error-status L7STS on-error "bad answer %[srv_name]" tout-status L6TOUT comment pong ok-status L6OK on-success "pong from %[srv_name]"
    `, fakes);
    assert.ok(seen.haproxy.length >= 4, seen.haproxy.join('\n'));
    assert.deepEqual(seen.loadstar, seen.haproxy);
  } finally {
    await Promise.all(fakes.map((f) => f.close()));
  }
});

test('tcp-check expect: the failure texts of each kind, with and without a comment, as in haproxy 2.6.12', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const fakes = [await fake('closes', 'hello\r\n', true), await fake('silent', 'hello\r\n')];
  try {
    for (const rule of ['expect string bye', 'expect rstring ^bye', 'expect binary 627965', 'expect rbinary ^627965', 'expect string-lf %[srv_name]', 'expect ! string hello comment "no hello"', 'send x\n      tcp-check expect !binary 68656c6c6f status-code int(42)']) {
      const seen = await healthLines(`tcp-check send x\n      tcp-check ${rule}`, fakes);
      assert.ok(seen.haproxy.length >= 2, `${rule}: ${seen.haproxy.join('\n')}`);
      assert.deepEqual(seen.loadstar, seen.haproxy, rule);
    }
  } finally {
    await Promise.all(fakes.map((f) => f.close()));
  }
});

test('tcp-check expect refuses what haproxy 2.6.12 refuses, with its messages', () => {
  const errors = (line: string) => parseConfig([{ name: 't.cfg', text: `backend b\n    option tcp-check\n    tcp-check ${line}\n` }]).diagnostics.filter((d) => d.severity !== 'warning').map((d) => d.message);
  assert.deepEqual(errors('expect !rstring ^-ERR comment x'), []);
  assert.deepEqual(errors('expect min-recv 5 ! string x ok-status l7okc'), []);
  assert.deepEqual(errors('expect'), [`'tcp-check expect' : expects at least a matching pattern as arguments.`]);
  assert.deepEqual(errors('expect comment x'), [`'tcp-check expect' : expects at least a matching pattern as arguments.`]);
  assert.deepEqual(errors('expect string a string b'), [`'tcp-check expect' : only on pattern expected.`]);
  assert.deepEqual(errors('expect !comment x string a'), [`'tcp-check expect' : [!] not supported with 'comment'.`]);
  assert.deepEqual(errors('expect string a ok-status L7STS'), [`'tcp-check expect' : 'ok-status' only supports 'L4OK', 'L6OK', 'L7OK' or 'L7OKC' status (got 'L7STS').`]);
  assert.deepEqual(errors('expect string a error-status L7OK'), [`'tcp-check expect' : 'error-status' only supports 'L4CON', 'L6RSP', 'L7RSP' or 'L7STS' status (got 'L7OK').`]);
  assert.deepEqual(errors('expect string a tout-status L7OK'), [`'tcp-check expect' : 'tout-status' only supports 'L4TOUT', 'L6TOUT' or 'L7TOUT' status (got 'L7OK').`]);
  assert.deepEqual(errors('expect status 200'), [`'tcp-check expect' : 'only supports min-recv, '[!]binary', '[!]string', '[!]rstring', '[!]string-lf''[!]rbinary', '[!]binary-lf' or comment but got 'status' as argument.`]);
  assert.deepEqual(errors('expect string a min-recv'), [`'tcp-check expect' : 'min-recv' expects a integer as argument.`]);
});

test('http-check expect: options after the pattern (comment, error-status, tout-status, on-error, on-success, status-code) run as in haproxy 2.6.12', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const answer = (status: string, body: string) => `HTTP/1.1 ${status}\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`;
  const fakes = [
    await fake('ok', answer('200 OK', 'alive'), true),
    await fake('down', answer('503 Service Unavailable', 'x'), true),
    await fake('dead', answer('200 OK', 'dead'), true),
    await fake('other', answer('200 OK', 'nothing'), true),
    await fake('empty', answer('200 OK', ''), true),
    await fake('noheader', answer('200 OK', 'alive'), true),
  ];
  try {
    const seen = await healthLines(`
      http-check expect status 200 comment "needs 200" tout-status L4TOUT
      http-check expect ! string dead on-error "dead body from %[srv_name]" error-status L7STS
      http-check expect string alive on-success "fine %[srv_name]" status-code int(299)
    `, fakes, 'option httpchk GET /', 'http');
    assert.ok(seen.haproxy.length >= 5, seen.haproxy.join('\n'));
    assert.deepEqual(seen.loadstar, seen.haproxy);
    // A header that is missing: L7STS with the reason, as for a status.
    const hdr = await healthLines('http-check expect hdr name x-ok value yes comment "x-ok"', fakes.slice(0, 2), 'option httpchk GET /', 'http');
    assert.ok(hdr.haproxy.length >= 2, hdr.haproxy.join('\n'));
    assert.deepEqual(hdr.loadstar, hdr.haproxy);
  } finally {
    await Promise.all(fakes.map((f) => f.close()));
  }
});

test('http-check expect status reads a status list as haproxy 2.6.12 does', () => {
  const errors = (list: string) => parseConfig([{ name: 't.cfg', text: `backend b\n    option httpchk\n    http-check expect status ${list}\n` }]).diagnostics.filter((d) => d.severity !== 'warning').map((d) => d.message);
  assert.deepEqual(errors('200-299,301'), []);
  assert.deepEqual(errors('200,,300'), []);
  assert.deepEqual(errors('2xx'), [`'http-check expect' : invalid character 'x' in the list of status codes.`]);
  assert.deepEqual(errors('200-100'), [`'http-check expect' : invalid range of status codes '200-100'.`]);
});

test('http-check expect: a trailing option is not taken into the pattern', () => {
  const parsed = parseConfig([{ name: 't.cfg', text: 'backend b\n    option httpchk\n    http-check expect status 200 comment "ok status" error-status L7RSP\n' }]);
  assert.deepEqual(parsed.diagnostics.filter((d) => d.severity !== 'warning'), []);
  const rule = parsed.config.proxies.find((p) => p.name === 'b')!.httpCheckRules[0]!;
  assert.ok(rule.type === 'expect');
  assert.equal(rule.expect.pattern, '200');
  assert.equal(rule.expect.comment, 'ok status');
  assert.equal(rule.expect.errorStatus, 'L7RSP');
});

test('http-check expect hdr/fhdr with -m str/beg/end/sub/reg, value and name-lf/value-lf (reg-test http-check-expect.vtc) run as in haproxy 2.6.12', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const headers = (regValue: string, test2: string) => [
    'x-test1: true, next value', `x-test2: ${test2}`, 'X-Begin-Blah: 1', 'X-Tst-End: 1', 'x-a-Sub-b: 1', 'abc-Reg-def1: 1',
    'x-test-begin: begin-foo', 'x-test-end: foo-end', 'x-test-sub: a-sub-b', `x-test-reg: ${regValue}`, 'x-hdr-name: x-test1',
  ].join('\r\n');
  const answer = (h: string) => `HTTP/1.1 200 OK\r\n${h}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`;
  const fakes = [
    await fake('all', answer(headers('value-reg-ABC1', 'true')), true),
    await fake('badreg', answer(headers('value-reg-abc', 'true')), true),
    await fake('list', answer(headers('value-reg-ABC1', 'false, true')), true),
    await fake('notlist', answer(headers('value-reg-ABC1', 'false, truex')), true),
  ];
  try {
    const seen = await healthLines(`
      http-check expect status 200-399
      http-check expect hdr name "x-test1"
      http-check expect hdr name -m str "X-Test2"
      http-check expect hdr name -m beg "X-Begin-"
      http-check expect hdr name -m end "-End"
      http-check expect hdr name -m sub "-Sub-"
      http-check expect hdr name -m reg "^[a-z]+-Reg-[a-z]+[0-9]\\$"
      http-check expect hdr name-lf -m str "%[res.fhdr(x-hdr-name)]"
      http-check expect fhdr name "x-test1" value "true, next value"
      http-check expect hdr name "x-test2" value -m str "true"
      http-check expect hdr name -m beg "x-test" value -m beg "begin-"
      http-check expect hdr name -m beg "x-test" value -m end "-end"
      http-check expect hdr name -m beg "x-test" value -m sub "-sub-"
      http-check expect hdr name -m beg "x-test" value -m reg "^value-reg-[A-Z0-9]+\\$" comment "reg value"
      http-check expect fhdr name -m beg "x-" value-lf -m str "%[res.fhdr(x-hdr-name)]"
    `, fakes, 'option httpchk GET /', 'http');
    assert.ok(seen.haproxy.some((l) => l.includes('be/all succeeded')), seen.haproxy.join('\n'));
    assert.ok(seen.haproxy.some((l) => l.includes('be/badreg failed')), seen.haproxy.join('\n'));
    assert.deepEqual(seen.loadstar, seen.haproxy);
  } finally {
    await Promise.all(fakes.map((f) => f.close()));
  }
});
