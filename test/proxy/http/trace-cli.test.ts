import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { main } from '../../../proxy/cli.ts';
import { scenariosDir } from '../../helpers/scenarios.ts';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const seed = path.join(scenariosDir, 'seed', 'seed-3-acl-routing.cfg');

test('loadstar trace explains which backend and server a request reaches, step by step', async () => {
  const r = await cli(['trace', '-f', seed, '--frontend', 'http_frontend', '--url', '/static/app.css', '--header', 'Host: www.example.com']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /use_backend api_backend if is_api — no: is_api is false \(hdr\(Host\) = "www\.example\.com"\)/);
  assert.match(r.out, /use_backend static_backend if is_static — yes/);
  assert.match(r.out, /=> backend static_backend, server static1\n$/);
  const api = await cli(['trace', '-f', seed, '--frontend', 'http_frontend', '--url', '/', '-H', 'Host: api.example.com', '--json']);
  assert.equal(api.code, 0);
  const json = JSON.parse(api.out);
  assert.equal(json.backend, 'api_backend');
  assert.equal(json.server.name, 'api1');
});

test('loadstar trace answers usage errors with exit 2 and an unknown frontend with exit 1', async () => {
  assert.equal((await cli(['trace', '--frontend', 'x', '--url', '/'])).code, 2);
  assert.equal((await cli(['trace', '-f', seed, '--url', '/'])).code, 2);
  assert.equal((await cli(['trace', '-f', seed, '--frontend', 'http_frontend', '--url', '/', '-H', 'nocolon'])).code, 2);
  assert.equal((await cli(['trace', '-f', seed, '--frontend', 'http_frontend', '--url', '/', '--sni', 'a'])).code, 2);
  const unknown = await cli(['trace', '-f', seed, '--frontend', 'nope', '--url', '/']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /there is no frontend 'nope'.*frontends: http_frontend/);
  const help = await cli(['trace', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: loadstar trace/);
  assert.match((await cli(['help'])).out, /trace -f FILE --frontend NAME --url URL/);
});
