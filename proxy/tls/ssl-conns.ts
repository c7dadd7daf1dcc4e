/**
 * The process's TLS endpoints, both sides (HAProxy's global.sslconns / totalsslconns) and global
 * `maxsslconn`. HAProxy 2.6 takes a slot in ssl_sock_init, when a connection gets its TLS layer:
 * an accepted connection on an `ssl` bind (before the tcp-request connection rules and a PROXY
 * header), a connection to an `ssl` server; the slot is held until the connection closes. At the
 * limit the connection gets no TLS layer:
 * - accepted: HAProxy 2.6.12 gives it up without a handshake (session_accept_fd's error path; it
 *   leaves the socket open, never served, a bug — Loadstar closes it, the evident intent);
 * - to a server: the stream ends with a 500, termination flags IC, no retry (connect_server's
 *   SF_ERR_INTERNAL), a failed connection for the server and backend.
 * - a TLS health check (`check-ssl`, or `check` on an `ssl` server; checks/connection.ts) holds a
 *   slot while its connection is open; at the limit it fails at once, as HAProxy 2.6.12 reports it:
 *   "Layer7 timeout" (L7TOUT), info "Too many SSL connections".
 * `show info` reports MaxSslConns, CurrSslConns and CumSslConns from here.
 */
import type net from 'node:net';

export class SslConns {
  /** `maxsslconn`: the most TLS endpoints open at once; 0 (the default): no limit. */
  limit = 0;
  /** Open now (HAProxy's CurrSslConns). */
  current = 0;
  /** Taken since the engine started (HAProxy's CumSslConns). */
  total = 0;

  /** Whether a new TLS endpoint would be over `maxsslconn`. */
  full(): boolean {
    return this.limit > 0 && this.current >= this.limit;
  }

  /** Takes a slot for `socket` until it closes; false (nothing taken) at the limit. */
  take(socket: net.Socket): boolean {
    if (this.full()) return false;
    this.current++;
    this.total++;
    socket.once('close', this.release);
    return true;
  }

  private readonly release = (): void => {
    this.current--;
  };
}

/** The reason a connection to a server fails at the limit (HAProxy's CO_ER_SSL_TOO_MANY). */
export const SSL_TOO_MANY = 'Too many SSL connections';
