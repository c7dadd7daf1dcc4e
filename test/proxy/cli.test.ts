import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenariosDir } from '../helpers/scenarios.ts';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/loadstar.js');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: scenariosDir, encoding: 'utf8', timeout: 30_000 });

test('loadstar --help lists the commands', () => {
  const r = run('--help');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Usage: loadstar <command>/);
  assert.match(r.stdout, /check -f FILE/);
});

test('loadstar check exits 0 on a valid configuration and prints warnings on stderr', () => {
  const r = run('check', '-f', 'seed/seed-1-roundrobin.cfg');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Configuration file is valid/);
  assert.match(r.stderr, /\[WARNING\] parsing \[seed\/seed-1-roundrobin\.cfg:1\] : missing timeouts for frontend 'http_frontend'/);
});

test('loadstar check exits 1 with HAProxy-shaped alerts naming file and line', () => {
  const r = run('check', '-f', 'invalid/unknown-keyword-balanse.cfg');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /\[ALERT\] parsing \[invalid\/unknown-keyword-balanse\.cfg:\d+\] : unknown keyword 'balanse' in 'backend' section; did you mean 'balance' maybe \?/);
  assert.doesNotMatch(r.stderr, /    at /, 'no stack trace');
});

test('loadstar check accepts several files as one configuration', () => {
  const r = run('check', '-q', '-f', 'valid/01-minimal-roundrobin.cfg', '-f', 'seed/seed-3-acl-routing.cfg');
  assert.equal(r.status, 0, r.stderr);
});

test('usage mistakes exit 2 with a clear message', () => {
  const missing = run('check');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /at least one configuration file/);
  const unknown = run('frobnicate');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  const unreadable = run('check', '-f', 'no/such/file.cfg');
  assert.equal(unreadable.status, 1);
  assert.match(unreadable.stderr, /cannot read configuration file 'no\/such\/file.cfg': no such file/);
});

test('loadstar check refuses, at its line, what HAProxy accepts but the engine does not run, as loadstar run would', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-check-'));
  try {
    const file = path.join(dir, 'h2-proxy.cfg');
    fs.writeFileSync(file, [
      'defaults', '  mode http', '  timeout client 5s', '  timeout server 5s', '  timeout connect 5s',
      'frontend web', '  bind 127.0.0.1:8080', '  default_backend app',
      'backend app', '  server s1 127.0.0.1:8081 proto h2 send-proxy', '',
    ].join('\n'));
    const checked = run('check', '-f', file);
    assert.equal(checked.status, 1, checked.stdout);
    assert.match(checked.stderr, /\[ALERT\] parsing \[.*h2-proxy\.cfg:10\] : 'send-proxy' on an HTTP\/2 server \('proto h2' or 'alpn h2'\) is not run by Loadstar yet/);
    assert.doesNotMatch(checked.stdout, /valid/);
    const ran = spawnSync(process.execPath, [bin, 'run', '-f', file], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(ran.status, 1, 'run refuses the same configuration');
    assert.match(ran.stderr, /h2-proxy\.cfg:10\] 'send-proxy' on an HTTP\/2 server/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('loadstar check exits 2 for a configuration that starts no listener, as haproxy -c does (a disabled frontend binds nothing; a stats socket listens)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-check-'));
  try {
    const head = ['defaults', '  mode http', '  timeout client 5s', '  timeout server 5s', '  timeout connect 5s', 'backend app', '  server s1 127.0.0.1:8081'];
    const cases: Array<[string, string[], number, string]> = [
      ['backend-only.cfg', [], 2, 'Configuration file has no error but will not start (no listener) => exit(2).'],
      ['disabled.cfg', ['frontend web', '  disabled', '  bind 127.0.0.1:8080', '  default_backend app'], 2, 'Configuration file has no error but will not start (no listener) => exit(2).'],
      ['listening.cfg', ['frontend web', '  bind 127.0.0.1:8080', '  default_backend app'], 0, 'Configuration file is valid'],
      // The CLI's own frontend: haproxy -c counts its listener.
      ['stats-socket.cfg', ['global', `  stats socket ${path.join(dir, 'admin.sock')} level admin`], 0, 'Configuration file is valid'],
    ];
    for (const [name, more, status, said] of cases) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, [...head, ...more, ''].join('\n'));
      const checked = run('check', '-f', file);
      assert.equal(checked.status, status, `${name}: ${checked.stdout}${checked.stderr}`);
      assert.equal(checked.stdout.trim(), said, name);
      const haproxy = spawnSync('haproxy', ['-c', '-f', file], { encoding: 'utf8' });
      if (haproxy.error) continue;
      assert.equal(haproxy.status, status, `haproxy: ${name}: ${haproxy.stdout}${haproxy.stderr}`);
      assert.match(haproxy.stdout, new RegExp(said.replace(/[().=>]/g, '\\$&')), name);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
