/**
 * `log` targets, `log-tag`, `log-send-hostname` (proxy/config/log-targets.ts, kw-global.ts,
 * kw-proxy.ts): accepted and refused as `haproxy -c` does, a warning for a target Loadstar cannot
 * write to, and a proxy's own targets added after the defaults' ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

const site = (global: string, frontend = ''): string =>
  `global\n${global}defaults\n    log global\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nfrontend web\n    bind 127.0.0.1:8080\n${frontend}    http-request return status 200\n`;

const CASES: Array<{ text: string; error?: string }> = [
  { text: site('    log 127.0.0.1:514 len 2048 format rfc5424 local0 info notice\n    log-tag lab\n    log-send-hostname\n', '    log-tag web\n') },
  { text: site('    log-send-hostname router\n') },
  { text: site('    log 127.0.0.1 format bogus local0\n'), error: "log : unknown log format 'bogus'" },
  { text: site('    log 127.0.0.1 len 60 local0\n'), error: "log : invalid log length '60', must be between 80 and 65535" },
  { text: site('    log-tag\n'), error: "'log-tag' expects a tag for use in syslog." },
  { text: site('    log-tag a b\n'), error: "'log-tag' cannot handle unexpected argument 'b'." },
];

test('log targets and tags: what Loadstar reads and refuses', () => {
  for (const c of CASES) {
    const r = parseConfig([{ name: 'x.cfg', text: c.text }]);
    const alerts = r.diagnostics.filter((d) => d.severity === 'alert').map((d) => d.message);
    assert.deepEqual(alerts, c.error ? [c.error] : [], c.text);
  }
  const r = parseConfig([{ name: 'x.cfg', text: site('    log 127.0.0.1:514 len 2048 local0\n    log /dev/log local1\n    log-tag lab\n    log-send-hostname\n', '    log 127.0.0.1:515 local2\n') }]);
  assert.ok(r.ok);
  assert.equal(r.config.global.logTag, 'lab');
  assert.equal(r.config.global.logSendHostname, true);
  assert.equal(r.config.global.logs[0]!.len, 2048);
  // The frontend: the defaults' `log global` first, then its own line.
  assert.deepEqual(r.config.proxies.find((p) => p.name === 'web')!.logs.map((l) => l.target), ['global', '127.0.0.1:515']);
  // A UNIX socket gets the local format (runtime/unix-syslog.ts): without the host name log-send-hostname asks for.
  assert.deepEqual(r.diagnostics.map((d) => d.message), ["log target '/dev/log': lines to a UNIX socket are written without the host name 'log-send-hostname' asks for (the local format)."]);
  const plain = parseConfig([{ name: 'x.cfg', text: site('    log /dev/log local1\n    log unix@/dev/log format local local2\n', '') }]);
  assert.deepEqual(plain.diagnostics, []);
});

test('haproxy -c agrees', (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-log-targets-'));
  try {
    for (const c of CASES) {
      const file = path.join(dir, 'x.cfg');
      fs.writeFileSync(file, c.text);
      const { status, output } = haproxyCheck(file, dir);
      assert.equal(status === 0, c.error === undefined, `${c.text}\n${output}`);
      if (c.error) assert.ok(output.includes(c.error), output);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
