/**
 * A raw TCP server standing in for a backend: it frames each HTTP/1 request it reads (head, then a
 * chunked body with its trailer section, or a Content-Length body), records it, and answers it with
 * the next of its scripted replies (the last one repeats).
 */
import net from 'node:net';

/** One request as the server framed it. */
export interface FramedRequest {
  /** The server connection it came on, counted from 1. */
  connection: number;
  /** How many requests that connection had framed before this one. */
  before: number;
  /** The request as received, body included. */
  text: string;
  /** Its head alone, up to and including the empty line. */
  head: string;
}

/** A reply: bytes written at once, or timed parts ([ms after the previous part, bytes | null = close]). */
export type Reply = string | ReadonlyArray<readonly [number, string | null]>;

export interface ScriptedServer {
  port: number;
  /** Every request framed so far, in order. */
  requests: FramedRequest[];
  /** Destroys the open connections and stops listening. */
  close(): Promise<void>;
}

/** The end of the first request in `buf` (latin1), or -1 while it is incomplete. */
export function requestEnd(buf: string): number {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return -1;
  const head = buf.slice(0, end);
  if (/\r\ntransfer-encoding:[ \t]*chunked[ \t]*\r?$/im.test(head)) {
    let at = end + 4;
    for (;;) {
      const eol = buf.indexOf('\r\n', at);
      if (eol < 0) return -1;
      const size = parseInt(buf.slice(at, eol), 16);
      if (Number.isNaN(size)) return -1;
      at = eol + 2;
      if (size === 0) {
        for (;;) {
          const e = buf.indexOf('\r\n', at);
          if (e < 0) return -1;
          if (e === at) return at + 2;
          at = e + 2;
        }
      }
      if (buf.length < at + size + 2) return -1;
      at += size + 2;
    }
  }
  const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
  const total = end + 4 + (cl ? Number(cl[1]) : 0);
  return total <= buf.length ? total : -1;
}

function send(s: net.Socket, reply: Reply): void {
  if (typeof reply === 'string') {
    s.write(reply, 'latin1');
    return;
  }
  let at = 0;
  for (const [delay, part] of reply) setTimeout(() => (part === null ? s.end() : s.write(part, 'latin1')), (at += delay));
}

/** Listens on a free port of 127.0.0.1; `onRequest` sees each request as it is framed, before its reply goes out. */
export async function scriptedServer(replies: readonly Reply[], onRequest?: (r: FramedRequest) => void): Promise<ScriptedServer> {
  const sockets = new Set<net.Socket>();
  const requests: FramedRequest[] = [];
  let connections = 0;
  const server = net.createServer((s) => {
    sockets.add(s);
    const connection = ++connections;
    let before = 0;
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let end = requestEnd(buf); end >= 0; end = requestEnd(buf)) {
        const text = buf.slice(0, end);
        const request = { connection, before: before++, text, head: text.slice(0, text.indexOf('\r\n\r\n') + 4) };
        buf = buf.slice(end);
        requests.push(request);
        onRequest?.(request);
        send(s, replies[Math.min(requests.length - 1, replies.length - 1)]!);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}
