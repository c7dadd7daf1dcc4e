/**
 * The counters behind every statistics output (CSV, stats page, Prometheus,
 * series): one StatCounters per frontend, backend and server, named after
 * HAProxy's `show stat` fields. They are plain number fields so the hot path
 * is an increment; rates, maxima of rates and the time series are derived on
 * the registry's one-second tick.
 */
import { Histogram } from './histogram.ts';
import { cumulativeOf } from './series.ts';
import type { Series } from './series.ts';

/** HAProxy averages queue/connect/response/total times over the last 512 samples (TIME_STATS_SAMPLES). */
const TIME_SAMPLES = 512;

export class StatCounters {
  // sessions and queue
  /** Current sessions (frontend: client connections; backend/server: requests holding a slot). */
  scur = 0;
  smax = 0;
  /** Cumulated sessions (stot); for a frontend, accepted connections. */
  stot = 0;
  qmax = 0;
  /** Connections accepted (frontends: conn_tot), those whose TLS handshake or PROXY header failed included. */
  connTot = 0;
  /**
   * Bytes read from and written to the HTTP/1 client connections that closed (a frontend's h1_bytes_in /
   * h1_bytes_out: what HAProxy's H1 multiplexer receives and sends, after TLS; open ones are added when read).
   */
  h1BytesIn = 0;
  h1BytesOut = 0;
  /** Frontends' TLS handshakes: completed new sessions, resumed ones, failed ones (ssl_sess, ssl_reused_sess, ssl_failed_handshake). */
  sslSess = 0;
  sslReusedSess = 0;
  sslFailedHandshake = 0;
  // bytes
  bin = 0;
  bout = 0;
  // requests and responses
  reqTot = 0;
  hrsp1xx = 0;
  hrsp2xx = 0;
  hrsp3xx = 0;
  hrsp4xx = 0;
  hrsp5xx = 0;
  hrspOther = 0;
  /** Requests denied by http-request deny / tcp-request rules. */
  dreq = 0;
  dresp = 0;
  /** Invalid requests: protocol errors and request timeouts (frontends). */
  ereq = 0;
  /** Requests answered by Loadstar itself (redirects, return, stats page, services). */
  intercepted = 0;
  /** Header rewrites that failed for want of room (failed_rewrites, `wrew`): the exchange got a 500 in strict mode. */
  wrew = 0;
  /** `http-request cache-use` lookups and hits counted for this proxy (cache_lookups, cache_hits). */
  cacheLookups = 0;
  cacheHits = 0;
  /**
   * HTTP compression (frontends and backends): response body bytes fed to the compressor and
   * emitted by it, bytes that went through a response's compression unchanged (`identity`), and
   * responses compressed to their end (comp_in, comp_out, comp_byp, comp_rsp).
   */
  compIn = 0;
  compOut = 0;
  compByp = 0;
  compRsp = 0;
  /** Internal errors (eint): exceptions in Loadstar's own code, each closing one connection (frontends). */
  eint = 0;
  /** Connection failures after the last retry (backend/server). */
  econ = 0;
  /** Invalid, aborted or timed-out responses. */
  eresp = 0;
  wretr = 0;
  wredis = 0;
  cliAbrt = 0;
  srvAbrt = 0;
  /** Times the balancer picked this server (lbtot). */
  lbtot = 0;
  /** Streams sent over a new server connection (connect, attempts included) and over one already open (reuse). */
  connect = 0;
  reuse = 0;
  /** epoch ms of the last session, 0 = never. */
  lastSess = 0;
  // times (ms): HAProxy's sliding averages and maxima
  qtimeSum = 0;
  ctimeSum = 0;
  rtimeSum = 0;
  ttimeSum = 0;
  /**
   * What the time averages are over, as HAProxy 2.6 divides them: requests (req_tot) in HTTP mode,
   * the balancer's picks (lbtot) in TCP mode (stream_update_time_stats, stats_fill_sv_stats).
   */
  timesOverPicks = false;
  qtimeMax = 0;
  ctimeMax = 0;
  rtimeMax = 0;
  ttimeMax = 0;
  // rates (per second, computed on the tick)
  rate = 0;
  rateMax = 0;
  reqRate = 0;
  reqRateMax = 0;
  connRate = 0;
  connRateMax = 0;
  /** stot, reqTot and connTot at the previous tick (rates are their differences). */
  prevStot = 0;
  prevReq = 0;
  prevConn = 0;
  /** The check's failedChecks already accounted in chkfail. */
  failedChecksSeen = 0;
  /**
   * A server's health and agent checks run so far: each is a session to HAProxy 2.6 (tcpcheck_main's
   * session_new), which `show info` CumConns counts.
   */
  checkRuns = 0;
  // state history (servers and backends)
  /** epoch ms of the last status change. */
  lastChange = Date.now();
  /** Total ms spent not usable, excluding the current stretch (see downSince). */
  downtime = 0;
  /** epoch ms since the object has been down, 0 = up. */
  downSince = 0;
  /** UP → DOWN transitions (chkdown) and failed checks (chkfail). */
  chkdown = 0;
  chkfail = 0;
  /** Status label last seen, to detect changes made outside the checks. */
  lastStatus = '';
  /** Total response times of this object (all time), for percentiles over the whole run. */
  readonly latency = new Histogram();
  /** Per-second and per-minute history, allocated at the first tick with activity. */
  series: Series | undefined;

  /**
   * `clear counters` (HAProxy 2.6's cli_parse_clear_counters): the maxima of sessions, queue, rates
   * and times go back to 0 (conn_max/cur_sess_max, nbpend_max, sps_max, cps_max, rps_max, *time_max).
   */
  clearMaxima(): void {
    this.smax = 0;
    this.qmax = 0;
    this.rateMax = 0;
    this.reqRateMax = 0;
    this.connRateMax = 0;
    this.qtimeMax = 0;
    this.ctimeMax = 0;
    this.rtimeMax = 0;
    this.ttimeMax = 0;
  }

  /**
   * `clear counters all`: every counter HAProxy keeps in its fe/be counters and stats modules is 0
   * again (its memset), the time averages and lastsess included. What lives outside them stays:
   * the current sessions, the current rates (freq_ctr of the proxy and server), the state history
   * (lastchg, downtime), and Loadstar's own latency histogram and time series, whose next second
   * counts what came after the clear.
   */
  clearAll(): void {
    const before = this.series ? cumulativeOf(this) : undefined;
    const kept = {
      scur: this.scur, rate: this.rate, reqRate: this.reqRate, connRate: this.connRate, timesOverPicks: this.timesOverPicks,
      failedChecksSeen: this.failedChecksSeen, checkRuns: this.checkRuns, lastChange: this.lastChange, downtime: this.downtime,
      downSince: this.downSince, lastStatus: this.lastStatus, latency: this.latency, series: this.series,
    };
    Object.assign(this, new StatCounters(), kept);
    if (before) this.series!.countersCleared(before);
  }

  /** Counts one response status in its class (hrsp_1xx … hrsp_other). */
  countStatus(status: number): void {
    if (status >= 200 && status < 300) this.hrsp2xx++;
    else if (status >= 500 && status < 600) this.hrsp5xx++;
    else if (status >= 400 && status < 500) this.hrsp4xx++;
    else if (status >= 300 && status < 400) this.hrsp3xx++;
    else if (status >= 100 && status < 200) this.hrsp1xx++;
    else this.hrspOther++;
  }

  /**
   * Adds the timers of one exchange (ms, -1 = not reached) to the averages and maxima; `overPicks`:
   * a TCP-mode exchange. HAProxy's swrate_add_dynamic: a plain sum until its counter (req_tot, or
   * lbtot in TCP mode) passes 512, then a sliding sum over 512 (sum - ceil(sum/512) + value).
   */
  countTimes(qtime: number, ctime: number, rtime: number, ttime: number, overPicks: boolean): void {
    this.timesOverPicks = overPicks;
    const sliding = (overPicks ? this.lbtot : this.reqTot) > TIME_SAMPLES;
    this.qtimeSum = swrateAdd(this.qtimeSum, sliding, Math.max(0, qtime));
    this.ctimeSum = swrateAdd(this.ctimeSum, sliding, Math.max(0, ctime));
    this.rtimeSum = swrateAdd(this.rtimeSum, sliding, Math.max(0, rtime));
    this.ttimeSum = swrateAdd(this.ttimeSum, sliding, ttime);
    if (qtime > this.qtimeMax) this.qtimeMax = qtime;
    if (ctime > this.ctimeMax) this.ctimeMax = ctime;
    if (rtime > this.rtimeMax) this.rtimeMax = rtime;
    if (ttime > this.ttimeMax) this.ttimeMax = ttime;
    this.latency.add(ttime);
  }

  /**
   * HAProxy's swrate_avg over its window: the counter (req_tot, or lbtot in TCP mode) while between
   * 1 and 511, else 512, rounded up. A TCP server reached only through use-server or a stick match
   * (lbtot 0) divides by 512, as haproxy 2.6.12 shows it.
   */
  average(sum: number): number {
    const counter = this.timesOverPicks ? this.lbtot : this.reqTot;
    return Math.ceil(sum / (counter > 0 && counter < TIME_SAMPLES ? counter : TIME_SAMPLES));
  }

  /** Seconds the object has been down in total (HAProxy's downtime). */
  downtimeSeconds(now: number): number {
    return Math.floor((this.downtime + (this.downSince > 0 ? now - this.downSince : 0)) / 1000);
  }

  /**
   * The status label changed with no change of state (a check turned off or on: "UP" ⇄ "no check"):
   * no transition, lastchg stays, as HAProxy's last_change does.
   */
  relabel(label: string): void {
    if (this.lastStatus !== '') this.lastStatus = label;
  }

  /** Records a status label; a change of usability starts or ends a down stretch. */
  noteStatus(label: string, usable: boolean, now: number): boolean {
    if (label === this.lastStatus) return false;
    const first = this.lastStatus === '';
    // HAProxy's last_change moves with the state (srv_update_status), not with the health count of "UP 2/3".
    const stateChanged = withoutHealthCount(label) !== withoutHealthCount(this.lastStatus);
    this.lastStatus = label;
    if (!usable && this.downSince === 0) this.downSince = now;
    else if (usable && this.downSince > 0) {
      this.downtime += now - this.downSince;
      this.downSince = 0;
    }
    if (!first && stateChanged) this.lastChange = now;
    return !first;
  }
}

/** A status label without its checks' progress: "UP 2/3" is UP, "DOWN 1/2" is DOWN. */
function withoutHealthCount(label: string): string {
  return label.replace(/ \d+\/\d+$/, '');
}

/** HAProxy's swrate_add_dynamic on its unsigned 32-bit sum: plain until `sliding`, then over TIME_SAMPLES. */
function swrateAdd(sum: number, sliding: boolean, value: number): number {
  return (sum - (sliding ? Math.ceil(sum / TIME_SAMPLES) : 0) + value) >>> 0;
}

/** Keeps the current-sessions gauge and its maximum together. */
export function sessionStarted(c: StatCounters, now: number): void {
  c.stot++;
  if (++c.scur > c.smax) c.smax = c.scur;
  c.lastSess = now;
}

/** The server fields the slot bookkeeping reads (structural, so counters.ts needs no runtime import). */
interface SlotServer {
  served: number;
  queued: number;
  stats: StatCounters;
}

/** A request or connection got a slot on `server` (backend.take): sessions and maxima. */
export function slotTaken(backend: StatCounters, server: SlotServer): void {
  const now = Date.now();
  sessionStarted(backend, now);
  const s = server.stats;
  s.stot++;
  s.lastSess = now;
  if (server.served > s.smax) s.smax = server.served;
}

/**
 * The balancing algorithm chose `server` (lbtot), as HAProxy 2.6's assign_server counts cum_lbconn:
 * only a pick by the algorithm, and only of another server than the one the request is leaving
 * (a redispatch that lands on the same server counts nothing). A server chosen without the
 * algorithm (use-server, a persistence cookie, a stick-table match, force-persist, prefer-last),
 * `dispatch`, and a slot handed out from the backend's queue count nothing either; a request
 * the algorithm bound to a full server counts when it is picked, not again when it leaves the queue.
 */
export function balancerPicked(backend: StatCounters, server: SlotServer): void {
  backend.lbtot++;
  server.stats.lbtot++;
}

/**
 * A retry on the same server, keeping its slot (no redispatch): HAProxy 2.6's assign_server_and_queue
 * counts a retry (wretr), and connecting again one more session on the server (srv_inc_sess_ctr).
 */
export function retriedOnServer(backend: StatCounters, server: SlotServer): void {
  server.stats.wretr++;
  backend.wretr++;
  server.stats.stot++;
}

/**
 * A redispatched retry got its new slot on `to` (HAProxy 2.6's assign_server_and_queue after a
 * failure): taking it counted one more session on `to`, as HAProxy counts one per connection, and
 * one more on the backend, taken back here (HAProxy counts one per stream). Landing on the server
 * it left counts a retry (wretr), on another one a redispatch (wredis) on the server left.
 * Returns true when the retry went to another server (HAProxy's SF_REDISP).
 */
export function retryAssigned(backend: StatCounters, from: SlotServer, to: SlotServer): boolean {
  backend.stot--;
  if (from === to) {
    from.stats.wretr++;
    backend.wretr++;
    return false;
  }
  from.stats.wredis++;
  backend.wredis++;
  return true;
}

/**
 * A stream goes to `server` (HAProxy 2.6's connect_server, once per attempt, retries included): over a
 * connection already open (reuse: a kept-alive one, or an HTTP/2 one shared) or a new one (connect).
 */
export function serverConnection(backend: StatCounters, server: StatCounters, reused: boolean): void {
  if (reused) {
    backend.reuse++;
    server.reuse++;
  } else {
    backend.connect++;
    server.connect++;
  }
}

/** A request started waiting: the backend's queue or `server`'s own. */
export function queued(backend: StatCounters, server: SlotServer | undefined, length: number): void {
  if (server) {
    if (server.queued > server.stats.qmax) server.stats.qmax = server.queued;
  } else if (length > backend.qmax) backend.qmax = length;
}
