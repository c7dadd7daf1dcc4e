/**
 * What every screen and store talks to: the control contract's methods and
 * pushed events, whatever carries them (Electron IPC or HTTP + Server-Sent
 * Events). Screens cannot tell the two apart.
 */
import type {
  ControlArgs, ControlError, ControlEvent, ControlMethodName, ControlTopic, ControlValue, ControlWarning,
} from '../../../proxy/control/contract.ts';

/**
 * The renderer's own code for "the answer never arrived" (the admin server is
 * unreachable, answered something that is not a Result, or the IPC bridge
 * threw). Every other code comes from the engine's registry.
 */
export const TRANSPORT_ERROR = 'LS_UI_TRANSPORT' as const;

export interface UiError extends Omit<ControlError, 'code'> {
  code: ControlError['code'] | typeof TRANSPORT_ERROR;
}

export type UiResult<T> =
  | { ok: true; value: T; warnings?: ControlWarning[] }
  | { ok: false; error: UiError };

/** The value a method resolves with when it succeeds. */
export type MethodValue<M extends ControlMethodName> = ControlValue<M>;

/** The contract's methods as the renderer calls them: same arguments, results that may also be transport failures. */
export type ControlClient = {
  [M in ControlMethodName]: (...args: ControlArgs<M>) => Promise<UiResult<MethodValue<M>>>;
};

/** connecting: first attempt; open: events flow; reconnecting: lost, retrying; signed-out: the admin server wants a login. */
export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'signed-out';

/**
 * `receivedAt` is performance.now() when the message reached the page, before it was decoded
 * (the HTTP transport gives it; over IPC the event arrives decoded and it is absent).
 */
export type EventListener<K extends ControlTopic> = (event: ControlEvent<K>, receivedAt?: number) => void;

export interface Transport {
  readonly kind: 'ipc' | 'http';
  call<M extends ControlMethodName>(method: M, args: ControlArgs<M>): Promise<UiResult<MethodValue<M>>>;
  /** Adds a listener for the given topics; returns the function that removes it. */
  subscribe<K extends ControlTopic>(topics: readonly K[], listener: EventListener<K>): () => void;
  /** Reports the event stream's state now and on every change; returns the function that stops reporting. */
  onStreamState(listener: (state: StreamState) => void): () => void;
  /** HTTP only (the desktop app has no login): whether this browser is logged in with the admin password. */
  passwordRequired?(): Promise<boolean>;
  /** HTTP only: ends this browser's login (`POST logout`). */
  logout?(): Promise<UiResult<{ loggedOut: true }>>;
}

export function transportError(message: string): { ok: false; error: UiError } {
  return { ok: false, error: { code: TRANSPORT_ERROR, message } };
}

/** True for a value shaped like the contract's Result. */
export function isResult(value: unknown): value is UiResult<unknown> {
  if (typeof value !== 'object' || value === null || !('ok' in value)) return false;
  const v = value as { ok: unknown; error?: { code?: unknown; message?: unknown } };
  if (v.ok === true) return 'value' in value;
  return v.ok === false && typeof v.error?.code === 'string' && typeof v.error.message === 'string';
}
