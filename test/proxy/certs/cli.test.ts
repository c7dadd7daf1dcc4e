import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makeChain, openssl, tempDir } from './fixtures.ts';
import { TS_IMPORT } from '../../helpers/ts-import.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// proxy/cli.ts run from source, exactly as bin/loadstar.js runs the compiled copy.
const entry = `import { main } from ${JSON.stringify(path.join(root, 'proxy/cli.ts'))}; process.exitCode = await main(process.argv.slice(1));`;

function loadstar(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ['--import', TS_IMPORT, '--input-type=module', '-e', entry, '--', ...args], {
    cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, LOADSTAR_DATA_DIR: '', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function noStack(r: { stderr: string }): void {
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('cert ca init, ca show, ca export (PEM and DER), issue and list through the command line', () => {
  const data = tempDir();
  const init = loadstar(['cert', 'ca', 'init', '--key', 'ec256', '--name', 'CLI Lab CA', '--data-dir', data]);
  assert.equal(init.status, 0, init.stderr);
  assert.match(init.stdout, /created local CA 'O=Loadstar, CN=CLI Lab CA' \(EC P-256\)/);

  const again = loadstar(['cert', 'ca', 'init', '--data-dir', data]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /^loadstar: a local CA already exists in .*ca; replacing it \(--force\)/);
  assert.equal(again.stderr.trim().split('\n').length, 1, 'one line');

  assert.match(loadstar(['cert', 'ca', 'show', '--data-dir', data]).stdout, /CN=CLI Lab CA\n {2}key: {9}EC P-256/);

  const pem = loadstar(['cert', 'ca', 'export', '--data-dir', data]);
  assert.equal(pem.status, 0, pem.stderr);
  const ca = new crypto.X509Certificate(pem.stdout);
  const derFile = path.join(data, 'ca.crt');
  assert.equal(loadstar(['cert', 'ca', 'export', '--der', '--out', derFile, '--data-dir', data]).status, 0);
  assert.equal(new crypto.X509Certificate(fs.readFileSync(derFile)).fingerprint256, ca.fingerprint256);

  const issued = loadstar(['cert', 'issue', 'lab', '--dns', 'nas.home.test', '--dns', '*.apps.home.test', '--ip', '127.0.0.1', '--days', '397', '--key', 'rsa2048', '--data-dir', data]);
  assert.equal(issued.status, 0, issued.stderr);
  assert.match(issued.stdout, /issued 'lab' for DNS:nas\.home\.test, DNS:\*\.apps\.home\.test, IP:127\.0\.0\.1/);
  const file = path.join(data, 'certs', 'lab.pem');
  const verified = openssl('verify', '-CAfile', path.join(data, 'ca', 'ca.pem'), file);
  assert.equal(verified.status, 0, verified.stderr);

  const listed = loadstar(['cert', 'list', '--data-dir', data]);
  assert.match(listed.stdout, /^lab\n {2}subject: {2}CN=nas\.home\.test\n {2}SANs: {5}DNS:nas\.home\.test, DNS:\*\.apps\.home\.test, IP:127\.0\.0\.1\n {2}issuer: {3}O=Loadstar, CN=CLI Lab CA \(local CA\)\n {2}valid: {4}\S+ to \S+ \(396 days left\)\n {2}key: {6}RSA 2048\n/);
  const json = JSON.parse(loadstar(['cert', 'list', '--json', '--data-dir', data]).stdout);
  assert.equal(json.certs[0].fingerprint256, new crypto.X509Certificate(fs.readFileSync(file)).fingerprint256);
  assert.deepEqual(json.unreadable, []);
});

test('cert import takes several files in any order, with a passphrase from the environment', async () => {
  const data = tempDir();
  const { intermediate, leaf } = await makeChain();
  const dir = tempDir();
  const write = (name: string, text: string) => { fs.writeFileSync(path.join(dir, name), text); return path.join(dir, name); };
  const key = write('site.key', leaf.key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 's3cret' }) as string);
  const chain = write('chain.pem', intermediate.pem);
  const cert = write('cert.pem', leaf.pem);

  const locked = loadstar(['cert', 'import', key, chain, cert, '--name', 'www', '--data-dir', data]);
  assert.equal(locked.status, 1);
  assert.match(locked.stderr, /^loadstar: .*site\.key line 1: the private key is encrypted; give its passphrase \(CLI: --passphrase-env VAR\)\n$/);
  noStack(locked);

  const unset = loadstar(['cert', 'import', key, chain, cert, '--name', 'www', '--passphrase-env', 'NO_SUCH_VAR_X', '--data-dir', data]);
  assert.equal(unset.status, 2);
  assert.match(unset.stderr, /environment variable 'NO_SUCH_VAR_X' is not set/);

  const ok = loadstar(['cert', 'import', key, chain, cert, '--name', 'www', '--passphrase-env', 'SITE_KEY_PASS', '--data-dir', data], { SITE_KEY_PASS: 's3cret' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /imported 'www' for DNS:www\.example\.test\n[\s\S]*key: {6}EC P-256, chain of 1\n/);
  assert.equal(fs.readFileSync(path.join(data, 'certs', 'www.pem'), 'utf8'), leaf.pem + intermediate.pem + leaf.keyPem);
  assert.equal(fs.statSync(path.join(data, 'certs', 'www.pem')).mode & 0o777, 0o600);
});

test('bad input exits 1 with one line naming the file; usage mistakes exit 2', async () => {
  const data = tempDir();
  const dir = tempDir();
  const { leaf } = await makeChain();
  const der = path.join(dir, 'site.crt');
  fs.writeFileSync(der, leaf.cert.raw);
  const cases: Array<[string[], number, RegExp]> = [
    [['cert', 'import', der, '--name', 'x'], 1, /site\.crt is a DER \(binary\) certificate, not PEM text; convert it: openssl x509 -inform der/],
    [['cert', 'import', path.join(dir, 'missing.pem'), '--name', 'x'], 1, /cannot read '.*missing\.pem': no such file/],
    [['cert', 'issue', 'x', '--dns', 'a.home.test'], 1, /no local CA yet: create one with 'loadstar cert ca init'/],
    [['cert', 'issue', 'x', '--dns', 'a.home.test', '--self-signed', '--days', '1000'], 1, /from 1 to 825/],
    [['cert', 'issue', 'x', '--dns', 'a.home.test', '--self-signed', '--days', 'ten'], 1, /--days expects a whole number of days, got 'ten'/],
    [['cert', 'issue', 'x/y', '--dns', 'a.home.test', '--self-signed'], 1, /certificate name 'x\/y' is not allowed/],
    [['cert', 'remove', 'nothing'], 1, /no certificate named 'nothing'/],
    [['cert', 'ca', 'export'], 1, /no local CA yet/],
    [['cert', 'import', der], 2, /--name NAME is required/],
    [['cert', 'issue', '--dns', 'a.home.test'], 2, /cert issue: expects one name/],
    [['cert', 'issue', 'x', '--dnss', 'a'], 2, /cert issue: Unknown option '--dnss'/],
    [['cert', 'frob'], 2, /cert: unknown command 'frob'/],
    [['cert', 'ca'], 2, /cert ca: expects 'init', 'show' or 'export'/],
  ];
  for (const [args, status, message] of cases) {
    const r = loadstar([...args, '--data-dir', data]);
    assert.equal(r.status, status, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.match(r.stderr, /^loadstar: [^\n]+\n$/, `one line: ${r.stderr}`);
  }
});

test('the data directory comes from LOADSTAR_DATA_DIR when --data-dir is not given', () => {
  const data = tempDir();
  const r = loadstar(['cert', 'issue', 'envsite', '--dns', 'env.home.test', '--self-signed'], { LOADSTAR_DATA_DIR: data });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.existsSync(path.join(data, 'certs', 'envsite.pem')));
  const help = loadstar(['cert', '--help']);
  assert.match(help.stdout, /loadstar cert <command>/);
  assert.match(loadstar(['--help']).stdout, /cert <command> {16}Certificates/);
});

test("cert remove refuses a certificate the data directory's haproxy.cfg loads, naming the section; --force removes it anyway", () => {
  const data = tempDir();
  assert.equal(loadstar(['cert', 'issue', 'nas', '--dns', 'nas.home.test', '--self-signed', '--data-dir', data]).status, 0);
  const file = path.join(data, 'certs', 'nas.pem');
  fs.writeFileSync(path.join(data, 'haproxy.cfg'), `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend site
    bind 127.0.0.1:8443 ssl crt ${file}
    default_backend app
backend app
    server s1 127.0.0.1:8080
`);
  const refused = loadstar(['cert', 'remove', 'nas', '--data-dir', data]);
  assert.equal(refused.status, 1);
  assert.equal(refused.stderr, `loadstar: cert remove: nas is used by ${path.join(data, 'haproxy.cfg')}: frontend site (crt ${file}). `
    + 'Without its file that configuration no longer loads; change it first, or remove with --force.\n');
  assert.ok(fs.existsSync(file));
  const forced = loadstar(['cert', 'remove', 'nas', '--force', '--data-dir', data]);
  assert.equal(forced.status, 0, forced.stderr);
  assert.equal(fs.existsSync(file), false);
});
