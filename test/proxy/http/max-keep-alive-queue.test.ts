/**
 * `max-keep-alive-queue <n>` with `option prefer-last-server` (and `http-reuse never`, where a client
 * connection owns its server connections): a request goes back to the server of the connection its
 * client connection owns even when that server is full, waiting in its queue, unless `n` requests
 * already wait there (HAProxy 2.6's assign_server: `queue.length + 1 < n + 1`); then the balancer
 * picks a server. Without the line (-1) there is no limit: it always waits for that server. Side by
 * side with haproxy 2.6.12.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { sideBySide } from './lib/side-by-side.ts';

/** An origin naming itself in the body; `/slow` is answered after 400 ms. */
async function origin(name: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const answer = (): void => void res.end(name);
    if (req.url === '/slow') setTimeout(answer, 400);
    else answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

/** A keep-alive client connection: GET path, the body (the server's name). */
class Client {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  constructor(private readonly port: number) {}
  get(path: string): Promise<string> {
    return new Promise((resolve) => {
      http.get({ host: '127.0.0.1', port: this.port, path, agent: this.agent }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
      }).on('error', (e) => resolve(`error ${e.message}`));
    });
  }
  close(): void {
    this.agent.destroy();
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A gets an answer from s1 (its connection to s1 stays its own), B and C send slow requests (B to s2,
 * C to s1: s1 is full, maxconn 1), then A asks again while C's request holds s1.
 */
async function play(port: number): Promise<string[]> {
  const [a, b, c] = [new Client(port), new Client(port), new Client(port)];
  try {
    const first = await a.get('/');
    const slowB = b.get('/slow');
    await pause(100);
    const slowC = c.get('/slow');
    await pause(100);
    const again = await a.get('/');
    return [`A ${first}`, `B ${await slowB}`, `C ${await slowC}`, `A ${again}`];
  } finally {
    for (const x of [a, b, c]) x.close();
  }
}

async function scenario(t: import('node:test').TestContext, line: string, expected: string[]): Promise<void> {
  const s1 = await origin('s1');
  const s2 = await origin('s2');
  try {
    const config = (port: number) => `defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n    timeout queue 5s\nfrontend fe\n    bind 127.0.0.1:${port}\n    default_backend be\nbackend be\n    balance roundrobin\n    http-reuse never\n    option prefer-last-server\n${line}    server s1 127.0.0.1:${s1.port} maxconn 1\n    server s2 127.0.0.1:${s2.port}\n`;
    await sideBySide(t, config, async (port) => {
      assert.deepEqual(await play(port), expected);
    });
  } finally {
    await s1.close();
    await s2.close();
  }
}

test('prefer-last-server without max-keep-alive-queue: the request waits for its full server', async (t) => {
  await scenario(t, '', ['A 200 s1', 'B 200 s2', 'C 200 s1', 'A 200 s1']);
});

test('max-keep-alive-queue 0: a full last server is left for the balancer\'s pick', async (t) => {
  await scenario(t, '    max-keep-alive-queue 0\n', ['A 200 s1', 'B 200 s2', 'C 200 s1', 'A 200 s2']);
});

test('max-keep-alive-queue 1: the request waits for its full server while nobody else does', async (t) => {
  await scenario(t, '    max-keep-alive-queue 1\n', ['A 200 s1', 'B 200 s2', 'C 200 s1', 'A 200 s1']);
});
