/**
 * The control contract (DESIGN.md §2): everything the UI, the desktop shell,
 * `loadstar serve`, the CLI's reload, the runtime API socket and the stats
 * page's admin form may ask of the appliance, as plain serialisable data.
 *
 * This file is a leaf: it owns every type it carries (DTOs, not engine types)
 * and imports nothing but the error-code registry, so a renderer compiled with
 * DOM-only types can `import type` it. The engine's own types are kept
 * structurally equal to these by the in-process implementation, which the
 * type checker holds to this interface.
 *
 * Every method resolves with one result shape, `Result<T>`: `{ ok: true, value }`
 * or `{ ok: false, error: { code, message } }` with a code registered in
 * proxy/errors.ts. Bad input is an answer, never a throw.
 *
 * Pushed events arrive through `subscribe`, each with a sequence number that
 * grows by one per event across all topics, so a transport that reconnects
 * can resume with `afterSeq` (the HTTP transport's `Last-Event-ID`).
 */
import type { ErrorCode, CertWarningCode } from '../errors.ts';

// ---------------------------------------------------------------- results

export interface ControlError {
  /** A code registered in proxy/errors.ts ERROR_CODES: branch on it, never on the message. */
  code: ErrorCode;
  /** One or a few sentences for a person: what is wrong, where, what to do. */
  message: string;
  /** Configuration problems behind the error, when there are any. */
  diagnostics?: ControlDiagnostic[];
}

export interface ControlWarning {
  code: CertWarningCode | 'LS_WARN_CTL';
  message: string;
}

export type Result<T> =
  | { ok: true; value: T; warnings?: ControlWarning[] }
  | { ok: false; error: ControlError };

// ---------------------------------------------------------------- configuration

/** A configuration diagnostic, as `loadstar check` prints it. */
export interface ControlDiagnostic {
  file: string;
  line: number;
  column: number;
  severity: 'warning' | 'alert' | 'fatal';
  /** LS_ERR_CFG_* / LS_WARN_CFG_* (proxy/errors.ts DIAGNOSTIC_CODES). */
  code: string;
  keyword?: string;
  message: string;
  /** `[ALERT] parsing [file:line] : message` */
  text: string;
}

export interface ValidationReport {
  /** No alert or fatal diagnostic: the text can be applied. */
  valid: boolean;
  diagnostics: ControlDiagnostic[];
}

export interface ApplyReport {
  /** Warnings of the applied text (an invalid text is an error with its diagnostics instead). */
  diagnostics: ControlDiagnostic[];
  lifecycle: EngineLifecycle;
}

// ---------------------------------------------------------------- engine lifecycle and status

export type EngineState = 'starting' | 'running' | 'reloading' | 'stopping' | 'stopped' | 'failed';

export interface EngineLifecycle {
  state: EngineState;
  /** epoch ms of the last state change */
  since: number;
  /** Name of the configuration in force (a file path or `haproxy.cfg`). */
  configName: string;
  /** epoch ms when the configuration in force was loaded (start or last successful reload). */
  loadedAt: number;
  /** Successful reloads since the engine started. */
  reloads: number;
  /** Why the engine is `failed`, or why the last reload was refused. */
  lastError?: ControlError;
}

export interface BindStatus {
  address: string;
  port: number;
  tls: boolean;
  /** Listening now. */
  listening: boolean;
  /**
   * A plain (not TLS) bind of an HTTP frontend that answers a request with a redirect to HTTPS (the
   * usual `http-request redirect scheme https if !{ ssl_fc }`): it serves no site of its own.
   * Absent otherwise.
   */
  redirectsToHttps?: true;
}

/** One `use_backend` rule of a frontend, in order. */
export interface RouteStatus {
  backend: string;
  /** The condition as written: `if is_api`, `unless { ssl_fc }`; empty when unconditional. */
  condition: string;
}

/** A page the frontend answers itself: HAProxy's stats page, Prometheus metrics. */
export interface PageStatus {
  kind: 'stats' | 'metrics';
  /** The path it answers at (the stats page: every path beginning with it), when the configuration names one. */
  path?: string;
  /** The rule's condition as written when it is not a plain `if { path P }`. */
  condition?: string;
}

export interface FrontendStatus {
  name: string;
  mode: 'http' | 'tcp';
  binds: BindStatus[];
  routes: RouteStatus[];
  /** Its built-in pages, absent when none. */
  pages?: PageStatus[];
  defaultBackend?: string;
  /** Current client connections. */
  current: number;
}

export type ServerAdminState = 'ready' | 'drain' | 'maint';

export interface ServerCheckStatus {
  /** `tcp`, `http` (option httpchk), `tcp-check`, `ssl`… */
  kind: string;
  /** HAProxy's check code of the latest result (L4OK, L7STS…), absent before the first. */
  lastCode?: string;
  lastDurationMs?: number;
  /** The latest result's detail (`HTTP status 503`, `Connection refused`). */
  lastInfo?: string;
  /** ms between checks while UP */
  inter: number;
  rise: number;
  fall: number;
}

export interface ServerStatus {
  name: string;
  /** Where new connections go (`ip:port`, a socket path); '' for a server DNS has given no address. */
  address: string;
  /** `resolvers`: the host name DNS resolves at run time for this server (`address` is its last answer). */
  fqdn?: string;
  /** Why DNS holds the server in maintenance ("No IP for server", "DNS NX status", "no address at start (init-addr)" …). */
  resolution?: string;
  /** HAProxy's status column: UP, "UP 1/3", DOWN, "DOWN 1/2", NOLB, MAINT, DRAIN, no check: UP/MAINT/DRAIN. */
  status: string;
  admin: ServerAdminState;
  /** Can take new traffic now. */
  usable: boolean;
  /** Effective weight now, and the configured one. */
  weight: number;
  configuredWeight: number;
  backup: boolean;
  current: number;
  queued: number;
  /** 0 = no limit */
  maxconn: number;
  total: number;
  connectErrors: number;
  retries: number;
  /** epoch ms of the last state change */
  lastChange: number;
  check?: ServerCheckStatus;
}

export interface BackendStatus {
  name: string;
  mode: 'http' | 'tcp';
  algorithm: string;
  queued: number;
  /** Usable servers now / all servers. */
  usable: number;
  servers: ServerStatus[];
}

export interface StatusSnapshot {
  /** epoch ms */
  at: number;
  lifecycle: EngineLifecycle;
  frontends: FrontendStatus[];
  backends: BackendStatus[];
  /** What is left of `loadstar serve`'s built-in demo in the running configuration; absent when nothing is (or the host runs no demo). */
  demo?: DemoStatus;
}

/**
 * The built-in demo (proxy/admin/default-config.ts) as the running configuration
 * has it: its demo servers are `server demo-*` lines on 127.0.0.1 that Loadstar
 * runs itself. Read from the configuration each time, so it stays right across
 * restarts and after any edit.
 */
export interface DemoStatus {
  /** Every server configured is a demo server: nothing of the user's yet. */
  only: boolean;
  /** The demo servers, `backend/server`, in configuration order. */
  servers: string[];
}

// ---------------------------------------------------------------- statistics

/** `frontend:<name>`, `backend:<name>` or `server:<backend>/<server>`. */
export type StatsObjectId = string;

export interface StatsObjectSnapshot {
  id: StatsObjectId;
  type: 'frontend' | 'backend' | 'server';
  /** `show stat` columns by name (HAProxy's names); absent = empty column. */
  fields: Record<string, string | number>;
  /** Response time percentiles over the whole run, ms. */
  p50: number;
  p95: number;
  p99: number;
}

export interface StatsSnapshot {
  /** epoch ms */
  at: number;
  uptimeSeconds: number;
  objects: StatsObjectSnapshot[];
}

export const SERIES_METRICS = [
  'requests', 'bytesIn', 'bytesOut',
  'hrsp1xx', 'hrsp2xx', 'hrsp3xx', 'hrsp4xx', 'hrsp5xx',
  'sessions', 'current', 'queue', 'p50', 'p95', 'p99',
] as const;
export type SeriesMetric = (typeof SERIES_METRICS)[number];

export interface SeriesPoint {
  /** Start of the slot, epoch ms. */
  t: number;
  values: Record<SeriesMetric, number>;
}

/**
 * A time range. `count` slots back from now: per second up to 900 (15 min),
 * per minute up to 1440 (24 h), from memory. `from`/`to` (epoch ms, minute
 * resolution): any span of the last 30 days, from the history store.
 */
export interface SeriesRange {
  resolution: 'second' | 'minute';
  count?: number;
  from?: number;
  to?: number;
}

export interface SeriesData {
  id: StatsObjectId;
  resolution: 'second' | 'minute';
  points: SeriesPoint[];
}

/** One second of one object, pushed on the `stats` topic for live views. */
export interface ObjectTick {
  id: StatsObjectId;
  /** Requests (HTTP) or sessions (TCP) during the second. */
  requests: number;
  bytesIn: number;
  bytesOut: number;
  /** Responses by status class during the second: 1xx … 5xx. */
  hrsp: [number, number, number, number, number];
  /** Sessions and queued requests at the end of the second. */
  current: number;
  queue: number;
  /** Response time percentiles of the second, ms (0 when there was no response). */
  p50: number;
  p95: number;
  p99: number;
}

export interface StatsTick {
  /** Start of the second, epoch ms. */
  t: number;
  objects: ObjectTick[];
}

// ---------------------------------------------------------------- health

export interface HealthEvent {
  /** epoch ms */
  time: number;
  backend: string;
  server: string;
  /** State labels before and after: UP, DOWN, NOLB, MAINT, DRAIN. */
  from: string;
  to: string;
  /** The check result that caused it, if any (L4OK, L4CON, L7STS …). */
  code?: string;
  durationMs?: number;
  /** HAProxy's log line, e.g. "Server app/a1 is DOWN, reason: … check duration: 0ms. …". */
  reason: string;
}

export interface TimelineRange {
  /** epoch ms; default: one hour ago */
  from?: number;
  /** epoch ms; default: now */
  to?: number;
}

export interface TimelineData {
  backend: string;
  /** Absent for a backend's own timeline (UP while it has a usable server). */
  server?: string;
  /** State at `from` (before the first event of the range). */
  initial: string;
  /** Transitions within the range, oldest first. */
  events: HealthEvent[];
  /**
   * Fraction of the monitored time spent in a usable state, 0..1: of the range, from `configuredSince` on
   * when that is within it, less the `notRunning` periods. With no monitored time at all: 1 when `initial`
   * is usable, else 0.
   */
  uptime: number;
  from: number;
  to: number;
  /**
   * Since when the object has been configured, when the history knows it. Within
   * the range, the timeline begins there: `initial` is the state then, `uptime`
   * counts from then, and before it there is nothing to draw.
   */
  configuredSince?: ConfiguredSince;
  /**
   * Periods within the range (from `configuredSince` on) when Loadstar was not running (stopped,
   * quit, machine off, killed): nothing was monitored, so they do not count in `uptime`. Oldest
   * first, not overlapping; absent when there were none. A killed process's period begins at its
   * last record (at most about a minute early). The state after one is what `events` say (a
   * server's start is a transition when it began in another state). Not known before the first
   * run the history recorded.
   */
  notRunning?: Period[];
}

/** A span of time, epoch ms. */
export interface Period {
  from: number;
  to: number;
}

/**
 * `added`: a start or reload that brought the object was seen (before it, the
 * object was not configured). `history-began`: it was there when this data
 * dir's history began (it may be older; nothing is known before).
 */
export interface ConfiguredSince {
  /** epoch ms */
  time: number;
  how: 'added' | 'history-began';
}

/** One timeline `timelines` is asked for: a backend's own (no `server`) or one of its servers'. */
export interface TimelineTarget {
  backend: string;
  server?: string;
}

/** Many timelines over one range (`timelines`). */
export interface TimelineSet {
  from: number;
  to: number;
  /** In the order asked (without targets: each backend's own, then its servers', in configuration order). */
  timelines: TimelineData[];
  /** Targets the running configuration does not have (a reload removed them since they were listed). */
  missing: TimelineTarget[];
}

export interface CheckResult {
  /** epoch ms */
  time: number;
  code: string;
  durationMs: number;
  info?: string;
  ok: boolean;
}

// ---------------------------------------------------------------- pushed events

/** One finished HTTP exchange or TCP session. */
export interface AccessLogEntry {
  /** epoch ms when the request (HTTP) or connection (TCP) started */
  time: number;
  mode: 'http' | 'tcp';
  frontend: string;
  backend?: string;
  server?: string;
  client: string;
  /** The client's address without its port (`client` has both): what the request tracer takes as the source. */
  clientIp: string;
  /** TLS was negotiated on the client's connection (ssl_fc). */
  tls: boolean;
  /** The SNI the client sent over TLS. */
  sni?: string;
  method?: string;
  url?: string;
  /** The request's Host header (HTTP), as the backend rules saw it. */
  host?: string;
  /** HTTP status, 0 when no response was sent (aborted) or in TCP mode. */
  status: number;
  bytesIn: number;
  bytesOut: number;
  /** ms: queue wait, connect, response headers (from start), total; -1 = not reached. */
  tw: number;
  tc: number;
  tr: number;
  tt: number;
  /** HAProxy's two-letter termination state. */
  termination: string;
  retries: number;
}

/** Something that happened to the engine or an object in it. */
export type EngineEvent =
  | { type: 'health'; time: number; event: HealthEvent }
  | { type: 'state'; time: number; backend: string; server?: string; from: string; to: string }
  | { type: 'alert'; time: number; message: string }
  | { type: 'lifecycle'; time: number; lifecycle: EngineLifecycle };

/** What `subscribe` pushes, by topic. */
export interface ControlEventMap {
  'access-log': AccessLogEntry;
  events: EngineEvent;
  stats: StatsTick;
}
export type ControlTopic = keyof ControlEventMap;

export interface ControlEvent<K extends ControlTopic = ControlTopic> {
  /** Grows by one per event across every topic of one engine host. */
  seq: number;
  topic: K;
  payload: ControlEventMap[K];
}

export interface SubscribeOptions {
  /** Replay the buffered events after this sequence number first (a reconnect). */
  afterSeq?: number;
}

// ---------------------------------------------------------------- certificates

export type KeyType = 'rsa2048' | 'rsa3072' | 'rsa4096' | 'ec256';

export interface CertInfo {
  /** Store name: `<data>/certs/<name>.pem`. */
  name: string;
  /** Absolute path of the combined PEM (certificate, chain, key), usable as HAProxy's `crt`. */
  path: string;
  /** `CN=www.example, O=Example` */
  subject: string;
  issuer: string;
  /** `DNS:www.example`, `IP:127.0.0.1` … in certificate order. */
  sans: string[];
  /** ISO 8601 */
  notBefore: string;
  notAfter: string;
  /** Whole days until notAfter, negative once expired. */
  daysLeft: number;
  fingerprint256: string;
  serial: string;
  /** `RSA 2048`, `EC P-256` */
  key: string;
  selfSigned: boolean;
  /** Issued by this installation's local CA. */
  localCa: boolean;
  /** Certificates stored after the leaf. */
  chainLength: number;
  /**
   * The certificate the running engine serves for this file when it is not the file's own: one
   * committed over the runtime API (`set ssl cert` + `commit ssl cert`, as ACME clients renew
   * without a reload), which leaves the file as it was. Absent when the file's certificate is served.
   */
  served?: ServedCert;
}

/** Facts about a certificate the engine serves in place of its file's (CertInfo.served). */
export interface ServedCert {
  subject: string;
  issuer: string;
  sans: string[];
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  fingerprint256: string;
  serial: string;
  key: string;
  selfSigned: boolean;
}

export interface CaInfo {
  subject: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  fingerprint256: string;
  key: string;
  certPath: string;
}

export interface CertListing {
  certs: CertInfo[];
  /** Files in the certificate directory that are not a readable certificate + key. */
  unreadable: Array<{ name: string; path: string; error: string }>;
}

export interface CaInitRequest {
  /** Default ec256. */
  key?: KeyType;
  commonName?: string;
  /** Replace an existing CA (certificates it issued stop being trusted). */
  force?: boolean;
  /** Default 3650. */
  days?: number;
}

export interface IssueRequest {
  name: string;
  dns?: string[];
  ip?: string[];
  /** 1..825, default 825. */
  days?: number;
  key?: KeyType;
  selfSigned?: boolean;
}

export interface CertImportRequest {
  /** Store name: the site becomes `<data>/certs/<name>.pem`. */
  name: string;
  /** PEM texts as uploaded: certificate, chain and key in one text or several, any order. */
  pems: string[];
  passphrase?: string;
}

export interface CertInspectRequest {
  /** PEM texts as the import would get them. */
  pems: string[];
  passphrase?: string;
}

/** What an import would store and why it would be refused, before anything is stored (certInspect). */
export interface CertInspection {
  /** A store name from the certificate: its first DNS name, else its common name (`*.` becomes `wildcard.`). */
  suggestedName?: string;
  /** The certificate the key belongs to, else the first readable one. */
  leaf?: Omit<CertInfo, 'name' | 'path' | 'localCa' | 'chainLength'>;
  /** Certificates the import would store after the leaf; 0 while it would be refused. */
  chainLength: number;
  /** The import's error, as it would answer; absent when the import would succeed. */
  problem?: { code: string; message: string };
  warnings: ControlWarning[];
}

/** A client certificate for a person or device, from the local CA (binds with `verify optional|required`). */
export interface ClientCertRequest {
  /** Who holds it ('alice', 'alice-phone'): the subject's CN, what ssl_c_s_dn(CN) gives. 1 to 64 printable characters. */
  commonName: string;
  /** Shown by some browsers when they offer the certificate. */
  email?: string;
  /** 1..825, default 365. */
  days?: number;
  /** Protects the .p12 file (browsers and phones ask for it on import); default none. */
  password?: string;
}

/** The issued client certificate as a PKCS#12 file to download; Loadstar keeps no copy of its key. */
export interface ClientCertExport {
  commonName: string;
  serialHex: string;
  notAfter: string;
  /** `alice.p12` */
  fileName: string;
  /** The PKCS#12 bytes (certificate, key, local CA) in base64. */
  data: string;
}

/** A client certificate the local CA issued, as recorded (no key). */
export interface ClientCertRecord {
  commonName: string;
  email?: string;
  serialHex: string;
  notAfter: string;
  /** ISO 8601 */
  issuedAt: string;
}

/** A CA file clients' certificates are checked against (a bind's `ca-file`): certificates, no key. */
export interface TrustInfo {
  /** Store name: `<data>/trust/<name>.pem`. */
  name: string;
  path: string;
  subjects: string[];
  /** Soonest expiry among its certificates (ISO 8601), and its days left. */
  notAfter: string;
  daysLeft: number;
  /** Every certificate in it is a CA certificate. */
  ca: boolean;
}

export interface TrustImportRequest {
  /** Store name: the file becomes `<data>/trust/<name>.pem`. */
  name: string;
  /** The CA certificate(s) as PEM text; a private key is refused. */
  pem: string;
}

export interface CertCaExport {
  format: 'pem' | 'der';
  /** PEM text, or the DER bytes in base64. */
  data: string;
  fileName: string;
}

// ---------------------------------------------------------------- configuration file, versions, forms (issue #13)

/** Who or what made a configuration version: `initial` is version 1, the file as Loadstar first found it. */
export type VersionSource = 'initial' | ChangeSource;
/** Who or what makes a change; `api`: a whole text given to applyConfig (scripts, the desktop host). */
export type ChangeSource = 'wizard' | 'editor' | 'import' | 'rollback' | 'automatic-rollback' | 'cli' | 'external' | 'api';

/** One version of haproxy.cfg in `<data-dir>/versions/` (the newest 50 are kept). */
export interface ConfigVersion {
  /** Grows by one per version, never reused. */
  id: number;
  /** epoch ms */
  time: number;
  source: VersionSource;
  /** One line: "added backend api (2 servers)", "changed weight of web/s1 to 3". */
  summary: string;
  /** sha256 of the text, hex. */
  hash: string;
  /** Bytes of the text. */
  size: number;
  /** applied: it ran (and runs, if newest); refused: the engine would not load it, nothing changed; rolled-back: it ran, failed its grace window and was replaced. */
  outcome: 'applied' | 'refused' | 'rolled-back';
  /** Why it was refused or rolled back; for an automatic rollback, why it happened. */
  reason?: string;
  /** For a rollback: the version whose text it restored. */
  restores?: number;
  /** Unified diff to the previous version (`--- version N` / `+++ version N+1`). */
  diff: string;
}

export interface ConfigVersionText extends ConfigVersion {
  /** The whole haproxy.cfg of this version (for download or compare). */
  text: string;
}

/** A routing condition the forms build. Values are ORed. `sni-is` (a TCP service: the TLS server name the client asks for) brings the inspect-delay lines it needs. */
export type RuleMatch =
  | { kind: 'host-is' | 'path-begins' | 'path-is' | 'source-in' | 'sni-is'; values: string[] }
  | { kind: 'header-contains'; header: string; values: string[] };

/**
 * One `use_backend` rule, in order: `match` (a rule the forms build; its ACL is
 * `aclName`, generated when absent), or `raw`, the condition as written
 * (`if is_api METH_POST`), kept as it is — pass it back unchanged.
 */
export interface RoutingRule {
  backend: string;
  match?: RuleMatch;
  aclName?: string;
  raw?: string;
}

export interface BindSpec {
  /** IP address or host name; '' for every address. */
  address: string;
  port: number;
  /** TLS termination: `ssl crt PATH`. */
  ssl?: boolean;
  /** A certificate's `path` (CertInfo.path), with ssl. */
  crt?: string;
  /** Client certificates: none (not asked for, HAProxy's default), optional (asked for, checked when given), required. */
  verify?: 'none' | 'optional' | 'required';
  /** `ca-file`: the CA certificate(s) client certificates are checked against; needed by verify optional|required. */
  caFile?: string;
  /** `crl-file`: revoked client certificates. */
  crlFile?: string;
  /** Other bind options as words, kept (`alpn h2,http/1.1`). */
  extra?: string[];
  /** The address as written when the form cannot show it (`:80,:81`, a port range): written back as is. */
  raw?: string;
}

export interface FrontendSpec {
  name: string;
  /** Default http. */
  mode?: 'http' | 'tcp';
  binds: BindSpec[];
  /** `http-request redirect scheme https code 301 unless { ssl_fc }`. */
  redirectToHttps?: boolean;
  /** The stats page at this path (`stats enable`, `stats uri PATH`); absent: none (from the form). */
  statsUri?: string;
  /** With the stats page: its login (`stats auth USER:PASSWORD`); absent: open to anyone who reaches the site. */
  statsAuth?: { user: string; password: string };
  /** With the stats page: reload it every N seconds (`stats refresh Ns`, 1..86400); absent: no reload. */
  statsRefresh?: number;
  /** Prometheus metrics at this path (`http-request use-service prometheus-exporter if { path PATH }`). */
  metricsPath?: string;
  rules?: RoutingRule[];
  defaultBackend?: string;
}

export interface ServerSpec {
  name: string;
  address: string;
  port: number;
  /** 0..256, default 1. */
  weight?: number;
  backup?: boolean;
  /** `maxconn N`: at most N connections at once (1..100000); absent: no limit. */
  maxconn?: number;
  /** Health checks on this server; default: on when the backend has a health check. */
  check?: boolean;
  /** Other server options as words, kept (`cookie s1`, `maxconn 100`). */
  extra?: string[];
}

export interface HealthCheckSpec {
  type: 'none' | 'tcp' | 'http';
  /** http: default GET */
  method?: string;
  /** http: default / */
  path?: string;
  /** http: `http-check expect status N`, or statuses and ranges as text (`200-399`, `200,301-302`); default any 2xx/3xx */
  expectStatus?: number | string;
  /** ms between checks, default 2000 */
  interMs?: number;
  /** failed checks before DOWN, default 3 */
  fall?: number;
  /** good checks before UP again, default 2 */
  rise?: number;
}

export type BalanceAlgorithm = 'roundrobin' | 'static-rr' | 'leastconn' | 'first' | 'source' | 'uri' | 'url_param' | 'hdr' | 'random' | 'rdp-cookie' | 'hash';

export interface BalanceSpec {
  algorithm: BalanceAlgorithm;
  /** hdr: header name; url_param: parameter name; random: draws; rdp-cookie: cookie name; hash: the sample expression. */
  argument?: string;
}

/**
 * Sticky sessions by cookie (`cookie NAME insert|rewrite|prefix …`, HTTP
 * backends): each server gets `cookie <value>` (its name) when it has none.
 * Sticking by the visitor's address is `balance source`, not this.
 */
export interface StickinessSpec {
  kind: 'cookie';
  /** Cookie name: letters, digits and !#$%&'*+.^_`|~- (an HTTP token). */
  cookie: string;
  /** insert: Loadstar adds its own cookie; prefix / rewrite: the application's own cookie (the server must set it). */
  mode: 'insert' | 'rewrite' | 'prefix';
  /** insert: the server never sees Loadstar's cookie. */
  indirect?: boolean;
  /** insert: the answer that sets the cookie is marked private (shared caches keep it to themselves). */
  nocache?: boolean;
  httponly?: boolean;
  secure?: boolean;
  /** Other options of the cookie line, as words, kept (`domain example.com`, `maxidle 30m`). */
  extra?: string[];
}

/** One SMTP server of a `mailers` section: `mailer <name> <address>:<port>`. */
export interface MailerSpec {
  name: string;
  /** IP address or host name (resolved when the configuration loads). */
  address: string;
  port: number;
}

/** A `mailers` section: every mailer gets every alert (not a failover list). */
export interface MailersSpec {
  name: string;
  mailers: MailerSpec[];
}

export interface MailersForm extends MailersSpec {
  /** Lines the form does not edit (`timeout mail`), kept as written. */
  unknownDirectives: number;
  line: number;
}

export type SyslogLevel = 'emerg' | 'alert' | 'crit' | 'err' | 'warning' | 'notice' | 'info' | 'debug';

/** A backend's `email-alert` lines: its servers' state changes mailed through a mailers section. */
export interface EmailAlertSpec {
  mailers: string;
  from: string;
  to: string;
  /** The least severe level mailed; default alert (a server going down). */
  level?: SyslogLevel;
  /** HELO name; default the host name. */
  myhostname?: string;
}

export interface BackendSpec {
  name: string;
  /** Default http. */
  mode?: 'http' | 'tcp';
  balance?: BalanceSpec;
  servers: ServerSpec[];
  healthCheck?: HealthCheckSpec;
  /** Sticky sessions by cookie; absent: none (a `cookie` line and the server cookie values it generated are removed). */
  stickiness?: StickinessSpec;
  /** E-mail alerts on server state changes; absent: none (the backend's `email-alert` lines are removed). */
  emailAlert?: EmailAlertSpec;
}

/** A frontend as the forms show it; pass it back (minus kind/line/unknownDirectives) in a set-frontend edit. */
export interface FrontendForm extends FrontendSpec {
  kind: 'frontend' | 'listen';
  mode: 'http' | 'tcp';
  rules: RoutingRule[];
  redirectToHttps: boolean;
  /**
   * The stats page is on through stats lines the forms do not own (`stats auth` …): its path and
   * the first such line. `statsUri` is then absent; the lines stay as written (the editor changes them).
   */
  statsKept?: { uri: string; keyword: string; line: number };
  /** Directives the forms do not edit; they stay in the text as written. */
  unknownDirectives: number;
  /** 1-based line of the section header in the text. */
  line: number;
}

export interface BackendForm extends BackendSpec {
  kind: 'backend' | 'listen';
  mode: 'http' | 'tcp';
  balance: BalanceSpec;
  healthCheck: HealthCheckSpec;
  unknownDirectives: number;
  line: number;
}

export interface FormModel {
  frontends: FrontendForm[];
  backends: BackendForm[];
  /** The `mailers` sections, in file order. */
  mailers: MailersForm[];
}

/** A structured edit; `previousName` renames. Edits apply in order. */
export type ConfigEdit =
  | { op: 'set-frontend'; frontend: FrontendSpec; previousName?: string }
  | { op: 'remove-frontend'; name: string }
  | { op: 'set-backend'; backend: BackendSpec; previousName?: string }
  | { op: 'remove-backend'; name: string }
  | { op: 'set-server'; backend: string; server: ServerSpec; previousName?: string }
  | { op: 'remove-server'; backend: string; name: string }
  | { op: 'set-mailers'; mailers: MailersSpec; previousName?: string }
  | { op: 'remove-mailers'; name: string };

/** A form field an edit cannot use, for the wizard to show at that field. */
export interface EditProblem {
  /** Index of the edit; -1 for the whole request. */
  edit: number;
  /** `frontend.binds[0].port`, `backend.servers[1].address`, `name` … */
  field: string;
  message: string;
}

export interface ConfigState {
  /** The text that runs (what Loadstar last applied or loaded). */
  text: string;
  /**
   * sha256 of `text`: the `baseHash` of a change based on it. When the file was
   * edited by hand, such a change is refused with LS_ERR_CTL_CONFLICT rather than
   * overwriting the edit.
   */
  hash: string;
  /**
   * sha256 of the file on disk (equals `hash` unless edited by hand). Passing it as
   * `baseHash` is the explicit choice, after showing `diskText`, to replace the hand
   * edit — or to adopt it by applying `diskText` itself (source `external`).
   */
  diskHash: string;
  path: string;
  /** The file was edited by hand since Loadstar wrote or loaded it: offer reload/compare, never overwrite silently. */
  modifiedOnDisk: boolean;
  /** The file's text when it differs from `text`. */
  diskText?: string;
  /** epoch ms until which the latest change is watched (grace window running). */
  watchingUntil?: number;
  /** The forms' view of `text`. */
  model: FormModel;
  /** Diagnostics of `text`. */
  diagnostics: ControlDiagnostic[];
}

export interface ConfigPreview {
  /** Unified diff from the running text to the proposed one (`--- running` / `+++ proposed`). */
  diff: string;
  summary: string;
  diagnostics: ControlDiagnostic[];
  /** No alert: the text can be applied. */
  valid: boolean;
}

export interface BuildResult {
  /** The new text; absent when `problems` is not empty. */
  text?: string;
  diff: string;
  summary: string;
  diagnostics: ControlDiagnostic[];
  /** No problem and no alert: ready for applyChange. */
  valid: boolean;
  problems: EditProblem[];
  /** The forms' view of the new text. */
  model?: FormModel;
}

export interface ConfigChange {
  text: string;
  /** `ConfigState.hash` of the text the change started from (or `diskHash`, see there); a file that changed since → LS_ERR_CTL_CONFLICT. */
  baseHash: string;
  source: ChangeSource;
  /** Default: computed from the change. */
  summary?: string;
  /** Grace window in ms (default 10 s): a backend that had a usable server and has none in it rolls the change back. */
  graceMs?: number;
}

/** What became of a change. applyChange resolves when the grace window is over. */
export type ApplyOutcome =
  | { outcome: 'applied'; version: ConfigVersion; diagnostics: ControlDiagnostic[] }
  | { outcome: 'refused'; reason: string; diagnostics: ControlDiagnostic[]; version?: ConfigVersion; rollback?: ConfigVersion; /** The engine's error code when the engine refused it (LS_ERR_ENG_BIND …). */ code?: string }
  | { outcome: 'rolled-back'; reason: string; version: ConfigVersion; rollback: ConfigVersion; diagnostics: ControlDiagnostic[] };

// ---------------------------------------------------------------- wizard helpers

export interface SplitRequest {
  algorithm: BalanceAlgorithm;
  argument?: string;
  servers: Array<{ name: string; weight?: number; backup?: boolean }>;
  /** 1..10000; default one cycle of the weights, at least 100. */
  picks?: number;
  hashType?: 'map-based' | 'consistent';
}

export interface SplitPrediction {
  algorithm: BalanceAlgorithm;
  /** One line in plain words. */
  explanation: string;
  picks: number;
  counts: Array<{ name: string; count: number; share: number }>;
  /** The first picks in order (up to 20). */
  firstPicks: string[];
  /** What the simulation assumed (hash keys sampled, one request at a time). */
  note: string;
}

export interface ProbeRequest {
  address: string;
  port: number;
  /** 100..10000 ms, default 2000. */
  timeoutMs?: number;
}

export interface ProbeResult {
  reachable: boolean;
  ms: number;
  reason?: string;
}

export interface ListenCheckRequest {
  /** '' or '*' for every address. */
  address: string;
  port: number;
  /** The frontend being edited (its own port is not a conflict). */
  frontend?: string;
}

export interface ListenCheckResult {
  free: boolean;
  usedBy?: string;
  reason?: string;
}

// ---------------------------------------------------------------- request tracer

export interface TraceRequest {
  frontend: string;
  /** Default GET. */
  method?: string;
  url: string;
  /** `Name: value` strings or [name, value] pairs, in order. */
  headers?: Array<string | [string, string]>;
  /** Client address, default 127.0.0.1. */
  source?: string;
  sourcePort?: number;
  tls?: boolean;
  sni?: string;
}

export interface TraceAcl {
  /** `is_api`, `!is_api`, `{ ssl_fc }` */
  name: string;
  negated: boolean;
  declarations: Array<{ criterion: string; patterns: string[]; fetched: string | null; matched: boolean; line?: number }>;
  /** The term's value after `!`. */
  result: boolean;
}

export interface TraceCondition {
  /** `if is_api`, `unless { ssl_fc }` */
  text: string;
  result: boolean;
  acls: TraceAcl[];
}

export interface TraceRule {
  proxy: string;
  line: number;
  text: string;
  condition?: TraceCondition;
  outcome: 'skipped' | 'applied' | 'final' | 'stop' | 'not-run';
  detail?: string;
}

export interface TraceRoute {
  line: number;
  text: string;
  backend: string;
  condition?: TraceCondition;
  matched: boolean;
}

export interface TraceServer {
  name: string;
  status: string;
  usable: boolean;
  weight: number;
  backup: boolean;
  current: number;
  queued: number;
  maxconn: number;
}

export interface TraceResult {
  frontend: string;
  mode: 'http' | 'tcp';
  /** The request after the http-request rules. */
  request: { method: string; url: string; headers: Array<[string, string]> };
  rules: TraceRule[];
  routes: TraceRoute[];
  backend?: string;
  backendBy?: 'use_backend' | 'default_backend' | 'listen';
  /** Loadstar would answer itself (redirect, deny, return, stats page, no backend/server). */
  /** `bad-request`: the head is refused before any rule (too large, two Hosts that differ …), `by` says why. */
  answer?: { kind: 'redirect' | 'deny' | 'tarpit' | 'return' | 'auth' | 'service' | 'stats' | 'no-backend' | 'no-server' | 'reject' | 'silent-drop' | 'bad-request'; status: number; location?: string; by: string };
  persistence?: { cookie: string; value?: string; server?: string; used: boolean; reason: string };
  algorithm?: string;
  /** Hash algorithms: the key hashed, the function, the 32-bit value looked up (absent without a key). */
  hash?: { key: string | null; value?: number; function: string; method: 'map-based' | 'consistent'; note: string };
  server?: TraceServer;
  serverReason?: string;
  servers: TraceServer[];
  /** The whole story as sentences, for a step list. */
  steps: string[];
}

// ---------------------------------------------------------------- the contract

/** Request/response methods. Every method resolves; bad input is an answer, never a throw. */
export interface ControlMethods {
  /** The engine's lifecycle, frontends with their routing, backends and servers. */
  status(): Promise<Result<StatusSnapshot>>;
  /** Starts a stopped engine with the configuration in force. */
  start(): Promise<Result<EngineLifecycle>>;
  /** Stops the engine gracefully (in-flight work finishes within `graceMs`, default 10 s). */
  stop(graceMs?: number): Promise<Result<EngineLifecycle>>;

  /** Checks a configuration text without applying it. */
  validateConfig(text: string, name?: string): Promise<Result<ValidationReport>>;
  /**
   * Validates, then reloads (unchanged listeners keep their sockets). An invalid
   * text or an engine refusal changes nothing: the running configuration keeps serving.
   * Where Loadstar owns a data directory (serve, the desktop app) the text goes
   * through the same safe apply as applyChange: haproxy.cfg is written, a version
   * (source `api`) kept and the grace window watched (LS_ERR_CTL_ROLLED_BACK if it
   * rolls back); a file edited by hand since Loadstar last wrote it is LS_ERR_CTL_CONFLICT.
   * `name` is not used there: diagnostics name the data dir's haproxy.cfg.
   */
  applyConfig(text: string, name?: string): Promise<Result<ApplyReport>>;

  /** ready: takes traffic; drain: finishes what it has, takes no new traffic; maint: no traffic, checks paused. */
  setServerState(backend: string, server: string, state: ServerAdminState): Promise<Result<ServerStatus>>;
  /** Runtime weight 0..256 (0 = no new traffic). */
  setServerWeight(backend: string, server: string, weight: number): Promise<Result<ServerStatus>>;

  /** HAProxy's `show stat` counters of every frontend, backend and server. */
  stats(): Promise<Result<StatsSnapshot>>;
  series(id: StatsObjectId, range: SeriesRange): Promise<Result<SeriesData>>;
  /** A server's (or, without `server`, a backend's) health transitions within a range. */
  timeline(backend: string, server: string | undefined, range?: TimelineRange): Promise<Result<TimelineData>>;
  /**
   * Many timelines over one range in one answer (a backend of hundreds of servers on the Health
   * screen): those of `targets`, or without them every backend's own and every server's. Each
   * answers as `timeline` would; a target no longer configured is listed in `missing`, not refused.
   */
  timelines(range?: TimelineRange, targets?: TimelineTarget[]): Promise<Result<TimelineSet>>;
  /** The latest check results of a server, newest last. */
  checkResults(backend: string, server: string, limit?: number): Promise<Result<CheckResult[]>>;
  /** Recent engine events (health, admin changes, reloads, alerts), newest first. */
  recentEvents(limit?: number): Promise<Result<EngineEvent[]>>;

  certCaStatus(): Promise<Result<CaInfo | null>>;
  certCaInit(request: CaInitRequest): Promise<Result<CaInfo>>;
  certCaExport(format: 'pem' | 'der'): Promise<Result<CertCaExport>>;
  certIssue(request: IssueRequest): Promise<Result<CertInfo>>;
  certImport(request: CertImportRequest): Promise<Result<CertInfo>>;
  /** What certImport would do with these PEM texts — the certificate, a store name from it, or the refusal — storing nothing. */
  certInspect(request: CertInspectRequest): Promise<Result<CertInspection>>;
  certList(): Promise<Result<CertListing>>;
  certRemove(name: string): Promise<Result<{ name: string }>>;
  /** Issues a client certificate from the local CA and answers it as a .p12 file; its key is not kept (the CA records holder, serial, expiry). */
  certIssueClient(request: ClientCertRequest): Promise<Result<ClientCertExport>>;
  /** The client certificates the local CA issued, oldest first. */
  certClients(): Promise<Result<ClientCertRecord[]>>;
  /** Stores a CA certificate (PEM) to check client certificates against: the path a bind's `ca-file` names. */
  certTrustImport(request: TrustImportRequest): Promise<Result<TrustInfo>>;
  certTrustList(): Promise<Result<TrustInfo[]>>;

  /** The running haproxy.cfg text, its file's hash and whether it was edited by hand, the forms' model. Needs the data dir's config store. */
  getConfig(): Promise<Result<ConfigState>>;
  /** A candidate text against the running one: diff, summary, diagnostics. Changes nothing. */
  previewConfig(text: string): Promise<Result<ConfigPreview>>;
  /**
   * Safe apply: validate, write haproxy.cfg atomically, reload, watch the grace
   * window, roll back automatically when the engine refuses it or a backend
   * loses every usable server; every change becomes a version. A stale
   * `baseHash` is LS_ERR_CTL_CONFLICT. Resolves once the window is over.
   */
  applyChange(change: ConfigChange): Promise<Result<ApplyOutcome>>;
  /** The text the edits produce from the running text (or `baseText`), with diff and diagnostics; changes nothing. */
  buildConfig(edits: ConfigEdit[], baseText?: string): Promise<Result<BuildResult>>;
  /** Versions, newest first, without their texts. */
  listVersions(): Promise<Result<ConfigVersion[]>>;
  getVersion(id: number): Promise<Result<ConfigVersionText>>;
  /** Applies an older version again (source `rollback`), through the same safe apply. */
  rollback(id: number, baseHash?: string): Promise<Result<ApplyOutcome>>;

  /** The split of requests over servers and weights, from the real balancer code; for the wizard's algorithm step. */
  predictSplit(request: SplitRequest): Promise<Result<SplitPrediction>>;
  /** Health-check settings in words: "DOWN after 3 failed checks 2 s apart, UP again after 2 good ones". */
  explainHealthCheck(check: HealthCheckSpec): Promise<Result<string>>;
  /** A TCP connect from the engine to a server address (the wizard's "test" button). */
  probeServer(request: ProbeRequest): Promise<Result<ProbeResult>>;
  /** Whether an address and port are free: not used by another frontend, not taken by another program. */
  checkListen(request: ListenCheckRequest): Promise<Result<ListenCheckResult>>;
  /** Where a request would go and why, against the live configuration, without traffic or state change. */
  traceRequest(request: TraceRequest): Promise<Result<TraceResult>>;
}

export type ControlMethodName = keyof ControlMethods;
export type ControlArgs<M extends ControlMethodName> = Parameters<ControlMethods[M]>;
export type ControlValue<M extends ControlMethodName> = Awaited<ReturnType<ControlMethods[M]>> extends Result<infer T> ? T : never;

export interface ControlContract extends ControlMethods {
  /** Pushed events of the given topics; returns the unsubscribe function. */
  subscribe<K extends ControlTopic>(topics: readonly K[], listener: (event: ControlEvent<K>) => void, options?: SubscribeOptions): () => void;
}

/**
 * Every method's transport facts, in one place: the Electron IPC channel
 * (`area:verb`), and whether it changes the engine (HTTP: CSRF-checked).
 * The HTTP route is `POST /api/<method>` with the arguments as a JSON array
 * (controlRoute), derivable from the method name alone so that the renderer
 * needs no value from this file. A method missing here fails to compile.
 */
export const CONTROL_METHODS = {
  status: { channel: 'engine:status', mutates: false },
  start: { channel: 'engine:start', mutates: true },
  stop: { channel: 'engine:stop', mutates: true },
  validateConfig: { channel: 'config:validate', mutates: false },
  applyConfig: { channel: 'config:apply', mutates: true },
  setServerState: { channel: 'server:state', mutates: true },
  setServerWeight: { channel: 'server:weight', mutates: true },
  stats: { channel: 'stats:snapshot', mutates: false },
  series: { channel: 'stats:series', mutates: false },
  timeline: { channel: 'health:timeline', mutates: false },
  timelines: { channel: 'health:timelines', mutates: false },
  checkResults: { channel: 'health:checks', mutates: false },
  recentEvents: { channel: 'events:recent', mutates: false },
  certCaStatus: { channel: 'ca:status', mutates: false },
  certCaInit: { channel: 'ca:init', mutates: true },
  certCaExport: { channel: 'ca:export', mutates: false },
  certIssue: { channel: 'cert:issue', mutates: true },
  certImport: { channel: 'cert:import', mutates: true },
  certInspect: { channel: 'cert:inspect', mutates: false },
  certList: { channel: 'cert:list', mutates: false },
  certRemove: { channel: 'cert:remove', mutates: true },
  // Answers a private key: CSRF-checked like a change, never a GET.
  certIssueClient: { channel: 'cert:client', mutates: true },
  certClients: { channel: 'cert:clients', mutates: false },
  certTrustImport: { channel: 'trust:import', mutates: true },
  certTrustList: { channel: 'trust:list', mutates: false },
  getConfig: { channel: 'config:get', mutates: false },
  previewConfig: { channel: 'config:preview', mutates: false },
  applyChange: { channel: 'config:change', mutates: true },
  buildConfig: { channel: 'config:build', mutates: false },
  listVersions: { channel: 'versions:list', mutates: false },
  getVersion: { channel: 'versions:get', mutates: false },
  rollback: { channel: 'versions:rollback', mutates: true },
  predictSplit: { channel: 'wizard:split', mutates: false },
  explainHealthCheck: { channel: 'wizard:health', mutates: false },
  // Both open sockets from the engine (a connect, a short listen): CSRF-checked like changes.
  probeServer: { channel: 'wizard:probe', mutates: true },
  checkListen: { channel: 'wizard:listen', mutates: true },
  traceRequest: { channel: 'trace:request', mutates: false },
} as const satisfies Record<ControlMethodName, { channel: `${string}:${string}`; mutates: boolean }>;

/** Channels on which pushed events arrive, per topic (Electron), and the SSE event names. */
export const CONTROL_EVENT_CHANNELS = {
  'access-log': 'log:entry',
  events: 'engine:event',
  stats: 'stats:tick',
} as const satisfies Record<ControlTopic, `${string}:${string}`>;

/** The HTTP route of a method: `POST /api/status` with body `{"args": [...]}`. */
export function controlRoute(method: ControlMethodName): `/api/${ControlMethodName}` {
  return `/api/${method}`;
}
