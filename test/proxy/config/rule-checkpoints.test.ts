/**
 * Sample fetches used where their data is not available (HAProxy's check points, sample.c
 * fetch_cap): a rule's log-format argument or sample expression naming one is refused, a rule's
 * condition using one gets a "will never match" warning, as `haproxy -c` 2.6.12 does. Each case
 * runs through Loadstar's parser and, where it is installed, through haproxy -c.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

type Kind = 'frontend' | 'backend' | 'listen';

const configText = (kind: Kind, lines: string): string => `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
${kind} p
${kind === 'backend' ? '' : '    bind 127.0.0.1:1\n'}    ${lines}
${kind === 'backend' ? 'frontend f\n    bind 127.0.0.1:1\n' : ''}backend b
    server s1 127.0.0.1:1
`;

// HAProxy names a listen section 'proxy' in its rule messages (proxy_cap_str).
const rule = (kind: Kind, name: string): string => `error detected in ${kind === 'listen' ? 'proxy' : kind} 'p' while parsing '${name}' rule : `;
const needs = (expr: string, source: string): string => `sample fetch <${expr}> may not be reliably used here because it needs '${source}' which is not available here.`;
const none = (named: string, source: string): string => `fetch method '${named}' extracts information from '${source}', none of which is available here`;
const REQ = 'HTTP request headers';
const RES = 'HTTP response headers';

/** [section, its lines, Loadstar's alert ('' when accepted), Loadstar's warning ('' when none)]; HAProxy prints the same text. */
const CASES: Array<[Kind, string, string, string]> = [
  // Log-format arguments.
  ['frontend', 'http-response set-header X %[req.hdr(host)]', rule('frontend', 'http-response set-header') + needs('req.hdr(host)]', REQ), ''],
  ['frontend', 'http-response set-header X %[path]', rule('frontend', 'http-response set-header') + needs('path]', 'HTTP request headers'), ''],
  ['frontend', 'http-response add-header X %[url]', rule('frontend', 'http-response add-header') + needs('url]', REQ), ''],
  ['frontend', 'http-response set-header X %[base]', rule('frontend', 'http-response set-header') + needs('base]', REQ), ''],
  ['frontend', 'http-response set-header X %[req.ver]', rule('frontend', 'http-response set-header') + needs('req.ver]', REQ), ''],
  ['frontend', 'http-response set-header X %[query]', rule('frontend', 'http-response set-header') + needs('query]', REQ), ''],
  ['frontend', 'http-request set-header X %[res.hdr(x)]', rule('frontend', 'http-request set-header') + needs('res.hdr(x)]', RES), ''],
  ['frontend', 'http-request set-header X %[status]', rule('frontend', 'http-request set-header') + needs('status]', 'HTTP response'), ''],
  ['frontend', 'http-after-response set-header X %[req.hdr(host)]', rule('frontend', 'http-after-response set-header') + needs('req.hdr(host)]', REQ), ''],
  ['frontend', 'http-request redirect location %[res.hdr(x)]', rule('frontend', 'http-request redirect') + needs('res.hdr(x)]', RES), ''],
  ['frontend', 'http-response return status 200 content-type text/plain lf-string %[req.hdr(host)]', rule('frontend', 'http-response return') + needs('req.hdr(host)]', REQ), ''],
  ['frontend', 'http-response return status 200 content-type text/plain string x hdr a %[req.hdr(host)]', rule('frontend', 'http-response return') + needs('req.hdr(host)]', REQ), ''],
  ['frontend', 'http-request set-path %[res.hdr(x)]', rule('frontend', 'http-request set-path') + needs('res.hdr(x)]', RES), ''],
  ['frontend', 'http-request replace-header X (.*) %[res.hdr(x)]', rule('frontend', 'http-request replace-header') + needs('res.hdr(x)]', RES), ''],
  ['frontend', 'http-request set-var-fmt(txn.x) %[res.hdr(x)]', rule('frontend', 'http-request set-var-fmt(txn.x)') + needs('res.hdr(x)]', RES), ''],
  ['frontend', 'tcp-request content set-var-fmt(txn.x) %[res.hdr(x)]', needs('res.hdr(x)]', RES).slice(0, -1), ''],
  ['backend', 'http-response set-header X %[req.hdr(host)]', rule('backend', 'http-response set-header') + needs('req.hdr(host)]', REQ), ''],
  ['listen', 'http-request set-header X %[res.hdr(x)]', rule('listen', 'http-request set-header') + needs('res.hdr(x)]', RES), ''],
  ['listen', 'http-check set-var-fmt(check.x) %[req.hdr(host)]', `'http-check set-var-fmt(check.x)' : 'set-var-fmt' : ${needs('req.hdr(host)]', REQ)}`, ''],
  ['listen', 'http-check send hdr x %[req.hdr(host)]', `'http-check send' : ${needs('req.hdr(host)]', REQ)}`, ''],
  // A syntax error in an lf-string payload is refused at load too.
  ['frontend', 'http-response return status 200 content-type text/plain lf-string %[req.hdr(host]', `${rule('frontend', 'http-response return')}failed to parse sample expression <req.hdr(host]> : fetch method 'req.hdr' : expected ')'.`, ''],
  // Sample expressions.
  ['frontend', 'http-response set-var(txn.x) req.hdr(host)', `${rule('frontend', 'http-response set-var(txn.x)')}${none('set-var(txn.x)', REQ)}.`, ''],
  ['frontend', 'http-request set-var(txn.x) res.hdr(x)', `${rule('frontend', 'http-request set-var(txn.x)')}${none('set-var(txn.x)', RES)}.`, ''],
  ['frontend', 'http-request track-sc0 res.hdr(x)', `${rule('frontend', 'http-request track-sc0')}${none('res.hdr(x)', RES)}.`, ''],
  ['frontend', 'http-response track-sc0 req.hdr(x)', `${rule('frontend', 'http-response track-sc0')}${none('req.hdr(x)', REQ)}.`, ''],
  ['frontend', 'http-request capture res.hdr(x) len 10', `${rule('frontend', 'http-request capture')}${none('res.hdr(x)', RES)}.`, ''],
  ['frontend', 'http-request sc-set-gpt0(0) res.hdr(x)', `${rule('frontend', 'http-request sc-set-gpt0(0)')}${none('res.hdr(x)', RES)}.`, ''],
  ['frontend', 'http-response sc-set-gpt0(0) req.hdr(x)', `${rule('frontend', 'http-response sc-set-gpt0(0)')}${none('req.hdr(x)', REQ)}.`, ''],
  ['frontend', 'tcp-request content set-var(txn.x) res.hdr(x)', none('set-var(txn.x)', RES), ''],
  ['frontend', 'tcp-request connection set-var(sess.x) req.hdr(x)', none('set-var(sess.x)', REQ), ''],
  ['frontend', 'tcp-request session set-var(sess.x) req.hdr(x)', none('set-var(sess.x)', REQ), ''],
  ['frontend', 'tcp-request content track-sc0 res.hdr(x)', `'tcp-request content track-sc0' : ${none('res.hdr(x)', RES)}`, ''],
  ['frontend', 'tcp-request connection track-sc0 req.hdr(x)', `'tcp-request connection track-sc0' : ${none('req.hdr(x)', REQ)}`, ''],
  ['frontend', 'tcp-request content capture res.hdr(x) len 10', `'tcp-request content capture' : ${none('res.hdr(x)', RES)}`, ''],
  ['frontend', 'tcp-request content sc-set-gpt0(0) res.hdr(x)', none('res.hdr(x)', RES), ''],
  ['backend', 'tcp-response content set-var(txn.x) req.hdr(x)', none('set-var(txn.x)', REQ), ''],
  // Usable where they are: accepted.
  ['frontend', 'http-request set-header X %[req.hdr(host)]', '', ''],
  ['frontend', 'http-response set-header X %[res.hdr(x)]%[method]%[var(txn.x)]', '', ''],
  ['frontend', 'http-after-response set-header X %[status]', '', ''],
  ['frontend', 'http-response set-var(txn.x) status', '', ''],
  ['frontend', 'tcp-request content set-var(txn.x) req.hdr(host)', '', ''],
  ['backend', 'http-request sc-set-gpt0(0) req.hdr(x)', '', ''],
  ['backend', 'tcp-response content set-var(txn.x) res.len', '', ''],
  ['listen', 'http-response set-var(txn.x) res.hdr(x)', '', ''],
  // Conditions: accepted, with a warning.
  ['frontend', 'http-response deny if { req.hdr(host) -m found }', '', `anonymous acl will never match because it uses keyword 'req.hdr' which is incompatible with 'frontend http-response header rule'`],
  ['frontend', 'http-request deny if { res.hdr(x) -m found }', '', `anonymous acl will never match because it uses keyword 'res.hdr' which is incompatible with 'frontend http-request header rule'`],
  ['frontend', 'http-request deny if { status 200 }', '', `anonymous acl will never match because it uses keyword 'status' which is incompatible with 'frontend http-request header rule'`],
  ['frontend', 'http-request deny if { hdr_beg(host) x } || { res.hdr(x) -m found }', '', `anonymous acl will never match because it uses keyword 'res.hdr' which is incompatible with 'frontend http-request header rule'`],
  ['frontend', 'http-response deny if HTTP_URL_ABS', '', `acl 'HTTP_URL_ABS' will never match because it only involves keywords that are incompatible with 'frontend http-response header rule'`],
  ['frontend', 'redirect location /x if { status 200 }', '', `anonymous acl will never match because it uses keyword 'status' which is incompatible with 'frontend http-request header rule'`],
  ['listen', 'http-response deny if { req.hdr(host) -m found }', '', `anonymous acl will never match because it uses keyword 'req.hdr' which is incompatible with 'backend http-response header rule'`],
  ['frontend', 'tcp-request connection reject if { req.hdr(host) -m found }', '', `anonymous acl will never match in 'tcp-request connection' because it uses keyword 'req.hdr' which is incompatible with 'frontend tcp-request connection rule'`],
  ['frontend', 'tcp-request content reject if { res.hdr(x) -m found }', '', `anonymous acl will never match in 'tcp-request content' because it uses keyword 'res.hdr' which is incompatible with 'frontend tcp-request content rule'`],
  ['backend', 'tcp-response content reject if { req.hdr(x) -m found }', '', `anonymous acl will never match in 'tcp-response content' because it uses keyword 'req.hdr' which is incompatible with 'backend tcp-response content rule'`],
  ['frontend', 'acl a res.hdr(x) -m found\n    http-request deny if a', '', `acl 'a' will never match because it only involves keywords that are incompatible with 'frontend http-request header rule'`],
  ['frontend', 'acl a res.hdr(x) -m found\n    acl a req.hdr(x) -m found\n    http-request deny if a', '', `acl 'a' involves keywords 'res.hdr' which is incompatible with 'frontend http-request header rule'`],
  ['frontend', 'acl a res.hdr(x) -m found\n    tcp-request content reject if a', '', `acl 'a' will never match in 'tcp-request content' because it only involves keywords that are incompatible with 'frontend tcp-request content rule'`],
  ['frontend', 'acl a res.hdr(x) -m found\n    acl a req.hdr(x) -m found\n    tcp-request content reject if a', '', `acl 'a' involves keyword 'res.hdr' which is incompatible with 'frontend tcp-request content rule'`],
  ['frontend', 'http-response deny if { res.hdr(x) -m found } METH_GET', '', ''],
  // A layer-6 fetch in an HTTP action's log-format (not set-var-fmt's): accepted, with a warning.
  ['frontend', 'http-request set-header X %[req.len]', '', 'L6 sample fetch <req.len]> ignored in HTTP log-format string.'],
  ['frontend', 'http-response return status 200 content-type text/plain lf-string %[res.len]', '', 'L6 sample fetch <res.len]> ignored in HTTP log-format string.'],
  ['frontend', 'http-request set-var-fmt(txn.x) %[req.len]', '', ''],
  // Backend switching, server choice, persistence and stick rules, a server's sni, the statistics page.
  ['frontend', 'use_backend %[res.hdr(x)]', `failed to parse use_backend rule '%[res.hdr(x)]' : ${needs('res.hdr(x)]', RES).slice(0, -1)}`, ''],
  ['backend', 'use-server %[res.hdr(x)] if TRUE\n    server s1 127.0.0.1:1', `use-server rule failed to parse log-format '%[res.hdr(x)]' : ${needs('res.hdr(x)]', RES).slice(0, -1)}`, ''],
  ['backend', 'stick-table type string size 10\n    stick on res.hdr(x)', `'stick': fetch method 'res.hdr' extracts information from '${RES}', none of which is available during request.`, ''],
  ['backend', 'stick-table type string size 10\n    stick store-response req.hdr(x)', `'stick': fetch method 'req.hdr' extracts information from '${REQ}', none of which is available for 'store-response'.`, ''],
  ['backend', 'stick-table type string size 10\n    stick on req.cook(SID)\n    stick store-response res.cook(SID)', '', ''],
  ['frontend', 'use_backend b if { res.hdr(x) -m found }', '', `anonymous acl will never match because it uses keyword 'res.hdr' which is incompatible with 'frontend use-backend rule'`],
  ['backend', 'use-server s1 if { res.hdr(x) -m found }\n    server s1 127.0.0.1:1', '', `anonymous acl will never match because it uses keyword 'res.hdr' which is incompatible with 'backend use-server, balance or stick-match rule'`],
  ['backend', 'force-persist if { res.hdr(x) -m found }', '', `anonymous acl will never match because it uses keyword 'res.hdr' which is incompatible with 'backend tcp-request content rule'`],
  ['backend', 'stick-table type string size 10\n    stick match src if { res.hdr(x) -m found }', '', `anonymous acl will never match because it uses keyword 'res.hdr' which is incompatible with 'backend use-server, balance or stick-match rule'`],
  ['backend', 'stick-table type string size 10\n    stick store-response res.hdr(x) if { req.hdr(x) -m found }', '', `anonymous acl will never match because it uses keyword 'req.hdr' which is incompatible with 'backend stick-store rule'`],
  ['backend', 'server s2 127.0.0.1:1 ssl verify none sni res.hdr(x)', `'server p/s2' : error detected while parsing sni expression :  ${none('res.hdr(x)', RES)}.`, ''],
  ['backend', 'server s2 127.0.0.1:1 ssl verify none sni req.hdr(host)', '', ''],
  ['listen', 'stats enable\n    stats admin if { res.hdr(x) -m found }', '', `anonymous acl will never match because it uses keyword 'res.hdr' which is incompatible with 'frontend http-request header rule'`],
  ['listen', 'stats enable\n    stats http-request deny if { status 200 }', '', `anonymous acl will never match because it uses keyword 'status' which is incompatible with 'frontend http-request header rule'`],
];

const NEVER_MATCH = /will never match|which is incompatible with|ignored in HTTP log-format string/;

test('fetches used where their data is not available: refused in rule arguments, warned about in conditions, as HAProxy does', () => {
  for (const [kind, lines, alert, warning] of CASES) {
    const result = parseConfig([{ name: 'x.cfg', text: configText(kind, lines) }]);
    const alerts = result.diagnostics.filter((d) => d.severity === 'alert').map((d) => d.message);
    const warnings = result.diagnostics.filter((d) => d.severity === 'warning' && NEVER_MATCH.test(d.message)).map((d) => d.message);
    const shown = `${kind}: ${lines}\n${formatDiagnostics(result.diagnostics)}`;
    assert.deepEqual(alerts, alert === '' ? [] : [alert], shown);
    assert.deepEqual(warnings, warning === '' ? [] : [warning], shown);
  }
});

test('haproxy -c accepts, refuses and warns about the same lines, with the same messages', (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-rule-checkpoints-'));
  try {
    for (const [kind, lines, alert, warning] of CASES) {
      fs.writeFileSync(path.join(dir, 'x.cfg'), configText(kind, lines));
      const r = haproxyCheck('x.cfg', dir);
      const shown = `${kind}: ${lines}\n${r.output}`;
      assert.equal(r.status === 0, alert === '', shown);
      if (alert !== '') assert.ok(r.output.includes(alert.replace(/\.$/, '')), shown);
      if (alert === '') assert.equal(NEVER_MATCH.test(r.output), warning !== '', shown);
      if (warning !== '') assert.ok(r.output.includes(warning), shown);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
