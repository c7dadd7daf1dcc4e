/**
 * The rule actions set-src / set-src-port / set-dst / set-dst-port (tcp-request and http-request),
 * set-priority-class / set-priority-offset, set-log-level, early-hint and wait-for-handshake: what
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

const HEAD = `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
`;

/** [line added to frontend f (to backend b when it starts with 'backend '), Loadstar's alert or '' when accepted]. */
const CASES: Array<[string, string]> = [
  // HAProxy checks an address expression against the request-header check point whatever the
  // phase: hdr() passes in a connection rule (it finds nothing there), a response fetch does not.
  ['tcp-request connection set-src hdr(x-forwarded-for)', ''],
  ['tcp-request connection set-src src,ipmask(24)', ''],
  ['tcp-request session set-dst ipv4(10.0.0.1) if TRUE', ''],
  ['tcp-request session set-dst-port int(81)', ''],
  ['tcp-request content set-src-port int(1) unless FALSE', ''],
  ['backend tcp-request content set-dst req.hdr(x-dst)', ''],
  ['tcp-request connection set-src res.hdr(x)', `fetch method 'res.hdr(x)' extracts information from 'HTTP response headers', none of which is available here`],
  ['tcp-request session set-dst status', `fetch method 'status' extracts information from 'HTTP response', none of which is available here`],
  ['backend tcp-request content set-src res.hdr(x),ipmask(24)', `fetch method 'res.hdr(x),ipmask(24)' extracts information from 'HTTP response headers', none of which is available here`],
  ['tcp-request connection set-src-port', 'missing fetch method'],
  ['tcp-request connection set-src-port int(5) foo', `'tcp-request connection set-src-port' only accepts 'if' or 'unless', in frontend 'f' (got 'foo')`],
  ['tcp-request content set-src bogus(1)', `unknown fetch method 'bogus'`],
  ['backend tcp-request connection set-src src', 'tcp-request connection is not allowed because backend b is not a frontend'],
  ['http-request set-src', `error detected in frontend 'f' while parsing 'http-request set-src' rule : missing fetch method.`],
  ['http-request set-src src foo', `'http-request set-src' expects either 'if' or 'unless' followed by a condition but found 'foo'.`],
  ['http-request set-dst res.hdr(x)', `error detected in frontend 'f' while parsing 'http-request set-dst' rule : fetch method 'res.hdr(x)' extracts information from 'HTTP response headers', none of which is available here.`],
  // set-priority-class / set-priority-offset: tcp-request content and http-request only; HAProxy's
  // message names 'tcp-request' (tcp) or the action (http) where the fetch should be.
  ['tcp-request content set-priority-class int(1)', ''],
  ['backend tcp-request content set-priority-offset req.hdr(x) if TRUE', ''],
  ['http-request set-priority-class req.hdr(x-class)', ''],
  ['http-request set-priority-offset int(-100) if TRUE', ''],
  ['tcp-request content set-priority-class', 'missing fetch method'],
  ['tcp-request content set-priority-class res.hdr(x)', `fetch method 'tcp-request' extracts information from 'HTTP response headers', none of which is available here`],
  ['tcp-request content set-priority-class int(1) foo', `'tcp-request content set-priority-class' only accepts 'if' or 'unless', in frontend 'f' (got 'foo')`],
  ['http-request set-priority-class', `error detected in frontend 'f' while parsing 'http-request set-priority-class' rule : missing fetch method.`],
  ['http-request set-priority-offset res.hdr(x)', `error detected in frontend 'f' while parsing 'http-request set-priority-offset' rule : fetch method 'set-priority-offset' extracts information from 'HTTP response headers', none of which is available here.`],
  ['http-request set-priority-offset int(1) foo', `'http-request set-priority-offset' expects either 'if' or 'unless' followed by a condition but found 'foo'.`],
  ['http-request set-priority-class hdr(x),bogus', `error detected in frontend 'f' while parsing 'http-request set-priority-class' rule : unknown converter 'bogus'.`],
  // set-log-level: tcp-request content, http-request, http-response (and tcp-response) only.
  ['tcp-request content set-log-level silent', ''],
  ['backend tcp-request content set-log-level err if TRUE', ''],
  ['http-response set-log-level debug', ''],
  ['tcp-request content set-log-level', `expects exactly 1 argument (log level name or 'silent')`],
  ['tcp-request content set-log-level foo', `expects exactly 1 argument (log level name or 'silent')`],
  ['tcp-request content set-log-level err foo', `'tcp-request content set-log-level' only accepts 'if' or 'unless', in frontend 'f' (got 'foo')`],
  ['http-request set-log-level', `error detected in frontend 'f' while parsing 'http-request set-log-level' rule : expects exactly 1 argument (log level name or 'silent').`],
  ['http-request set-log-level err foo', `'http-request set-log-level' expects either 'if' or 'unless' followed by a condition but found 'foo'.`],
  ['http-response set-log-level err foo', `'http-response set-log-level' expects either 'if' or 'unless' followed by a condition but found 'foo'.`],
  ['backend tcp-response content set-log-level silent if { res.len gt 0 }', ''],
  ['backend tcp-response content set-log-level', `expects exactly 1 argument (log level name or 'silent')`],
  ['backend tcp-response content set-log-level foo', `expects exactly 1 argument (log level name or 'silent')`],
  ['backend tcp-response content set-log-level err x', `'tcp-response content set-log-level' only accepts 'if' or 'unless', in backend 'b' (got 'x')`],
  // early-hint: http-request only.
  ['http-request early-hint Link "</a.css>; rel=preload"', ''],
  ['backend http-request early-hint Link %[path]', ''],
  ['http-request early-hint link', `error detected in frontend 'f' while parsing 'http-request early-hint' rule : expects exactly 2 arguments.`],
  ['http-request early-hint link a b', `'http-request early-hint' expects either 'if' or 'unless' followed by a condition but found 'b'.`],
  // wait-for-handshake: http-request only, no argument, frontends and backends alike.
  ['http-request wait-for-handshake', ''],
  ['http-request wait-for-handshake if TRUE', ''],
  ['backend http-request wait-for-handshake', ''],
  ['http-request wait-for-handshake foo', `'http-request wait-for-handshake' expects either 'if' or 'unless' followed by a condition but found 'foo'.`],
];

function configOf(line: string): string {
  const [frontendLine, backendLine] = line.startsWith('backend ') ? ['', `    ${line.slice(8)}\n`] : [`    ${line}\n`, ''];
  return `${HEAD}frontend f\n    bind 127.0.0.1:1\n${frontendLine}    default_backend b\nbackend b\n${backendLine}    server s 127.0.0.1:2\n`;
}

test('the address, priority, log-level, early-hint and wait-for-handshake actions are accepted or refused as HAProxy 2.6 does', () => {
  for (const [line, alert] of CASES) {
    const result = parseConfig([{ name: 'x.cfg', text: configOf(line) }]);
    const alerts = result.diagnostics.filter((d) => d.severity === 'alert').map((d) => d.message);
    assert.deepEqual(alerts, alert === '' ? [] : [alert], `${line}\n${formatDiagnostics(result.diagnostics)}`);
  }
});

test('haproxy -c accepts and refuses the same lines', (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-kw-actions-'));
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
