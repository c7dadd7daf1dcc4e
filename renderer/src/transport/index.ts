/**
 * Picks the transport once: the desktop app's preload bridge when
 * `window.loadstar` exists, otherwise HTTP + Server-Sent Events to the admin
 * server that served this page. `control` is the contract as screens call it.
 */
import type { ControlMethodName } from '../../../proxy/control/contract.ts';
import { HttpTransport } from './http.ts';
import { IpcTransport } from './ipc.ts';
import type { ControlClient, Transport } from './types.ts';

export type { ControlClient, Transport, StreamState, UiError, UiResult } from './types.ts';

export function pickTransport(win: Window = window): Transport {
  return win.loadstar ? new IpcTransport(win.loadstar) : new HttpTransport();
}

/** A ControlClient over any transport: `client.status()`, `client.setServerState(b, s, 'drain')`. */
export function clientOf(transport: Transport): ControlClient {
  return new Proxy({} as ControlClient, {
    get(_target, method: string) {
      return (...args: unknown[]) => transport.call(method as ControlMethodName, args as never);
    },
  });
}

let chosen: Transport | undefined;
let client: ControlClient | undefined;

/** The page's transport (chosen on first use; tests may install another with useTransport). */
export function transport(): Transport {
  return (chosen ??= pickTransport());
}

export function control(): ControlClient {
  return (client ??= clientOf(transport()));
}

export function useTransport(t: Transport): void {
  chosen = t;
  client = clientOf(t);
}
