/**
 * A FastCGI Responder application for tests (no php-fpm needed): a Node server on 127.0.0.1 that
 * decodes the records it gets and answers as `answer` says. By default the answer is a CGI
 * response echoing the request: its parameters as JSON (`params`, in the order received), its
 * STDIN body (`stdin`), the BEGIN_REQUEST flags and id. The records are decoded here on their own,
 * not with Loadstar's codec, so that a bug there cannot hide itself.
 */
import net from 'node:net';

export interface FcgiRequestSeen {
  id: number;
  role: number;
  /** FCGI_KEEP_CONN was set. */
  keepConn: boolean;
  params: Array<[string, string]>;
  stdin: string;
  /** The connection it came on (1 for the first one the responder accepted). */
  connection: number;
  /** Management records (GET_VALUES) seen on that connection before it. */
  getValues: string[];
}

/** How to answer a request: `stdout` pieces (each its own STDOUT record, sent one after the other), STDERR lines, then END_REQUEST unless `noEnd` (the connection closes instead). */
export interface FcgiAnswer {
  stdout: Array<string | Buffer>;
  stderr?: string[];
  /** Sent after the first stdout piece only once this resolves (an answer whose end comes later). */
  later?: Promise<void>;
  noEnd?: boolean;
  protocolStatus?: number;
  /** Close the connection after END_REQUEST even with FCGI_KEEP_CONN. */
  close?: boolean;
}

export interface FcgiResponder {
  port: number;
  requests: FcgiRequestSeen[];
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

function record(type: number, id: number, content: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = 1;
  h[1] = type;
  h.writeUInt16BE(id, 2);
  h.writeUInt16BE(content.length, 4);
  return Buffer.concat([h, content]);
}

function pairs(content: Buffer): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let i = 0;
  const len = (): number => {
    if (content[i]! >> 7 === 0) return content[i++]!;
    const n = content.readUInt32BE(i) & 0x7fffffff;
    i += 4;
    return n;
  };
  while (i < content.length) {
    const n = len();
    const v = len();
    out.push([content.toString('latin1', i, i + n), content.toString('latin1', i + n, i + n + v)]);
    i += n + v;
  }
  return out;
}

/** The default answer: the request as JSON. */
export function echoAnswer(req: FcgiRequestSeen): FcgiAnswer {
  const body = JSON.stringify({ params: req.params, stdin: req.stdin, keepConn: req.keepConn, id: req.id });
  return { stdout: [`Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`] };
}

/** @param path a UNIX socket to listen on (php-fpm's usual setup) instead of a port of 127.0.0.1. */
export async function startFcgiResponder(answer: (req: FcgiRequestSeen) => FcgiAnswer = echoAnswer, path?: string): Promise<FcgiResponder> {
  const requests: FcgiRequestSeen[] = [];
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const connection = ++accepted;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    const getValues: string[] = [];
    const current = new Map<number, { role: number; keepConn: boolean; params: Buffer[]; stdin: Buffer[]; paramsDone: boolean }>();
    socket.on('data', async (data) => {
      buf = Buffer.concat([buf, data]);
      for (let guard = 0; guard < 10_000 && buf.length >= 8; guard++) {
        const length = buf.readUInt16BE(4);
        const total = 8 + length + buf[6]!;
        if (buf.length < total) break;
        const type = buf[1]!;
        const id = buf.readUInt16BE(2);
        const content = buf.subarray(8, 8 + length);
        buf = buf.subarray(total);
        if (type === 9) {
          getValues.push(...pairs(content).map(([n]) => n));
          socket.write(record(10, 0, Buffer.from([13, 1, ...Buffer.from('FCGI_MAX_REQS1'), 15, 1, ...Buffer.from('FCGI_MPXS_CONNS0')])));
          continue;
        }
        if (type === 1) {
          current.set(id, { role: content.readUInt16BE(0), keepConn: (content[2]! & 1) === 1, params: [], stdin: [], paramsDone: false });
          continue;
        }
        const r = current.get(id);
        if (!r) continue;
        if (type === 4) {
          if (length === 0) r.paramsDone = true;
          else r.params.push(Buffer.from(content));
        } else if (type === 5) {
          if (length > 0) {
            r.stdin.push(Buffer.from(content));
            continue;
          }
          current.delete(id);
          const seen: FcgiRequestSeen = { id, role: r.role, keepConn: r.keepConn, params: pairs(Buffer.concat(r.params)), stdin: Buffer.concat(r.stdin).toString('latin1'), connection, getValues: [...getValues] };
          requests.push(seen);
          const a = answer(seen);
          // The records go out in one write (the answer whole in one read), up to `later`.
          let out: Buffer[] = [];
          for (const line of a.stderr ?? []) out.push(record(7, id, Buffer.from(line)));
          for (const [i, piece] of a.stdout.entries()) {
            if (i === 1 && a.later) {
              socket.write(Buffer.concat(out));
              out = [];
              await a.later;
            }
            if (socket.destroyed) return;
            out.push(record(6, id, Buffer.from(piece)));
          }
          if (a.noEnd) {
            socket.write(Buffer.concat(out));
            return void setTimeout(() => socket.destroy(), 100);
          }
          out.push(record(6, id, Buffer.alloc(0)));
          const end = Buffer.alloc(8);
          end[4] = a.protocolStatus ?? 0;
          out.push(record(3, id, end));
          socket.write(Buffer.concat(out));
          if (!r.keepConn || a.close) socket.end();
        }
      }
    });
  });
  await new Promise<void>((resolve) => (path !== undefined ? server.listen(path, resolve) : server.listen(0, '127.0.0.1', resolve)));
  const port = path !== undefined ? 0 : (server.address() as net.AddressInfo).port;
  return {
    port,
    requests,
    connections: () => accepted,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
