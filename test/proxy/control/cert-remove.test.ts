import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../../proxy/config/index.ts';
import { Engine } from '../../../proxy/engine.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import { sectionsUsingCertFile } from '../../../proxy/control/cert-users.ts';
import type { Result } from '../../../proxy/control/contract.ts';
import { HTTP_DEFAULTS, freePort } from '../../helpers/net.ts';
import { CertStore } from '../../../proxy/certs/store.ts';
import { tempDir } from '../certs/fixtures.ts';

function value<T>(result: Result<T>): T {
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.message}`);
  return result.value;
}

const site = (crt: string, port = 8443) => `${HTTP_DEFAULTS}frontend site
    bind 127.0.0.1:${port} ssl crt ${crt}
    http-request return status 200 content-type text/plain string "fixed"
`;

const plain = (port = 8080) => `${HTTP_DEFAULTS}frontend site
    bind 127.0.0.1:${port}
    http-request return status 200 content-type text/plain string "fixed"
`;

test('certRemove refuses a certificate the running configuration serves, naming the frontend; reloads keep working, and once no bind uses it the removal passes', async () => {
  const dataDir = tempDir();
  const nas = await new CertStore({ dataDir }).issue({ name: 'nas', dns: ['nas.home.test'], selfSigned: true });
  const port = await freePort();
  const engine = new Engine(parseConfig([{ name: 'site.cfg', text: site(nas.path, port) }]).config, { sink: { traffic() {}, alert() {} } });
  const control = new InProcessControl(engine, { dataDir });
  try {
    assert.equal(value(await control.start()).state, 'running');
    const refused = await control.certRemove('nas');
    assert.deepEqual(refused, {
      ok: false,
      error: {
        code: 'LS_ERR_CTL_STATE',
        message: `nas cannot be removed: the running configuration's frontend site (crt ${nas.path}) uses it, and without its file the configuration no longer loads. Change or remove that frontend first.`,
      },
    });
    assert.ok(fs.existsSync(nas.path), 'the file is still there');
    value(await control.applyConfig(site(nas.path, port), 'site.cfg'));

    value(await control.applyConfig(plain(port), 'plain.cfg'));
    assert.deepEqual(value(await control.certRemove('nas')), { name: 'nas' });
    assert.equal(fs.existsSync(nas.path), false);
  } finally {
    await control.stop();
  }
});

test('a certificate is in use through a crt file (absolute or under crt-base), its directory or a crt-list line; other certificates are not', async () => {
  const dataDir = tempDir();
  const control = new InProcessControl(new Engine(parseConfig([{ name: 'empty.cfg', text: plain() }]).config, { sink: { traffic() {}, alert() {} } }), { dataDir });
  const nas = value(await control.certIssue({ name: 'nas', dns: ['nas.home.test'], selfSigned: true }));
  const other = value(await control.certIssue({ name: 'other', dns: ['other.home.test'], selfSigned: true }));
  const certs = path.dirname(nas.path);
  const list = path.join(dataDir, 'list.txt');
  fs.writeFileSync(list, `# sites\n${other.path} other.home.test\nnas.pem [alpn h2] nas.home.test\n`);
  const text = `global
    crt-base ${certs}
${HTTP_DEFAULTS}frontend by-file
    bind 127.0.0.1:8002 ssl crt ${other.path}
    bind 127.0.0.1:8003 ssl crt ${nas.path}
frontend by-dir
    bind 127.0.0.1:8004 ssl crt ${certs}/
listen by-base
    bind 127.0.0.1:8005 ssl crt nas.pem
frontend by-list
    bind 127.0.0.1:8006 ssl crt-list ${list}
frontend unrelated
    bind 127.0.0.1:8007 ssl crt ${other.path}
frontend clear
    bind 127.0.0.1:8008
`;
  const parsed = parseConfig([{ name: 'x.cfg', text }]);
  assert.deepEqual(parsed.diagnostics.filter((d) => d.severity !== 'warning'), []);
  assert.deepEqual(sectionsUsingCertFile(parsed.config, nas.path), [
    { section: 'frontend by-file', via: `crt ${nas.path}` },
    { section: 'frontend by-dir', via: `crt ${certs}/` },
    { section: 'listen by-base', via: 'crt nas.pem' },
    { section: 'frontend by-list', via: `crt-list ${list}` },
  ]);
  // The same file through a symlinked directory is the same certificate.
  const link = path.join(dataDir, 'linked');
  fs.symlinkSync(certs, link);
  assert.deepEqual(sectionsUsingCertFile(parseConfig([{ name: 'y.cfg', text: site(path.join(link, 'nas.pem')) }]).config, nas.path).map((u) => u.section), ['frontend site']);
  assert.deepEqual(sectionsUsingCertFile(parseConfig([{ name: 'z.cfg', text: site(other.path) }]).config, nas.path), []);
});

test('a certificate is in use as a server\'s client certificate or CA file (default-server included, crt-base and ca-base applied) and as a bind\'s client CA; certRemove names the server', async () => {
  const dataDir = tempDir();
  const store = new CertStore({ dataDir });
  const nas = await store.issue({ name: 'nas', dns: ['nas.home.test'], selfSigned: true });
  const other = await store.issue({ name: 'other', dns: ['other.home.test'], selfSigned: true });
  const certs = path.dirname(nas.path);
  const config = (servers: string) => `global
    crt-base ${certs}
    ca-base ${certs}
${HTTP_DEFAULTS}frontend mtls
    bind 127.0.0.1:8009 ssl crt ${other.path} verify required ca-file nas.pem
backend app
    server s1 127.0.0.1:8010 ssl verify none crt ${other.path}
${servers}`;
  const parsed = (servers: string) => {
    const p = parseConfig([{ name: 'x.cfg', text: config(servers) }]);
    assert.deepEqual(p.diagnostics.filter((d) => d.severity !== 'warning'), []);
    return p.config;
  };
  assert.deepEqual(sectionsUsingCertFile(parsed('backend by-crt\n    server c1 127.0.0.1:8011 ssl verify none crt nas.pem\n'), nas.path), [
    { section: 'frontend mtls', via: 'ca-file nas.pem' },
    { section: 'backend by-crt', via: 'server c1 crt nas.pem' },
  ]);
  assert.deepEqual(sectionsUsingCertFile(parsed(`backend by-default\n    default-server ssl verify required ca-file ${nas.path}\n    server d1 127.0.0.1:8012\n`), nas.path)[1],
    { section: 'backend by-default', via: `server d1 ca-file ${nas.path}` });
  assert.deepEqual(sectionsUsingCertFile(parsed(''), other.path).map((u) => u.section), ['frontend mtls', 'backend app']);

  const port = await freePort();
  const text = `${HTTP_DEFAULTS}frontend site
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server s1 127.0.0.1:${await freePort()} ssl verify none crt ${nas.path}
`;
  const control = new InProcessControl(new Engine(parseConfig([{ name: 'c.cfg', text }]).config, { sink: { traffic() {}, alert() {} } }), { dataDir });
  try {
    assert.equal(value(await control.start()).state, 'running');
    const refused = await control.certRemove('nas');
    assert.ok(!refused.ok);
    assert.equal(refused.error.message, `nas cannot be removed: the running configuration's backend app (server s1 crt ${nas.path}) uses it, and without its file the configuration no longer loads. Change or remove that backend first.`);
    assert.ok(fs.existsSync(nas.path));
  } finally {
    await control.stop();
  }
});
