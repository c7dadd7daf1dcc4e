/**
 * set-map, del-map, add-acl and del-acl in http-request / http-response rules (http_act.c
 * parse_http_set_map): what HAProxy 2.6.12 accepts and refuses, with its messages (recorded here;
 * each case also run through `haproxy -c` where it is installed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck, haproxyPath } from '../../helpers/haproxy.ts';

const DEFAULTS = `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend f
    bind 127.0.0.1:1
`;

const at = (rule: string): string => `error detected in frontend 'f' while parsing '${rule}' rule : `;

/**
 * [line added to the frontend, Loadstar's alert or '' when accepted, whether haproxy's message is the same].
 * The file named needs not exist: HAProxy looks it up when the rule runs (none: the rule does nothing).
 */
const CASES: Array<[string, string, boolean]> = [
  ['http-request set-map(/m/x.map) %[req.hdr(k)] %[req.hdr(v)]', '', true],
  ['http-request del-map(/m/x.map) %[req.hdr(k)] if { path_beg /del }', '', true],
  ['http-request add-acl(/m/x.lst) %[src]', '', true],
  ['http-request del-acl(/m/x.lst) %[src] unless { path_beg /keep }', '', true],
  ['http-response set-map(/m/x.map) %[res.hdr(k)] %[status]', '', true],
  ['http-response del-acl(/m/x.lst) %[res.hdr(k)]', '', true],
  ['http-request set-map(/m/x.map) a', `${at('http-request set-map(/m/x.map)')}expects exactly 2 arguments.`, true],
  ['http-request set-map(/m/x.map)', `${at('http-request set-map(/m/x.map)')}expects exactly 2 arguments.`, true],
  ['http-request del-map(/m/x.map)', `${at('http-request del-map(/m/x.map)')}expects exactly 1 arguments.`, true],
  ['http-response add-acl(/m/x.lst)', `${at('http-response add-acl(/m/x.lst)')}expects exactly 1 arguments.`, true],
  ['http-request set-map(/m/x.map) a b c', `'http-request set-map(/m/x.map)' expects either 'if' or 'unless' followed by a condition but found 'c'.`, true],
  ['http-request add-acl(/m/x.lst) a b', `'http-request add-acl(/m/x.lst)' expects either 'if' or 'unless' followed by a condition but found 'b'.`, true],
  ['http-request set-map(/m/x.map) %[foo] b', `${at('http-request set-map(/m/x.map)')}failed to parse sample expression <foo]> : unknown fetch method 'foo'.`, true],
  // Not actions of these rule sets in HAProxy 2.6.
  ['http-after-response set-map(/m/x.map) a b', `'http-after-response' expects 'ot-group', 'add-header', 'allow', 'capture', 'del-header', 'replace-header', 'replace-value', 'set-header', 'set-status', 'strict-mode', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', but got 'set-map(/m/x.map)'.`, true],
  ['tcp-request content add-acl(/m/x.lst) a', `'tcp-request content' expects 'accept', 'reject', 'capture', 'expect-proxy', 'expect-netscaler-cip', 'track-sc0' ... 'track-sc2', 'ot-group', 'set-log-level', 'set-nice', 'switch-mode', 'use-service', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'do-resolve(*)', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-src', 'set-src-port', 'set-dst', 'set-dst-port', 'set-mark', 'set-tos', 'silent-drop', 'set-priority-class', 'set-priority-offset' in frontend 'f' (got 'add-acl(/m/x.lst)').`, true],
];

test('set-map, del-map, add-acl and del-acl are accepted or refused as HAProxy 2.6 does', () => {
  for (const [line, alert] of CASES) {
    const result = parseConfig([{ name: 'x.cfg', text: `${DEFAULTS}    ${line}\n` }]);
    const alerts = result.diagnostics.filter((d) => d.severity === 'alert').map((d) => d.message);
    assert.deepEqual(alerts, alert === '' ? [] : [alert], `${line}\n${formatDiagnostics(result.diagnostics)}`);
  }
});

test('a file name not written as <action>(<file>) is read as HAProxy reads it, with a warning', () => {
  const result = parseConfig([{ name: 'x.cfg', text: `${DEFAULTS}    http-request set-map(/m/x.map a b\n` }]);
  assert.deepEqual(result.diagnostics.map((d) => `${d.severity} ${d.message}`), [
    `warning 'http-request set-map(/m/x.map': read as 'set-map(/m/x.ma)' (as HAProxy does); write 'set-map(<file>)'.`,
  ]);
  const rule = result.config.proxies.find((p) => p.name === 'f')!.httpRequestRules[0]!;
  assert.equal(rule.action.type === 'set-map' && rule.action.file, '/m/x.ma');
});

test('haproxy -c accepts and refuses the same set-map, del-map, add-acl and del-acl lines', (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-kw-maps-'));
  try {
    for (const [line, alert, same] of CASES) {
      fs.writeFileSync(path.join(dir, 'x.cfg'), `${DEFAULTS}    ${line}\n`);
      const r = haproxyCheck('x.cfg', dir);
      assert.equal(r.status === 0, alert === '', `${line}\n${r.output}`);
      if (alert !== '' && same) assert.ok(r.output.includes(alert.replace(/\.$/, '')), `${line}\n${r.output}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a file read as a map cannot also be read as one-column ACL patterns, nor the other way round (one reference per file name)', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-kw-maps-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'x.map');
  fs.writeFileSync(file, 'a 1\n');
  const cases: Array<[string, string]> = [
    [`acl x path -f ${file}\n    http-request set-header y %[path,map(${file})]`,
      `failed to parse sample expression <path,map(${file})> : invalid args in converter 'map' : The file "${file}" is already used as one column file and cannot be used by as two column file.`],
    [`http-request set-header y %[path,map(${file})]\n    acl x path -f ${file}`,
      `error detected while parsing ACL 'x' : The file "${file}" is already used as two column file and cannot be used by as one column file.`],
    [`http-request set-header y %[path,map(${file})]\n    acl x path -M -f ${file}`, ''],
    [`acl x path -M -f ${file}\n    http-request set-map(${file}) %[path] %[src]\n    http-request set-header y %[path,map_beg(${file})]`, ''],
  ];
  for (const [lines, alert] of cases) {
    const text = `${DEFAULTS}    ${lines}\n`;
    const result = parseConfig([{ name: 'x.cfg', text }]);
    const alerts = result.diagnostics.filter((d) => d.severity === 'alert').map((d) => d.message);
    assert.deepEqual(alerts, alert === '' ? [] : [alert], `${lines}\n${formatDiagnostics(result.diagnostics)}`);
    if (!haproxyPath) continue;
    fs.writeFileSync(path.join(dir, 'x.cfg'), text);
    const r = haproxyCheck('x.cfg', dir);
    assert.equal(r.status === 0, alert === '', `${lines}\n${r.output}`);
    // HAProxy quotes the expression up to the end of the %[…] (its closing bracket included).
    if (alert !== '') assert.ok(r.output.includes(alert.replace(/\.$/, '').replace(/^.*: The file/, 'The file')), `${lines}\n${r.output}`);
  }
});
