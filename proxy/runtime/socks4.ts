/**
 * `server … socks4 <addr>:<port>`: the server's connections are opened to a SOCKS4 proxy, which is
 * asked to CONNECT to the server (HAProxy 2.6's conn_send_socks4_proxy_request and
 * conn_recv_socks4_proxy_response, src/connection.c). The request is 16 bytes: version 4, command 1,
 * the server's port and IPv4 address (of an IPv6 one its first 32-bit word that is not zero, as
 * HAProxy's is_inet_addr gives it; 0.0.0.0 for a UNIX socket), and the user id "HAProxy".
 * The proxy's 8-byte reply grants the request with code 90; anything else is a refusal.
 *
 * What haproxy 2.6.12 makes of the outcomes, and Loadstar with it (test/proxy/http/socks4.test.ts):
 *   refused (code ≠ 90)           a failed connection: SC, retried; check "Socket error", info "SOCKS4 Proxy deny the request"
 *   closed before any reply byte  a failed connection: SC, retried; check info "SOCKS4 Proxy read error during handshake"
 *   reset while waiting           a failed connection: SC, retried; check info "SOCKS4 Proxy handshake aborted by server (Connection reset by peer)"
 *   no reply, or part of one      waits: `timeout connect` (sC), the check's timeout (L7TOUT)
 * The handshake counts in %Tc, within `timeout connect`. A PROXY header (`send-proxy`) and a TLS
 * handshake (`ssl`) come after it, through the tunnel.
 */
import net from 'node:net';

/** HAProxy's check info (conn_err_code_str) for a refused request. */
export const SOCKS4_DENIED = 'SOCKS4 Proxy deny the request';
/** … for a proxy that closed before its reply. */
export const SOCKS4_READ_ERROR = 'SOCKS4 Proxy read error during handshake';
/** … for a socket error while waiting for it (a reset), followed by the error's text in parentheses. */
export const SOCKS4_ABORTED = 'SOCKS4 Proxy handshake aborted by server';

/** The length of the proxy's reply (SOCKS4_HS_RSP_LEN). */
const REPLY_LENGTH = 8;

/** The CONNECT request for `host:port` (struct socks4_request). */
export function socks4Request(host: string, port: number): Buffer {
  const request = Buffer.alloc(16);
  request[0] = 0x04;
  request[1] = 0x01;
  request.writeUInt16BE(port & 0xffff, 2);
  // is_inet_addr(): the IPv4 address; of an IPv6 one its first 32-bit word that is not zero (::1 → 0.0.0.1); 0 for a UNIX socket.
  if (net.isIPv4(host)) {
    const parts = host.split('.');
    for (let i = 0; i < 4; i++) request[4 + i] = Number(parts[i]);
  } else if (net.isIPv6(host)) {
    const bytes = ipv6Bytes(host);
    for (let word = 0; word < 16; word += 4) {
      if (bytes.readUInt32BE(word) === 0) continue;
      bytes.copy(request, 4, word, word + 4);
      break;
    }
  }
  request.write('HAProxy\0', 8, 'latin1');
  return request;
}

/** The 16 bytes of an IPv6 address (net.isIPv6 said it is one): `::` expanded, a dotted IPv4 tail read. */
function ipv6Bytes(host: string): Buffer {
  const groups = (part: string): number[] => part === '' ? [] : part.split(':').flatMap((g) => {
    if (!g.includes('.')) return [parseInt(g, 16)];
    const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
    return [(a << 8) | b, (c << 8) | d];
  });
  const address = host.split('%')[0]!;
  const gap = address.indexOf('::');
  const head = groups(gap < 0 ? address : address.slice(0, gap));
  const tail = gap < 0 ? [] : groups(address.slice(gap + 2));
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const bytes = Buffer.alloc(16);
  all.forEach((g, i) => bytes.writeUInt16BE(g, i * 2));
  return bytes;
}

/**
 * Sends `request` on `socket` (queued until it connects, as HAProxy sends once connected) and reads
 * the reply. `done` is called once: without an error when the proxy granted the request (the reply
 * is consumed, what follows it stays in the socket for its reader), else with SOCKS4_DENIED or
 * SOCKS4_READ_ERROR. A proxy that sends less than a reply and closes, or stays silent, gets no call:
 * the caller's connect timeout ends it (HAProxy peeks at the reply until it is whole). Socket errors
 * are the caller's to listen for. Returns a function that stops listening.
 */
export function socks4Handshake(socket: net.Socket, request: Buffer, done: (error?: string) => void): () => void {
  let settled = false;
  const stop = (): void => {
    settled = true;
    socket.off('readable', onReadable);
    socket.off('end', onEnd);
  };
  const onReadable = (): void => {
    if (settled) return;
    // read(8) returns the reply only once it is whole (or the rest of an ended stream).
    const reply = socket.read(REPLY_LENGTH) as Buffer | null;
    if (reply === null) return;
    if (reply.length < REPLY_LENGTH) return void stop();
    stop();
    done(reply[1] === 90 ? undefined : SOCKS4_DENIED);
  };
  const onEnd = (): void => {
    if (settled) return;
    // An end with part of a reply read waits for the timeout, as HAProxy's peek does.
    if (socket.readableLength > 0) return void stop();
    stop();
    done(SOCKS4_READ_ERROR);
  };
  socket.on('readable', onReadable);
  socket.once('end', onEnd);
  socket.write(request);
  return stop;
}
