/**
 * `ring` sections and `log ring@<name>`: what haproxy 2.6.12 accepts, refuses or warns about, with its
 * messages (each case also run through `haproxy -c`, which must print the same line), the model a
 * ring leaves, and what serialize writes back (which haproxy -c accepts again).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, serialize } from '../../../proxy/config/index.ts';
import { assertHaproxyParses, assertLoadstarParses } from './lib/parse-cases.ts';
import type { ParseCase } from './lib/parse-cases.ts';
import { haproxyPath, requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

const SITE = `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend web
    bind 127.0.0.1:8080
    http-request return status 200
`;
const ring = (lines: string, header = 'ring events'): string => `${header}\n${lines}${SITE}`;

const CASES: ParseCase[] = [
  { text: ring('    description "latest requests"\n    format rfc5424\n    maxlen 1200\n    size 32768\n    timeout connect 5s\n    timeout server 10s\n    server s1 127.0.0.1:6514\n'), valid: true },
  { text: ring('    format timed\n    format iso\n    format short\n    format priority\n    format local\n    format raw\n    format rfc3164\n'), valid: true },
  { text: ring(''), valid: true },
  { text: ring('', 'ring events extra words'), valid: true },
  { text: ring('', 'ring'), valid: false, message: 'missing ring name.' },
  { text: ring('', 'ring bad/name'), valid: false, message: "invalid ring name 'bad/name' (character '/' is not permitted)." },
  { text: ring('', 'ring buf0'), valid: false, message: "sink named 'buf0' already exists." },
  { text: `ring events\n${ring('')}`, valid: false, message: "sink named 'events' already exists." },
  { text: ring('    size 1M\n'), valid: false, message: "ignoring new size '1' that is smaller than current size '16384' for ring 'events'." },
  { text: ring('    size 20000\n    size 17000\n'), valid: false, message: "ignoring new size '17000' that is smaller than current size '20000' for ring 'events'." },
  { text: ring('    size 0\n'), valid: false, message: "invalid size '0' for new sink buffer." },
  { text: ring('    size\n'), valid: false, message: "invalid size '' for new sink buffer." },
  { text: ring('    size -5\n'), valid: false, message: "fail to set sink buffer size '16384' for ring 'events'." },
  { text: ring('    maxlen abc\n'), valid: false, message: "invalid size 'abc' for new sink buffer." },
  { text: ring('    maxlen 20000\n'), valid: true, message: "ring 'events' event max length '20000' exceeds size, forced to size '16384'." },
  { text: ring('    maxlen -5\n'), valid: true, message: "ring 'events' event max length '4294967291' exceeds size, forced to size '16384'." },
  { text: ring('    format\n'), valid: false, message: "unknown format ''." },
  { text: ring('    format json\n'), valid: false, message: "unknown format 'json'." },
  { text: ring('    description\n'), valid: false, message: 'missing ring description text.' },
  { text: ring('    timeout connect\n'), valid: false, message: "'timeout connect' expects <time> as argument." },
  { text: ring('    timeout server 1x\n'), valid: false, message: "unexpected character 'x' in argument to <timeout server>." },
  { text: ring('    timeout connect 5000d\n'), valid: false, message: 'timer overflow in argument <5000d> to <timeout connect>, maximum value is 2147483647 ms (~24.8 days).' },
  { text: ring('    timeout client 5s\n    timeout\n'), valid: true },
  { text: ring('    bogus 1\n'), valid: false, message: "unknown statement 'bogus'." },
  { text: ring('    server s1\n'), valid: false, message: "'server' expects <name> and <addr>[:<port>] as arguments." },
  { text: ring('    timeout connect 1s\n    timeout server 1s\n    server s1 127.0.0.1:6514 bogus\n'), valid: false, message: "'server events/s1' : unknown keyword 'bogus'." },
  { text: ring('    server s/1 127.0.0.1:6514\n'), valid: false, message: "character '/' is not permitted in server name 's/1'." },
  { text: ring('    timeout server 1s\n    server s1 127.0.0.1:6514\n'), valid: true, message: "missing timeouts for backend 'events'." },
  // After a ring HAProxy refused, its lines have no ring to set.
  { text: ring('    size 20000\n    maxlen 10\n    format raw\n    description d\n    timeout connect 1s\n    server s1 127.0.0.1:6514\n', 'ring'), valid: false, message: "'size' directive not usable with this type of sink." },
  { text: ring('    maxlen 10\n', 'ring'), valid: false, message: "unable to set event max length '10'." },
  { text: ring('    format raw\n', 'ring'), valid: false, message: "unable to set format 'raw'." },
  { text: ring('    description d\n', 'ring'), valid: false, message: "unable to set description 'd'." },
  { text: ring('    timeout connect 1s\n', 'ring'), valid: false, message: "unable to set timeout 'connect'." },
  { text: ring('    server s1 127.0.0.1:6514\n', 'ring'), valid: false, message: "unable to create server 's1'." },
  // log ring@: haproxy -c does not resolve the names (a start does, below); a ring may come after its users.
  { text: `global\n    log ring@events local0\n${ring('')}    log ring@events local1 info\n`, valid: true },
  { text: `${SITE}    log ring@events local0\nring events\n`, valid: true },
];

test('ring sections: what Loadstar accepts and refuses, with HAProxy 2.6 messages', () => {
  assertLoadstarParses(CASES);
});

test('ring sections: haproxy -c says the same', (t) => {
  assertHaproxyParses(t, CASES);
});

const UNKNOWN_RINGS: Array<{ text: string; message: string }> = [
  { text: `global\n    log ring@nope local0\n${ring('')}`, message: "global log server declared in file 'd.cfg' at line 2 uses unknown ring named 'nope'." },
  { text: `${ring('')}    log ring@nope local0\n`, message: "log server declared in proxy section 'web' in file 'd.cfg' at line 10 uses unknown ring named 'nope'." },
  { text: `${ring('')}    log ring@stdout local0\n`, message: "log server declared in proxy section 'web' in file 'd.cfg' at line 10 uses incomatible ring named 'stdout'." },
  { text: `global\n    log ring@stderr local0\n${ring('')}`, message: "global log server declared in file 'd.cfg' at line 2 uses incompatible ring 'stderr'." },
];

test('log ring@<name> must name a ring: Loadstar refuses the configuration as a haproxy start does', (t) => {
  for (const c of UNKNOWN_RINGS) {
    const r = parseConfig([{ name: 'd.cfg', text: c.text }]);
    assert.ok(r.diagnostics.some((d) => d.severity !== 'warning' && d.message === c.message), `${c.text}\n${r.diagnostics.map((d) => d.message).join('\n')}`);
  }
  const known = parseConfig([{ name: 'd.cfg', text: `global\n    log ring@buf0 local0\n${ring('')}    log ring@events local0\n` }]);
  assert.deepEqual(known.diagnostics.filter((d) => d.severity !== 'warning' || d.message.includes('ring')).map((d) => d.message), []);
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-kw-ring-'));
  try {
    for (const c of UNKNOWN_RINGS) {
      fs.writeFileSync(path.join(dir, 'd.cfg'), c.text.replace('127.0.0.1:8080', '127.0.0.1:1'));
      // Refused before anything binds: haproxy exits at once (the 5 s bound is for a haproxy that does not).
      const r = spawnSync(haproxyPath!, ['-f', 'd.cfg', '-db'], { cwd: dir, encoding: 'utf8', timeout: 5000 });
      assert.ok(`${r.stdout}${r.stderr}`.includes(c.message), `${c.text}\n${r.stdout}${r.stderr}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a ring section in the model: defaults, every keyword, its forward servers', () => {
  const r = parseConfig([{ name: 'd.cfg', text: ring('    description "latest requests"\n    format rfc5424\n    maxlen 1200\n    size 32768\n    timeout connect 5s\n    timeout server 10s\n    server s1 127.0.0.1:6514\n') }]);
  const [events] = r.config.rings;
  assert.equal(r.config.rings.length, 1);
  assert.deepEqual({ ...events!, section: undefined, forward: undefined }, { name: 'events', section: undefined, forward: undefined, description: 'latest requests', format: 'rfc5424', maxlen: 1200, size: 32768 });
  assert.deepEqual(events!.forward.timeouts, { connect: 5000, server: 10000 });
  assert.deepEqual(events!.forward.servers.map((s) => [s.name, s.host, s.port]), [['s1', '127.0.0.1', 6514]]);
  // log-proto has an effect on a ring's server (its framing), so no "no effect" warning there.
  const counted = parseConfig([{ name: 'd.cfg', text: ring('    timeout connect 1s\n    timeout server 1s\n    server s1 127.0.0.1:6514 log-proto octet-count\n') }]);
  assert.deepEqual(counted.diagnostics.map((d) => d.message), []);
  assert.equal(counted.config.rings[0]!.forward.servers[0]!.options.extra?.['log-proto'], 'octet-count');
  const tls = parseConfig([{ name: 'd.cfg', text: ring('    server s1 127.0.0.1:6514 ssl verify none\n') }]);
  assert.deepEqual(tls.diagnostics.filter((d) => d.severity !== 'warning').map((d) => d.message), ["'server events/s1' : 'ssl' on a ring's server is not supported by Loadstar yet."]);
  const bare = parseConfig([{ name: 'd.cfg', text: ring('') }]).config.rings[0]!;
  assert.deepEqual([bare.description, bare.format, bare.size, bare.maxlen], ['events', 'raw', 16384, 16384]);
  // The ring's forward proxy is no proxy of the configuration.
  assert.deepEqual(r.config.proxies.map((p) => p.name), ['', 'web']);
});

test('serialize writes a ring section back, and haproxy -c accepts what it wrote', (t) => {
  const text = `global\n    log ring@events local0\n${ring('    description "latest requests"\n    format rfc5424  # with a comment\n    size 32768\n    timeout connect 5s\n    timeout server 10s\n    server s1 127.0.0.1:6514\n')}    log ring@events local1\n`;
  const first = parseConfig([{ name: 'd.cfg', text }]);
  const written = serialize(first.config);
  assert.match(written, /^ring events\n {4}description "latest requests"\n {4}format rfc5424 # with a comment\n {4}size 32768\n/m);
  const again = parseConfig([{ name: 'd.cfg', text: written }]);
  assert.deepEqual(again.diagnostics.filter((d) => d.severity !== 'warning'), []);
  assert.deepEqual(again.config.rings.map((x) => [x.name, x.description, x.format, x.size, x.forward.servers.length]), [['events', 'latest requests', 'rfc5424', 32768, 1]]);
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-kw-ring-'));
  try {
    fs.writeFileSync(path.join(dir, 'w.cfg'), written);
    const r = haproxyCheck(path.join(dir, 'w.cfg'), dir);
    assert.ok(!r.output.includes('[ALERT]'), r.output);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
