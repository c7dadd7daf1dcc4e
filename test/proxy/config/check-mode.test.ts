import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

const TIMEOUTS = '    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';

/**
 * A health check's log-format is parsed with the proxy's mode as it stands on
 * that line: its own earlier `mode`, else the defaults section's (`from` or the
 * last one above), else HAProxy's built-in `tcp` — never an assumed `http`.
 */
const CASES: Array<{ name: string; text: string; valid: boolean }> = [
  { name: 'defaults in tcp mode', valid: false, text: `defaults\n    mode tcp\n${TIMEOUTS}backend b\n    option tcp-check\n    tcp-check send-lf "GET %HM"\n    server s 127.0.0.1:1 check\n` },
  { name: 'no mode anywhere (built-in tcp)', valid: false, text: `defaults\n${TIMEOUTS}backend b\n    option tcp-check\n    tcp-check send-lf "GET %HM"\n    server s 127.0.0.1:1 check\n` },
  { name: 'mode http set after the check line', valid: false, text: `defaults\n    mode tcp\n${TIMEOUTS}backend b\n    option tcp-check\n    tcp-check send-lf "GET %HM"\n    mode http\n    server s 127.0.0.1:1 check\n` },
  { name: 'defaults in http mode', valid: true, text: `defaults\n    mode http\n${TIMEOUTS}backend b\n    option tcp-check\n    tcp-check send-lf "GET %HM"\n    server s 127.0.0.1:1 check\n` },
  { name: 'named defaults in http mode through from', valid: true, text: `defaults web\n    mode http\n${TIMEOUTS}defaults other\n    mode tcp\n${TIMEOUTS}backend b from web\n    option tcp-check\n    tcp-check send-lf "GET %HM"\n    server s 127.0.0.1:1 check\n` },
  { name: 'defaults inheriting http mode from another defaults', valid: true, text: `defaults web\n    mode http\n${TIMEOUTS}defaults more from web\n    timeout check 1s\nbackend b\n    option tcp-check\n    tcp-check send-lf "GET %HM"\n    server s 127.0.0.1:1 check\n` },
  { name: 'own mode http before the check line', valid: true, text: `defaults\n    mode tcp\n${TIMEOUTS}backend b\n    mode http\n    option tcp-check\n    tcp-check send-lf "GET %HM"\n    server s 127.0.0.1:1 check\n` },
];

const errorsOf = (text: string): string[] => parseConfig([{ name: 'check.cfg', text }]).diagnostics.filter((d) => d.severity !== 'warning').map((d) => d.message);

test('a check log-format uses the mode in force on its line, inherited or HAProxy\'s tcp default', () => {
  for (const c of CASES) {
    const errors = errorsOf(c.text);
    if (c.valid) assert.deepEqual(errors, [], `${c.name}: ${formatDiagnostics(parseConfig([{ name: 'check.cfg', text: c.text }]).diagnostics)}`);
    else assert.ok(errors.some((e) => e.includes("format variable 'HM' is reserved for HTTP mode")), `${c.name}: ${errors.join('; ')}`);
  }
});

test('HAProxy accepts and refuses the same check log-formats', (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-check-mode-'));
  try {
    for (const [i, c] of CASES.entries()) {
      const file = path.join(dir, `case${i}.cfg`);
      fs.writeFileSync(file, c.text);
      const r = haproxyCheck(file, dir);
      assert.equal(!r.output.includes('[ALERT]'), c.valid, `${c.name}:\n${r.output}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
