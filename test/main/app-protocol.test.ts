import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveAppRequest } from '../../main/app-protocol.ts';
import { CONTENT_SECURITY_POLICY } from '../../main/security.ts';

function renderer(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-app-'));
  fs.mkdirSync(path.join(root, 'build', 'assets'), { recursive: true });
  fs.writeFileSync(path.join(root, 'build', 'index.html'), '<!doctype html>');
  fs.writeFileSync(path.join(root, 'build', 'assets', 'app.js'), 'export {}');
  fs.writeFileSync(path.join(root, 'secret.txt'), 'outside');
  fs.symlinkSync(path.join(root, 'secret.txt'), path.join(root, 'build', 'assets', 'link.txt'));
  return path.join(root, 'build');
}

test('app:// serves files of the renderer build with their type and the CSP', () => {
  const root = renderer();
  const js = resolveAppRequest('app://loadstar/assets/app.js', root);
  assert.equal(js.status, 200);
  assert.equal((js as { file: string }).file, fs.realpathSync(path.join(root, 'assets', 'app.js')));
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(js.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  const index = resolveAppRequest('app://loadstar/', root);
  assert.equal((index as { file: string }).file, fs.realpathSync(path.join(root, 'index.html')));
  assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(resolveAppRequest('app://loadstar/servers/web', root).status, 200, 'a client-side route gets index.html');
});

test('app:// refuses paths that leave the build, other hosts and missing files', () => {
  const root = renderer();
  for (const url of ['app://loadstar/../secret.txt', 'app://loadstar/%2e%2e/secret.txt', 'app://loadstar/assets/%2e%2e%2f%2e%2e%2fsecret.txt', 'app://loadstar/..%5csecret.txt']) {
    const answer = resolveAppRequest(url, root);
    assert.notEqual(answer.status, 200, url);
  }
  assert.equal(resolveAppRequest('app://loadstar/assets/link.txt', root).status, 403, 'a symlink out of the build');
  assert.equal(resolveAppRequest('app://other/index.html', root).status, 403);
  assert.equal(resolveAppRequest('https://loadstar/index.html', root).status, 403);
  assert.equal(resolveAppRequest('app://loadstar/missing.js', root).status, 404);
  assert.equal(resolveAppRequest('app://loadstar/%00.js', root).status, 404);
});
