/**
 * %U / %B (the httplog's bytes field) and the frontend's bin / bout count what
 * each exchange moved on the client connection, heads included, as HAProxy's
 * do (runtime/wire-bytes.ts): before, they counted the bodies alone
 * (a 100-byte answer logged 100 where HAProxy logs ~225).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startEngine, startNamedServer, freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';

/** Sends each request once the previous answer (Content-Length delimited) has fully arrived; returns the answers' bytes. */
async function oneByOne(port: number, requests: string[]): Promise<Buffer[]> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const answers: Buffer[] = [];
  let pending = Buffer.alloc(0);
  for (const r of requests) {
    socket.write(r);
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        pending = Buffer.concat([pending, d]);
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: *(\d+)/i.exec(pending.subarray(0, end).toString('latin1'))?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        socket.off('data', onData);
        const whole = pending.subarray(0, end + 4 + length);
        pending = pending.subarray(whole.length);
        resolve(whole);
      };
      socket.on('data', onData);
      socket.once('error', reject);
    });
    answers.push(answer);
  }
  socket.destroy();
  return answers;
}

test('each exchange of a keep-alive connection logs the bytes it moved, heads included, and the frontend counts the same', async () => {
  const app = await startNamedServer('app');
  const port = await freePort();
  const e = await startEngine(`${HTTP_DEFAULTS}frontend web
    bind 127.0.0.1:${port}
    log-format "U=%U B=%B"
    default_backend app
backend app
    server s1 127.0.0.1:${app.port}
`);
  try {
    const requests = [
      'GET /first HTTP/1.1\r\nHost: example.test\r\nUser-Agent: log-bytes\r\n\r\n',
      'POST /second HTTP/1.1\r\nHost: example.test\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\nhello=world',
    ];
    const answers = await oneByOne(port, requests);
    assert.deepEqual(answers.map((a) => a.toString('latin1').slice(0, 12)), ['HTTP/1.1 200', 'HTTP/1.1 200']);
    const deadline = Date.now() + 3000;
    while (e.logs.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(e.logs, requests.map((r, i) => `U=${Buffer.byteLength(r)} B=${answers[i]!.length}`));
    const fields = e.engine.stats.counters('frontend', 'web')!;
    const sent = requests.reduce((n, r) => n + Buffer.byteLength(r), 0);
    const received = answers.reduce((n, a) => n + a.length, 0);
    while (fields.bin < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(fields.bin, sent);
    assert.equal(fields.bout, received);
  } finally {
    await e.stop();
    await app.close();
  }
});
