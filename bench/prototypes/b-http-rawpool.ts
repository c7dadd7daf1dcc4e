/**
 * Prototype B — node:http server on the client side; upstream connections are
 * raw net.Sockets from a small LIFO pool. The request head is written by hand;
 * the RESPONSE is framed by llhttp (Node's HTTPParser), never by hand.
 *
 *   node --import tsx bench/prototypes/b-http-rawpool.ts --port 0 --upstream 127.0.0.1:8000 [--consume]
 */
import http from 'node:http';
import net from 'node:net';
import { announce, parseArgs } from './common.ts';
import { HTTPParser, isContentLength, isHopByHop, kOnBody, kOnExecute, kOnHeaders, kOnHeadersComplete, kOnMessageComplete, type HTTPParserInstance } from './llhttp.ts';

const { port, upstreamHost, upstreamPort } = parseArgs();
// --consume: upstream reads go natively into llhttp (parser.consume(socket._handle)), see c-raw-llhttp.ts
const CONSUME = process.argv.includes('--consume');

class Upstream {
  readonly socket: net.Socket;
  readonly parser: HTTPParserInstance;
  res: http.ServerResponse | null = null;
  head = false;          // request was HEAD: response has no body
  keepAlive = false;
  idle = false;
  dead = false;
  flushed: string[] = [];

  constructor() {
    this.socket = net.connect({ host: upstreamHost, port: upstreamPort, noDelay: true });
    this.parser = new HTTPParser();
    this.parser.initialize(HTTPParser.RESPONSE, {}, 0, 0);
    const self = this;
    this.parser[kOnHeaders] = (headers: string[]) => { for (const h of headers) self.flushed.push(h); };
    this.parser[kOnHeadersComplete] = (_maj: number, _min: number, headers: string[] | undefined, _m: unknown, _u: unknown,
      status: number, msg: string, _upg: boolean, keepAlive: boolean): number => {
      if (headers === undefined) { headers = self.flushed; self.flushed = []; }
      self.keepAlive = keepAlive;
      const res = self.res;
      if (res === null) return 0;
      const out: string[] = [];
      for (let i = 0; i < headers.length; i += 2) if (!isHopByHop(headers[i])) out.push(headers[i], headers[i + 1]);
      res.writeHead(status, msg, out);
      return self.head ? 1 : 0;
    };
    this.parser[kOnBody] = (b: Buffer): void => {
      const res = self.res;
      if (res !== null && !res.write(b)) {
        self.socket.pause();
        res.once('drain', () => self.socket.resume());
      }
    };
    this.parser[kOnMessageComplete] = (): void => {
      self.flushed = []; // trailers (delivered through kOnHeaders) are dropped
      const res = self.res;
      self.res = null;
      if (res !== null) res.end();
      if (self.keepAlive) release(self); else self.socket.destroy();
    };
    const handle = (this.socket as unknown as { _handle: { isStreamBase?: boolean } | null })._handle;
    if (CONSUME && handle?.isStreamBase) {
      this.parser.consume(handle);
      this.parser[kOnExecute] = (r: number | Error): void => { if (typeof r !== 'number') self.fail(r); };
      this.socket.on('data', () => {}); // keep reading; data never reaches JS
    } else {
      // named so profiles can attribute its self time: it is llhttp's (execute() is not a frame of its own)
      this.socket.on('data', function llhttpExecute(chunk: Buffer) {
        const r = self.parser.execute(chunk);
        if (typeof r !== 'number') self.fail(r);
      });
    }
    this.socket.on('error', (e) => self.fail(e));
    this.socket.on('close', () => self.fail(new Error('upstream closed')));
  }

  fail(_err: Error): void {
    if (this.dead) return;
    this.dead = true;
    const res = this.res;
    this.res = null;
    if (this.idle) { const i = pool.indexOf(this); if (i >= 0) pool.splice(i, 1); this.idle = false; }
    if (!this.socket.destroyed) this.socket.destroy();
    // never free a parser synchronously: we may be inside its execute() (see c-raw-llhttp.ts)
    const p = this.parser;
    setImmediate(() => { if (CONSUME) p.unconsume(); p.close(); });
    if (res !== null) {
      if (!res.headersSent) { res.writeHead(502); res.end(); } else res.destroy();
    }
  }
}

const pool: Upstream[] = [];

function release(u: Upstream): void { u.idle = true; pool.push(u); }

function acquire(): Upstream {
  const u = pool.pop();
  if (u !== undefined) { u.idle = false; return u; }
  return new Upstream();
}

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  res.sendDate = false;
  // rawHeaders, not req.headers: the latter is built lazily and costs a few µs when touched
  const raw = req.rawHeaders;
  let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
  let chunked = false;
  let hasLength = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (isHopByHop(name)) { if (name.length === 17) chunked = true; continue; }
    if (!hasLength && isContentLength(name)) hasLength = true;
    head += `${name}: ${raw[i + 1]}\r\n`;
  }
  if (chunked) head += 'Transfer-Encoding: chunked\r\n';
  head += '\r\n';
  const u = acquire();
  u.res = res;
  u.head = req.method === 'HEAD';
  u.socket.write(head, 'latin1');
  if (hasLength || chunked) {
    // bodies: forward as they come (GET-only benchmarks never get here)
    req.on('data', (d: Buffer) => {
      if (chunked) u.socket.write(`${d.length.toString(16)}\r\n`);
      u.socket.write(d);
      if (chunked) u.socket.write('\r\n');
    });
    if (chunked) req.on('end', () => u.socket.write('0\r\n\r\n'));
  }
  res.on('close', () => { if (u.res === res) { u.res = null; u.fail(new Error('client went away')); } });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => announce(server, 'B node:http + raw upstream pool (llhttp)'));
