/**
 * TLS session resumption towards servers, HAProxy's default: the last session a server gave (a
 * TLS 1.3 ticket, or a TLS 1.2 session) is offered on the next connection to it, so that the
 * server can resume it instead of running a full handshake. HAProxy keeps one per server (and
 * thread: ssl_sock.c `reused_sess`, saved by the new-session callback with the SNI it was made
 * for); a connection that sends another SNI offers none, a failed handshake forgets it, and
 * `no-ssl-reuse` on the server line turns it off.
 */
import type tls from 'node:tls';
import type { RuntimeServer } from './server.ts';

interface Kept {
  sni: string | undefined;
  session: Buffer;
}

const kept = new WeakMap<RuntimeServer, Kept>();

/** tls.connect's `session` for a connection to `server` sending `sni`: its last session if made with that SNI. */
export function sessionToOffer(server: RuntimeServer, sni: string | undefined): { session?: Buffer } {
  if (server.config.options.sslReuse === false) return {};
  const last = kept.get(server);
  return last !== undefined && last.sni === sni ? { session: last.session } : {};
}

/** The sessions `socket` (to `server`, sending `sni`) receives become the server's; a failed handshake forgets it. */
export function keepSessions(server: RuntimeServer, socket: tls.TLSSocket, sni: string | undefined): void {
  if (server.config.options.sslReuse === false) return;
  socket.on('session', (session: Buffer) => kept.set(server, { sni, session }));
  const forget = (): void => {
    kept.delete(server);
  };
  socket.once('error', forget);
  socket.once('secureConnect', () => socket.off('error', forget));
}

/** The server's TLS session forgotten (its context was built again: HAProxy flushes its session cache then). */
export function forgetSessions(server: RuntimeServer): void {
  kept.delete(server);
}
