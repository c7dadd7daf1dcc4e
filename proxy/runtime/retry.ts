/**
 * What follows a failed connection to a server, written once for HTTP and
 * TCP (HAProxy 2.6's `retries`, `option redispatch [<interval>]`, and the
 * pause between attempts): give up once `retries` new attempts have failed;
 * else try again after min(timeout connect, 1s), on the same server or,
 * when this retry is a redispatch, on another one the balancer picks.
 *
 * `option redispatch <interval>`: a positive P redispatches every Pth retry,
 * a negative N the Nth retry before the last (the default, -1, the last
 * one), 0 never (HAProxy 2.6's configuration manual).
 *
 * Besides the interval, HAProxy 2.6 (stream_choose_redispatch, back_handle_st_cer)
 * redispatches at once under `option redispatch` — whatever the interval — when
 * the server has stopped (DOWN or in maintenance), or when the request was not
 * sent to its server by persistence, more than one active server can take it and
 * the algorithm is not a hash; and it skips the pause whenever it redispatches
 * with more than one active server (only a retry on the same server waits).
 *
 * `retry-on` (HAProxy 2.6's retry_type): without `conn-failure` a failed connection is not
 * retried at all (back_handle_st_cer), in TCP mode too. Its other words, in HTTP mode, send a
 * request again after it reached a server (`L7RetryPolicy`, HAProxy's do_l7_retry): the same
 * `retries` budget and redispatch rules, never the pause.
 */
import type { BalancingProxy } from '../config/model.ts';
import { effectiveBalance, hashesRequests } from '../balance/index.ts';

/**
 * The failures after a request was sent that send it again (HTTP mode). A backend without any
 * has none (`ConnectRetryPlan.l7` undefined): its exchanges keep no copy of their request.
 */
export interface L7RetryPolicy {
  /** The server closed (or reset) before a whole response head: `empty-response`. */
  readonly emptyResponse: boolean;
  /** The server sent something that is not an HTTP response: `junk-response`. */
  readonly junkResponse: boolean;
  /** `timeout server` struck before a response head: `response-timeout`. */
  readonly responseTimeout: boolean;
  /** Final response statuses that send the request again (`retry-on 503` …). */
  readonly statuses: ReadonlySet<number>;
}

export type RetryStep =
  | { readonly giveUp: true }
  | { readonly giveUp: false; readonly redispatch: boolean; readonly delayMs: number };

const GIVE_UP: RetryStep = { giveUp: true };

/**
 * How an attempt to connect to a server failed, as HAProxy 2.6's back_handle_st_cer tells them
 * apart: an error (refused, reset, a TLS handshake failing), `timeout connect` striking (a TLS
 * handshake included: conn_err_type STRM_ET_CONN_TO), or a certificate not for the SNI sent
 * (conn->err_code CO_ER_SSL_MISMATCH_SNI).
 */
export type ConnectFailure = 'error' | 'timeout' | 'sni-mismatch';

/** What follows a failed connection: the retry step, or giving up with the log's termination state and %rc. */
export type ConnectStep =
  | { readonly giveUp: true; readonly termination: 'SC' | 'sC'; readonly retries: number }
  | { readonly giveUp: false; readonly redispatch: boolean; readonly delayMs: number };

/** Node's error code for a server certificate whose names do not include the one checked. */
const ALTNAME_INVALID = 'ERR_TLS_CERT_ALTNAME_INVALID';

/**
 * The ConnectFailure of a connection that failed with `code` (a Node error code, or 'timeout'
 * when `timeout connect` struck). A name mismatch counts as CO_ER_SSL_MISMATCH_SNI only when an
 * SNI was sent: HAProxy checks the certificate against the SNI then.
 */
export function connectFailureOf(code: string | undefined, timedOut: boolean, sniSent: boolean): ConnectFailure {
  if (timedOut) return 'timeout';
  return sniSent && code === ALTNAME_INVALID ? 'sni-mismatch' : 'error';
}

/** What HAProxy looks at, beyond the retry count, when a connection to a server failed. */
export interface RetryContext {
  /** The server is stopped: DOWN by its checks or in maintenance (HAProxy's cur_state < RUNNING). */
  readonly serverStopped: boolean;
  /** The request went to this server by persistence (a cookie), not by the balancer (SF_DIRECT). */
  readonly direct: boolean;
  /** Active (non-backup) servers that can take new traffic (HAProxy's srv_act). */
  readonly activeServers: number;
  /** A force-persist rule holds: never another server (HAProxy's SF_FORCE_PRST in stream_choose_redispatch). */
  readonly forcePersist?: boolean;
}

export class ConnectRetryPlan {
  /** New attempts after the first one fails. */
  readonly retries: number;
  /** `option redispatch` is on. */
  readonly redispatch: boolean;
  /** `option redispatch <interval>` (-1 when not given). */
  readonly interval: number;
  private readonly delayMs: number;
  /** The backend balances by hashing (a redispatch on a first failure would not pick another server by itself). */
  private readonly hashing: boolean;
  /** `retry-on` names `conn-failure` (the default): a failed connection is tried again. */
  readonly connFailure: boolean;
  /** `retry-on`'s failures after the request was sent (HTTP mode), undefined when it names none. */
  readonly l7: L7RetryPolicy | undefined;

  constructor(config: BalancingProxy) {
    this.retries = config.retries;
    const retryOn = config.retryOn;
    this.connFailure = retryOn === undefined || retryOn.events.includes('conn-failure');
    this.l7 = retryOn && config.mode === 'http' ? l7Policy(retryOn.events, retryOn.statuses) : undefined;
    const option = config.options['redispatch'];
    this.redispatch = option?.enabled ?? false;
    const interval = option?.args[0];
    this.interval = interval !== undefined ? Number(interval) : -1;
    this.delayMs = Math.min(config.timeouts.connect || 1000, 1000);
    this.hashing = hashesRequests(effectiveBalance(config.mode, config.balance).algorithm);
  }

  /**
   * After an attempt failed, with `retriesDone` retries already made: the next step.
   * Without `context` only the retry count decides (the interval, and always the pause).
   */
  afterFailure(retriesDone: number, context?: RetryContext): RetryStep {
    if (!this.connFailure) return GIVE_UP;
    return this.next(retriesDone, context);
  }

  /**
   * After an attempt to connect failed (HAProxy 2.6's back_handle_st_cer), for HTTP and TCP mode
   * alike. A timeout is retried at once: HAProxy's turn-around pause follows errors only
   * (SE_FL_ERROR), and a last one is logged sC, an error SC. A certificate not for the SNI sent
   * is not retried — the name may be the client's, who should not make the proxy hammer a
   * server — and %rc shows every retry spent (conn_retries = be->conn_retries).
   */
  afterConnectFailure(retriesDone: number, failure: ConnectFailure, context?: RetryContext): ConnectStep {
    const done = failure === 'sni-mismatch' ? Math.max(retriesDone, this.retries) : retriesDone;
    const step = this.afterFailure(done, context);
    if (step.giveUp) return { giveUp: true, termination: failure === 'timeout' ? 'sC' : 'SC', retries: done };
    return failure === 'timeout' && step.delayMs > 0 ? { giveUp: false, redispatch: step.redispatch, delayMs: 0 } : step;
  }

  /**
   * After a request sent to a server failed in a way `retry-on` names (the caller checked `l7`):
   * give up once `retries` retries were made, else send it again at once (HAProxy's L7 retries
   * never wait), to another server when `option redispatch` says so.
   */
  afterL7Failure(retriesDone: number, context: RetryContext): RetryStep {
    const step = this.next(retriesDone, context);
    return step.giveUp || step.delayMs === 0 ? step : { giveUp: false, redispatch: step.redispatch, delayMs: 0 };
  }

  private next(retriesDone: number, context: RetryContext | undefined): RetryStep {
    if (retriesDone >= this.retries) return GIVE_UP;
    let redispatch = !context?.forcePersist && this.redispatchOn(retriesDone + 1);
    if (this.redispatch && context && !context.forcePersist && !redispatch) {
      redispatch = context.serverStopped || (!context.direct && context.activeServers > 1 && !this.hashing);
    }
    const wait = !redispatch || !context || context.activeServers <= 1;
    return { giveUp: false, redispatch, delayMs: wait ? this.delayMs : 0 };
  }

  /** Whether retry number `retry` (1-based) goes to another server. */
  redispatchOn(retry: number): boolean {
    if (!this.redispatch) return false;
    const n = this.interval;
    if (n === 0) return false;
    if (n > 0) return retry % n === 0;
    return retry === this.retries + 1 + n;
  }
}

/** What the words of `retry-on` ask for after a request was sent; undefined when nothing. */
function l7Policy(events: readonly string[], statuses: readonly number[]): L7RetryPolicy | undefined {
  const policy: L7RetryPolicy = {
    emptyResponse: events.includes('empty-response'),
    junkResponse: events.includes('junk-response'),
    responseTimeout: events.includes('response-timeout'),
    statuses: new Set(statuses),
  };
  // `0rtt-rejected` alone asks for nothing here: Loadstar sends no early data.
  const any = policy.emptyResponse || policy.junkResponse || policy.responseTimeout || policy.statuses.size > 0;
  return any ? policy : undefined;
}
