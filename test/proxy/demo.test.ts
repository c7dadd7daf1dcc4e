import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDemoServer } from '../../proxy/demo.ts';
import { request } from '../helpers/net.ts';

test('a demo server counts the requests that came through Loadstar (X-Forwarded-For) apart from health checks and direct visits', async () => {
  const demo = await startDemoServer('demo-web1', '127.0.0.1', 0);
  try {
    const check = await request(demo.port, '/');
    assert.match(check.body, /Served by demo-web1[^]*Request #0 through Loadstar to this server \(and 1 straight to it: health checks, direct visits\)\./);
    await request(demo.port, '/');
    const visit = await request(demo.port, '/', { headers: { 'x-forwarded-for': '127.0.0.1' } });
    assert.match(visit.body, /Request #1 through Loadstar to this server \(and 2 straight to it/);
    const api = JSON.parse((await request(demo.port, '/api/status', { headers: { 'x-forwarded-for': '127.0.0.1' } })).body) as Record<string, unknown>;
    assert.deepEqual(api, { server: 'demo-web1', hits: 2, direct: 2, path: '/api/status', forwardedFor: '127.0.0.1' });
  } finally {
    await demo.close();
  }
});
