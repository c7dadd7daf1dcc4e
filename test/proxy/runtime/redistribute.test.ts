import { test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { startNamedServer, startEngine, request, freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';
import { setServerAdminState } from '../../../proxy/runtime/admin.ts';

/**
 * `balance uri` binds each request to one server; with maxconn 1 the second request for a
 * busy server waits in that server's own queue. HAProxy 2.6 (pendconn_redistribute) balances
 * those waiters again when the server goes down, only under `option redispatch`.
 */
async function scenario(redispatch: boolean): Promise<{ busy: string; answeredBy: string; waitedMs: number }> {
  let release: (() => void) | undefined;
  const slow = (name: string) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url === '/hold') return void (release = () => res.end(name));
    res.end(name);
  };
  const a = await startNamedServer('a', slow('a'));
  const b = await startNamedServer('b', slow('b'));
  const e = await startEngine(`${HTTP_DEFAULTS}    timeout queue 3s
frontend fe
    bind 127.0.0.1:${await freePort()}
    default_backend app
backend app
    balance uri
${redispatch ? '    option redispatch\n' : ''}    server a 127.0.0.1:${a.port} maxconn 1
    server b 127.0.0.1:${b.port} maxconn 1
`);
  try {
    // Hold the slot of the server /hold is bound to, then find another path bound to it.
    const held = request(e.port, '/hold');
    while (!release) await new Promise((r) => setTimeout(r, 10));
    const busy = e.engine.backend('app')!.servers.find((s) => s.served === 1)!;
    let path = '';
    for (let i = 0; i < 200 && !path; i++) {
      const candidate = `/p${i}`;
      if (e.engine.backend('app')!.balancer.pick({ uri: candidate }) === busy) path = candidate;
    }
    assert.ok(path, 'a path bound to the busy server');
    const started = Date.now();
    const waiting = request(e.port, path);
    while (busy.queue.length === 0) await new Promise((r) => setTimeout(r, 10));
    setServerAdminState(e.engine, 'app', busy.name, 'maint');
    const answer = await Promise.race([waiting, new Promise<undefined>((r) => setTimeout(() => r(undefined), 1500))]);
    release!();
    await held;
    const final = answer ?? await waiting;
    return { busy: busy.name, answeredBy: final.status === 200 ? final.body : `status ${final.status}`, waitedMs: Date.now() - started };
  } finally {
    await e.stop();
    await a.close();
    await b.close();
  }
}

test('option redispatch: requests waiting on a server that goes into maintenance are balanced to another server at once', async () => {
  const r = await scenario(true);
  assert.ok(r.waitedMs < 1500, `answered after ${r.waitedMs} ms`);
  assert.equal(r.answeredBy, r.busy === 'a' ? 'b' : 'a');
});

test('without option redispatch they stay bound to their server and wait for it', async () => {
  const r = await scenario(false);
  // Its server is in maintenance, yet hands its freed slot to its own queue (HAProxy 2.6's
  // process_srv_queue; http/force-persist-queue.test.ts compares a server down by its check and one disabled side by side): served by it
  // once the held request ends (at 1.5 s), before `timeout queue` (3 s).
  assert.equal(r.answeredBy, r.busy);
  assert.ok(r.waitedMs >= 1400 && r.waitedMs < 2900, `waited ${r.waitedMs} ms`);
});
