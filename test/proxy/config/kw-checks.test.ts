import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

const head = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nbackend b\n';
const http = (line: string) => `${head}    option httpchk\n    ${line}\n    server s 127.0.0.1:1 check\n`;
const portless = (server: string, lines = '') => `${head}${lines}    server s ${server}\n`;
const tcp = (line: string) => `${head}    option tcp-check\n    ${line}\n    tcp-check connect\n    server s 127.0.0.1:1 check\n`;

/** Lines HAProxy 2.6 accepts (valid) or refuses, with a word its message and Loadstar's share. */
const CASES: Array<{ text: string; valid: boolean; error?: string }> = [
  { text: http('http-check send-state'), valid: true },
  { text: http('http-check send-state foo'), valid: false, error: 'foo' },
  { text: http('http-check set-var(check.x) int(1)'), valid: true },
  { text: http('http-check set-var(check.x,ifnotempty,ifgt) res.fhdr(x-hdr-name)'), valid: true },
  { text: http('http-check set-var-fmt(check.x) "name=%H %[res.hdr(a)]"'), valid: true },
  { text: http('http-check unset-var(check.x)'), valid: true },
  { text: http('http-check set-var(txn.x) int(1)'), valid: true },
  { text: http('http-check set-var(check.x) req.hdr(host)'), valid: false, error: 'none of which is available here' },
  { text: http('http-check set-var-fmt(check.x) %[req.hdr(a)]'), valid: false, error: 'HTTP request headers' },
  { text: http('http-check unset-var(check.x,ifset)'), valid: false, error: 'unset-var does not expect parameters' },
  { text: http('http-check set-var(chk.x) int(1)'), valid: false, error: "invalid variable name 'chk.x'" },
  { text: http('http-check set-var check.x'), valid: false, error: 'invalid or incomplete action' },
  { text: http('http-check set-var(check.x'), valid: false, error: 'incomplete argument after action' },
  { text: http('http-check set-var(check.x,bogus) int(1)'), valid: false, error: 'unknown condition "bogus"' },
  { text: http('http-check set-var(check.x)'), valid: false, error: 'missing fetch method' },
  { text: tcp('tcp-check set-var(check.x) int(1)'), valid: true },
  { text: tcp('tcp-check set-var-fmt(check.x) "%[var(check.y)]"'), valid: true },
  { text: tcp('tcp-check unset-var(check.x)'), valid: true },
  { text: tcp('tcp-check set-var(check.x) req.hdr(host)'), valid: false, error: 'none of which is available here' },
  { text: tcp('tcp-check unset-var(check.x,ifset)'), valid: false, error: 'unset-var does not expect parameters' },
  { text: tcp('tcp-check connect port var(check.port)').replace('    tcp-check connect\n', ''), valid: true },
  { text: tcp('tcp-check connect port req.hdr(x)').replace('    tcp-check connect\n', ''), valid: false, error: 'error detected while parsing port expression' },
  { text: tcp('tcp-check connect port 70000').replace('    tcp-check connect\n', ''), valid: false, error: 'expects a valid TCP port (from range 1 to 65535) or a sample expression, got 70000' },
  { text: http('http-check connect port var(check.port)'), valid: true },
  // Ruleset order (tcpcheck_add_http_rule, parse_tcpcheck_connect), comments and variable rules aside.
  { text: http('http-check send hdr a b\n    http-check expect status 200\n    http-check connect'), valid: false, error: "first step MUST also be a 'connect'" },
  { text: http('http-check send hdr a b\n    http-check send hdr c d'), valid: false, error: 'unable to add http-check send rule at step 2 (missing connect rule)' },
  { text: http('http-check connect\n    http-check expect status 200'), valid: false, error: 'unable to add http-check expect rule at step 2 (missing send rule)' },
  { text: http('http-check connect\n    http-check send hdr a b\n    http-check connect'), valid: false, error: 'unable to add http-check connect rule at step 2 (missing expect rule)' },
  {
    text: http('http-check comment x\n    http-check set-var(check.a) int(1)\n    http-check connect\n    http-check send hdr a b\n    http-check expect status 200\n    http-check connect\n    http-check send hdr a b\n    http-check send hdr a b'),
    valid: false, error: 'unable to add http-check send rule at step 5 (missing connect rule)',
  },
  { text: http('http-check expect status 200\n    http-check expect status 201'), valid: true },
  { text: http('http-check set-var(check.a) int(1)\n    http-check connect\n    http-check send hdr a b\n    http-check expect status 200\n    http-check set-var(check.b) int(2)\n    http-check connect\n    http-check send hdr c d'), valid: true },
  { text: tcp('tcp-check send x'), valid: false, error: "first step MUST also be a 'connect'" },
  { text: tcp('tcp-check comment x\n    tcp-check unset-var(check.a)\n    tcp-check connect'), valid: true },
  // A checked server without a port of its own (its traffic follows the client's destination port): init_srv_check.
  { text: portless('127.0.0.1:0 check'), valid: false, error: "config: backend 'b': server 's' has neither service port nor check port." },
  { text: portless('127.0.0.1 check'), valid: false, error: 'has neither service port nor check port.' },
  { text: portless('127.0.0.1:+1 check port 80'), valid: true },
  { text: portless('127.0.0.1:-1 check', '    option httpchk\n'), valid: false, error: "has neither service port nor check port nor tcp_check rule 'connect' with port information." },
  { text: portless('127.0.0.1:0 check', '    option redis-check\n'), valid: false, error: "nor tcp_check rule 'connect' with port information." },
  { text: portless('127.0.0.1:0 check', '    option tcp-check\n'), valid: false, error: 'has neither service port nor check port.' },
  { text: portless('127.0.0.1:0 check', '    option tcp-check\n    tcp-check connect port 80\n'), valid: true },
  { text: portless('127.0.0.1:0 check', '    option tcp-check\n    tcp-check connect port var(check.port)\n'), valid: false, error: "nor tcp_check rule 'connect' with port information." },
  { text: portless('127.0.0.1:0 check', '    option tcp-check\n    tcp-check connect port 80\n    tcp-check connect\n'), valid: false, error: "has neither service port nor check port, and a tcp_check rule 'connect' with no port information." },
  { text: portless('127.0.0.1:0 check', '    option tcp-check\n    tcp-check connect addr 127.0.0.1:80\n'), valid: true },
  { text: portless('127.0.0.1:0 check', '    option tcp-check\n    tcp-check connect port 80\n    tcp-check send x\n    tcp-check connect port 81\n'), valid: true },
  { text: portless('0.0.0.0:80 check'), valid: true },
  { text: portless('127.0.0.1:0'), valid: true },
];

const errorsOf = (text: string): string[] => parseConfig([{ name: 'check.cfg', text }]).diagnostics.filter((d) => d.severity !== 'warning').map((d) => d.message);

test('http-check send-state and http-check / tcp-check set-var, set-var-fmt, unset-var: accepted and refused as HAProxy 2.6 does', () => {
  for (const c of CASES) {
    const errors = errorsOf(c.text);
    if (c.valid) assert.deepEqual(errors, [], c.text);
    else assert.ok(errors.some((e) => e.includes(c.error!)), `${c.text}\n${errors.join('\n')}`);
  }
});

test('http-check send-state is inherited from defaults, as HAProxy options are', () => {
  const r = parseConfig([{ name: 'c.cfg', text: 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n    http-check send-state\nbackend b\n    option httpchk\n    server s 127.0.0.1:1 check\n' }]);
  assert.ok(r.ok);
  assert.equal(r.config.proxies.find((p) => p.name === 'b')?.options['http-check send-state']?.enabled, true);
});

test('HAProxy 2.6 accepts and refuses the same check variable and send-state lines', (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-kw-checks-'));
  try {
    for (const [i, c] of CASES.entries()) {
      const file = path.join(dir, `case${i}.cfg`);
      fs.writeFileSync(file, c.text);
      const r = haproxyCheck(file, dir);
      assert.equal(!r.output.includes('[ALERT]'), c.valid, `${c.text}\n${r.output}`);
      if (c.error && c.error !== 'foo') assert.ok(r.output.includes(c.error), `${c.text}\n${r.output}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
