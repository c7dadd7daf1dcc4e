import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';
import { scenarioFiles, readScenario, expectations, inScenarios, scenariosDir } from '../../helpers/scenarios.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

function load(relative: string, text = readScenario(relative)) {
  return inScenarios(() => parseConfig([{ name: relative, text }]));
}

const alerts = (r: ReturnType<typeof load>) => r.diagnostics.filter((d) => d.severity !== 'warning');

test('the corpus has at least 40 valid and 40 invalid configurations', () => {
  assert.ok(scenarioFiles('valid').length >= 40, `only ${scenarioFiles('valid').length} valid configurations`);
  assert.ok(scenarioFiles('invalid').length >= 40, `only ${scenarioFiles('invalid').length} invalid configurations`);
});

for (const file of scenarioFiles('valid')) {
  test(`valid configuration ${file} is accepted by loadstar`, () => {
    const r = load(file);
    assert.deepEqual(alerts(r), [], formatDiagnostics(r.diagnostics));
    assert.ok(r.config.proxies.length > 0);
  });
}

test('every valid configuration is also accepted by real HAProxy', (t) => {
  if (!requireHaproxy(t)) return;
  for (const file of scenarioFiles('valid')) {
    const r = haproxyCheck(file, scenariosDir);
    assert.equal(r.status, 0, `${file}:\n${r.output}`);
  }
});

for (const file of scenarioFiles('invalid')) {
  test(`invalid configuration ${file} is rejected at its line with an actionable message`, () => {
    const text = readScenario(file);
    const expected = expectations(text);
    const r = load(file, text);
    assert.equal(r.ok, false, `expected rejection of ${file}`);
    const atLine = alerts(r).filter((d) => d.line === expected.line);
    assert.ok(atLine.length > 0, `no alert at line ${expected.line} of ${file}; got:\n${formatDiagnostics(r.diagnostics)}`);
    assert.ok(
      atLine.some((d) => d.message.includes(expected.message)),
      `alert at ${file}:${expected.line} should contain "${expected.message}"; got:\n${formatDiagnostics(atLine)}`,
    );
    const first = alerts(r).sort((a, b) => a.line - b.line)[0]!;
    assert.ok(first.line >= expected.line, `an earlier, unexpected alert: ${formatDiagnostics([first])}`);
  });
}

for (const file of scenarioFiles('warnings')) {
  test(`configuration ${file} is accepted with HAProxy's warning`, () => {
    const text = readScenario(file);
    const expected = expectations(text);
    const r = load(file, text);
    assert.deepEqual(alerts(r), [], formatDiagnostics(r.diagnostics));
    const atLine = r.diagnostics.filter((d) => d.severity === 'warning' && d.line === expected.line);
    assert.ok(atLine.some((d) => d.message.includes(expected.message)), `expected warning "${expected.message}" at line ${expected.line}; got:\n${formatDiagnostics(r.diagnostics)}`);
  });
}

test('the seed tutorial configurations without TLS parse cleanly', () => {
  for (const file of ['seed/seed-1-roundrobin.cfg', 'seed/seed-3-acl-routing.cfg']) {
    const r = load(file);
    assert.deepEqual(alerts(r), [], formatDiagnostics(r.diagnostics));
  }
  const acl = load('seed/seed-3-acl-routing.cfg').config;
  assert.deepEqual(acl.proxies.map((p) => `${p.kind} ${p.name}`), [
    'frontend http_frontend', 'backend api_backend', 'backend static_backend', 'backend web_backend',
  ]);
  const fe = acl.proxies[0]!;
  assert.deepEqual(fe.switchingRules.map((r) => r.backend), ['api_backend', 'static_backend']);
  assert.equal(fe.defaultBackend?.name, 'web_backend');
});

test('the seed TLS configuration parses; only its certificate path is missing on this machine', () => {
  const r = load('seed/seed-2-tls-redirect.cfg');
  assert.deepEqual(alerts(r).map((d) => d.code), ['LS_ERR_CFG_FILE']);
  assert.match(alerts(r)[0]!.message, /\/etc\/haproxy\/certs\/my-app\.pem/);
  // With the certificate present, the very same text is valid.
  const text = readScenario('seed/seed-2-tls-redirect.cfg').replace('/etc/haproxy/certs/my-app.pem', 'certs/site.pem');
  const ok = load('seed/seed-2-tls-redirect.cfg', text);
  assert.deepEqual(alerts(ok), [], formatDiagnostics(ok.diagnostics));
  const rule = ok.config.proxies[0]!.httpRequestRules[0]!;
  assert.equal(rule.action.type, 'redirect');
  assert.ok(rule.condition);
});

test('the seed configurations are accepted by real HAProxy apart from the missing certificate', (t) => {
  if (!requireHaproxy(t)) return;
  assert.equal(haproxyCheck('seed/seed-1-roundrobin.cfg', scenariosDir).status, 0);
  assert.equal(haproxyCheck('seed/seed-3-acl-routing.cfg', scenariosDir).status, 0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-seed-'));
  const text = readScenario('seed/seed-2-tls-redirect.cfg').replace('/etc/haproxy/certs/my-app.pem', path.join(scenariosDir, 'certs/site.pem'));
  fs.writeFileSync(path.join(dir, 'seed-2.cfg'), text);
  const r = haproxyCheck(path.join(dir, 'seed-2.cfg'), dir);
  assert.equal(r.status, 0, r.output);
});
