/**
 * The engine's statistics: the counters of every frontend, backend and server
 * (kept by name, so a reload keeps them, as the UI expects), fed by the
 * logger's end-of-exchange calls and by the slot/queue bookkeeping of the
 * backends; a one-second unref'd tick derives rates, state history and the
 * time series. Subscribers receive structured access-log entries and events.
 */
import type net from 'node:net';
import type { Config } from '../config/model.ts';
import type { RuntimeBackend } from '../runtime/backend.ts';
import type { RuntimeServer } from '../runtime/server.ts';
import type { ExchangeRecord, FrontendInfo, ProtocolErrorRecord } from '../runtime/exchange.ts';
import type { HealthEvent } from '../checks/index.ts';
import { StatCounters, sessionStarted } from '../runtime/counters.ts';
import { Series } from '../runtime/series.ts';
import { httpAccessEntry, tcpAccessEntry } from './access-log.ts';
import { ProcessRates, processTotals } from './process-rates.ts';
import type { AccessLogEntry, AccessLogOutput } from './access-log.ts';
import type { ErrorSnapshots } from '../runtime/error-snapshots.ts';

/** What the statistics read of the running engine. */
export interface StatsTables {
  config: Config;
  frontends: ReadonlyMap<string, FrontendInfo>;
  backends: ReadonlyMap<string, RuntimeBackend>;
  /** What runtime API commands changed in the running engine (none: as configured). */
  overrides?: RuntimeOverrides;
  /** The invalid requests and responses captured since this configuration was loaded (`show errors`). */
  errors?: ErrorSnapshots;
}

/** What runtime API commands changed on the running frontends and process; a reload starts from the configuration again. */
export interface RuntimeOverrides {
  /** Frontends `disable frontend` paused (status PAUSED). */
  readonly paused: Set<string>;
  /** Frontends `shutdown frontend` stopped for good, until a reload (status STOP). */
  readonly stopped: Set<string>;
  /** `set maxconn frontend`, by frontend name. */
  readonly frontendMaxconn: Map<string, number>;
  /** `set maxconn global`; undefined: the configuration's. */
  globalMaxconn: number | undefined;
  /** `set rate-limit connections|sessions|ssl-sessions global` (0: no limit); undefined: the configuration's. */
  /** `set rate-limit … global`; compression in bytes per second (kB/s × 1024, as HAProxy keeps it). */
  readonly rateLimits: { connections?: number; sessions?: number; sslSessions?: number; compression?: number };
}

export type { AccessLogEntry };

/** A status label of a server or backend changed (admin state, checks, a server without check taken out). */
export interface StateEvent {
  type: 'state';
  time: number;
  backend: string;
  server?: string;
  from: string;
  to: string;
}

/** One second of one object (HAProxy-style id: `frontend:NAME`, `backend:NAME`, `server:BACKEND/SERVER`). */
export interface ObjectTick {
  id: string;
  /** Requests (HTTP) or sessions (TCP) during the second. */
  requests: number;
  bytesIn: number;
  bytesOut: number;
  /** Responses by status class during the second: 1xx … 5xx. */
  hrsp: [number, number, number, number, number];
  /** Sessions and queued requests at the end of the second. */
  current: number;
  queue: number;
  /** Response time percentiles of the second, ms. */
  p50: number;
  p95: number;
  p99: number;
}

/** Every object that was active during one second (from the per-second series, once a second). */
export interface StatsTick {
  /** Start of the second, epoch ms. */
  t: number;
  objects: ObjectTick[];
}

/** Where the registry reports what it notices (the engine's event hub). */
export interface StatsOutput extends AccessLogOutput {
  state(event: StateEvent): void;
  tickWanted(): boolean;
  tick(tick: StatsTick): void;
}

export class StatsRegistry {
  readonly startedAt = Date.now();
  private readonly frontends = new Map<string, StatCounters>();
  private readonly backends = new Map<string, StatCounters>();
  private readonly servers = new Map<string, StatCounters>();
  private tables: StatsTables | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The engine's event hub: access-log entries, state changes, the per-second tick. */
  output: StatsOutput | undefined;
  /** Process-wide totals (show info CumConns / CumReq; a runtime API connection counts in both, as in HAProxy). */
  cumConns = 0;
  cumReq = 0;
  /** Runtime API connections open now (show info Jobs). */
  cliConnections = 0;
  /** `show info`'s per-second process figures. */
  readonly process = new ProcessRates();

  /** Gives the objects of (re)built tables their counters, keeping those of objects that survive a reload. */
  attach(tables: StatsTables): void {
    this.tables = tables;
    const now = Date.now();
    const keep = new Set<string>();
    for (const [name, frontend] of tables.frontends) {
      frontend.stats = take(this.frontends, name);
      keep.add(`f/${name}`);
    }
    for (const [name, backend] of tables.backends) {
      backend.stats = take(this.backends, name);
      keep.add(`b/${name}`);
      for (const server of backend.servers) {
        server.stats = take(this.servers, `${name}/${server.name}`);
        keep.add(`s/${name}/${server.name}`);
        // A new object's first status; one kept across a reload keeps its own, and the next sync
        // reports what the reload really changed (checks turned on, maintenance left …), nothing else.
        if (server.stats.lastStatus === '') server.stats.noteStatus(server.status, server.usable, now);
      }
      if (backend.stats.lastStatus === '') backend.stats.noteStatus(backend.hasUsableServer ? 'UP' : 'DOWN', backend.hasUsableServer, now);
    }
    prune(this.frontends, 'f/', keep);
    prune(this.backends, 'b/', keep);
    // The check sessions of servers a reload removed stay counted in CumConns.
    for (const [key, c] of this.servers) if (!keep.has(`s/${key}`)) this.cumConns += c.checkRuns;
    prune(this.servers, 's/', keep);
  }

  /** A server `add server` placed in a running backend: fresh counters (a server of that name deleted before left none). */
  serverAdded(backend: RuntimeBackend, server: RuntimeServer, now = Date.now()): void {
    const key = `${backend.name}/${server.name}`;
    this.servers.delete(key);
    server.stats = take(this.servers, key);
    server.stats.noteStatus(server.status, server.usable, now);
  }

  /** A server `del server` removed: its counters go (its check sessions stay counted in CumConns, as after a reload). */
  serverRemoved(backend: RuntimeBackend, server: RuntimeServer): void {
    const key = `${backend.name}/${server.name}`;
    const c = this.servers.get(key);
    if (c !== server.stats) return;
    this.cumConns += c.checkRuns;
    this.servers.delete(key);
  }

  view(): StatsTables | undefined {
    return this.tables;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Rates, state history and time series: once a second, and before any read of the counters. */
  tick(now = Date.now()): void {
    const tables = this.tables;
    if (!tables) return;
    // The second just closed, pushed to live views when someone listens (computed from the series, never per request).
    const live: StatsTick | undefined = this.output?.tickWanted() ? { t: (Math.floor(now / 1000) - 1) * 1000, objects: [] } : undefined;
    for (const [name, frontend] of tables.frontends) {
      const c = frontend.stats;
      rates(c);
      sample(c, c.scur, 0, now);
      if (live) addTick(live, `frontend:${name}`, c, frontend.config.mode === 'tcp');
    }
    for (const backend of tables.backends.values()) {
      const b = backend.stats;
      rates(b);
      let queued = backend.queue.length;
      const tcp = backend.mode === 'tcp';
      for (const server of backend.servers) {
        const s = server.stats;
        rates(s);
        this.syncServer(backend, server, now);
        queued += server.queued;
        sample(s, server.served, server.queued, now);
        if (live) addTick(live, `server:${backend.name}/${server.name}`, s, tcp);
      }
      this.syncBackend(backend, now);
      sample(b, b.scur, queued, now);
      if (live) addTick(live, `backend:${backend.name}`, b, tcp);
    }
    this.process.tick(processTotals(tables.frontends.values(), tables.backends.values()));
    if (live) this.output!.tick(live);
  }

  /** Brings check failures and state changes up to date (before a read, and on the tick). */
  sync(now = Date.now()): void {
    for (const backend of this.tables?.backends.values() ?? []) {
      for (const server of backend.servers) this.syncServer(backend, server, now);
      this.syncBackend(backend, now);
    }
  }

  private syncServer(backend: RuntimeBackend, server: RuntimeServer, now: number): void {
    const s = server.stats;
    const check = server.check;
    if (check && check.failedChecks !== s.failedChecksSeen) {
      s.chkfail += Math.max(0, check.failedChecks - s.failedChecksSeen);
      s.failedChecksSeen = check.failedChecks;
    }
    const from = s.lastStatus;
    if (s.noteStatus(server.status, server.usable, now)) this.output?.state({ type: 'state', time: now, backend: backend.name, server: server.name, from, to: server.status });
  }

  private syncBackend(backend: RuntimeBackend, now: number): void {
    const up = backend.hasUsableServer;
    const b = backend.stats;
    const from = b.lastStatus;
    if (b.noteStatus(up ? 'UP' : 'DOWN', up, now)) {
      if (!up) b.chkdown++;
      this.output?.state({ type: 'state', time: now, backend: backend.name, from, to: up ? 'UP' : 'DOWN' });
    }
  }

  /**
   * `clear counters [all]` on every frontend, backend and server, and the process-wide maxima of
   * `show info` (HAProxy 2.6's cli_parse_clear_counters: global cps_max, sps_max, ssl_max, ssl keys max).
   * Fields are reset where they are; nothing is checked per request.
   */
  clearCounters(all: boolean): void {
    for (const map of [this.frontends, this.backends, this.servers]) {
      for (const c of map.values()) {
        if (all) c.clearAll();
        else c.clearMaxima();
      }
    }
    this.process.clearMaxima();
  }

  /** A health transition (from proxy/checks): counted at once, so short flaps are not missed (the engine publishes the event). */
  healthEvent(event: HealthEvent): void {
    const s = this.servers.get(`${event.backend}/${event.server}`);
    if (s) {
      if (event.to.startsWith('DOWN') && !event.from.startsWith('DOWN') && event.from !== 'MAINT') s.chkdown++;
      const backend = this.tables?.backends.get(event.backend);
      const server = backend?.server(event.server);
      if (server) s.noteStatus(server.status, server.usable, event.time);
      if (backend) this.syncBackend(backend, event.time);
    }
  }

  /** Alerts reach the event hub through the engine's log sink, whether or not statistics are on. */
  alert(): void {}

  // ------------------------------------------------------------------ hot path (called by the logger and the engine)

  /**
   * A connection accepted on a frontend: its session counts until it closes. Bytes come with
   * each exchange's record (heads included, as HAProxy's bin/bout count them).
   */
  /**
   * A connection closed before it became a session (a bad or missing PROXY header): HAProxy counted
   * it as a connection (conn_tot, conn_rate), never as a session.
   */
  connectionFailedEarly(frontend: FrontendInfo): void {
    this.cumConns++;
    frontend.stats.connTot++;
  }

  /** A TLS handshake on a frontend: completed (new or resumed session), or failed as HAProxy counts it (timeouts are not). */
  tlsHandshake(frontend: FrontendInfo, outcome: 'new' | 'resumed' | 'failed'): void {
    const c = frontend.stats;
    if (outcome === 'new') c.sslSess++;
    else if (outcome === 'resumed') c.sslReusedSess++;
    else c.sslFailedHandshake++;
  }

  /** `h1`: an HTTP frontend's connection that speaks HTTP/1 unless TLS negotiates h2 (not a `proto h2` bind). */
  connectionAccepted(frontend: FrontendInfo, socket: net.Socket, h1 = false): void {
    const counters = frontend.stats;
    this.cumConns++;
    counters.connTot++;
    sessionStarted(counters, Date.now());
    (socket as MarkedSocket)[BYTE_MARK] = { counters, h1 };
    // 'close' comes once: a shared listener, no closure per connection (idle connections' memory counts).
    socket.on('close', countClosedConnection);
  }

  http(tx: ExchangeRecord): void {
    const now = Date.now();
    const frontend = tx.frontend;
    // Heads included, as HAProxy counts them (http/htx-size.ts).
    const bytesIn = tx.bytesIn;
    const bytesOut = tx.bytesOut;
    const tt = now - tx.startedAt;
    const status = tx.status;
    this.cumReq++;
    const f = frontend.stats;
    f.reqTot++;
    f.bin += bytesIn;
    f.bout += bytesOut;
    if (status > 0) f.countStatus(status);
    f.latency.add(tt);
    if (tx.local === 'denied') f.dreq++;
    // A response blocked (http-response deny, option checkcache): HAProxy's denied_resp, of the frontend, backend and server.
    else if (tx.local === 'denied-response') f.dresp++;
    else if (tx.local === 'intercepted') f.intercepted++;
    const backend = tx.backend;
    const cache = tx.cache;
    if (cache) {
      f.cacheLookups += cache.frontendLookups;
      f.cacheHits += cache.frontendHits;
      if (backend) {
        backend.stats.cacheLookups += cache.backendLookups;
        backend.stats.cacheHits += cache.backendHits;
      }
    }
    if (backend) {
      const b = backend.stats;
      const server = tx.server;
      const s = server?.stats;
      // As HAProxy's stream.c and http_ana.c: a backend counts the requests it answered (with any
      // status, errors included), a server only the responses it sent itself.
      b.bin += bytesIn;
      b.bout += bytesOut;
      if (status > 0) {
        b.reqTot++;
        b.countStatus(status);
      }
      b.lastSess = now;
      if (tx.local === 'denied-response') {
        b.dresp++;
        if (s) s.dresp++;
      }
      if (s) {
        s.bin += bytesIn;
        s.bout += bytesOut;
        if (tx.serverStatus !== undefined) {
          s.reqTot++;
          s.countStatus(tx.serverStatus);
        }
        s.lastSess = now;
        s.wretr += tx.retries - (tx.retriesCounted ?? 0);
      }
      // Retries are counted as they happen, on the server each one left (runtime/counters.ts retryAssigned).
      b.wretr += tx.retries - (tx.retriesCounted ?? 0);
      exchangeOutcome(b, s, tx.termination, status, tx.tw, tx.tc, tx.tr, tt, false, tx.clientReset);
    }
    const output = this.output;
    if (output?.accessLogWanted()) output.accessLog(httpAccessEntry(tx, bytesIn, bytesOut, tt));
  }

  /** A request that never became a transaction: invalid (400), or its head timed out (408). */
  protocolError(record: ProtocolErrorRecord): void {
    if (record.uncounted) return;
    const f = record.frontend.stats;
    f.ereq++;
    f.countStatus(record.status);
  }

  tcp(record: ExchangeRecord): void {
    const now = Date.now();
    const f = record.frontend.stats;
    f.bin += record.bytesIn;
    f.bout += record.bytesOut;
    const backend = record.backend;
    const tt = now - record.startedAt;
    if (backend) {
      const b = backend.stats;
      const s = record.server?.stats;
      b.bin += record.bytesIn;
      b.bout += record.bytesOut;
      b.wretr += record.retries - (record.retriesCounted ?? 0);
      b.lastSess = now;
      if (s) {
        s.bin += record.bytesIn;
        s.bout += record.bytesOut;
        s.wretr += record.retries - (record.retriesCounted ?? 0);
        s.lastSess = now;
      }
      exchangeOutcome(b, s, record.termination, 0, record.tw, record.tc, record.tc >= 0 ? record.tw + record.tc : -1, tt, true);
    }
    const output = this.output;
    if (output?.accessLogWanted()) output.accessLog(tcpAccessEntry(record, tt));
  }

  /** show info CumConns: client and runtime API connections, and every check's session (as HAProxy counts them). */
  cumulatedConnections(): number {
    let n = this.cumConns;
    for (const c of this.servers.values()) n += c.checkRuns;
    return n;
  }

  /** Counters of one object by name (tests, control contract). */
  counters(kind: 'frontend' | 'backend' | 'server', name: string): StatCounters | undefined {
    return kind === 'frontend' ? this.frontends.get(name) : kind === 'backend' ? this.backends.get(name) : this.servers.get(name);
  }

  /** Every object with a live series: for the memory report. */
  allCounters(): StatCounters[] {
    return [...this.frontends.values(), ...this.backends.values(), ...this.servers.values()];
  }
}

/**
 * Errors and aborts of one exchange from its termination state (HAProxy's
 * two letters): C/c = client aborted or timed out, S = server aborted,
 * s = server timeout, P = invalid response; the second letter is the phase.
 */
function exchangeOutcome(b: StatCounters, s: StatCounters | undefined, termination: string, status: number, tw: number, tc: number, tr: number, tt: number, tcp: boolean, clientReset = false): void {
  const who = termination.charCodeAt(0);
  const phase = termination.charCodeAt(1);
  const client = who === 67 /* C */ || who === 99 /* c */;
  const serverSide = who === 83 /* S */ || who === 115 /* s */ || who === 80 /* P */;
  // A client that reset its connection while the server still had its request is a client abort
  // whatever ends the exchange then (haproxy 2.6.12 counts cli_abrt and eresp for an sH after it).
  if (client || clientReset) {
    b.cliAbrt++;
    if (s) s.cliAbrt++;
  }
  if (serverSide && s && (phase === 72 /* H */ || phase === 68 /* D */)) {
    // The server closed, timed out or answered garbage once it had the request.
    b.eresp++;
    s.eresp++;
    if (who === 83) {
      b.srvAbrt++;
      s.srvAbrt++;
    }
  } else if (who === 83 && phase === 67 /* C */ && s && status === 503) {
    // Every connection attempt (retries included) failed.
    b.econ++;
    s.econ++;
  }
  if (s && tr >= 0) {
    const ctime = Math.max(0, tc);
    const rtime = Math.max(0, tr - Math.max(0, tw) - ctime);
    b.countTimes(tw, ctime, rtime, tt, tcp);
    s.countTimes(tw, ctime, rtime, tt, tcp);
  }
}

/** A client connection's frontend counters and, in HTTP mode, the bytes its exchanges already counted. */
interface ByteMark {
  counters: StatCounters;
  /** Counted in h1_bytes_in / h1_bytes_out (unless ALPN chose h2). */
  h1: boolean;
}

const BYTE_MARK = Symbol('loadstar.statsByteMark');
type MarkedSocket = net.Socket & { [BYTE_MARK]?: ByteMark };

function countClosedConnection(this: MarkedSocket): void {
  const mark = this[BYTE_MARK];
  if (!mark) return;
  this[BYTE_MARK] = undefined;
  mark.counters.scur--;
  if (mark.h1 && (this as { alpnProtocol?: string | false }).alpnProtocol !== 'h2') {
    mark.counters.h1BytesIn += this.bytesRead;
    mark.counters.h1BytesOut += this.bytesWritten;
  }
}

/**
 * h1_bytes_in / h1_bytes_out of a frontend: its closed HTTP/1 connections' bytes and its open ones' so
 * far, read from the sockets (after TLS), as HAProxy's H1 multiplexer counts what it receives and sends.
 */
export function h1Bytes(frontend: FrontendInfo): { in: number; out: number } {
  const c = frontend.stats;
  let bytesIn = c.h1BytesIn;
  let bytesOut = c.h1BytesOut;
  for (const { socket } of frontend.openConnections()) {
    const s = socket as MarkedSocket | undefined;
    if (!s?.[BYTE_MARK]?.h1 || (s as { alpnProtocol?: string | false }).alpnProtocol === 'h2') continue;
    bytesIn += s.bytesRead;
    bytesOut += s.bytesWritten;
  }
  return { in: bytesIn, out: bytesOut };
}

function take(map: Map<string, StatCounters>, key: string): StatCounters {
  let c = map.get(key);
  if (!c) map.set(key, (c = new StatCounters()));
  return c;
}

function prune(map: Map<string, StatCounters>, prefix: string, keep: Set<string>): void {
  for (const key of map.keys()) if (!keep.has(prefix + key)) map.delete(key);
}

/** Adds one object's second to the tick when anything moved or is waiting. */
function addTick(tick: StatsTick, id: string, c: StatCounters, tcp: boolean): void {
  const p = c.series?.lastSeconds(1)[0];
  if (!p || p.t !== tick.t) return;
  const v = p.values;
  const requests = tcp ? v.sessions : v.requests;
  if (requests === 0 && v.sessions === 0 && v.bytesIn === 0 && v.bytesOut === 0 && v.current === 0 && v.queue === 0
    && v.hrsp1xx + v.hrsp2xx + v.hrsp3xx + v.hrsp4xx + v.hrsp5xx === 0) return;
  tick.objects.push({
    id, requests, bytesIn: v.bytesIn, bytesOut: v.bytesOut, hrsp: [v.hrsp1xx, v.hrsp2xx, v.hrsp3xx, v.hrsp4xx, v.hrsp5xx],
    current: v.current, queue: v.queue, p50: v.p50, p95: v.p95, p99: v.p99,
  });
}

function rates(c: StatCounters): void {
  c.rate = c.stot - c.prevStot;
  c.prevStot = c.stot;
  if (c.rate > c.rateMax) c.rateMax = c.rate;
  c.reqRate = c.reqTot - c.prevReq;
  c.prevReq = c.reqTot;
  if (c.reqRate > c.reqRateMax) c.reqRateMax = c.reqRate;
  c.connRate = c.connTot - c.prevConn;
  c.prevConn = c.connTot;
  if (c.connRate > c.connRateMax) c.connRateMax = c.connRate;
}

/** Series are allocated once an object has seen traffic: idle objects cost no ring memory. */
function sample(c: StatCounters, current: number, queue: number, now: number): void {
  if (!c.series) {
    if (c.stot === 0 && c.reqTot === 0 && current === 0 && queue === 0) return;
    c.series = new Series(now);
  }
  c.series.sample(c, current, queue, now);
}

