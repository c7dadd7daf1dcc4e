/**
 * An HTTP/1.1 server for WebSocket tests: it switches protocols (101) for every upgrade request and
 * echoes what the tunnel then carries; other requests get a 200.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import { requestEnd } from '../../proxy/http/lib/scripted-server.ts';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const acceptFor = (key: string): string => crypto.createHash('sha1').update(key + GUID).digest('base64');

/**
 * The server behind both proxies. An upgrade request (an Upgrade field) is answered 101 — at once,
 * or after 500 ms for a path starting /late — with the Sec-WebSocket-Accept of its key, and the
 * connection then echoes what comes; anything else is answered 200 at once.
 */
export interface Origin {
  port: number;
  /** Request heads, in order (a Sec-WebSocket-Key shown as its shape: the proxy makes one up). */
  requests: string[];
  /** Bytes the tunnels received after the switch. */
  tunnelBytes(): number;
  /** Connections switched and still open. */
  tunnelsOpen(): number;
  close(): Promise<void>;
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

export async function startWsOrigin(): Promise<Origin> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const tunnels = new Set<net.Socket>();
  let bytes = 0;
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => {
      sockets.delete(s);
      tunnels.delete(s);
    });
    s.on('error', () => {});
    let buf = '';
    let switched = false;
    s.on('data', (d: Buffer) => {
      if (switched) {
        bytes += d.length;
        return void s.write(d);
      }
      buf += d.toString('latin1');
      for (let end = requestEnd(buf); end >= 0 && !switched; end = requestEnd(buf)) {
        const text = buf.slice(0, end);
        buf = buf.slice(end);
        requests.push(text.replace(/(sec-websocket-key: *)([^\r]*)/i, (_m, name: string, key: string) => `${name}<${/^[A-Za-z0-9+/]{22}==$/.test(key) ? 'a key' : 'not a key'}>`));
        const upgrade = /\r\nupgrade: *([^\r]*)/i.exec(text)?.[1];
        if (upgrade === undefined) {
          s.write(OK);
          continue;
        }
        switched = true;
        tunnels.add(s);
        const key = /\r\nsec-websocket-key: *([^\r]*)/i.exec(text)?.[1];
        const rest = Buffer.from(buf, 'latin1');
        buf = '';
        const answer = () => {
          if (!s.writable) return;
          s.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${upgrade}\r\n${key !== undefined ? `Sec-WebSocket-Accept: ${acceptFor(key)}\r\n` : ''}\r\n`);
          if (rest.length > 0) {
            bytes += rest.length;
            s.write(rest);
          }
        };
        if ((text.split(' ')[1] ?? '').startsWith('/late')) setTimeout(answer, 500);
        else answer();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    tunnelBytes: () => bytes,
    tunnelsOpen: () => tunnels.size,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

