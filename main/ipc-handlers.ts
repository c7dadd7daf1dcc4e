/**
 * What main answers on each IPC channel, as plain functions (main/ipc.ts
 * registers them with ipcMain). Every method handler is a one-line
 * delegation to the control contract behind a sender check; arguments are
 * validated by the contract implementation, like every transport's.
 */
import { CONTROL_METHODS, CONTROL_EVENT_CHANNELS } from '../proxy/control/contract.ts';
import type { ControlContract, ControlEvent, ControlMethodName, ControlTopic, Result } from '../proxy/control/contract.ts';
import { isTrustedSender } from './security.ts';
import type { PushedEvent, SubscribeRequest } from './preload-api.ts';

export interface MethodHandler {
  method: ControlMethodName;
  channel: string;
  handle(senderFrameUrl: string | undefined, args: unknown[]): Promise<Result<unknown>>;
}

const forbidden = (channel: string): Promise<Result<never>> =>
  Promise.resolve({ ok: false, error: { code: 'LS_ERR_CTL_FORBIDDEN', message: `${channel}: only the Loadstar window may call the control contract` } });

export function methodHandlers(control: ControlContract): MethodHandler[] {
  return (Object.keys(CONTROL_METHODS) as ControlMethodName[]).map((method) => {
    const channel = CONTROL_METHODS[method].channel;
    const call = control[method] as (...args: unknown[]) => Promise<Result<unknown>>;
    return { method, channel, handle: (frame, args) => (isTrustedSender(frame) ? call.apply(control, args) : forbidden(channel)) };
  });
}

/** A renderer's subscriptions, by its webContents id; dropped when it is destroyed or navigates. */
export class RendererSubscriptions {
  private readonly bySender = new Map<number, Map<number, () => void>>();

  constructor(private readonly control: ControlContract) {}

  /** Returns why a request was refused, or undefined when it subscribed. */
  subscribe(senderId: number, senderFrameUrl: string | undefined, raw: unknown, send: (channel: string, payload: PushedEvent) => void): string | undefined {
    if (!isTrustedSender(senderFrameUrl)) return 'only the Loadstar window may subscribe';
    const request = raw as Partial<SubscribeRequest> | null;
    if (typeof request !== 'object' || request === null || !Number.isInteger(request.id)) return 'a subscription needs an integer id';
    if (!Array.isArray(request.topics) || request.topics.length === 0 || !request.topics.every((t) => Object.hasOwn(CONTROL_EVENT_CHANNELS, t))) {
      return `topics must be a non-empty list of ${Object.keys(CONTROL_EVENT_CHANNELS).join(', ')}`;
    }
    if (request.afterSeq !== undefined && !Number.isInteger(request.afterSeq)) return 'afterSeq must be an integer';
    const id = request.id!;
    const mine = this.bySender.get(senderId) ?? new Map<number, () => void>();
    this.bySender.set(senderId, mine);
    mine.get(id)?.();
    const unsubscribe = this.control.subscribe(request.topics as ControlTopic[], (event: ControlEvent) => {
      send(CONTROL_EVENT_CHANNELS[event.topic], { subscription: id, event });
    }, request.afterSeq !== undefined ? { afterSeq: request.afterSeq } : {});
    mine.set(id, unsubscribe);
    return undefined;
  }

  unsubscribe(senderId: number, id: unknown): void {
    const mine = this.bySender.get(senderId);
    if (typeof id !== 'number' || !mine) return;
    mine.get(id)?.();
    mine.delete(id);
  }

  dropSender(senderId: number): void {
    const mine = this.bySender.get(senderId);
    this.bySender.delete(senderId);
    for (const unsubscribe of mine?.values() ?? []) unsubscribe();
  }

  count(senderId: number): number {
    return this.bySender.get(senderId)?.size ?? 0;
  }
}
