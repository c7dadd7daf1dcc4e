import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { LARGE, SMALL, nginxAvailable, nginxOriginConfig, NGINX_BIN, originBody, startOrigin } from '../../../bench/lib/origin.ts';
import { verifyProxy } from '../../../bench/lib/proxies.ts';

/** Returns true when nginx can be used; otherwise skips (or, under CI=true, fails) the test. */
function requireNginx(t: TestContext): boolean {
  if (nginxAvailable()) return true;
  if (process.env.CI) throw new Error(`nginx is not installed at ${NGINX_BIN}, and CI=true requires it (.ci/run installs nginx-light with apt-get)`);
  console.warn('\n*** nginx not found: skipping the benchmark origin test (apt-get install nginx-light) ***\n');
  t.skip('nginx not installed');
  return false;
}

test('the origin body is the given number of x ending in a newline', () => {
  assert.equal(originBody(5).toString(), 'xxxx\n');
  assert.equal(originBody(SMALL).length, 100);
  assert.equal(originBody(0).length, 0);
});

test('the nginx origin configuration answers 100 B with return 200 and 64 KiB from a file with sendfile, one process, no logs', () => {
  const cfg = nginxOriginConfig('/tmp/o', new Map([[SMALL, 4001], [LARGE, 4002]]), 4003);
  for (const line of ['daemon off;', 'master_process off;', 'worker_processes 1;', 'error_log stderr warn;', 'pid /tmp/o/nginx.pid;',
    '    access_log off;', '    sendfile on;', '    keepalive_requests 100000000;', '    client_body_temp_path /tmp/o/tmp/client_body;']) {
    assert.ok(cfg.split('\n').includes(line), `missing line '${line}' in:\n${cfg}`);
  }
  assert.ok(cfg.includes(`server { listen 127.0.0.1:4001; root /tmp/o; location / { return 200 "${'x'.repeat(99)}\\n"; } }`), cfg);
  assert.ok(cfg.includes('server { listen 127.0.0.1:4002; root /tmp/o; location / { try_files /body-65536.txt =404; } }'), cfg);
  assert.ok(cfg.includes('location = /100 { return 200 "'), cfg);
  assert.ok(cfg.includes('location = /65536 { try_files /body-65536.txt =404; }'), cfg);
});

test('the nginx origin serves each size on its own port and both by path on the mixed port, and stops', async (t) => {
  if (!requireNginx(t)) return;
  const origin = await startOrigin({ kind: 'nginx', sizes: [SMALL, LARGE] });
  try {
    assert.equal(origin.impl, 'nginx');
    for (const [size, port] of origin.ports) {
      await verifyProxy(`http://127.0.0.1:${port}/`, size);
      await verifyProxy(`http://127.0.0.1:${origin.mixedPort}/${size}`, size);
    }
  } finally {
    await origin.stop();
  }
  assert.ok(origin.child.exitCode !== null || origin.child.signalCode !== null, 'nginx has exited');
});

test('the raw origin with chunked: each body as chunks of the given size, over keep-alive, and stops', async () => {
  const origin = await startOrigin({ sizes: [SMALL, LARGE], chunked: 4096 });
  try {
    assert.equal(origin.impl, 'raw');
    for (const [size, port] of origin.ports) {
      await verifyProxy(`http://127.0.0.1:${port}/`, size);
      const head = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: o\r\n\r\n'));
        let got = '';
        socket.on('data', (d: Buffer) => {
          got += d.toString('latin1');
          if (got.includes('\r\n0\r\n\r\n')) {
            socket.destroy();
            resolve(got);
          }
        });
        socket.on('error', reject);
      });
      assert.match(head, /\r\ntransfer-encoding: chunked\r\n/i);
      assert.doesNotMatch(head, /content-length/i);
      assert.match(head, /\r\n\r\n(1000|64)\r\n/, 'the first chunk is 4096 bytes, or the whole small body');
    }
  } finally {
    await origin.stop();
  }
});

test('nginx accepts the generated configuration as written (nginx -t)', async (t) => {
  if (!requireNginx(t)) return;
  const { spawnSync } = await import('node:child_process');
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'loadstar-test-nginx-'));
  try {
    mkdirSync(join(dir, 'tmp'));
    writeFileSync(join(dir, 'nginx.conf'), nginxOriginConfig(dir, new Map([[SMALL, 1], [LARGE, 2]]), 3));
    const r = spawnSync(NGINX_BIN, ['-t', '-e', 'stderr', '-p', `${dir}/`, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
