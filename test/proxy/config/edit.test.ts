import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyEdits, formModel } from '../../../proxy/config/edit.ts';
import type { ConfigEdit, FormModel } from '../../../proxy/config/edit.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { scenariosDir } from '../../helpers/scenarios.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';
import { certPath } from '../../helpers/tls.ts';

const parseOptions = { fileExists: () => true, readFile: () => '' };

function model(text: string): FormModel {
  return formModel(parseConfig([{ name: 'x.cfg', text }], parseOptions).config);
}

function edit(text: string, edits: ConfigEdit[]): string {
  const r = applyEdits(text, edits, parseOptions);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.text;
}

/** The forms' view without positions, counts and generated names: what the configuration means to the forms. */
function meaning(m: FormModel): unknown {
  return {
    frontends: m.frontends.map(({ line: _l, unknownDirectives: _u, rules, ...f }) => ({ ...f, rules: rules.map(({ aclName: _a, ...r }) => r) })),
    backends: m.backends.map(({ line: _l, unknownDirectives: _u, ...b }) => b),
  };
}

const site = '/etc/haproxy/certs/my-app.pem';

/** The seed's three configurations as wizard steps would produce them (no configuration text typed). */
function seedEdits(crt: string): Record<string, ConfigEdit[]> {
  const webServers = [
    { name: 'webserver1', address: '192.168.1.10', port: 80 },
    { name: 'webserver2', address: '192.168.1.11', port: 80 },
  ];
  return {
    'seed-1-roundrobin.cfg': [
      { op: 'set-frontend', frontend: { name: 'http_frontend', mode: 'http', binds: [{ address: '', port: 80 }], defaultBackend: 'http_backend' } },
      { op: 'set-backend', backend: { name: 'http_backend', mode: 'http', balance: { algorithm: 'roundrobin' }, servers: webServers, healthCheck: { type: 'tcp' } } },
    ],
    'seed-2-tls-redirect.cfg': [
      { op: 'set-frontend', frontend: { name: 'https_frontend', mode: 'http', binds: [{ address: '', port: 443, ssl: true, crt }], redirectToHttps: true, defaultBackend: 'http_backend' } },
      { op: 'set-backend', backend: { name: 'http_backend', mode: 'http', balance: { algorithm: 'roundrobin' }, servers: webServers, healthCheck: { type: 'tcp' } } },
    ],
    'seed-3-acl-routing.cfg': [
      {
        op: 'set-frontend',
        frontend: {
          name: 'http_frontend', mode: 'http', binds: [{ address: '', port: 80 }],
          rules: [
            { backend: 'api_backend', match: { kind: 'host-is', values: ['api.example.com'] } },
            { backend: 'static_backend', match: { kind: 'path-begins', values: ['/static/'] } },
          ],
          defaultBackend: 'web_backend',
        },
      },
      { op: 'set-backend', backend: { name: 'api_backend', mode: 'http', balance: { algorithm: 'roundrobin' }, healthCheck: { type: 'tcp' }, servers: [{ name: 'api1', address: '192.168.1.20', port: 8000 }, { name: 'api2', address: '192.168.1.21', port: 8000 }] } },
      { op: 'set-backend', backend: { name: 'static_backend', mode: 'http', balance: { algorithm: 'roundrobin' }, healthCheck: { type: 'tcp' }, servers: [{ name: 'static1', address: '192.168.1.30', port: 9000 }] } },
      { op: 'set-backend', backend: { name: 'web_backend', mode: 'http', balance: { algorithm: 'roundrobin' }, healthCheck: { type: 'tcp' }, servers: [{ name: 'web1', address: '192.168.1.10', port: 80 }, { name: 'web2', address: '192.168.1.11', port: 80 }] } },
    ],
  };
}

test('each seed configuration built purely from edit operations means what the seed file means, and real HAProxy accepts it', (t) => {
  const haproxy = requireHaproxy(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-edit-'));
  try {
    // haproxy -c opens the certificate: use a real one, and compare against the seed with that path.
    const crt = certPath('site.pem');
    for (const [file, edits] of Object.entries(seedEdits(crt))) {
      const text = edit('', edits);
      const seed = fs.readFileSync(path.join(scenariosDir, 'seed', file), 'utf8').replace(site, crt);
      assert.deepEqual(meaning(model(text)), meaning(model(seed)), file);
      const parsed = parseConfig([{ name: file, text }], parseOptions);
      assert.ok(parsed.ok, parsed.diagnostics.map((d) => d.message).join('\n'));
      if (haproxy) {
        fs.writeFileSync(path.join(dir, file), text);
        const r = haproxyCheck(path.join(dir, file), dir);
        assert.equal(r.status, 0, `${file}:\n${text}\n${r.output}`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the seed built by the wizard reads the seed text back to the same form model (frontend rules, backends, servers)', () => {
  const m = model(fs.readFileSync(path.join(scenariosDir, 'seed', 'seed-3-acl-routing.cfg'), 'utf8'));
  assert.deepEqual(m.frontends[0]!.rules, [
    { backend: 'api_backend', match: { kind: 'host-is', values: ['api.example.com'] }, aclName: 'is_api' },
    { backend: 'static_backend', match: { kind: 'path-begins', values: ['/static/'] }, aclName: 'is_static' },
  ]);
  assert.equal(m.frontends[0]!.unknownDirectives, 0);
  assert.deepEqual(m.backends.map((b) => [b.name, b.servers.length, b.healthCheck.type]), [['api_backend', 2, 'tcp'], ['static_backend', 1, 'tcp'], ['web_backend', 2, 'tcp']]);
  const tls = model(fs.readFileSync(path.join(scenariosDir, 'seed', 'seed-2-tls-redirect.cfg'), 'utf8'));
  assert.equal(tls.frontends[0]!.redirectToHttps, true);
  assert.deepEqual(tls.frontends[0]!.binds, [{ address: '', port: 443, ssl: true, crt: site }]);
});

const handWritten = `# My home lab
global
    log stdout format raw local0

defaults
    mode http
    timeout connect 5s   # keep it short
    timeout client 30s
    timeout server 30s

# the public site
frontend www
	bind 127.0.0.1:8080
	option httplog
	# tag every request
	http-request set-header X-Lab "yes"
	acl is_api hdr(Host) -i api.home.arpa
	acl is_bot hdr_sub(User-Agent) -i bot
	http-request deny if is_bot
	redirect prefix https://www.home.arpa code 301 if { hdr(host) -i home.arpa }
	option originalto except 127.0.0.0/8
	use_backend api if is_api
	default_backend web

backend web
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200
    # the NAS answers slowly
    timeout server 60s
    http-send-name-header X-Served-By
    server w1 127.0.0.1:8001 check cookie w1 maxconn 50
    server w2 127.0.0.1:8002 check weight 2   # the bigger box
    cookie SRV insert indirect nocache

backend api
    stats uri /stats
    stats http-request auth realm Lab unless { src 127.0.0.1 }
    server a1 127.0.0.1:9001
`;

test('an edit through the forms keeps every comment and every directive the forms do not know byte for byte', () => {
  const m = model(handWritten);
  const www = m.frontends.find((f) => f.name === 'www')!;
  assert.equal(www.unknownDirectives, 6, 'option httplog, set-header, acl is_bot, deny, redirect prefix, option originalto');
  const web = m.backends.find((b) => b.name === 'web')!;
  assert.equal(web.unknownDirectives, 2, 'timeout server, http-send-name-header (the cookie line is the form\'s stickiness)');
  assert.equal(m.backends.find((b) => b.name === 'api')!.unknownDirectives, 2, 'stats uri, stats http-request');
  assert.deepEqual(web.stickiness, { kind: 'cookie', cookie: 'SRV', mode: 'insert', indirect: true, nocache: true });
  assert.deepEqual(web.servers[0], { name: 'w1', address: '127.0.0.1', port: 8001, check: true, maxconn: 50, extra: ['cookie', 'w1'] });
  const text = edit(handWritten, [
    { op: 'set-frontend', frontend: { ...www, rules: [...www.rules, { backend: 'web', match: { kind: 'path-begins', values: ['/static/'] } }] } },
    { op: 'set-server', backend: 'web', server: { ...web.servers[1]!, weight: 3 } },
    { op: 'set-server', backend: 'api', server: { name: 'a2', address: '127.0.0.1', port: 9002 } },
  ]);
  const before = handWritten.split('\n');
  const after = text.split('\n');
  const changed = new Set(['    server w2 127.0.0.1:8002 check weight 2   # the bigger box']);
  for (const line of before) if (!changed.has(line)) assert.ok(after.includes(line), `kept: ${JSON.stringify(line)}`);
  assert.ok(after.includes('    server w2 127.0.0.1:8002 weight 3 check # the bigger box'), text);
  assert.ok(after.includes('\tacl is_web hdr(host) -i api.home.arpa') === false);
  assert.ok(after.includes('\tacl is_web path_beg /static/'), text);
  assert.ok(after.includes('\tuse_backend web if is_web'), text);
  assert.ok(after.includes('    server a2 127.0.0.1:9002'), text);
  // The new lines come right after their kind, in the section's own indentation.
  assert.equal(after.indexOf('\tuse_backend web if is_web'), after.indexOf('\tuse_backend api if is_api') + 1);
  const added = after.filter((l) => !before.includes(l));
  assert.deepEqual(added.sort(), ['\tacl is_web path_beg /static/', '\tuse_backend web if is_web', '    server a2 127.0.0.1:9002', '    server w2 127.0.0.1:8002 weight 3 check # the bigger box'].sort());
  assert.ok(parseConfig([{ name: 'x', text }], parseOptions).ok);
});

test('a proxy-level `redirect scheme https … if !{ ssl_fc }` is the form\'s redirect to HTTPS: kept while ticked, removed when unticked', () => {
  const text = `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend web
    bind :8080
    bind :8443 ssl crt ${path.join(scenariosDir, 'certs', 'site.pem')}
    redirect scheme https code 301 if !{ ssl_fc }
    redirect location /moved if { path /old }
    default_backend app
backend app
    server s1 127.0.0.1:9001
`;
  const m = model(text);
  const web = m.frontends[0]!;
  assert.equal(web.redirectToHttps, true);
  assert.equal(web.unknownDirectives, 1, 'the other redirect line');
  const { kind: _k, unknownDirectives: _u, line: _l, ...spec } = web;
  assert.equal(edit(text, [{ op: 'set-frontend', frontend: spec }]), text);
  const unticked = edit(text, [{ op: 'set-frontend', frontend: { ...spec, redirectToHttps: false } }]);
  assert.ok(!unticked.includes('redirect scheme https'), unticked);
  assert.ok(unticked.includes('    redirect location /moved if { path /old }\n'), unticked);
});

test('saving a form without changes leaves the text identical, for every section of every valid corpus configuration', () => {
  const dir = path.join(scenariosDir, 'valid');
  let sections = 0;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.cfg'))) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const m = model(text);
    for (const f of m.frontends) {
      const { kind: _k, unknownDirectives: _u, line: _l, ...spec } = f;
      assert.equal(edit(text, [{ op: 'set-frontend', frontend: spec }]), text, `${file} frontend ${f.name}`);
      sections++;
    }
    for (const b of m.backends) {
      // Without a balance line too: the default it relies on is not written.
      const { kind: _k, unknownDirectives: _u, line: _l, ...spec } = b;
      assert.equal(edit(text, [{ op: 'set-backend', backend: spec }]), text, `${file} backend ${b.name}`);
      sections++;
    }
  }
  assert.ok(sections >= 5, `only ${sections} sections compared`);
});

function sectionOf(text: string, line: number): string {
  const lines = text.split('\n').slice(line);
  const end = lines.findIndex((l) => /^\S/.test(l) && !l.startsWith('#'));
  return lines.slice(0, end < 0 ? undefined : end).join('\n');
}

test('a backend that relies on the default balance gets no balance line from a form edit; an explicit line stays, and another algorithm is written', () => {
  const text = `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
backend implicit
    server s1 127.0.0.1:8001 check
backend explicit
    balance roundrobin
    server s1 127.0.0.1:8001 check
`;
  const spec = (name: string, algorithm: 'roundrobin' | 'leastconn') => ({ name, mode: 'http' as const, balance: { algorithm }, servers: [{ name: 's1', address: '127.0.0.1', port: 8001, check: true, weight: 2 }] });
  const edited = edit(text, [{ op: 'set-backend', backend: spec('implicit', 'roundrobin') }, { op: 'set-backend', backend: spec('explicit', 'roundrobin') }]);
  assert.equal(edited, text.replace(/server s1 127\.0\.0\.1:8001 check/g, 'server s1 127.0.0.1:8001 weight 2 check'), 'only the servers changed; no balance line added, the explicit one kept');
  // Another algorithm than the inherited one is written.
  const leastconn = edit(text, [{ op: 'set-backend', backend: spec('implicit', 'leastconn') }]);
  assert.match(leastconn, /backend implicit\n    balance leastconn\n    server s1/);
  // A defaults section's balance is what the backend relies on: roundrobin must then be written, the inherited algorithm not.
  const fromDefaults = text.replace('    timeout server 5s\n', '    timeout server 5s\n    balance leastconn\n');
  assert.match(edit(fromDefaults, [{ op: 'set-backend', backend: spec('implicit', 'roundrobin') }]), /backend implicit\n    balance roundrobin\n    server s1/);
  assert.doesNotMatch(edit(fromDefaults, [{ op: 'set-backend', backend: spec('implicit', 'leastconn') }]), /backend implicit\n    balance/);
  // A new backend still says how it balances.
  assert.match(edit(text, [{ op: 'set-backend', backend: spec('fresh', 'roundrobin') }]), /backend fresh\n(.*\n)*?    balance roundrobin\n/);
});

test('removing a frontend, a backend or a server removes its lines and leaves the rest', () => {
  let text = edit(handWritten, [{ op: 'remove-server', backend: 'web', name: 'w1' }]);
  assert.ok(!text.includes('server w1'));
  assert.ok(text.includes('    server w2 127.0.0.1:8002 check weight 2   # the bigger box'));
  text = edit(text, [{ op: 'remove-backend', name: 'api' }, { op: 'remove-frontend', name: 'www' }]);
  assert.ok(!text.includes('frontend www') && !text.includes('backend api') && !text.includes('use_backend'));
  assert.ok(text.includes('# My home lab') && text.includes('backend web'));
  assert.ok(!text.includes('# the public site'), 'the comment right above a removed section goes with it');
});

test('renaming a backend and a server through the forms rewrites only their names', () => {
  const m = model(handWritten);
  const api = m.backends.find((b) => b.name === 'api')!;
  const text = edit(handWritten, [
    { op: 'set-backend', previousName: 'api', backend: { ...api, name: 'api_v2' } },
    { op: 'set-server', backend: 'web', previousName: 'w1', server: { ...m.backends[0]!.servers[0]!, name: 'nas' } },
  ]);
  assert.ok(text.includes('backend api_v2\n'));
  assert.ok(text.includes('\tuse_backend api_v2 if is_api\n'), 'the routing follows the renamed backend');
  assert.ok(parseConfig([{ name: 'x', text }], parseOptions).ok);
  assert.ok(text.includes('    server nas 127.0.0.1:8001 check cookie w1 maxconn 50\n'), text);
});

test('bad form input is answered per field, never thrown', () => {
  const cases: Array<[ConfigEdit[], string]> = [
    [[{ op: 'set-backend', backend: { name: 'bad name', servers: [] } }], 'backend.name'],
    [[{ op: 'set-backend', backend: { name: 'b', servers: [{ name: 's', address: '10.0.0.1', port: 70000 }] } }], 'backend.servers[0].port'],
    [[{ op: 'set-backend', backend: { name: 'b', servers: [{ name: 's', address: '10.0.0.1', port: 80, weight: 300 }] } }], 'backend.servers[0].weight'],
    [[{ op: 'set-frontend', frontend: { name: 'f', binds: [] } }], 'frontend.binds'],
    [[{ op: 'set-frontend', frontend: { name: 'f', binds: [{ address: '', port: 443, ssl: true }] } }], 'frontend.binds[0].crt'],
    [[{ op: 'set-frontend', frontend: { name: 'f', binds: [{ address: '', port: 80 }], rules: [{ backend: 'b', match: { kind: 'path-begins', values: ['static'] } }] } }], 'frontend.rules[0].match.values'],
    [[{ op: 'remove-backend', name: 'nope' }], 'name'],
    [[{ op: 'set-server', backend: 'nope', server: { name: 's', address: 'x', port: 1 } }], 'backend'],
    [[{ op: 'explode' } as never], 'op'],
  ];
  for (const [edits, field] of cases) {
    const r = applyEdits(handWritten, edits, parseOptions);
    assert.ok(!r.ok, field);
    assert.equal(r.problems[0]!.field, field, JSON.stringify(r.problems));
  }
  assert.ok(!applyEdits(42 as never, []).ok);
  assert.ok(!applyEdits('', null as never).ok);
});

test('HTTP health checks, balancing with an argument, backup servers and check timings are written as HAProxy expects', (t) => {
  const text = edit('', [{
    op: 'set-backend',
    backend: {
      name: 'app', mode: 'http', balance: { algorithm: 'hdr', argument: 'Host' },
      healthCheck: { type: 'http', method: 'HEAD', path: '/healthz', expectStatus: 204, interMs: 5000, fall: 2, rise: 4 },
      servers: [{ name: 'a', address: '127.0.0.1', port: 8001, weight: 5 }, { name: 'b', address: '127.0.0.1', port: 8002, backup: true }],
    },
  }]);
  assert.equal(text, `backend app
    mode http
    balance hdr(Host)
    option httpchk HEAD /healthz
    http-check expect status 204
    server a 127.0.0.1:8001 weight 5 check inter 5s fall 2 rise 4
    server b 127.0.0.1:8002 backup check inter 5s fall 2 rise 4
`);
  const back = model(text).backends[0]!;
  assert.deepEqual(back.healthCheck, { type: 'http', method: 'HEAD', path: '/healthz', expectStatus: 204, interMs: 5000, fall: 2, rise: 4 });
  assert.deepEqual(back.balance, { algorithm: 'hdr', argument: 'Host' });
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-edit-'));
  try {
    const full = `defaults\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n\nfrontend f\n    mode http\n    bind 127.0.0.1:8080\n    default_backend app\n\n${text}`;
    fs.writeFileSync(path.join(dir, 'h.cfg'), full);
    const r = haproxyCheck(path.join(dir, 'h.cfg'), dir);
    assert.equal(r.status, 0, r.output);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a backend that a frontend still routes to is not removed: the problem names the frontend and the line kind', () => {
  const text = [
    'frontend www',
    '    bind 127.0.0.1:8080',
    '    acl is_api path_beg /api/',
    '    use_backend api if is_api',
    '    default_backend web',
    '',
    'backend api',
    '    server a1 127.0.0.1:8001',
    '',
    'backend web',
    '    server w1 127.0.0.1:8002',
    '',
  ].join('\n');
  for (const [name, keyword] of [['web', 'default_backend'], ['api', 'use_backend']] as const) {
    const r = applyEdits(text, [{ op: 'remove-backend', name }], parseOptions);
    assert.ok(!r.ok, `${name} was removed while frontend www routes to it`);
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0]!.field, 'name');
    assert.equal(r.problems[0]!.message, `frontend 'www' still sends requests to backend '${name}' (its ${keyword} line): change that routing first, then remove the backend.`);
  }
  // Removing the frontend in the same batch (before or after) lets its backends go.
  for (const edits of [
    [{ op: 'remove-backend', name: 'web' }, { op: 'remove-frontend', name: 'www' }],
    [{ op: 'remove-frontend', name: 'www' }, { op: 'remove-backend', name: 'web' }],
  ] as ConfigEdit[][]) {
    const r = applyEdits(text, edits, parseOptions);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    assert.ok(!r.text.includes('backend web') && !r.text.includes('frontend www'));
  }
});

test("the forms' stats page and Prometheus metrics: written, read back, turned off, kept as written beside other stats lines, refused where wrong, valid for HAProxy", (t) => {
  const head = 'defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n\n';
  const text = `${head}frontend web\n    mode http\n    bind :8080\n    default_backend app\n\nbackend app\n    server a1 127.0.0.1:8001\n`;
  const spec = { name: 'web', mode: 'http' as const, binds: [{ address: '', port: 8080 }], defaultBackend: 'app' };
  const on = edit(text, [{ op: 'set-frontend', frontend: { ...spec, statsUri: '/stats', metricsPath: '/metrics' } }]);
  assert.match(on, /frontend web\n    mode http\n    bind :8080\n    http-request use-service prometheus-exporter if \{ path \/metrics \}\n    stats enable\n    stats uri \/stats\n    default_backend app\n/);
  const form = model(on).frontends[0]!;
  assert.equal(form.statsUri, '/stats');
  assert.equal(form.metricsPath, '/metrics');
  assert.equal(form.unknownDirectives, 0);
  assert.equal(edit(on, [{ op: 'set-frontend', frontend: { ...spec, statsUri: '/stats', metricsPath: '/metrics' } }]), on, 'the same form changes nothing');
  assert.equal(edit(on, [{ op: 'set-frontend', frontend: spec }]), text, 'turned off, the lines go');
  // HAProxy's default path: `stats enable` alone.
  const bare = edit(text, [{ op: 'set-frontend', frontend: { ...spec, statsUri: '/haproxy?stats' } }]);
  assert.match(bare, /    stats enable\n    default_backend app/);
  assert.equal(model(bare).frontends[0]!.statsUri, '/haproxy?stats');
  // Other stats lines turn the page on by themselves: the form does not own them, and they stay.
  const authed = text.replace('    default_backend app\n', '    stats enable\n    stats uri /s\n    stats realm Lab\n    default_backend app\n');
  assert.equal(model(authed).frontends[0]!.statsUri, undefined);
  assert.equal(model(authed).frontends[0]!.unknownDirectives, 3);
  assert.equal(edit(authed, [{ op: 'set-frontend', frontend: spec }]), authed);
  // The form shows that page as on, and ticking it (the same path) adds no second `stats enable`.
  assert.deepEqual(model(authed).frontends[0]!.statsKept, { uri: '/s', keyword: 'stats realm', line: 12 });
  assert.equal(edit(authed, [{ op: 'set-frontend', frontend: { ...spec, statsUri: '/s' } }]), authed);
  const authOnly = text.replace('    default_backend app\n', '    stats realm Lab\n    default_backend app\n');
  assert.deepEqual(model(authOnly).frontends[0]!.statsKept, { uri: '/haproxy?stats', keyword: 'stats realm', line: 10 });
  assert.equal(edit(authOnly, [{ op: 'set-frontend', frontend: { ...spec, statsUri: '/haproxy?stats' } }]), authOnly);
  // Another path would mean rewriting the user's lines: refused, pointing at the editor.
  const moved = applyEdits(authed, [{ op: 'set-frontend', frontend: { ...spec, statsUri: '/stats' } }], parseOptions);
  assert.equal(moved.ok, false);
  assert.match(moved.ok ? '' : `${moved.problems[0]!.field}: ${moved.problems[0]!.message}`, /^frontend\.statsUri: the stats page of frontend 'web' is set by its own stats lines \(line 12: stats realm …\).*editor/);
  assert.equal(model(on).frontends[0]!.statsKept, undefined);
  // Refused in words.
  const refused = (s: object): string => {
    const r = applyEdits(text, [{ op: 'set-frontend', frontend: { ...spec, ...s } }], parseOptions);
    assert.equal(r.ok, false);
    return r.ok ? '' : r.problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  };
  assert.match(refused({ statsUri: 'stats' }), /frontend\.statsUri: a path starting with '\/'/);
  assert.match(refused({ statsUri: '/' }), /would answer every request/);
  // …but a site that is only the stats page (HAProxy's usual `listen stats`: no rule, no backend) has it at '/'.
  const only = applyEdits(text, [{ op: 'set-frontend', frontend: { name: 'stats_only', binds: [{ address: '127.0.0.1', port: 18936 }], rules: [], statsUri: '/' } }], parseOptions);
  assert.ok(only.ok, JSON.stringify(only));
  assert.match(only.ok ? only.text : '', /\nfrontend stats_only\n    mode http\n    bind 127\.0\.0\.1:18936\n    stats enable\n    stats uri \/\n/);
  assert.match(refused({ metricsPath: '/m }' }), /frontend\.metricsPath/);
  assert.match(refused({ statsUri: '/x', metricsPath: '/x' }), /different paths/);
  assert.match(refused({ mode: 'tcp', metricsPath: '/metrics' }), /needs an HTTP site/);
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-edit-stats-'));
  try {
    fs.writeFileSync(path.join(dir, 'h.cfg'), on);
    const r = haproxyCheck(path.join(dir, 'h.cfg'), dir);
    assert.equal(r.status, 0, r.output);
    assert.doesNotMatch(r.output, /WARNING/, r.output);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an expected status range is written and read back as HAProxy takes it; a reversed one is refused at its field', () => {
  const spec = { name: 'app', servers: [{ name: 'a', address: '127.0.0.1', port: 8001 }], healthCheck: { type: 'http' as const, path: '/health', expectStatus: '200-399' } };
  const text = edit('', [{ op: 'set-backend', backend: spec }]);
  assert.match(text, /http-check expect status 200-399\n/);
  assert.equal(model(text).backends[0]!.healthCheck.expectStatus, '200-399');
  const r = applyEdits('', [{ op: 'set-backend', backend: { ...spec, healthCheck: { ...spec.healthCheck, expectStatus: '399-200' } } }], parseOptions);
  assert.ok(!r.ok);
  assert.equal(r.problems[0]!.field, 'backend.healthCheck.expectStatus');
});

test('a source network past /32 and a Host given as a web address are refused at the rule\'s values, not left to the engine', () => {
  const frontend = (match: { kind: 'source-in' | 'host-is'; values: string[] }) => ({ name: 'f', binds: [{ address: '127.0.0.1', port: 8080 }], rules: [{ backend: 'api', match }], defaultBackend: 'web' });
  const field = (match: { kind: 'source-in' | 'host-is'; values: string[] }): string | undefined => {
    const r = applyEdits(handWritten, [{ op: 'set-frontend', frontend: frontend(match) }], parseOptions);
    return r.ok ? undefined : r.problems[0]!.field;
  };
  assert.equal(field({ kind: 'source-in', values: ['10.0.0.0/33'] }), 'frontend.rules[0].match.values');
  assert.equal(field({ kind: 'source-in', values: ['300.0.0.1'] }), 'frontend.rules[0].match.values');
  assert.equal(field({ kind: 'source-in', values: ['fd00::/129'] }), 'frontend.rules[0].match.values');
  assert.equal(field({ kind: 'host-is', values: ['http://api.example.com/'] }), 'frontend.rules[0].match.values');
  assert.equal(field({ kind: 'source-in', values: ['10.0.0.0/8', '192.168.1.7', 'fd00::/64'] }), undefined);
  assert.equal(field({ kind: 'host-is', values: ['api.example.com', 'api.example.com:8080'] }), undefined);
});
