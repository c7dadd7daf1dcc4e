/**
 * The Electron transport: the preload script exposes the contract itself as
 * `window.loadstar` (one function per method plus subscribe), so this is a
 * thin adapter that turns a rejected promise into a transport error answer.
 */
import type { ControlContract, ControlArgs, ControlMethodName, ControlTopic } from '../../../proxy/control/contract.ts';
import { isResult, transportError, type EventListener, type MethodValue, type StreamState, type Transport, type UiResult } from './types.ts';

declare global {
  interface Window {
    loadstar?: ControlContract;
  }
}

export class IpcTransport implements Transport {
  readonly kind = 'ipc' as const;

  constructor(private readonly bridge: ControlContract) {}

  async call<M extends ControlMethodName>(method: M, args: ControlArgs<M>): Promise<UiResult<MethodValue<M>>> {
    try {
      const fn = this.bridge[method] as (...a: unknown[]) => Promise<unknown>;
      const answer = await fn.apply(this.bridge, args as unknown[]);
      if (isResult(answer)) return answer as UiResult<MethodValue<M>>;
      return transportError(`The desktop app answered ${method} with something that is not a result.`);
    } catch (err) {
      return transportError(`The desktop app could not run ${method}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  subscribe<K extends ControlTopic>(topics: readonly K[], listener: EventListener<K>): () => void {
    return this.bridge.subscribe(topics, listener);
  }

  /** IPC has no connection to lose; an engine restart arrives as a lifecycle event instead. */
  onStreamState(listener: (state: StreamState) => void): () => void {
    listener('open');
    return () => {};
  }
}
