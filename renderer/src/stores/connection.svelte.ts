/**
 * What the banner shows: whether pushed events flow (the SSE stream can be
 * lost and resumed) and whether the engine itself is running; and whether
 * this browser is logged in with the admin password (the header's Log out).
 */
import type { EngineLifecycle } from '../../../proxy/control/contract.ts';
import { transport, type StreamState, type UiError } from '../transport/index.ts';

class Connection {
  stream = $state<StreamState>('connecting');
  lifecycle = $state.raw<EngineLifecycle | null>(null);
  /** Bumped each time the stream comes back after a loss: stores refetch what they may have missed. */
  resumed = $state(0);
  /** Logged in with the admin password (`loadstar serve` with one): a login to end. Never over IPC. */
  loggedIn = $state(false);

  start(): () => void {
    let wasOpen = false;
    const t = transport();
    void t.passwordRequired?.().then((yes) => (this.loggedIn = yes));
    return t.onStreamState((state) => {
      if (state === 'open' && wasOpen) this.resumed++;
      if (state === 'open') wasOpen = true;
      // Logged out (here or in another tab) or the session ended: nothing to log out of until a new login.
      if (state === 'signed-out') this.loggedIn = false;
      // Back after a login (in another tab): ask again.
      else if (state === 'open' && this.stream === 'signed-out') void t.passwordRequired?.().then((yes) => (this.loggedIn = yes));
      this.stream = state;
    });
  }

  /** Ends the login; the caller then goes to the login page. The error when the server could not be told. */
  async logout(): Promise<UiError | null> {
    const answer = await transport().logout?.();
    if (!answer || answer.ok) {
      this.loggedIn = false;
      return null;
    }
    return answer.error;
  }
}

export const connection = new Connection();
