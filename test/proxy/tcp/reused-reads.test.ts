import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { certPath } from '../../helpers/tls.ts';
import { startRawServer, startEngine, startTcpListen, freePort, waitFor } from '../../helpers/net.ts';
import { pattern, writeInPieces, writeRepeated } from '../../helpers/streams.ts';
import { ReusedReads } from '../../../proxy/tcp/reused-reads.ts';
import { directWriter } from '../../../proxy/runtime/direct-write.ts';
import { spareReadBuffers } from '../../../proxy/runtime/read-buffers.ts';

/**
 * A sink socket as ReusedReads sees it, whose kernel takes a write whole or leaves it queued
 * as the test says; queued chunks are kept (as Node keeps them: the caller's memory, no copy)
 * with a copy of what they held when written.
 */
class FakeClient extends EventEmitter {
  destroyed = false;
  writableLength = 0;
  needDrain = false;
  queued: Array<{ chunk: Buffer; was: Buffer }> = [];
  takeWhole = true;
  received: Buffer[] = [];
  write(chunk: Buffer): boolean {
    if (this.takeWhole && this.queued.length === 0) {
      this.received.push(Buffer.from(chunk));
      return chunk.length < 16384 || ((this.needDrain = true), false);
    }
    this.queued.push({ chunk, was: Buffer.from(chunk) });
    this.writableLength += chunk.length;
    const below = this.writableLength < 16384;
    if (!below) this.needDrain = true;
    return below;
  }
  /** The kernel takes everything queued: each chunk must still hold what it held when written. */
  flush(): void {
    for (const q of this.queued) {
      assert.ok(q.chunk.equals(q.was), 'a queued chunk was overwritten before it was sent');
      this.received.push(Buffer.from(q.chunk));
    }
    this.queued = [];
    this.writableLength = 0;
    if (this.needDrain) {
      this.needDrain = false;
      this.emit('drain');
    }
  }
}

class FakeServer {
  paused = false;
  pause(): void { this.paused = true; }
  resume(): void { this.paused = false; }
}

/** Chunk sizes around the relay's read sizes (4095 shared, 64 KiB own). */
const CHUNKS = [100, 4095, 4096, 70_000, 65_536, 1, 9000, 200_000];

/** A server that, once it has the client's one-byte stream id, sends `length` bytes of its pattern in uneven writes, then ends. */
function patternServer(length: number) {
  return startRawServer((s) => {
    s.once('data', (d: Buffer) => writeInPieces(s, pattern(d[0]!, length), CHUNKS));
    s.on('error', () => s.destroy());
  });
}

/** Sends the stream id and collects everything until the proxy closes; `slow` stops reading for a while every 512 KiB. */
function receive(port: number, id: number, slow: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write(Buffer.from([id])));
    const chunks: Buffer[] = [];
    let got = 0;
    let nextPause = 512 * 1024;
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (slow && got >= nextPause) {
        nextPause += 512 * 1024;
        socket.pause();
        setTimeout(() => socket.resume(), 30);
      }
    });
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

test('a buffer given to a write the client could not take is not read into again until the client drains', () => {
  // Three sessions (they share the small read buffer and the free list), random read sizes, a
  // kernel that now and then leaves writes queued: every read goes into memory no queued write
  // refers to, and each client gets its server's bytes in order.
  let seed = 42;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const sessions = [1, 2, 3].map((id) => {
    const reads = new ReusedReads();
    const client = new FakeClient();
    const server = new FakeServer();
    reads.start({ sink: client as unknown as net.Socket, source: server as unknown as net.Socket, onChunk: () => {} });
    return { id, reads, client, server, next: reads.onread.buffer(), sent: 0, stream: pattern(id, 8 * 1024 * 1024) };
  });
  for (let step = 0; step < 4000; step++) {
    const s = sessions[random(sessions.length)]!;
    if (random(4) === 0) s.client.flush();
    if (s.server.paused) continue;
    const buffer = s.next;
    for (const other of sessions) {
      for (const q of other.client.queued) assert.notEqual(q.chunk.buffer, buffer.buffer, `step ${step}: session ${s.id} reads into memory a queued write of session ${other.id} refers to`);
    }
    const full = random(3) === 0;
    const n = Math.min(full ? buffer.length : 1 + random(buffer.length), s.stream.length - s.sent);
    if (n === 0) continue;
    s.stream.copy(buffer, 0, s.sent, s.sent + n);
    s.sent += n;
    s.client.takeWhole = random(3) !== 0;
    s.reads.onread.callback(n, buffer);
    s.next = s.reads.onread.buffer();
  }
  for (const s of sessions) {
    s.client.flush();
    assert.ok(Buffer.concat(s.client.received).equals(s.stream.subarray(0, s.sent)), `session ${s.id}'s client got other bytes than its server sent`);
    s.reads.close();
  }
});

test('sessions relayed at the same time each get their server bytes exactly, a slow reader included', async () => {
  const length = 4 * 1024 * 1024 + 123;
  const server = await patternServer(length);
  const e = await startTcpListen(server.port);
  try {
    const ids = [1, 2, 3, 4];
    const answers = await Promise.all(ids.map((id) => receive(e.port, id, id === 1)));
    for (const [i, id] of ids.entries()) {
      assert.equal(answers[i]!.length, length, `stream ${id} length`);
      assert.ok(answers[i]!.equals(pattern(id, length)), `stream ${id} bytes differ from what the server sent`);
    }
    await waitFor('4 sessions logged', () => e.logs.length === 4);
    for (const line of e.logs) assert.match(line, new RegExp(` db db/s1 \\d+/\\d+/\\d+ ${length} -- `));
    // The 64 KiB read buffers went back to the free list once the sessions were over.
    assert.ok(spareReadBuffers() > 0, 'no read buffer was given back for reuse');
  } finally {
    await e.stop();
    await server.close();
  }
});

test('bytes queued for a client that does not read are not overwritten by later reads', async () => {
  // Each write on its own turn of the event loop, so the proxy reads them one by one: small ones
  // into the shared buffer, the rest of big ones into a session's own buffer. The clients read
  // nothing at first, so the proxy's writes to them queue while it goes on reading.
  const length = 12 * 1024 * 1024;
  const sizes = [70_000, 1000, 3000, 65_536, 100, 9000, 4095, 20_000];
  const server = await startRawServer((s) => {
    s.once('data', (d: Buffer) => {
      const data = pattern(d[0]!, length);
      let at = 0;
      let i = 0;
      const next = (): void => {
        if (s.destroyed) return;
        if (at >= data.length) return void s.end();
        const n = Math.min(sizes[i++ % sizes.length]!, data.length - at);
        const ok = s.write(data.subarray(at, at + n));
        at += n;
        if (ok) setImmediate(next);
        else s.once('drain', next);
      };
      next();
    });
    s.on('error', () => s.destroy());
  });
  const e = await startTcpListen(server.port);
  try {
    const ids = [5, 6];
    const answers = await Promise.all(ids.map((id) => new Promise<Buffer>((resolve, reject) => {
      const socket = net.connect({ port: e.port, host: '127.0.0.1' }, () => socket.write(Buffer.from([id])));
      socket.pause();
      setTimeout(() => socket.resume(), 400);
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks)));
      socket.on('error', reject);
    })));
    for (const [i, id] of ids.entries()) {
      assert.equal(answers[i]!.length, length, `stream ${id} length`);
      assert.ok(answers[i]!.equals(pattern(id, length)), `stream ${id} bytes differ from what the server sent`);
    }
  } finally {
    await e.stop();
    await server.close();
  }
});

test('many small exchanges on one session are relayed whole and in order', async () => {
  // An echo server: each message comes back as it was sent.
  const server = await startRawServer((s) => {
    s.on('data', (d: Buffer) => s.write(d));
    s.on('end', () => s.end());
    s.on('error', () => s.destroy());
  });
  const e = await startTcpListen(server.port);
  try {
    const socket = net.connect({ port: e.port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    let pending: Buffer[] = [];
    let wanted = 0;
    let onEnough: (() => void) | undefined;
    socket.on('data', (c: Buffer) => {
      pending.push(c);
      if (Buffer.concat(pending).length >= wanted) onEnough?.();
    });
    for (let i = 0; i < 200; i++) {
      const message = pattern(i, 1 + ((i * 977) % 5000));
      pending = [];
      wanted = message.length;
      const got = new Promise<void>((resolve) => { onEnough = resolve; });
      socket.write(message);
      await got;
      assert.ok(Buffer.concat(pending).equals(message), `message ${i} came back changed`);
    }
    socket.end();
  } finally {
    await e.stop();
    await server.close();
  }
});

test('a client that stops reading stops the server (backpressure), and then gets everything', async () => {
  const length = 96 * 1024 * 1024;
  const block = pattern(9, 1024 * 1024);
  let serverSocket: net.Socket | undefined;
  const server = await startRawServer((s) => {
    serverSocket = s;
    writeRepeated(s, block, length);
    s.on('error', () => s.destroy());
  });
  const e = await startTcpListen(server.port);
  const socket = net.connect({ port: e.port, host: '127.0.0.1' });
  try {
    socket.pause();
    await waitFor('the server connection', () => serverSocket !== undefined);
    await new Promise((r) => setTimeout(r, 500));
    // Kernel buffers on both legs hold a few MiB; without backpressure the proxy would take it all.
    const writtenWhilePaused = serverSocket!.bytesWritten;
    assert.ok(writtenWhilePaused < length / 2, `the server wrote ${writtenWhilePaused} bytes while the client read none`);
    let got = 0;
    let same = true;
    socket.on('data', (c: Buffer) => {
      for (let at = 0; at < c.length && same; ) {
        const offset = (got + at) % block.length;
        const n = Math.min(c.length - at, block.length - offset);
        same = c.subarray(at, at + n).equals(block.subarray(offset, offset + n));
        at += n;
      }
      got += c.length;
    });
    socket.resume();
    await new Promise<void>((resolve, reject) => { socket.once('end', resolve); socket.once('error', reject); });
    assert.equal(got, length);
    assert.ok(same, 'the relayed bytes differ from what the server sent');
  } finally {
    socket.destroy();
    await e.stop();
    await server.close();
  }
});

test('a TLS client of a tcp-mode frontend that reads slowly gets a large response intact', async () => {
  const length = 6 * 1024 * 1024 + 7;
  const server = await patternServer(length);
  const port = await freePort();
  const e = await startEngine(`
defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s
listen db
    bind 127.0.0.1:${port} ssl crt ${certPath('site.pem')}
    server s1 127.0.0.1:${server.port}
`);
  try {
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const socket = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => socket.write(Buffer.from([8])));
      const chunks: Buffer[] = [];
      let got = 0;
      let nextPause = 1024 * 1024;
      socket.on('data', (c: Buffer) => {
        chunks.push(c);
        got += c.length;
        if (got >= nextPause) {
          nextPause += 1024 * 1024;
          socket.pause();
          setTimeout(() => socket.resume(), 50);
        }
      });
      socket.on('end', () => resolve(Buffer.concat(chunks)));
      socket.on('error', reject);
    });
    assert.equal(answer.length, length);
    assert.ok(answer.equals(pattern(8, length)), 'the relayed bytes differ from what the server sent');
  } finally {
    await e.stop();
    await server.close();
  }
});

test('a socket buffer a pending direct write refers to is not handed to another session to read into', async () => {
  // A real sink (written through its handle, direct-write.ts) whose peer does not read yet.
  const listener = net.createServer({ pauseOnConnect: true }).listen(0, '127.0.0.1');
  await new Promise((resolve) => listener.once('listening', resolve));
  const sink = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  const peer = await new Promise<net.Socket>((resolve) => listener.once('connection', resolve));
  await new Promise((resolve) => sink.once('connect', resolve));
  const received: Buffer[] = [];
  peer.on('data', (c: Buffer) => received.push(c));
  const reads = new ReusedReads();
  const other = new ReusedReads();
  try {
    reads.start({ sink, source: new FakeServer() as unknown as net.Socket, onChunk: () => {} });
    const stream = pattern(1, 4095 + 65_536 + 1000);
    const read = (from: number, length: number): void => {
      const buffer = reads.onread.buffer();
      stream.copy(buffer, 0, from, from + length);
      reads.onread.callback(length, buffer);
    };
    read(0, 4095); // fills the shared buffer: the next read goes into the session's own
    read(4095, 65_536); // fills its own buffer; the kernel takes both writes whole
    // Other bytes written straight to libuv fill the connection: what the session writes next waits behind them.
    const filler = pattern(9, 32 * 1024 * 1024);
    assert.equal(directWriter(sink, () => {})!(filler), 'pending');
    read(4095 + 65_536, 1000); // not full, into the session's own buffer: its write is pending and refers to that buffer
    reads.onread.buffer(); // the session goes back to the shared buffer
    // Another session starts streaming: it takes a 64 KiB buffer from the free list and reads into it.
    other.onread.callback(other.onread.buffer().length, other.onread.buffer());
    other.onread.buffer().fill(0x55);
    peer.resume();
    const expected = Buffer.concat([stream.subarray(0, 4095 + 65_536), filler, stream.subarray(4095 + 65_536)]);
    await waitFor('everything relayed', () => received.reduce((n, c) => n + c.length, 0) === expected.length, 20_000);
    assert.ok(Buffer.concat(received).equals(expected), 'the pending write sent bytes another session read over them');
  } finally {
    reads.close();
    other.close();
    sink.destroy();
    peer.destroy();
    listener.close();
  }
});

test('a small read whose direct write is pending keeps its bytes while other sessions relay small reads', async () => {
  const listener = net.createServer({ pauseOnConnect: true }).listen(0, '127.0.0.1');
  await new Promise((resolve) => listener.once('listening', resolve));
  const port = (listener.address() as net.AddressInfo).port;
  const connectPair = async (): Promise<[net.Socket, net.Socket]> => {
    const sink = net.connect(port, '127.0.0.1');
    const peer = await new Promise<net.Socket>((resolve) => listener.once('connection', resolve));
    await new Promise((resolve) => sink.once('connect', resolve));
    return [sink, peer];
  };
  const [sink, peer] = await connectPair();
  const [otherSink, otherPeer] = await connectPair();
  const received: Buffer[] = [];
  const otherReceived: Buffer[] = [];
  peer.on('data', (c: Buffer) => received.push(c));
  otherPeer.on('data', (c: Buffer) => otherReceived.push(c));
  otherPeer.resume();
  const reads = new ReusedReads();
  const other = new ReusedReads();
  const readSmall = (session: ReusedReads, bytes: Buffer): void => {
    const buffer = session.onread.buffer();
    bytes.copy(buffer);
    session.onread.callback(bytes.length, buffer);
  };
  try {
    reads.start({ sink, source: new FakeServer() as unknown as net.Socket, onChunk: () => {} });
    other.start({ sink: otherSink, source: new FakeServer() as unknown as net.Socket, onChunk: () => {} });
    const filler = pattern(9, 32 * 1024 * 1024);
    assert.equal(directWriter(sink, () => {})!(filler), 'pending');
    const mine = pattern(1, 100);
    readSmall(reads, mine); // copied out of the shared buffer; its write waits behind the filler
    // Other sessions' small reads of the same length are copied out and written while it waits.
    const theirs = Array.from({ length: 20 }, (_, i) => pattern(20 + i, 100));
    for (const bytes of theirs) readSmall(other, bytes);
    peer.resume();
    const expected = Buffer.concat([filler, mine]);
    await waitFor('everything relayed', () => received.reduce((n, c) => n + c.length, 0) === expected.length, 20_000);
    assert.ok(Buffer.concat(received).equals(expected), 'the pending small write sent bytes another session copied over them');
    await waitFor('the other session relayed', () => otherReceived.reduce((n, c) => n + c.length, 0) === 2000, 5000);
    assert.ok(Buffer.concat(otherReceived).equals(Buffer.concat(theirs)));
  } finally {
    reads.close();
    other.close();
    for (const s of [sink, peer, otherSink, otherPeer]) s.destroy();
    listener.close();
  }
});
