/**
 * `fcgi-app` sections, `use-fcgi-app` and `server … proto fcgi` (proxy/config/kw-fcgi.ts): what
 * HAProxy 2.6 accepts and refuses, with its messages; each case also run through `haproxy -c`
 * where it is installed, which must agree and print the same message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, serialize } from '../../../proxy/config/index.ts';
import { assertHaproxyParses, assertLoadstarParses } from './lib/parse-cases.ts';
import type { ParseCase } from './lib/parse-cases.ts';

const HEAD = `defaults
  mode http
  timeout client 1s
  timeout server 1s
  timeout connect 1s
`;
const backend = (lines = '  use-fcgi-app php\n  server s 127.0.0.1:9000 proto fcgi\n'): string => `${HEAD}backend b\n${lines}`;
const app = (lines = '  docroot /var/www\n', name = 'php'): string => `fcgi-app ${name}\n${lines}`;

const CASES: ParseCase[] = [
  {
    valid: true,
    text: backend() + app(`  docroot /var/www
  index index.php
  path-info ^(/.+\\.php)(/.*)?$
  acl a path_beg /x
  set-param FOO %[path] if a
  set-param REDIRECT_STATUS 200
  pass-header Authorization unless { src 10.0.0.0/8 }
  option keep-conn
  no option keep-conn
  option get-values
  option mpxs-conns
  option max-reqs 10
  log-stderr global
  log-stderr 127.0.0.1:514 local1 info
`),
  },
  { valid: false, text: backend() + app('  index x\n'), message: "fcgi-app 'php': no docroot configured." },
  { valid: false, text: backend('  use-fcgi-app nope\n  server s 127.0.0.1:9000 proto fcgi\n'), message: "proxy 'b' : fcgi-app 'nope' not found." },
  { valid: false, text: backend('  server s 127.0.0.1:9000 proto fcgi\n') + app(), message: "proxy 'b': FCGI server 's' has no FCGI app configured." },
  { valid: false, text: backend('  use-fcgi-app php\n  server s 127.0.0.1:9000\n') + app(), message: "proxy 'b': FCGI app configured but no FCGI server found." },
  // A warning in HAProxy's words, which haproxy 2.6.12 treats as fatal all the same.
  { valid: false, text: backend() + app('  docroot /x\n  option max-reqs 10\n'), message: "fcgi-app 'php': multiplexing not supported, ignore the option 'max-reqs'." },
  { valid: false, text: `${HEAD}frontend f\n  bind :8080\n  use-fcgi-app php\n` + app(), message: "'use-fcgi-app' only available in backend or listen section" },
  { valid: false, text: `${HEAD}  use-fcgi-app php\n` + backend() + app(), message: "'use-fcgi-app' only available in backend or listen section" },
  { valid: false, text: backend('  use-fcgi-app php\n  use-fcgi-app php2\n  server s 127.0.0.1:9000 proto fcgi\n') + app(), message: "'use-fcgi-app' : only one fcgi-app supported per backend" },
  { valid: false, text: backend('  use-fcgi-app\n  server s 127.0.0.1:9000 proto fcgi\n') + app(), message: "'use-fcgi-app' expects <name> as argument" },
  { valid: false, text: backend() + app('  docroot /x\n  option foo\n'), message: "unknown option 'foo'." },
  { valid: false, text: backend() + app('  docroot /x\n  option max-reqs\n'), message: "option 'max-reqs' expects an integer argument." },
  { valid: false, text: backend() + app('  docroot /x\n  option max-reqs 0\n'), message: "option 'max-reqs' expects a strictly positive integer argument." },
  { valid: false, text: backend() + app('  docroot /x\n  no option max-reqs 2\n'), message: "negation/default is not supported for option 'max-reqs'." },
  { valid: false, text: backend() + app('  docroot /x\n  option keep-conn x\n'), message: "'option keep-conn' cannot handle unexpected argument 'x'." },
  { valid: false, text: backend() + app('  docroot /x\n  set-param A\n'), message: "'set-param' expects <name> and <value> as arguments." },
  { valid: false, text: backend() + app('  docroot /x\n  pass-header\n'), message: "'pass-header' expects <name> as arguments." },
  { valid: false, text: backend() + app('  docroot\n'), message: "'docroot' expects <path> as argument." },
  { valid: false, text: backend() + app('  docroot a b\n'), message: "'docroot a' cannot handle unexpected argument 'b'." },
  { valid: false, text: backend() + app('  docroot /x\n  bogus 1\n'), message: "unknown keyword 'bogus' in 'fcgi-app' section" },
  { valid: false, text: backend() + app('  docroot /x\n  set-param X y if nope\n'), message: "'X' : no such ACL : 'nope'." },
  { valid: false, text: backend() + app() + app(), message: "fcgi-app section 'php' has the same name as another one declared at" },
  { valid: false, text: backend() + app() + 'fcgi-app\n', message: "'fcgi-app' expects <name> as argument." },
  { valid: false, text: backend() + app() + 'fcgi-app a b\n', message: "'fcgi-app' cannot handle unexpected argument 'b'." },
  { valid: false, text: backend() + app() + 'fcgi-app a/b\n', message: "character '/' is not permitted in 'fcgi-app' name 'a/b'." },
];

test('fcgi-app, use-fcgi-app and proto fcgi: what Loadstar accepts and refuses, with HAProxy 2.6\'s messages', () => {
  assertLoadstarParses(CASES);
});

test('fcgi-app, use-fcgi-app and proto fcgi: haproxy -c agrees', (t) => {
  assertHaproxyParses(t, CASES);
});

test('an fcgi-app section reads into the model and serializes back as written', () => {
  const text = CASES[0]!.text;
  const r = parseConfig([{ name: 'f.cfg', text }]);
  const a = r.config.fcgiApps[0]!;
  assert.equal(a.docroot, '/var/www');
  assert.equal(a.index, 'index.php');
  assert.equal(a.keepConn, false);
  assert.equal(a.getValues, true);
  assert.equal(a.maxReqs, 10);
  assert.deepEqual(a.rules.map((x) => [x.type, x.name, x.value, x.condition?.polarity]), [
    ['set-param', 'FOO', '%[path]', 'if'], ['set-param', 'REDIRECT_STATUS', '200', undefined], ['pass-header', 'authorization', undefined, 'unless'],
  ]);
  assert.deepEqual(a.logStderr.map((l) => l.target), ['global', '127.0.0.1:514']);
  assert.equal(r.config.proxies.find((p) => p.name === 'b')?.useFcgiApp?.name, 'php');
  const again = serialize(r.config);
  assert.equal(serialize(parseConfig([{ name: 'f.cfg', text: again }]).config), again);
  assert.match(again, /^fcgi-app php\n {4}docroot \/var\/www\n {4}index index\.php\n/m);
  assert.match(again, /^ {4}no option keep-conn$/m);
});

test('checks on a proto fcgi server: option httpchk (through FastCGI) and plain TCP checks accepted; check-proto fcgi refused as not supported', () => {
  const errors = (text: string) => parseConfig([{ name: 'f.cfg', text }]).diagnostics.filter((d) => d.severity !== 'warning');
  assert.deepEqual(errors(backend('  option httpchk GET /ping\n  use-fcgi-app php\n  server s 127.0.0.1:9000 proto fcgi check\n') + app()).map((d) => d.message), []);
  assert.deepEqual(errors(backend('  use-fcgi-app php\n  server s 127.0.0.1:9000 proto fcgi check\n') + app()).map((d) => d.message), []);
  assert.ok(errors(backend('  option httpchk\n  use-fcgi-app php\n  server s 127.0.0.1:9000 proto fcgi check check-proto fcgi\n') + app()).some((d) => d.code === 'LS_ERR_CFG_UNSUPPORTED' && d.message.includes("'check-proto fcgi'")));
});
