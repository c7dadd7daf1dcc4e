import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startRawServer, startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';

/**
 * `option redispatch <interval>` in TCP mode (HAProxy 2.6: a positive P
 * redispatches every Pth retry, a negative N the Nth retry before the last,
 * -1 by default). The consistent hash picks the server that refuses
 * connections first (and avoids it once the retry is redispatched), so the
 * retry on which the session moves to the live server is the one the
 * interval names: the log's retry count.
 */
function config(port: number, deadPort: number, alivePort: number, interval: string): string {
  return `
defaults
    mode tcp
    timeout connect 100ms
    timeout client 5s
    timeout server 5s
listen db
    bind 127.0.0.1:${port}
    balance source
    hash-type consistent
    retries 3
    option redispatch${interval}
    log stdout format raw local0
    option tcplog
    server alive 127.0.0.1:${alivePort}
    server dead 127.0.0.1:${deadPort}
`;
}

/** Connects, sends a line and keeps its side open (a client FIN while connecting is an abort for HAProxy), returns what the server sent. */
function exchange(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let got = '';
    socket.on('data', (c: Buffer) => (got += c.toString()));
    socket.on('end', () => socket.end());
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('test exchange timed out')));
    socket.write('hello\n');
  });
}

/** The server and the retry count of a tcplog line ("… db db/alive 1/0/14 6 -- 1/1/0/0/+2 0/0"; '+' marks a redispatch). */
function served(line: string | undefined): { server: string; retries: number } {
  const m = /\sdb\/(\S+)\s.*\s\d+\/\d+\/\d+\/\d+\/\+?(\d+)\s/.exec(line ?? '');
  assert.ok(m, `a tcplog line, got ${JSON.stringify(line)}`);
  return { server: m[1]!, retries: Number(m[2]) };
}

const CASES: Array<{ interval: string; retries: number }> = [
  { interval: '', retries: 3 }, // default -1: the last retry
  { interval: ' 1', retries: 1 }, // every retry
  { interval: ' 2', retries: 2 }, // every second retry
  { interval: ' -2', retries: 2 }, // the retry before the last
];

test('TCP mode redispatches on the retry option redispatch <interval> names, as HTTP does and as HAProxy does', async (t) => {
  const alive = await startRawServer((s) => s.end('alive'));
  const deadPort = await freePort(); // nothing listens: connections are refused
  try {
    for (const c of CASES) {
      const e = await startEngine(config(await freePort(), deadPort, alive.port, c.interval));
      try {
        assert.equal(await exchange(e.port), 'alive');
        // The session is logged when it closes, just after the client saw the end.
        for (let i = 0; i < 100 && e.logs.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
        assert.deepEqual(served(e.logs[0]), { server: 'alive', retries: c.retries }, `option redispatch${c.interval}`);
      } finally {
        await e.stop();
      }
    }
    if (!requireHaproxy(t)) return;
    for (const c of CASES) {
      const port = await freePort();
      const h = await startHaproxy(config(port, deadPort, alive.port, c.interval), port);
      try {
        assert.equal(await exchange(port), 'alive');
        // startHaproxy's readiness probe is logged too: this session is the one logged after it.
        const sessions = (): string[] => h.output().split('\n').filter((l) => / db\/\S+ /.test(l));
        for (let i = 0; i < 100 && sessions().length < 2; i++) await new Promise((r) => setTimeout(r, 20));
        const line = sessions()[1];
        assert.deepEqual(served(line), { server: "alive", retries: c.retries }, `HAProxy with option redispatch${c.interval}: ${line}`);
      } finally {
        await h.stop();
      }
    }
  } finally {
    await alive.close();
  }
});
