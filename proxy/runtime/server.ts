/**
 * A server as the engine runs it: the balancer's view (LbServer fields), its
 * connection limit and queue, and the counters stats will read.
 */
import type { Server } from '../config/model.ts';
import type { LbServer } from '../balance/index.ts';
import { SERVER_DEFAULTS } from '../config/provision.ts';
import type { ServerCheck } from '../checks/checker.ts';
import { StatCounters } from './counters.ts';

/** Called when a queued request gets a connection slot on `server`. */
export type SlotWaiter = {
  grant: (server: RuntimeServer) => void;
  enqueuedAt: number;
  cancelled: boolean;
  /** Takes the request out of a server's queue and balances it again (the server went down). */
  redispatch?: () => void;
};

export class RuntimeServer implements LbServer {
  readonly name: string;
  readonly id: number;
  readonly backup: boolean;
  readonly host: string;
  readonly port: number;
  weight: number;
  usable: boolean;
  /** Slow start: fraction of the weight in effect, in sixteenths (set by proxy/checks). */
  warmup?: number;
  served = 0;
  maxconn: number;
  maxqueue: number;
  queued = 0;
  /** Requests waiting for a slot on this very server (hash algorithms, persistence). */
  readonly queue: SlotWaiter[] = [];
  /** Total connections/requests sent to this server (HAProxy's stot / lbtot). */
  total = 0;
  /** Failed connection attempts (econ) and retries (wretr). */
  connectErrors = 0;
  retries = 0;
  /** Statistics (proxy/stats); the engine gives it the counters kept across reloads. */
  stats = new StatCounters();
  /** Active health check of a server with `check` (proxy/checks), else undefined. */
  check: ServerCheck | undefined;
  /** Admin state of a server without `check` (with one, its ServerCheck keeps it). */
  admin: 'READY' | 'DRAIN' | 'MAINT' = 'READY';
  /** Status column as HAProxy shows it: UP, "UP 1/3", DOWN, "DOWN 1/2", NOLB, MAINT, DRAIN; "no check" without `check`. */
  get status(): string {
    if (this.check) return this.check.state.label();
    return this.admin === 'READY' ? 'no check' : this.admin;
  }

  constructor(readonly config: Server, id: number) {
    this.name = config.name;
    this.id = id;
    this.backup = config.options.backup ?? false;
    this.host = config.host;
    this.port = config.port;
    this.weight = config.options.weight ?? SERVER_DEFAULTS.weight;
    this.usable = !(config.options.disabled ?? false);
    if (!this.usable) this.admin = 'MAINT';
    this.maxconn = config.options.maxconn ?? 0;
    this.maxqueue = config.options.maxqueue ?? 0;
  }

  get full(): boolean {
    return this.maxconn > 0 && this.served >= this.maxconn;
  }
}
