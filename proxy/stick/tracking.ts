/**
 * Stick counters sc0..sc2 (stream.h / session.h): which table entry each
 * tracks for a connection (the session: `tcp-request connection|content
 * track-sc*`) and for an HTTP exchange (the stream: `http-request track-sc*`),
 * and the counts HAProxy keeps in the tracked entries as traffic passes.
 *
 * A stream starts with its session's counters (stream_new copies them): a
 * counter the session tracks is not tracked again by the stream, and reads
 * find the stream's own entry first, then the session's. Tracking counts a
 * connection in the entry (conn_cur, conn_cnt, conn_rate: stream_start_counters);
 * conn_cur goes down again when the stream (its own counters) or the
 * connection (the session's) ends.
 */
import type net from 'node:net';
import type { StickCounterSlots } from '../acl/index.ts';
import type { RuntimeStickTable, StickEntry, CounterType, RateType } from './table.ts';
import { tickNow } from './table.ts';

/** HAProxy's MAX_SESS_STKCTR with the default build: sc0, sc1, sc2. */
export const STICK_COUNTERS = 3;

export interface Tracked {
  readonly table: RuntimeStickTable;
  readonly entry: StickEntry;
}

/** What the sc*_ / sc_*(n) fetches read: the entry counter `n` tracks, if any (the acl layer sees it as StickCounterSlots). */
export interface StickCounters extends StickCounterSlots {
  slot(n: number): Tracked | undefined;
  /** Tracks `key` of `table` on counter `n` unless it tracks something already; returns the entry tracked now (undefined: none). */
  track(n: number, table: RuntimeStickTable, key: string): StickEntry | undefined;
}

/** One connection's counters, released when its socket closes. */
export class SessionCounters implements StickCounters {
  private readonly slots: Array<Tracked | undefined> = [];

  slot(n: number): Tracked | undefined {
    return this.slots[n];
  }

  track(n: number, table: RuntimeStickTable, key: string): StickEntry | undefined {
    if (this.slots[n]) return undefined;
    const entry = startTracking(table, key);
    if (entry) this.slots[n] = { table, entry };
    return entry;
  }

  /** session_store_counters: the connection ended. */
  stop(): void {
    for (let n = 0; n < this.slots.length; n++) {
      const tracked = this.slots[n];
      if (tracked) stopTracking(tracked);
    }
    this.slots.length = 0;
  }
}

/** One HTTP exchange's counters: its own, over those of its connection. */
export class StreamCounters implements StickCounters {
  private readonly own: Array<Tracked | undefined> = [];

  constructor(private readonly session: SessionCounters | undefined) {}

  slot(n: number): Tracked | undefined {
    return this.own[n] ?? this.session?.slot(n);
  }

  track(n: number, table: RuntimeStickTable, key: string): StickEntry | undefined {
    if (this.slot(n)) return undefined;
    const entry = startTracking(table, key);
    if (entry) this.own[n] = { table, entry };
    return entry;
  }

  /** stream_store_counters: the exchange ended; the connection's counters stay. */
  stop(): void {
    for (let n = 0; n < this.own.length; n++) {
      const tracked = this.own[n];
      if (tracked) stopTracking(tracked);
    }
    this.own.length = 0;
  }
}

const sessions = new WeakMap<net.Socket, SessionCounters>();

/** The socket a connection was accepted on (a TLS socket wraps it: Node keeps it as `_parent`). */
function acceptedSocket(socket: net.Socket): net.Socket {
  return (socket as net.Socket & { _parent?: net.Socket })._parent ?? socket;
}

/** The connection's counters, made on first use; they are released when the connection closes. */
export function sessionCounters(socket: net.Socket): SessionCounters {
  const raw = acceptedSocket(socket);
  let counters = sessions.get(raw);
  if (counters) return counters;
  counters = new SessionCounters();
  sessions.set(raw, counters);
  const made = counters;
  if (raw.closed) queueMicrotask(() => made.stop());
  else raw.once('close', () => made.stop());
  return counters;
}

/** The connection's counters if it has any (a connection no rule tracked has none). */
export function existingSessionCounters(socket: net.Socket): SessionCounters | undefined {
  return sessions.get(acceptedSocket(socket));
}

/** For every counter tracked (the stream's own, else the session's), bumps a count and its rate (stkctr_inc_*_ctr). */
export function countEvent(counters: StickCounters | undefined, count: CounterType, rate: RateType): void {
  if (!counters) return;
  const now = tickNow();
  for (let n = 0; n < STICK_COUNTERS; n++) {
    const tracked = counters.slot(n);
    if (!tracked) continue;
    const { table, entry } = tracked;
    const counted = table.add(entry, count, 1) !== undefined;
    const rated = table.tick(entry, rate, now) !== undefined;
    if (counted || rated) table.touch(entry, now);
  }
}

/** session_count_new: an accepted connection counts in sess_cnt and sess_rate of what its connection rules track (no touch). */
export function countSession(counters: SessionCounters | undefined): void {
  if (!counters) return;
  const now = tickNow();
  for (let n = 0; n < STICK_COUNTERS; n++) {
    const tracked = counters.slot(n);
    if (!tracked) continue;
    tracked.table.add(tracked.entry, 'sess_cnt', 1);
    tracked.table.tick(tracked.entry, 'sess_rate', now);
  }
}

/** stream_start_counters: one more connection for the entry; its expiry starts again. */
function startTracking(table: RuntimeStickTable, key: string): StickEntry | undefined {
  const now = tickNow();
  const entry = table.getEntry(key, now);
  if (!entry) return undefined;
  entry.refs++;
  table.add(entry, 'conn_cur', 1);
  table.add(entry, 'conn_cnt', 1);
  table.tick(entry, 'conn_rate', now);
  table.touch(entry, now);
  return entry;
}

function stopTracking({ table, entry }: Tracked): void {
  const now = tickNow();
  if (table.add(entry, 'conn_cur', -1) !== undefined) table.touch(entry, now);
  table.release(entry, now);
}
