/**
 * Why a TLS handshake on a listener failed, as HAProxy 2.6 tells it in the embryonic-session log
 * line (conn_err_code_str) and in fc_err (the CO_ER_* number). Recorded from haproxy 2.6.12:
 * a connection closed before or during its ClientHello is "Connection closed during SSL handshake",
 * one that sat idle for `timeout client` is "Timeout during SSL handshake", and everything OpenSSL
 * refuses — plain HTTP on the port, no shared protocol or cipher, a reset mid-handshake, a name
 * `strict-sni` does not know — is "SSL handshake failure". `option dontlognull` drops the first two.
 */

export interface HandshakeFailure {
  /** The log line's text (conn_err_code_str). */
  readonly reason: string;
  /** fc_err: HAProxy's CO_ER_* number. */
  readonly code: number;
  /** A connection that sent nothing worth a line: `option dontlognull` drops it (session_kill_embryonic). */
  readonly quiet: boolean;
  /** It counts in ssl_failed_handshake (HAProxy counts every failure OpenSSL reports, not a timeout). */
  readonly counted: boolean;
}

export const HANDSHAKE_FAILURES = {
  closed: { reason: 'Connection closed during SSL handshake', code: 24, quiet: true, counted: true },
  timeout: { reason: 'Timeout during SSL handshake', code: 26, quiet: true, counted: false },
  failure: { reason: 'SSL handshake failure', code: 34, quiet: false, counted: true },
  caChain: { reason: 'SSL client CA chain cannot be verified', code: 30, quiet: false, counted: true },
  clientCert: { reason: 'SSL client certificate not trusted', code: 31, quiet: false, counted: true },
} as const satisfies Record<string, HandshakeFailure>;

/** The failure a Node TLS server reported (its tlsClientError). */
export function handshakeFailureOf(error: NodeJS.ErrnoException): HandshakeFailure {
  if (error.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return HANDSHAKE_FAILURES.timeout;
  // "socket hang up": the client closed (FIN) before the handshake ended; a reset has a syscall
  // ("read ECONNRESET"), and HAProxy's OpenSSL reports that one as a handshake failure.
  if (error.code === 'ECONNRESET' && error.syscall === undefined) return HANDSHAKE_FAILURES.closed;
  return HANDSHAKE_FAILURES.failure;
}

/** The failure of a client-certificate refusal (client-verify.ts's reasons). */
export function refusalFailure(reason: 'SSL handshake failure' | 'SSL client certificate not trusted' | 'SSL client CA chain cannot be verified'): HandshakeFailure {
  if (reason === HANDSHAKE_FAILURES.clientCert.reason) return HANDSHAKE_FAILURES.clientCert;
  if (reason === HANDSHAKE_FAILURES.caChain.reason) return HANDSHAKE_FAILURES.caChain;
  return HANDSHAKE_FAILURES.failure;
}
