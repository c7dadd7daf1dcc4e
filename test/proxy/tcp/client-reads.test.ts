import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { certPath } from '../../helpers/tls.ts';
import { readFileSync } from 'node:fs';
import { startRawServer, startTcpListen, waitFor } from '../../helpers/net.ts';
import { pattern, writeInPieces, writeRepeated } from '../../helpers/streams.ts';
import { adoptReads, clientReadsAvailable } from '../../../proxy/tcp/client-reads.ts';


/** A connected pair: `accepted` is what a net.Server handed over, `peer` the other end. */
async function acceptedPair(): Promise<{ accepted: net.Socket; peer: net.Socket; close(): void }> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const peer = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const [accepted] = (await once(server, 'connection')) as [net.Socket];
  return { accepted, peer, close: () => { accepted.destroy(); peer.destroy(); server.close(); } };
}

test('this Node exposes the onread fields client-reads.ts needs (else every TCP client falls back to data events)', () => {
  assert.ok(clientReadsAvailable());
});

test('an accepted socket given onread reads into the caller\'s buffers, pauses and resumes, and still ends on FIN', async () => {
  const { accepted, peer, close } = await acceptedPair();
  try {
    const buffers = [Buffer.alloc(8), Buffer.alloc(8)];
    let next = 0;
    const got: string[] = [];
    const adopted = adoptReads(accepted, {
      buffer: () => buffers[next++ % 2]!,
      callback: (bytes, buffer) => {
        assert.ok(buffers.some((b) => b === buffer), 'a read landed outside the buffers given');
        got.push(Buffer.from(buffer.subarray(0, bytes)).toString());
        return true;
      },
    });
    assert.ok(adopted);
    accepted.on('data', () => assert.fail('a read came as a data event'));
    const ended = once(accepted, 'end');
    peer.write('0123456789abcdef!');
    await waitFor('17 bytes', () => got.join('').length === 17);
    assert.equal(got.join(''), '0123456789abcdef!');
    accepted.pause();
    peer.write('later');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(got.join('').length, 17, 'a paused socket went on reading');
    accepted.resume();
    await waitFor('the bytes sent while paused', () => got.join('').endsWith('later'));
    peer.end();
    await ended;
  } finally {
    close();
  }
});

test('a TLS socket or a destroyed one is left to data events', async () => {
  const { accepted, peer, close } = await acceptedPair();
  const onread = { buffer: () => Buffer.alloc(16), callback: () => true };
  try {
    const pem = readFileSync(certPath('site.pem'));
    const secure = new tls.TLSSocket(accepted, { isServer: true, key: pem, cert: pem });
    assert.equal(adoptReads(secure, onread), false);
    secure.destroy();
    peer.destroy();
    assert.equal(adoptReads(accepted, onread), false);
  } finally {
    close();
  }
});

test('large uploads from several clients reach a slow server intact, with backpressure', async () => {
  const length = 6 * 1024 * 1024 + 11;
  // Around the relay's read sizes (4095 shared, 64 KiB own).
  const sizes = [100, 4095, 4096, 70_000, 65_536, 1, 9000, 200_000];
  // The server checks what it got (a stream id, then that id's pattern) and says so; it reads slowly.
  const server = await startRawServer((s) => {
    const got: Buffer[] = [];
    let total = 0;
    let nextPause = 1024 * 1024;
    s.on('data', (c: Buffer) => {
      got.push(c);
      total += c.length;
      if (total >= nextPause) {
        nextPause += 1024 * 1024;
        s.pause();
        setTimeout(() => s.resume(), 40);
      }
    });
    s.on('end', () => {
      const all = Buffer.concat(got);
      s.end(`${all.subarray(1).equals(pattern(all[0]!, length)) ? 'same' : 'differs'} ${all.length - 1}`);
    });
    s.on('error', () => s.destroy());
  });
  const e = await startTcpListen(server.port);
  try {
    const ids = [1, 2, 3, 4];
    const answers = await Promise.all(ids.map((id) => new Promise<string>((resolve, reject) => {
      const data = Buffer.concat([Buffer.from([id]), pattern(id, length)]);
      const socket = net.connect({ port: e.port, host: '127.0.0.1', allowHalfOpen: true }, () => writeInPieces(socket, data, sizes));
      const reply: Buffer[] = [];
      socket.on('data', (c: Buffer) => reply.push(c));
      socket.on('end', () => { socket.end(); resolve(Buffer.concat(reply).toString()); });
      socket.on('error', reject);
    })));
    for (const [i, id] of ids.entries()) assert.equal(answers[i], `same ${length}`, `upload ${id}`);
    await waitFor('4 sessions logged', () => e.logs.length === 4);
    for (const line of e.logs) assert.match(line, / db db\/s1 \d+\/\d+\/\d+ \d+ -- /);
  } finally {
    await e.stop();
    await server.close();
  }
});

test('a server that stops reading stops the client (backpressure), and then gets everything', async () => {
  const length = 64 * 1024 * 1024;
  const block = pattern(3, 1024 * 1024);
  let serverSocket: net.Socket | undefined;
  let got = 0;
  let same = true;
  const server = await startRawServer((s) => {
    serverSocket = s;
    s.pause();
    s.on('data', (c: Buffer) => {
      for (let at = 0; at < c.length && same; ) {
        const offset = (got + at) % block.length;
        const n = Math.min(c.length - at, block.length - offset);
        same = c.subarray(at, at + n).equals(block.subarray(offset, offset + n));
        at += n;
      }
      got += c.length;
    });
    s.on('end', () => s.end());
    s.on('error', () => s.destroy());
  });
  const e = await startTcpListen(server.port);
  const socket = net.connect({ port: e.port, host: '127.0.0.1', allowHalfOpen: true });
  try {
    const progress = { sent: 0 };
    socket.once('connect', () => writeRepeated(socket, block, length, progress));
    await waitFor('the server connection', () => serverSocket !== undefined);
    await new Promise((r) => setTimeout(r, 500));
    // Kernel buffers on both legs hold a few MiB; without backpressure the proxy would take it all.
    assert.ok(progress.sent < length / 2, `the client got ${progress.sent} bytes written while the server read none`);
    serverSocket!.resume();
    await new Promise<void>((resolve, reject) => { socket.once('end', resolve); socket.once('error', reject); socket.resume(); });
    assert.equal(got, length);
    assert.ok(same, 'the relayed bytes differ from what the client sent');
  } finally {
    socket.destroy();
    await e.stop();
    await server.close();
  }
});
