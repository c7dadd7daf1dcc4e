/**
 * FastCGI to servers (`server … proto fcgi` in a backend with `use-fcgi-app`), as HAProxy 2.6's
 * fcgi-app.c filter and mux_fcgi.c speak it. As with HTTP/2 (h2-upstream.ts), the transaction keeps
 * speaking HTTP/1.1 to what it takes for a server connection: an FcgiChannel, a Duplex standing
 * where the socket stands. llhttp reads the request written there and it leaves as FastCGI records
 * (fcgi-records.ts): BEGIN_REQUEST (Responder, FCGI_KEEP_CONN per `option keep-conn`), PARAMS (the
 * request's headers as HTTP_*, the `set-param` values, then the CGI/1.1 parameters of
 * configuration.txt §10.2 the others did not set), an empty PARAMS, the body as STDIN and an empty
 * STDIN. The application's STDOUT is a CGI answer (header fields, `Status: NNN reason`, a blank
 * line, the body); it comes back as an HTTP/1.1 answer the UpstreamConnection parses as usual: with
 * the Content-Length the application gave, or the one of the whole body when END_REQUEST came with
 * the head, else chunked. STDERR lines go to the application's `log-stderr` targets.
 *
 * One request at a time per connection (HAProxy's default: `option mpxs-conns` off, max-reqs 1);
 * with `option keep-conn` (the default) a connection waits idle in the server's pool for the next.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import { newParser, REQUEST, METHODS, kOnHeaders, kOnHeadersComplete, kOnBody, kOnMessageComplete, MAX_HEADER_SIZE } from '../runtime/llhttp.ts';
import type { HTTPParser, HeadersCompleteCallback } from '../runtime/llhttp.ts';
import { keepAliveOnceConnected } from '../runtime/tcp-keepalive.ts';
import { compileCondition } from '../acl/index.ts';
import { patternFileReader } from '../runtime/pattern-files.ts';
import type { Config, FcgiApp, Proxy } from '../config/model.ts';
import { backendFcgiApp } from '../config/kw-fcgi.ts';
import type { FcgiCheckMux } from '../checks/types.ts';
import { UpstreamConnection, awaitConnection } from './upstream.ts';
import type { ServerPool, ServerMux, ReuseMode, ReuseSession, UpgradeKind } from './upstream.ts';
import { compileTxFormat } from './samples.ts';
import type { HttpTransaction } from './transaction.ts';
import { RecordReader, RecordType, beginRequest, decodeEndRequest, decodePairs, encodePairs, encodeRecord, encodeStream, ProtocolStatus } from './fcgi-records.ts';

/** What the channel needs of the transaction to build a request's parameters (HAProxy's stream and session). */
export interface FcgiRequestFacts {
  /** REMOTE_ADDR, REMOTE_PORT: the client. */
  remoteAddr: string;
  remotePort: number;
  /** SERVER_NAME without a Host header, SERVER_PORT: where the client connected. */
  localAddr: string;
  localPort: number;
  /** HTTPS=on: the client connection is TLS. */
  https: boolean;
  /** SERVER_PROTOCOL: the client's request version (HTTP/2.0 for an HTTP/2 client); empty: the request line's. */
  version: string;
  /** The `set-param` values that apply, in HAProxy's order (by name), empty ones left out. */
  params: Array<[string, string]>;
  /** Header names (lower case) not passed on: HAProxy's hidden ones less the `pass-header` ones that apply. */
  hidden: ReadonlySet<string>;
}

/** The headers the filter hides unless a `pass-header` names them (cfg_parse_fcgi_app). */
const HIDDEN_BY_DEFAULT = ['connection', 'keep-alive', 'authorization', 'proxy', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailers', 'transfer-encoding', 'upgrade'];

interface CompiledParam {
  name: string;
  value: (tx: HttpTransaction) => string;
  when: ((tx: HttpTransaction) => boolean) | undefined;
}

/** A backend's application, compiled: its rules, and a mux for each of its `proto fcgi` servers. */
export class FcgiBackend {
  private readonly params: CompiledParam[];
  private readonly passes: Array<{ name: string; when: ((tx: HttpTransaction) => boolean) | undefined }>;
  readonly pathInfo: RegExp | undefined;

  /** @param stderr logs one STDERR record of the application (its `log-stderr` targets). */
  constructor(readonly app: FcgiApp, proxy: Proxy, readonly stderr: (message: string) => void) {
    const condition = (c: FcgiApp['rules'][number]['condition']): ((tx: HttpTransaction) => boolean) | undefined => {
      if (!c) return undefined;
      // The application's own ACLs (and the predefined ones), evaluated on the backend's stream.
      const test = compileCondition(c, app.acls, { readFile: patternFileReader, currentProxy: proxy.name });
      return (tx) => test(tx.sampleContext());
    };
    // HAProxy adds REMOTE_USER and AUTH_TYPE first: a later `set-param` of the same name replaces them.
    const rules = [
      { type: 'set-param' as const, name: 'REMOTE_USER', value: '%[http_auth_user]' },
      { type: 'set-param' as const, name: 'AUTH_TYPE', value: '%[http_auth_type]' },
      ...app.rules,
    ];
    this.params = rules.filter((r) => r.type === 'set-param').map((r) => ({
      name: r.name,
      value: compileTxFormat(compileTxFormat.parse(r.value!)),
      when: condition('condition' in r ? r.condition : undefined),
    }));
    this.passes = app.rules.filter((r) => r.type === 'pass-header').map((r) => ({ name: r.name, when: condition(r.condition) }));
    this.pathInfo = app.pathInfo !== undefined ? new RegExp(app.pathInfo, 's') : undefined;
  }

  /** A mux for a `proto fcgi` server of the backend. */
  mux(pool: ServerPool): ServerMux {
    return new FcgiMux(pool, this);
  }

  /**
   * The request's `set-param` and `pass-header` verdicts (fcgi_flt_http_headers): per name the last
   * rule whose condition holds, the parameters in name order; a value rendering empty sets nothing.
   */
  facts(tx: HttpTransaction, conn: { src: string; srcPort: number; dst: string; dstPort: number; ssl: boolean }): FcgiRequestFacts {
    const chosen = new Map<string, CompiledParam>();
    for (const p of this.params) {
      if (p.when && !p.when(tx)) continue;
      chosen.delete(p.name);
      chosen.set(p.name, p);
    }
    const params: Array<[string, string]> = [];
    for (const name of [...chosen.keys()].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0))) {
      const value = chosen.get(name)!.value(tx);
      if (value !== '') params.push([name, value]);
    }
    const hidden = new Set(HIDDEN_BY_DEFAULT);
    const passed = new Map<string, boolean>();
    for (const p of this.passes) if (!p.when || p.when(tx)) passed.set(p.name, true);
    for (const name of passed.keys()) hidden.delete(name);
    const r = tx.request;
    return {
      remoteAddr: plainAddress(conn.src),
      remotePort: conn.srcPort,
      localAddr: plainAddress(conn.dst),
      localPort: conn.dstPort,
      https: conn.ssl,
      version: `HTTP/${r.versionMajor}.${r.versionMinor}`,
      params,
      hidden,
    };
  }
}

function plainAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

class FcgiMux implements ServerMux {
  constructor(private readonly pool: ServerPool, private readonly backend: FcgiBackend) {}

  /** One request at a time per connection: nothing to share. */
  share(): UpstreamConnection | undefined {
    return undefined;
  }

  taken(): void {}

  /**
   * A connection may wait for the next request only when the application keeps it (FCGI_KEEP_CONN)
   * and it ended cleanly; it then waits as a safe one, whatever request it served (fcgi_detach:
   * srv_add_to_idle_list(…, 1), where the H1 mux says whether the request was a connection's first).
   */
  keeps(conn: UpstreamConnection): boolean | undefined {
    const channel = conn.fcgi;
    return channel ? channel.reusable() : undefined;
  }

  connect(timeout: number, done: (conn: UpstreamConnection | undefined, error?: string) => void, sni: string | undefined, _mode: ReuseMode, _client: ReuseSession | undefined, _upgrade: UpgradeKind): () => void {
    const pool = this.pool;
    const server = pool.server;
    const socket = net.connect({ host: server.host, port: server.port, path: server.path, localAddress: server.localAddress, localPort: server.localPort, noDelay: true });
    if (pool.keepAlive !== undefined) keepAliveOnceConnected(socket, pool.keepAlive);
    return awaitConnection(pool, socket, 'connect', timeout, () => {
      const channel = new FcgiChannel(socket, this.backend);
      const conn = new UpstreamConnection(channel as unknown as net.Socket, server, pool, sni, undefined, true);
      conn.fcgi = channel;
      done(conn);
    }, (error) => done(undefined, error));
  }
}

/** The answer's framing towards the UpstreamConnection. */
const enum Framing {
  Length,
  Chunked,
  None,
}

/**
 * One FastCGI connection, one request at a time: the HTTP/1.1 request written here leaves as
 * records, the application's records come back as an HTTP/1.1 answer. Implements what the
 * UpstreamConnection uses of a socket (setTimeout and 'timeout', addresses, cork, pause and resume).
 */
export class FcgiChannel extends Duplex {
  private readonly parser: HTTPParser;
  private readonly reader = new RecordReader();
  private facts: FcgiRequestFacts | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The highest request id used (HAProxy's max_id): ids go 1, 3, 5… */
  private maxId = -1;
  private id = 0;

  // The request being sent.
  private head: string[] = [];
  private url = '';
  private afterHead = false;
  private method = '';
  private headFields: string[] = [];
  /** The version of the request line written here (SERVER_PROTOCOL when the facts give none: checks). */
  private requestVersion = 'HTTP/1.1';
  /** PARAMS not sent yet: body pieces wait (their length counts for CONTENT_LENGTH when the request has none). */
  private paramsPending = false;
  private heldBody: Buffer[] = [];
  private heldBodyLength = 0;
  private requestEnded = false;
  /** The request's last STDIN went. */
  private stdinClosed = false;

  // The answer being read.
  private stdout: Buffer[] = [];
  private headDone = false;
  private headEmitted = false;
  private framing = Framing.None;
  private bodyless = false;
  /** END_REQUEST came for the current request. */
  private ended = false;
  /** END_REQUEST came with a protocolStatus other than REQUEST_COMPLETE, or the exchange failed: the connection is not reused. */
  private spoiled = false;
  private pendingHead: CgiHead | undefined;
  private pendingBody: Buffer[] = [];
  /** Body bytes the application's Content-Length still allows (undefined: no such limit). */
  private bodyLeft: number | undefined;

  constructor(readonly socket: net.Socket, private readonly backend: FcgiBackend) {
    super({ decodeStrings: true, allowHalfOpen: true });
    const parser = (this.parser = newParser(REQUEST));
    parser[kOnHeaders] = (headers: string[], url: string) => {
      if (this.afterHead) return;
      this.head.push(...headers);
      this.url += url;
    };
    const onHead: HeadersCompleteCallback = (major, minor, headers, method, url) => {
      this.afterHead = true;
      this.requestVersion = `HTTP/${major}.${minor}`;
      this.method = METHODS[method!] as string;
      this.url = url ?? this.url;
      this.headFields = headers ?? this.head;
      this.head = [];
      this.beginExchange();
      return 0;
    };
    parser[kOnHeadersComplete] = onHead;
    parser[kOnBody] = (chunk: Buffer) => this.onRequestBody(Buffer.from(chunk));
    parser[kOnMessageComplete] = () => {
      this.afterHead = false;
      this.requestEnded = true;
      if (!this.paramsPending) this.closeStdin();
    };
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('end', () => this.onClosed());
    socket.on('close', () => this.onClosed());
    socket.on('error', () => {});
    socket.on('drain', () => this.emit('drain'));
    if (backend.app.getValues) {
      // option get-values: asked once on the new connection; the answer is read and ignored (one request at a time anyway).
      socket.write(encodeRecord(RecordType.GetValues, 0, encodePairs([['FCGI_MAX_REQS', ''], ['FCGI_MPXS_CONNS', '']])));
    }
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  setNoDelay(): this {
    return this;
  }

  /** `timeout server` (and the idle limit while parked): 'timeout' after so long without the exchange moving. */
  setTimeout(ms: number): this {
    clearTimeout(this.timer);
    this.timer = ms > 0 ? setTimeout(() => this.emit('timeout'), ms) : undefined;
    return this;
  }

  private touch(): void {
    this.timer?.refresh();
  }

  /** The transaction's facts for the request it is about to write (before it writes it). */
  prepare(facts: FcgiRequestFacts): void {
    this.facts = facts;
  }

  /** Whether the connection may serve another request: kept by the application, the last exchange complete. */
  reusable(): boolean {
    return this.backend.app.keepConn && this.ended && !this.spoiled && !this.socket.destroyed && !this.destroyed && this.maxId < 0x7fff - 2;
  }

  private beginExchange(): void {
    this.id = (this.maxId + 1) | 1;
    this.maxId = this.id;
    this.paramsPending = true;
    this.requestEnded = false;
    this.stdinClosed = false;
    this.heldBody = [];
    this.heldBodyLength = 0;
  }

  private onRequestBody(chunk: Buffer): void {
    if (this.paramsPending) {
      this.heldBody.push(chunk);
      this.heldBodyLength += chunk.length;
      return;
    }
    this.writeRecords(encodeStream(RecordType.Stdin, this.id, chunk));
  }

  private writeRecords(records: Buffer[]): boolean {
    let more = true;
    for (const r of records) more = this.socket.write(r) && more;
    return more;
  }

  private closeStdin(): void {
    if (this.stdinClosed) return;
    this.stdinClosed = true;
    this.socket.write(encodeRecord(RecordType.Stdin, this.id, undefined));
  }

  /** PARAMS, once the write that brought the request head is parsed (its body so far counts as CONTENT_LENGTH without one). */
  private sendParams(): void {
    this.paramsPending = false;
    const facts = this.facts;
    if (!facts) return void this.fail();
    const pairs = this.buildParams(facts);
    if (pairs === undefined) return void this.fail();
    const content = encodePairs(pairs);
    const out = [beginRequest(this.id, this.backend.app.keepConn), ...encodeStream(RecordType.Params, this.id, content), encodeRecord(RecordType.Params, this.id, undefined)];
    for (const chunk of this.heldBody) out.push(...encodeStream(RecordType.Stdin, this.id, chunk));
    this.heldBody = [];
    this.writeRecords(out);
    if (this.requestEnded) this.closeStdin();
    this.resetAnswer();
  }

  /** The PARAMS pairs as mux_fcgi.c's fcgi_strm_send_params and fcgi_set_default_param build them; undefined on its processing errors. */
  private buildParams(facts: FcgiRequestFacts): Array<[string, string]> | undefined {
    const app = this.backend.app;
    const pairs: Array<[string, string]> = [];
    const set = new Set<string>();
    let docroot = app.docroot ?? '';
    let scriptName: string | undefined;
    let pathInfo: string | undefined;
    let uri = this.url;
    let srvName = '';
    const fields = this.headFields;
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i]!.toLowerCase();
      let value = fields[i + 1]!;
      if (facts.hidden.has(name)) continue;
      if (name === 'content-length') {
        pairs.push(['CONTENT_LENGTH', value]);
        set.add('CONTENT_LENGTH');
        continue;
      }
      if (name === 'content-type') {
        pairs.push(['CONTENT_TYPE', value]);
        continue;
      }
      if (name === 'host') srvName = value;
      else if (name === 'te') {
        // Only as `trailers`, when the value has it.
        const at = value.indexOf('trailers');
        if (at < 0 || (value.length > at + 8 && value[at + 8] !== ',')) continue;
        value = 'trailers';
      }
      pairs.push([`HTTP_${paramName(name)}`, value]);
    }
    for (const [name, value] of facts.params) {
      pairs.push([name, value]);
      set.add(name);
      if (name === 'DOCUMENT_ROOT') docroot = value;
      else if (name === 'SCRIPT_NAME') scriptName = value;
      else if (name === 'PATH_INFO') pathInfo = value;
      else if (name === 'REQUEST_URI') uri = value;
    }
    // fcgi_set_default_param.
    let qs = '';
    if (!(set.has('SCRIPT_NAME') && set.has('PATH_INFO') && set.has('QUERY_STRING'))) {
      const question = uri.indexOf('?');
      let path = pathOf(uri);
      if (!set.has('SCRIPT_NAME') && path === '') return undefined;
      if (!set.has('QUERY_STRING') && question >= 0) qs = uri.slice(question + 1);
      path = path.split('?')[0]!;
      if (!set.has('SCRIPT_NAME')) {
        const decoded = urlDecode(path);
        if (decoded === undefined) return undefined;
        scriptName = decoded;
        const re = this.backend.pathInfo;
        if (re) {
          if (decoded.includes('\n') || decoded.includes('\0')) return undefined;
          const m = re.exec(decoded);
          if (m && m[1] !== undefined) {
            scriptName = m[1];
            if (!set.has('PATH_INFO') && m[2] !== undefined) pathInfo = m[2];
          }
        }
        if (app.index !== undefined && app.index !== '' && scriptName.endsWith('/')) scriptName += app.index;
      }
    }
    const defaults: Array<[string, string | undefined]> = [
      ['GATEWAY_INTERFACE', 'CGI/1.1'],
      ['DOCUMENT_ROOT', docroot],
      ['SCRIPT_NAME', scriptName],
      ['PATH_INFO', pathInfo],
      ['REQUEST_URI', uri],
      ['REQUEST_METHOD', this.method],
      ['QUERY_STRING', qs],
      ['SERVER_NAME', srvName || facts.localAddr],
      ['SERVER_PORT', String(facts.localPort)],
      ['SERVER_PROTOCOL', facts.version || this.requestVersion],
      ['REMOTE_ADDR', facts.remoteAddr],
      ['REMOTE_PORT', String(facts.remotePort)],
      ['SCRIPT_FILENAME', docroot + (scriptName ?? '')],
      ['PATH_TRANSLATED', pathInfo ? docroot + pathInfo : undefined],
      ['CONTENT_LENGTH', String(this.heldBodyLength)],
      ['SERVER_SOFTWARE', SERVER_SOFTWARE],
      ['HTTPS', facts.https ? 'on' : undefined],
    ];
    for (const [name, value] of defaults) {
      if (set.has(name) || value === undefined || value === '') continue;
      pairs.push([name, value]);
    }
    return pairs;
  }

  // ------------------------------------------------------------------ answer

  private resetAnswer(): void {
    this.stdout = [];
    this.headDone = false;
    this.headEmitted = false;
    this.framing = Framing.None;
    this.ended = false;
    this.pendingHead = undefined;
    this.pendingBody = [];
    this.bodyLeft = undefined;
    this.invalid = false;
    this.bodyless = this.method === 'HEAD';
  }

  private onData(data: Buffer): void {
    this.touch();
    this.reader.push(data);
    for (let i = 0; i < 100_000; i++) {
      const record = this.reader.next();
      if (record === undefined) break;
      // HAProxy reads a GET_VALUES_RESULT on the connection's stream (id 0) or the open request's, and
      // pairs that do not decode are a connection error (fcgi_conn_handle_values_result): 502.
      if (record.type === RecordType.GetValuesResult && (record.id === 0 || (record.id === this.id && !this.ended)) && decodePairs(record.content) === undefined) return void this.fail();
      if (record.id === 0) continue; // other management records (UNKNOWN_TYPE…)
      if (record.id !== this.id || this.ended) continue;
      if (record.type === RecordType.Stdout) this.onStdout(record.content);
      else if (record.type === RecordType.Stderr) this.onStderr(record.content);
      else if (record.type === RecordType.EndRequest) this.onEndRequest(record.content);
    }
    this.flushAnswer();
  }

  private onStderr(content: Buffer): void {
    if (content.length === 0) return;
    this.backend.stderr(content.toString('latin1').replace(/\n+$/, ''));
  }

  private onStdout(content: Buffer): void {
    if (content.length === 0) return;
    if (this.headDone) {
      if (!this.bodyless) this.pendingBody.push(content);
      else if (!this.headEmitted) this.invalid = true;
      return;
    }
    this.stdout.push(content);
    const all = Buffer.concat(this.stdout);
    const end = headEnd(all);
    if (end === undefined) {
      this.stdout = [all];
      // A head that outgrows a buffer without its blank line: HAProxy's mux cannot hold it (502).
      // Gathering on would let an application grow it (and the work of each record) without bound.
      if (all.length > MAX_HEADER_SIZE) {
        this.stdout = [];
        this.headDone = true;
        this.invalid = true;
      }
      return;
    }
    this.headDone = true;
    this.stdout = [];
    this.pendingHead = cgiHead(all.toString('latin1', 0, end.head));
    if (this.pendingHead.broken) this.invalid = true;
    const status = Number(this.pendingHead.status);
    if ((status >= 100 && status < 200) || status === 204 || status === 304) this.bodyless = true;
    const rest = all.subarray(end.body);
    if (rest.length > 0 && !this.bodyless) this.pendingBody.push(rest);
    else if (rest.length > 0) this.invalid = true;
  }

  /**
   * A body came for an answer that has none (HEAD, 204, 304): HAProxy's mux finds data after the end
   * of the message, a parsing error (haproxy 2.6.12: 502, PH). llhttp gets bytes it refuses instead
   * of the head, so that the transaction sees an invalid answer too.
   */
  private invalid = false;

  private onEndRequest(content: Buffer): void {
    const end = decodeEndRequest(content);
    this.ended = true;
    if (!end || end.protocolStatus !== ProtocolStatus.RequestComplete) this.spoiled = true;
  }

  /** What this read brought, to the UpstreamConnection in one push (one read there): the head once (its framing decided now), the body, the end. */
  private flushAnswer(): void {
    if (this.ended && !this.headDone) return void this.fail();
    const head = this.pendingHead;
    if (head && !this.headEmitted) {
      // With a Transfer-Encoding the body is chunked and the Content-Length does not count.
      const length = head.length !== undefined && !head.chunked && /^\d+$/.test(head.length) ? Number(head.length) : undefined;
      // More body than the Content-Length says before the head left: data after the end of the
      // message, a parsing error in HAProxy's H1 parser of the CGI answer (haproxy 2.6.12: 502).
      if (length !== undefined && !this.bodyless && this.pendingBody.reduce((n, b) => n + b.length, 0) > length) this.invalid = true;
      this.bodyLeft = this.bodyless ? undefined : length;
    }
    if (this.headDone && !this.headEmitted && this.invalid) {
      this.headEmitted = true;
      this.spoiled = true;
      this.push('\0', 'latin1');
      return;
    }
    const out: Buffer[] = [];
    if (head && !this.headEmitted) {
      this.headEmitted = true;
      let text = `${(this.facts?.version || this.requestVersion) === 'HTTP/1.0' ? 'HTTP/1.0' : 'HTTP/1.1'} ${head.status} ${head.reason}\r\n`;
      for (const [name, value] of head.fields) text += `${name}: ${value}\r\n`;
      // HAProxy's filter adds a Date, and the length of a body that is whole already.
      if (!head.fields.some(([n]) => n.toLowerCase() === 'date')) text += `date: ${new Date().toUTCString()}\r\n`;
      if (this.bodyless) this.framing = Framing.None;
      else if (head.length !== undefined) this.framing = Framing.Length;
      else if (this.ended) {
        this.framing = Framing.Length;
        text += `content-length: ${this.pendingBody.reduce((n, b) => n + b.length, 0)}\r\n`;
      } else {
        this.framing = Framing.Chunked;
        text += 'transfer-encoding: chunked\r\n';
      }
      out.push(Buffer.from(text + '\r\n', 'latin1'));
    }
    let overflow = false;
    if (this.headEmitted) {
      for (let chunk of this.pendingBody) {
        if (this.framing === Framing.Chunked) out.push(Buffer.from(`${chunk.length.toString(16)}\r\n`, 'latin1'), chunk, CRLF);
        else if (this.framing === Framing.Length) {
          if (this.bodyLeft !== undefined) {
            if (chunk.length > this.bodyLeft) {
              overflow = true;
              chunk = chunk.subarray(0, this.bodyLeft);
            }
            this.bodyLeft -= chunk.length;
          }
          if (chunk.length > 0) out.push(chunk);
        }
      }
      this.pendingBody = [];
      if (this.ended && this.framing === Framing.Chunked) out.push(LAST_CHUNK);
    }
    // Backpressure: while the reader (the client, through the UpstreamConnection) holds back, the
    // application is not read from, as HAProxy stops reading when its buffers are full.
    if (out.length > 0 && !this.push(out.length === 1 ? out[0] : Buffer.concat(out))) this.socket.pause();
    // More body than announced after the head left, or an interim answer (1xx) and then the end of
    // the request: the exchange fails (HAProxy: the stream errors, the client gets the 1xx then a 502).
    if (overflow || (this.ended && head !== undefined && head.status.length === 3 && head.status[0] === '1')) this.fail();
  }

  /** The connection closed: an exchange that did not end fails as on a server closing its connection. */
  private onClosed(): void {
    if (this.destroyed) return;
    this.spoiled = true;
    this.push(null);
    this.destroy();
  }

  /** A processing error: the exchange fails as on a closed connection (HAProxy: the stream errors). */
  private fail(): void {
    this.spoiled = true;
    this.push(null);
    this.destroy();
  }

  /** The reader wants more: the application is read from again. */
  override _read(): void {
    if (this.socket.isPaused()) this.socket.resume();
  }

  private write1(chunk: Buffer): boolean {
    const r = this.parser.execute(chunk);
    if (typeof r !== 'number') {
      this.fail();
      return false;
    }
    return true;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.touch();
    if (this.destroyed) return done();
    if (this.write1(chunk) && this.paramsPending) this.sendParams();
    this.afterWrite(done);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, done: (error?: Error | null) => void): void {
    this.touch();
    if (this.destroyed) return done();
    for (const { chunk } of chunks) if (!this.write1(chunk)) break;
    if (!this.destroyed && this.paramsPending) this.sendParams();
    this.afterWrite(done);
  }

  /** Backpressure: the write completes once the socket took what it was given. */
  private afterWrite(done: (error?: Error | null) => void): void {
    if (this.socket.writableNeedDrain && !this.socket.destroyed) {
      this.socket.once('drain', () => done());
      return;
    }
    done();
  }

  override _final(done: (error?: Error | null) => void): void {
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    this.socket.destroy();
    setImmediate(() => this.parser.close());
    done(error);
  }
}

const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

/** HAProxy writes its version here ("HAProxy 2.6.12-1+deb12u3"); Loadstar its own name. */
const SERVER_SOFTWARE = 'Loadstar';

/** An HTTP header name as a parameter name: upper case, other characters than letters and digits as '_' (fcgi_encode_param). */
function paramName(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, '_').toUpperCase();
}

/** The path of a request target (origin-form, or the path of an absolute one), with its query. */
function pathOf(uri: string): string {
  if (uri.startsWith('/')) return uri;
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*(.*)$/.exec(uri);
  return m ? m[1]! : uri === '*' ? '' : uri;
}

/** url_decode(path, 0): %XX sequences as bytes ('+' stays); undefined for a truncated or invalid one. */
function urlDecode(path: string): string | undefined {
  if (!path.includes('%')) return path;
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
    out += String.fromCharCode(parseInt(hex, 16));
    i += 2;
  }
  return out;
}

/** Where a CGI head ends (a blank line, CRLF or LF) and its body starts. */
function headEnd(buf: Buffer): { head: number; body: number } | undefined {
  // No field at all: the blank line comes first.
  if (buf[0] === 0x0a) return { head: 0, body: 1 };
  if (buf[0] === 0x0d && buf[1] === 0x0a) return { head: 0, body: 2 };
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 0x0a) continue;
    if (buf[i + 1] === 0x0a) return { head: i + 1, body: i + 2 };
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return { head: i + 1, body: i + 3 };
  }
  return undefined;
}

interface CgiHead {
  status: string;
  reason: string;
  fields: Array<[string, string]>;
  /** The (first) Content-Length field's value. */
  length: string | undefined;
  /** A Transfer-Encoding field came. */
  chunked: boolean;
  /** A line that is no field: HAProxy's H1 parser refuses the answer (502). */
  broken: boolean;
}

/**
 * A CGI head as h1_postparse_res_hdrs reads it: `Status: NNN reason` gives the status line (its
 * reason, empty when it has none), a Location without one makes it 302 Moved Temporarily, else 200
 * OK; the Status field itself is not passed on (the filter removes it).
 */
function cgiHead(text: string): CgiHead {
  let code = 0;
  let status = '';
  let reason = '';
  let length: string | undefined;
  let chunked = false;
  let broken = false;
  const fields: Array<[string, string]> = [];
  for (const line of text.split('\n')) {
    const l = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (l === '') continue;
    const colon = l.indexOf(':');
    // h1_headers_to_hdr_list: a name running to the end of its line is invalid; a line starting
    // with a space or a tab continues the field before it (left out here).
    if (colon < 0 && l[0] !== ' ' && l[0] !== '\t') broken = true;
    if (colon <= 0) continue;
    const name = l.slice(0, colon);
    const value = l.slice(colon + 1).trim();
    const lower = name.toLowerCase();
    if (lower === 'status') {
      const m = /^[ \t]*([!#$%&'*+.^_`|~0-9A-Za-z-]*)[ \t]*(.*)$/s.exec(value)!;
      status = m[1]!;
      reason = m[2]!;
      code = /^\d+$/.test(status) ? Number(status) : 0;
      continue;
    }
    if (lower === 'location') {
      code = 302;
      status = '302';
      reason = 'Moved Temporarily';
    }
    if (lower === 'content-length') {
      // A repeated Content-Length of the same value is dropped, as h1_parse_cont_len_header does; another value stays, to be refused.
      if (length === value) continue;
      length ??= value;
    }
    if (lower === 'transfer-encoding') chunked = true;
    fields.push([name, value]);
  }
  if (!code) {
    status = '200';
    reason = 'OK';
  }
  return { status, reason, fields, length, chunked, broken };
}

/**
 * The FastCGI mux of a backend's `proto fcgi` servers for their HTTP checks (checks/types.ts), or
 * undefined when the backend has no application. A check's channel has no `set-param` nor hidden
 * header (the fcgi-app filter works on streams, a check has none), its STDERR is not logged, and its
 * addresses are the connection's (mux_fcgi.c for a check: conn_src, which is unset, and conn_dst: the server).
 */
export function fcgiCheckMux(config: Config, proxy: Proxy): FcgiCheckMux | undefined {
  const app = backendFcgiApp(config, proxy);
  if (!app) return undefined;
  const fcgi = new FcgiBackend(app, proxy, () => {});
  return {
    wrap(socket, target) {
      const channel = new FcgiChannel(socket, fcgi);
      channel.prepare({ remoteAddr: '', remotePort: 0, localAddr: target.path ?? target.host, localPort: target.port, https: false, version: '', params: [], hidden: new Set() });
      return channel as unknown as net.Socket;
    },
  };
}
