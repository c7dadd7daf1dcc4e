/**
 * Check results as HAProxy names them (check.c `check_statuses[]`): a code,
 * its description, whether it passes, and the check's duration.
 */
import type { SampleContext } from '../acl/index.ts';

export type CheckCode =
  | 'L4OK' | 'L4TOUT' | 'L4CON'
  | 'L6OK' | 'L6TOUT' | 'L6RSP'
  | 'L7OK' | 'L7OKC' | 'L7RSP' | 'L7TOUT' | 'L7STS'
  | 'SOCKERR'
  /** Passive health (`observe`): errors seen in live traffic reached `error-limit`. */
  | 'HANA'
  /** `option external-check`: the command exited non-zero or was killed / outlived its time / exited 0. */
  | 'PROCERR' | 'PROCTOUT' | 'PROCOK';

/** passed / failed / conditionally passed (`http-check disable-on-404` on a 404). */
export type CheckOutcome = 'passed' | 'failed' | 'condpass';

export const CHECK_CODES: Readonly<Record<CheckCode, { outcome: CheckOutcome; description: string }>> = {
  SOCKERR: { outcome: 'failed', description: 'Socket error' },
  HANA: { outcome: 'failed', description: 'Health analyze' },
  L4OK: { outcome: 'passed', description: 'Layer4 check passed' },
  L4TOUT: { outcome: 'failed', description: 'Layer4 timeout' },
  L4CON: { outcome: 'failed', description: 'Layer4 connection problem' },
  L6OK: { outcome: 'passed', description: 'Layer6 check passed' },
  L6TOUT: { outcome: 'failed', description: 'Layer6 timeout' },
  L6RSP: { outcome: 'failed', description: 'Layer6 invalid response' },
  L7TOUT: { outcome: 'failed', description: 'Layer7 timeout' },
  L7RSP: { outcome: 'failed', description: 'Layer7 invalid response' },
  L7OK: { outcome: 'passed', description: 'Layer7 check passed' },
  L7OKC: { outcome: 'condpass', description: 'Layer7 check conditionally passed' },
  L7STS: { outcome: 'failed', description: 'Layer7 wrong status' },
  PROCERR: { outcome: 'failed', description: 'External check error' },
  PROCTOUT: { outcome: 'failed', description: 'External check timeout' },
  PROCOK: { outcome: 'passed', description: 'External check passed' },
};

/** HAProxy's HCHK_STATUS_* numbers (check-t.h), as `show servers state` and server-state files write them. */
export const CHECK_STATUS_NUMBER: Readonly<Record<CheckCode, number>> = {
  HANA: 4, SOCKERR: 5, L4OK: 6, L4TOUT: 7, L4CON: 8, L6OK: 9, L6TOUT: 10, L6RSP: 11, L7TOUT: 12, L7RSP: 13, L7OK: 15, L7OKC: 16, L7STS: 17, PROCERR: 18, PROCTOUT: 19, PROCOK: 20,
};

/** HCHK_STATUS_CHECKED and HCHK_STATUS_L57DATA: statuses above them are finished checks, and checks with a code. */
export const CHECK_STATUS_CHECKED = 3;
export const CHECK_STATUS_L57DATA = 14;

/**
 * A status number's short name and description (check.c's check_statuses[] info and desc), for the
 * statuses that are not a finished check's: UNK and INI, and the internal markers (empty).
 */
export function checkStatusText(status: number): { name: string; description: string } {
  if (status === 0) return { name: 'UNK', description: 'Unknown' };
  if (status === 1) return { name: 'INI', description: 'Initializing' };
  const code = (Object.keys(CHECK_STATUS_NUMBER) as CheckCode[]).find((c) => CHECK_STATUS_NUMBER[c] === status);
  return code ? { name: code, description: CHECK_CODES[code].description } : { name: '', description: '' };
}

/** Codes that carry a status: HTTP's, or an external check's exit code (HAProxy: status >= HCHK_STATUS_L57DATA). */
export function hasStatusCode(code: CheckCode): boolean {
  return code === 'L7OK' || code === 'L7OKC' || code === 'L7STS' || code === 'PROCERR' || code === 'PROCTOUT' || code === 'PROCOK';
}

export interface CheckResult {
  code: CheckCode;
  /** When the check finished (epoch ms). */
  time: number;
  /** Connect to verdict, ms. */
  durationMs: number;
  /** HAProxy's `info` text: errno text, expectation that failed, status line reason … */
  info: string;
  /** HTTP status for L7OK / L7OKC / L7STS; an external check's exit code (-1: killed by a signal). */
  status?: number;
}

export function outcomeOf(result: Pick<CheckResult, 'code'>): CheckOutcome {
  return CHECK_CODES[result.code].outcome;
}

/** Where and how long one check may take. */
export interface CheckTarget {
  host: string;
  port: number;
  /** A UNIX socket server's path (then host and port are not used). */
  path?: string;
  /** `timeout connect` (else the check's whole budget), ms. */
  connectTimeout: number;
  /** `timeout check` once connected (else the remaining budget), ms. */
  readTimeout: number;
  /** Whole-check budget from the start (`inter` when `timeout check` is unset), ms. */
  totalTimeout?: number;
  /** check-ssl: TLS options (verification, SNI) once connected. */
  tls?: import('node:tls').ConnectionOptions;
  /**
   * The `tcp-check connect` / `http-check connect` lines that connect over TLS, with their options
   * (tls/server-tls.ts connectRuleTls); such a line not here connects in plain TCP, as HAProxy's do.
   */
  connectTls?: ReadonlyMap<object, import('node:tls').ConnectionOptions>;
  /** The process's TLS endpoints (`maxsslconn`): a TLS check takes a slot for its connection, as HAProxy's do; undefined: not counted. */
  sslConns?: import('../tls/ssl-conns.ts').SslConns;
  /** `source`: the local address (and port) the check connects from, as traffic does. */
  localAddress?: string;
  localPort?: number;
  /** The server's `socks4` proxy: connections with `viaSocks4` go through it (runtime/socks4.ts); undefined: the server has none. */
  socks4?: import('../config/model.ts').Socks4Address;
  /** `check-via-socks4` (or a connect line's `via-socks4`): this connection goes through `socks4`. */
  viaSocks4?: boolean;
  /** The check's connections start with a PROXY header (`check-send-proxy`, or the server's `send-proxy` when checks go to its address). */
  sendProxy?: boolean;
  /** That header for a connection with these own addresses (also `tcp-check connect send-proxy`'s); set only when some connect may send it. */
  proxyHeader?: (own: { src?: string; srcPort?: number; dst?: string; dstPort?: number }) => Buffer;
}

/** What a check may need to know about its server (disable-on-404 applies only when not DOWN). */
export interface ProbeContext {
  serverDown: boolean;
  /** What the check's log-format strings (uri-lf, send-lf …) are rendered with (check-format.ts). */
  sample?: SampleContext;
  /** `http-check send-state`: the X-Haproxy-Server-State value as of now (ServerCheck.stateHeader). */
  serverState?: () => string;
}

/** One kind of active check: runs once and always resolves with a result. */
export type Probe = (target: CheckTarget, context: ProbeContext) => Promise<CheckResult>;

/**
 * The FastCGI mux an HTTP check of a `proto fcgi` server goes through (check.c: the server's mux),
 * declared here and built by the HTTP layer (http/fcgi-upstream.ts fcgiCheckMux): `wrap` turns the
 * check's connection into one that takes an HTTP/1.1 request and gives back an HTTP/1.1 answer.
 */
export interface FcgiCheckMux {
  wrap(socket: import('node:net').Socket, target: CheckTarget): import('node:net').Socket;
}
