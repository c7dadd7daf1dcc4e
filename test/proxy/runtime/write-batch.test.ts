/**
 * Small writes of one event-loop turn leave together at its end (proxy/runtime/write-batch.ts);
 * a queue of BATCH_BYTES or more leaves at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { holdWrites, releaseWrites, BATCH_BYTES } from '../../../proxy/runtime/write-batch.ts';

async function socketPair(): Promise<{ a: net.Socket; b: net.Socket; close(): void }> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const accepted = once(server, 'connection');
  const a = net.connect(port, '127.0.0.1');
  await once(a, 'connect');
  const [b] = (await accepted) as [net.Socket];
  return { a, b, close: () => { a.destroy(); b.destroy(); server.close(); } };
}

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('writes to held sockets wait for the end of the turn, then leave, every socket once', async () => {
  const one = await socketPair();
  const two = await socketPair();
  try {
    assert.equal(holdWrites(one.a), true);
    assert.equal(holdWrites(two.a), true);
    assert.equal(holdWrites(one.a), true, 'held once per turn');
    one.a.write('first ');
    two.a.write('other');
    assert.equal(releaseWrites(one.a), false, 'a small queue waits');
    one.a.write('second');
    assert.equal(one.a.writableLength, 12, 'nothing written during the turn');
    assert.equal(two.a.writableLength, 5);
    await nextTurn();
    assert.equal(one.a.writableCorked, 0, 'uncorked once, as often as corked');
    assert.equal(one.a.writableLength, 0);
    assert.equal(two.a.writableLength, 0);
    const got = once(one.b, 'data');
    assert.equal(String((await got)[0]), 'first second');
  } finally {
    one.close();
    two.close();
  }
});

test('a held socket with BATCH_BYTES queued is written at once, and is not uncorked again at the turn end', async () => {
  const p = await socketPair();
  try {
    holdWrites(p.a);
    p.a.write(Buffer.alloc(BATCH_BYTES, 1));
    assert.equal(releaseWrites(p.a), true);
    assert.equal(p.a.writableCorked, 0);
    assert.ok(p.a.writableLength < BATCH_BYTES, 'the kernel took the write');
    // Corked again by someone else in the same turn: the turn's end must not take that cork away.
    p.a.cork();
    await nextTurn();
    assert.equal(p.a.writableCorked, 1);
    p.a.uncork();
  } finally {
    p.close();
  }
});

test('other writables (an HTTP/2 stream\'s sink) are not held', () => {
  const sink = new PassThrough();
  assert.equal(holdWrites(sink), false);
  assert.equal(sink.writableCorked, 0);
  assert.equal(releaseWrites(sink), false);
});
