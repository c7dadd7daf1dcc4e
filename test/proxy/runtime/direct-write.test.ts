import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { directWriter } from '../../../proxy/runtime/direct-write.ts';
import { waitFor } from '../../helpers/net.ts';
import { pattern, socketPair as pair } from '../../helpers/streams.ts';

test('a chunk the kernel takes whole is sent at once, counted in bytesWritten, with no completion call', async () => {
  const p = await pair();
  try {
    let completions = 0;
    const write = directWriter(p.ours, () => completions++);
    assert.ok(write, 'Node 20 has the stream binding direct writes need');
    assert.equal(write(Buffer.from('hello')), 'sent');
    assert.equal(write(Buffer.from(' world')), 'sent');
    assert.equal(p.ours.bytesWritten, 11);
    p.peer.resume();
    await waitFor('both chunks', () => p.received().length === 11);
    assert.equal(p.received().toString(), 'hello world');
    assert.equal(completions, 0);
    p.ours.destroy();
    assert.equal(p.ours.bytesWritten, 11, 'counted once, also after the handle is closed');
  } finally {
    p.close();
  }
});

test('a chunk the kernel cannot take at once is pending until the peer reads it, and stays ahead of later stream writes', async () => {
  const p = await pair();
  try {
    let completions = 0;
    const write = directWriter(p.ours, () => completions++)!;
    // More than loopback's socket buffers hold while the peer does not read.
    const big = pattern(1, 32 * 1024 * 1024);
    assert.equal(write(big), 'pending');
    assert.equal(completions, 0);
    // The stream itself queues nothing: a later direct write waits behind the first in libuv, then a stream write.
    assert.equal(write(Buffer.from('next')), 'pending');
    p.ours.write('tail');
    p.peer.resume();
    await waitFor('everything', () => p.received().length === big.length + 8, 20_000);
    assert.ok(p.received().subarray(0, big.length).equals(big));
    assert.equal(p.received().subarray(big.length).toString(), 'nexttail');
    await waitFor('both completions', () => completions === 2);
    // Taken whole again, then one more that waits: each waiting write completes once.
    assert.equal(write(Buffer.from('again')), 'sent');
    assert.equal(write(big), 'pending');
    await waitFor('the third completion', () => completions === 3, 20_000);
    await waitFor('everything again', () => p.received().length === 2 * big.length + 13, 20_000);
    assert.ok(p.received().subarray(big.length + 8, big.length + 13).equals(Buffer.from('again')));
    assert.ok(p.received().subarray(big.length + 13).equals(big));
  } finally {
    p.close();
  }
});

test('a socket whose stream queues bytes, or that is ended, is left to its stream', async () => {
  const p = await pair();
  try {
    const write = directWriter(p.ours, () => {})!;
    p.ours.cork();
    p.ours.write('queued');
    assert.equal(write(Buffer.from('x')), 'stream');
    p.ours.uncork();
    p.ours.end();
    assert.equal(write(Buffer.from('x')), 'stream');
    p.peer.resume();
    await waitFor('the stream write', () => p.received().toString() === 'queued');
  } finally {
    p.close();
  }
});

test('a pending write to a peer that goes away completes (with the socket destroyed), once', async () => {
  const p = await pair();
  try {
    let completions = 0;
    const write = directWriter(p.ours, () => completions++)!;
    p.ours.on('error', () => {});
    assert.equal(write(pattern(1, 32 * 1024 * 1024)), 'pending');
    p.peer.resetAndDestroy();
    await waitFor('the completion', () => completions === 1, 10_000);
    await waitFor('the socket destroyed', () => p.ours.destroyed);
  } finally {
    p.close();
  }
});

test('TLS sockets are not written directly (their handle encrypts what the stream gives it)', async () => {
  const socket = new tls.TLSSocket(new net.Socket());
  try {
    assert.equal(directWriter(socket, () => {}), undefined);
  } finally {
    socket.destroy();
  }
});
