import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from '../../helpers/net.ts';
import { call, session } from './helpers.ts';
import { waitForStderr } from '../../helpers/child-output.ts';
import { TS_IMPORT } from '../../helpers/ts-import.ts';

const cli = fileURLToPath(new URL('./fixtures/loadstar.ts', import.meta.url));

function tempDataDir(): string {
  // A path that does not exist yet: serve creates it (0700).
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-serve-')), 'data');
}

function loadstar(args: string[], env: Record<string, string> = {}, input?: string) {
  return spawnSync(process.execPath, ['--import', TS_IMPORT, cli, ...args], { env: { ...process.env, ...env }, input, encoding: 'utf8', timeout: 30_000 });
}

test('a non-loopback --listen without an admin password is refused with a message that says what to do', () => {
  const dataDir = tempDataDir();
  const r = loadstar(['serve', '--listen', '0.0.0.0:9000', '--data-dir', dataDir]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^loadstar: refusing to listen on 0\.0\.0\.0:9000 without an admin password: .*Set one first with 'loadstar serve --set-password --data-dir .*', or keep the default 127\.0\.0\.1 and use an SSH tunnel/);
  assert.equal(fs.existsSync(path.join(dataDir, 'haproxy.cfg')), false, 'nothing started');
  const bad = loadstar(['serve', '--listen', 'nonsense', '--data-dir', dataDir]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--listen expects HOST:PORT/);
});

test('--set-password reads the first line of stdin and stores only an scrypt hash, mode 0600; a short one is refused', () => {
  const dataDir = tempDataDir();
  const short = loadstar(['serve', '--set-password', '--data-dir', dataDir], {}, 'short\n');
  assert.equal(short.status, 1);
  assert.match(short.stderr, /at least 8 characters/);
  const r = loadstar(['serve', '--set-password', '--data-dir', dataDir], {}, 'a long enough secret\nignored\n');
  assert.equal(r.status, 0, r.stderr);
  const file = path.join(dataDir, 'admin.json');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(dataDir).mode & 0o777, 0o700);
  const text = fs.readFileSync(file, 'utf8');
  assert.doesNotMatch(text, /secret/);
  assert.equal(JSON.parse(text).scrypt.N, 32768);
});

test('serve on a fresh data dir writes the demo configuration, runs its labelled demo servers, survives bad API input, reloads on SIGHUP and stops on SIGTERM', async () => {
  const dataDir = tempDataDir();
  const child = spawn(process.execPath, ['--import', TS_IMPORT, cli, 'serve', '--listen', '127.0.0.1:0'], {
    env: { ...process.env, LOADSTAR_DATA_DIR: dataDir }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = (await waitForStderr(child, /Loadstar admin UI: http:\/\/127\.0\.0\.1:\d+\//)).replace('Loadstar admin UI: ', '');
    const port = Number(new URL(url).port);
    const cfg = path.join(dataDir, 'haproxy.cfg');
    assert.equal(fs.statSync(dataDir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(cfg).mode & 0o777, 0o600);
    const text = fs.readFileSync(cfg, 'utf8');
    assert.match(text, /DEMO: .*\n.*\n# server that Loadstar itself runs inside its process/);
    assert.match(text, /server demo-web1 127\.0\.0\.1:\d+ check/);
    assert.ok(fs.existsSync(path.join(dataDir, 'history.sqlite')));

    // The demo answers through the proxy, labelled as a demo.
    const frontend = Number(/bind 127\.0\.0\.1:(\d+)/.exec(text)![1]);
    const page = await request(frontend, '/');
    assert.match(page.body, /Served by demo-web[12]/);
    assert.match(page.body, /Loadstar demo server/);

    // Bad input of every kind: each answered, the process lives on.
    const admin = { port, origin: `http://127.0.0.1:${port}` };
    const s = await session(admin);
    const bodies = ['{"args":[null,null,null]}', '{"args":[{"__proto__":{"x":1}},[],{}]}', '{"args":["x".repeat]}', '{"args":[1e999]}', '\u0000\u0001', '{"args":[' + '['.repeat(5000) + ']'.repeat(5000) + ']}'];
    const methods = ['status', 'applyConfig', 'validateConfig', 'setServerState', 'setServerWeight', 'series', 'timeline', 'checkResults', 'recentEvents', 'certIssue', 'certImport', 'certRemove', 'certCaInit', 'stop'];
    for (const m of methods) {
      for (const body of bodies) {
        const answer = await call(port, 'POST', `/api/${m}`, s.headers, body);
        assert.ok(answer.status < 500 || answer.json().error.code === 'LS_ERR_CTL_INTERNAL', `${m} ${body.slice(0, 30)}: ${answer.status} ${answer.body.slice(0, 200)}`);
        assert.equal(typeof answer.json().ok, 'boolean');
      }
    }
    const weird = await call(port, 'POST', '/api/setServerWeight', s.headers, JSON.stringify({ args: ['demo-web', 'demo-web1', 'heavy'] }));
    assert.equal(weird.json().error.code, 'LS_ERR_CTL_BAD_VALUE');
    assert.equal((await call(port, 'POST', '/api/status', s.headers, '{"args":[]}')).json().value.lifecycle.state, 'running');

    // Removing a demo server's line and reloading stops that demo server.
    fs.writeFileSync(cfg, text.replace(/\n\s*# demo server, runs inside Loadstar\n\s*server demo-web2 .*\n/, '\n'));
    child.kill('SIGHUP');
    await waitForStderr(child, /demo server demo-web2 stopped/);
    assert.match(stderr, /configuration reloaded/);
    for (let i = 0; i < 4; i++) assert.match((await request(frontend, '/')).body, /Served by demo-web1/);

    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /SIGTERM received: stopping/);
  } finally {
    child.kill('SIGKILL');
  }
});

test('--tls-crt serves the admin over HTTPS with a Loadstar PEM; an unusable file is refused with a clear message', async () => {
  const dataDir = tempDataDir();
  const cfg = path.join(path.dirname(dataDir), 'site.cfg');
  fs.writeFileSync(cfg, 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n');
  const bad = loadstar(['serve', '-f', cfg, '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--tls-crt', cfg]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--tls-crt: .*site\.cfg/);
  const pem = fileURLToPath(new URL('../../scenarios/certs/site.pem', import.meta.url));
  const child = spawn(process.execPath, ['--import', TS_IMPORT, cli, 'serve', '-f', cfg, '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--tls-crt', pem], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = (await waitForStderr(child, /Loadstar admin UI: https:\/\/127\.0\.0\.1:\d+\//)).replace('Loadstar admin UI: ', '');
    const answer = await call(Number(new URL(url).port), 'GET', '/api/session', {}, undefined, true);
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers['set-cookie']), /; Secure/);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    child.kill('SIGKILL');
  }
});
