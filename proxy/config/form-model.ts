/**
 * The configuration as the wizard and the edit forms see it (issue #13 §2):
 * frontends, backends and servers with only the fields the forms edit, read
 * from the parsed model and its directives. What the forms do not know stays
 * in the text untouched (edit.ts); each section reports how many such
 * directives it has, so the UI can say "3 more settings, edit them in the
 * editor".
 *
 * Ownership: a directive is the forms' when a form field describes it
 * completely (`bind`, `mode`, `balance`, `server`, `default_backend`,
 * `use_backend`, the ACLs those rules use when they are simple, the HTTPS
 * redirect, `option httpchk`, `http-check expect status`, a `cookie` line
 * with insert, rewrite or prefix). Everything else is
 * an unknown directive, written back byte for byte.
 */
import type { BalanceAlgorithm, BalancingProxy, Config, Directive, Section, SyslogLevel } from './model.ts';
import { DEFAULT_STATS_URI } from './model.ts';
import { BUILTIN_SERVER } from './provision.ts';

/** A routing condition the forms can build. Values are ORed. */
export type RuleMatch =
  | { kind: 'host-is' | 'path-begins' | 'path-is' | 'source-in' | 'sni-is'; values: string[] }
  | { kind: 'header-contains'; header: string; values: string[] };

export const RULE_KINDS = ['host-is', 'path-begins', 'path-is', 'source-in', 'header-contains', 'sni-is'] as const;

/**
 * What a TCP frontend that routes by the TLS server name (`sni-is`) needs before its rules: wait for the
 * client's hello (up to 5 s), and accept the connection as soon as one is there (HAProxy's documented
 * TLS passthrough pattern, `req.ssl_sni` being empty until the hello arrived).
 */
export const SNI_INSPECT_LINES = ['tcp-request inspect-delay 5s', 'tcp-request content accept if { req.ssl_hello_type 1 }'] as const;

/** `tcp-request inspect-delay T` and `tcp-request content accept if { req.ssl_hello_type 1 }` (or req_ssl_hello_type): the SNI rules' wait. */
export function isSniInspect(d: Directive): boolean {
  if (d.keyword === 'tcp-request inspect-delay') return d.args.length === 1;
  if (d.keyword !== 'tcp-request content') return false;
  const a = d.args;
  return a.length === 6 && a[0] === 'accept' && a[1] === 'if' && a[2] === '{' && (a[3] === 'req.ssl_hello_type' || a[3] === 'req_ssl_hello_type') && a[4] === '1' && a[5] === '}';
}

/**
 * One `use_backend` rule, in order. Either `match` (a simple rule the forms
 * build, its ACL named `aclName` or a generated name), or `raw`: the condition
 * as written (`if is_api METH_POST`), kept as is.
 */
export interface RoutingRule {
  backend: string;
  match?: RuleMatch;
  aclName?: string;
  raw?: string;
}

export interface BindSpec {
  /** IP address or host name; '' or '*' for every address. */
  address: string;
  port: number;
  /** TLS termination (`ssl crt PATH`). */
  ssl?: boolean;
  /** Certificate file (a Loadstar certificate's path) when ssl is on. */
  crt?: string;
  /**
   * Client certificates (`verify`): none (HAProxy's default: not asked for), optional (asked for,
   * checked when given) or required (a client without a valid one is refused in the handshake).
   */
  verify?: 'none' | 'optional' | 'required';
  /** `ca-file`: the CA certificate(s) client certificates are checked against (PEM); needed by verify optional|required. */
  caFile?: string;
  /** `crl-file`: revoked client certificates (PEM CRL). */
  crlFile?: string;
  /** Other bind options, as words, kept as they are (`alpn h2,http/1.1`). */
  extra?: string[];
  /**
   * The address as written when the form cannot show it (a list `:80,:81`, a port
   * range, a UNIX socket); then written back as is and `address`/`port` are ignored.
   */
  raw?: string;
}

export interface FrontendSpec {
  name: string;
  /** Default http. */
  mode?: 'http' | 'tcp';
  binds: BindSpec[];
  /** `http-request redirect scheme https code 301 unless { ssl_fc }`. */
  redirectToHttps?: boolean;
  /** `stats uri PATH` (with `stats enable`), when the section's stats lines are only those the form owns (ownStats). */
  statsUri?: string;
  /** With the stats page: its login, `stats auth USER:PASSWORD` (HAProxy splits at the first ':'); absent: no login. */
  statsAuth?: { user: string; password: string };
  /** With the stats page: `stats refresh Ns`, the page reloads every N seconds (1..STATS_REFRESH_MAX); absent: no reload. */
  statsRefresh?: number;
  /** `http-request use-service prometheus-exporter if { path PATH }`. */
  metricsPath?: string;
  rules?: RoutingRule[];
  defaultBackend?: string;
}

export interface ServerSpec {
  name: string;
  /** IP address or host name. */
  address: string;
  port: number;
  /** 0..256, default 1. */
  weight?: number;
  backup?: boolean;
  /**
   * `maxconn N`: at most N connections at once to this server (1..100000; the others wait in the
   * backend's queue); absent: no limit. `balance first` fills each server up to it.
   */
  maxconn?: number;
  /** Active health checks on this server; default: on when the backend has a health check. */
  check?: boolean;
  /** Other server options, as words, kept as they are (`cookie s1`, `maxconn 100`). */
  extra?: string[];
  /** In a set-backend edit: the server's name in the text when the form renames it (its line stays where it is). */
  previousName?: string;
}

export interface HealthCheckSpec {
  /** none: no active checks; tcp: connect only; http: a request and its status. */
  type: 'none' | 'tcp' | 'http';
  /** http: default GET. */
  method?: string;
  /** http: default /. */
  path?: string;
  /**
   * http: the status expected (`http-check expect status N`), or statuses and ranges as HAProxy's
   * `status` takes them (`200-399`, `200,301-302`); default any 2xx/3xx.
   */
  expectStatus?: number | string;
  /** Between checks, ms; default 2000. */
  interMs?: number;
  /** Failed checks in a row before DOWN; default 3. */
  fall?: number;
  /** Good checks in a row before UP again; default 2. */
  rise?: number;
}

export interface BalanceSpec {
  algorithm: BalanceAlgorithm;
  /** hdr: the header name; url_param: the parameter name; random: draws; rdp-cookie: the cookie name. */
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

/** A `mailers` section: every mailer gets every alert (it is not a failover list). */
export interface MailersSpec {
  name: string;
  mailers: MailerSpec[];
}

export interface MailersForm extends MailersSpec {
  /** Lines of the section the form does not edit (`timeout mail`), kept as written. */
  unknownDirectives: number;
  /** 1-based line of the section header. */
  line: number;
}

/** A backend's `email-alert` lines: its servers' state changes mailed through a mailers section. */
export interface EmailAlertSpec {
  /** The `mailers` section's name. */
  mailers: string;
  /** Sender address (`email-alert from`). */
  from: string;
  /** Recipient address (`email-alert to`). */
  to: string;
  /** The least severe level mailed; HAProxy's default alert (a server going down). notice and info add more events. */
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

export interface FrontendForm extends FrontendSpec {
  kind: 'frontend' | 'listen';
  mode: 'http' | 'tcp';
  rules: RoutingRule[];
  redirectToHttps: boolean;
  /**
   * The stats page is on through stats lines the form does not own (`stats auth`, `stats refresh` …
   * beside `stats enable`/`stats uri`): its path, and the first such line. `statsUri` is then absent,
   * the lines stay as written, and the page is changed or turned off in the editor.
   */
  statsKept?: StatsKept;
  /** Directives of the section the forms do not edit (kept as written). */
  unknownDirectives: number;
  /** 1-based line of the section header. */
  line: number;
}

export interface StatsKept {
  /** Where the page answers: the last `stats uri`, else HAProxy's default. */
  uri: string;
  /** The first stats line the form does not own: its keyword (`stats auth`) and 1-based line. */
  keyword: string;
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

// ---------------------------------------------------------------- reading directives

/** Words of a directive after the keyword, as values (quotes removed). */
const words = (d: Directive): readonly string[] => d.args;

/** `acl NAME CRITERION [-i] VALUES…` → a RuleMatch when the forms can express it. */
export function aclMatch(args: readonly string[]): RuleMatch | undefined {
  const [, criterion, ...rest] = args;
  if (criterion === undefined) return undefined;
  const c = criterion.toLowerCase();
  let flags: string[] = [];
  let values = rest;
  while (values[0]?.startsWith('-')) {
    if (values[0] === '--') { values = values.slice(1); break; }
    if (values[0] === '-m') { flags.push(`-m ${values[1] ?? ''}`); values = values.slice(2); continue; }
    flags.push(values[0]);
    values = values.slice(1);
  }
  flags = flags.sort();
  if (values.length === 0) return undefined;
  const only = (...f: string[]): boolean => flags.length === f.length && f.every((x, i) => flags[i] === x);
  if ((c === 'hdr(host)' || c === 'req.hdr(host)') && only('-i')) return { kind: 'host-is', values: [...values] };
  if ((c === 'path_beg' && only()) || (c === 'path' && only('-m beg'))) return { kind: 'path-begins', values: [...values] };
  if (c === 'path' && only()) return { kind: 'path-is', values: [...values] };
  if (c === 'src' && only()) return { kind: 'source-in', values: [...values] };
  if ((c === 'req.ssl_sni' || c === 'req_ssl_sni') && only('-i')) return { kind: 'sni-is', values: [...values] };
  const sub = /^hdr_sub\(([^,()]+)\)$/.exec(c);
  if (sub && only('-i')) return { kind: 'header-contains', header: criterion.slice(8, -1), values: [...values] };
  return undefined;
}

/**
 * The form's "redirect to HTTPS": `http-request redirect scheme https … unless { ssl_fc }`, or the
 * proxy-level `redirect scheme https …` line home-lab guides write (either is the same toggle).
 */
export function isHttpsRedirect(d: Directive): boolean {
  const a = d.keyword === 'http-request' ? words(d).join(' ') : d.keyword === 'redirect' ? `redirect ${words(d).join(' ')}` : '';
  return /^redirect scheme https( code 30[1278])? (unless \{ ssl_fc \}|if !\{ ssl_fc \})$/.test(a);
}

/** The ACL lines of a section the forms own: simple, declared once, used only by simple use_backend rules. */
export function ownedAcls(section: Section): Map<string, RuleMatch> {
  const decls = new Map<string, Directive[]>();
  for (const d of section.directives) {
    if (d.keyword === 'acl' && d.args[0] !== undefined) decls.set(d.args[0], [...(decls.get(d.args[0]) ?? []), d]);
  }
  const owned = new Map<string, RuleMatch>();
  for (const [name, list] of decls) {
    if (list.length !== 1) continue;
    const match = aclMatch(list[0]!.args);
    if (!match) continue;
    const usedElsewhere = section.directives.some((d) => {
      if (d === list[0]) return false;
      const refs = d.args.some((w) => w === name || w === `!${name}`);
      if (!refs) return false;
      return !(d.keyword === 'use_backend' && d.args.length === 3 && d.args[1] === 'if' && d.args[2] === name);
    });
    if (!usedElsewhere) owned.set(name, match);
  }
  return owned;
}

/** The longest `stats refresh` the form writes, in seconds (a day). */
export const STATS_REFRESH_MAX = 86400;

/** `stats auth USER:PASSWORD` as the form shows it (both halves there, HAProxy's split at the first ':'), or undefined. */
export function statsAuthOf(d: Directive): { user: string; password: string } | undefined {
  if (d.keyword !== 'stats auth' || d.args.length !== 1) return undefined;
  const v = d.args[0]!;
  const colon = v.indexOf(':');
  return colon > 0 && colon < v.length - 1 ? { user: v.slice(0, colon), password: v.slice(colon + 1) } : undefined;
}

/** `stats refresh N` or `Ns` in whole seconds (1..STATS_REFRESH_MAX), or undefined (`1m`, `500ms` stay as written). */
export function statsRefreshOf(d: Directive): number | undefined {
  if (d.keyword !== 'stats refresh' || d.args.length !== 1) return undefined;
  const m = /^(\d{1,5})s?$/.exec(d.args[0]!);
  const n = m ? Number(m[1]) : NaN;
  return n >= 1 && n <= STATS_REFRESH_MAX ? n : undefined;
}

/** One stats line the form owns by itself: `stats enable`, `stats uri PATH`, `stats auth U:P`, `stats refresh Ns`. */
function formStatsLine(d: Directive): boolean {
  return (d.keyword === 'stats enable' && d.args.length === 0) || (d.keyword === 'stats uri' && d.args.length === 1)
    || statsAuthOf(d) !== undefined || statsRefreshOf(d) !== undefined;
}

/**
 * The form's stats page: `stats enable`, `stats uri`, one `stats auth` login and one `stats refresh`,
 * owned when they are the section's only stats lines (`stats realm`, `stats admin`, a second login …
 * turn the page on too: with one of them the lines stay as written).
 */
export function ownStats(section: { directives: readonly Directive[] }): boolean {
  const stats = section.directives.filter((d) => d.keyword.startsWith('stats '));
  return stats.length > 0 && stats.every(formStatsLine)
    && stats.filter((d) => d.keyword === 'stats auth').length <= 1 && stats.filter((d) => d.keyword === 'stats refresh').length <= 1;
}

/** The stats page turned on by lines the form does not own (every stats line of a proxy turns it on in HAProxy). */
export function statsKept(section: { directives: readonly Directive[] }): StatsKept | undefined {
  const stats = section.directives.filter((d) => d.keyword.startsWith('stats '));
  if (stats.length === 0 || ownStats(section)) return undefined;
  const seen = new Set<string>();
  // The first line the form cannot show: one it does not know, or a second login or refresh.
  const first = stats.find((d) => { const again = seen.has(d.keyword); seen.add(d.keyword); return !formStatsLine(d) || (again && (d.keyword === 'stats auth' || d.keyword === 'stats refresh')); })!;
  return { uri: stats.filter((d) => d.keyword === 'stats uri').at(-1)?.args[0] ?? DEFAULT_STATS_URI, keyword: first.keyword, line: first.loc.line };
}

/** The form's Prometheus metrics: `http-request use-service prometheus-exporter if { path PATH }`. */
export function metricsPathOf(d: Directive): string | undefined {
  if (d.keyword !== 'http-request') return undefined;
  const a = d.args;
  return a.length === 7 && a[0] === 'use-service' && a[1] === 'prometheus-exporter' && a[2] === 'if' && a[3] === '{' && a[4] === 'path' && a[6] === '}' ? a[5] : undefined;
}

/** The frontend category of a directive the forms own, or undefined (unknown to the forms). */
export function frontendCategory(d: Directive, acls: ReadonlyMap<string, RuleMatch>, section?: { directives: readonly Directive[] }): FrontendCategory | undefined {
  switch (d.keyword) {
    case 'stats enable':
    case 'stats uri':
    case 'stats auth':
    case 'stats refresh': return section && ownStats(section) ? 'stats' : undefined;
    case 'mode': return 'mode';
    case 'bind': return 'bind';
    case 'default_backend': return 'default_backend';
    case 'use_backend': return 'use_backend';
    case 'acl': return acls.has(d.args[0] ?? '') ? 'acl' : undefined;
    case 'http-request': return isHttpsRedirect(d) ? 'redirect' : metricsPathOf(d) !== undefined ? 'metrics' : undefined;
    case 'tcp-request inspect-delay':
    case 'tcp-request content': return isSniInspect(d) ? 'inspect' : undefined;
    case 'redirect': return isHttpsRedirect(d) ? 'redirect' : undefined;
    default: return undefined;
  }
}

export type FrontendCategory = 'mode' | 'bind' | 'redirect' | 'metrics' | 'stats' | 'inspect' | 'acl' | 'use_backend' | 'default_backend';
export const FRONTEND_CATEGORIES: readonly FrontendCategory[] = ['mode', 'bind', 'redirect', 'metrics', 'stats', 'inspect', 'acl', 'use_backend', 'default_backend'];

export type BackendCategory = 'mode' | 'balance' | 'cookie' | 'httpchk' | 'expect' | 'email-alert' | 'server';
export const BACKEND_CATEGORIES: readonly BackendCategory[] = ['mode', 'balance', 'cookie', 'httpchk', 'expect', 'email-alert', 'server'];

export function backendCategory(d: Directive, section?: { directives: readonly Directive[] }): BackendCategory | undefined {
  switch (d.keyword) {
    case 'mode': return 'mode';
    // Owned when the section's lines make a whole alert (mailers, from and to); an incomplete set stays as written.
    case 'email-alert': return section && ownEmailAlert(section.directives) ? 'email-alert' : undefined;
    case 'balance': return 'balance';
    case 'option httpchk': return 'httpchk';
    case 'server': return 'server';
    case 'cookie': return stickinessOf(d.args) ? 'cookie' : undefined;
    default: return expectStatusOf(d) !== undefined && !multiStepCheck(section) ? 'expect' : undefined;
  }
}

/**
 * The section's http-check rules are a sequence (several requests or expectations, `connect` steps):
 * the form's single expected status cannot stand for them, so their lines stay as written.
 */
function multiStepCheck(section: { directives: readonly Directive[] } | undefined): boolean {
  if (!section) return false;
  let expects = 0;
  for (const d of section.directives) {
    if (d.keyword !== 'http-check') continue;
    if (d.args[0] === 'connect') return true;
    if (d.args[0] === 'expect' && ++expects > 1) return true;
  }
  return false;
}

/** The settings a section's own `email-alert` lines give (the last line of a setting wins, as in HAProxy). */
export function emailAlertLines(directives: readonly Directive[]): Partial<EmailAlertSpec> {
  const spec: Record<string, string> = {};
  for (const d of directives) if (d.keyword === 'email-alert' && d.args[0] !== undefined && d.args[1] !== undefined) spec[d.args[0]] = d.args[1];
  return spec as Partial<EmailAlertSpec>;
}

/** A section's own `email-alert` lines as the form's alert, when they name mailers, from and to. */
function ownEmailAlert(directives: readonly Directive[]): boolean {
  const own = emailAlertLines(directives);
  return own.mailers !== undefined && own.from !== undefined && own.to !== undefined;
}

/** The backend's e-mail alert as it runs (its own lines over its defaults'), when complete. */
export function emailAlert(p: BalancingProxy): EmailAlertSpec | undefined {
  const a = p.emailAlert;
  if (a?.mailers === undefined || a.from === undefined || a.to === undefined) return undefined;
  return { mailers: a.mailers, from: a.from, to: a.to, ...(a.level !== undefined ? { level: a.level } : {}), ...(a.myhostname !== undefined ? { myhostname: a.myhostname } : {}) };
}

/** Statuses and ranges as `http-check expect status` takes them: `200`, `200-399`, `200,301-302`. */
export const EXPECT_STATUS = /^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/;

/** `http-check expect status N` (one status, no `!`) → N; statuses or ranges (`200-399`) → that text; anything else → undefined. */
export function expectStatusOf(d: Directive): number | string | undefined {
  const words = [...d.keyword.split(' '), ...d.args];
  if (words.length !== 4 || words[0] !== 'http-check' || words[1] !== 'expect' || words[2] !== 'status' || !EXPECT_STATUS.test(words[3]!)) return undefined;
  return /^\d{3}$/.test(words[3]!) ? Number(words[3]) : words[3];
}

/** What is wrong with an expected status (a number, or statuses and ranges as text), or undefined. */
export function badExpectStatus(v: number | string): string | undefined {
  const text = String(v);
  if ((typeof v === 'number' && !Number.isInteger(v)) || !EXPECT_STATUS.test(text)) return 'an HTTP status from 100 to 599 (200), a range (200-399) or several separated by commas';
  for (const part of text.split(',')) {
    const [lo, hi = lo] = part.split('-').map(Number) as [number, number?];
    if (!(lo >= 100 && hi! <= 599 && lo <= hi!)) return `${part}: statuses go from 100 to 599, the lower first`;
  }
  return undefined;
}

/** Options of a `cookie` line that take a value (kept in `extra` with it). */
const COOKIE_ONE_VALUE = new Set(['domain', 'attr', 'maxidle', 'maxlife']);

/**
 * `cookie NAME insert|rewrite|prefix [options]` (a directive's words) → the
 * form's stickiness; undefined for a line the form cannot show (no mode: a
 * passive cookie, kept as written).
 */
export function stickinessOf(args: readonly string[]): StickinessSpec | undefined {
  const [cookie, ...rest] = args;
  const mode = rest.find((w): w is StickinessSpec['mode'] => w === 'insert' || w === 'rewrite' || w === 'prefix');
  if (cookie === undefined || mode === undefined) return undefined;
  const spec: StickinessSpec = { kind: 'cookie', cookie, mode };
  const extra: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (w === mode) continue;
    if (w === 'indirect' || w === 'nocache' || w === 'httponly' || w === 'secure') spec[w] = true;
    else if (COOKIE_ONE_VALUE.has(w)) extra.push(w, ...(i + 1 < rest.length ? [rest[++i]!] : []));
    else extra.push(w);
  }
  return extra.length ? { ...spec, extra } : spec;
}

/** The backend's sticky-session cookie: its own `cookie` line, else the one its defaults section gives it. */
export function stickiness(p: BalancingProxy): StickinessSpec | undefined {
  const own = p.section.directives.filter((d) => d.keyword === 'cookie').at(-1);
  if (own) return stickinessOf(own.args);
  const c = p.cookie;
  if (!c || c.mode === 'passive') return undefined;
  const seconds = (ms: number): string => `${ms / 1000}s`;
  const extra = [
    ...(c.preserve ? ['preserve'] : []), ...(c.postonly ? ['postonly'] : []), ...(c.dynamic ? ['dynamic'] : []),
    ...c.domains.flatMap((d) => ['domain', d]), ...c.attrs.flatMap((a) => ['attr', a]),
    ...(c.maxidle !== undefined ? ['maxidle', seconds(c.maxidle)] : []), ...(c.maxlife !== undefined ? ['maxlife', seconds(c.maxlife)] : []),
  ];
  return {
    kind: 'cookie', cookie: c.name, mode: c.mode,
    ...(c.indirect ? { indirect: true } : {}), ...(c.nocache ? { nocache: true } : {}), ...(c.httponly ? { httponly: true } : {}), ...(c.secure ? { secure: true } : {}),
    ...(extra.length ? { extra } : {}),
  };
}

/** Options of a server line the forms own, and how many value words each takes. */
export const SERVER_OWNED_OPTIONS: Readonly<Record<string, number>> = { weight: 1, backup: 0, check: 0, inter: 1, fall: 1, rise: 1, maxconn: 1 };

/** The highest per-server connection limit the forms write (a larger one typed in the editor stays as written). */
export const SERVER_MAXCONN_MAX = 100000;

/** A `maxconn` value the form shows: a whole number from 1 to SERVER_MAXCONN_MAX (0, a larger one or a variable stay as written). */
function formMaxconn(v: string): boolean {
  return /^\d{1,6}$/.test(v) && Number(v) >= 1 && Number(v) <= SERVER_MAXCONN_MAX;
}
/** Server options taking one value (so a value word is never mistaken for an option). */
const SERVER_ONE_VALUE = new Set([
  'addr', 'agent-addr', 'agent-inter', 'agent-port', 'agent-send', 'alpn', 'ca-file', 'check-alpn', 'check-sni', 'ciphers', 'ciphersuites',
  'cookie', 'crl-file', 'crt', 'downinter', 'error-limit', 'fastinter', 'id', 'init-addr', 'log-proto', 'maxconn', 'maxqueue', 'minconn',
  'namespace', 'observe', 'on-error', 'on-marked-down', 'on-marked-up', 'pool-max-conn', 'pool-purge-delay', 'port', 'proto', 'redir',
  'resolve-net', 'resolve-opts', 'resolve-prefer', 'resolvers', 'slowstart', 'sni', 'source', 'ssl-max-ver', 'ssl-min-ver', 'tcp-ut',
  'track', 'verify', 'verifyhost', 'ws', 'usesrc', 'max-reuse', 'pool-low-conn', 'curves', 'sigalgs', 'client-sigalgs', 'set-proxy-v2-tlv-fmt',
  'agent-check-port', 'check-proto', 'check-send-proxy-v2', 'npn', 'shard', 'weight',
]);

/** Splits the words of a server line after its address into the forms' options and the others (kept). */
export function splitServerOptions(args: readonly string[]): { owned: Record<string, string | true>; extra: string[] } {
  const owned: Record<string, string | true> = {};
  const extra: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (w === 'maxconn' && (!formMaxconn(args[i + 1] ?? '') || owned.maxconn !== undefined)) {
      // A limit the form cannot show (or a second one) rides along as written.
      extra.push(w);
      if (i + 1 < args.length) extra.push(args[++i]!);
    } else if (w in SERVER_OWNED_OPTIONS) {
      if (SERVER_OWNED_OPTIONS[w] === 1) owned[w] = args[++i] ?? '';
      else owned[w] = true;
    } else if (SERVER_ONE_VALUE.has(w)) {
      extra.push(w);
      if (i + 1 < args.length) extra.push(args[++i]!);
    } else extra.push(w);
  }
  return { owned, extra };
}

/** `127.0.0.1:80`, `[::1]:80`, `::1:80`, `host:80` → address and port (port 0 when absent or not numeric). */
export function splitAddress(text: string): { address: string; port: number } {
  const bracket = /^\[([^\]]*)\]:(\d+)$/.exec(text);
  if (bracket) return { address: bracket[1]!, port: Number(bracket[2]) };
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { address: text, port: 0 };
  const port = Number(text.slice(colon + 1));
  return { address: text.slice(0, colon), port: Number.isInteger(port) ? port : 0 };
}

/** An address word the form can show: one address (or none) and one port. */
const SIMPLE_BIND = /^(\*|\[[^\]]*\]|[^,\s/]*):(\d{1,5})$/;

export function bindSpec(d: Directive): BindSpec {
  const [addr = '', ...rest] = d.args;
  const simple = SIMPLE_BIND.test(addr);
  const { address, port } = simple ? splitAddress(addr) : { address: '', port: 0 };
  let ssl = false;
  let crt: string | undefined;
  let verify: BindSpec['verify'];
  let caFile: string | undefined;
  let crlFile: string | undefined;
  const extra: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    const next = rest[i + 1];
    if (w === 'ssl') ssl = true;
    else if (w === 'crt' && crt === undefined) crt = rest[++i];
    else if (w === 'verify' && verify === undefined && (next === 'none' || next === 'optional' || next === 'required')) {
      verify = next;
      i++;
    }
    else if (w === 'ca-file' && caFile === undefined && next !== undefined) caFile = rest[++i];
    else if (w === 'crl-file' && crlFile === undefined && next !== undefined) crlFile = rest[++i];
    else extra.push(w);
  }
  return {
    address: address === '*' ? '' : address, port,
    ...(ssl ? { ssl } : {}), ...(crt !== undefined ? { crt } : {}),
    ...(verify !== undefined ? { verify } : {}), ...(caFile !== undefined ? { caFile } : {}), ...(crlFile !== undefined ? { crlFile } : {}),
    ...(extra.length ? { extra } : {}), ...(simple ? {} : { raw: addr }),
  };
}

function routingRules(section: Section, acls: ReadonlyMap<string, RuleMatch>): RoutingRule[] {
  return section.directives.filter((d) => d.keyword === 'use_backend').map((d) => {
    const [backend = '', ...cond] = d.args;
    const name = cond[1];
    if (cond.length === 2 && cond[0] === 'if' && name !== undefined && acls.has(name)) return { backend, match: acls.get(name)!, aclName: name };
    return { backend, raw: d.source?.typed ? d.source.typed.slice(1).filter((t) => t !== '').join(' ') : cond.join(' ') };
  });
}

export function healthCheck(p: BalancingProxy): HealthCheckSpec {
  const first = p.servers.find((s) => s.options.check);
  // The form shows a timing only where it differs from what a bare server line gets.
  const timing = {
    ...(first && first.options.inter !== BUILTIN_SERVER.inter ? { interMs: first.options.inter } : {}),
    ...(first && first.options.fall !== BUILTIN_SERVER.fall ? { fall: first.options.fall } : {}),
    ...(first && first.options.rise !== BUILTIN_SERVER.rise ? { rise: first.options.rise } : {}),
  };
  if (!first) return { type: 'none' };
  const httpchk = p.section.directives.find((d) => d.keyword === 'option httpchk');
  if (!httpchk) return { type: 'tcp', ...timing };
  const expect = p.section.directives.find((d) => backendCategory(d, p.section) === 'expect');
  const [method, path] = httpchk.args.length >= 2 ? httpchk.args : httpchk.args.length === 1 ? ['OPTIONS', httpchk.args[0]] : [undefined, undefined];
  return {
    type: 'http',
    ...(method !== undefined ? { method } : {}),
    ...(path !== undefined ? { path } : {}),
    ...(expect ? { expectStatus: expectStatusOf(expect) } : {}),
    ...timing,
  };
}

export function balanceSpec(p: BalancingProxy): BalanceSpec {
  const b = p.balance;
  const argument = b.algorithm === 'hdr' || b.algorithm === 'rdp-cookie' ? b.header
    : b.algorithm === 'url_param' ? b.param
      : b.algorithm === 'random' && b.draws !== undefined ? String(b.draws)
        : b.algorithm === 'hash' ? b.expression : undefined;
  return { algorithm: b.algorithm, ...(argument !== undefined ? { argument } : {}) };
}

function serverSpecs(p: BalancingProxy): ServerSpec[] {
  return p.section.directives.filter((d) => d.keyword === 'server').map((d) => {
    const [name = '', addr = '', ...rest] = d.args;
    const { address, port } = splitAddress(addr);
    const { owned, extra } = splitServerOptions(rest);
    const weight = owned.weight !== undefined ? Number(owned.weight) : undefined;
    return {
      name, address, port,
      ...(weight !== undefined ? { weight } : {}),
      ...(owned.backup ? { backup: true } : {}),
      ...(owned.maxconn !== undefined ? { maxconn: Number(owned.maxconn) } : {}),
      check: owned.check === true,
      ...(extra.length ? { extra } : {}),
    };
  });
}

/** A `mailers` section as the form shows it. */
function mailersForm(m: Config['mailers'][number]): MailersForm {
  return {
    name: m.name,
    mailers: m.section.directives.filter((d) => d.keyword === 'mailer').map((d) => ({ name: d.args[0] ?? '', ...splitAddress(d.args[1] ?? '') })),
    unknownDirectives: m.section.directives.filter((d) => d.keyword !== 'mailer').length,
    line: m.section.loc.line,
  };
}

/** The forms' view of a parsed configuration. */
export function formModel(config: Config): FormModel {
  const frontends: FrontendForm[] = [];
  const backends: BackendForm[] = [];
  for (const p of config.proxies) {
    const section = p.section;
    if (p.kind === 'defaults') continue;
    const mode = p.mode;
    if (p.kind === 'frontend' || p.kind === 'listen') {
      const acls = ownedAcls(section);
      const redirect = section.directives.some(isHttpsRedirect);
      const unknown = section.directives.filter((d) => frontendCategory(d, acls, section) === undefined && (p.kind !== 'listen' || backendCategory(d, section) === undefined)).length;
      const own = ownStats(section);
      const statsUri = own ? (section.directives.filter((d) => d.keyword === 'stats uri').at(-1)?.args[0] ?? DEFAULT_STATS_URI) : undefined;
      const statsAuth = own ? section.directives.map(statsAuthOf).find((a) => a !== undefined) : undefined;
      const statsRefresh = own ? section.directives.map(statsRefreshOf).find((r) => r !== undefined) : undefined;
      const kept = statsKept(section);
      const metricsPath = section.directives.map(metricsPathOf).find((m) => m !== undefined);
      frontends.push({
        kind: p.kind,
        name: p.name,
        mode,
        binds: section.directives.filter((d) => d.keyword === 'bind').map(bindSpec),
        redirectToHttps: redirect,
        ...(statsUri !== undefined ? { statsUri } : {}),
        ...(statsAuth ? { statsAuth } : {}),
        ...(statsRefresh !== undefined ? { statsRefresh } : {}),
        ...(kept ? { statsKept: kept } : {}),
        ...(metricsPath !== undefined ? { metricsPath } : {}),
        rules: routingRules(section, acls),
        ...(p.defaultBackend ? { defaultBackend: p.defaultBackend.name } : {}),
        unknownDirectives: unknown,
        line: section.loc.line,
      });
    }
    if (p.kind === 'backend' || p.kind === 'listen') {
      const unknown = section.directives.filter((d) => backendCategory(d, section) === undefined && (p.kind !== 'listen' || frontendCategory(d, ownedAcls(section), section) === undefined)).length;
      backends.push({
        kind: p.kind,
        name: p.name,
        mode,
        balance: balanceSpec(p),
        servers: serverSpecs(p),
        healthCheck: healthCheck(p),
        ...(p.mode === 'http' && stickiness(p) ? { stickiness: stickiness(p) } : {}),
        ...(emailAlert(p) ? { emailAlert: emailAlert(p) } : {}),
        unknownDirectives: unknown,
        line: section.loc.line,
      });
    }
  }
  return { frontends, backends, mailers: config.mailers.map(mailersForm) };
}
