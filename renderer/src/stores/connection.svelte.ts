/**
 * What the banner shows: whether pushed events flow (the SSE stream can be
 * lost and resumed) and whether the engine itself is running.
 */
import type { EngineLifecycle } from '../../../proxy/control/contract.ts';
import { transport, type StreamState } from '../transport/index.ts';

class Connection {
  stream = $state<StreamState>('connecting');
  lifecycle = $state.raw<EngineLifecycle | null>(null);
  /** Bumped each time the stream comes back after a loss: stores refetch what they may have missed. */
  resumed = $state(0);

  start(): () => void {
    let wasOpen = false;
    return transport().onStreamState((state) => {
      if (state === 'open' && wasOpen) this.resumed++;
      if (state === 'open') wasOpen = true;
      this.stream = state;
    });
  }
}

export const connection = new Connection();
