/**
 * What the statistics' readers and the runtime API's commands need of the
 * engine: its statistics registry and the running backends by name. A narrow
 * view, so stats/ does not depend on the engine above it (the layer table in
 * test/proxy/boundaries.test.ts); the engine satisfies it as it is.
 */
import type { BackendLookup } from '../runtime/admin.ts';
import type { RuntimeBackend } from '../runtime/backend.ts';
import type { RuntimeServer, ServerHealth } from '../runtime/server.ts';
import type { Server } from '../config/model.ts';
import type { ServerTls } from '../tls/server-tls.ts';
import type { StatsRegistry } from './registry.ts';
import type { StickTables } from '../stick/tables.ts';
import type { PatternRefs } from '../acl/index.ts';
import type { RuntimeCerts } from '../tls/runtime-certs.ts';
import type { TicketKeyRef } from '../tls/ticket-keys.ts';
import type { Sample } from '../acl/index.ts';
import type { Rings } from '../runtime/ring.ts';

export interface StatsHost extends BackendLookup {
  readonly stats: StatsRegistry;
  /** The running configuration's stick tables (`show table`). */
  stickTables?(): StickTables | undefined;
  /** The running configuration's runtime DNS (`show resolvers`); undefined when no server uses `resolvers`. */
  resolvers?(): { show(id?: string): string | undefined } | undefined;
  /** True while the engine stops: it finishes what is in flight and takes nothing new (`show info` Stopping). */
  isStopping?(): boolean;
  /** TLS endpoints of the process, both sides, and `maxsslconn` (0: no limit), for `show info`. */
  sslConnections?(): { limit: number; current: number; total: number };
  /** Log lines dropped since start (`show info` DroppedLogs): too many waited to be sent to a syslog server. */
  droppedLogs?(): number;
  /** The running configuration's map and pattern files (`show map`, `add acl` …). */
  patternRefs?(): PatternRefs | undefined;
  /** The certificates the binds serve, and the runtime API's transaction (`show ssl cert`, `set ssl cert` …). */
  sslCerts?(): RuntimeCerts | undefined;
  /** The binds' `tls-ticket-keys` files, in the runtime API's numbering (`show tls-keys`). */
  ticketKeys?(): TicketKeyRef[];
  /** The running configuration's proc.* variables by name without `proc.` (`get var`); a name without a value maps to undefined. */
  procVariables?(): ReadonlyMap<string, Sample | undefined> | undefined;
  /** The running configuration's rings and buf0 (`show events`). */
  rings?(): Rings | undefined;
  /** The running configuration's caches (`show cache`). */
  httpCaches?(): { show(): string } | undefined;
  /** `disable frontend`: its listeners stop accepting ('already': none was accepting). */
  pauseFrontend?(name: string): 'paused' | 'already';
  /** An alert line for the operator: a command that threw instead of answering (a bug, logged with its stack). */
  alert?(message: string): void;
  /** What start-up reported, one line per message (`show startup-logs`); '' when nothing was. */
  startupLogs?(): string;
  /** `shutdown frontend`: its listeners close until a reload ('already': it was stopped before). */
  stopFrontend?(name: string): 'stopped' | 'already';
  /** `enable frontend`: its paused listeners listen again ('failed': one could not, and an alert says why). */
  resumeFrontend?(name: string): Promise<'resumed' | 'already' | 'failed'>;
  /** `set maxconn frontend`: the frontend's connection limit from now on. */
  setFrontendMaxconn?(name: string, maxconn: number): void;
  /** The process's connection limit as started (HAProxy's hardmaxconn: `set maxconn global` goes no higher); undefined: unknown. */
  hardMaxconn?(): number | undefined;
  /** `set rate-limit connections|sessions|ssl-sessions global`: the process's rate limit from now on (0: none). */
  setGlobalRateLimit?(which: 'connections' | 'sessions' | 'sslSessions' | 'compression', limit: number): void;
  /** `set maxconn global`: the process's connection limit from now on. */
  setGlobalMaxconn?(maxconn: number): void;
  /** TLS settings for the connections of a server `add server` makes with `ssl` (counted in `maxsslconn`); throws as a load does. */
  dynamicServerTls?(proxy: string, server: Server): ServerTls | undefined;
  /** The running tables' health checks: `add server` / `del server` give a server its check or stop it. */
  healthChecks?(): {
    addServer(backend: RuntimeBackend, server: RuntimeServer): void;
    removeServer(server: RuntimeServer): void;
    /** The server's check, made (never run) for one with neither check nor agent that `set server … health` forces. */
    forcible(backend: RuntimeBackend, server: RuntimeServer): ServerHealth;
  } | undefined;
}
