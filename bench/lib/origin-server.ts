/**
 * Benchmark origin server, run as its own process (pinned next to wrk, away
 * from the proxy under test). Listens on 127.0.0.1 port 0 once per body size
 * and answers every request with 200 and a fixed body of that many bytes,
 * keep-alive. Prints `ORIGIN <size>=<port> ...` when ready.
 *
 *   node --import tsx bench/lib/origin-server.ts [--impl raw|http] [--sizes 100,65536]
 *
 * impl=raw  (default): `net` sockets; a request ends at each CRLFCRLF. This is
 *           only valid for body-less requests (GET/HEAD), which is all the
 *           benchmarks send; it handles pipelining and split reads. It exists
 *           because node:http's own per-request cost would make the origin,
 *           which shares a core with wrk, the bottleneck.
 * impl=http: plain node:http with minimal work, for comparison.
 * --chunked N (raw only): the body as chunks of N bytes (`Transfer-Encoding: chunked`), as an
 *           application server streaming its answer writes it, instead of a Content-Length.
 */
import http from 'node:http';
import net from 'node:net';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : def;
}

const impl = arg('impl', 'raw');
const sizes = arg('sizes', '100,65536').split(',').map(Number);
const chunkSize = Number(arg('chunked', '0'));

function body(size: number): Buffer {
  const b = Buffer.alloc(size, 'x');
  if (size > 0) b[size - 1] = 0x0a;
  return b;
}

function responseBytes(size: number): Buffer {
  if (chunkSize > 0) return chunkedResponseBytes(size, chunkSize);
  const head = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${size}\r\nConnection: keep-alive\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body(size)]);
}

function chunkedResponseBytes(size: number, piece: number): Buffer {
  const b = body(size);
  const parts: Buffer[] = [Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n', 'latin1')];
  for (let at = 0; at < size; at += piece) {
    const data = b.subarray(at, Math.min(size, at + piece));
    parts.push(Buffer.from(`${data.length.toString(16)}\r\n`, 'latin1'), data, Buffer.from('\r\n', 'latin1'));
  }
  parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
  return Buffer.concat(parts);
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

function rawServer(size: number): net.Server {
  const resp = responseBytes(size);
  return net.createServer({ noDelay: true }, (sock) => {
    // keep the last 3 bytes of the previous chunk, so a CRLFCRLF split across reads is found
    let tail: Buffer = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      const data = tail.length ? Buffer.concat([tail, chunk]) : chunk;
      let n = 0;
      let from = 0;
      let i: number;
      while ((i = data.indexOf(CRLFCRLF, from)) >= 0) { n++; from = i + 4; }
      const keep = Math.min(3, data.length - from);
      tail = keep > 0 ? Buffer.from(data.subarray(data.length - keep)) : Buffer.alloc(0);
      if (n === 1) sock.write(resp);
      else if (n > 1) {
        sock.cork();
        for (let k = 0; k < n; k++) sock.write(resp);
        sock.uncork();
      }
    });
    sock.on('error', () => sock.destroy());
  });
}

function httpServer(size: number): http.Server {
  const b = body(size);
  const headers = { 'Content-Type': 'text/plain', 'Content-Length': String(size) };
  const srv = http.createServer({ keepAliveTimeout: 60_000 }, (_req, res) => {
    res.writeHead(200, headers);
    res.end(b);
  });
  srv.keepAliveTimeout = 60_000;
  return srv;
}

async function main(): Promise<void> {
  const ports: string[] = [];
  for (const size of sizes) {
    const srv: net.Server = impl === 'http' ? httpServer(size) : rawServer(size);
    await new Promise<void>((resolve) => srv.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
    ports.push(`${size}=${(srv.address() as net.AddressInfo).port}`);
  }
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
  console.log(`ORIGIN ${impl} ${ports.join(' ')}`);
}

void main();
