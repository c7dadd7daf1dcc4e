/**
 * Prototype E — prototype C (raw `net` sockets, llhttp both sides) with llhttp
 * run as WebAssembly (undici 7's build, llhttp-wasm.ts) instead of Node's C++
 * binding: every socket reads through `onread` into one reused buffer (the
 * accepted side through proxy/tcp/client-reads.ts, as TCP mode does), the read
 * is copied into wasm memory and parsed there; llhttp's callbacks are wasm→JS
 * calls. Heads re-serialised, bodies copied out of the reused buffer and
 * forwarded, writes to the client corked per upstream read — as C does.
 * Issue #15, seventh pass (docs/architecture.md).
 *
 * --in-place: the reused read buffer is a region of wasm memory, so a read is
 * parsed where it landed (no copy into wasm memory per read).
 *
 *   node --import tsx bench/prototypes/e-wasm-llhttp.ts --port 0 --upstream 127.0.0.1:8000 [--in-place]
 */
import net from 'node:net';
import { announce, parseArgs } from './common.ts';
import { isContentLength, isHopByHop } from './llhttp.ts';
import { REQUEST, RESPONSE, WasmParser, methods, wasmReadBuffer } from './llhttp-wasm.ts';
import { adoptReads } from '../../proxy/tcp/client-reads.ts';

const { port, upstreamHost, upstreamPort } = parseArgs();

/** The one buffer every socket reads into; what must outlive a read is copied out. */
const IN_PLACE = process.argv.includes('--in-place');
const readBuffer = IN_PLACE ? wasmReadBuffer(64 * 1024) : Buffer.allocUnsafeSlow(64 * 1024);
const nextBuffer = (): Buffer => readBuffer;

function copyOut(buf: Buffer, start: number, len: number): Buffer {
  const b = Buffer.allocUnsafe(len);
  buf.copy(b, 0, start, start + len);
  return b;
}

/** onread callback feeding `parser`; `before`/`after` bracket each read. */
function feeder(parser: WasmParser, onError: () => void, before?: () => void, after?: () => void) {
  return (n: number, buf: Uint8Array): boolean => {
    before?.();
    if (buf.length === 0) throw new Error('wasm memory grew under the read buffer');
    const r = IN_PLACE ? parser.executeInPlace(buf as Buffer, n) : parser.execute(buf as Buffer, n);
    after?.();
    if (r !== 0) onError();
    return true;
  };
}

const MAX_QUEUE = 32;

interface PendingRequest {
  head: string;          // serialised request head for upstream
  isHead: boolean;
  body: Buffer[];        // body received before the request was dispatched
  complete: boolean;     // whole request received
  chunked: boolean;      // request body re-encoded chunked
  keepAlive: boolean;    // client wants to keep the connection
}

class Client {
  readonly parser: WasmParser;
  queue: PendingRequest[] = [];
  upstream: Upstream | null = null;   // serving queue[0]
  closing = false;
  closed = false;

  constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    const p = this.parser = new WasmParser(REQUEST);
    const self = this;
    p.onHeadersComplete = (_maj, _min, headers, method, url, _s, _m, _upg, keepAlive) => {
      const m = methods[method] ?? 'GET';
      let head = `${m} ${url} HTTP/1.1\r\n`;
      let chunked = false;
      for (let i = 0; i < headers.length; i += 2) {
        const name = headers[i]!;
        if (isHopByHop(name)) { if (name.length === 17) chunked = true; continue; }
        head += `${name}: ${headers[i + 1]}\r\n`;
      }
      if (chunked) head += 'Transfer-Encoding: chunked\r\n';
      head += '\r\n';
      self.queue.push({ head, isHead: m === 'HEAD', body: [], complete: false, chunked, keepAlive });
      if (self.queue.length === 1) self.dispatch();
      else if (self.queue.length >= MAX_QUEUE) self.socket.pause();
      return 0;
    };
    p.onBody = (buf, start, len): void => {
      const r = self.queue[self.queue.length - 1];
      if (r === undefined) return;
      const b = copyOut(buf, start, len);
      if (r === self.queue[0] && self.upstream !== null) self.upstream.sendBody(b, r.chunked);
      else r.body.push(b);
    };
    p.onMessageComplete = (): void => {
      const r = self.queue[self.queue.length - 1];
      if (r === undefined) return;
      r.complete = true;
      if (r === self.queue[0] && self.upstream !== null && r.chunked) self.upstream.socket.write('0\r\n\r\n');
    };
    if (!adoptReads(socket, { buffer: nextBuffer, callback: feeder(p, () => self.badRequest()) })) throw new Error('onread not available for accepted sockets');
    socket.on('error', () => self.close());
    socket.on('close', () => self.close());
  }

  dispatch(): void {
    const r = this.queue[0];
    if (r === undefined) return;
    const u = this.upstream = acquire();
    u.client = this;
    u.isHead = r.isHead;
    if (r.body.length === 0 && (!r.complete || !r.chunked)) u.socket.write(r.head, 'latin1');
    else {
      u.socket.cork();
      u.socket.write(r.head, 'latin1');
      for (const b of r.body) u.sendBody(b, r.chunked);
      r.body = [];
      if (r.complete && r.chunked) u.socket.write('0\r\n\r\n');
      u.socket.uncork();
    }
  }

  /** Called by the upstream when the response has been forwarded completely. */
  responseDone(): void {
    const r = this.queue.shift();
    this.upstream = null;
    if (r === undefined) return;
    if (!r.keepAlive) { this.socket.end(); this.closing = true; return; }
    if (this.queue.length > 0) this.dispatch();
    if (this.queue.length < MAX_QUEUE && this.socket.isPaused()) this.socket.resume();
  }

  badRequest(): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  }

  badGateway(headersSent: boolean): void {
    this.upstream = null;
    if (headersSent || this.closing) { this.socket.destroy(); return; }
    this.closing = true;
    this.socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // an upstream still busy with our response cannot be reused: drop it
    if (this.upstream !== null) { const u = this.upstream; this.upstream = null; u.client = null; u.fail(); }
    if (!this.socket.destroyed) this.socket.destroy();
    this.queue = [];
    setImmediate(() => this.parser.free());
  }
}

class Upstream {
  readonly socket: net.Socket;
  readonly parser: WasmParser;
  client: Client | null = null;
  isHead = false;
  keepAlive = false;
  chunkedOut = false;   // response re-encoded chunked towards the client
  headersSent = false;
  idle = false;
  dead = false;
  corked: net.Socket | null = null;

  constructor() {
    const p = this.parser = new WasmParser(RESPONSE);
    const self = this;
    const s = this.socket = net.connect({ host: upstreamHost, port: upstreamPort, noDelay: true,
      // cork the client socket while one upstream read is parsed, so head and body go out in one writev
      onread: { buffer: nextBuffer, callback: feeder(p, () => self.fail(),
        () => { const c = self.client; if (c !== null) { c.socket.cork(); self.corked = c.socket; } },
        () => { const k = self.corked; if (k !== null) { self.corked = null; k.uncork(); } }) } });
    p.onHeadersComplete = (_maj, _min, headers, _m, _u, status, msg, _upg, keepAlive) => {
      self.keepAlive = keepAlive;
      let head = `HTTP/1.1 ${status} ${msg}\r\n`;
      let hasLength = false;
      for (let i = 0; i < headers.length; i += 2) {
        const name = headers[i]!;
        if (isHopByHop(name)) continue;
        if (!hasLength && isContentLength(name)) hasLength = true;
        head += `${name}: ${headers[i + 1]}\r\n`;
      }
      const bodyless = self.isHead || status === 204 || status === 304 || status < 200;
      self.chunkedOut = !hasLength && !bodyless;
      if (self.chunkedOut) head += 'Transfer-Encoding: chunked\r\n';
      head += '\r\n';
      self.headersSent = true;
      const c = self.client;
      if (c !== null) c.socket.write(head, 'latin1');
      return self.isHead ? 1 : 0;
    };
    p.onBody = (buf, start, len): void => {
      const c = self.client;
      if (c === null) return;
      const b = copyOut(buf, start, len);
      let ok: boolean;
      if (self.chunkedOut) { c.socket.write(`${b.length.toString(16)}\r\n`); c.socket.write(b); ok = c.socket.write('\r\n'); }
      else ok = c.socket.write(b);
      if (!ok) { s.pause(); c.socket.once('drain', () => s.resume()); }
    };
    p.onMessageComplete = (): void => {
      const c = self.client;
      if (c !== null && self.chunkedOut) c.socket.write('0\r\n\r\n');
      self.client = null;
      self.headersSent = false;
      if (self.keepAlive) release(self); else { self.dead = true; s.destroy(); }
      if (c !== null) c.responseDone();
    };
    s.on('error', () => self.fail());
    s.on('close', () => self.fail());
  }

  sendBody(b: Buffer, chunked: boolean): void {
    if (chunked) { this.socket.write(`${b.length.toString(16)}\r\n`); this.socket.write(b); this.socket.write('\r\n'); }
    else this.socket.write(b);
  }

  fail(): void {
    if (this.idle) { const i = pool.indexOf(this); if (i >= 0) pool.splice(i, 1); this.idle = false; }
    const c = this.client;
    this.client = null;
    if (!this.dead) { this.dead = true; this.socket.destroy(); setImmediate(() => this.parser.free()); }
    if (c !== null) c.badGateway(this.headersSent);
  }
}

const pool: Upstream[] = [];
function release(u: Upstream): void { u.idle = true; pool.push(u); }
function acquire(): Upstream {
  const u = pool.pop();
  if (u !== undefined) { u.idle = false; return u; }
  return new Upstream();
}

const server = net.createServer({ noDelay: true }, (socket) => { new Client(socket); });
server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => announce(server, 'E raw net + wasm llhttp both sides'));
