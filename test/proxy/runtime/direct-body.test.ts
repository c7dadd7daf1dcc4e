import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { DirectBodyWrites } from '../../../proxy/runtime/direct-body.ts';
import { ReadBuffers } from '../../../proxy/runtime/read-buffers.ts';
import { waitFor } from '../../helpers/net.ts';
import { pattern, socketPair } from '../../helpers/streams.ts';

test('a chunk the kernel takes whole is sent, nothing waits, and whenIdle answers at once', async () => {
  const p = await socketPair();
  try {
    const writes = new DirectBodyWrites(p.ours);
    assert.ok(writes.usable);
    assert.equal(writes.write(Buffer.from('abc')), 'sent');
    assert.equal(writes.waiting, false);
    assert.equal(writes.writableLength, 0);
    let idle = 0;
    writes.whenIdle(() => idle++);
    assert.equal(idle, 1);
  } finally {
    p.close();
  }
});

test('a chunk that has to wait is counted until the peer reads it; the read buffer it refers to stays lent until then', async () => {
  const p = await socketPair();
  try {
    const writes = new DirectBodyWrites(p.ours);
    const reads = new ReadBuffers();
    // A full read moves `reads` to a 64 KiB buffer of its own; the next read goes into it.
    const shared = reads.next();
    reads.read(shared.length, shared);
    const own = reads.next();
    own.set(pattern(3, own.length));
    reads.read(own.length, own);
    // More than loopback's buffers hold while the peer does not read: some write of these has to wait.
    const sent: Buffer[] = [];
    let result: string = 'sent';
    for (let i = 0; i < 4096 && result === 'sent'; i++) {
      const chunk = i === 0 ? own : pattern(10 + i, 64 * 1024);
      result = writes.write(chunk);
      sent.push(chunk);
    }
    assert.equal(result, 'pending');
    assert.equal(writes.waiting, true);
    assert.ok(writes.writableLength > 0);
    const expected = Buffer.concat(sent);
    // The buffer is lent to the waiting writes: this socket's next full read goes elsewhere…
    reads.settle(writes);
    reads.read(own.length, own);
    const next = reads.next();
    assert.notEqual(next, own);
    // …and `own` is not written to meanwhile, so the peer gets the bytes that were handed over.
    next.fill(0xee);
    let idle = 0;
    writes.whenIdle(() => idle++);
    assert.equal(idle, 0);
    p.peer.resume();
    await waitFor('every chunk at the peer', () => p.received().length === expected.length, 20_000);
    assert.ok(p.received().equals(expected), 'the bytes arrive as written, in order');
    await waitFor('whenIdle called', () => idle === 1);
    assert.equal(writes.waiting, false);
    assert.equal(writes.writableLength, 0);
  } finally {
    p.close();
  }
});

test('the stream queues something: the chunk is not written (the caller writes it after, through the stream)', async () => {
  const p = await socketPair();
  try {
    const writes = new DirectBodyWrites(p.ours);
    p.ours.cork();
    p.ours.write('head');
    assert.equal(writes.write(Buffer.from('body')), 'stream');
    p.ours.uncork();
  } finally {
    p.close();
  }
});

test('a TLS socket is not written to directly', () => {
  const socket = new tls.TLSSocket(new net.Socket());
  try {
    const writes = new DirectBodyWrites(socket);
    assert.equal(writes.usable, false);
    assert.equal(writes.write(Buffer.from('x')), 'stream');
  } finally {
    socket.destroy();
  }
});

test('a destroyed socket with a waiting write: the write is counted off and whenIdle runs', async () => {
  const p = await socketPair();
  try {
    const writes = new DirectBodyWrites(p.ours);
    let result = 'sent';
    for (let i = 0; i < 4096 && result === 'sent'; i++) result = writes.write(pattern(i, 64 * 1024));
    assert.equal(result, 'pending');
    let idle = 0;
    writes.whenIdle(() => idle++);
    p.ours.destroy();
    await waitFor('whenIdle after the destroy', () => idle === 1);
    assert.equal(writes.waiting, false);
    assert.equal(writes.destroyed, true);
  } finally {
    p.close();
  }
});
