/**
 * The engine host: serves one control-contract implementation to the main
 * process over a message port. The same code runs in an Electron
 * utilityProcess (`process.parentPort`) and in a Node child_process.fork
 * (`process.send`), so the supervisor is tested here with real processes.
 *
 * Plain Node: never imports electron.
 */
import { CONTROL_METHODS } from '../proxy/control/contract.ts';
import type { ControlContract, ControlError, ControlEvent, ControlTopic, Result } from '../proxy/control/contract.ts';
import { EXIT_START_FAILED, HEARTBEAT_MS } from './engine-protocol.ts';
import type { HostInbound, HostOutbound } from './engine-protocol.ts';

/** The host's side of the channel to main, whichever process kind carries it. */
export interface ParentPort {
  /** Resolves once the message has left this process (as far as the carrier tells). */
  send(message: HostOutbound): Promise<void>;
  onMessage(listener: (message: unknown) => void): void;
  /** Main went away: nobody is left to serve. */
  onClose(listener: () => void): void;
}

/**
 * What `open` hands the host: the contract to serve and how to stop it, with
 * `startError` when its configuration did not start (the engine is `failed`;
 * the contract is served all the same so the UI can apply a corrected one).
 * `ok: false` only when there is nothing to serve at all.
 */
export type OpenedEngine =
  | { ok: true; control: ControlContract; close(graceMs: number): Promise<void>; startError?: ControlError }
  | { ok: false; error: ControlError };

export interface HostOptions {
  heartbeatMs?: number;
  /** process.exit by default; tests of the host in-process replace it. */
  exit?: (code: number) => void;
}

/** Electron's utilityProcess port, described structurally (this module must not import electron). */
interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
}

/** The port to main: Electron's parentPort when there is one, else Node's IPC channel, else none. */
export function connectParent(proc: NodeJS.Process = process): ParentPort | undefined {
  const electronPort = (proc as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort) {
    return {
      send: async (message) => electronPort.postMessage(message),
      onMessage: (listener) => void electronPort.on('message', (event) => listener(event.data)),
      // A utilityProcess dies with its parent; there is no close event to wait for.
      onClose: () => {},
    };
  }
  if (typeof proc.send === 'function') {
    return {
      send: (message) => new Promise<void>((resolve) => {
        if (!proc.connected) return resolve();
        proc.send!(message, undefined, {}, () => resolve());
      }),
      onMessage: (listener) => void proc.on('message', listener),
      onClose: (listener) => void proc.on('disconnect', listener),
    };
  }
  return undefined;
}

function failure(code: ControlError['code'], message: string): Result<never> {
  return { ok: false, error: { code, message } };
}

/**
 * Opens the engine and serves it until main asks for a shutdown or goes away.
 * Heartbeats start before the engine opens, so a start that blocks the event
 * loop is seen as a hang too.
 */
export async function serveEngine(port: ParentPort, open: () => Promise<OpenedEngine>, options: HostOptions = {}): Promise<void> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const heartbeat = setInterval(() => void port.send({ type: 'heartbeat', at: Date.now() }), options.heartbeatMs ?? HEARTBEAT_MS);
  let engine: Extract<OpenedEngine, { ok: true }> | undefined;
  let closing = false;
  const topics = new Map<ControlTopic, () => void>();

  const finish = async (graceMs: number, code: number): Promise<void> => {
    if (closing) return;
    closing = true;
    for (const unsubscribe of topics.values()) unsubscribe();
    topics.clear();
    // Bounded: a stop that never settles must not keep the process alive.
    const bound = new Promise<void>((resolve) => setTimeout(resolve, graceMs + 2000).unref());
    await Promise.race([engine?.close(graceMs).catch(() => {}), bound]);
    clearInterval(heartbeat);
    exit(code);
  };

  let wantedTopics: readonly ControlTopic[] = [];
  const setTopics = (wanted: readonly ControlTopic[]): void => {
    wantedTopics = wanted;
    if (!engine) return; // applied once the engine is open
    for (const [topic, unsubscribe] of topics) {
      if (!wanted.includes(topic)) {
        unsubscribe();
        topics.delete(topic);
      }
    }
    for (const topic of wanted) {
      if (topics.has(topic) || !Object.hasOwn(CONTROL_TOPIC_SET, topic)) continue;
      topics.set(topic, engine.control.subscribe([topic], (event: ControlEvent) => void port.send({ type: 'event', event })));
    }
  };

  const answer = async (id: number, method: unknown, args: unknown): Promise<void> => {
    let result: Result<unknown>;
    if (typeof method !== 'string' || !Object.hasOwn(CONTROL_METHODS, method)) {
      result = failure('LS_ERR_CTL_BAD_REQUEST', `unknown control method '${String(method)}'`);
    } else if (!Array.isArray(args)) {
      result = failure('LS_ERR_CTL_BAD_REQUEST', `the arguments of '${method}' must be a list`);
    } else if (!engine || closing) {
      result = failure('LS_ERR_CTL_STATE', 'the engine host is not serving (starting or shutting down)');
    } else {
      try {
        // Arguments are validated by the contract implementation, as for every transport.
        const call = engine.control[method as keyof typeof CONTROL_METHODS] as (...a: unknown[]) => Promise<Result<unknown>>;
        result = await call.apply(engine.control, args);
      } catch (e) {
        result = failure('LS_ERR_CTL_INTERNAL', `${method} failed unexpectedly: ${(e as Error)?.message ?? String(e)}`);
        process.stderr.write(`[ALERT] engine host: ${method}: ${(e as Error)?.stack ?? String(e)}\n`);
      }
    }
    await port.send({ type: 'response', id, result });
  };

  port.onMessage((raw) => {
    const message = raw as Partial<HostInbound> | null;
    if (typeof message !== 'object' || message === null) return;
    if (message.type === 'request' && typeof message.id === 'number') void answer(message.id, message.method, message.args);
    else if (message.type === 'topics' && Array.isArray(message.topics)) setTopics(message.topics);
    else if (message.type === 'shutdown') void finish(typeof message.graceMs === 'number' && message.graceMs >= 0 ? message.graceMs : 10_000, 0);
  });
  port.onClose(() => void finish(0, 0));

  let opened: OpenedEngine;
  try {
    opened = await open();
  } catch (e) {
    opened = { ok: false, error: { code: 'LS_ERR_CTL_INTERNAL', message: `the engine could not start: ${(e as Error)?.message ?? String(e)}` } };
  }
  if (!opened.ok) {
    clearInterval(heartbeat);
    await port.send({ type: 'start-failed', error: opened.error });
    closing = true;
    exit(EXIT_START_FAILED);
    return;
  }
  if (closing) {
    await opened.close(0).catch(() => {});
    return;
  }
  engine = opened;
  await port.send({ type: 'ready', pid: process.pid, ...(opened.startError ? { startError: opened.startError } : {}) });
  setTopics(wantedTopics);
}

const CONTROL_TOPIC_SET: Record<ControlTopic, true> = { 'access-log': true, events: true, stats: true };
