/**
 * The log's start of a stream as HAProxy 2.6 dates it (%t, %Th, %Ti; configuration.txt 8.4):
 * a connection's accept (before its TLS handshake, %Th) for its first stream, then, on HTTP/1,
 * the end of the previous exchange and, on HTTP/2, the previous stream's creation (h2 mux's
 * h2c_frt_stream_new). %Ti is the time from there (and the handshake) to the request's first byte.
 */
import type net from 'node:net';
import type tls from 'node:tls';

/** When each TLS connection was handed to its TLS server (the raw socket), i.e. when its handshake began. */
const handshakeStarts = new WeakMap<net.Socket, number>();

/** A TLS server's 'connection' listener: the raw connection begins its handshake now. */
export function handshakeBegins(raw: net.Socket): void {
  handshakeStarts.set(raw, Date.now());
}

/** %Th of a connection handed over at `securedAt`: its TLS handshake's ms (0 without TLS). */
export function handshakeTime(socket: net.Socket, securedAt: number): number {
  if (!(socket as tls.TLSSocket).encrypted) return 0;
  const raw = (socket as unknown as { _parent?: net.Socket })._parent;
  const start = raw && handshakeStarts.get(raw);
  return start === undefined ? 0 : Math.max(0, securedAt - start);
}

/** Per HTTP/2 connection: the creation of its last stream, and its handshake until its first stream took it. */
const lastStreams = new WeakMap<object, number>();
const handshakes = new WeakMap<object, number>();

/** An HTTP/2 connection was accepted, its TLS handshake having taken `handshake` ms. */
export function h2ConnectionAccepted(connection: object, handshake: number): void {
  if (handshake > 0) handshakes.set(connection, handshake);
}

/**
 * An HTTP/2 stream is created `now` on `connection` (handed over at `acceptedAt`): its accept date, the
 * previous stream's creation, else the connection's accept before its handshake (so that `acceptedAt` minus
 * it is the stream's %Th: the first stream's handshake, 0 for the others, created after `acceptedAt`).
 */
export function h2StreamAccept(connection: object, acceptedAt: number, now: number): number {
  const previous = lastStreams.get(connection);
  lastStreams.set(connection, now);
  if (previous !== undefined) return previous;
  const handshake = handshakes.get(connection) ?? 0;
  handshakes.delete(connection);
  return acceptedAt - handshake;
}
