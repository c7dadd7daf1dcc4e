/**
 * The live access log: the last 2,000 entries, filtered on the page. The
 * subscription starts on the first visit to the log screen and keeps running
 * (the buffer is bounded), so coming back shows what happened meanwhile.
 * Paused, entries still arrive and are counted but the view stays still.
 */
import type { AccessLogEntry } from '../../../proxy/control/contract.ts';
import { transport } from '../transport/index.ts';

export const LOG_KEEP = 2000;

export interface LogRow {
  /** Arrival number: the stable key of the row. */
  n: number;
  entry: AccessLogEntry;
  /** Lower-case text the free-text filter searches. */
  text: string;
}

export interface LogFilter {
  frontend: string;
  backend: string;
  server: string;
  /** '' or '1'..'5' for 1xx..5xx, '0' for no response. */
  statusClass: string;
  text: string;
}

export function statusClassOf(status: number): string {
  return status === 0 ? '0' : String(Math.floor(status / 100));
}

export function matches(row: LogRow, filter: LogFilter): boolean {
  const e = row.entry;
  if (filter.frontend && e.frontend !== filter.frontend) return false;
  if (filter.backend && e.backend !== filter.backend) return false;
  if (filter.server && e.server !== filter.server) return false;
  if (filter.statusClass && statusClassOf(e.status) !== filter.statusClass) return false;
  if (filter.text && !row.text.includes(filter.text.trim().toLowerCase())) return false;
  return true;
}

class AccessLog {
  /** Newest first. */
  rows = $state.raw<LogRow[]>([]);
  paused = $state(false);
  /** Entries received while paused, not yet shown. */
  pending = $state(0);
  total = $state(0);
  private buffer: LogRow[] = [];
  private arrived = 0;
  private started = false;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  start(): void {
    if (this.started) return;
    this.started = true;
    transport().subscribe(['access-log'], (event) => this.add(event.payload as AccessLogEntry));
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused) this.publish();
  }

  clear(): void {
    this.buffer = [];
    this.rows = [];
    this.pending = 0;
  }

  private add(entry: AccessLogEntry): void {
    const text = [entry.frontend, entry.backend, entry.server, entry.client, entry.method, entry.url, entry.host, entry.status, entry.termination]
      .filter((x) => x !== undefined).join(' ').toLowerCase();
    this.buffer.unshift({ n: this.arrived++, entry, text });
    if (this.buffer.length > LOG_KEEP) this.buffer.length = LOG_KEEP;
    this.total++;
    if (this.paused) {
      this.pending++;
      return;
    }
    // A busy proxy sends hundreds of entries a second: publish them at most four times a second.
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      if (!this.paused) this.publish();
    }, 250);
  }

  private publish(): void {
    this.rows = this.buffer.slice();
    this.pending = 0;
  }
}

export const accessLog = new AccessLog();
