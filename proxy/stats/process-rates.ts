/**
 * The process-wide figures `show info` gives per second (SslRate, SslFrontendKeyRate, BytesOutRate, CompressBps*,
 * Idle_pct, and their maxima): derived on the registry's one-second tick from the frontends' and
 * backends' counters and from the event loop's utilisation, never per request.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { StatCounters } from '../runtime/counters.ts';

/** Totals since the start, summed over the objects of the running configuration. */
export interface ProcessTotals {
  /** Frontend TLS sessions, new and resumed (HAProxy's CumSslConns, front side). */
  sslConns: number;
  /** Frontend TLS sessions that needed a new key: full handshakes. */
  sslKeys: number;
  /**
   * Bytes sent: to clients (the frontends' bout) and to servers (the backends' bin), counted as the
   * statistics count them (HTX sizes for HTTP, so heads differ from the wire by a few bytes).
   */
  bytesOut: number;
  /** Response body bytes fed to the HTTP compressor and emitted by it (the frontends' comp_in / comp_out). */
  compIn: number;
  compOut: number;
}

export function processTotals(frontends: Iterable<{ stats: StatCounters }>, backends: Iterable<{ stats: StatCounters }>): ProcessTotals {
  const t: ProcessTotals = { sslConns: 0, sslKeys: 0, bytesOut: 0, compIn: 0, compOut: 0 };
  for (const { stats } of frontends) {
    t.sslConns += stats.sslSess + stats.sslReusedSess;
    t.sslKeys += stats.sslSess;
    t.bytesOut += stats.bout;
    t.compIn += stats.compIn;
    t.compOut += stats.compOut;
  }
  for (const { stats } of backends) t.bytesOut += stats.bin;
  return t;
}

export class ProcessRates {
  sslRate = 0;
  maxSslRate = 0;
  sslKeyRate = 0;
  maxSslKeyRate = 0;
  bytesOutRate = 0;
  /** CompressBpsIn / CompressBpsOut. */
  compInRate = 0;
  compOutRate = 0;
  /** Percentage of the last second the event loop spent waiting (HAProxy's Idle_pct). */
  idlePct = 100;
  /** The totals at the last tick; all zero at the start, when no counter has counted anything yet. */
  private last: ProcessTotals = { sslConns: 0, sslKeys: 0, bytesOut: 0, compIn: 0, compOut: 0 };
  private loop: EventLoopUtilization = performance.eventLoopUtilization();
  /** Called after each tick (the engine hands Idle_pct to the compression limits, http/compression-load.ts). */
  afterTick: (() => void) | undefined;

  /** `clear counters`: MaxSslRate and SslFrontendMaxKeyRate start again from 0. */
  clearMaxima(): void {
    this.maxSslRate = 0;
    this.maxSslKeyRate = 0;
  }

  /**
   * Once a second. Totals that went down (a reload dropped the objects that held them) start the
   * next second from the new sums instead of giving a negative rate.
   */
  tick(now: ProcessTotals): void {
    const last = this.last;
    this.last = now;
    const loop = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(loop, this.loop);
    this.loop = loop;
    this.idlePct = Math.round(100 * (1 - delta.utilization));
    this.sslRate = Math.max(0, now.sslConns - last.sslConns);
    this.sslKeyRate = Math.max(0, now.sslKeys - last.sslKeys);
    this.bytesOutRate = Math.max(0, now.bytesOut - last.bytesOut);
    this.compInRate = Math.max(0, now.compIn - last.compIn);
    this.compOutRate = Math.max(0, now.compOut - last.compOut);
    if (this.sslRate > this.maxSslRate) this.maxSslRate = this.sslRate;
    if (this.sslKeyRate > this.maxSslKeyRate) this.maxSslKeyRate = this.sslKeyRate;
    this.afterTick?.();
  }
}
