/**
 * Health timelines from transitions: the state at the start of a range, the
 * transitions inside it and the share of it spent usable, leaving out the
 * periods when Loadstar was not running (nothing was monitored then). A
 * backend's timeline is derived from its servers': UP while at least one is usable.
 * Pure functions of the events, so the rules are tested without sockets.
 */
import type { ConfiguredSince, HealthEvent, Period, TimelineData } from './contract.ts';
import { serverStartState, startReason, usableLabel } from '../store/start-state.ts';

/**
 * The periods within [from, to] when Loadstar was not running: between one engine run's last known
 * moment and the next one's start, and after the last run when none runs now. Nothing is known
 * before the first run: no runs, no periods.
 * @param runs the recorded runs (start → last known alive), in any order, overlaps allowed; the run
 *   going on now, if any, ends at or after `to`
 */
export function notRunningPeriods(runs: readonly Period[], from: number, to: number): Period[] {
  const sorted = [...runs].sort((a, b) => a.from - b.from);
  const out: Period[] = [];
  const gap = (a: number, b: number): void => {
    const clipped = { from: Math.max(a, from), to: Math.min(b, to) };
    if (clipped.to > clipped.from) out.push(clipped);
  };
  let covered: number | undefined;
  for (const run of sorted) {
    if (covered !== undefined && run.from > covered) gap(covered, run.from);
    covered = Math.max(covered ?? run.to, run.to);
  }
  if (covered !== undefined) gap(covered, to);
  return out;
}

/** How much of [a, b] lies outside `gaps` (sorted, not overlapping). */
function monitored(a: number, b: number, gaps: readonly Period[]): number {
  let time = Math.max(0, b - a);
  for (const g of gaps) time -= Math.max(0, Math.min(b, g.to) - Math.max(a, g.from));
  return time;
}

/**
 * One object's timeline within [from, to].
 * @param events every known transition of the object, oldest first (may start before `from`)
 * @param current the object's label now, the state when no transition is known at all
 * @param configured since when the object has been configured, if known: within the range, the
 *   timeline begins there (state, transitions and uptime from then on)
 * @param notRunning when Loadstar was not running (notRunningPeriods): left out of the uptime, both
 *   the usable time and the time it is a share of
 */
export function timelineOf(backend: string, server: string | undefined, events: readonly HealthEvent[], current: string, rangeFrom: number, to: number, recorded?: ConfiguredSince, notRunning: readonly Period[] = []): TimelineData {
  // An object's own first transition proves it existed then: the engine starts its checks before the
  // history notes what it runs, so a server failing its first check can have a transition older than its first-seen time.
  const first = events[0]?.time;
  const configured = recorded && first !== undefined && first < recorded.time ? { ...recorded, time: first } : recorded;
  const from = configured ? Math.min(Math.max(configured.time, rangeFrom), to) : rangeFrom;
  const before = events.filter((e) => e.time < from);
  const inRange = events.filter((e) => e.time >= from && e.time <= to);
  const after = events.find((e) => e.time > to);
  const initial = before.length > 0 ? before[before.length - 1]!.to : inRange.length > 0 ? inRange[0]!.from : after ? after.from : current;
  const gaps = notRunning.map((g) => ({ from: Math.max(g.from, from), to: Math.min(g.to, to) })).filter((g) => g.to > g.from);
  let up = 0;
  let state = initial;
  let at = from;
  for (const e of inRange) {
    if (usableLabel(state)) up += monitored(at, e.time, gaps);
    state = e.to;
    at = e.time;
  }
  if (usableLabel(state)) up += monitored(at, to, gaps);
  const span = monitored(from, to, gaps);
  return {
    backend,
    ...(server !== undefined ? { server } : {}),
    initial,
    events: inRange,
    uptime: span > 0 ? up / span : usableLabel(initial) ? 1 : 0,
    from: rangeFrom,
    to,
    ...(configured ? { configuredSince: configured } : {}),
    ...(gaps.length > 0 ? { notRunning: gaps } : {}),
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

