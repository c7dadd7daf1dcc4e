/**
 * Where an HTTP exchange meets its stick counters (http_ana.c): the request
 * counts in what the connection tracks when it is parsed
 * (stream_inc_http_req_ctr) or has failed, denials and 4xx answers count as errors, 5xx
 * (but 501 and 505) as failures, and the exchange's own counters are
 * released when it ends (stream_store_counters). Each HTTP request is one
 * HAProxy stream: it starts with the connection's counters.
 */
import type net from 'node:net';
import { StreamCounters, countEvent, existingSessionCounters } from './tracking.ts';
import type { StickCounters, Tracked } from './tracking.ts';
import { incGpc } from './read.ts';
import { tickNow } from './table.ts';

/**
 * What this module needs of an exchange (proxy/http/transaction.ts HttpTransaction). The
 * tracer's exchanges (http/trace.ts) have no client: they track and count nothing.
 */
interface Exchange {
  /** The client's connection: what `tcp-request connection` / `session` rules track is kept on it. */
  readonly client?: { readonly transport: net.Socket };
}

const streams = new WeakMap<Exchange, StreamCounters>();

/** Counters of an exchange that is not served (a trace): nothing is tracked, the tables stay as they are. */
const UNTRACKED: StickCounters = { slot: () => undefined, track: () => undefined };

/** The exchange's counters, made on first use (a track-sc action, an sc*_ fetch). */
export function streamCounters(tx: Exchange): StickCounters {
  const socket = tx.client?.transport;
  if (!socket) return UNTRACKED;
  let counters = streams.get(tx);
  if (!counters) streams.set(tx, (counters = new StreamCounters(existingSessionCounters(socket))));
  return counters;
}

/** The connection's counters, when the exchange has a connection that tracks anything. */
function sessionOf(tx: Exchange): StickCounters | undefined {
  const socket = tx.client?.transport;
  return socket && existingSessionCounters(socket);
}

/**
 * The request was parsed: it counts in http_req_cnt / http_req_rate of what its connection tracks,
 * and, `afterContentRules`, of what the exchange tracks already (tcp-request content track-sc of an
 * HTTP proxy runs before).
 */
export function requestParsed(tx: Exchange, afterContentRules = false): void {
  countEvent((afterContentRules ? streams.get(tx) : undefined) ?? sessionOf(tx), 'http_req_cnt', 'http_req_rate');
}

/**
 * A request that failed before it was whole (a bad request, a connection closed or timed out
 * before its request came): HAProxy's stream counts it as a request all the same, and a parsing
 * error (400 and the other 4xx but 408) as an HTTP error too (http_wait_for_request).
 */
export function requestFailed(socket: net.Socket, status: number): void {
  const counters = existingSessionCounters(socket);
  if (!counters) return;
  countEvent(counters, 'http_req_cnt', 'http_req_rate');
  if (status >= 400 && status < 500 && status !== 408) countEvent(counters, 'http_err_cnt', 'http_err_rate');
}

/** `http-request deny`, `tarpit` or `auth` answered (stream_inc_http_err_ctr). */
export function requestDenied(tx: Exchange): void {
  countEvent(streams.get(tx) ?? sessionOf(tx), 'http_err_cnt', 'http_err_rate');
}

/** A server's answer: 4xx count as errors, 5xx but 501 and 505 as failures. */
export function responseReceived(tx: Exchange, status: number): void {
  if (status >= 400 && status < 500) countEvent(streams.get(tx) ?? sessionOf(tx), 'http_err_cnt', 'http_err_rate');
  else if (status >= 500 && status < 600 && status !== 501 && status !== 505) countEvent(streams.get(tx) ?? sessionOf(tx), 'http_fail_cnt', 'http_fail_rate');
}

/**
 * `http-response track-sc*` started tracking `tracked` on an answer with `status`: the request counts
 * in it as a request, and as an HTTP error (4xx) or failure (5xx but 501 and 505), which it missed
 * while untracked (http_action_track_sc, ACT_F_HTTP_RES).
 */
export function responseTracked(tracked: Tracked, status: number): void {
  const { table, entry } = tracked;
  const now = tickNow();
  const count = (c: 'http_req_cnt' | 'http_err_cnt' | 'http_fail_cnt', r: 'http_req_rate' | 'http_err_rate' | 'http_fail_rate'): void => {
    const counted = table.add(entry, c, 1) !== undefined;
    const rated = table.tick(entry, r, now) !== undefined;
    if (counted || rated) table.touch(entry, now);
  };
  count('http_req_cnt', 'http_req_rate');
  if (status >= 400 && status < 500) count('http_err_cnt', 'http_err_rate');
  else if (status >= 500 && status < 600 && status !== 501 && status !== 505) count('http_fail_cnt', 'http_fail_rate');
}

/** The exchange ended: what it tracked itself lets go (conn_cur down); the connection's counters stay. */
export function exchangeEnded(tx: Exchange): void {
  streams.get(tx)?.stop();
  streams.delete(tx);
}
