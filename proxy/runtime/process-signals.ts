/**
 * The stop and reload signals of a `loadstar run` / `loadstar serve` process, held from
 * the command's first line.
 *
 * Node's default for SIGHUP, SIGTERM and SIGINT is to end the process at once, without
 * a word. The commands start the engine (which listens) before they are ready to reload
 * or stop it, so a handler installed after that leaves a window in which a `kill -HUP`
 * sent as soon as the port answers — what a supervisor or a test does — ends the proxy
 * silently instead of reloading it (seen in CI: "loadstar exited during a reload" with
 * nothing printed). Holding the signals from the start closes that window: what arrives
 * before the command is ready is kept and delivered once it is.
 *
 * A reload reads the files when it runs, so reloads that arrive together are one reload.
 * SIGTERM and SIGINT are taken once each: a second Ctrl-C falls back to Node's default
 * and ends a stop that hangs, as users expect.
 */
export type StopSignal = 'SIGTERM' | 'SIGINT';

export interface SignalActions {
  reload(): void;
  stop(signal: StopSignal): void;
}

/** What the signals are taken from: `process`, or a stand-in in tests. */
export interface SignalSource {
  on(signal: 'SIGHUP', listener: () => void): unknown;
  once(signal: StopSignal, listener: () => void): unknown;
  off(signal: 'SIGHUP' | StopSignal, listener: () => void): unknown;
}

export interface HeldSignals {
  /** From now on signals go to these actions; a stop or reload that arrived before is delivered now (a stop wins). */
  attach(actions: SignalActions): void;
  /** Stops taking the signals (those not yet taken get Node's default again). */
  release(): void;
}

export function holdProcessSignals(source: SignalSource = process): HeldSignals {
  let actions: SignalActions | undefined;
  let reloadPending = false;
  let stopPending: StopSignal | undefined;
  const onHup = (): void => {
    if (actions) actions.reload();
    else reloadPending = true;
  };
  const onStop = (signal: StopSignal) => (): void => {
    if (actions) actions.stop(signal);
    else stopPending ??= signal;
  };
  const onTerm = onStop('SIGTERM');
  const onInt = onStop('SIGINT');
  source.on('SIGHUP', onHup);
  source.once('SIGTERM', onTerm);
  source.once('SIGINT', onInt);
  return {
    attach(next) {
      actions = next;
      if (stopPending) next.stop(stopPending);
      else if (reloadPending) next.reload();
      reloadPending = false;
      stopPending = undefined;
    },
    release() {
      actions = undefined;
      source.off('SIGHUP', onHup);
      source.off('SIGTERM', onTerm);
      source.off('SIGINT', onInt);
    },
  };
}
