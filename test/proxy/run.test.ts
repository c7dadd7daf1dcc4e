import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNamedServer, request, freePort, HTTP_DEFAULTS } from '../helpers/net.ts';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/loadstar.js');

function config(port: number, serverPort: number, extra = ''): string {
  return `${HTTP_DEFAULTS}frontend web
    bind 127.0.0.1:${port}
    option httplog
    default_backend app
backend app
${extra}    server s1 127.0.0.1:${serverPort}
`;
}

function waitFor(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, ms = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} in ${stream}: ${seen}`)), ms);
    child[stream]!.on('data', (d: Buffer) => {
      seen += d.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
  });
}

test('loadstar run serves traffic, logs in httplog format, reloads on SIGHUP and exits 0 on SIGTERM', async () => {
  const app = await startNamedServer('app');
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-run-'));
  const file = path.join(dir, 'site.cfg');
  fs.writeFileSync(file, config(port, app.port));
  const child = spawn(process.execPath, [bin, 'run', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await waitFor(child, 'stderr', /listening on 127\.0\.0\.1:\d+/);
    const r = await request(port, '/hello');
    assert.equal(r.body, 'app');
    const log = await waitFor(child, 'stdout', /web app\/s1 /);
    assert.match(log, /^127\.0\.0\.1:\d+ \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] web app\/s1 \d+\/\d+\/\d+\/\d+\/\d+ 200 1\d\d - - ---- \d+\/\d+\/\d+\/\d+\/0 0\/0 "GET \/hello HTTP\/1\.1"$/m);

    // An invalid file is refused; the running configuration keeps serving.
    fs.writeFileSync(file, 'frontend web\n    bind 127.0.0.1:1 ssl\n    balanse\n');
    child.kill('SIGHUP');
    await waitFor(child, 'stderr', /reload refused/);
    assert.equal((await request(port)).body, 'app');

    // A valid change is applied on the same socket.
    fs.writeFileSync(file, config(port, app.port).replace('default_backend app', 'http-request return status 200 content-type text/plain string reloaded'));
    child.kill('SIGHUP');
    await waitFor(child, 'stderr', /configuration reloaded/);
    assert.equal((await request(port)).body, 'reloaded');

    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    child.kill('SIGKILL');
    await app.close();
  }
});

test('loadstar run exits non-zero naming the bind line when the port is taken', async () => {
  const app = await startNamedServer('app');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-run-'));
  const file = path.join(dir, 'site.cfg');
  fs.writeFileSync(file, config(app.port, app.port));
  const child = spawn(process.execPath, [bin, 'run', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  await app.close();
  assert.equal(code, 1);
  assert.match(stderr, /\[.*site\.cfg:7\] : frontend 'web' : cannot bind 127\.0\.0\.1:\d+: address already in use/);
});

test("loadstar run exits with a failed program's status under master-worker (exit-on-failure), after stopping the others, as HAProxy's master does", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-run-'));
  const file = path.join(dir, 'site.cfg');
  const port = await freePort();
  fs.writeFileSync(file, `global\n    master-worker\nprogram sidecar\n    command /bin/sleep 30\nprogram fails\n    command /bin/sh -c "sleep 0.5; exit 2"\n${config(port, port)}`);
  const child = spawn(process.execPath, [bin, 'run', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  fs.rmSync(dir, { recursive: true, force: true });
  // haproxy -W exits 2 here too, its last line "All workers exited. Exiting... (2)".
  assert.equal(code, 2);
  assert.match(stderr, /\[WARNING\] All workers exited\. Exiting\.\.\. \(2\)\n$/);
  assert.match(stderr, /\[NOTICE\] New program 'sidecar' \(\d+\) forked/);
  assert.match(stderr, /\[ALERT\] Current program 'fails' \(\d+\) exited with code 2 \(Exit\)\n\[ALERT\] exit-on-failure: killing every processes with SIGTERM/);
  assert.match(stderr, /\[ALERT\] Current program 'sidecar' \(\d+\) exited with code 143 \(Terminated\)/);
});

test('loadstar run without -f serves the built-in demo: round robin between two web servers and an API route', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [bin, 'run', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await waitFor(child, 'stderr', /demo listening on 127\.0\.0\.1:\d+/);
    const first = await request(port, '/');
    const second = await request(port, '/');
    assert.match(first.body, /Served by web1/);
    assert.match(second.body, /Served by web2/);
    assert.match(second.body, /Request #1 through Loadstar to this server\. /);
    assert.match((await request(port, '/')).body, /Served by web1[^]*Request #2 through Loadstar/);
    const api = JSON.parse((await request(port, '/api/status')).body) as { server: string; forwardedFor: string };
    assert.equal(api.server, 'api1');
    assert.equal(api.forwardedFor, '127.0.0.1');
    await waitFor(child, 'stdout', /demo api\/api1 .* 200 /);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  } finally {
    child.kill('SIGKILL');
  }
});
