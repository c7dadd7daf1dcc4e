/**
 * The log's start of a stream as HAProxy 2.6 dates it (%t, %Th, %Ti; configuration.txt 8.4):
 * a connection's accept (before its TLS handshake, %Th) for its first stream, then, on HTTP/1,
 * the end of the previous exchange and, on HTTP/2, the previous stream's creation (h2 mux's
 * h2c_frt_stream_new). %Ti is the time from there (and the handshake) to the request's first byte.
 */

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
