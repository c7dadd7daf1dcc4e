/**
 * Prototype F — what accepting a connection costs Node, without any proxying: a server that
 * answers the first read of each connection with a fixed 100 B response and closes, as wrk's
 * `Connection: close` load asks. Two ways of accepting:
 *   --accept net     a `net.Server` (a `net.Socket` per connection, as Loadstar's engine has today)
 *   --accept handle  libuv's TCP handles from Node's binding (`process.binding('tcp_wrap')`), no
 *                    `net.Socket`: read, one write, shutdown, close, each a call on the handle
 * bench/accept-cost.ts runs both beside HAProxy proxying the same load (docs/architecture.md,
 * "Thirty-sixth pass"). Not an HTTP server: every connection gets the answer whatever it sent.
 *
 *   node --import tsx bench/prototypes/accept-answer.ts --accept net|handle
 */
import net from 'node:net';

const RESPONSE = `HTTP/1.1 200 OK\r\ncontent-length: 100\r\nconnection: close\r\n\r\n${'x'.repeat(99)}\n`;
const ai = process.argv.indexOf('--accept');
const accept = ai >= 0 ? process.argv[ai + 1] : 'net';

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
interface Bindings {
  TCP: new (type: number) => TcpHandle;
  constants: { SERVER: number };
  WriteWrap: new () => Req;
  ShutdownWrap: new () => Req;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
}

function serveHandles(): void {
  const binding = (name: string): Partial<Bindings> => (process as unknown as { binding(n: string): Partial<Bindings> }).binding(name);
  const { TCP, constants } = binding('tcp_wrap') as Bindings;
  const { WriteWrap, ShutdownWrap, streamBaseState, kReadBytesOrError } = binding('stream_wrap') as Bindings;
  const server = new TCP(constants.SERVER);
  if (server.bind('127.0.0.1', 0) !== 0 || server.listen(511) !== 0) throw new Error('cannot listen on 127.0.0.1');
  const done = (): void => {};
  server.onconnection = (err, handle) => {
    if (err !== 0) return;
    handle.setNoDelay(true);
    let answered = false;
    handle.onread = () => {
      const n = streamBaseState[kReadBytesOrError]!;
      if (n > 0 && !answered) {
        answered = true;
        const write = new WriteWrap();
        write.handle = handle;
        write.oncomplete = done;
        write.async = false;
        handle.writeLatin1String(write, RESPONSE);
        const shutdown = new ShutdownWrap();
        shutdown.handle = handle;
        shutdown.oncomplete = done;
        handle.shutdown(shutdown);
      } else if (n < 0) {
        // The client's FIN (or an error): the connection is over.
        handle.readStop();
        handle.close();
      }
    };
    handle.readStart();
  };
  const address: { port?: number } = {};
  server.getsockname(address);
  console.log(`LISTENING ${address.port} accept-answer (handle)`);
}

function serveNet(): void {
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.once('data', () => socket.end(RESPONSE));
    socket.on('error', () => socket.destroy());
  });
  server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${(server.address() as net.AddressInfo).port} accept-answer (net)`));
}

if (accept === 'handle') serveHandles();
else if (accept === 'net') serveNet();
else throw new Error(`--accept must be net or handle, not ${accept}`);
