/**
 * Reads health timelines for `timeline` and `timelines`: the transitions the
 * history store keeps, merged with those the engine still holds in memory
 * (a checked server's ring, or the state changes of a server without check),
 * then timeline.ts's pure functions. One reader serves one answer over one
 * range, so a batch of 301 timelines reads each backend's stored events once
 * and the engine's recent events once, not once per server.
 */
import type { Engine } from '../engine.ts';
import { ControlFailure } from './answers.ts';
import * as arg from './args.ts';
import type { HistorySource } from './history.ts';
import { backendEvents, mergeEvents, notRunningPeriods, timelineOf, withStart } from './timeline.ts';
import type { ConfiguredSince, HealthEvent, Period, TimelineData, TimelineRange, TimelineTarget } from './contract.ts';

/** Range when none is given: the last hour. */
export const DEFAULT_TIMELINE_MS = 3600_000;
/** Most targets one `timelines` call takes (a few times the largest installation's servers). */
export const MAX_TIMELINE_TARGETS = 20_000;

/** The range argument of `timeline` / `timelines`, checked, with its defaults. */
export function timelineRange(method: string, range: unknown): { from: number; to: number } {
  const r = range === undefined || range === null ? {} : arg.record(method, 'range', range);
  const to = arg.optionalTime(method, 'range.to', r['to']) ?? Date.now();
  const from = arg.optionalTime(method, 'range.from', r['from']) ?? to - DEFAULT_TIMELINE_MS;
  if (from > to) throw arg.badValue(method, 'range.from', `no later than range.to (${to})`, from);
  return { from, to };
}

/** The targets argument of `timelines`, checked: a list of { backend, server? }. */
export function timelineTargets(method: string, targets: unknown): TimelineTarget[] {
  if (!Array.isArray(targets)) throw arg.badValue(method, 'targets', 'a list of { backend, server? }', targets);
  if (targets.length > MAX_TIMELINE_TARGETS) throw arg.badValue(method, 'targets', `at most ${MAX_TIMELINE_TARGETS} entries`, `${targets.length} entries`);
  return targets.map((t, i) => {
    const r = arg.record(method, `targets[${i}]`, t);
    const backend = arg.name(method, `targets[${i}].backend`, r['backend']);
    const server = r['server'] === undefined || r['server'] === null ? undefined : arg.name(method, `targets[${i}].server`, r['server']);
    return server === undefined ? { backend } : { backend, server };
  });
}

export class TimelineReader {
  /** Stored events by backend, then by server: of whole backends, or of single servers. */
  private readonly stored = new Map<string, Promise<Map<string, HealthEvent[]>>>();
  /** State changes of servers without check, by `backend/server`, read once from the engine's recent events. */
  private stateEvents: Map<string, HealthEvent[]> | undefined;
  /** Every known transition of a server (stored and in memory), by `backend/server`. */
  private readonly merged = new Map<string, HealthEvent[]>();
  /** First-seen times by history id, read once for every target (readConfigured). */
  private configured: Record<string, ConfiguredSince> = {};
  /** When Loadstar was not running within the range, read once for every target. */
  private gaps: Promise<Period[]> | undefined;

  /**
   * @param to end of the range: stored events after it are not read
   * @param wholeBackends backends read from history whole (their own timeline, or many of their servers, are asked for)
   */
  constructor(
    private readonly engine: Engine,
    private readonly history: HistorySource | undefined,
    private readonly to: number,
    private readonly wholeBackends: readonly string[],
  ) {}

  /** Reads, in one question to the history, since when the targets have been configured. */
  async readConfigured(targets: readonly TimelineTarget[]): Promise<void> {
    if (!this.history?.configuredSince || targets.length === 0) return;
    this.configured = await this.history.configuredSince(targets.map((t) => (t.server === undefined ? `backend:${t.backend}` : `server:${t.backend}/${t.server}`)));
  }

  /** A backend's own timeline (no `server`) or a server's, over [from, this.to]; the object must exist. */
  async timeline(backend: string, server: string | undefined, from: number): Promise<TimelineData> {
    const runtime = this.engine.backend(backend);
    if (!runtime) throw new ControlFailure('LS_ERR_CTL_NOT_FOUND', `timeline: no such backend '${backend}' in the running configuration.`);
    if (server !== undefined) {
      const found = runtime.server(server);
      if (!found) throw new ControlFailure('LS_ERR_CTL_NOT_FOUND', `timeline: no such server '${server}' in backend '${backend}'.`);
      return timelineOf(backend, server, await this.events(backend, server), found.status, from, this.to, this.configured[`server:${backend}/${server}`], await this.notRunning(from));
    }
    const servers = [];
    for (const srv of runtime.servers) {
      const events = await this.events(backend, srv.name);
      servers.push({ name: srv.name, initial: events[0]?.from ?? srv.status, events });
    }
    // Before any known transition the backend was in the state its servers started in (the first derived event's `from`);
    // one without servers (a stats listen's) is UP, as HAProxy's stats say.
    const derived = backendEvents(backend, servers);
    return timelineOf(backend, undefined, derived.events, runtime.hasUsableServer || runtime.servers.length === 0 ? 'UP' : 'DOWN', from, this.to, this.configured[`backend:${backend}`], await this.notRunning(from));
  }

  /**
   * The periods of [from, this.to] when Loadstar was not running: from the runs the history recorded and
   * the engine's run going on now (its start may not be written yet; its last record is up to a minute old).
   */
  private notRunning(from: number): Promise<Period[]> {
    this.gaps ??= (async () => {
      const runs = [...((await this.history?.runs?.(from, this.to)) ?? [])];
      const state = this.engine.lifecycle().state;
      const startedAt = this.engine.startedAt;
      // The run going on now began at the engine's start, or at the newest record since then (a sleep splits a run).
      if (startedAt !== undefined && (state === 'running' || state === 'reloading')) {
        const since = runs.reduce((latest, r) => (r.from >= startedAt && r.from > latest ? r.from : latest), startedAt);
        runs.push({ from: since, to: Math.max(this.to, Date.now()) });
      }
      return notRunningPeriods(runs, from, this.to);
    })();
    return this.gaps;
  }

  /** Every known transition of one server, oldest first. */
  private async events(backend: string, server: string): Promise<HealthEvent[]> {
    const key = `${backend}/${server}`;
    let events = this.merged.get(key);
    if (!events) {
      const stored = (await this.storedOf(backend, server)).get(server) ?? [];
      const now = this.engine.backend(backend)?.server(server)?.status;
      events = mergeEvents(stored, this.memoryEvents(backend, server));
      if (now !== undefined) events = withStart(events, this.engine.startedAt, now, backend, server);
      this.merged.set(key, events);
    }
    return events;
  }

  private storedOf(backend: string, server: string): Promise<Map<string, HealthEvent[]>> {
    const whole = this.wholeBackends.includes(backend);
    const key = whole ? backend : `${backend}/${server}`;
    let found = this.stored.get(key);
    if (!found) {
      const history = this.history;
      found = (async () => {
        const byServer = new Map<string, HealthEvent[]>();
        if (!history) return byServer;
        for (const e of await history.healthEvents(backend, whole ? undefined : server, 0, this.to)) {
          let list = byServer.get(e.server);
          if (!list) byServer.set(e.server, (list = []));
          list.push(e);
        }
        return byServer;
      })();
      this.stored.set(key, found);
    }
    return found;
  }

  /** A server's transitions the engine still holds: its check's ring, or for a server without check its state changes. */
  private memoryEvents(backend: string, server: string): HealthEvent[] {
    const runtime = this.engine.backend(backend)?.server(server);
    if (!runtime) return [];
    if (runtime.check) return runtime.check.events.toArray();
    if (!this.stateEvents) {
      this.stateEvents = new Map();
      for (const e of this.engine.events.recentEvents(Number.MAX_SAFE_INTEGER).reverse()) {
        if (e.type !== 'state' || e.server === undefined) continue;
        const key = `${e.backend}/${e.server}`;
        let list = this.stateEvents.get(key);
        if (!list) this.stateEvents.set(key, (list = []));
        list.push({ time: e.time, backend: e.backend, server: e.server, from: e.from, to: e.to, reason: `Server ${e.backend}/${e.server} is ${e.to}` });
      }
    }
    return this.stateEvents.get(`${backend}/${server}`) ?? [];
  }
}
