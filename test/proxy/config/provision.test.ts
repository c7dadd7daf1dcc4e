import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, formatDiagnostics, serialize } from '../../../proxy/config/index.ts';
import { BUILTIN_SERVER } from '../../../proxy/config/provision.ts';
import type { BackendProxy, ProvisionedServerOptions, Proxy } from '../../../proxy/config/model.ts';

function proxies(text: string) {
  const r = parseConfig([{ name: 'p.cfg', text }]);
  assert.ok(r.ok, formatDiagnostics(r.diagnostics));
  return new Map(r.config.proxies.map((p) => [`${p.kind}:${p.name}`, p]));
}

const TIMEOUTS = '    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';

test('provisioning gives every frontend, backend and listen its effective mode, retries and balance', () => {
  const p = proxies(`defaults\n${TIMEOUTS}frontend fe\n    bind 127.0.0.1:1\n    default_backend be\nbackend be\n    server s 127.0.0.1:2\nlisten both\n    bind 127.0.0.1:3\n    server s 127.0.0.1:4\n`);
  for (const key of ['frontend:fe', 'backend:be', 'listen:both']) {
    assert.equal(p.get(key)!.mode, 'tcp', key);
    assert.equal(p.get(key)!.retries, 3, key);
  }
  assert.equal(p.get('backend:be')!.balance?.algorithm, 'roundrobin');
  assert.equal(p.get('listen:both')!.balance?.algorithm, 'roundrobin');
  assert.equal(p.get('frontend:fe')!.balance, undefined, 'a frontend does not balance');
  assert.equal(p.get('defaults:')!.mode, undefined, 'a defaults section keeps only what it sets');
});

test('inherited and own settings win over the built-in defaults', () => {
  const p = proxies(`defaults web\n    mode http\n    retries 5\n    balance leastconn\n${TIMEOUTS}backend inherits from web\n    server s 127.0.0.1:2\nbackend own from web\n    mode tcp\n    retries 0\n    balance source\n    server s 127.0.0.1:2\n`);
  const inherits = p.get('backend:inherits')!;
  assert.deepEqual([inherits.mode, inherits.retries, inherits.balance?.algorithm], ['http', 5, 'leastconn']);
  const own = p.get('backend:own')!;
  assert.deepEqual([own.mode, own.retries, own.balance?.algorithm], ['tcp', 0, 'source']);
});

// ---------------------------------------------------------------- every field, filled once

/** The options every provisioned server has, whatever was written: the keys ProvisionedServerOptions makes required. */
const FILLED = Object.keys(BUILTIN_SERVER) as Array<keyof ProvisionedServerOptions>;

// Compile-time: a key made required in ProvisionedServerOptions but missing from the built-in table fails tsc here.
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
const everyRequiredKeyIsFilled: Exclude<RequiredKeys<ProvisionedServerOptions>, keyof typeof BUILTIN_SERVER> extends never ? true : false = true;

function parsed(text: string) {
  const r = parseConfig([{ name: 'p.cfg', text }]);
  assert.ok(r.ok, formatDiagnostics(r.diagnostics));
  return r.config;
}

function assertFilled(p: Proxy): void {
  assert.ok(p.mode === 'http' || p.mode === 'tcp', `${p.name}: mode`);
  assert.equal(typeof p.retries, 'number', `${p.name}: retries`);
  if (p.kind !== 'frontend') assert.equal(typeof p.balance.algorithm, 'string', `${p.name}: balance`);
  for (const server of p.servers) {
    for (const key of FILLED) assert.notEqual(server.options[key], undefined, `${p.name}/${server.name}: ${key}`);
  }
}

test('every provisioned server option has a value in the built-in table, and the table has no hole', () => {
  assert.equal(everyRequiredKeyIsFilled, true);
  for (const key of FILLED) assert.notEqual(BUILTIN_SERVER[key], undefined, key);
  assert.ok(Object.isFrozen(BUILTIN_SERVER));
});

test('without a defaults section, every proxy and server gets HAProxy\'s built-in values', () => {
  const config = parsed(`frontend fe\n    bind 127.0.0.1:1\n    default_backend be\n${TIMEOUTS}backend be\n${TIMEOUTS}    server bare 127.0.0.1:2\n    server-template t 2 127.0.0.1:3\nlisten both\n    bind 127.0.0.1:4\n${TIMEOUTS}    server s 127.0.0.1:5 check\n`);
  const proxies = config.proxies.filter((p) => p.kind !== 'defaults');
  assert.equal(proxies.length, 3);
  for (const p of proxies) assertFilled(p);
  const be = proxies.find((p) => p.name === 'be')!;
  assert.deepEqual(be.servers.map((s) => s.name), ['bare', 't1', 't2']);
  const bare = be.servers[0]!.options;
  // HAProxy's configuration manual, §5.2 (fastinter and downinter default to inter).
  assert.deepEqual(Object.fromEntries(FILLED.map((k) => [k, bare[k]])), {
    check: false, inter: 2000, fastinter: 2000, downinter: 2000, rise: 2, fall: 3, weight: 1, backup: false, maxconn: 0, maxqueue: 0,
    slowstart: 0, disabled: false, errorLimit: 10, onError: 'fail-check', observe: 'none', agentCheck: false, agentInter: 2000,
  });
  // Settings whose default is the server itself stay absent: the check goes to the server's own address and port.
  assert.deepEqual([bare.port, bare.addr, bare.agentPort, bare.agentAddr], [undefined, undefined, undefined, undefined]);
  assert.equal(be.timeouts.queue, 1000, 'timeout queue defaults to timeout connect');
});

test('with a defaults section: default-server, then the server line, then the built-ins; fastinter follows the effective inter', () => {
  const config = parsed(`defaults\n    mode http\n    retries 1\n    default-server inter 5s downinter 20s weight 7\n${TIMEOUTS}    timeout queue 9s\nbackend be\n    server s1 127.0.0.1:2 check\n    server s2 127.0.0.1:3 check inter 1s fastinter 300ms fall 9\nfrontend fe\n    bind 127.0.0.1:1\n    default_backend be\n`);
  const defaults = config.proxies.find((p) => p.kind === 'defaults')!;
  assert.deepEqual(defaults.defaultServer, { inter: 5000, downinter: 20000, weight: 7 }, 'a defaults section keeps what it wrote');
  assert.equal(defaults.retries, 1);
  const be = config.proxies.find((p): p is BackendProxy => p.kind === 'backend')!;
  assertFilled(be);
  assertFilled(config.proxies.find((p): p is Proxy => p.kind === 'frontend')!);
  assert.deepEqual([be.mode, be.retries, be.balance.algorithm, be.timeouts.queue], ['http', 1, 'roundrobin', 9000]);
  const [s1, s2] = be.servers.map((s) => s.options);
  assert.deepEqual([s1!.inter, s1!.fastinter, s1!.downinter, s1!.fall, s1!.rise, s1!.weight], [5000, 5000, 20000, 3, 2, 7]);
  assert.deepEqual([s2!.inter, s2!.fastinter, s2!.downinter, s2!.fall, s2!.rise, s2!.weight], [1000, 300, 20000, 9, 2, 7]);
});

test('named defaults: a section takes the defaults it names with from, not the last one above it', () => {
  const config = parsed(`defaults base\n    mode http\n    retries 5\n    balance leastconn\n    default-server fall 5 maxconn 40\n${TIMEOUTS}defaults other\n    mode tcp\n    default-server rise 4\n${TIMEOUTS}backend named from base\n    server s 127.0.0.1:2\nbackend last\n    server s 127.0.0.1:3\n`);
  const named = config.proxies.find((p): p is BackendProxy => p.kind === 'backend' && p.name === 'named')!;
  const last = config.proxies.find((p): p is BackendProxy => p.kind === 'backend' && p.name === 'last')!;
  assertFilled(named);
  assertFilled(last);
  assert.equal(named.defaults?.name, 'base');
  assert.equal(last.defaults?.name, 'other');
  const n = named.servers[0]!.options;
  assert.deepEqual([named.mode, named.retries, named.balance.algorithm, n.fall, n.maxconn, n.rise], ['http', 5, 'leastconn', 5, 40, 2]);
  const l = last.servers[0]!.options;
  assert.deepEqual([last.mode, last.retries, last.balance.algorithm, l.fall, l.maxconn, l.rise], ['tcp', 3, 'roundrobin', 3, 0, 4]);
});

test('a defaults section without from does not carry over the one above it; with from it does (HAProxy 2.6)', () => {
  const config = parsed(`defaults web\n    mode http\n    retries 5\n    default-server inter 3s\n${TIMEOUTS}defaults plain\n${TIMEOUTS}backend after_plain\n    server s 127.0.0.1:2\ndefaults chained from web\n${TIMEOUTS}backend after_chained\n    server s 127.0.0.1:3\n`);
  const plain = config.proxies.find((p) => p.kind === 'defaults' && p.name === 'plain')!;
  assert.deepEqual([plain.mode, plain.retries, plain.defaults, plain.defaultServer], [undefined, undefined, undefined, {}]);
  const afterPlain = config.proxies.find((p): p is BackendProxy => p.kind === 'backend' && p.name === 'after_plain')!;
  assert.deepEqual([afterPlain.mode, afterPlain.retries, afterPlain.servers[0]!.options.inter], ['tcp', 3, 2000]);
  const afterChained = config.proxies.find((p): p is BackendProxy => p.kind === 'backend' && p.name === 'after_chained')!;
  assert.deepEqual([afterChained.mode, afterChained.retries, afterChained.servers[0]!.options.inter], ['http', 5, 3000]);
});

test('provisioning leaves the text alone: a configuration relying on defaults serializes to what was written, no default added', () => {
  const text = `defaults\n    mode http\n${TIMEOUTS}\nbackend be\n    server s 127.0.0.1:2\n`;
  const config = parsed(text);
  assert.equal(serialize(config), text);
  assert.deepEqual(config.sections[1]!.directives.map((d) => d.keyword), ['server']);
});

// ---------------------------------------------------------------- only provisioning knows the defaults

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const PROVISION = 'proxy/config/provision.ts';

/**
 * Modules that may ask provisioning for its built-in values, and why. They
 * work on form input (what a person typed, not a provisioned configuration)
 * and write or describe configuration text: they must know what a bare
 * server line gets, to leave a redundant value unwritten or say what an empty
 * field means.
 */
const MAY_READ_BUILTINS: Record<string, string> = {
  'proxy/config/form-model.ts': 'shows a check timing only where it differs from what a bare server line gets',
  'proxy/config/edit.ts': "writes no timing a server would inherit anyway, and HAProxy's balance for a form without one",
  'proxy/config/wizard.ts': "describes an empty timing field, and predicts a split for servers typed without a weight",
};

/** `?? <default>` on a setting provisioning fills: a consumer supplying its own default. */
const FALLBACK = /\.(mode|retries)\s*\?\?|balance\?\.algorithm\s*\?\?|options\.(check|inter|fastinter|downinter|rise|fall|weight|backup|maxconn|maxqueue|slowstart|disabled|observe|errorLimit|onError|agentCheck|agentInter)\s*\?\?|timeouts\.queue\s*\?\?\s*[\w.]*timeouts\.connect/;

/** Lines the pattern above matches that are not provisioned settings, and why. */
const NOT_A_SETTING: Array<{ file: string; text: string; why: string }> = [
  { file: 'proxy/acl/logformat.ts', text: "options.mode ?? 'http'", why: 'a log-format compile option, not a proxy' },
  { file: 'proxy/config/edit.ts', text: "spec.mode ?? 'http'", why: 'form input: the forms make new sections http' },
  { file: 'proxy/acl/eval-logformat.ts', text: 'lv.retries ?? 0', why: "a request's retry count in a log line (%rc), not the setting" },
];

function offences(files: readonly string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const rel = path.relative(root, file).split(path.sep).join('/');
    if (rel === PROVISION) continue;
    const text = fs.readFileSync(file, 'utf8');
    if (/\b(PROXY|SERVER)_DEFAULTS\b/.test(text)) found.push(`${rel} names a defaults table`);
    const builtins = [...text.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"][./]*(?:config\/)?provision\.ts['"]/g)]
      .flatMap((m) => m[1]!.split(',').map((w) => w.trim()))
      .filter((name) => /^(BUILTIN_\w+|withServerDefaults)$/.test(name));
    if (builtins.length > 0 && !(rel in MAY_READ_BUILTINS)) found.push(`${rel} imports ${builtins.join(', ')} from provisioning`);
    text.split('\n').forEach((line, i) => {
      if (!FALLBACK.test(line)) return;
      if (NOT_A_SETTING.some((e) => e.file === rel && line.includes(e.text))) return;
      found.push(`${rel}:${i + 1} supplies a default: ${line.trim()}`);
    });
  }
  return found;
}

test('only provisioning reads the defaults tables; no consumer supplies a default of its own (exceptions listed with their reason)', () => {
  const provision = fs.readFileSync(path.join(root, PROVISION), 'utf8');
  assert.doesNotMatch(provision, /export\s+(const\s+(PROXY|SERVER)_DEFAULTS|\{[^}]*_DEFAULTS)/, 'the tables stay private to provision.ts');
  assert.deepEqual(offences(sources(path.join(root, 'proxy'))), []);
  for (const why of Object.values(MAY_READ_BUILTINS)) assert.ok(why.length > 0);
});

test('the defaults guard itself catches a table read, a built-in import and a fallback', () => {
  const probe = path.join(root, 'proxy', 'runtime', '.probe-defaults.ts');
  fs.writeFileSync(probe, "import { BUILTIN_SERVER } from '../config/provision.ts';\nconst w = server.options.weight ?? 1;\nconst m = proxy.mode ?? PROXY_DEFAULTS.mode;\n");
  try {
    assert.deepEqual(offences([probe]), [
      'proxy/runtime/.probe-defaults.ts names a defaults table',
      'proxy/runtime/.probe-defaults.ts imports BUILTIN_SERVER from provisioning',
      'proxy/runtime/.probe-defaults.ts:2 supplies a default: const w = server.options.weight ?? 1;',
      'proxy/runtime/.probe-defaults.ts:3 supplies a default: const m = proxy.mode ?? PROXY_DEFAULTS.mode;',
    ]);
  } finally {
    fs.rmSync(probe, { force: true });
  }
});

test('http-send-name-header and option originalto come from the defaults section; redirect and stats http-request lines are the proxy\'s own', () => {
  const p = proxies(`defaults\n    mode http\n    http-send-name-header X-Served-By\n    option originalto header X-Dest\n${TIMEOUTS}frontend fe\n    bind 127.0.0.1:1\n    redirect location /%[path] code 301 if { path /old }\n    stats uri /s\n    stats http-request deny if { src 10.0.0.0/8 }\n    default_backend be\nbackend be\n    server s 127.0.0.1:2\nbackend own\n    http-send-name-header Other\n    server s 127.0.0.1:2\n`);
  assert.equal(p.get('backend:be')!.sendNameHeader, 'x-served-by');
  assert.equal(p.get('backend:own')!.sendNameHeader, 'other');
  assert.deepEqual(p.get('backend:be')!.options['originalto']?.args, ['header', 'X-Dest']);
  const fe = p.get('frontend:fe')!;
  assert.equal(fe.redirectRules.length, 1);
  // The proxy-level redirect's target is plain text: `%[path]` is not a sample.
  const rule = fe.redirectRules[0]!.action;
  assert.ok(rule.type === 'redirect');
  assert.deepEqual([rule.kind, rule.code, rule.value], ['location', 301, [{ kind: 'text', text: '/%[path]' }]]);
  assert.deepEqual(fe.stats.httpRequest.map((r) => r.action.type), ['deny']);
  assert.equal(fe.stats.enabled, true);
  assert.equal(p.get('backend:be')!.redirectRules.length, 0);
});
