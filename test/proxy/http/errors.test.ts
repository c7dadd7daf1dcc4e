import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNamedServer, startRawServer, startEngine, request, rawExchange, freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';

const defaults = (extra = '') => `
${HTTP_DEFAULTS}${extra}
`;

/** One frontend sending everything to backend `app`, whose lines are given. */
async function engineWith(backendLines: string, defaultsExtra = '') {
  return startEngine(`${defaults(defaultsExtra)}
frontend web
    bind 127.0.0.1:${await freePort()}
    default_backend app
backend app
${backendLines}
`);
}

test('a backend without any usable server answers 503 at once, and no alert per request (HAProxy alerts once, when a backend goes down)', async () => {
  const e = await engineWith(`    server s1 127.0.0.1:1 disabled
`);
  try {
    for (let i = 0; i < 3; i++) {
      const r = await request(e.port);
      assert.equal(r.status, 503);
      assert.match(r.body, /<h1>503 Service Unavailable<\/h1>\nNo server is available to handle this request./);
    }
    assert.deepEqual(e.alerts, []);
  } finally {
    await e.stop();
  }
});

test('a server refusing connections gives 503 after the retries', async () => {
  const dead = await startRawServer((s) => s.destroy());
  await dead.close();
  const e = await engineWith(`    retries 1
    timeout connect 200ms
    server s1 127.0.0.1:${dead.port}
`);
  try {
    const r = await request(e.port);
    assert.equal(r.status, 503);
  } finally {
    await e.stop();
  }
});

test('a server that closes before answering gives 502', async () => {
  const rude = await startRawServer((s) => s.once('data', () => s.destroy()));
  const e = await engineWith(`    server s1 127.0.0.1:${rude.port}
`);
  try {
    const r = await request(e.port);
    assert.equal(r.status, 502);
    assert.match(r.body, /502 Bad Gateway/);
  } finally {
    await e.stop();
    await rude.close();
  }
});

test('a server answering garbage gives 502', async () => {
  const garbage = await startRawServer((s) => s.once('data', () => s.write('SSH-2.0-OpenSSH_9.2\r\n\r\n')));
  const e = await engineWith(`    server s1 127.0.0.1:${garbage.port}
`);
  try {
    assert.equal((await request(e.port)).status, 502);
  } finally {
    await e.stop();
    await garbage.close();
  }
});

test('a server that never answers gives 504 after timeout server', async () => {
  const silent = await startRawServer(() => {});
  const e = await engineWith(`    timeout server 300ms
    server s1 127.0.0.1:${silent.port}
`);
  try {
    const r = await request(e.port);
    assert.equal(r.status, 504);
    assert.match(r.body, /504 Gateway Time-out/);
  } finally {
    await e.stop();
    await silent.close();
  }
});

test('a slow client that does not finish its request head gets 408 after timeout http-request', async () => {
  const app = await startNamedServer('app');
  const e = await engineWith(`    server s1 127.0.0.1:${app.port}
`, '    timeout http-request 300ms');
  try {
    const answer = await rawExchange(e.port, 'GET / HTTP/1.1\r\nHost: slow\r\n');
    assert.match(answer, /^HTTP\/1.1 408 Request Time-out\r\n/);
    assert.match(answer, /connection: close/i);
    assert.equal(app.hits, 0);
  } finally {
    await e.stop();
    await app.close();
  }
});

test('a malformed request gets 400 and the connection is closed', async () => {
  const app = await startNamedServer('app');
  const e = await engineWith(`    server s1 127.0.0.1:${app.port}
`);
  try {
    const answer = await rawExchange(e.port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n');
    assert.match(answer, /^HTTP\/1.1 400 Bad request\r\n/);
    assert.equal(app.hits, 0);
  } finally {
    await e.stop();
    await app.close();
  }
});

test('an errorfile replaces the built-in 503 page', async () => {
  const e = await engineWith(`    errorfile 503 test/scenarios/errors/503.http
    server s1 127.0.0.1:1 disabled
`);
  try {
    const r = await request(e.port);
    assert.equal(r.status, 503);
    assert.match(r.body, /The home lab is probably rebooting/);
  } finally {
    await e.stop();
  }
});
