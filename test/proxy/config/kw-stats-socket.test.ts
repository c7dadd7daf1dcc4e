/**
 * `stats socket` options as HAProxy 2.6's cli.c reads them: the CLI's own words (level, expose-fd,
 * severity-output), the UNIX socket's (mode, user, group, uid, gid) and every bind option, with their
 * messages quoted after `'stats socket' :`. Checked against `haproxy -c` when installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';
import { parseConfig } from '../../../proxy/config/index.ts';

const tail = 'defaults\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nbackend be\n    server s 127.0.0.1:8080\n';
const socket = (words: string) => `global\n    stats socket ${words}\n${tail}`;
const at = (options: string) => socket(`ipv4@127.0.0.1:19999 ${options}`);

const CASES: ParseCase[] = [
  { text: socket(''), valid: false, message: "'stats socket' in global section expects an address or a path to a UNIX socket" },
  { text: at('level'), valid: false, message: "'stats socket' : ''level' : missing level'" },
  { text: at('level root'), valid: false, message: "'stats socket' : ''level' only supports 'user', 'operator', and 'admin' (got 'root')'" },
  { text: at('levle admin'), valid: false, message: "'stats socket' : unknown keyword 'levle'. Did you mean 'level' maybe ?" },
  { text: at('expose-fd'), valid: false, message: "'stats socket' : ''expose-fd' : missing fd type'" },
  { text: at('expose-fd all'), valid: false, message: "'stats socket' : ''expose-fd' only supports 'listeners' (got 'all')'" },
  { text: at('severity-output loud'), valid: false, message: "'stats socket' : ''severity-output' only supports 'none', 'number', and 'string' (got 'loud')'" },
  { text: at('mode 00660'), valid: true },
  { text: at('mode rw'), valid: false, message: "'stats socket' : ''mode' : missing or invalid mode 'rw' (octal integer expected)'" },
  { text: at('user'), valid: false, message: "'stats socket' : ''user' : missing user name'" },
  { text: at('user no-such-user-here'), valid: false, message: "'stats socket' : ''user' : unknown user name 'no-such-user-here''" },
  { text: at('group no-such-group-here'), valid: false, message: "'stats socket' : ''group' : unknown group name 'no-such-group-here''" },
  { text: at('user root group root uid 0 gid x'), valid: true },
  { text: at('uid'), valid: false, message: "'stats socket' : ''uid' : missing value'" },
  // Bind options, checked as on a bind line.
  { text: at('v4v6 backlog 10 nice x name cli id 3 maxconn 5 process 1 defer-accept tfo'), valid: true },
  { text: at('backlog -1'), valid: false, message: "'stats socket' : ''backlog' : invalid value -1, must be > 0'" },
  { text: at('maxconn -1'), valid: false, message: "'stats socket' : ''maxconn' : invalid value -1, must be >= 0'" },
  { text: at('id 0'), valid: false, message: "'stats socket' : ''id' : custom id has to be > 0'" },
  { text: at('mss x'), valid: false, message: "'stats socket' : ''mss' : expects an MSS with and absolute value between 1 and 65535'" },
  { text: at('alpn'), valid: false, message: "'stats socket' : ''alpn' : missing the comma-delimited ALPN protocol suite'" },
  { text: at('verify sometimes'), valid: false, message: "'stats socket' : ''verify' : unknown verify method 'sometimes'" },
  { text: at('crt /nonexistent/site.pem'), valid: false, message: "'stats socket' : 'unable to stat SSL certificate from file '/nonexistent/site.pem' : No such file or directory." },
  { text: at('disabled'), valid: false, message: "'stats socket' : unknown keyword 'disabled'." },
];

test('stats socket options parse as in haproxy 2.6: Loadstar', () => assertLoadstarParses(CASES));
test('stats socket options parse as in haproxy 2.6: haproxy', (t) => assertHaproxyParses(t, CASES));

test('a stats socket without level is at operator level, HAProxy\'s default; user and group name its owner', () => {
  const r = parseConfig([{ name: 'd.cfg', text: at('mode 660 user root group root') }]);
  assert.ok(r.ok);
  const [s] = r.config.global.statsSockets;
  assert.equal(s!.level, 'operator');
  assert.equal(s!.mode, 0o660);
  assert.equal(s!.uid, 0);
  assert.equal(s!.gid, 0);
});

test('bind options the runtime API cannot honour are refused, those without effect on it warn', () => {
  const refused = parseConfig([{ name: 'd.cfg', text: at('accept-proxy') }]);
  assert.ok(refused.diagnostics.some((d) => d.severity !== 'warning' && d.message.includes("'accept-proxy' is not supported by Loadstar yet")), refused.diagnostics.map((d) => d.message).join('\n'));
  const ignored = parseConfig([{ name: 'd.cfg', text: at('backlog 10') }]);
  assert.ok(ignored.ok);
  assert.ok(ignored.diagnostics.some((d) => d.severity === 'warning' && d.message.includes("'backlog' has no effect on the runtime API")));
});
