/**
 * The health timeline: every state transition as an event carrying HAProxy's
 * message (server.c srv_append_status), kept in bounded rings per server,
 * next to the raw check results for latency graphs.
 */
import { CHECK_CODES, hasStatusCode } from './types.ts';
import type { CheckCode, CheckResult } from './types.ts';

export interface HealthEvent {
  /** epoch ms */
  time: number;
  backend: string;
  server: string;
  /** State labels before and after: UP, DOWN, NOLB, MAINT, DRAIN. */
  from: string;
  to: string;
  /** The check result that caused it, if any. */
  code?: CheckCode;
  durationMs?: number;
  /** HAProxy's log line, e.g. "Server app/a1 is DOWN, reason: … check duration: 0ms. 1 active and 0 backup servers left. …". */
  reason: string;
}

/** A fixed-size ring: oldest entries are dropped first; `toArray()` is oldest → newest. */
export class Ring<T> {
  private readonly items: T[] = [];
  private start = 0;

  constructor(readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  get length(): number {
    return this.items.length;
  }

  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }

  last(): T | undefined {
    return this.items.length === 0 ? undefined : this.items[(this.start + this.items.length - 1) % this.items.length];
  }
}

export const EVENT_HISTORY = 100;
export const RESULT_HISTORY = 256;

/** `, reason: …, code: N, info: "…", check duration: Nms` (srv_append_status). */
export function checkStatusText(result: CheckResult): string {
  let text = `, reason: ${CHECK_CODES[result.code].description}`;
  if (hasStatusCode(result.code) && result.status !== undefined) text += `, code: ${result.status}`;
  if (result.info) text += `, info: "${result.info.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\x00-\x1f\x7f]/g, (c) => `<${c.charCodeAt(0)}>`)}"`;
  text += `, check duration: ${result.durationMs}ms`;
  return text;
}

export interface BackendCounts {
  active: number;
  backup: number;
}

/**
 * "Server app/a1 is DOWN…" / "…is UP…" / "…is stopping…" with the backend's counts after the change;
 * `MAINT`: a tracking server stopped by its chain's maintenance ("is going DOWN for maintenance via …").
 */
export function transitionMessage(args: {
  backend: string; server: string; backup: boolean; to: 'UP' | 'DOWN' | 'NOLB' | 'MAINT';
  result?: CheckResult; counts: BackendCounts;
  /** A tracking server: `backend/server` it follows ("… is DOWN via a/s1."). */
  via?: string;
  /** Why, when neither a check nor a tracked server (", changed from server-state after a reload"). */
  why?: string;
  sessions: number; requeued: number; queued: number;
}): string {
  const verb = { UP: 'is UP', DOWN: 'is DOWN', NOLB: 'is stopping', MAINT: 'is going DOWN for maintenance' }[args.to];
  let msg = `${args.backup ? 'Backup ' : ''}Server ${args.backend}/${args.server} ${verb}`;
  if (args.via) msg += ` via ${args.via}`;
  else if (args.result) msg += checkStatusText(args.result);
  else if (args.why) msg += `, ${args.why}`;
  return msg + countsText(args.to === 'DOWN' || args.to === 'MAINT', args.counts, args.sessions, args.requeued, args.queued);
}

/** `option log-health-checks`: "Health check for server app/a1 failed, reason: …, status: 2/3 UP." ("Agent check …" for the agent). */
export function checkLogMessage(backend: string, server: string, backup: boolean, result: CheckResult, status: string, kind: 'Health' | 'Agent' = 'Health'): string {
  const outcome = CHECK_CODES[result.code].outcome;
  const verdict = outcome === 'condpass' ? 'conditionally succeeded' : outcome === 'passed' ? 'succeeded' : 'failed';
  return `${kind} check for ${backup ? 'backup ' : ''}server ${backend}/${server} ${verdict}${checkStatusText(result)}, status: ${status}.`;
}

/** ". 1 active and 0 backup servers left. …" / "… online. …" (srv_append_status with the transferred count). */
function countsText(down: boolean, counts: BackendCounts, sessions: number, requeued: number, queued: number): string {
  const onBackup = counts.backup > 0 && counts.active === 0 ? ' Running on backup.' : '';
  return down
    ? `. ${counts.active} active and ${counts.backup} backup servers left.${onBackup} ${sessions} sessions active, ${requeued} requeued, ${queued} remaining in queue.`
    : `. ${counts.active} active and ${counts.backup} backup servers online.${onBackup} ${requeued} sessions requeued, ${queued} total in queue.`;
}

/**
 * An admin state change as `set server … state` or an agent makes it (server.c
 * srv_update_status): "is going DOWN for maintenance", "was DOWN and now enters
 * maintenance", "is UP/READY (leaving forced maintenance)", "enters drain state",
 * "is UP (leaving forced drain)".
 */
export function adminMessage(args: {
  backend: string; server: string; backup: boolean;
  from: 'READY' | 'DRAIN' | 'MAINT'; to: 'READY' | 'DRAIN' | 'MAINT';
  /** Operational state after the change (before it, when entering maintenance). */
  down: boolean;
  counts: BackendCounts; sessions: number; requeued: number; queued: number;
  /** DNS made the change (runtime/resolvers): why it enters maintenance, or the host name that resolves again. */
  dns?: { reason: string } | { fqdn: string };
}): string {
  const name = `${args.backup ? 'Backup ' : ''}Server ${args.backend}/${args.server}`;
  const reason = args.dns && 'reason' in args.dns ? ` (${args.dns.reason})` : '';
  if (args.to === 'MAINT') {
    if (args.down) return `${name} was DOWN and now enters maintenance${reason}.`;
    return `${name} is going DOWN for maintenance${reason}${countsText(true, args.counts, args.sessions, args.requeued, args.queued)}`;
  }
  if (args.from === 'MAINT' && args.dns && 'fqdn' in args.dns) return `${name} ('${args.dns.fqdn}') is ${args.down ? 'DOWN' : 'UP'}/${args.to} (resolves again).`;
  if (args.from === 'MAINT') return `${name} is ${args.down ? 'DOWN' : 'UP'}/${args.to} (leaving forced maintenance).`;
  if (args.to === 'DRAIN') return `${name} enters drain state${countsText(args.down, args.counts, args.sessions, args.requeued, args.queued)}`;
  return `${name} is ${args.down ? 'DOWN' : 'UP'} (leaving forced drain).`;
}
