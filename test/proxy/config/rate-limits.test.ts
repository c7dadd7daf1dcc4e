/**
 * The rate-limit keywords (`maxconnrate`, `maxsessrate`, `maxsslrate`, `rate-limit sessions`):
 * parsed as HAProxy 2.6 parses them, accepted and refused as `haproxy -c` does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

const site = (global: string, defaults = '', frontend = '', backend = ''): string =>
  `global\n${global}defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n${defaults}` +
  `frontend web\n    bind 127.0.0.1:8080\n${frontend}    default_backend app\nbackend app\n${backend}    server s 127.0.0.1:8081\n`;

/** `ok`: haproxy -c accepts it (Loadstar may add a warning); `error`: the message both give. */
const CASES: Array<{ text: string; ok: boolean; error?: string }> = [
  { text: site('    maxconnrate 100\n    maxsessrate 50\n    maxsslrate 20\n'), ok: true },
  { text: site('    maxconnrate 0\n'), ok: true },
  // atol(): not a number reads as 0, a negative number as no limit; HAProxy says nothing, Loadstar warns.
  { text: site('    maxconnrate abc\n'), ok: true },
  { text: site('    maxsessrate -1\n'), ok: true },
  { text: site('    maxconnrate\n'), ok: false, error: "'maxconnrate' expects an integer argument." },
  { text: site('    maxsessrate 10 20\n'), ok: false, error: "'maxsessrate' cannot handle unexpected argument '20'." },
  { text: site('', '    rate-limit sessions 10\n'), ok: true },
  { text: site('', '', '    rate-limit sessions 10\n'), ok: true },
  { text: site('', '', '    rate-limit sessions 0\n'), ok: true },
  { text: site('', '', '', '    rate-limit sessions 10\n'), ok: true },
  { text: site('', '', '    rate-limit sessions abc\n'), ok: false, error: "'rate-limit sessions' : unexpected character 'a' in integer value 'abc'" },
  { text: site('', '', '    rate-limit sessions\n'), ok: false },
  { text: site('', '', '    rate-limit foo 1\n'), ok: false },
];

test('rate limits: what Loadstar reads, warns about and refuses', () => {
  for (const c of CASES) {
    const r = parseConfig([{ name: 'x.cfg', text: c.text }]);
    const errors = r.diagnostics.filter((d) => d.severity === 'alert').map((d) => d.message);
    assert.equal(errors.length === 0, c.ok, `${c.text}\n${errors.join('\n')}`);
    if (c.error) assert.ok(errors.some((m) => m.includes(c.error!)), errors.join('\n'));
  }
  const read = (text: string) => {
    const r = parseConfig([{ name: 'x.cfg', text }]);
    assert.ok(r.ok);
    return r.config;
  };
  const g = read(site('    maxconnrate 100\n    maxsessrate 50\n    maxsslrate 20\n')).global;
  assert.deepEqual([g.maxConnRate, g.maxSessRate, g.maxSslRate], [100, 50, 20]);
  assert.equal(read(site('    maxconnrate 0\n')).global.maxConnRate, undefined, '0: no limit');
  const warned = parseConfig([{ name: 'x.cfg', text: site('    maxconnrate abc\n') }]);
  assert.equal(warned.ok && warned.config.global.maxConnRate, undefined);
  assert.match(warned.diagnostics.map((d) => d.message).join('\n'), /'maxconnrate' expects a non-negative integer, got 'abc'/);
  // A frontend takes the defaults' limit unless it sets its own; a backend has none (and is warned).
  const inherited = read(site('', '    rate-limit sessions 7\n'));
  assert.equal(inherited.proxies.find((p) => p.name === 'web')!.rateLimitSessions, 7);
  assert.equal(inherited.proxies.find((p) => p.name === 'app')!.rateLimitSessions, undefined);
  const own = read(site('', '    rate-limit sessions 7\n', '    rate-limit sessions 3\n'));
  assert.equal(own.proxies.find((p) => p.name === 'web')!.rateLimitSessions, 3);
  const inBackend = parseConfig([{ name: 'x.cfg', text: site('', '', '', '    rate-limit sessions 10\n') }]);
  assert.match(inBackend.diagnostics.map((d) => d.message).join('\n'), /rate-limit sessions will be ignored because backend 'app' has no frontend capability/);
});

test('haproxy -c agrees on what is accepted', (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-rate-limits-'));
  try {
    for (const c of CASES) {
      const file = path.join(dir, 'x.cfg');
      fs.writeFileSync(file, c.text);
      const { status, output } = haproxyCheck(file, dir);
      assert.equal(status === 0, c.ok, `${c.text}\n${output}`);
      if (c.error) assert.ok(output.includes(c.error), output);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
