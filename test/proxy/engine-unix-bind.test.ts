/**
 * A frontend bound on a UNIX socket path (`bind /path`): as HAProxy, whatever is at the path
 * (a stale socket of an earlier run, a leftover file) is replaced; a path in a missing
 * directory is a bind error that says so (libuv's EACCES read as "ports below 1024"); the
 * listening address reads `unix@/path` (`loadstar run` crashed printing it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startEngine, startNamedServer, HTTP_DEFAULTS } from '../helpers/net.ts';

function getOver(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ socketPath, path: '/', headers: { host: 'x' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

test('a UNIX socket bind replaces a leftover file at its path, and reads unix@path', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-unix-bind-'));
  const origin = await startNamedServer('a');
  const sock = path.join(dir, 'site.sock');
  fs.writeFileSync(sock, 'leftover');
  const config = `${HTTP_DEFAULTS}frontend web\n  bind ${sock}\n  default_backend app\nbackend app\n  server a 127.0.0.1:${origin.port}\n`;
  try {
    const e = await startEngine(config);
    try {
      assert.ok(fs.statSync(sock).isSocket());
      assert.equal(await getOver(sock), 'a');
      assert.deepEqual(e.engine.addresses().map((a) => a.where), [`unix@${sock}`]);
    } finally {
      await e.stop();
    }
    // A second start finds the first one's socket file (Node removes it on close; a crash would not).
    fs.writeFileSync(sock, '');
    const again = await startEngine(config);
    await again.stop();
  } finally {
    await origin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a UNIX socket bind in a missing directory is a bind error naming the directory', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-unix-bind-'));
  const missing = path.join(dir, 'nope', 'site.sock');
  try {
    await assert.rejects(startEngine(`${HTTP_DEFAULTS}frontend web\n  bind ${missing}\n  default_backend app\nbackend app\n  server a 127.0.0.1:1\n`), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'LS_ERR_ENG_BIND');
      assert.match(err.message, /frontend 'web' : cannot bind .*nope\/site\.sock: no such directory: .*nope$/);
      return true;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
