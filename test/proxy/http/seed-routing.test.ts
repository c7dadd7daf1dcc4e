import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readScenario } from '../../helpers/scenarios.ts';
import { startNamedServer, startEngine, request, freePort } from '../../helpers/net.ts';
import type { TestServer, RunningEngine } from '../../helpers/net.ts';

/** The seed's text with its addresses pointed at servers on loopback (nothing else changed). */
function localize(text: string, servers: Record<string, TestServer>, port: number): string {
  let out = text.replace(/bind \*:80\b/, `bind 127.0.0.1:${port}`);
  for (const [name, s] of Object.entries(servers)) {
    out = out.replace(new RegExp(`(server ${name} )\\S+`), `$1127.0.0.1:${s.port}`);
  }
  return out;
}

test('seed 1: round robin sends the 1st request to webserver1, the 2nd to webserver2, the 3rd to webserver1', async () => {
  const servers = { webserver1: await startNamedServer('webserver1'), webserver2: await startNamedServer('webserver2') };
  const e = await startEngine(localize(readScenario('seed/seed-1-roundrobin.cfg'), servers, await freePort()));
  try {
    const order: string[] = [];
    for (let i = 0; i < 4; i++) order.push((await request(e.port)).body);
    assert.deepEqual(order, ['webserver1', 'webserver2', 'webserver1', 'webserver2']);
  } finally {
    await e.stop();
    for (const s of Object.values(servers)) await s.close();
  }
});

test('seed 3: Host api.example.com goes to api_backend (any case), /static/ to static_backend, the rest to web_backend', async () => {
  const names = ['api1', 'api2', 'static1', 'web1', 'web2'];
  const servers: Record<string, TestServer> = {};
  for (const n of names) servers[n] = await startNamedServer(n);
  const e = await startEngine(localize(readScenario('seed/seed-3-acl-routing.cfg'), servers, await freePort()));
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const via = async (path: string, host: string) => (await request(e.port, path, { headers: { host }, agent })).body;
    assert.match(await via('/', 'api.example.com'), /^api[12]$/);
    assert.match(await via('/x', 'API.Example.COM'), /^api[12]$/);
    assert.equal(await via('/static/logo.png', 'www.example.com'), 'static1');
    assert.match(await via('/', 'www.example.com'), /^web[12]$/);
    assert.match(await via('/staticx', 'api.example.com.evil'), /^web[12]$/);
    // An api host asking for /static/ matches is_api first.
    assert.match(await via('/static/a', 'api.example.com'), /^api[12]$/);
    agent.destroy();
  } finally {
    await e.stop();
    for (const s of Object.values(servers)) await s.close();
  }
});
