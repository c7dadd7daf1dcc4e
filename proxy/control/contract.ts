/**
 * The control contract (DESIGN.md §2): everything the UI, the desktop shell and
 * `loadstar serve` may ask of the appliance, as plain serialisable data. The
 * three transports (in-process, Electron IPC, HTTP/SSE) carry exactly these
 * methods; the renderer imports this file with `import type` only.
 *
 * This first version covers what the engine can answer today: configuration
 * validation and application, and a status snapshot. Later issues add methods
 * here (server admin state and weight #4/#6, series and timeline #6, certs #5).
 */

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
} as const satisfies Record<keyof ControlContract, string>;
