/**
 * The `error-log-format` line of a connection that failed before it became a stream (a TLS
 * handshake, a PROXY header), as HAProxy 2.6's sess_build_logline renders it without a stream:
 * recorded from haproxy 2.6.12, the backend is the frontend, the server <NOSRV>, the status and
 * byte counts 0, %ts "PR", %{+Q}r "<BADREQ>", %Th the time to the failure (-1 after a timeout,
 * whose handshake never ended), %Ti 0, %TR/%Tw/%Tc/%Tr -1, %Tt the time since the accept; the
 * connection still counts in %ac and %fc, and the line takes the next %rt and %lc.
 */
import type net from 'node:net';
import type { Bind } from '../config/model.ts';
import type { ConnectionInfo } from '../acl/index.ts';
import type { FrontendInfo } from './exchange.ts';
import { nextStreamNumber, processConnections } from './exchange.ts';
import type { ProxyLogFormat } from './log-format.ts';

/** Why it failed: the log's text (conn_err_code_str) and HAProxy's CO_ER_* number (fc_err). */
export interface ConnectionFailure {
  readonly reason: string;
  readonly code: number;
}

export interface EmbryonicRecord {
  readonly frontend: FrontendInfo;
  readonly bind: Bind;
  /** The client's TCP connection (its addresses: a PROXY header's once one was read). */
  readonly socket: net.Socket;
  /** epoch ms of the accept. */
  readonly acceptedAt: number;
  readonly failure: ConnectionFailure;
  /** %Th: ms from the accept to the failure; -1 when it timed out. */
  readonly handshake: number;
  /** The port the connection arrived on, when the socket now reports a PROXY header's. */
  readonly listenerPort?: number;
}

export function embryonicLogLine(format: ProxyLogFormat, r: EmbryonicRecord, logCounter: number): string {
  const s = r.socket;
  const conn: ConnectionInfo = {
    src: s.remoteAddress ?? '', srcPort: s.remotePort ?? 0, dst: s.localAddress ?? '', dstPort: s.localPort ?? 0,
    frontend: r.frontend.name, defaultBackend: r.frontend.config.defaultBackend?.name,
    ssl: r.bind.ssl === true, error: r.failure.code, errorString: r.failure.reason,
  };
  return format({ conn }, {
    acceptDate: r.acceptedAt, tHandshake: r.handshake, tIdle: 0,
    tRequest: -1, tQueue: -1, tConnect: -1, tData: -1, tClose: Date.now() - r.acceptedAt,
    status: 0, terminationState: 'PR', backendName: r.frontend.name, serverName: '<NOSRV>',
    // The failed connection is still open and counted, as HAProxy's embryonic session is.
    activeConnections: processConnections.count + 1, frontendConnections: r.frontend.active + 1,
    requestCounter: nextStreamNumber(), logCounter,
  });
}
