/**
 * HTTP/2 to servers (`server … proto h2`, or `alpn` over TLS negotiating h2), framed by Node's
 * http2. The transaction keeps speaking HTTP/1.1 to what it takes for a server connection: each
 * request goes over an H2Channel, a Duplex standing where the socket stands for an HTTP/1.1
 * server. llhttp reads the request the transaction writes there and it leaves as HEADERS and DATA
 * frames on a stream of the server's session; the stream's answer comes back as HTTP/1.1 bytes
 * that the UpstreamConnection parses as usual (chunked when it has no length, so that trailers —
 * gRPC's grpc-status — come through). The mirror of h2.ts, which does the same for h2 clients.
 *
 * Connections are shared as HAProxy 2.6's H2 mux shares them (backend.c connect_server, mux_h2.c
 * h2_detach): a session serves up to its server's SETTINGS_MAX_CONCURRENT_STREAMS (at most 100)
 * streams at once; an idle one waits in the pool's safe list (its parked channel stands for it);
 * a busy one takes more streams from the client connection that owns it (`safe`, `never`) or from
 * anyone (a new one with `always`, or once a stream ended on it while others went on). A session
 * is connected (and shared) once the server's SETTINGS came.
 */
import { keepAliveOnceConnected } from '../runtime/tcp-keepalive.ts';
import { keepSessions, sessionToOffer } from '../runtime/tls-sessions.ts';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import { newParser, REQUEST, METHODS, kOnHeaders, kOnHeadersComplete, kOnBody, kOnMessageComplete } from '../runtime/llhttp.ts';
import type { HTTPParser, HeadersCompleteCallback } from '../runtime/llhttp.ts';
import { UpstreamConnection, awaitConnection, sslConnsFull } from './upstream.ts';
import { destroyOutsideReads } from './h2-session.ts';
import { getHeader, hasToken } from './headers.ts';
import type { ServerPool, ServerMux, ReuseMode, ReuseSession, UpgradeKind } from './upstream.ts';
import type { Server } from '../config/model.ts';

/** HAProxy's tune.h2.max-concurrent-streams: the most streams it opens on one server connection. */
const MAX_STREAMS = 100;

/** Header fields HTTP/2 forbids in a request (RFC 9113 §8.2.2); `te` passes as `trailers` only. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'host']);

/**
 * HTX size of the `transfer-encoding: chunked` field an answer without length is framed with here:
 * HAProxy's HTX never has it (its %B and bout count without it; transaction.ts takes it off).
 */
export const H2_CHUNKED_FRAMING = 'transfer-encoding'.length + 'chunked'.length;

/** How a server is spoken to over HTTP/2 (compiled from its `proto` and `alpn`). */
export interface H2ServerSettings {
  /** `proto h2`: HTTP/2 on every connection, whatever TLS negotiates (cleartext: prior knowledge). */
  forced: boolean;
  /** `alpn`: the protocols offered in the TLS handshake; h2 is spoken when the server picks it. */
  alpn: string[] | undefined;
  /** `ws`: the protocol of WebSocket exchanges (auto: as other exchanges, with HTTP/1.1 offered alone when `alpn` lists it). */
  ws: 'auto' | 'h1' | 'h2';
}

/** The servers of a backend that may speak HTTP/2 (`proto h2`, `alpn` with h2 on an `ssl` server, `ws h2`), by name; undefined when none does. */
export function h2Servers(servers: readonly Server[]): Map<string, H2ServerSettings> | undefined {
  let out: Map<string, H2ServerSettings> | undefined;
  for (const server of servers) {
    const o = server.options;
    const forced = o.proto === 'h2';
    const alpn = o.ssl ? o.alpn : undefined;
    const ws = o.ws ?? 'auto';
    if (!forced && !alpn?.includes('h2') && ws !== 'h2') continue;
    (out ??= new Map()).set(server.name, { forced, alpn, ws });
  }
  return out;
}

/**
 * What a new connection for a WebSocket offers in ALPN and which protocol it speaks, as HAProxy 2.6's
 * connect_server decides (conn_update_alpn, srv_get_ws_proto): `ws h1` and `ws h2` offer and speak
 * theirs alone; `ws auto` offers http/1.1 alone when `alpn` lists it, and speaks what other exchanges
 * would. `mux` undefined: TLS's choice (or `proto h2`) decides.
 */
function websocketConnection(settings: H2ServerSettings): { alpn: string[] | undefined; mux: 'h1' | 'h2' | undefined } {
  const alpn = settings.alpn && (settings.ws === 'h2' ? ['h2'] : settings.ws === 'h1' || settings.alpn.includes('http/1.1') ? ['http/1.1'] : settings.alpn);
  return { alpn, mux: settings.ws === 'auto' ? undefined : settings.ws };
}

/** The mux of a server that may speak HTTP/2; undefined (no mux at all) for HTTP/1.1 servers. */
export function serverMux(pool: ServerPool, settings: H2ServerSettings): ServerMux {
  return new H2Mux(pool, settings);
}

/** One connection to the server over which HTTP/2 is spoken. */
class H2Session {
  readonly channels = new Set<H2Channel>();
  /** The client connection it belongs to (HAProxy's session list: `safe`, or private with `never`). */
  owner: ReuseSession | undefined;
  private = false;
  /** Shareable by any request (HAProxy's avail_conns). */
  avail = false;
  /** The server's SETTINGS came: the connection is established (and may be shared). */
  ready = false;
  /** The server sent GOAWAY, or the session closed: no new stream. */
  closing = false;

  constructor(readonly session: http2.ClientHttp2Session, readonly socket: net.Socket, readonly sni: string | undefined) {
    // A server could otherwise abort the process: a tunnel's end or a GOAWAY, then a frame of a wrong size, in one read.
    destroyOutsideReads(session);
    session.on('error', () => this.close());
    session.on('goaway', () => {
      this.closing = true;
      // An idle session's parked channel leaves the pool now: no request is sent where no stream may open.
      for (const channel of [...this.channels]) if (channel.idle()) channel.destroy();
    });
    session.on('close', () => this.close());
  }

  /** Streams it may still open now. */
  get room(): number {
    const remote = this.session.remoteSettings?.maxConcurrentStreams ?? MAX_STREAMS;
    return Math.min(remote, MAX_STREAMS) - this.channels.size;
  }

  usable(): boolean {
    return !this.closing && !this.session.destroyed && !this.session.closed;
  }

  channelGone(channel: H2Channel): void {
    this.channels.delete(channel);
    if (this.channels.size === 0) this.close();
  }

  close(): void {
    this.closing = true;
    // A tunnel's channel still hands what it holds to the client first.
    for (const channel of [...this.channels]) channel.sessionGone();
    if (!this.session.destroyed) this.session.destroy();
    // After the session's end, which waits for the end of the read being parsed (h2-session.ts).
    setImmediate(() => this.socket.destroy());
  }
}

class H2Mux implements ServerMux {
  /** Sessions serving streams now (an idle one is in the pool's lists through its parked channel). */
  private readonly busy = new Set<H2Session>();

  constructor(private readonly pool: ServerPool, private readonly settings: H2ServerSettings) {}

  share(client: ReuseSession | undefined, notFirst: boolean, mode: ReuseMode, sni: string | undefined): UpstreamConnection | undefined {
    for (const s of this.busy) {
      if (!s.ready || s.sni !== sni || s.room <= 0 || !s.usable() || s.channels.size === 0) continue;
      const owned = client !== undefined && s.owner === client;
      if (s.private ? !owned : !(owned || (s.avail && mode !== 'never'))) continue;
      const conn = this.channelConnection(s, false);
      conn.reused = true;
      return conn;
    }
    return undefined;
  }

  /**
   * An idle session's channel is taken from the pool: its session is busy again. As HAProxy 2.6's
   * conn_backend_get places it: with `safe` it joins the taking client's connection (HTTP/2 risks
   * head-of-line blocking), else it is available at once to every request (avail_conns).
   * (haproxy with several threads keeps those lists per thread, so there a request handled by another
   * thread opens a connection of its own; Loadstar is one thread, as `nbthread 1`.)
   */
  taken(conn: UpstreamConnection, mode: ReuseMode, client: ReuseSession | undefined): void {
    const channel = conn.socket as unknown as H2Channel;
    if (!(channel instanceof H2Channel)) return;
    const s = channel.h2;
    this.busy.add(s);
    if (s.private) return;
    if (mode === 'safe') s.owner = conn.owner = client;
    else s.avail = true;
  }

  /** A channel whose exchange ended: kept (standing for its idle session) only when it is the last one. */
  keeps(conn: UpstreamConnection): boolean | undefined {
    const channel = conn.socket as unknown as H2Channel;
    if (!(channel instanceof H2Channel)) return undefined;
    const s = channel.h2;
    if (s.channels.size > 1 || !s.usable()) {
      // A stream ended while others go on: the connection becomes available to all (h2_detach), unless a client owns it.
      if (s.owner === undefined && !s.private) s.avail = true;
      return false;
    }
    this.busy.delete(s);
    if (!s.private) s.owner = undefined;
    s.avail = false;
    return true;
  }

  connect(timeout: number, done: (conn: UpstreamConnection | undefined, error?: string) => void, sni: string | undefined, mode: ReuseMode, client: ReuseSession | undefined, upgrade: UpgradeKind): () => void {
    const pool = this.pool;
    const server = pool.server;
    // Other upgrades go as any request does: over HTTP/2 they become an extended CONNECT (RFC 8441, H2Channel).
    const { alpn, mux } = upgrade === 'websocket' ? websocketConnection(this.settings) : { alpn: this.settings.alpn, mux: undefined };
    if (pool.tls?.sslConns?.full()) return sslConnsFull(done);
    const socket = pool.tls
      ? tls.connect({ host: server.host, port: server.port, path: server.path, ...pool.tls.base, ...(sni ? { servername: sni } : {}), ...(alpn ? { ALPNProtocols: alpn } : {}), ...sessionToOffer(server, sni) }).setNoDelay(true)
      : net.connect({ host: server.host, port: server.port, path: server.path, noDelay: true });
    if (pool.keepAlive !== undefined) keepAliveOnceConnected(socket, pool.keepAlive);
    if (pool.tls) keepSessions(server, socket as tls.TLSSocket, sni);
    pool.tls?.sslConns?.take(socket);
    // A session is shared once connected only: requests coming meanwhile open connections of their
    // own (haproxy 2.6.12: five streams sent at once by one h2 client made five server connections).
    const connected = (): void => {
      const h2 = mux !== undefined ? mux === 'h2' : this.settings.forced || (socket as tls.TLSSocket).alpnProtocol === 'h2';
      if (!h2) {
        const conn = new UpstreamConnection(socket, server, pool, sni, undefined, true);
        // An upgrade's connection serves its exchange alone: never parked with the server's HTTP/2 ones.
        if (upgrade !== undefined) conn.private = true;
        return done(conn);
      }
      try {
        h2conn = this.openSession(socket, sni, mode, client);
      } catch (e) {
        // Node refused to set the session up (from a socket event: nothing below would catch it).
        pool.used--;
        socket.destroy();
        return done(undefined, (e as NodeJS.ErrnoException).code ?? 'error');
      }
      // Connected once the server's SETTINGS came: a server that does not speak HTTP/2 fails the
      // connection itself (haproxy 2.6.12: retried, then 503 SC), not the exchange (502).
      const conn = h2conn;
      const h2s = (conn.socket as unknown as H2Channel).h2;
      const session = h2s.session;
      let waiting = true;
      const stop = (): void => {
        waiting = false;
        clearTimeout(handshakeTimer);
        session.off('remoteSettings', established);
        session.off('close', closed);
        refused = undefined;
      };
      const established = (): void => {
        stop();
        h2s.ready = true;
        done(conn);
      };
      refused = (error: string): void => {
        if (!waiting) return;
        stop();
        conn.destroy();
        h2s.close();
        done(undefined, error);
      };
      const closed = (): void => refused?.('ECONNRESET');
      session.once('remoteSettings', established);
      session.once('close', closed);
      const handshakeTimer = timeout > 0 ? setTimeout(() => refused?.('timeout'), timeout) : undefined;
    };
    /** While the HTTP/2 session waits for the server's SETTINGS: its connection, and how it fails. */
    let h2conn: UpstreamConnection | undefined;
    let refused: ((error: string) => void) | undefined;
    const abort = awaitConnection(pool, socket, pool.tls ? 'secureConnect' : 'connect', timeout, connected, (error) => done(undefined, error));
    return () => (refused ? refused('aborted') : abort());
  }

  /** A session over the connected `socket`, and the first exchange's connection on it. */
  private openSession(socket: net.Socket, sni: string | undefined, mode: ReuseMode, client: ReuseSession | undefined): UpstreamConnection {
    const server = this.pool.server;
    // The authority is Node's default :authority, used only for a request with neither :authority nor Host (HTTP/1.0).
    const host = server.path !== undefined || !server.host ? 'localhost' : net.isIPv6(server.host) ? `[${server.host}]` : server.host;
    const session = http2.connect(`${this.pool.tls ? 'https' : 'http'}://${host}${server.port ? `:${server.port}` : ''}`, {
      createConnection: () => socket,
      settings: { enablePush: false },
    });
    const s = new H2Session(session, socket, sni);
    if (mode === 'never') s.private = true;
    else if (mode === 'always') s.avail = true;
    if (mode === 'never' || mode === 'safe') s.owner = client;
    this.busy.add(s);
    return this.channelConnection(s, true);
  }

  private channelConnection(s: H2Session, counted: boolean): UpstreamConnection {
    const channel = new H2Channel(s);
    s.channels.add(channel);
    // Not a 'close' listener: a tunnel takes the channel over with its listeners (transaction.ts startTunnel).
    channel.gone = () => {
      s.channelGone(channel);
      if (s.channels.size === 0) this.busy.delete(s);
    };
    const conn = new UpstreamConnection(channel as unknown as net.Socket, this.pool.server, this.pool, s.sni, undefined, counted);
    conn.h2 = true;
    if (s.private) {
      conn.private = true;
      conn.owner = s.owner;
    }
    return conn;
  }
}

/**
 * One exchange at a time over a session: the HTTP/1.1 request written here becomes a stream, the
 * stream's answer is read back as HTTP/1.1. Implements what UpstreamConnection uses of a socket
 * (setTimeout and 'timeout', local address, cork, pause and resume).
 */
export class H2Channel extends Duplex {
  private readonly parser: HTTPParser;
  private stream: http2.ClientHttp2Stream | undefined;
  private head: string[] = [];
  private url = '';
  private afterHead = false;
  private requestTrailers: string[] | undefined;
  /** The stream's answer is framed chunked (it has no Content-Length). */
  private chunked = false;
  private responseTrailers: http2.IncomingHttpHeaders | undefined;
  private headRequest = false;
  /** The request may end with trailers (chunked): the stream waits for them after its last DATA frame. */
  private trailersAwaited = false;
  /** The stream did not take a piece of the request body at once: the write completes on its 'drain'. */
  private bodyBlocked = false;
  private timer: NodeJS.Timeout | undefined;
  /** The request is an upgrade to this protocol, sent as an extended CONNECT (RFC 8441). */
  private upgrade: string | undefined;
  /** The server accepted the upgrade: the stream carries the tunnel's bytes both ways, as they are. */
  private tunnel = false;
  /** Tells the session the channel is gone (once destroyed). */
  gone: (() => void) | undefined;

  constructor(readonly h2: H2Session) {
    super({ decodeStrings: true, allowHalfOpen: true });
    const parser = (this.parser = newParser(REQUEST));
    parser[kOnHeaders] = (headers: string[], url: string) => {
      if (this.afterHead) (this.requestTrailers ??= []).push(...headers);
      else {
        this.head.push(...headers);
        this.url += url;
      }
    };
    const onHead: HeadersCompleteCallback = (_major, _minor, headers, method, url, _s, _r, _upgrade) => {
      const fields = headers ?? this.head;
      this.afterHead = true;
      this.openStream(METHODS[method!] as string, url ?? this.url, fields);
      this.head = [];
      this.url = '';
      return 0;
    };
    parser[kOnHeadersComplete] = onHead;
    parser[kOnBody] = (chunk: Buffer) => {
      const stream = this.stream;
      if (stream && !stream.destroyed && !stream.write(Buffer.from(chunk))) this.bodyBlocked = true;
    };
    parser[kOnMessageComplete] = () => {
      const stream = this.stream;
      this.afterHead = false;
      // An upgrade's stream stays open: it becomes the tunnel.
      if (!stream || stream.destroyed || this.upgrade !== undefined) return;
      const trailers = this.requestTrailers;
      this.requestTrailers = undefined;
      if (this.trailersAwaited) stream.once('wantTrailers', () => sendTrailers(stream, trailers && trailers.length > 0 ? fieldsObject(trailers) : {}));
      if (!stream.writableEnded) stream.end();
    };
  }


  get localAddress(): string | undefined {
    return this.h2.socket.localAddress;
  }

  get localPort(): number | undefined {
    return this.h2.socket.localPort;
  }

  get remoteAddress(): string | undefined {
    return this.h2.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.h2.socket.remotePort;
  }

  setNoDelay(): this {
    return this;
  }

  /** `timeout server` (and the idle limit while parked, `timeout tunnel`): 'timeout' after so long without the stream moving. */
  setTimeout(ms: number, onTimeout?: () => void): this {
    if (onTimeout) this.once('timeout', onTimeout);
    clearTimeout(this.timer);
    this.timer = ms > 0 ? setTimeout(() => this.emit('timeout'), ms) : undefined;
    return this;
  }

  private touch(): void {
    this.timer?.refresh();
  }

  /**
   * Request head → the stream's HEADERS (pseudo-header fields as HAProxy's H2 mux builds them). An
   * upgrade (Connection: upgrade) becomes an extended CONNECT whose :protocol is the first one Upgrade
   * names and whose :authority is the Host (h2s_bck_make_req_headers); a server that did not announce
   * SETTINGS_ENABLE_CONNECT_PROTOCOL gets none: the exchange fails (502), as in HAProxy.
   */
  private openStream(method: string, url: string, fields: readonly string[]): void {
    this.upgrade = upgradeProtocol(fields);
    if (this.upgrade !== undefined && this.h2.session.remoteSettings?.enableConnectProtocol !== true) return void this.onReset();
    let headers: http2.OutgoingHttpHeaders = { ':method': method };
    let hasBody = false;
    let chunked = false;
    const absolute = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(.*)$/.exec(url);
    if (method === 'CONNECT') headers[':authority'] = url;
    else if (absolute) {
      headers[':scheme'] = absolute[1]!.toLowerCase();
      headers[':authority'] = absolute[2]!;
      // An absolute URI without a path: `*` for OPTIONS, else `/` (h2s_bck_make_req_headers).
      headers[':path'] = absolute[3] || (method === 'OPTIONS' ? '*' : '/');
    } else {
      // HAProxy 2.6 sends :scheme https for an origin-form request whatever the connection is (h2s_bck_make_req_headers).
      headers[':scheme'] = 'https';
      headers[':path'] = url;
    }
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i]!.toLowerCase();
      const value = fields[i + 1]!;
      if (name === 'content-length') hasBody = value !== '0';
      if (name === 'transfer-encoding') chunked = hasBody = true;
      if (CONNECTION_SPECIFIC.has(name)) {
        if (name === 'te' && /(^|,)\s*trailers\s*(;|,|$)/i.test(value)) addField(headers, 'te', 'trailers');
        else if (name === 'host' && headers[':authority'] === undefined) addField(headers, 'host', value);
        continue;
      }
      addField(headers, name, value);
    }
    if (this.upgrade !== undefined) headers = extendedConnect(headers, this.upgrade, getHeader(fields, 'host'));
    this.headRequest = method === 'HEAD';
    this.trailersAwaited = chunked;
    let stream: http2.ClientHttp2Stream;
    try {
      stream = this.h2.session.request(headers, this.upgrade !== undefined ? { endStream: false } : { endStream: !hasBody, waitForTrailers: chunked });
    } catch {
      // The session went away meanwhile, or Node refused a field: the exchange fails as on a closed connection.
      return void this.destroy();
    }
    this.stream = stream;
    // Events of a stream whose exchange is over (the channel serves the next one) are not this exchange's.
    const current = (): boolean => this.stream === stream;
    stream.on('response', (h: http2.IncomingHttpHeaders, flags: number, raw?: string[]) => current() && this.onResponse(h, raw, (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0));
    stream.on('headers', (h: http2.IncomingHttpHeaders, _flags: number, raw?: string[]) => current() && this.onInterim(h, raw));
    stream.on('data', (chunk: Buffer) => current() && this.onData(chunk));
    stream.on('trailers', (t: http2.IncomingHttpHeaders) => current() && (this.responseTrailers = t));
    stream.on('end', () => current() && this.onEnd());
    stream.on('error', () => {});
    stream.on('close', () => {
      // Reset (or the session gone) before the answer was whole: as a server closing its connection.
      if (current() && !this.responseEnded) this.onReset();
    });
  }

  private responseStarted = false;
  private responseEnded = false;

  private onInterim(headers: http2.IncomingHttpHeaders, raw?: string[]): void {
    const status = Number(headers[':status']);
    if (!(status >= 100 && status < 200) || this.responseStarted) return;
    this.touch();
    this.push(serializeHead(status, raw, headers, false), 'latin1');
  }

  /** @param ended the HEADERS frame had END_STREAM (gRPC's trailers-only answers): head and end go as one read. */
  private onResponse(headers: http2.IncomingHttpHeaders, raw: string[] | undefined, ended: boolean): void {
    const status = Number(headers[':status']);
    this.touch();
    if (status >= 100 && status < 200) return this.onInterim(headers, raw);
    this.responseStarted = true;
    if (this.upgrade !== undefined && status === 200) {
      // The server accepted the extended CONNECT: an HTTP/1.1 101 with Connection and Upgrade after the
      // server's fields, as HAProxy's h2_make_htx_response makes it; the stream is the tunnel from now on.
      this.tunnel = true;
      this.push(serializeHead(101, raw, headers, false, `connection: upgrade\r\nupgrade: ${this.upgrade}\r\n`), 'latin1');
      if (ended) this.onEnd();
      return;
    }
    const bodyless = this.headRequest || status === 204 || status === 304;
    this.chunked = !bodyless && headers['content-length'] === undefined;
    const head = serializeHead(status, raw, headers, this.chunked);
    if (ended) this.responseEnded = true;
    this.push(ended && this.chunked ? `${head}0\r\n\r\n` : head, 'latin1');
  }

  private onData(chunk: Buffer): void {
    this.touch();
    if (!this.responseStarted || chunk.length === 0) return;
    if (this.tunnel) {
      if (!this.push(chunk)) this.stream?.pause();
      return;
    }
    const more = this.chunked ? this.push(`${chunk.length.toString(16)}\r\n`, 'latin1') && this.push(chunk) && this.push('\r\n', 'latin1') : this.push(chunk);
    if (!more) this.stream?.pause();
  }

  private onEnd(): void {
    if (this.responseEnded) return;
    this.responseEnded = true;
    if (!this.responseStarted) return this.onReset();
    if (this.tunnel) return this.tunnelOver();
    if (this.chunked) this.push(`0\r\n${serializeFields(this.responseTrailers)}\r\n`, 'latin1');
  }

  /**
   * The server ended its side of the tunnel (END_STREAM, a reset, its connection gone): once the
   * transaction has read what came before, the channel closes and the tunnel with it, as HAProxy ends
   * it (the client gets END_STREAM, then RST_STREAM CANCEL). Before, the channel stayed open for the
   * other direction (allowHalfOpen) until `timeout tunnel`, or was destroyed with what the client had
   * not read yet (a slow client lost the end of a download).
   */
  tunnelOver(): void {
    if (this.tunnelEnding) return;
    this.tunnelEnding = true;
    this.responseEnded = true;
    this.takeHeld();
    if (this.readableEnded) return void this.destroy();
    // 'end' comes once the transaction read what is buffered (later, when the client holds it back).
    this.once('end', () => this.destroy());
    this.push(null);
  }

  private tunnelEnding = false;

  /**
   * The stream was reset, or the session went away, before the end of the answer. Before any answer:
   * the connection "closes" (502 SH, or a retry). After the head of a chunked answer, HAProxy 2.6
   * ends the message as if the server had (recorded: 200, `----`); the channel does the same.
   */
  private onReset(): void {
    if (this.tunnel) return this.tunnelOver();
    this.takeHeld();
    this.responseEnded = true;
    if (this.responseStarted && this.chunked) {
      this.push('0\r\n\r\n', 'latin1');
      return;
    }
    this.push(null);
    this.destroy();
  }

  /**
   * What the stream received but holds unread, paused because the client reads slower: it comes
   * before the end. No 'data' comes for it once the stream is closed, but read() still hands it over
   * (and emits it as 'data' only before 'close': the listener goes first, so nothing is relayed twice).
   */
  private takeHeld(): void {
    const stream = this.stream;
    if (stream === undefined || stream.readableLength === 0) return;
    stream.removeAllListeners('data');
    for (let chunk: Buffer | null; (chunk = stream.read() as Buffer | null) !== null;) this.onData(chunk);
  }

  /** Between exchanges: no stream open, or the last one answered whole. */
  idle(): boolean {
    return !this.tunnel && (this.stream === undefined || this.responseEnded);
  }

  /** The session went away: a tunnel ends once what it holds was read; any other exchange fails now. */
  sessionGone(): void {
    if (this.tunnel && !this.destroyed) this.tunnelOver();
    else this.destroy();
  }

  override _read(): void {
    const stream = this.stream;
    if (stream && stream.isPaused()) stream.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.touch();
    if (this.destroyed) return done();
    if (this.tunnel) {
      const stream = this.stream;
      if (!stream || stream.destroyed || stream.write(chunk)) return done();
      stream.once('drain', () => done());
      return;
    }
    this.bodyBlocked = false;
    const r = this.parser.execute(chunk);
    if (typeof r !== 'number') {
      this.destroy();
      return done();
    }
    // A body write the stream did not take at once completes once it has room (backpressure to the transaction).
    if (this.bodyBlocked && this.stream && !this.stream.destroyed) {
      this.bodyBlocked = false;
      this.stream.once('drain', () => done());
      return;
    }
    done();
  }

  override _final(done: (error?: Error | null) => void): void {
    // The client ended its side of a tunnel: so does the stream.
    const stream = this.stream;
    if (this.tunnel && stream && !stream.destroyed && !stream.writableEnded) stream.end();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    const stream = this.stream;
    if (stream && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
    setImmediate(() => this.parser.close());
    done(error);
    // When 'close' would come (after this callback): what the session does then stays as it was.
    const gone = this.gone;
    this.gone = undefined;
    if (gone) process.nextTick(gone);
  }

  /** The next exchange on the same channel (its session was idle, now taken again). */
  override cork(): void {
    // A new request: the previous stream is over.
    if (this.responseEnded) this.reset();
    super.cork();
  }

  private reset(): void {
    this.stream = undefined;
    this.responseStarted = false;
    this.responseEnded = false;
    this.chunked = false;
    this.responseTrailers = undefined;
  }
}

/** The request's trailer section (an empty one ends the stream with an empty DATA frame); a field Node refuses resets the stream. */
function sendTrailers(stream: http2.ClientHttp2Stream, trailers: http2.OutgoingHttpHeaders): void {
  try {
    stream.sendTrailers(trailers);
  } catch {
    if (!stream.closed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  }
}

function addField(headers: http2.OutgoingHttpHeaders, name: string, value: string): void {
  const existing = headers[name];
  if (existing === undefined) headers[name] = value;
  else if (name === 'cookie') headers[name] = `${String(existing)}; ${value}`;
  else if (Array.isArray(existing)) existing.push(value);
  else headers[name] = [String(existing), value];
}

function fieldsObject(flat: readonly string[]): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {};
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase();
    if (CONNECTION_SPECIFIC.has(name) || name === 'content-length' || name === 'trailer') continue;
    addField(out, name, flat[i + 1]!);
  }
  return out;
}

/**
 * The answer's head as HTTP/1.1. No reason phrase (HTTP/2 has none; HAProxy 2.6 writes none either:
 * `HTTP/1.1 200 `); the UpstreamConnection tells the transaction it came as HTTP/2 (version 2.0).
 */
function serializeHead(status: number, raw: readonly string[] | undefined, headers: http2.IncomingHttpHeaders, chunked: boolean, extra = ''): string {
  let out = `HTTP/1.1 ${status} \r\n`;
  if (raw && Array.isArray(raw)) {
    for (let i = 0; i < raw.length; i += 2) if (raw[i]![0] !== ':') out += `${raw[i]}: ${raw[i + 1]}\r\n`;
  } else out += serializeFields(headers);
  if (chunked) out += 'transfer-encoding: chunked\r\n';
  return out + extra + '\r\n';
}

/** An upgrade's fields as an extended CONNECT's, pseudo-header fields in HAProxy's order; the Host is the :authority. */
function extendedConnect(headers: http2.OutgoingHttpHeaders, protocol: string, host: string | undefined): http2.OutgoingHttpHeaders {
  const authority = host ?? headers[':authority'];
  const out: http2.OutgoingHttpHeaders = { ':method': 'CONNECT', ':scheme': headers[':scheme'], ...(authority !== undefined ? { ':authority': authority } : {}), ':path': headers[':path'], ':protocol': protocol };
  for (const [name, value] of Object.entries(headers)) if (name[0] !== ':' && name !== 'host') out[name] = value;
  return out;
}

/** The protocol an upgrade request asks for (Connection names `upgrade`): the first Upgrade names, at most 15 characters as HAProxy keeps it. */
function upgradeProtocol(fields: readonly string[]): string | undefined {
  const connection = getHeader(fields, 'connection');
  const upgrade = getHeader(fields, 'upgrade');
  if (connection === undefined || upgrade === undefined || !hasToken(connection, 'upgrade')) return undefined;
  return upgrade.split(',')[0]!.trim().slice(0, 15);
}


function serializeFields(headers: http2.IncomingHttpHeaders | undefined): string {
  let out = '';
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name[0] === ':' || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out += `${name}: ${v}\r\n`;
  }
  return out;
}
