/**
 * The messages between the main process and the engine host (a utilityProcess
 * in the app, a child_process.fork in tests and `npm start` fallbacks). Plain
 * serialisable records: Electron's parentPort and Node's IPC channel both
 * carry them with structured clone / JSON.
 */
import type { ControlError, ControlEvent, ControlMethodName, ControlTopic, Result } from '../proxy/control/contract.ts';

/** Main → engine host. */
export type HostInbound =
  | { type: 'request'; id: number; method: ControlMethodName; args: unknown[] }
  /** The topics main wants pushed from now on (replaces the previous set). */
  | { type: 'topics'; topics: ControlTopic[] }
  /** Stop the engine gracefully within graceMs, then exit 0. */
  | { type: 'shutdown'; graceMs: number };

/** Engine host → main. */
export type HostOutbound =
  /**
   * The host is serving; requests are answered from now on. With `startError` its
   * configuration did not start (bad file, port taken…): the engine is `failed`,
   * and applying a corrected configuration through the contract starts it.
   */
  | { type: 'ready'; pid: number; startError?: ControlError }
  /** Nothing could be opened at all (the data dir is unusable…): the host exits with EXIT_START_FAILED next. */
  | { type: 'start-failed'; error: ControlError }
  | { type: 'response'; id: number; result: Result<unknown> }
  | { type: 'event'; event: ControlEvent }
  /** Proof of a live event loop; main restarts a host that stays silent too long. */
  | { type: 'heartbeat'; at: number };

/** Exit status of a host whose configuration failed to start (sysexits EX_CONFIG). */
export const EXIT_START_FAILED = 78;

/** Default heartbeat period; the supervisor waits a few periods before calling the host hung. */
export const HEARTBEAT_MS = 2000;

export function isHostOutbound(value: unknown): value is HostOutbound {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'ready' || type === 'start-failed' || type === 'response' || type === 'event' || type === 'heartbeat';
}
