/**
 * Small writes of one event-loop turn leave together at its end (proxy/runtime/write-batch.ts);
 * a queue of BATCH_BYTES or more leaves at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { holdWrites, releaseWrites, writeHeld, writeNow, BATCH_BYTES } from '../../../proxy/runtime/write-batch.ts';

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

/** Everything `socket` receives until its peer ends. */
async function received(socket: net.Socket): Promise<string> {
  socket.setEncoding('latin1');
  let text = '';
  socket.on('data', (d: string) => (text += d));
  await once(socket, 'end');
  return text;
}

test('held text goes straight to the handle at the turn end, before what the stream queued after it', async () => {
  const p = await socketPair();
  try {
    const got = received(p.b);
    holdWrites(p.a);
    writeHeld(p.a, 'head\xff;');
    assert.equal(p.a.writableLength, 0, 'the text is not in the stream');
    p.a.write(Buffer.from('body;'));
    // Something is queued now: text written after it follows it through the stream.
    writeHeld(p.a, 'tail;');
    assert.equal(p.a.writableLength, 10);
    await nextTurn();
    assert.equal(p.a.writableCorked, 0);
    p.a.end();
    assert.equal(await got, 'head\xff;body;tail;', 'latin1, byte for byte, in the order written');
  } finally {
    p.close();
  }
});

test('writeNow() before end(): the held text leaves ahead of the FIN', async () => {
  const p = await socketPair();
  try {
    const got = received(p.b);
    holdWrites(p.a);
    writeHeld(p.a, 'response;');
    writeNow(p.a);
    p.a.end('bye');
    assert.equal(await got, 'response;bye');
  } finally {
    p.close();
  }
});

test('held text a destroyed socket never sent is dropped, as a corked queue is', async () => {
  const p = await socketPair();
  try {
    holdWrites(p.a);
    writeHeld(p.a, 'lost');
    p.a.destroy();
    await nextTurn();
    const [had] = (await Promise.race([once(p.b, 'data'), once(p.b, 'close').then(() => [undefined])])) as [Buffer | undefined];
    assert.equal(had, undefined);
  } finally {
    p.close();
  }
});

test('text the kernel does not take at once stays in order with later writes, which go through the stream meanwhile', async () => {
  const p = await socketPair();
  try {
    p.b.pause();
    // Bigger than the loopback socket buffers, so the direct write waits in libuv.
    const big = 'x'.repeat(8 * 1024 * 1024);
    holdWrites(p.a);
    writeHeld(p.a, big);
    await nextTurn();
    holdWrites(p.a);
    writeHeld(p.a, 'after');
    assert.equal(p.a.writableLength, 5, 'behind a write still in flight, the text goes through the stream');
    await nextTurn();
    p.a.end();
    const got = received(p.b);
    p.b.resume();
    const text = await got;
    assert.equal(text.length, big.length + 5);
    assert.equal(text.slice(-6), 'xafter');
  } finally {
    p.close();
  }
});

test('a held queue reaching BATCH_BYTES with its text is written at once', async () => {
  const p = await socketPair();
  try {
    const got = received(p.b);
    holdWrites(p.a);
    writeHeld(p.a, 'h'.repeat(BATCH_BYTES - 10));
    assert.equal(releaseWrites(p.a), false);
    writeHeld(p.a, 'y'.repeat(10));
    assert.equal(releaseWrites(p.a), true);
    assert.equal(p.a.writableCorked, 0);
    p.a.end();
    assert.equal((await got).length, BATCH_BYTES);
  } finally {
    p.close();
  }
});
