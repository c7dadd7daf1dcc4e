/**
 * `force-persist` side by side with HAProxy 2.6.12: a request a force-persist rule holds for goes
 * to the server its persistence cookie or a use-server rule names even when that server is in
 * maintenance, and is not redispatched when connecting to it fails; with ignore-persist rules the
 * first rule of either kind that holds decides. In TCP mode, a use-server rule likewise.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { sideBySide, linesLogged } from './lib/side-by-side.ts';
import { freePort, request, startNamedServer } from '../../helpers/net.ts';

/** Origins `a` and `b` for the section built by `config`, then `check` on Loadstar and on haproxy. */
async function withOrigins(t: TestContext, config: (a: number, b: number) => (port: number) => string, check: (port: number) => Promise<void>): Promise<void> {
  const a = await startNamedServer('a');
  const b = await startNamedServer('b');
  try {
    await sideBySide(t, config(a.port, b.port), check);
  } finally {
    await a.close();
    await b.close();
  }
}

/** "status body" of one request (the body only for a 200). */
async function ask(port: number, path: string, headers: Record<string, string> = {}): Promise<string> {
  const r = await request(port, path, { headers });
  return `${r.status} ${r.status === 200 ? r.body : ''}`.trim();
}

const httpConfig = (a: number, b: number, refused: number) => (port: number): string => `global
    log stdout format raw local0
defaults
    mode http
    log global
    log-format "%s %ST %rc %CC"
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    capture request header cookie len 40
    default_backend b
backend b
    cookie SRV
    option redispatch
    retries 1
    ignore-persist if { req.hdr(x-ignore) 1 }
    force-persist if { req.hdr(x-force) 1 }
    use-server s1 if { req.hdr(x-use) s1 }
    server s1 127.0.0.1:${a} cookie s1 disabled
    server s2 127.0.0.1:${b} cookie s2
    server s3 127.0.0.1:${refused} cookie s3 weight 0
`;

test('force-persist: the cookie\'s or a use-server rule\'s server in maintenance is used, a failed connection is not redispatched, and the first persist rule that holds decides, as in HAProxy', async (t) => {
  const a = await startNamedServer('a');
  const b = await startNamedServer('b');
  const refused = await freePort();
  try {
    await sideBySide(t, httpConfig(a.port, b.port, refused), async (port, proxy) => {
      const ask = async (headers: Record<string, string>): Promise<string> => {
        const r = await request(port, '/', { headers });
        return `${r.status} ${r.status === 200 ? r.body : ''}`.trim();
      };
      const answers = [
        await ask({ cookie: 'SRV=s1' }),
        await ask({ cookie: 'SRV=s1', 'x-force': '1' }),
        await ask({ 'x-use': 's1' }),
        await ask({ 'x-use': 's1', 'x-force': '1' }),
        // ignore-persist comes first: the cookie names no server although force-persist holds too.
        await ask({ cookie: 'SRV=s1', 'x-force': '1', 'x-ignore': '1' }),
        // s3 refuses connections: redispatched to s2 on the last retry, unless forced.
        await ask({ cookie: 'SRV=s3' }),
        await ask({ cookie: 'SRV=s3', 'x-force': '1' }),
      ];
      assert.deepEqual(answers, ['200 b', '200 a', '200 b', '200 a', '200 b', '200 b', '503']);
      const lines = (await linesLogged(proxy, 8)).slice(-7);
      assert.deepEqual(lines.map((l) => l.split(' ').slice(0, 3).join(' ')), ['s2 200 0', 's1 200 0', 's2 200 0', 's1 200 0', 's2 200 0', 's2 200 +1', 's3 503 1']);
    });
  } finally {
    await a.close();
    await b.close();
  }
});

const tcpConfig = (a: number, b: number) => (port: number): string => `defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen relay
    bind 127.0.0.1:${port}
    force-persist if { dst_port ${port} }
    use-server s1 if { always_true }
    server s1 127.0.0.1:${a} disabled
    server s2 127.0.0.1:${b}
listen unforced
    bind 127.0.0.1:${port + 1}
    use-server s1 if { always_true }
    server s1 127.0.0.1:${a} disabled
    server s2 127.0.0.1:${b}
`;

test('force-persist in TCP mode: a use-server rule\'s server in maintenance takes the connection, as in HAProxy', async (t) => {
  await withOrigins(t, tcpConfig, async (port) => {
    assert.equal(await ask(port, '/'), '200 a');
    assert.equal(await ask(port + 1, '/'), '200 b');
  });
});

const orderConfig = (a: number, b: number) => (port: number): string => `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    use_backend setter if { path /set }
    default_backend deleter
backend setter
    cookie SRV
    http-request set-header x-force 1
    force-persist if { req.hdr(x-force) 1 }
    server s1 127.0.0.1:${a} cookie s1 disabled
    server s2 127.0.0.1:${b} cookie s2
backend deleter
    cookie SRV
    http-request del-header x-force
    force-persist if { req.hdr(x-force) 1 }
    server s1 127.0.0.1:${a} cookie s1 disabled
    server s2 127.0.0.1:${b} cookie s2
listen own
    bind 127.0.0.1:${port + 1}
    cookie SRV
    http-request set-header x-force 1
    force-persist if { req.hdr(x-force) 1 }
    server s1 127.0.0.1:${a} cookie s1 disabled
    server s2 127.0.0.1:${b} cookie s2
`;

test('force-persist rules run as soon as the backend is known, before its http-request rules (a listen section\'s run after its own), as in HAProxy', async (t) => {
  await withOrigins(t, orderConfig, async (port) => {
    const answers = [
      // The backend sets the header the rule reads only after the rule ran: not forced.
      await ask(port, '/set', { cookie: 'SRV=s1' }),
      // The backend deletes the header only after the rule read it: forced.
      await ask(port, '/', { cookie: 'SRV=s1', 'x-force': '1' }),
      // A listen section's http-request rules are its frontend's: they run first.
      await ask(port + 1, '/', { cookie: 'SRV=s1' }),
    ];
    assert.deepEqual(answers, ['200 b', '200 a', '200 a']);
  });
});

const tcpOrderConfig = (a: number, b: number) => (port: number): string => `defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    tcp-request inspect-delay 1s
    tcp-request content accept if { req.len gt 0 }
    default_backend b
backend b
    tcp-request content set-var(txn.force) int(1)
    force-persist if { var(txn.force) -m int 1 }
    use-server s1 if { always_true }
    server s1 127.0.0.1:${a} disabled
    server s2 127.0.0.1:${b}
listen own
    bind 127.0.0.1:${port + 1}
    tcp-request inspect-delay 1s
    tcp-request content set-var(txn.force) int(1)
    force-persist if { var(txn.force) -m int 1 }
    use-server s1 if { always_true }
    server s1 127.0.0.1:${a} disabled
    server s2 127.0.0.1:${b}
`;

test('force-persist in TCP mode runs before the backend\'s tcp-request content rules (a listen section\'s run first), as in HAProxy', async (t) => {
  await withOrigins(t, tcpOrderConfig, async (port) => {
    assert.equal(await ask(port, '/'), '200 b');
    assert.equal(await ask(port + 1, '/'), '200 a');
  });
});

const upgradeConfig = (a: number, b: number) => (port: number): string => `defaults
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    mode tcp
    bind 127.0.0.1:${port}
    bind 127.0.0.1:${port + 1}
    bind 127.0.0.1:${port + 2}
    use_backend setter if { dst_port ${port} }
    use_backend deleter if { dst_port ${port + 1} }
    default_backend by-source
backend setter
    mode http
    cookie SRV
    http-request set-header x-force 1
    force-persist if { req.hdr(x-force) 1 }
    server s1 127.0.0.1:${a} cookie s1 disabled
    server s2 127.0.0.1:${b} cookie s2
backend deleter
    mode http
    cookie SRV
    http-request del-header x-force
    force-persist if { req.hdr(x-force) 1 }
    server s1 127.0.0.1:${a} cookie s1 disabled
    server s2 127.0.0.1:${b} cookie s2
backend by-source
    mode http
    cookie SRV
    force-persist if { src 127.0.0.1 }
    server s1 127.0.0.1:${a} cookie s1 disabled
    server s2 127.0.0.1:${b} cookie s2
`;

test('force-persist when a TCP frontend upgrades to an HTTP backend: the rules ran on the TCP side when it switched (no request there yet), as in HAProxy', async (t) => {
  await withOrigins(t, upgradeConfig, async (port) => {
    const answers = [
      await ask(port, '/', { cookie: 'SRV=s1', connection: 'close' }),
      // The header the client sent was not there yet when the rule ran.
      await ask(port + 1, '/', { cookie: 'SRV=s1', 'x-force': '1', connection: 'close' }),
      await ask(port + 2, '/', { cookie: 'SRV=s1', connection: 'close' }),
    ];
    assert.deepEqual(answers, ['200 b', '200 b', '200 a']);
  });
});
