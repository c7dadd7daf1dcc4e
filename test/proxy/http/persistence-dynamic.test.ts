/**
 * Dynamic persistence cookies (`cookie … dynamic` + `dynamic-cookie-key`):
 * servers without a `cookie` value get XXH64(key, address, port) as HAProxy
 * computes it, so a cookie HAProxy set reaches the same server through
 * Loadstar; the runtime API's `set dynamic-cookie-key backend` and
 * `enable|disable dynamic-cookie backend` change them. Values and answers
 * recorded from HAProxy 2.6.12, then compared with it live.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEngine, startNamedServer, freePort, rawExchange, waitFor } from '../../helpers/net.ts';
import type { TestServer } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';
import type { BalancingProxy, Config } from '../../../proxy/config/model.ts';
import { unsupportedFeatures } from '../../../proxy/runtime/unsupported.ts';
import { RuntimeBackend } from '../../../proxy/runtime/backend.ts';
import { dynamicCookie } from '../../../proxy/runtime/dynamic-cookie.ts';
import { cli } from '../stats/helpers.ts';

const parse = (text: string): Config => {
  const result = parseConfig([{ name: 'd.cfg', text }]);
  assert.ok(result.ok, result.ok ? '' : formatDiagnostics(result.diagnostics));
  return result.config;
};
const backendOf = (config: Config, name = 'dyn') => new RuntimeBackend(config.proxies.find((p) => p.name === name) as BalancingProxy);
const cookies = (backend: RuntimeBackend) => backend.servers.map((s) => `${s.name}=${s.cookie ?? ''}`);

const DYN = `defaults
    mode http
backend dyn
    cookie SRV insert dynamic
    dynamic-cookie-key mysecret
    server s1 127.0.0.1:18081
    server s3 ::1:18083
    server s4 [2001:db8::1]:443
    server s5 10.1.2.3:80 cookie fixed
    server s6 127.0.0.1
    server s7 192.168.0.1:8080
`;

test("servers without a cookie get HAProxy's XXH64 of key, address and port (values from HAProxy 2.6's show stat)", () => {
  assert.equal(dynamicCookie('mysecret', '127.0.0.1', 18081), 'f10cd5196101d734');
  assert.deepEqual(cookies(backendOf(parse(DYN))), [
    's1=f10cd5196101d734', 's3=1d324058680dae1f', 's4=e273a30094fe0564', 's5=fixed', 's6=a09d4c41f4f4849a', 's7=4a756ea9b1768ded',
  ]);
  // Without `dynamic`, or without a key, nothing is derived.
  assert.deepEqual(cookies(backendOf(parse(DYN.replace('insert dynamic', 'insert')))), ['s1=', 's3=', 's4=', 's5=fixed', 's6=', 's7=']);
  assert.deepEqual(cookies(backendOf(parse(DYN.replace('    dynamic-cookie-key mysecret\n', '')))), ['s1=', 's3=', 's4=', 's5=fixed', 's6=', 's7=']);
});

test('the runtime setters: a new key changes the derived cookies, disabling removes them, enabling brings them back', () => {
  const backend = backendOf(parse(DYN));
  backend.setDynamicCookieKey('other');
  // HAProxy 2.6 after `set dynamic-cookie-key backend dyn other`.
  assert.deepEqual(cookies(backend).slice(0, 2), ['s1=11835ce4e9ae6665', 's3=39b46d9b4c498a47']);
  backend.setDynamicCookies(false);
  assert.deepEqual(cookies(backend), ['s1=', 's3=', 's4=', 's5=fixed', 's6=', 's7=']);
  backend.setDynamicCookies(true);
  assert.deepEqual(cookies(backend).slice(0, 2), ['s1=11835ce4e9ae6665', 's3=39b46d9b4c498a47']);
});

test('dynamic-cookie-key parses (inherited from defaults, needs a value); a server given by host name is run (its cookie follows the address resolved at load)', () => {
  const inherited = parse(`defaults\n    mode http\n    dynamic-cookie-key fromdefaults\nbackend dyn\n    cookie SRV insert dynamic\n    server s1 127.0.0.1:80\n`);
  assert.equal(inherited.proxies.find((p) => p.name === 'dyn')!.dynamicCookieKey, 'fromdefaults');
  assert.deepEqual(unsupportedFeatures(inherited), []);
  assert.deepEqual(unsupportedFeatures(parse(DYN)), []);
  const missing = parseConfig([{ name: 'd.cfg', text: `backend dyn\n    dynamic-cookie-key\n` }]);
  assert.ok(!missing.ok);
  assert.match(formatDiagnostics(missing.diagnostics), /d\.cfg:2.*'dynamic-cookie-key' expects <secret_key>/);
  const named = parse(`defaults\n    mode http\nbackend dyn\n    cookie SRV insert dynamic\n    dynamic-cookie-key k\n    server s1 app.internal:80\n    server s2 db.internal:80 cookie s2\n`);
  assert.deepEqual(unsupportedFeatures(named), []);
  // Until an address is known the server has no derived cookie; the one resolved at load gives it (setServerAddress).
  const backend = backendOf(named);
  assert.deepEqual(cookies(backend), ['s1=', 's2=s2']);
  backend.setServerAddress(backend.server('s1')!, '127.0.0.1');
  assert.deepEqual(cookies(backend), [`s1=${dynamicCookie('k', '127.0.0.1', 80)}`, 's2=s2']);
});

// ---------------------------------------------------------------- side by side with HAProxy 2.6

async function origin(name: string): Promise<TestServer> {
  return startNamedServer(name);
}

/** s2 is given by host name: HAProxy and Loadstar derive its cookie from the address `localhost` resolves to at load. */
function config(port: number, cliPort: number, servers: TestServer[], cookie: string): string {
  return `global
    nbthread 1
    log stdout format raw local0
    stats socket ipv4@127.0.0.1:${cliPort} level admin
defaults
    mode http
    log global
    option httplog
    timeout connect 500ms
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    balance roundrobin
    cookie ${cookie}
    dynamic-cookie-key mysecret
${servers.map((s) => `    server ${s.name} ${s.name === 's2' ? 'localhost' : '127.0.0.1'}:${s.port}${s.name === 's3' ? ' cookie s3' : ''}\n`).join('')}`;
}

/** One runtime API command on a TCP stats socket; the answer up to the closing empty line. */

/** pxname,svname,cookie of each row of `show stat`. */
async function statCookies(port: number): Promise<string> {
  const csv = await cli(port, 'show stat');
  const lines = csv.trim().split('\n');
  const header = lines[0]!.replace(/^# /, '').split(',');
  const at = header.indexOf('cookie');
  return lines.slice(1).map((l) => { const f = l.split(','); return `${f[0]},${f[1]},${f[at]}`; }).join(' ');
}

type Step = { request: string | undefined } | { cli: string } | { stat: true };

/** What a request shows: the server, its Set-Cookie; dynamic values named `<s1>` / `<s1:other>` after the server and key they belong to. */
async function runSteps(port: number, cliPort: number, steps: Step[], names: Map<string, string>): Promise<string[]> {
  const name = (text: string) => text.replace(/[0-9a-f]{16}/g, (hex) => names.get(hex) ?? hex);
  const out: string[] = [];
  for (const step of steps) {
    if ('cli' in step) out.push(`cli: ${JSON.stringify(await cli(cliPort, step.cli))}`);
    else if ('stat' in step) out.push(name(await statCookies(cliPort)));
    else {
      const raw = await rawExchange(port, `GET / HTTP/1.1\r\nhost: t\r\n${step.request !== undefined ? `cookie: ${name(step.request).replace(/<([^>]+)>/g, (_m, n: string) => [...names].find(([, v]) => v === `<${n}>`)![0])}\r\n` : ''}connection: close\r\n\r\n`);
      const head = raw.split('\r\n\r\n')[0]!.split('\r\n');
      out.push(name(head.filter((l) => /^(x-server|set-cookie):/i.test(l)).map((l) => l.replace(/^[^:]+/, (n) => n.toLowerCase())).join(' | ')));
    }
  }
  return out;
}

/** The %tsc field of each httplog line. */
function terminationStates(log: string): string[] {
  return [...log.matchAll(/ \d{3} \d+ \S+ \S+ (\S{4}) [\d/]+ [\d/]+ "GET /g)].map((m) => m[1]!);
}

const STEPS: Step[] = [
  { request: undefined }, { request: undefined }, { request: undefined },
  { request: 'SRV=<s2>' }, { request: 'a=1; SRV=<s1>' }, { request: 'SRV=s3' }, { request: 'SRV=<s1:other>' },
  { stat: true },
  { cli: 'set dynamic-cookie-key backend app other' },
  { request: 'SRV=<s1:other>' }, { request: 'SRV=<s2>' },
  { cli: 'disable dynamic-cookie backend app' }, { stat: true },
  { request: 'SRV=<s1:other>' }, { request: undefined }, { request: undefined },
  { cli: 'enable dynamic-cookie backend app' },
  { request: 'SRV=<s2:other>' },
  { cli: 'set dynamic-cookie-key backend nosuch k' }, { cli: 'set dynamic-cookie-key backend app' }, { cli: 'enable dynamic-cookie backend' },
];

// Recorded from HAProxy 2.6.12.
const EXPECTED = [
  'x-server: s1 | set-cookie: SRV=<s1>; path=/',
  'x-server: s2 | set-cookie: SRV=<s2>; path=/',
  'x-server: s3 | set-cookie: SRV=s3; path=/',
  'x-server: s2', 'x-server: s1', 'x-server: s3',
  'x-server: s1 | set-cookie: SRV=<s1>; path=/',
  'web,FRONTEND, app,s1,<s1> app,s2,<s2> app,s3,s3 app,BACKEND,SRV',
  'cli: "\\n"',
  'x-server: s1', 'x-server: s2 | set-cookie: SRV=<s2:other>; path=/',
  'cli: "\\n"', 'web,FRONTEND, app,s1, app,s2, app,s3,s3 app,BACKEND,SRV',
  'x-server: s3 | set-cookie: SRV=s3; path=/',
  'x-server: s1 | set-cookie: SRV=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/',
  'x-server: s2 | set-cookie: SRV=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/',
  'cli: "\\n"',
  'x-server: s2',
  'cli: "No such backend.\\n\\n"', 'cli: "String value expected.\\n\\n"', 'cli: "A backend name is expected.\\n\\n"',
  '--NI --NI --NI --VN --VN --VN --II --VN --II --II --NI --NI --VN',
];

test('Set-Cookie, the server a dynamic cookie reaches, %tsc and the runtime API commands match HAProxy 2.6', async (t) => {
  const servers = [await origin('s1'), await origin('s2'), await origin('s3')];
  const names = new Map<string, string>();
  for (const s of servers.slice(0, 2)) {
    names.set(dynamicCookie('mysecret', '127.0.0.1', s.port)!, `<${s.name}>`);
    names.set(dynamicCookie('other', '127.0.0.1', s.port)!, `<${s.name}:other>`);
  }
  try {
    for (const run of ['loadstar', 'haproxy'] as const) {
      if (run === 'haproxy' && !requireHaproxy(t)) continue;
      const port = await freePort();
      const cliPort = await freePort();
      const text = config(port, cliPort, servers, 'SRV insert indirect dynamic');
      let out: string[];
      let log: () => string;
      if (run === 'haproxy') {
        const proxy = await startHaproxy(text, port);
        try {
          out = await runSteps(port, cliPort, STEPS, names);
          await waitFor('HAProxy log lines', () => terminationStates(proxy.output()).length === 13);
        } finally {
          await proxy.stop();
        }
        log = proxy.output;
      } else {
        const proxy = await startEngine(text);
        try {
          out = await runSteps(port, cliPort, STEPS, names);
        } finally {
          await proxy.stop();
        }
        log = () => proxy.logs.join('\n');
      }
      assert.deepEqual([...out, terminationStates(log()).join(' ')], EXPECTED, run);
    }
  } finally {
    for (const s of servers) await s.close();
  }
});

test('a cookie HAProxy set reaches the same server through Loadstar, and the other way round (dated and dynamic)', async (t) => {
  if (!requireHaproxy(t)) return;
  const servers = [await origin('s1'), await origin('s2'), await origin('s3')];
  const ports = { haproxy: await freePort(), loadstar: await freePort() };
  const text = (port: number) => config(port, 0, servers, 'SRV insert indirect dynamic maxidle 30s maxlife 1h').replace(/ {4}stats socket .*\n/, '');
  const haproxy = await startHaproxy(text(ports.haproxy), ports.haproxy);
  const loadstar = await startEngine(text(ports.loadstar));
  try {
    const visit = async (port: number, cookie?: string) => {
      const raw = await rawExchange(port, `GET / HTTP/1.1\r\nhost: t\r\n${cookie ? `cookie: ${cookie}\r\n` : ''}connection: close\r\n\r\n`);
      return { server: /x-server: (\S+)/i.exec(raw)?.[1], cookie: /set-cookie: ([^;\r]+)/i.exec(raw)?.[1] };
    };
    for (const [from, to] of [['haproxy', 'loadstar'], ['loadstar', 'haproxy']] as const) {
      const given = [await visit(ports[from]), await visit(ports[from]), await visit(ports[from])];
      assert.deepEqual(given.map((g) => g.server), ['s1', 's2', 's3']);
      // Replayed in reverse: the receiver's round robin alone would answer s1, s2, s3.
      for (const set of given.reverse()) {
        assert.match(set.cookie ?? '', /^SRV=([0-9a-f]{16}|s3)\|[A-Za-z0-9+/]{5}\|[A-Za-z0-9+/]{5}$/, from);
        const back = await visit(ports[to], set.cookie);
        assert.equal(back.server, set.server, `${from}'s cookie ${set.cookie} through ${to}`);
      }
    }
  } finally {
    await loadstar.stop();
    await haproxy.stop();
    for (const s of servers) await s.close();
  }
});
