/**
 * What the engine tells whoever listens, whether or not statistics are on:
 * finished exchanges (access log), engine events (health transitions, state
 * changes, alerts, lifecycle) and the once-a-second statistics tick. The
 * engine owns one hub; the control contract's host (proxy/control) numbers
 * what it receives and replays it to transports that reconnect.
 *
 * The records are plain data, kept structurally equal to the contract's DTOs
 * (proxy/control/contract.ts) without importing it: the engine sits below
 * control, and the in-process implementation, which hands these records on
 * as contract events, is where the type checker holds the two together.
 */
import type { ErrorCode } from './errors.ts';
import type { HealthEvent } from './checks/index.ts';
import type { AccessLogEntry, StateEvent, StatsTick } from './stats/registry.ts';
import { Ring } from './checks/events.ts';

export type { AccessLogEntry, StateEvent, StatsTick };

export type EngineState = 'starting' | 'running' | 'reloading' | 'stopping' | 'stopped' | 'failed';

export interface EngineLifecycle {
  state: EngineState;
  /** epoch ms of the last state change */
  since: number;
  /** Name of the configuration in force (a file path or `haproxy.cfg`). */
  configName: string;
  /** epoch ms when the configuration in force was loaded (start or last successful reload); 0 before the first start. */
  loadedAt: number;
  /** Successful reloads since the engine was created. */
  reloads: number;
  /** Why the engine is `failed`, or why the last reload was refused. */
  lastError?: { code: ErrorCode; message: string };
}

export type EngineEvent =
  | { type: 'health'; time: number; event: HealthEvent }
  | StateEvent
  | { type: 'alert'; time: number; message: string }
  | { type: 'lifecycle'; time: number; lifecycle: EngineLifecycle };

export interface EngineEventMap {
  'access-log': AccessLogEntry;
  events: EngineEvent;
  stats: StatsTick;
}
export type EngineTopic = keyof EngineEventMap;

/** Engine events kept for `recentEvents` (health, state, alerts, lifecycle: a few per minute on a quiet system). */
export const RECENT_EVENTS = 1000;

export class EngineEventHub {
  private readonly listeners: { [K in EngineTopic]: Set<(payload: EngineEventMap[K]) => void> } = {
    'access-log': new Set(),
    events: new Set(),
    stats: new Set(),
  };
  private readonly recent = new Ring<EngineEvent>(RECENT_EVENTS);
  private reportedFailure = false;

  /** Listens to one topic; returns the function that stops listening. */
  on<K extends EngineTopic>(topic: K, listener: (payload: EngineEventMap[K]) => void): () => void {
    const set = this.listeners[topic] as Set<(payload: EngineEventMap[K]) => void>;
    set.add(listener);
    return () => void set.delete(listener);
  }

  /** Whether anyone listens: producers build per-exchange records only then. */
  listening(topic: EngineTopic): boolean {
    return this.listeners[topic].size > 0;
  }

  publish<K extends EngineTopic>(topic: K, payload: EngineEventMap[K]): void {
    if (topic === 'events') this.recent.push(payload as EngineEvent);
    for (const listener of this.listeners[topic] as Set<(payload: EngineEventMap[K]) => void>) {
      try {
        listener(payload);
      } catch (e) {
        // A listener's bug must not break the exchange or check that published; say so once.
        if (!this.reportedFailure) {
          this.reportedFailure = true;
          process.stderr.write(`[ALERT] an engine event listener failed (reported once): ${(e as Error)?.stack ?? String(e)}\n`);
        }
      }
    }
  }

  /** The latest engine events, newest first. */
  recentEvents(limit: number): EngineEvent[] {
    const all = this.recent.toArray();
    return all.slice(Math.max(0, all.length - limit)).reverse();
  }
}
