/**
 * The control contract (DESIGN.md §2): everything the UI, the desktop shell and
 * `loadstar serve` may ask of the appliance, as plain serialisable data. The
 * three transports (in-process, Electron IPC, HTTP/SSE) carry exactly these
 * methods; the renderer imports this file with `import type` only.
 *
 * Methods: configuration validation and application, a status snapshot,
 * server admin state and weight, statistics (counters, time series, health
 * timeline), certificates; pushed events through `subscribe` (access log,
 * health transitions, state changes, alerts).
 */
import type { StatsSnapshot, SeriesRange, SeriesResult, AccessLogEntry, StatsEvent } from '../stats/control.ts';
import type { HealthEvent } from '../checks/index.ts';

export type { StatsSnapshot, StatsObjectSnapshot, StatsObjectId, SeriesRange, SeriesResult, SeriesPoint, AccessLogEntry, StatsEvent } from '../stats/control.ts';
export type { HealthEvent } from '../checks/index.ts';

export type TimelineResult =
  | { ok: true; events: HealthEvent[] }
  | { ok: false; error: { code: 'LS_ERR_CTL_NOT_FOUND'; message: string } };

/** What `subscribe` pushes, by topic. */
export interface ControlEventMap {
  /** One entry per finished HTTP exchange or TCP session. */
  'access-log': AccessLogEntry;
  /** Health transitions, admin state changes, alerts. */
  events: StatsEvent;
}

/** A configuration diagnostic, as `loadstar check` prints it. */
export interface ControlDiagnostic {
  file: string;
  line: number;
  column: number;
  severity: 'warning' | 'alert' | 'fatal';
  code: string;
  keyword?: string;
  message: string;
  /** `[ALERT] parsing [file:line] : message` */
  text: string;
}

export interface ValidateResult {
  ok: boolean;
  diagnostics: ControlDiagnostic[];
}

export type ApplyResult =
  | { applied: true; diagnostics: ControlDiagnostic[] }
  /** Nothing changed: the running configuration keeps serving. */
  | { applied: false; diagnostics: ControlDiagnostic[]; error?: { code: string; message: string } };

export interface ServerStatus {
  name: string;
  /** HAProxy's status column: UP, "UP 1/3", DOWN, "DOWN 1/2", NOLB, MAINT, DRAIN (no check: UP/MAINT/DRAIN). */
  status: string;
  address: string;
  /** Can take new traffic now. */
  usable: boolean;
  weight: number;
  backup: boolean;
  /** Connections/requests being served, and waiting for this server. */
  current: number;
  queued: number;
  maxconn: number;
  /** Total requests or connections sent to it. */
  total: number;
  connectErrors: number;
  retries: number;
}

export interface BackendStatus {
  name: string;
  mode: 'http' | 'tcp';
  algorithm: string;
  /** Requests waiting for any server. */
  queued: number;
  servers: ServerStatus[];
}

export interface ListenerStatus {
  frontend: string;
  address: string;
  port: number;
}

export interface StatusSnapshot {
  /** ms since the epoch */
  at: number;
  running: boolean;
  listeners: ListenerStatus[];
  backends: BackendStatus[];
}

/** HAProxy's admin states (`set server B/S state ready|drain|maint`). */
export type ServerAdminState = 'ready' | 'drain' | 'maint';

export type ServerChangeResult =
  | { ok: true }
  | { ok: false; error: { code: 'LS_ERR_CTL_NOT_FOUND' | 'LS_ERR_CTL_BAD_VALUE'; message: string } };

export type { CaInfo, CaInitRequest, CertInfo, CertListing, CertWarning, IssueRequest, KeyType } from '../certs/types.ts';
import type { CaInfo, CaInitRequest, CertInfo, CertListing, CertWarning, IssueRequest } from '../certs/types.ts';
import type { CertErrorCode } from '../errors.ts';

/** Certificate answers: the value with warnings (e.g. expiring soon), or the reason nothing changed. */
export type CertResult<T> =
  | { ok: true; value: T; warnings: CertWarning[] }
  | { ok: false; error: { code: CertErrorCode; message: string } };

export interface CertImportRequest {
  /** Store name: the site becomes `<data>/certs/<name>.pem`. */
  name: string;
  /** PEM texts as uploaded: certificate, chain and key in one text or several, any order. */
  pems: string[];
  /** For an encrypted private key. */
  passphrase?: string;
}

export interface CertCaExport {
  format: 'pem' | 'der';
  /** PEM text, or the DER bytes in base64. */
  data: string;
  /** Suggested download name: `loadstar-ca.pem` / `loadstar-ca.crt`. */
  fileName: string;
}

/** Request/response methods. Every method resolves; bad input is an answer, never a throw. */
export interface ControlContract {
  /**
   * ready: takes traffic; drain: finishes what it has, takes no new traffic;
   * maint: no traffic, health checks paused.
   */
  setServerState(backend: string, server: string, state: ServerAdminState): Promise<ServerChangeResult>;
  /** Runtime weight 0..256 (0 = no new traffic); the balancer uses it for the next pick. */
  setServerWeight(backend: string, server: string, weight: number): Promise<ServerChangeResult>;
  /** Checks a configuration text without applying it. */
  validateConfig(text: string, name?: string): Promise<ValidateResult>;
  /** Validates, then applies (reload without dropping unchanged listeners); an invalid text changes nothing. */
  applyConfig(text: string, name?: string): Promise<ApplyResult>;
  status(): Promise<StatusSnapshot>;
  /** The local CA, or null before `certCaInit`. */
  certCaStatus(): Promise<CertResult<CaInfo | null>>;
  /** Creates the local CA; replacing one needs `force` (what it issued stops being trusted). */
  certCaInit(request: CaInitRequest): Promise<CertResult<CaInfo>>;
  /** The CA certificate to install on devices. */
  certCaExport(format: 'pem' | 'der'): Promise<CertResult<CertCaExport>>;
  /** Issues (from the local CA, or self-signed) and stores a site certificate; replaces one of the same name. */
  certIssue(request: IssueRequest): Promise<CertResult<CertInfo>>;
  /** Validates uploaded PEM text and stores it; replaces one of the same name. */
  certImport(request: CertImportRequest): Promise<CertResult<CertInfo>>;
  certList(): Promise<CertResult<CertListing>>;
  certRemove(name: string): Promise<CertResult<{ name: string }>>;
  /** HAProxy's `show stat` counters of every frontend, backend and server, with latency percentiles. */
  stats(): Promise<StatsSnapshot>;
  /** Per-second (≤ 15 min) or per-minute (≤ 24 h) points of one object: `frontend:NAME`, `backend:NAME`, `server:BE/SRV`. */
  series(id: string, range: SeriesRange): Promise<SeriesResult>;
  /** A server's health transitions, oldest first, within [from, to] (epoch ms). */
  timeline(backend: string, server: string, range?: { from?: number; to?: number }): Promise<TimelineResult>;
  /** Pushed events; returns the unsubscribe function (transports map topics to CONTROL_EVENT_CHANNELS). */
  subscribe<K extends keyof ControlEventMap>(topic: K, listener: (payload: ControlEventMap[K]) => void): () => void;
}

/** IPC channel names (`area:verb`) for each method, for the Electron transport. */
export const CONTROL_CHANNELS = {
  setServerState: 'server:state',
  setServerWeight: 'server:weight',
  validateConfig: 'config:validate',
  applyConfig: 'config:apply',
  status: 'engine:status',
  certCaStatus: 'ca:status',
  certCaInit: 'ca:init',
  certCaExport: 'ca:export',
  certIssue: 'cert:issue',
  certImport: 'cert:import',
  certList: 'cert:list',
  certRemove: 'cert:remove',
  stats: 'stats:snapshot',
  series: 'stats:series',
  timeline: 'health:timeline',
  subscribe: 'events:subscribe',
} as const satisfies Record<keyof ControlContract, string>;

/** Channels on which pushed events arrive, per topic. */
export const CONTROL_EVENT_CHANNELS = {
  'access-log': 'log:entry',
  events: 'engine:event',
} as const satisfies Record<keyof ControlEventMap, string>;
