/**
 * Keeps one engine host process alive: restarts a crashed (exit) or hung
 * (missed heartbeats) host with exponential backoff, gives up after too many
 * crashes within a window and says so, and does not restart a configuration
 * that fails to start (the host says `start-failed`). Every restart is
 * reported with its reason, for the UI and the tray.
 *
 * Written against EngineProcess, which both child_process.fork and Electron's
 * utilityProcess satisfy (engine-process.ts), so it is tested with real
 * processes. Plain Node: never imports electron.
 *
 * A configuration that cannot start is not a crash: the host stays up with
 * its engine `failed` and says so in `ready` (reported as config-failed with
 * `serving: true`), so the dashboard can show why and apply a fix; nothing
 * restarts. Only a host that cannot open anything exits with
 * EXIT_START_FAILED, and that is not restarted either.
 */
import { CONTROL_METHODS } from '../proxy/control/contract.ts';
import type { ControlError, ControlEvent, ControlMethodName, ControlTopic, Result } from '../proxy/control/contract.ts';
import { EXIT_START_FAILED, HEARTBEAT_MS, isHostOutbound } from './engine-protocol.ts';
import type { EngineProcess, ExitInfo, SpawnEngine } from './engine-process.ts';

export type SupervisorState = 'stopped' | 'starting' | 'running' | 'restarting' | 'stopping' | 'gave-up' | 'config-failed';

export type ExitReason =
  | { kind: 'crashed'; code: number | null; signal: NodeJS.Signals | null }
  | { kind: 'hung'; silentMs: number }
  | { kind: 'start-timeout'; waitedMs: number };

export type SupervisorReport =
  | { type: 'started'; pid: number | undefined; restarts: number; message: string }
  | { type: 'restarting'; reason: ExitReason; delayMs: number; attempt: number; message: string }
  | { type: 'gave-up'; reason: ExitReason; crashes: number; windowMs: number; message: string }
  /** serving: the host is up with its engine failed (fix it from the dashboard); else the host exited. */
  | { type: 'config-failed'; error: ControlError; serving?: boolean; message: string }
  | { type: 'stopped'; message: string };

export interface SupervisorOptions {
  spawn: SpawnEngine;
  /** The host is hung after this long without any message (heartbeats every HEARTBEAT_MS). Default 3 periods + 1 s. */
  hangAfterMs?: number;
  /** A host that is not ready this long after spawning is restarted. Default 30 s. */
  startTimeoutMs?: number;
  /** First restart delay, doubled per crash within the window, capped. Defaults 500 ms, 30 s. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Give up after this many crashes within windowMs. Defaults 5 within 60 s. */
  maxCrashes?: number;
  crashWindowMs?: number;
  /** How long a graceful stop may take beyond its grace before the host is killed. Default 2 s. */
  stopMarginMs?: number;
}

export function describeExit(reason: ExitReason): string {
  switch (reason.kind) {
    case 'hung': return `it stopped answering (no heartbeat for ${formatMs(reason.silentMs)})`;
    case 'start-timeout': return `it did not finish starting within ${formatMs(reason.waitedMs)}`;
    case 'crashed':
      if (reason.signal) return `it was killed by ${reason.signal}`;
      return `it exited with status ${reason.code}`;
  }
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

interface Pending {
  resolve(result: Result<unknown>): void;
}

export class EngineSupervisor {
  private stateNow: SupervisorState = 'stopped';
  private child: EngineProcess | undefined;
  private ready = false;
  private startFailure: ControlError | undefined;
  private killedFor: ExitReason | undefined;
  private crashes: number[] = [];
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastHeard = 0;
  private spawnedAt = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private topics: ControlTopic[] = [];
  private stopWaiters: Array<() => void> = [];
  private readonly reportListeners = new Set<(report: SupervisorReport) => void>();
  private readonly eventListeners = new Set<(event: ControlEvent) => void>();
  private readonly options: Required<SupervisorOptions>;

  constructor(options: SupervisorOptions) {
    this.options = {
      hangAfterMs: 3 * HEARTBEAT_MS + 1000,
      startTimeoutMs: 30_000,
      backoffInitialMs: 500,
      backoffMaxMs: 30_000,
      maxCrashes: 5,
      crashWindowMs: 60_000,
      stopMarginMs: 2000,
      ...options,
    };
  }

  get state(): SupervisorState {
    return this.stateNow;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  onReport(listener: (report: SupervisorReport) => void): () => void {
    this.reportListeners.add(listener);
    return () => this.reportListeners.delete(listener);
  }

  /** Events the engine pushes (of the topics set with setTopics). */
  onEvent(listener: (event: ControlEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Starts the host; from gave-up or config-failed this is the user's "try again", with a clean slate. */
  start(): void {
    if (this.stateNow === 'starting' || this.stateNow === 'running' || this.stateNow === 'restarting') return;
    this.crashes = [];
    this.startFailure = undefined;
    this.spawn();
  }

  /** Stops the host gracefully: the engine gets graceMs to finish in-flight work, then it is killed. */
  async stop(graceMs = 10_000): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (!child) {
      if (this.stateNow !== 'stopped') this.setStopped();
      return;
    }
    this.stateNow = 'stopping';
    const exited = new Promise<void>((resolve) => this.stopWaiters.push(resolve));
    child.postMessage({ type: 'shutdown', graceMs });
    const deadline = setTimeout(() => child.kill(), graceMs + this.options.stopMarginMs);
    await exited;
    clearTimeout(deadline);
  }

  /** The topics main wants pushed; kept across restarts. */
  setTopics(topics: readonly ControlTopic[]): void {
    this.topics = [...new Set(topics)];
    if (this.child && this.ready) this.child.postMessage({ type: 'topics', topics: this.topics });
  }

  /** One contract call; answered with LS_ERR_CTL_STATE while no engine is serving, never a throw. */
  request(method: ControlMethodName, args: unknown[]): Promise<Result<unknown>> {
    if (!Object.hasOwn(CONTROL_METHODS, method)) {
      return Promise.resolve({ ok: false, error: { code: 'LS_ERR_CTL_BAD_REQUEST', message: `unknown control method '${String(method)}'` } });
    }
    if (!this.child || !this.ready) {
      return Promise.resolve({ ok: false, error: { code: 'LS_ERR_CTL_STATE', message: this.unavailableMessage() } });
    }
    const id = this.nextId++;
    const child = this.child;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve });
      child.postMessage({ type: 'request', id, method, args });
    });
  }

  private unavailableMessage(): string {
    switch (this.stateNow) {
      case 'restarting': return 'the proxy engine is restarting; try again in a moment';
      case 'starting': return 'the proxy engine is starting; try again in a moment';
      case 'gave-up': return 'the proxy engine kept crashing and was not restarted; use Start proxy to try again';
      case 'config-failed': return `the proxy engine could not start its configuration: ${this.startFailure?.message ?? 'unknown reason'}`;
      default: return 'the proxy engine is stopped; use Start proxy';
    }
  }

  private spawn(): void {
    this.stateNow = 'starting';
    this.ready = false;
    this.killedFor = undefined;
    this.startFailure = undefined;
    const child = this.options.spawn();
    this.child = child;
    this.spawnedAt = Date.now();
    this.lastHeard = Date.now();
    child.onMessage((message) => this.received(child, message));
    child.onExit((exit) => this.exited(child, exit));
    this.watchdog = setInterval(() => this.watch(child), Math.max(50, Math.min(this.options.hangAfterMs, this.options.startTimeoutMs) / 4));
  }

  private watch(child: EngineProcess): void {
    if (child !== this.child || this.killedFor || this.stateNow === 'stopping') return;
    const now = Date.now();
    // Loading the engine's modules precedes the first heartbeat: until ready, only the start timeout counts.
    if (!this.ready) {
      if (now - this.spawnedAt > this.options.startTimeoutMs) {
        this.killedFor = { kind: 'start-timeout', waitedMs: now - this.spawnedAt };
        child.kill();
      }
    } else if (now - this.lastHeard > this.options.hangAfterMs) {
      this.killedFor = { kind: 'hung', silentMs: now - this.lastHeard };
      child.kill();
    }
  }

  private received(child: EngineProcess, message: unknown): void {
    if (child !== this.child || !isHostOutbound(message)) return;
    this.lastHeard = Date.now();
    switch (message.type) {
      case 'heartbeat':
        return;
      case 'ready':
        this.ready = true;
        if (this.stateNow === 'starting') this.stateNow = 'running';
        if (this.topics.length > 0) child.postMessage({ type: 'topics', topics: this.topics });
        if (message.startError) {
          this.report({
            type: 'config-failed',
            error: message.startError,
            serving: true,
            message: `The proxy could not start its configuration: ${message.startError.message}\nFix it in the dashboard's configuration editor and apply it; that starts the proxy.`,
          });
          return;
        }
        this.report({
          type: 'started',
          pid: child.pid,
          restarts: this.restarts,
          message: this.restarts === 0 ? 'The proxy engine started.' : `The proxy engine is running again (restart ${this.restarts}).`,
        });
        return;
      case 'start-failed':
        this.startFailure = message.error;
        return;
      case 'response': {
        const waiting = this.pending.get(message.id);
        this.pending.delete(message.id);
        waiting?.resolve(message.result);
        return;
      }
      case 'event':
        for (const listener of this.eventListeners) listener(message.event);
        return;
    }
  }

  private exited(child: EngineProcess, exit: ExitInfo): void {
    if (child !== this.child) return;
    clearInterval(this.watchdog);
    this.child = undefined;
    this.ready = false;
    const lost = this.stateNow === 'stopping' ? 'the proxy engine stopped before answering' : 'the proxy engine ended before answering';
    for (const waiting of this.pending.values()) waiting.resolve({ ok: false, error: { code: 'LS_ERR_CTL_STATE', message: lost } });
    this.pending.clear();

    if (this.stateNow === 'stopping') return this.setStopped();

    if (this.startFailure || exit.code === EXIT_START_FAILED) {
      const error = this.startFailure ?? { code: 'LS_ERR_CTL_STATE' as const, message: 'the configuration could not be started' };
      this.stateNow = 'config-failed';
      this.report({
        type: 'config-failed',
        error,
        serving: false,
        message: `The proxy engine could not start its configuration and was not restarted: ${error.message}`,
      });
      return;
    }

    const reason: ExitReason = this.killedFor ?? { kind: 'crashed', code: exit.code, signal: exit.signal };
    const now = Date.now();
    this.crashes = this.crashes.filter((t) => now - t < this.options.crashWindowMs);
    this.crashes.push(now);
    if (this.crashes.length >= this.options.maxCrashes) {
      this.stateNow = 'gave-up';
      this.report({
        type: 'gave-up',
        reason,
        crashes: this.crashes.length,
        windowMs: this.options.crashWindowMs,
        message: `The proxy engine failed ${this.crashes.length} times within ${formatMs(this.options.crashWindowMs)} (last: ${describeExit(reason)}); Loadstar stopped restarting it. Use Start proxy to try again.`,
      });
      return;
    }
    const delayMs = Math.min(this.options.backoffMaxMs, this.options.backoffInitialMs * 2 ** (this.crashes.length - 1));
    this.restarts++;
    this.stateNow = 'restarting';
    this.report({
      type: 'restarting',
      reason,
      delayMs,
      attempt: this.restarts,
      message: `The proxy engine failed: ${describeExit(reason)}. Restarting in ${formatMs(delayMs)}.`,
    });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stateNow === 'restarting') this.spawn();
    }, delayMs);
  }

  private setStopped(): void {
    this.stateNow = 'stopped';
    const waiters = this.stopWaiters;
    this.stopWaiters = [];
    for (const resolve of waiters) resolve();
    this.report({ type: 'stopped', message: 'The proxy engine stopped.' });
  }

  private report(report: SupervisorReport): void {
    for (const listener of this.reportListeners) listener(report);
  }
}
