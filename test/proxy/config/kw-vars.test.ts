/**
 * set-var(<name>[,<cond>…]) in http and tcp rules and the global set-var / set-var-fmt lines: what
 * HAProxy 2.6.12 accepts and refuses, with its messages (recorded here; each case also run through
 * `haproxy -c` where it is installed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

const DEFAULTS = `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend f
    bind 127.0.0.1:1
`;

/** [line added to the frontend (or the global section when it starts with 'global'), Loadstar's alert or '' when accepted]. */
const CASES: Array<[string, string]> = [
  ['http-request set-var(txn.x,ifexists,ifgt) int(1)', ''],
  ['http-response set-var(res.x,ifnotempty) str(a)', ''],
  ['http-after-response set-var(txn.x,iflt) int(1)', ''],
  ['http-request set-var-fmt(txn.x,ifnotset) "%[path]"', ''],
  // An empty condition ends the list (istsplit finds nothing after it).
  ['http-request set-var(txn.x,,ifset) str(a)', ''],
  ['tcp-request session set-var-fmt(sess.x,ifnotexists) "%[src]"', ''],
  ['tcp-request content set-var(txn.x,ifempty) req.hdr(host)', ''],
  ['http-request set-var(txn.x,foo) str(a)', `error detected in frontend 'f' while parsing 'http-request set-var(txn.x,foo)' rule : unknown condition "foo".`],
  ['http-request unset-var(txn.x,ifset)', `error detected in frontend 'f' while parsing 'http-request unset-var(txn.x,ifset)' rule : unset-var does not expect parameters after the variable name. Only "set-var" and "set-var-fmt" manage conditions.`],
  ['http-request set-var(txn.x)', `error detected in frontend 'f' while parsing 'http-request set-var(txn.x)' rule : missing fetch method.`],
  ['http-request set-var(x) str(a)', `error detected in frontend 'f' while parsing 'http-request set-var(x)' rule : invalid variable name 'x'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'.`],
  ['tcp-request content set-var(txn.x,bar) src', 'unknown condition "bar"'],
  ['global set-var proc.a,ifnotexists int(1)', ''],
  ['global set-var-fmt proc.b "%[var(proc.a)]-%[str(x)]"', ''],
  ['global set-var txn.x str(a)', `'set-var': cannot set variable 'txn.x', only scope 'proc' is permitted in the global section.`],
  ['global set-var proc.y src', `fetch method 'set-var(proc.y)' extracts information from 'client address', none of which is available here`],
  ['global set-var proc.z', `'set-var' requires a process-wide variable name ('proc.<name>') and a sample expression.`],
  ['global set-var-fmt proc.z', `'set-var-fmt' requires a process-wide variable name ('proc.<name>') and a format string.`],
  ['global set-var foo str(a)', `invalid variable name 'foo'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'`],
];

function configOf(line: string): string {
  return line.startsWith('global ') ? `global\n    ${line.slice(7)}\n${DEFAULTS}` : `${DEFAULTS}    ${line}\n`;
}

test('set-var conditions and the global set-var lines are accepted or refused as HAProxy 2.6 does', () => {
  for (const [line, alert] of CASES) {
    const result = parseConfig([{ name: 'x.cfg', text: configOf(line) }]);
    const alerts = result.diagnostics.filter((d) => d.severity === 'alert').map((d) => d.message);
    assert.deepEqual(alerts, alert === '' ? [] : [alert], `${line}\n${formatDiagnostics(result.diagnostics)}`);
  }
});

test('haproxy -c accepts and refuses the same set-var lines', (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-kw-vars-'));
  try {
    for (const [line, alert] of CASES) {
      fs.writeFileSync(path.join(dir, 'x.cfg'), configOf(line));
      const r = haproxyCheck('x.cfg', dir);
      assert.equal(r.status === 0, alert === '', `${line}\n${r.output}`);
      if (alert !== '') assert.ok(r.output.includes(alert.replace(/\.$/, '')), `${line}\n${r.output}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
