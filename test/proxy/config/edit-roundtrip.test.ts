import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyEdits, formModel } from '../../../proxy/config/edit.ts';
import type { BackendSpec, BalanceSpec, FrontendSpec, HealthCheckSpec, RoutingRule } from '../../../proxy/config/edit.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';
import { certPath } from '../../helpers/tls.ts';

const parseOptions = { fileExists: () => true, readFile: () => '' };
const DEFAULTS = 'defaults\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n';

/** Deterministic pseudo-random choices. */
function rng(seed: number): { int(n: number): number; pick<T>(xs: readonly T[]): T } {
  let s = seed;
  const int = (n: number): number => (s = (s * 1103515245 + 12345) % 2147483648) % n;
  return { int, pick: (xs) => xs[int(xs.length)]! };
}

function randomSite(seed: number): { frontend: FrontendSpec; backends: BackendSpec[] } {
  const r = rng(seed);
  const http = r.int(4) !== 0;
  const names = ['web', 'api', 'static', 'admin'].slice(0, 1 + r.int(4)).map((n) => `${n}${seed}`);
  const backends: BackendSpec[] = names.map((name, b) => ({
    name,
    mode: http ? 'http' : 'tcp',
    balance: r.pick<BalanceSpec>([{ algorithm: 'roundrobin' }, { algorithm: 'leastconn' }, { algorithm: 'source' }, { algorithm: 'first' }, ...(http ? [{ algorithm: 'uri' }, { algorithm: 'hdr', argument: 'Host' }, { algorithm: 'url_param', argument: 'user' }] as BalanceSpec[] : [])]),
    healthCheck: r.pick<HealthCheckSpec>([
      { type: 'none' }, { type: 'tcp' }, { type: 'tcp', interMs: 5000, fall: 2, rise: 3 },
      ...(http ? [{ type: 'http', method: 'GET', path: '/health', expectStatus: 200 }, { type: 'http', method: 'HEAD', path: '/', interMs: 500 }] as HealthCheckSpec[] : []),
    ]),
    servers: Array.from({ length: 1 + r.int(3) }, (_, i) => ({
      name: `s${i + 1}`,
      address: r.pick(['127.0.0.1', '192.168.1.20', '10.0.0.7', '::1']),
      port: 1024 + r.int(60000),
      ...(r.int(3) === 0 ? { weight: r.int(257) } : {}),
      ...(i > 0 && r.int(4) === 0 ? { backup: true } : {}),
    })),
  }));
  const kinds = http ? (['host-is', 'path-begins', 'path-is', 'source-in', 'header-contains'] as const) : (['source-in'] as const);
  const rules: RoutingRule[] = names.slice(1).map((backend) => {
    const kind = r.pick(kinds);
    const values = kind === 'host-is' ? [`${backend}.home.arpa`, 'www.example.com']
      : kind === 'path-begins' ? [`/${backend}/`]
        : kind === 'path-is' ? ['/exact', `/${backend}`]
          : kind === 'source-in' ? ['192.168.1.0/24', '10.0.0.5']
            : ['curl'];
    return kind === 'header-contains' ? { backend, match: { kind, header: 'User-Agent', values } } : { backend, match: { kind, values } };
  });
  const tls = http && r.int(2) === 0;
  return {
    frontend: {
      name: `site${seed}`,
      mode: http ? 'http' : 'tcp',
      binds: [
        { address: r.pick(['', '127.0.0.1']), port: 2000 + seed },
        ...(tls ? [{ address: '', port: 3000 + seed, ssl: true, crt: certPath('site.pem') }] : []),
      ],
      redirectToHttps: tls && r.int(2) === 0,
      rules,
      defaultBackend: names[0],
    },
    backends,
  };
}

/** What the forms read back, with the defaults a spec may leave out made explicit. */
function normalFrontend(f: FrontendSpec): unknown {
  return { name: f.name, mode: f.mode ?? 'http', binds: f.binds.map((b) => ({ address: b.address, port: b.port, ...(b.ssl ? { ssl: true, crt: b.crt } : {}) })), redirectToHttps: f.redirectToHttps ?? false, rules: (f.rules ?? []).map((r) => ({ backend: r.backend, match: r.match })), defaultBackend: f.defaultBackend };
}

function normalBackend(b: BackendSpec): unknown {
  const check = (b.healthCheck?.type ?? 'none') !== 'none';
  const hc = b.healthCheck ?? { type: 'none' as const };
  return {
    name: b.name, mode: b.mode ?? 'http', balance: b.balance ?? { algorithm: 'roundrobin' },
    healthCheck: hc.type === 'none' ? { type: 'none' } : { ...hc, ...(hc.interMs === 2000 ? { interMs: undefined } : {}) },
    servers: b.servers.map((s) => ({ name: s.name, address: s.address, port: s.port, ...(s.weight !== undefined && s.weight !== 1 ? { weight: s.weight } : {}), ...(s.backup ? { backup: true } : {}), check })),
  };
}

test('random wizard sites written by the edits read back as the same forms, parse cleanly, and real HAProxy accepts a sample of them', (t) => {
  const haproxy = requireHaproxy(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-edit-rt-'));
  try {
    let text = DEFAULTS;
    for (let seed = 1; seed <= 36; seed++) {
      const site = randomSite(seed);
      const r = applyEdits(text, [...site.backends.map((backend) => ({ op: 'set-backend' as const, backend })), { op: 'set-frontend', frontend: site.frontend }], parseOptions);
      assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
      text = r.text;
      const parsed = parseConfig([{ name: 'rt.cfg', text }], parseOptions);
      assert.deepEqual(parsed.diagnostics.filter((d) => d.severity !== 'warning').map((d) => d.message), [], `seed ${seed}`);
      const model = formModel(parsed.config);
      const f = model.frontends.find((x) => x.name === site.frontend.name)!;
      assert.deepEqual(JSON.parse(JSON.stringify(normalFrontend({ ...f, rules: f.rules.map(({ aclName: _a, ...rest }) => rest) }))), JSON.parse(JSON.stringify(normalFrontend(site.frontend))), `seed ${seed} frontend`);
      for (const b of site.backends) {
        const got = model.backends.find((x) => x.name === b.name)!;
        assert.deepEqual(JSON.parse(JSON.stringify(normalBackend(got))), JSON.parse(JSON.stringify(normalBackend(b))), `seed ${seed} backend ${b.name}\n${text}`);
      }
      // Re-saving every form unchanged keeps the text identical.
      const again = applyEdits(text, [{ op: 'set-frontend', frontend: f }, ...site.backends.map((b) => ({ op: 'set-backend' as const, backend: model.backends.find((x) => x.name === b.name)! }))], parseOptions);
      assert.ok(again.ok && again.text === text, `seed ${seed}: saving unchanged forms changed the text`);
      if (haproxy && seed % 6 === 0) {
        const file = path.join(dir, `rt-${seed}.cfg`);
        fs.writeFileSync(file, text);
        const check = haproxyCheck(file, dir);
        assert.equal(check.status, 0, `seed ${seed}:\n${text}\n${check.output}`);
      }
    }
    // Removing every site again leaves the defaults section only.
    const model = formModel(parseConfig([{ name: 'rt.cfg', text }], parseOptions).config);
    const removed = applyEdits(text, [...model.frontends.map((f) => ({ op: 'remove-frontend' as const, name: f.name })), ...model.backends.map((b) => ({ op: 'remove-backend' as const, name: b.name }))], parseOptions);
    assert.ok(removed.ok);
    assert.equal(removed.text, DEFAULTS);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
