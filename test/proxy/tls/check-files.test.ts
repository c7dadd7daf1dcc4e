import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../proxy/config/index.ts';
import { checkTlsFiles } from '../../../proxy/tls/listener.ts';
import { scenarioFiles, readScenario, inScenarios } from '../../helpers/scenarios.ts';
import { certPath } from '../../helpers/tls.ts';

test('every certificate, crt-list and CA file named by the valid corpus loads (what haproxy -c checks too)', () => {
  inScenarios(() => {
    for (const file of scenarioFiles('valid')) {
      const result = parseConfig([{ name: file, text: readScenario(file) }]);
      assert.ok(result.ok, file);
      assert.equal(checkTlsFiles(result.config)?.message, undefined, file);
    }
  });
});

test('a crt-list line with an unknown option or a bad certificate is reported with the list line and the bind line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-crtlist-check-'));
  try {
    const list = path.join(dir, 'list.txt');
    const cfg = (l: string) => parseConfig([{ name: 'site.cfg', text: `defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nfrontend fe\n  bind 127.0.0.1:8443 ssl crt-list ${l}\n  default_backend be\nbackend be\n  server s 127.0.0.1:8080\n` }]);
    fs.writeFileSync(list, `${certPath('site.pem')} [alpn h2 strict-sni] site.home.arpa\n`);
    let result = cfg(list);
    assert.ok(result.ok);
    assert.match(checkTlsFiles(result.config)?.message ?? '', /^\[site\.cfg:7\] : crt-list '.*list\.txt' line 1: unknown ssl option 'strict-sni'\.$/);
    fs.writeFileSync(list, `# sites\n${certPath('site.pem')}\n${path.join(dir, 'missing.pem')} other.test\n`);
    result = cfg(list);
    assert.match(checkTlsFiles(result.config)?.message ?? '', /^\[site\.cfg:7\] : crt-list '.*list\.txt' line 3: unable to stat SSL certificate from file '.*missing\.pem' : No such file or directory\.$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('server ssl with an unreadable ca-file is reported at the server line', () => {
  const result = parseConfig([{ name: 'site.cfg', text: `defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nbackend be\n  server s 127.0.0.1:8443 ssl verify required ca-file ${certPath('list.txt')}\n` }]);
  assert.ok(result.ok);
  assert.match(checkTlsFiles(result.config)?.message ?? '', /^\[site\.cfg:7\] : 'server be\/s' : unable to load CA file '.*list\.txt': no PEM certificate in it\.$/);
});

test('an HTTP bind never advertises an ALPN protocol the engine cannot serve, and says so at start', async () => {
  const { reducedFeatureWarnings } = await import('../../../proxy/runtime/unsupported.ts');
  const { loadBindTls } = await import('../../../proxy/tls/listener.ts');
  const result = parseConfig([{ name: 'site.cfg', text: `defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nfrontend fe\n  bind 127.0.0.1:8443 ssl crt ${certPath('site.pem')} alpn h3,h2,http/1.1\n  default_backend be\nbackend be\n  server s 127.0.0.1:8080\n` }]);
  assert.ok(result.ok);
  assert.deepEqual(reducedFeatureWarnings(result.config).filter((w) => w.includes('alpn')), [`'alpn' h3 is not offered at site.cfg:7: the HTTP engine serves h2 and http/1.1 only`]);
  const [bindTls] = [...loadBindTls(result.config).values()];
  assert.deepEqual(bindTls!.select('site.home.arpa').alpn, ['h2', 'http/1.1']);
});

test('a ca-file without certificates and a crt-list line with verify but no CA are reported at the bind line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-cafile-check-'));
  try {
    const notCa = path.join(dir, 'notes.pem');
    fs.writeFileSync(notCa, '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIPq0yBP0nP7vNbQ6tVWcxnFGmG7nH0XrI7lB3Pz0NJEm\n-----END PRIVATE KEY-----\n');
    const cfg = (bind: string) => parseConfig([{ name: 'site.cfg', text: `defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nfrontend fe\n  bind 127.0.0.1:8443 ssl ${bind}\n  http-request return status 200\n` }]);
    let result = cfg(`crt ${certPath('site.pem')} ca-file ${notCa} verify required`);
    assert.ok(result.ok);
    assert.equal(checkTlsFiles(result.config)?.message, `[site.cfg:7] : 'ca-file' : unable to load ${notCa} (no certificate or crl found).`);
    // HAProxy loads it even with verify none (the default), and refuses it the same.
    result = cfg(`crt ${certPath('site.pem')} crl-file ${notCa}`);
    assert.equal(checkTlsFiles(result.config)?.message, `[site.cfg:7] : 'crl-file' : unable to load ${notCa} (no certificate or crl found).`);
    const list = path.join(dir, 'list.txt');
    fs.writeFileSync(list, `${certPath('site.pem')} [verify optional] site.home.arpa\n`);
    result = cfg(`crt-list ${list}`);
    assert.match(checkTlsFiles(result.config)?.message ?? '', /^\[site\.cfg:7\] : crt-list '.*list\.txt' line 1: verify is enabled but no CA file specified for bind\.$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
