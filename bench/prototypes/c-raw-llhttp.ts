/**
 * Prototype C — the leanest path: raw `net` sockets on both sides, llhttp
 * (Node's HTTPParser) framing requests and responses; heads re-serialised
 * (hop-by-hop headers dropped), bodies forwarded as parsed, chunked re-encoded
 * when the response has no Content-Length. Requests pipelined by the client
 * are queued and served in order. Writes to the client are corked per read
 * from upstream, so head+body of a small response leave in one writev.
 *
 * --consume: instead of socket 'data' events + parser.execute(), hand the
 * socket's native stream to the parser (parser.consume(socket._handle)), as
 * node:http's server does: reads go libuv -> llhttp without the JS stream
 * layer, and kOnExecute reports each read's result. Internal API (`_handle`).
 *
 * --timeouts: idle timeouts (socket.setTimeout) on both sides, to price them.
 *
 *   node --import tsx bench/prototypes/c-raw-llhttp.ts --port 0 --upstream 127.0.0.1:8000 [--consume] [--timeouts]
 */
import net from 'node:net';
import { announce, parseArgs } from './common.ts';
import { HTTPParser, isContentLength, isHopByHop, kOnBody, kOnExecute, kOnHeaders, kOnHeadersComplete, kOnMessageComplete, methods,
  type HTTPParserInstance } from './llhttp.ts';

const { port, upstreamHost, upstreamPort } = parseArgs();
const CONSUME = process.argv.includes('--consume');
// --timeouts: idle timeouts on both sides with socket.setTimeout(), kept fresh on every read
// (in consume mode reads bypass JS, so kOnExecute refreshes the timer as node:http does)
const TIMEOUTS = process.argv.includes('--timeouts');
const IDLE_MS = 30_000;
const noop = (): void => {};

/**
 * Free a parser later, never synchronously: in consume mode kOnBody runs via
 * MakeCallback as the outermost callback scope, which drains the nextTick
 * queue in the middle of llhttp_execute(); a 'close' handler freeing the
 * parser there deletes it under the running parser (segfault, seen here).
 */
function freeParser(p: HTTPParserInstance): void {
  setImmediate(() => { if (CONSUME) p.unconsume(); p.close(); });
}

/** Feed a socket's reads to a parser: natively (consume) or via 'data' events. */
function attach(socket: net.Socket, parser: HTTPParserInstance, onError: () => void, before?: () => void, after?: () => void): void {
  const handle = (socket as unknown as { _handle: { isStreamBase?: boolean } | null })._handle;
  if (TIMEOUTS) socket.setTimeout(IDLE_MS, () => socket.destroy());
  if (CONSUME && handle?.isStreamBase) {
    parser.consume(handle);
    const refresh = TIMEOUTS ? (socket as unknown as { _unrefTimer(): void })._unrefTimer.bind(socket) : null;
    parser[kOnExecute] = (r: number | Error): void => { after?.(); refresh?.(); if (typeof r !== 'number') onError(); };
    socket.on('data', noop); // keeps the socket flowing (reading); data never reaches JS
  } else {
    // named so profiles can attribute its self time: it is llhttp's (execute() is not a frame of its own)
    socket.on('data', function llhttpExecute(chunk: Buffer) {
      before?.();
      const r = parser.execute(chunk);
      after?.();
      if (typeof r !== 'number') onError();
    });
  }
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
  readonly parser: HTTPParserInstance;
  queue: PendingRequest[] = [];
  upstream: Upstream | null = null;   // serving queue[0]
  flushed: string[] = [];
  url = '';
  closing = false;
  closed = false;

  constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    const p = this.parser = new HTTPParser();
    p.initialize(HTTPParser.REQUEST, {}, 0, 0);
    const self = this;
    p[kOnHeaders] = (headers: string[], url: string) => { for (const h of headers) self.flushed.push(h); self.url += url; };
    p[kOnHeadersComplete] = (_maj: number, _min: number, headers: string[] | undefined, method: number, url: string | undefined,
      _s: unknown, _m: unknown, _upg: boolean, keepAlive: boolean): number => {
      if (headers === undefined) { headers = self.flushed; self.flushed = []; }
      if (url === undefined) { url = self.url; self.url = ''; }
      const m = methods[method] ?? 'GET';
      let head = `${m} ${url} HTTP/1.1\r\n`;
      let chunked = false;
      for (let i = 0; i < headers.length; i += 2) {
        const name = headers[i];
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
    p[kOnBody] = (b: Buffer): void => {
      const r = self.queue[self.queue.length - 1];
      if (r === undefined) return;
      if (r === self.queue[0] && self.upstream !== null) self.upstream.sendBody(b, r.chunked);
      else r.body.push(b);
    };
    p[kOnMessageComplete] = (): void => {
      self.flushed = []; self.url = ''; // trailers (delivered through kOnHeaders) are dropped
      const r = self.queue[self.queue.length - 1];
      if (r === undefined) return;
      r.complete = true;
      if (r === self.queue[0] && self.upstream !== null && r.chunked) self.upstream.socket.write('0\r\n\r\n');
    };
    attach(socket, p, () => self.badRequest());
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
    freeParser(this.parser);
  }
}

class Upstream {
  readonly socket: net.Socket;
  readonly parser: HTTPParserInstance;
  client: Client | null = null;
  isHead = false;
  keepAlive = false;
  chunkedOut = false;   // response re-encoded chunked towards the client
  headersSent = false;
  idle = false;
  dead = false;
  corked: net.Socket | null = null;
  flushed: string[] = [];

  constructor() {
    const s = this.socket = net.connect({ host: upstreamHost, port: upstreamPort, noDelay: true });
    const p = this.parser = new HTTPParser();
    p.initialize(HTTPParser.RESPONSE, {}, 0, 0);
    const self = this;
    p[kOnHeaders] = (headers: string[]) => { for (const h of headers) self.flushed.push(h); };
    p[kOnHeadersComplete] = (_maj: number, _min: number, headers: string[] | undefined, _m: unknown, _u: unknown,
      status: number, msg: string, _upg: boolean, keepAlive: boolean): number => {
      if (headers === undefined) { headers = self.flushed; self.flushed = []; }
      self.keepAlive = keepAlive;
      let head = `HTTP/1.1 ${status} ${msg}\r\n`;
      let hasLength = false;
      for (let i = 0; i < headers.length; i += 2) {
        const name = headers[i];
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
      if (c !== null) {
        if (CONSUME && self.corked === null) { c.socket.cork(); self.corked = c.socket; }
        c.socket.write(head, 'latin1');
      }
      return self.isHead ? 1 : 0;
    };
    p[kOnBody] = (b: Buffer): void => {
      const c = self.client;
      if (c === null) return;
      let ok: boolean;
      if (self.chunkedOut) { c.socket.write(`${b.length.toString(16)}\r\n`); c.socket.write(b); ok = c.socket.write('\r\n'); }
      else ok = c.socket.write(b);
      if (!ok) { s.pause(); c.socket.once('drain', () => s.resume()); }
    };
    p[kOnMessageComplete] = (): void => {
      self.flushed = []; // trailers (delivered through kOnHeaders) are dropped
      const c = self.client;
      if (c !== null && self.chunkedOut) c.socket.write('0\r\n\r\n');
      self.client = null;
      self.headersSent = false;
      if (self.keepAlive) release(self); else { self.dead = true; s.destroy(); }
      if (c !== null) c.responseDone();
    };
    // cork the client socket while one upstream read is parsed, so head and body go out in one writev
    attach(s, p, () => self.fail(),
      () => { const c = self.client; if (c !== null) { c.socket.cork(); self.corked = c.socket; } },
      () => { const k = self.corked; if (k !== null) { self.corked = null; k.uncork(); } });
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
    if (!this.dead) { this.dead = true; this.socket.destroy(); freeParser(this.parser); }
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
server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => announce(server, 'C raw net + llhttp both sides'));
