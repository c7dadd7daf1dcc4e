/**
 * Whether a frontend keeps the request line for its log (HAProxy's to_log & LW_REQ), from its
 * log-format strings in the order HAProxy parses them. Each case's answer was read off haproxy
 * 2.6.12 with capture.req.uri (a TCP frontend's through an HTTP backend it switches to);
 * test/proxy/http/capture-request-line.test.ts compares a selection side by side.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { keepsRequestLine } from '../../../proxy/config/request-line-kept.ts';

function kept(lines: string, mode = 'http', name = 'fe'): boolean {
  const text = `defaults\n    mode ${mode}\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n` +
    `frontend fe\n    bind 127.0.0.1:8080\n${lines.split('\n').map((l) => `    ${l}\n`).join('')}    default_backend be\n` +
    `backend be\n    server s 127.0.0.1:8081\n`;
  const r = parseConfig([{ name: 'haproxy.cfg', text }], { fileExists: () => true, readFile: () => '' });
  assert.ok(r.ok, r.diagnostics.map((d) => d.message).join('\n'));
  const proxy = r.config.proxies.find((p) => p.name === name);
  assert.ok(proxy && proxy.kind !== 'defaults');
  return keepsRequestLine(proxy);
}

const CASES: Array<[what: string, lines: string, expect: boolean]> = [
  ['nothing logs', '', false],
  ['option httplog (%r)', 'option httplog', true],
  ['option httpslog', 'option httpslog', true],
  ['option httplog clf', 'option httplog clf', true],
  ['option tcplog', 'option tcplog', false],
  ['a log-format with %HU', 'log-format %HU', true],
  ['a log-format of addresses only', 'log-format %ci:%cp', false],
  ['a log-format sample (HTTP mode: compiled once HTTP is known to be needed)', 'log-format "%ci %[src]"', true],
  ['unique-id-format with a sample', 'unique-id-format %[src]', true],
  ['a rule string reading HTTP', 'http-request set-header x-h %[req.hdr(host)]', true],
  ['a rule string with a non-HTTP sample and nothing before it reading HTTP', 'http-request set-header x-h %[src]', false],
  ['a rule string with %ci only', 'http-request set-header x-h %ci', false],
  ['a rule string with %rt (a TCP variable that sets LW_REQ)', 'http-request set-var-fmt(txn.x) %rt', true],
  ['an earlier condition reading HTTP, then a non-HTTP sample', 'http-request deny if { path /nope }\nhttp-request set-header x-h %[src]', true],
  ['the same two lines the other way round', 'http-request set-header x-h %[src]\nhttp-request deny if { path /nope }', false],
  ['an earlier predefined ACL reading HTTP', 'http-request deny if METH_POST\nhttp-request set-header x-h %[src]', true],
  ['an ACL declared but never used in a condition', 'acl a path /x\nhttp-request set-header x-h %[src]', false],
  ['a named ACL used, then an after-response string', 'acl a path /x\nhttp-request deny if a\nhttp-after-response set-header x-h %[src]', true],
  ['a return answer\'s header string reading HTTP', 'http-request return status 200 hdr x %[req.hdr(host)] if { src 10.0.0.1 }', true],
  ['a dynamic use_backend name (compiled once HTTP is known to be needed)', 'use_backend %[src]_x if { src 10.0.0.1 }', true],
];

for (const [what, lines, expect] of CASES) {
  test(`the request line is ${expect ? '' : 'not '}kept: ${what}`, () => {
    assert.equal(kept(lines), expect);
  });
}

test('a TCP frontend: option httplog falls back to tcplog (nothing kept); %rt in its log-format keeps it', () => {
  assert.equal(kept('option httplog', 'tcp'), false);
  assert.equal(kept('log-format "%ci %rt"', 'tcp'), true);
  assert.equal(kept('log-format "%ci %[src]"', 'tcp'), false, 'no HTTP needed: a sample sets nothing');
});

test('a backend keeps nothing of its own (the stream\'s frontend decides)', () => {
  assert.equal(kept('option httplog', 'http', 'be'), false);
});
