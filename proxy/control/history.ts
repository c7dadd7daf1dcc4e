/**
 * Where the control contract finds what is older than the engine's memory
 * rings (15 minutes per second, 24 hours per minute, the last health events
 * of each server): the data dir's history store (proxy/store), which
 * implements this interface structurally without importing control.
 */
import type { ConfiguredSince, HealthEvent, Period, SeriesPoint, StatsObjectId } from './contract.ts';

export interface HistorySource {
  /** Per-minute points of one object whose slot starts within [fromMs, toMs], oldest first. */
  series(id: StatsObjectId, fromMs: number, toMs: number): SeriesPoint[] | Promise<SeriesPoint[]>;
  /**
   * Health transitions within [fromMs, toMs], oldest first: of one server, or
   * of every server of the backend when `server` is undefined.
   */
  healthEvents(backend: string, server: string | undefined, fromMs: number, toMs: number): HealthEvent[] | Promise<HealthEvent[]>;
  /** Since when each of `ids` (`backend:<name>`, `server:<backend>/<name>`) has been configured; unknown ids left out. */
  configuredSince?(ids: readonly string[]): Record<string, ConfiguredSince> | Promise<Record<string, ConfiguredSince>>;
  /**
   * The engine's recorded runs (start → last known alive) that reach into [fromMs, toMs], with the last
   * one before fromMs, oldest first; empty when none was recorded.
   */
  runs?(fromMs: number, toMs: number): Period[] | Promise<Period[]>;
}
