/**
 * `balance hash <expression>` (HAProxy 2.6, backend.c backend_parse_balance and cfgparse.c
 * check_config_validity): one word, compiled once the section is read, in the context of
 * use-server; refused or warned with haproxy 2.6.12's messages, checked against `haproxy -c`.
 * What it does: test/proxy/http/balance-hash.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const head = (mode: string) => `defaults\n    mode ${mode}\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n`;
const backend = (line: string, mode = 'http') => `${head(mode)}backend be\n    ${line}\n    server s 127.0.0.1:80\n`;

const CASES: ParseCase[] = [
  { text: backend('balance hash req.cook(sid),lower'), valid: true },
  { text: backend('balance hash req.cook(sid),lower', 'tcp'), valid: true },
  { text: backend('balance hash src'), valid: true },
  { text: backend('balance hash src,ipmask(24)', 'tcp'), valid: true },
  { text: backend('balance hash req.hdr_cnt(x)'), valid: true },
  // An HTTP fetch in a TCP backend is accepted (it reads the request held by inspection).
  { text: backend('balance hash req.hdr(host)', 'tcp'), valid: true },
  { text: backend('balance hash str(abc)'), valid: true },
  { text: backend('balance hash url_param(n),map(/tmp/loadstar-balance-hash.map)'), valid: true },
  // The expression is compiled where it is used: a defaults section's is checked in the backend that inherits it.
  { text: `${head('http')}    balance hash req.hdr(x),lower\nbackend be\n    server s 127.0.0.1:80\n`, valid: true },
  { text: backend('balance hash'), valid: false, message: 'balance hash requires a sample expression.' },
  { text: backend('balance hash req.hdr(x) lower'), valid: false, message: "balance hash takes no other argument (got 'lower')." },
  // 2.6 has no req.cookie (req.cook is its name).
  { text: backend('balance hash req.cookie(sid),lower'), valid: false, message: "]: failed to parse 'balance hash' expression 'req.cookie(sid),lower' in : unknown fetch method 'req.cookie'" },
  { text: backend('balance hash foo'), valid: false, message: "]: failed to parse 'balance hash' expression 'foo' in : unknown fetch method 'foo'." },
  { text: backend('balance hash req.hdr(x),nosuch'), valid: false, message: "failed to parse 'balance hash' expression 'req.hdr(x),nosuch' in : unknown converter 'nosuch'." },
  { text: backend('balance hash req.hdr('), valid: false, message: "failed to parse 'balance hash' expression 'req.hdr(' in : fetch method 'req.hdr' : expected ')'." },
  { text: backend('balance hash req.hdr(host),concat(a,b,c,d)'), valid: false, message: "in : invalid arg 3 in converter 'concat' : expected ')' before ',d)'." },
  { text: backend('balance hash url_param(n),map(/nonexistent/loadstar.map)'), valid: false, message: "failed to parse 'balance hash' expression 'url_param(n),map(/nonexistent/loadstar.map)' in : invalid args in converter 'map' : failed to open pattern file </nonexistent/loadstar.map>." },
  { text: backend('balance hash res.hdr(x)'), valid: false, message: "]: error detected while parsing 'balance hash' expression 'res.hdr(x)' which requires information from HTTP response headers, which is not available here." },
  { text: backend('balance hash status', 'tcp'), valid: false, message: "error detected while parsing 'balance hash' expression 'status' which requires information from HTTP response, which is not available here." },
  { text: `${head('http')}listen li\n    bind 127.0.0.1:8\n    balance hash res.hdr(x)\n    server s 127.0.0.1:80\n`, valid: false, message: "]: error detected while parsing 'balance hash' expression 'res.hdr(x)'" },
  { text: `${head('http')}    balance hash foo\nbackend be\n    server s 127.0.0.1:80\n`, valid: false, message: "]: failed to parse 'balance hash' expression 'foo' in : unknown fetch method 'foo'." },
  // An L6 fetch in an HTTP backend: a warning.
  { text: backend('balance hash req.payload(0,10)'), valid: true, message: "]: L6 sample fetch <req.payload(0,10)> will be ignored in 'balance hash' expression in HTTP mode." },
  { text: backend('balance hash req.payload(0,10)', 'tcp'), valid: true },
  // An unknown algorithm keeps 2.6.12's message, which does not list hash.
  { text: backend('balance hasher'), valid: false, message: "balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options." },
];

test('balance hash: accepted or refused with HAProxy 2.6\'s messages', async (t) => {
  const fs = await import('node:fs');
  fs.writeFileSync('/tmp/loadstar-balance-hash.map', 'a 1\n');
  t.after(() => fs.rmSync('/tmp/loadstar-balance-hash.map', { force: true }));
  assertLoadstarParses(CASES);
});

test('haproxy -c agrees on balance hash', async (t) => {
  const fs = await import('node:fs');
  fs.writeFileSync('/tmp/loadstar-balance-hash.map', 'a 1\n');
  t.after(() => fs.rmSync('/tmp/loadstar-balance-hash.map', { force: true }));
  assertHaproxyParses(t, CASES);
});

test('balance hash errors name the proxy and its section line as HAProxy does', () => {
  const cases: Array<[string, string]> = [
    [backend('balance hash foo'), "backend 'be' [d.cfg:6]: failed to parse 'balance hash' expression 'foo' in : unknown fetch method 'foo'."],
    [`${head('http')}    balance hash foo\nbackend be\n    server s 127.0.0.1:80\n`, "backend 'be' [d.cfg:7]: failed to parse 'balance hash' expression 'foo' in : unknown fetch method 'foo'."],
    [`${head('http')}listen li\n    bind 127.0.0.1:8\n    balance hash res.hdr(x)\n    server s 127.0.0.1:80\n`, "proxy 'li' [d.cfg:6]: error detected while parsing 'balance hash' expression 'res.hdr(x)' which requires information from HTTP response headers, which is not available here."],
  ];
  for (const [text, message] of cases) {
    const r = parseConfig([{ name: 'd.cfg', text }]);
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'alert').map((d) => d.message), [message]);
  }
});

test('balance hash keeps its expression as written, reported on the balance line', () => {
  const r = parseConfig([{ name: 'd.cfg', text: backend('balance hash req.cook(sid),lower') }]);
  assert.deepEqual(r.diagnostics.filter((d) => d.severity !== 'warning'), []);
  const be = r.config.proxies.find((p) => p.name === 'be')!;
  assert.equal(be.balance?.algorithm, 'hash');
  assert.equal(be.balance?.expression, 'req.cook(sid),lower');
  const bad = parseConfig([{ name: 'd.cfg', text: backend('balance hash foo') }]);
  const alert = bad.diagnostics.find((d) => d.severity === 'alert')!;
  assert.equal(alert.line, 7);
  assert.equal(alert.keyword, 'balance');
});
