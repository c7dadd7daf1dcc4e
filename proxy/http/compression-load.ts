/**
 * `maxcomprate` and `maxcompcpuusage` (configuration.txt 3.2): past either limit a new response is
 * not compressed, as HAProxy 2.6 decides when it selects a response for compression
 * (flt_http_comp.c): the bytes given to the compressors over the last second (its comp_bps_in, a
 * sliding-second counter) above `maxcomprate` kB/s, or the share of the last second the process
 * spent idle (its Idle_pct; here the event loop's, which the statistics tick measures each second)
 * below 100 − `maxcompcpuusage`. HAProxy also lowers the zlib level of responses already being
 * compressed while over a limit; Loadstar keeps their level (Node's zlib changes it only
 * asynchronously, between writes).
 */
import { FreqCounter, rateClock } from '../runtime/rate-limit.ts';

/** A configuration's limits, from its global section. */
export interface CompressionLimits {
  /** Bytes per second (maxcomprate × 1024); 0: none. */
  readonly rateLimit: number;
  /** The least idle share, in percent, at which compression starts (100 − maxcompcpuusage); 0: none. */
  readonly minIdlePct: number;
}

export const NO_COMPRESSION_LIMITS: CompressionLimits = { rateLimit: 0, minIdlePct: 0 };

/** The global section's limits. */
export function compressionLimits(tune: Readonly<Record<string, string>>): CompressionLimits {
  const rate = Number(tune['maxcomprate'] ?? 0);
  const cpu = Number(tune['maxcompcpuusage'] ?? 100);
  return rate === 0 && cpu >= 100 ? NO_COMPRESSION_LIMITS : { rateLimit: rate * 1024, minIdlePct: 100 - Math.min(100, cpu) };
}

/** The process's compression load: one per process, as HAProxy's counters are global. */
export class CompressionLoad {
  private readonly input = new FreqCounter();
  /** Percent of the last second the event loop waited (set each second by the engine's statistics tick). */
  idlePct = 100;
  /** `set rate-limit http-compression global`: bytes per second instead of the configuration's, until a reload. */
  rateLimitOverride: number | undefined;

  /** Bytes handed to a compressor (counted only while some configuration limits the rate). */
  countInput(bytes: number): void {
    this.input.add(rateClock(), bytes);
  }

  /** Bytes handed to the compressors over the last second. */
  inputRate(): number {
    return this.input.read(rateClock());
  }

  /** A new response may be compressed under `limits`. */
  allows(limits: CompressionLimits): boolean {
    const rateLimit = this.rateLimitOverride ?? limits.rateLimit;
    if (rateLimit > 0 && this.inputRate() > rateLimit) return false;
    return this.idlePct >= limits.minIdlePct;
  }
}

export const compressionLoad = new CompressionLoad();
