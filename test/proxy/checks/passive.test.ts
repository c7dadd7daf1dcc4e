import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNamedServer, startEngine, request, freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';

async function setup(onError: string) {
  const bad = await startNamedServer('bad', (_req, res) => { res.statusCode = 500; res.end('bad'); });
  const good = await startNamedServer('good');
  const e = await startEngine(`${HTTP_DEFAULTS}frontend web
    bind 127.0.0.1:${await freePort()}
    default_backend app
backend app
    balance roundrobin
    server bad 127.0.0.1:${bad.port} check inter 10s observe layer7 error-limit 2 on-error ${onError}
    server good 127.0.0.1:${good.port} check inter 10s
`);
  return { e, close: async () => { await e.stop(); await bad.close(); await good.close(); } };
}

test('observe layer7 with on-error mark-down takes a server answering 5xx out after error-limit errors', async () => {
  const s = await setup('mark-down');
  try {
    const first = [];
    for (let i = 0; i < 4; i++) first.push((await request(s.e.port)).body);
    assert.deepEqual(first, ['bad', 'good', 'bad', 'good'], 'two 500s from "bad" reach the limit');
    const after = [];
    for (let i = 0; i < 4; i++) after.push((await request(s.e.port)).body);
    assert.deepEqual(after, ['good', 'good', 'good', 'good']);
    const server = s.e.engine.backend('app')!.server('bad')!;
    assert.equal(server.status, 'DOWN');
    const event = server.check!.events.toArray().at(-1)!;
    assert.equal(event.code, 'HANA');
    assert.match(event.reason, /^Server app\/bad is DOWN, reason: Health analyze/);
  } finally {
    await s.close();
  }
});

test('observe with on-error fail-check counts as one failed check, not an immediate DOWN', async () => {
  const s = await setup('fail-check');
  try {
    for (let i = 0; i < 4; i++) await request(s.e.port);
    const server = s.e.engine.backend('app')!.server('bad')!;
    // Exactly one simulated failed check for two errors; its effect on the state is the
    // ordinary rise/fall rule (tested in state.test.ts).
    assert.equal(server.check!.results.toArray().filter((r) => r.code === 'HANA').length, 1);
  } finally {
    await s.close();
  }
});
