/**
 * A server's state when an engine's run begins, as the history stores it and the timelines read it
 * (control/timeline.ts): a server begins a run in its starting state (UP, or a server-state-file's)
 * without a transition of its own, so the start is one when that state is not as usable as the
 * last one stored.
 */

/** A status label that takes new traffic: UP, "UP 2/3" (going down, still serving), "no check". */
export function usableLabel(label: string): boolean {
  return label.startsWith('UP') || label === 'no check';
}

/** The state a server began the run started at `startedAt` in: its first transition since's `from`, or `now` without one. */
export function serverStartState(events: readonly { time: number; from: string }[], startedAt: number, now: string): string {
  return events.find((e) => e.time >= startedAt)?.from ?? now;
}

/** The reason a start transition gives (the history recorder stores it, the timeline reader adds it until then). */
export function startReason(backend: string, server: string, began: string): string {
  return `Loadstar started: server ${backend}/${server} begins ${began}`;
}
