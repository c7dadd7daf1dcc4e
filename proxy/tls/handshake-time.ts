/**
 * How long each TLS connection's handshake took, for the log's %Th: the TLS listener notes when a
 * raw connection begins its handshake, the HTTP engine reads the time once the connection is secured.
 */
import type net from 'node:net';
import type tls from 'node:tls';

/** When each TLS connection was handed to its TLS server (the raw socket), i.e. when its handshake began. */
const handshakeStarts = new WeakMap<net.Socket, number>();

/** A TLS server's 'connection' listener: the raw connection begins its handshake now (unless its ClientHello was read before). */
export function handshakeBegins(raw: net.Socket): void {
  if (!handshakeStarts.has(raw)) handshakeStarts.set(raw, Date.now());
}

/** %Th of a connection handed over at `securedAt`: its TLS handshake's ms (0 without TLS). */
export function handshakeTime(socket: net.Socket, securedAt: number): number {
  if (!(socket as tls.TLSSocket).encrypted) return 0;
  const raw = (socket as unknown as { _parent?: net.Socket })._parent;
  const start = raw && handshakeStarts.get(raw);
  return start === undefined ? 0 : Math.max(0, securedAt - start);
}

/** When a connection (raw, or secured by TLS) began its handshake; now when unknown (refused before it began). */
export function handshakeStartOf(socket: net.Socket): number {
  return handshakeStarts.get(rawSocketOf(socket)) ?? Date.now();
}

/** The TCP connection under a TLS socket (Node's `_parent`), or the socket itself. */
export function rawSocketOf(socket: net.Socket): net.Socket {
  return (socket as unknown as { _parent?: net.Socket })._parent ?? socket;
}
