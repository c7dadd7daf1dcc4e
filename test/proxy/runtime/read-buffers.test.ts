/** Reused read buffers (proxy/runtime/read-buffers.ts): a buffer a queued write refers to is never read into again. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { ReadBuffers, OWN_READ_SIZE, spareReadBuffers } from '../../../proxy/runtime/read-buffers.ts';

/** A writer whose queue length the test sets. */
function writer(): Writable & { queued: number } {
  const w = new Writable({ write: (_c, _e, cb) => cb() }) as Writable & { queued: number };
  w.queued = 0;
  Object.defineProperty(w, 'writableLength', { get: () => w.queued });
  return w;
}

test('idle sockets share the small buffer; a full read moves the socket to a 64 KiB buffer of its own', () => {
  const reads = new ReadBuffers();
  const shared = reads.next();
  assert.equal(shared.length, 4095);
  assert.equal(new ReadBuffers().next(), shared, 'one small buffer for all idle sockets');
  reads.read(shared.length, shared);
  const own = reads.next();
  assert.notEqual(own, shared);
  assert.equal(own.length, OWN_READ_SIZE);
  assert.equal(reads.keep(own.subarray(0, 10)).buffer, own.buffer, 'a view of its own buffer is kept as it is');
  reads.read(10, own);
  assert.equal(reads.next(), shared, 'a read that did not fill it gives the own buffer back');
  const copy = reads.keep(shared.subarray(0, 5));
  assert.ok(copy.buffer !== shared.buffer && copy.length === 5, 'a partial read of the shared buffer is copied out');
  reads.read(shared.length, shared);
  const kept = reads.keep(shared);
  assert.ok(kept.buffer !== shared.buffer && kept.length === shared.length);
  assert.equal(reads.next().buffer, kept.buffer, 'a full one is copied into the buffer the socket reads into next');
});

test('a buffer lent to a queued write is not read into by any socket until that write queue is empty', () => {
  const a = new ReadBuffers();
  const b = new ReadBuffers();
  const shared = a.next();
  const client = writer();
  a.read(shared.length, shared);
  const lent = a.next();
  a.read(100, lent); // a partial read whose bytes a write still holds
  client.queued = 100;
  a.settle(client);
  assert.equal(a.next(), shared);
  // Another socket wanting a big buffer gets a different one while the write is queued…
  b.read(shared.length, shared);
  const other = b.next();
  assert.notEqual(other, lent);
  b.read(10, other);
  b.next(); // `other` goes back to the free list
  // …and `a` does not reuse it either, even after more full reads.
  a.read(shared.length, shared);
  const again = a.next();
  assert.notEqual(again, lent);
  // Once the queue is empty the lent buffer is back in the free list (reclaimed at a's next read).
  client.queued = 0;
  const before = spareReadBuffers();
  a.read(10, again);
  a.next();
  assert.ok(spareReadBuffers() >= before + 1);
});

test('buffers lent to a destroyed writer are left to the garbage collector, not reused', () => {
  const a = new ReadBuffers();
  const shared = a.next();
  const client = writer();
  a.read(shared.length, shared);
  const lent = a.next();
  client.queued = 1;
  a.settle(client);
  client.destroy();
  a.read(shared.length, shared);
  assert.notEqual(a.next(), lent);
  a.close();
});

test('a small read for a direct write is copied out of the shared buffer into views made once per length', () => {
  const reads = new ReadBuffers();
  const shared = reads.next();
  shared.write('hello world', 'latin1');
  const first = reads.forDirectWrite(5, shared);
  assert.equal(first.toString('latin1'), 'hello');
  assert.notEqual(first.buffer, shared.buffer, 'not the shared buffer, which every idle socket reads into');
  shared.write('HELLO', 'latin1');
  const again = reads.forDirectWrite(5, shared);
  assert.equal(again, first, 'the same view object: nothing allocated');
  assert.equal(again.toString('latin1'), 'HELLO');
  const streamed = reads.forStream(again);
  assert.notEqual(streamed.buffer, again.buffer, 'a stream queues what it is given: it gets a copy');
  reads.directWriteHeld(); // the write of `again` waits: its memory is the write's
  shared.write('later', 'latin1');
  const next = reads.forDirectWrite(5, shared);
  assert.notEqual(next.buffer, again.buffer);
  assert.equal(again.toString('latin1'), 'HELLO', 'the held bytes are left alone');
  // A read into a socket's own buffer is written from where it is.
  shared.fill(1);
  reads.read(shared.length, shared);
  const own = reads.next();
  reads.read(10, own);
  assert.equal(reads.forDirectWrite(10, own).buffer, own.buffer);
  assert.equal(reads.forStream(reads.forDirectWrite(10, own)).buffer, own.buffer);
});
