/**
 * `no option X` and `default option X` (proxy/config/parser.ts, kw-proxy.ts, kw-checks.ts): accepted
 * and refused as haproxy 2.6.12 accepts and refuses them. HAProxy refuses both prefixes for the
 * options it parses itself (log formats, checks, forwardfor, tcpka…), and `default` for every
 * flag option but redispatch. What a refused line says, and that `default option` brings the
 * defaults section's value back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const OPTIONS = ['httplog', 'tcplog', 'httpslog', 'forwardfor', 'httpchk', 'tcp-check', 'tcpka', 'http-use-htx', 'redispatch', 'dontlognull', 'http-server-close', 'abortonclose'];

const text = (line: string): string => `defaults
    mode http
    option dontlognull
    timeout connect 1s
    timeout client 1s
    timeout server 1s
listen f
    bind 127.0.0.1:1
    ${line}
    server s 127.0.0.1:2
`;

function loadstar(config: string) {
  return parseConfig([{ name: 'haproxy.cfg', text: config }], { fileExists: () => true, readFile: () => '' });
}

/** Recorded from haproxy 2.6.12 -c: which prefixed lines it accepts. */
const ACCEPTED = new Set(['no redispatch', 'default redispatch', 'no dontlognull', 'no http-server-close', 'no abortonclose']);

test('no/default option lines are accepted and refused as HAProxy 2.6 does', (t) => {
  const lines = OPTIONS.flatMap((o) => ['no', 'default'].map((p) => `${p} ${o}`));
  for (const line of lines) assert.equal(loadstar(text(`${line.split(' ')[0]} option ${line.split(' ')[1]}`)).ok, ACCEPTED.has(line), line);
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-option-prefix-'));
  try {
    for (const line of lines) {
      fs.writeFileSync(path.join(dir, 'haproxy.cfg'), text(`${line.split(' ')[0]} option ${line.split(' ')[1]}`));
      const r = haproxyCheck(path.join(dir, 'haproxy.cfg'), dir);
      assert.equal(r.status !== 1, ACCEPTED.has(line), `${line}: ${r.output}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a refused prefix says which option, in HAProxy\'s words, at its line', () => {
  const no = loadstar(text('no option httplog'));
  assert.deepEqual(no.diagnostics.filter((d) => d.severity === 'alert').map((d) => [d.line, d.message]), [[9, "negation/default is not supported for option 'httplog'."]]);
  const dflt = loadstar(text('default option dontlognull'));
  assert.match(dflt.diagnostics.find((d) => d.severity === 'alert')!.message, /^'default option dontlognull' is refused by HAProxy 2\.6 .*: write 'no option dontlognull' or remove the line\.$/);
});

test('default option redispatch brings back what the defaults section says', () => {
  const base = `defaults\n    mode http\n    option redispatch\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n`;
  const config = loadstar(`${base}backend b\n    no option redispatch\n    default option redispatch\n    server s 127.0.0.1:2\nbackend c\n    no option redispatch\n    server s 127.0.0.1:2\n`).config;
  const enabled = (name: string) => config.proxies.find((p) => p.name === name && p.kind === 'backend')!.options['redispatch']?.enabled;
  assert.equal(enabled('b'), true);
  assert.equal(enabled('c'), false);
});

/** The global section's `no` / `default` lines (`no strict-limits` is in OPNsense's generated configurations). */
const globalText = (lines: string): string => `global
    log 127.0.0.1:514 local0
${lines}defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend f
    bind 127.0.0.1:1
`;
const GLOBAL_CASES: ParseCase[] = [
  ...['busy-polling', 'set-dumpable', 'strict-limits', 'insecure-fork-wanted', 'numa-cpu-mapping'].map((flag) => ({ text: globalText(`    no ${flag}\n`), valid: true })),
  { text: globalText('    no log\n'), valid: true },
  { text: globalText('    no log 127.0.0.1 local0\n'), valid: false, message: "log : 'no log' does not expect arguments" },
  { text: globalText('    default log\n'), valid: false, message: 'log : expects <address> and <facility>  as arguments' },
  { text: globalText('    no strict-limits now\n'), valid: false, message: "'strict-limits' cannot handle unexpected argument 'now'." },
  { text: globalText('    default strict-limits\n'), valid: false, message: "'strict-limits' cannot handle unexpected argument 'strict-limits'." },
  { text: globalText('    no maxconn 100\n'), valid: false, message: 'negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping.' },
  { text: globalText('    no\n'), valid: false, message: "unknown keyword '' in 'global' section" },
  { text: globalText('    no option x\n'), valid: false, message: "unknown keyword 'option' in 'global' section" },
];

test('global no/default lines are accepted and refused as HAProxy 2.6 does', () => {
  assertLoadstarParses(GLOBAL_CASES);
});

test('global no/default lines: haproxy -c agrees', (t) => {
  assertHaproxyParses(t, GLOBAL_CASES);
});

test('no log drops the global log targets written before it; no insecure-fork-wanted undoes the flag', () => {
  const r = loadstar(globalText('    insecure-fork-wanted\n    no log\n    log 127.0.0.2:514 local1\n    no insecure-fork-wanted\n'));
  assert.deepEqual(r.config.global.logs.map((l) => l.target), ['127.0.0.2:514']);
  assert.equal(r.config.global.insecureForkWanted, false);
});
