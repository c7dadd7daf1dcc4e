/**
 * Health timelines from transitions: the state at the start of a range, the
 * transitions inside it and the share of it spent usable. A backend's
 * timeline is derived from its servers': UP while at least one is usable.
 * Pure functions of the events, so the rules are tested without sockets.
 */
import type { ConfiguredSince, HealthEvent, TimelineData } from './contract.ts';
import { serverStartState, startReason, usableLabel } from '../store/start-state.ts';


/**
 * One object's timeline within [from, to].
 * @param events every known transition of the object, oldest first (may start before `from`)
 * @param current the object's label now, the state when no transition is known at all
 * @param configured since when the object has been configured, if known: within the range, the
 *   timeline begins there (state, transitions and uptime from then on)
 */
export function timelineOf(backend: string, server: string | undefined, events: readonly HealthEvent[], current: string, rangeFrom: number, to: number, recorded?: ConfiguredSince): TimelineData {
  // An object's own first transition proves it existed then: the engine starts its checks before the
  // history notes what it runs, so a server failing its first check can have a transition older than its first-seen time.
  const first = events[0]?.time;
  const configured = recorded && first !== undefined && first < recorded.time ? { ...recorded, time: first } : recorded;
  const from = configured ? Math.min(Math.max(configured.time, rangeFrom), to) : rangeFrom;
  const before = events.filter((e) => e.time < from);
  const inRange = events.filter((e) => e.time >= from && e.time <= to);
  const after = events.find((e) => e.time > to);
  const initial = before.length > 0 ? before[before.length - 1]!.to : inRange.length > 0 ? inRange[0]!.from : after ? after.from : current;
  let up = 0;
  let state = initial;
  let at = from;
  for (const e of inRange) {
    if (usableLabel(state)) up += e.time - at;
    state = e.to;
    at = e.time;
  }
  if (usableLabel(state)) up += to - at;
  const span = to - from;
  return {
    backend,
    ...(server !== undefined ? { server } : {}),
    initial,
    events: inRange,
    uptime: span > 0 ? up / span : usableLabel(initial) ? 1 : 0,
    from: rangeFrom,
    to,
    ...(configured ? { configuredSince: configured } : {}),
  };
}

/**
 * A backend's own transitions from its servers': the backend is UP while any
 * server is usable. Each transition names the server whose change caused it.
 * @param servers each server's initial label at `since` and its transitions (oldest first)
 */
export function backendEvents(backend: string, servers: ReadonlyArray<{ name: string; initial: string; events: readonly HealthEvent[] }>): { initial: string; events: HealthEvent[] } {
  const state = new Map(servers.map((s) => [s.name, s.initial]));
  const anyUsable = (): boolean => [...state.values()].some(usableLabel);
  const initial = anyUsable() ? 'UP' : 'DOWN';
  const merged = servers.flatMap((s) => s.events).sort((a, b) => a.time - b.time);
  const out: HealthEvent[] = [];
  let current = initial;
  for (const e of merged) {
    state.set(e.server, e.to);
    const next = anyUsable() ? 'UP' : 'DOWN';
    if (next === current) continue;
    out.push({
      time: e.time,
      backend,
      server: e.server,
      from: current,
      to: next,
      ...(e.code !== undefined ? { code: e.code } : {}),
      ...(e.durationMs !== undefined ? { durationMs: e.durationMs } : {}),
      reason: next === 'DOWN' ? `backend ${backend} has no server available! (${e.reason})` : `backend ${backend} is UP again: ${e.reason}`,
    });
    current = next;
  }
  return { initial, events: out };
}

/** Merges transitions from two sources (history store and memory), oldest first, without duplicates. */
export function mergeEvents(a: readonly HealthEvent[], b: readonly HealthEvent[]): HealthEvent[] {
  const seen = new Set<string>();
  const out: HealthEvent[] = [];
  for (const e of [...a, ...b]) {
    const key = `${e.time}|${e.backend}|${e.server}|${e.from}|${e.to}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out.sort((x, y) => x.time - y.time);
}

/**
 * A server's transitions with the one a start made: a new engine begins each server in its starting
 * state (UP as HAProxy's, or what a server-state-file says) without a transition, so the last one
 * known from before the start (DOWN in the run before) lasted on the timeline past it ("Now UP",
 * the bar DOWN to its end). Added at `startedAt` when the state the server began the run in (the
 * `from` of the run's first transition, or `now` without one) is not as usable as the one before.
 */
export function withStart(events: HealthEvent[], startedAt: number | undefined, now: string, backend: string, server: string): HealthEvent[] {
  if (startedAt === undefined) return events;
  let i = events.findIndex((e) => e.time >= startedAt);
  if (i < 0) i = events.length;
  const last = events[i - 1];
  const began = serverStartState(events, startedAt, now);
  if (!last || usableLabel(began) === usableLabel(last.to)) return events;
  const start: HealthEvent = { time: startedAt, backend, server, from: last.to, to: began, reason: startReason(backend, server, began) };
  return [...events.slice(0, i), start, ...events.slice(i)];
}

