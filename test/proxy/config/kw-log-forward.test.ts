/**
 * `log-forward` sections: what HAProxy 2.6 accepts and refuses (log.c cfg_parse_log_forward), with its
 * messages, each case also run through `haproxy -c`; and the section written back unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, serialize } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const section = (body: string, header = 'log-forward relay'): string => `${header}\n${body}`;

const FULL = section([
  '    dgram-bind 127.0.0.1:5514',
  '    dgram-bind udp@127.0.0.1:5515,udp4@127.0.0.1:5516 name syslog-udp',
  '    bind 127.0.0.1:5514 maxconn 3',
  '    log 127.0.0.1:10514 format rfc5424 local1 notice',
  '    log udp@127.0.0.1:10515 len 200 format raw daemon',
  '    maxconn 20',
  '    backlog 5',
  '    timeout client 5s',
  '',
].join('\n'));

const CASES: ParseCase[] = [
  { text: FULL, valid: true },
  { text: section('    dgram-bind 127.0.0.1:5514\n    log global\n', 'global\n    log 127.0.0.1:514 local0\nlog-forward relay'), valid: true },
  { text: section('    dgram-bind 127.0.0.1:5514\n    log 127.0.0.1:514 local0\n    no log\n'), valid: true },
  { text: section('    dgram-bind 127.0.0.1:5514\n', 'log-forward'), valid: false, message: 'missing name for ip-forward section.' },
  { text: section('    dgram-bind 127.0.0.1:5514\n', 'log-forward a b'), valid: false, message: "'log-forward' cannot handle unexpected argument 'b'." },
  { text: section('    dgram-bind 127.0.0.1:5514\n', 'log-forward a/b'), valid: false, message: "character '/' is not permitted in 'log-forward' name 'a/b'." },
  { text: `log-forward a\n    dgram-bind 127.0.0.1:5514\nlog-forward a\n    dgram-bind 127.0.0.1:5515\n`, valid: false, message: "log-forward section 'a' has the same name as another log-forward section declared at" },
  { text: `frontend a\n    bind 127.0.0.1:8080\n    timeout client 1s\nlog-forward a\n    dgram-bind 127.0.0.1:5514\n`, valid: false, message: "log forward section 'a' has the same name as frontend 'a' declared at" },
  { text: section('    dgram-bind 127.0.0.1:5514\n    maxconn\n'), valid: false, message: "'maxconn' expects an integer argument." },
  { text: section('    dgram-bind 127.0.0.1:5514\n    maxconn 3 4\n'), valid: false, message: "'maxconn' cannot handle unexpected argument '4'." },
  { text: section('    dgram-bind 127.0.0.1:5514\n    backlog\n'), valid: false, message: "'backlog' expects an integer argument." },
  { text: section('    dgram-bind 127.0.0.1:5514\n    backlog 1 2\n'), valid: false, message: "'backlog' cannot handle unexpected argument '2'." },
  { text: section('    dgram-bind 127.0.0.1:5514\n    timeout server 3s\n'), valid: false, message: "unknown keyword 'timeout server' in log-forward section." },
  { text: section('    dgram-bind 127.0.0.1:5514\n    timeout client\n'), valid: false, message: 'missing timeout client value.' },
  { text: section('    dgram-bind 127.0.0.1:5514\n    timeout client 99999999999\n'), valid: false, message: "timeout : timer overflow in argument '99999999999' to 'timeout client' (maximum value is 2147483647 ms or ~24.8 days)" },
  { text: section('    dgram-bind 127.0.0.1:5514\n    foo 1\n'), valid: false, message: "unknown keyword 'foo' in log-forward section." },
  { text: section('    dgram-bind 127.0.0.1:5514\n    log\n'), valid: false, message: 'log : expects <address> and <facility> or global as arguments' },
  { text: section('    dgram-bind 127.0.0.1:5514\n    log 127.0.0.1 bogus\n'), valid: false, message: "log : unknown log facility 'bogus'" },
  { text: section('    dgram-bind 127.0.0.1:5514\n    log 127.0.0.1 local0 loud\n'), valid: false, message: "log : unknown optional log level 'loud'" },
  { text: section('    dgram-bind 127.0.0.1\n'), valid: false, message: "'dgram-bind 127.0.0.1' : missing port specification in '127.0.0.1'" },
  { text: section('    dgram-bind 127.0.0.1:5514 zzqqxx\n'), valid: false, message: "unknown keyword 'zzqqxx' in 'log-forward' section" },
  { text: section('    bind 127.0.0.1:5514 zzqqxx\n'), valid: false, message: "'bind 127.0.0.1:5514' in section 'log-forward': unknown keyword 'zzqqxx'" },
  { text: section('    bind 127.0.0.1\n'), valid: false, message: "missing port specification in '127.0.0.1'" },
  { text: section('    bind 127.0.0.1:5514 ssl crt /nonexistent/x.pem\n'), valid: false, message: "'bind 127.0.0.1:5514' in section 'log-forward' : unable to stat SSL certificate from file '/nonexistent/x.pem' : No such file or directory." },
  { text: section('    log 127.0.0.1:514 local0\n'), valid: true, message: "frontend 'relay' has no 'bind' directive. Please declare it as a backend if this was intended." },
];

test('log-forward sections: Loadstar accepts and refuses what HAProxy 2.6 does, with its messages', () => {
  assertLoadstarParses(CASES);
});

test('log-forward sections: haproxy -c agrees', (t) => {
  assertHaproxyParses(t, CASES);
});

test('a log-forward section is read into the model with HAProxy\'s defaults', () => {
  const r = parseConfig([{ name: 'x.cfg', text: FULL }]);
  const [f] = r.config.logForwards;
  assert.ok(f);
  assert.equal(f.name, 'relay');
  assert.deepEqual(f.dgramBinds.map((b) => b.addresses.map((a) => `${a.host}:${a.port}`)), [['127.0.0.1:5514'], ['127.0.0.1:5515', '127.0.0.1:5516']]);
  assert.equal(f.dgramBinds[1]!.extra.name, 'syslog-udp');
  assert.deepEqual(f.binds.map((b) => [b.addresses[0]!.port, b.maxconn]), [[5514, 3]]);
  assert.deepEqual(f.logs.map((l) => [l.target, l.format, l.facility, l.level, l.len]), [['127.0.0.1:10514', 'rfc5424', 'local1', 'notice', undefined], ['udp@127.0.0.1:10515', 'raw', 'daemon', undefined, 200]]);
  assert.deepEqual([f.maxconn, f.backlog, f.timeoutClient], [20, 5, 5000]);
  const plain = parseConfig([{ name: 'y.cfg', text: section('    dgram-bind 127.0.0.1:5514\n') }]).config.logForwards[0]!;
  assert.deepEqual([plain.maxconn, plain.backlog, plain.timeoutClient], [10, undefined, undefined]);
});

test('a log-forward section is written back as it was, and haproxy -c accepts what is written', (t) => {
  const text = `global\n    log 127.0.0.1:514 local0\n\n# the relay\n${FULL}    log global # and the global one\n`;
  const first = parseConfig([{ name: 'x.cfg', text }]);
  const written = serialize(first.config);
  assert.match(written, /^log-forward relay$/m);
  const second = parseConfig([{ name: 'serialized.cfg', text: written }]);
  assert.deepEqual(second.diagnostics.filter((d) => d.severity !== 'warning'), []);
  assert.deepEqual(second.config.logForwards.map((f) => ({ ...f, section: undefined, dgramBinds: f.dgramBinds.map((b) => ({ ...b, loc: undefined })), binds: f.binds.map((b) => ({ ...b, loc: undefined })), logs: f.logs.map((l) => ({ ...l, loc: undefined })) })),
    first.config.logForwards.map((f) => ({ ...f, section: undefined, dgramBinds: f.dgramBinds.map((b) => ({ ...b, loc: undefined })), binds: f.binds.map((b) => ({ ...b, loc: undefined })), logs: f.logs.map((l) => ({ ...l, loc: undefined })) })));
  assert.equal(serialize(second.config), written);
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-log-forward-'));
  try {
    const file = path.join(dir, 'written.cfg');
    fs.writeFileSync(file, written);
    const r = haproxyCheck(file, dir);
    assert.equal(r.status, 0, `${written}\n${r.output}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
