/**
 * The `window.loadstar` API the preload exposes: the control contract's
 * methods generated from the channel map (each an ipcRenderer.invoke on its
 * `area:verb` channel) plus `subscribe`. Plain: it takes the IPC functions as
 * arguments, so it is tested without Electron; preload.ts passes ipcRenderer.
 */
import { CONTROL_EVENT_CHANNELS } from '../proxy/control/contract.ts';
import type { ControlContract, ControlEvent, ControlTopic, Result, SubscribeOptions } from '../proxy/control/contract.ts';
import { buildControlMethods } from './control-methods.ts';

/** Renderer → main: start a subscription `{ id, topics, afterSeq }`. */
export const SUBSCRIBE_CHANNEL = 'events:subscribe';
/** Renderer → main: end subscription `id`. */
export const UNSUBSCRIBE_CHANNEL = 'events:unsubscribe';

/** What main sends on a topic's channel: the event, tagged with the subscription it is for. */
export interface PushedEvent {
  subscription: number;
  event: ControlEvent;
}

export interface SubscribeRequest {
  id: number;
  topics: ControlTopic[];
  afterSeq?: number;
}

/** The slice of ipcRenderer the API needs; listeners receive the payload only, never the IPC event. */
export interface PreloadIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  send(channel: string, ...args: unknown[]): void;
  on(channel: string, listener: (payload: unknown) => void): void;
  off(channel: string, listener: (payload: unknown) => void): void;
}

export type LoadstarApi = ControlContract;

export function buildLoadstarApi(ipc: PreloadIpc): LoadstarApi {
  let nextSubscription = 1;
  const methods = buildControlMethods((_method, channel, args) => ipc.invoke(channel, ...args) as Promise<Result<unknown>>);
  const subscribe = <K extends ControlTopic>(topics: readonly K[], listener: (event: ControlEvent<K>) => void, options?: SubscribeOptions): (() => void) => {
    const id = nextSubscription++;
    const channels = [...new Set(topics.map((topic) => CONTROL_EVENT_CHANNELS[topic]))];
    const onPush = (payload: unknown): void => {
      const pushed = payload as PushedEvent | null;
      if (pushed?.subscription === id) listener(pushed.event as ControlEvent<K>);
    };
    for (const channel of channels) ipc.on(channel, onPush);
    const request: SubscribeRequest = { id, topics: [...topics], ...(options?.afterSeq !== undefined ? { afterSeq: options.afterSeq } : {}) };
    ipc.send(SUBSCRIBE_CHANNEL, request);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      for (const channel of channels) ipc.off(channel, onPush);
      ipc.send(UNSUBSCRIBE_CHANNEL, id);
    };
  };
  return Object.freeze({ ...methods, subscribe });
}
