/**
 * A raw TCP "origin" that records the exact bytes each connection brought and
 * answers like a plain server would: `100 Continue` first when the request asks
 * for it (node:http does this too), then one `200` with `Connection: close` as
 * soon as a strict reader (http1.ts) sees a complete request, `400` when it
 * cannot frame it. One answer per connection, so every byte that arrives after
 * the first request on a connection is something the proxy sent unasked.
 */
import net from 'node:net';
import { analyzeRequests, firstHead } from './http1.ts';
import type { StreamAnalysis } from './http1.ts';

export interface OriginConnection {
  bytes: Buffer;
  closed: boolean;
  answered: number | undefined;
}

export interface RecordingOrigin {
  port: number;
  /** Forget what was recorded (a new case starts on this lane). */
  reset(): void;
  connections(): OriginConnection[];
  /** Every recorded connection has closed. */
  idle(): boolean;
  close(): Promise<void>;
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nok';
const BAD = 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';

export async function startRecordingOrigin(): Promise<RecordingOrigin> {
  let recorded: OriginConnection[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    const conn: OriginConnection = { bytes: Buffer.alloc(0), closed: false, answered: undefined };
    recorded.push(conn);
    let continued = false;
    socket.on('error', () => {});
    socket.on('close', () => {
      conn.closed = true;
      sockets.delete(socket);
    });
    socket.on('end', () => socket.end());
    socket.on('data', (d: Buffer) => {
      conn.bytes = Buffer.concat([conn.bytes, d]);
      if (conn.answered !== undefined) return;
      // Like node:http: 100 Continue as soon as the head asks for it, even when the body came along.
      if (!continued && firstHead(conn.bytes)?.headers.some(([n, v]) => n.toLowerCase() === 'expect' && /100-continue/i.test(v))) {
        continued = true;
        socket.write('HTTP/1.1 100 Continue\r\n\r\n');
      }
      const a = analyzeRequests(conn.bytes);
      if (a.messages.length > 0) {
        conn.answered = 200;
        socket.end(OK);
      } else if (a.error) {
        conn.answered = 400;
        socket.end(BAD);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    reset: () => { recorded = []; },
    connections: () => recorded,
    idle: () => recorded.every((c) => c.closed),
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

export interface ServerSideView {
  /** Complete requests the origin read, over every connection. */
  forwarded: number;
  analyses: Array<{ bytes: Buffer; analysis: StreamAnalysis }>;
}

export function serverSideView(conns: OriginConnection[]): ServerSideView {
  const analyses = conns.map((c) => ({ bytes: c.bytes, analysis: analyzeRequests(c.bytes) }));
  return { forwarded: analyses.reduce((n, a) => n + a.analysis.messages.length, 0), analyses };
}
