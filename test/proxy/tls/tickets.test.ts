import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { renewTicketsOnResumption } from '../../../proxy/tls/tickets.ts';
import { startNamedServer, startEngine, freePort } from '../../helpers/net.ts';
import type { TestServer } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { certPath } from '../../helpers/tls.ts';

let web: TestServer;
before(async () => { web = await startNamedServer('web'); });
after(() => web.close());

interface Connection { resumed: boolean; protocol: string | null; tickets: Buffer[] }

/** One request on a new connection, offering `session` if given; the tickets the server sent on it. */
function connectOnce(port: number, maxVersion: tls.SecureVersion, session?: Buffer): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const tickets: Buffer[] = [];
    let resumed = false;
    let protocol: string | null = null;
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'site.home.arpa', rejectUnauthorized: false, maxVersion, ...(session ? { session } : {}) }, () => {
      resumed = socket.isSessionReused();
      protocol = socket.getProtocol();
      socket.write('GET / HTTP/1.1\r\nhost: site.home.arpa\r\nconnection: close\r\n\r\n');
    });
    socket.on('session', (t: Buffer) => tickets.push(t));
    socket.on('data', () => {});
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('close', () => resolve({ resumed, protocol, tickets }));
  });
}

/** Three connections in a row, each resuming from the newest ticket the previous one brought. */
async function chain(port: number, maxVersion: tls.SecureVersion): Promise<Connection[]> {
  const seen: Connection[] = [];
  let session: Buffer | undefined;
  for (let i = 0; i < 3; i++) {
    const c = await connectOnce(port, maxVersion, session);
    seen.push(c);
    session = c.tickets.at(-1) ?? session;
  }
  return seen;
}

const config = (port: number) => `defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port} ssl crt ${certPath('site.pem')}
    default_backend be
backend be
    server web 127.0.0.1:${web.port}
`;

test('a resumed TLS 1.3 connection brings a new session ticket, so a client that uses each ticket once resumes every time', async () => {
  const port = await freePort();
  const e = await startEngine(config(port));
  try {
    const [first, second, third] = await chain(port, 'TLSv1.3');
    assert.equal(first!.protocol, 'TLSv1.3');
    assert.equal(first!.resumed, false);
    assert.equal(first!.tickets.length, 2, 'two tickets after a full handshake (OpenSSL\'s default, as HAProxy)');
    assert.equal(second!.resumed, true);
    assert.equal(second!.tickets.length, 1, 'one new ticket after a resumed handshake');
    assert.equal(third!.resumed, true, 'the ticket of a resumed connection resumes too');
  } finally {
    await e.stop();
  }
});

test('TLS 1.3 tickets: the same count as HAProxy 2.6 after a full and after a resumed handshake', async (t) => {
  if (!requireHaproxy(t)) return;
  const lsPort = await freePort();
  const haPort = await freePort();
  const e = await startEngine(config(lsPort));
  const h = await startHaproxy(config(haPort), haPort);
  try {
    const summary = (seen: Connection[]) => seen.map((c) => `${c.resumed ? 'resumed' : 'full'}:${c.tickets.length}`).join(' ');
    assert.equal(summary(await chain(lsPort, 'TLSv1.3')), summary(await chain(haPort, 'TLSv1.3')));
  } finally {
    await h.stop();
    await e.stop();
  }
});

test('TLS 1.2 sessions resume from the ticket of the first connection', async () => {
  const port = await freePort();
  const e = await startEngine(config(port));
  try {
    const seen = await chain(port, 'TLSv1.2');
    assert.deepEqual(seen.map((c) => [c.protocol, c.resumed]), [['TLSv1.2', false], ['TLSv1.2', true], ['TLSv1.2', true]]);
  } finally {
    await e.stop();
  }
});

test('ticket IVs: each ticket gets its own, across refills of the IV pool, and every ticket still resumes', async () => {
  const pem = readFileSync(certPath('site.pem'));
  // (OpenSSL sends TLS 1.3 tickets with the server's first write)
  const server = tls.createServer({ key: pem, cert: pem }, (s) => { s.on('error', () => {}); s.end('x'); });
  assert.equal(renewTicketsOnResumption(server), true);
  // white box: the IVs the encrypting callback hands to OpenSSL (600 tickets: two refills of 256)
  const hook = (server as unknown as { _sharedCreds: { context: { onticketkeycallback: (n: Buffer, iv: Buffer, enc: boolean) => unknown[] } } })._sharedCreds.context;
  const ivs = new Set<string>();
  for (let i = 0; i < 600; i++) {
    const iv = hook.onticketkeycallback(Buffer.alloc(16), Buffer.alloc(16), true)[4] as Buffer;
    assert.equal(iv.length, 16);
    ivs.add(iv.toString('hex'));
  }
  assert.equal(ivs.size, 600);
  // and through OpenSSL: tickets issued after those still resume
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    for (let i = 0; i < 3; i++) {
      const ticket = await new Promise<Buffer>((resolve, reject) => {
        const c = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion: 'TLSv1.3' });
        c.once('session', (t: Buffer) => { resolve(t); c.destroy(); });
        c.on('error', reject);
        c.resume();
      });
      const resumed = await new Promise<boolean>((resolve, reject) => {
        const c = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion: 'TLSv1.3', session: ticket }, () => {
          resolve(c.isSessionReused());
          c.destroy();
        });
        c.on('error', reject);
        c.resume();
      });
      assert.equal(resumed, true);
    }
  } finally {
    server.close();
  }
});
