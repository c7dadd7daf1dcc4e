/**
 * Fault injection for the containment tests (issue #10): a test arms a stage,
 * and the next time an exchange passes that stage the engine's own code throws
 * there, as a bug would. The hot path pays one boolean read (`faults.armed`)
 * per stage; `faultPoint` runs only when a test armed something.
 *
 * Stages, in the order an exchange meets them: the connection is accepted, the
 * request head is parsed, request body bytes arrive, the server connection is
 * established, the response head and body arrive, bytes cross a tunnel
 * (WebSocket, CONNECT or TCP mode), the exchange is logged.
 */

export const FAULT_STAGES = ['accept', 'request-head', 'request-body', 'connect', 'response-head', 'response-body', 'tunnel', 'log'] as const;
export type FaultStage = (typeof FAULT_STAGES)[number];

/** The one flag the hot path reads: true only while a test has a fault armed. */
export const faults = { armed: false };

const remaining = new Map<FaultStage, number>();

/** The error a fault point throws (an ordinary Error: containment must not know it from a real bug). */
export class InjectedFault extends Error {
  constructor(readonly stage: FaultStage) {
    super(`fault injected at stage '${stage}'`);
    this.name = 'InjectedFault';
  }
}

/** Makes the next `times` passes through `stage` throw. */
export function armFault(stage: FaultStage, times = 1): void {
  remaining.set(stage, times);
  faults.armed = true;
}

export function clearFaults(): void {
  remaining.clear();
  faults.armed = false;
}

/** Faults armed and not yet thrown, by stage (a test checks its fault was reached). */
export function pendingFaults(): ReadonlyMap<FaultStage, number> {
  return remaining;
}

/** Throws when `stage` is armed. Call it behind `if (faults.armed)` so unarmed runs pay nothing more. */
export function faultPoint(stage: FaultStage): void {
  const left = remaining.get(stage);
  if (left === undefined) return;
  if (left <= 1) remaining.delete(stage);
  else remaining.set(stage, left - 1);
  faults.armed = remaining.size > 0;
  throw new InjectedFault(stage);
}

/**
 * The alert for an internal error (an exception in Loadstar's own code, injected or real): where it
 * happened and its stack — the one place a stack is shown, because it is a bug to report.
 */
export function internalErrorAlert(where: string, error: unknown): string {
  const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return `internal error in ${where}, connection closed: ${detail}`;
}
