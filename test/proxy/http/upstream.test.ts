/**
 * Response bodies relayed raw from reused read buffers (proxy/http/upstream.ts,
 * RAW_BODY_MIN; proxy/runtime/read-buffers.ts): every byte arrives intact when
 * buffers are reused across connections and lent to slow clients' writes, bodies
 * split anywhere across reads, and llhttp still decides where a response ends.
 * Small bodies are taken from the read that ends with them (no copy by llhttp's
 * body callback): every shape of head and read gives the same bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { startNamedServer, startRawServer, startEngine, freePort, rawExchange, waitFor, HTTP_DEFAULTS } from '../../helpers/net.ts';
import { RAW_BODY_MIN, emptyLineEnd } from '../../../proxy/http/upstream.ts';
import { spareReadBuffers } from '../../../proxy/runtime/read-buffers.ts';

async function engineTo(port: number) {
  return startEngine(`${HTTP_DEFAULTS}
frontend web
    bind 127.0.0.1:${await freePort()}
    option httplog
    default_backend app
backend app
    server s1 127.0.0.1:${port}
`);
}

/** A body whose every byte depends on `seed` and its position, so a byte from another response shows. */
/** An origin answering `/<size>-<seed>` with that many patterned bytes and their Content-Length. */
function patternedOrigin(name: string): ReturnType<typeof startNamedServer> {
  return startNamedServer(name, (req, res) => {
    const [size, seed] = (req.url ?? '').slice(1).split('-').map(Number);
    res.setHeader('content-length', size!);
    res.end(patterned(size!, seed!));
  });
}

function patterned(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** GET over a keep-alive agent; the reader may pause between chunks (a slow client). */
function fetchBody(port: number, path: string, agent: http.Agent, slow: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        if (slow && chunks.length % 3 === 0) {
          res.pause();
          setTimeout(() => res.resume(), 5);
        }
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    }).on('error', reject);
  });
}

test('concurrent big bodies, half of them to slow readers, arrive byte for byte while read buffers are reused', async () => {
  const stackTraceLimit = Error.stackTraceLimit;
  const sizes = [RAW_BODY_MIN, RAW_BODY_MIN + 1, 64 * 1024 + 7, 300_000, 1_000_003, 5_000];
  const origin = await patternedOrigin('big');
  const e = await engineTo(origin.port);
  try {
    const clients = Array.from({ length: 12 }, (_, c) => (async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let i = 0; i < 6; i++) {
          const size = sizes[(c + i) % sizes.length]!;
          const seed = c * 100 + i;
          const body = await fetchBody(e.port, `/${size}-${seed}`, agent, c % 2 === 0);
          assert.equal(body.length, size, `client ${c} request ${i}: length`);
          assert.equal(digest(body), digest(patterned(size, seed)), `client ${c} request ${i}: content`);
        }
      } finally {
        agent.destroy();
      }
    })());
    await Promise.all(clients);
    assert.ok(spareReadBuffers() <= 32, `the free list stays bounded (${spareReadBuffers()})`);
    // Each raw relay paused llhttp without a stack trace for the binding's Error (llhttp.ts): the
    // process's own errors have their stacks again.
    assert.equal(Error.stackTraceLimit, stackTraceLimit);
    assert.match(new Error('after').stack ?? '', /\n\s+at /);
    await waitFor('72 log lines', () => e.logs.length === 72);
    assert.ok(e.logs.every((l) => / 200 \d+ - - ---- /.test(l)), e.logs.find((l) => !/ 200 \d+ - - ---- /.test(l)));
  } finally {
    await e.stop();
    await origin.close();
  }
});

test('a client that stops reading keeps the buffers its queued writes refer to while other responses reuse the rest', async () => {
  // End to end (the lending rule itself is unit-tested in test/proxy/runtime/read-buffers.test.ts):
  // the origin writes in pieces, so that many of the engine's reads leave their buffer not full.
  const origin = await startNamedServer('pieces', async (req, res) => {
    const [size, seed] = (req.url ?? '').slice(1).split('-').map(Number);
    res.setHeader('content-length', size!);
    const body = patterned(size!, seed!);
    for (let at = 0; at < body.length; at += 20_000) {
      if (!res.write(body.subarray(at, at + 20_000))) await new Promise((r) => res.once('drain', r));
      else await new Promise((r) => setTimeout(r, 1));
    }
    res.end();
  });
  const e = await engineTo(origin.port);
  try {
    // 12 MB is more than loopback's socket buffers hold: the engine's writes to this client queue.
    const size = 12 * 1024 * 1024;
    const stalled = new Promise<Buffer>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: e.port, path: `/${size}-7`, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.pause();
        setTimeout(() => res.resume(), 400);
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      }).on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 100)); // the stalled response fills the socket buffers first
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    await Promise.all(Array.from({ length: 10 }, async (_, i) => {
      const body = await fetchBody(e.port, `/${200_000 + i}-${50 + i}`, agent, false);
      assert.equal(digest(body), digest(patterned(200_000 + i, 50 + i)), `response ${i}`);
    }));
    agent.destroy();
    const body = await stalled;
    assert.equal(body.length, size);
    assert.ok(body.equals(patterned(size, 7)), 'the stalled client\'s body is intact');
  } finally {
    await e.stop();
    await origin.close();
  }
});

test('a body split across many reads, then the next response on the same server connection', async () => {
  const body1 = patterned(RAW_BODY_MIN * 3 + 11, 1);
  const body2 = patterned(RAW_BODY_MIN + 5, 2);
  let connections = 0;
  const server = await startRawServer((s) => {
    connections++;
    let requests = 0;
    s.on('data', async () => {
      requests++;
      const body = requests === 1 ? body1 : body2;
      const head = Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
      // The head with a few body bytes, then odd-sized pieces with pauses between them.
      const whole = Buffer.concat([head, body]);
      const cuts = [head.length + 3, head.length + 4000, head.length + 20_000, whole.length - 1, whole.length];
      let from = 0;
      for (const cut of cuts) {
        s.write(whole.subarray(from, cut));
        from = cut;
        await new Promise((r) => setTimeout(r, 5));
      }
    });
  });
  const e = await engineTo(server.port);
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal(digest(await fetchBody(e.port, '/a', agent, false)), digest(body1));
    assert.equal(digest(await fetchBody(e.port, '/b', agent, false)), digest(body2));
    agent.destroy();
    assert.equal(connections, 1, 'the server connection was kept alive and reused');
  } finally {
    await e.stop();
    await server.close();
  }
});

test('bytes after a complete response end the server connection; the client still gets its response whole', async () => {
  const body = patterned(RAW_BODY_MIN + 100, 3);
  let connections = 0;
  const server = await startRawServer((s) => {
    connections++;
    s.on('data', () => {
      s.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`), body, Buffer.from('garbage after the body')]));
    });
  });
  const e = await engineTo(server.port);
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal(digest(await fetchBody(e.port, '/1', agent, false)), digest(body));
    assert.equal(digest(await fetchBody(e.port, '/2', agent, false)), digest(body));
    agent.destroy();
    assert.equal(connections, 2, 'a server that talked past its response is not reused');
  } finally {
    await e.stop();
    await server.close();
  }
});

test('a server closing right after a read that filled the read buffer: the bytes of that read still reach the client', async () => {
  // 4095 bytes (the shared read buffer's size) and the FIN: libuv reads again at once, so the end
  // comes in the same event-loop turn as the bytes, which wait for the turn's end (write-batch.ts).
  const head = `HTTP/1.1 200 OK\r\ncontent-length: 10000\r\n\r\n`;
  const partial = patterned(4095 - head.length, 5);
  const server = await startRawServer((s) => {
    s.on('data', () => s.end(Buffer.concat([Buffer.from(head), partial])));
  });
  const e = await engineTo(server.port);
  try {
    const answer = await rawExchange(e.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(answer, /^HTTP\/1.1 200 OK\r\n/);
    const body = Buffer.from(answer.slice(answer.indexOf('\r\n\r\n') + 4), 'latin1');
    assert.equal(digest(body), digest(partial), `${body.length} of ${partial.length} bytes`);
    await waitFor('the log line', () => e.logs.length === 1);
    assert.match(e.logs[0]!, / SD-- /);
  } finally {
    await e.stop();
    await server.close();
  }
});

test('a server closing in the middle of a big body: the client connection is cut and the log says SD', async () => {
  const server = await startRawServer((s) => {
    s.on('data', () => {
      s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${RAW_BODY_MIN * 4}\r\n\r\n`);
      s.end(patterned(RAW_BODY_MIN, 4));
    });
  });
  const e = await engineTo(server.port);
  try {
    const answer = await rawExchange(e.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(answer, /^HTTP\/1.1 200 OK\r\n/);
    const bodyBytes = Buffer.byteLength(answer.slice(answer.indexOf('\r\n\r\n') + 4), 'latin1');
    assert.equal(bodyBytes, RAW_BODY_MIN);
    await waitFor('the log line', () => e.logs.length === 1);
    assert.match(e.logs[0]!, / SD-- /);
  } finally {
    await e.stop();
    await server.close();
  }
});

test('HEAD, 204 and 304 answers with a big Content-Length carry no body and leave the connection usable', async () => {
  let connections = 0;
  const server = await startRawServer((s) => {
    connections++;
    let n = 0;
    s.on('data', () => {
      const status = ['200 OK', '204 No Content', '304 Not Modified', '200 OK'][n++ % 4];
      const tail = n === 4 ? 'tail' : '';
      s.write(`HTTP/1.1 ${status}\r\ncontent-length: ${n === 4 ? 4 : RAW_BODY_MIN * 2}\r\n\r\n${tail}`);
    });
  });
  const e = await engineTo(server.port);
  try {
    const client = net.connect(e.port, '127.0.0.1');
    let received = '';
    client.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const paths = [['HEAD', '/h'], ['GET', '/204'], ['GET', '/304'], ['GET', '/last']];
    for (const [i, [method, path]] of paths.entries()) {
      client.write(`${method} ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      await waitFor(`${method} ${path}`, () => received.split('HTTP/1.1 ').length - 1 === i + 1 && received.endsWith(i === 3 ? 'tail' : '\r\n\r\n'));
    }
    client.destroy();
    assert.equal(connections, 1);
    assert.deepEqual(received.match(/HTTP\/1.1 \d+/g), ['HTTP/1.1 200', 'HTTP/1.1 204', 'HTTP/1.1 304', 'HTTP/1.1 200']);
    assert.equal(received.replace(/HTTP\/1.1 [^]*?\r\n\r\n/g, ''), 'tail', 'no body bytes but the last response\'s');
  } finally {
    await e.stop();
    await server.close();
  }
});

test('emptyLineEnd: just past the first empty line, in every line-end style, or -1 before the limit', () => {
  const b = (s: string) => Buffer.from(s, 'latin1');
  assert.equal(emptyLineEnd(b('HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody'), 100), 25);
  assert.equal(emptyLineEnd(b('HTTP/1.1 200 OK\nA: b\n\nbody'), 100), 22);
  assert.equal(emptyLineEnd(b('HTTP/1.1 200 OK\nA: b\n\r\nbody'), 100), 23);
  // A fold is not an empty line; an empty line in the body after the head's does not count.
  assert.equal(emptyLineEnd(b('HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n\r\n\r\n'), 100), 29);
  // Not ended by the limit: -1, also when only the LF CR of LF CR LF is before it.
  assert.equal(emptyLineEnd(b('HTTP/1.1 200 OK\r\n\r\n'), 18), -1);
  assert.equal(emptyLineEnd(b('HTTP/1.1 200 OK\r\n\r\n'), 19), 19);
  assert.equal(emptyLineEnd(b('HTTP/1.1 200 OK\r\nA: b\r\n'), 100), -1);
});

test('small bodies taken from the read they end: every head shape and split gives the server\'s bytes, on one server connection', async () => {
  const head = (len: number) => `HTTP/1.1 200 OK\r\ncontent-length: ${len}\r\n\r\n`;
  const many = Array.from({ length: 40 }, (_, i) => `x-field-${i}: ${i}\r\n`).join('');
  /** Each response as the pieces the server writes (a pause between them makes separate reads). */
  const cases: { name: string; body: Buffer; pieces: (string | Buffer)[] }[] = [];
  const add = (name: string, body: string | Buffer, pieces: (b: Buffer) => (string | Buffer)[]) => {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1');
    cases.push({ name, body: bytes, pieces: pieces(bytes) });
  };
  add('CR LF line ends', 'hello', (b) => [Buffer.concat([Buffer.from(head(b.length)), b])]);
  add('LF line ends', 'hello', (b) => [Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\ncontent-length: ${b.length}\n\n`), b])]);
  add('LF, then CR LF to end the head', 'hello', (b) => [Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\ncontent-length: ${b.length}\n\r\n`), b])]);
  add('a body that begins with empty lines', '\r\n\r\n\n\nab', (b) => [Buffer.concat([Buffer.from(head(b.length)), b])]);
  add('a body that looks like a response', 'HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc', (b) => [Buffer.concat([Buffer.from(head(b.length)), b])]);
  add('a folded field', 'folded', (b) => [Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nx-a: 1\r\n 2\r\ncontent-length: ${b.length}\r\n\r\n`), b])]);
  add('40 fields (llhttp hands them over in two batches)', 'many', (b) => [Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\n${many}content-length: ${b.length}\r\n\r\n`), b])]);
  add('the head, then the body in a later read', 'later', (b) => [head(b.length), b]);
  add('the body split, its second read looking like a response', 'xyHTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc', (b) => [Buffer.concat([Buffer.from(head(b.length)), b.subarray(0, 2)]), b.subarray(2)]);
  add('a status line split from the rest', 'split', (b) => ['HTTP/1.1 2', `00 OK\r\ncontent-length: ${b.length}\r\n\r\n${b.toString('latin1')}`]);
  add('the biggest small body', patterned(RAW_BODY_MIN - 1, 7), (b) => [Buffer.concat([Buffer.from(head(b.length)), b])]);
  add('an empty body', '', (b) => [head(b.length)]);
  let connections = 0;
  const server = await startRawServer((s) => {
    connections++;
    let n = 0;
    s.on('data', async () => {
      for (const piece of cases[n++]!.pieces) {
        s.write(piece);
        await new Promise((r) => setTimeout(r, 20));
      }
    });
  });
  const e = await engineTo(server.port);
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (const c of cases) assert.equal((await fetchBody(e.port, '/', agent, false)).toString('latin1'), c.body.toString('latin1'), c.name);
    agent.destroy();
    assert.equal(connections, 1, 'the server connection served every response');
  } finally {
    await e.stop();
    await server.close();
  }
});

test('a slow reader\'s big bodies, written straight to its socket and waiting there, arrive byte for byte while others share its one server connection', async () => {
  // Big body chunks go straight to the client's handle (proxy/runtime/direct-body.ts). One that has
  // to wait for the slow client stops the reads from the server until it has left; the server
  // connection then serves the other clients' requests in between (the lending of the read buffer
  // to such a write is unit-tested in test/proxy/runtime/direct-body.test.ts).
  const origin = await patternedOrigin('shared');
  const e = await startEngine(`${HTTP_DEFAULTS}
frontend web
    bind 127.0.0.1:${await freePort()}
    default_backend app
backend app
    http-reuse always
    server s1 127.0.0.1:${origin.port} maxconn 1
`);
  /** Reads in small bites with pauses: the engine's writes to it wait in libuv now and then. */
  const trickle = (path: string): Promise<Buffer> => new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: e.port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        res.pause();
        setTimeout(() => res.resume(), 2);
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    }).on('error', reject);
  });
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    for (let round = 0; round < 4; round++) {
      const size = 8_000_000 + round * 65_537;
      const slow = trickle(`/${size}-${round}`);
      const fast = Array.from({ length: 3 }, (_, i) => fetchBody(e.port, `/${200_003 + i}-${100 + round * 10 + i}`, agent, false)
        .then((body) => assert.equal(digest(body), digest(patterned(200_003 + i, 100 + round * 10 + i)), `round ${round}, fast response ${i}`)));
      const body = await slow;
      assert.equal(body.length, size);
      assert.equal(digest(body), digest(patterned(size, round)), `round ${round}: the slow reader's body is intact`);
      await Promise.all(fast);
    }
    agent.destroy();
  } finally {
    await e.stop();
    await origin.close();
  }
});

test('big chunked bodies, framed again per read, arrive byte for byte to fast and slow readers', async () => {
  // Each read's chunks leave as one chunk through the client's stream (chunked bodies do not take
  // the direct writes of Content-Length ones, proxy/runtime/direct-body.ts); pieces of every size.
  const origin = await startNamedServer('chunked', async (req, res) => {
    const [size, seed, piece] = (req.url ?? '').slice(1).split('-').map(Number);
    const body = patterned(size!, seed!);
    for (let at = 0; at < body.length; at += piece!) {
      if (!res.write(body.subarray(at, at + piece!))) await new Promise((r) => res.once('drain', r));
    }
    res.end();
  });
  const e = await engineTo(origin.port);
  try {
    const cases = [[3_000_000, 1, 100_000], [1_000_003, 2, 4096], [70_000, 3, 20_000], [5_000, 4, 1000]] as const;
    await Promise.all([false, true].map(async (slow) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (const [size, seed, piece] of cases) {
          const body = await fetchBody(e.port, `/${size}-${seed}-${piece}`, agent, slow);
          assert.equal(body.length, size, `${slow ? 'slow' : 'fast'} reader, ${size} B: length`);
          assert.equal(digest(body), digest(patterned(size, seed)), `${slow ? 'slow' : 'fast'} reader, ${size} B: content`);
        }
      } finally {
        agent.destroy();
      }
    }));
  } finally {
    await e.stop();
    await origin.close();
  }
});

test('a big body to a client that asked to close: every byte arrives before the FIN, also to a slow reader', async () => {
  // The close (shutdown) waits behind body chunks written straight to the handle and still held by libuv.
  const origin = await patternedOrigin('closing');
  const e = await engineTo(origin.port);
  try {
    for (const [size, seed, slow] of [[6_000_000, 1, true], [300_000, 2, false], [6_000_000, 3, false]] as const) {
      const received = await new Promise<Buffer>((resolve, reject) => {
        const socket = net.connect(e.port, '127.0.0.1', () => socket.write(`GET /${size}-${seed} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`));
        const chunks: Buffer[] = [];
        if (slow) socket.pause();
        if (slow) setTimeout(() => socket.resume(), 300);
        socket.on('data', (d: Buffer) => chunks.push(d));
        socket.on('end', () => resolve(Buffer.concat(chunks)));
        socket.on('error', reject);
      });
      const split = received.indexOf('\r\n\r\n') + 4;
      assert.match(received.subarray(0, split).toString('latin1'), /^HTTP\/1\.1 200 /);
      const body = received.subarray(split);
      assert.equal(body.length, size, `${size} B (${slow ? 'slow' : 'fast'}): length`);
      assert.equal(digest(body), digest(patterned(size, seed)), `${size} B (${slow ? 'slow' : 'fast'}): content`);
    }
  } finally {
    await e.stop();
    await origin.close();
  }
});
