/**
 * Prototype F — what accepting a connection costs Node, without any proxying: a server that
 * answers the first read of each connection with a fixed 100 B response and closes, as wrk's
 * `Connection: close` load asks. Ways of accepting:
 *   --accept net         a `net.Server` (a `net.Socket` per connection, as Loadstar's engine has today)
 *   --accept handle      libuv's TCP handles from Node's binding (`process.binding('tcp_wrap')`), no
 *                        `net.Socket`: read, one write, shutdown, close, each a call on the handle
 *   --accept tls-net     a `tls.Server` (a `net.Socket` and a `TLSSocket` per connection)
 *   --accept tls-handle  the TCP handle wrapped in Node's TLSWrap (`process.binding('tls_wrap')`) directly,
 *                        no socket objects: the handshake, the decrypted read, the write and the TLS
 *                        shutdown are the TLSWrap's; no session cache, tickets or SNI (a prototype)
 * bench/accept-cost.ts runs them (the plain two beside HAProxy proxying the same load; with --tls
 * the TLS two under full handshakes; docs/architecture.md, "Thirty-sixth pass"). Not an HTTP
 * server: every connection gets the answer whatever it sent.
 *
 *   node --import tsx bench/prototypes/accept-answer.ts --accept net|handle|tls-net|tls-handle [--crt PEM]
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

const RESPONSE = `HTTP/1.1 200 OK\r\ncontent-length: 100\r\nconnection: close\r\n\r\n${'x'.repeat(99)}\n`;
const ai = process.argv.indexOf('--accept');
const accept = ai >= 0 ? process.argv[ai + 1] : 'net';
const ci = process.argv.indexOf('--crt');
/** Key and certificate from one PEM file (as HAProxy's `crt`). */
const keyAndCert = (): { key: string; cert: string } => {
  if (ci < 0) throw new Error('--crt PEM is needed for a TLS server');
  const text = readFileSync(process.argv[ci + 1]!, 'utf8');
  return { key: text, cert: text };
};

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

interface Req { handle: unknown; oncomplete: () => void; async?: boolean }
interface TcpHandle {
  bind(address: string, port: number): number;
  listen(backlog: number): number;
  getsockname(out: { port?: number }): number;
  setNoDelay(on: boolean): number;
  readStart(): number;
  readStop(): number;
  writeLatin1String(req: Req, text: string): number;
  shutdown(req: Req): number;
  close(): void;
  onread: () => void;
  onconnection: (err: number, handle: TcpHandle) => void;
}
/** Node's TLSWrap: a stream over the TCP handle it wraps (reads decrypted, writes encrypted). */
interface TlsWrapHandle {
  onread: () => void;
  onerror: () => void;
  onhandshakestart: () => void;
  onhandshakedone: () => void;
  onnewsession: () => void;
  onocspresponse: () => void;
  setVerifyMode(request: boolean, reject: boolean): void;
  writeLatin1String(req: Req, text: string): number;
  shutdown(req: Req): number;
  destroySSL(): void;
}
interface Bindings {
  wrap(handle: TcpHandle, context: unknown, isServer: boolean, hasActiveWrite: boolean): TlsWrapHandle;
  TCP: new (type: number) => TcpHandle;
  constants: { SERVER: number };
  WriteWrap: new () => Req;
  ShutdownWrap: new () => Req;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
}

function binding(name: string): Bindings {
  return (process as unknown as { binding(n: string): Bindings }).binding(name);
}

/**
 * Accepts on a bare TCP handle; `answer` is given each connection's handle and answers on it (or on
 * a stream over it), then closes it once the client has closed its side.
 */
function listenOnHandles(label: string, answer: (handle: TcpHandle) => void): void {
  const { TCP, constants } = binding('tcp_wrap');
  const server = new TCP(constants.SERVER);
  if (server.bind('127.0.0.1', 0) !== 0 || server.listen(511) !== 0) throw new Error('cannot listen on 127.0.0.1');
  server.onconnection = (err, handle) => {
    if (err !== 0) return;
    handle.setNoDelay(true);
    answer(handle);
    handle.readStart();
  };
  const address: { port?: number } = {};
  server.getsockname(address);
  console.log(`LISTENING ${address.port} accept-answer (${label})`);
}

const done = (): void => {};

/** The answer written and the sending side shut down, on `stream` (the TCP handle, or the TLSWrap over it). */
function answerOn(stream: { writeLatin1String(req: Req, text: string): number; shutdown(req: Req): number }): void {
  const { WriteWrap, ShutdownWrap } = binding('stream_wrap');
  const write = new WriteWrap();
  write.handle = stream;
  write.oncomplete = done;
  write.async = false;
  stream.writeLatin1String(write, RESPONSE);
  const shutdown = new ShutdownWrap();
  shutdown.handle = stream;
  shutdown.oncomplete = done;
  stream.shutdown(shutdown);
}

/**
 * The `onread` of `stream` (the TCP handle, or the TLSWrap over it): its first read is answered;
 * the end of its reads (the client's FIN, or an error) calls `end`.
 */
function answerFirstRead(stream: Parameters<typeof answerOn>[0], end: () => void): () => void {
  const { streamBaseState, kReadBytesOrError } = binding('stream_wrap');
  let answered = false;
  return () => {
    const n = streamBaseState[kReadBytesOrError]!;
    if (n > 0 && !answered) {
      answered = true;
      answerOn(stream);
    } else if (n < 0) end();
  };
}

function serveHandles(): void {
  listenOnHandles('handle', (handle) => {
    handle.onread = answerFirstRead(handle, () => {
      handle.readStop();
      handle.close();
    });
  });
}

function serveTlsHandles(): void {
  const { wrap } = binding('tls_wrap');
  const context = (tls.createSecureContext(keyAndCert()) as unknown as { context: unknown }).context;
  // The TLSWrap objects of open connections: with nothing in JavaScript holding one, V8 may collect it
  // mid-connection (that connection then hangs), as a TLSSocket would otherwise hold it.
  const open = new Set<TlsWrapHandle>();
  listenOnHandles('tls-handle', (handle) => {
    const ssl = wrap(handle, context, true, false);
    open.add(ssl);
    const end = (): void => {
      open.delete(ssl);
      ssl.destroySSL();
      handle.readStop();
      handle.close();
    };
    // After destroySSL the TCP handle's own reads come back to it: nothing more to do with them.
    handle.onread = done;
    ssl.onhandshakestart = done;
    ssl.onhandshakedone = done;
    ssl.onnewsession = done;
    ssl.onocspresponse = done;
    ssl.onerror = end;
    ssl.setVerifyMode(false, false);
    ssl.onread = answerFirstRead(ssl, end);
  });
}

/** Node's own servers (a socket object per connection), each answering with answerSocket. */
function listenWithSockets(label: string, server: net.Server): void {
  server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${(server.address() as net.AddressInfo).port} accept-answer (${label})`));
}

/** The first read answered and the socket ended; Node closes it once the client has closed its side. */
function answerSocket(socket: net.Socket): void {
  socket.once('data', () => socket.end(RESPONSE));
  socket.on('error', () => socket.destroy());
}

function serveNet(): void {
  listenWithSockets('net', net.createServer({ noDelay: true }, answerSocket));
}

function serveTlsNet(): void {
  // The listener gets the TLSSocket ('secureConnection'), once its handshake is done.
  listenWithSockets('tls-net', tls.createServer(keyAndCert(), answerSocket));
}

const servers: Record<string, () => void> = { net: serveNet, handle: serveHandles, 'tls-net': serveTlsNet, 'tls-handle': serveTlsHandles };
const serve = servers[accept];
if (!serve) throw new Error(`--accept must be one of ${Object.keys(servers).join(', ')}, not ${accept}`);
serve();
