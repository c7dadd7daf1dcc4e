/**
 * The wizard's draft of a site (frontend + the backends it routes to) as
 * form fields, and the translation both ways: from the engine's form model
 * (editing an existing frontend or backend) and to the contract's structured
 * edits (`buildConfig`). Fields are strings while typed; numbers are checked
 * here, in plain words, at the field that is wrong. What the forms do not
 * show (bind and server options, raw conditions) rides along untouched.
 */
import type {
  BackendForm, BackendSpec, BalanceAlgorithm, BindSpec, ConfigEdit, EditProblem, FormModel, FrontendForm, FrontendSpec,
  HealthCheckSpec, RoutingRule, RuleMatch, ServerSpec, StickinessSpec,
} from '../../../proxy/control/contract.ts';
import { alertDraft, alertSpec, checkAlert, mailersEdit, type AlertDraft } from './email-alert.ts';
import { pemProblem } from './certs.ts';

export type SiteKind = 'http' | 'https' | 'tcp';

/** The highest Max connections a server takes in the forms (the engine's SERVER_MAXCONN_MAX). */
export const SERVER_MAXCONN_MAX = 100000;
/** The longest stats page refresh interval in seconds (the engine's STATS_REFRESH_MAX). */
export const STATS_REFRESH_MAX = 86400;
export type StepId = 'what' | 'listen' | 'tls' | 'routing' | 'servers' | 'balance' | 'health' | 'review';
export type WizardMode = { kind: 'new' } | { kind: 'frontend'; name: string } | { kind: 'backend'; name: string };
export type TlsChoice = 'none' | 'local-ca' | 'import' | 'existing';
/** Client certificates: not asked for, asked for (a visitor without one still gets in), required. */
export type ClientCertChoice = 'off' | 'optional' | 'required';
/** The CA client certificates are checked against: Loadstar's local CA, a CA file already stored or named by the text, or one imported now. */
export type ClientCaChoice = 'local' | 'stored' | 'import';
export type RuleKind = RuleMatch['kind'];

export interface ServerDraft {
  name: string;
  address: string;
  port: string;
  weight: string;
  backup: boolean;
  /** Max connections at once (`maxconn`): a whole number from 1 to 100000; empty or absent: no limit. */
  maxconn?: string;
  /** Kept from the text: options the form does not show, the check flag. */
  extra?: string[];
  check?: boolean;
  /** The server was in the text when the form opened (an edit form); absent for one added in the form. */
  fromText?: boolean;
  /** Its name in the text (an edit form): a rename keeps the server's line where it is. */
  originalName?: string;
}

export interface HealthDraft {
  type: HealthCheckSpec['type'];
  method: string;
  path: string;
  expectStatus: string;
  /** seconds */
  inter: string;
  fall: string;
  rise: string;
}

export interface BackendDraft {
  name: string;
  /** The backend's name in the text when editing one. */
  originalName?: string;
  mode: 'http' | 'tcp';
  algorithm: BalanceAlgorithm;
  argument: string;
  servers: ServerDraft[];
  health: HealthDraft;
  /**
   * The health-check kind as read from the text (an edit form): the servers'
   * own `check` flags ride along only while checks stay on (or stay off);
   * turning them on or off reaches every server, as the wizard writes new ones.
   */
  healthRead?: HealthCheckSpec['type'];
  /** Sticky sessions: off, a cookie Loadstar adds (insert), the application's own cookie (prefix/rewrite), the visitor's IP address (balance source). */
  sticky: StickyChoice;
  /** The cookie's name (cookie choices). */
  stickyCookie: string;
  /** Loadstar's cookie (insert): hidden from the servers, answers marked private, HttpOnly, Secure. */
  stickyIndirect: boolean;
  stickyNocache: boolean;
  stickyHttponly: boolean;
  stickySecure: boolean;
  /** The cookie line as read (its mode and the options the form does not show ride along). */
  stickyKept?: StickinessSpec;
  /** E-mail alerts on its servers' state changes. */
  alert: AlertDraft;
}

export type StickyChoice = 'off' | 'cookie' | 'app-cookie' | 'ip';

export const STICKY_CHOICES: Array<{ id: StickyChoice; text: string; hint: string; http?: boolean }> = [
  { id: 'off', text: 'Off', hint: 'Each request is balanced on its own.' },
  { id: 'cookie', text: 'By a cookie Loadstar adds (recommended)', hint: "The first answer sets a cookie naming the server; the visitor's browser sends it back and stays there. If that server stops, the visitor moves to another one.", http: true },
  { id: 'app-cookie', text: "By the application's own session cookie", hint: 'For an application that sets its own session cookie (JSESSIONID, PHPSESSID …): Loadstar adds the server to that cookie. It only works if the server sets this cookie.', http: true },
  { id: 'ip', text: "By the visitor's IP address", hint: 'Uses the "Source address" algorithm: the same address always reaches the same server. Visitors behind one address (an office, a phone network) all land on one server.' },
];

/** The default cookie name of a choice. */
export const STICKY_DEFAULT_COOKIE: Record<'cookie' | 'app-cookie', string> = { cookie: 'SERVERID', 'app-cookie': 'JSESSIONID' };

/** The sticky choice in words (review step, summaries). */
export function stickyWords(b: BackendDraft): string {
  if (b.mode === 'tcp' && (b.sticky === 'cookie' || b.sticky === 'app-cookie')) return 'off';
  switch (b.sticky) {
    case 'off': return 'off';
    case 'ip': return "by the visitor's IP address (source address balancing)";
    case 'cookie': {
      const opts = [b.stickyIndirect ? 'hidden from the servers' : '', b.stickyNocache ? 'kept out of shared caches' : '', b.stickyHttponly ? 'HttpOnly' : '', b.stickySecure ? 'Secure' : ''].filter((w) => w !== '');
      return `by a cookie Loadstar adds, ${b.stickyCookie}${opts.length ? ` (${opts.join(', ')})` : ''}`;
    }
    case 'app-cookie': return `by the application's cookie ${b.stickyCookie}`;
  }
}

/** Choosing a sticky choice: the IP address sets the source algorithm; leaving it goes back to round robin; a cookie choice gets its name as read, else its usual one. */
export function chooseSticky(b: BackendDraft, choice: StickyChoice): void {
  const was = b.sticky;
  b.sticky = choice;
  if (choice === 'ip') { b.algorithm = 'source'; b.argument = ''; }
  else if (was === 'ip' && b.algorithm === 'source') b.algorithm = 'roundrobin';
  // Loadstar's cookie and the application's are different cookies: switching between them never carries a name over.
  if ((choice === 'cookie' || choice === 'app-cookie') && (b.stickyCookie === '' || was !== choice)) {
    b.stickyCookie = b.stickyKept && (b.stickyKept.mode === 'insert') === (choice === 'cookie') ? b.stickyKept.cookie : STICKY_DEFAULT_COOKIE[choice];
  }
}

export interface RuleDraft {
  kind: RuleKind | 'raw';
  header: string;
  /** Values separated by spaces or commas (ORed). */
  values: string;
  backend: string;
  aclName?: string;
  /** A condition the forms cannot show, kept as written. */
  raw?: string;
}

export interface SiteDraft {
  kind: SiteKind;
  name: string;
  originalName?: string;
  address: string;
  port: string;
  tls: TlsChoice;
  /** Host names and IP addresses for a local-CA certificate. */
  certNames: string;
  /** The chosen certificate's path (issued, imported or picked). */
  certPath: string;
  importName: string;
  importPem: string;
  /**
   * The files of the certificates this wizard stored on its way (imported, or issued under a free
   * name): Cancel removes those no site uses (a new user expects Cancel to leave nothing behind).
   */
  storedCerts?: string[];
  redirect: boolean;
  httpPort: string;
  clientCerts: ClientCertChoice;
  clientCaChoice: ClientCaChoice;
  /** The CA file's path (stored, or resolved from the choice on Next). */
  clientCaPath: string;
  /** An imported CA certificate: its store name and PEM text. */
  clientCaName: string;
  clientCaPem: string;
  rules: RuleDraft[];
  defaultBackend: string;
  /** HAProxy's stats page at `statsUri` (`stats enable`, `stats uri`). */
  stats: boolean;
  statsUri: string;
  /** The stats page's login (`stats auth USER:PASSWORD`): both or neither; empty: open to anyone who reaches the site. */
  statsUser: string;
  statsPassword: string;
  /** The stats page reloads every N seconds (`stats refresh Ns`); empty: never. */
  statsRefresh: string;
  /**
   * The edited frontend's stats page is on through its own stats lines (`stats auth` …), which the
   * form leaves as written: shown on and locked (`stats` stays false, so no second `stats enable`).
   */
  statsKept?: { uri: string; keyword: string; line: number };
  /** Prometheus metrics at `metricsPath` (`http-request use-service prometheus-exporter`). */
  metrics: boolean;
  metricsPath: string;
  /** The backends this wizard creates or edits. */
  backends: BackendDraft[];
  /** Original binds the form does not show (extra listeners of an edited frontend), written back as they are. */
  keptBinds: BindSpec[];
  /** The original main bind (its options, a raw address) when editing. */
  mainBind?: BindSpec;
  httpBind?: BindSpec;
}

export type FieldErrors = Record<string, string>;

export const STEP_TITLES: Record<StepId, string> = {
  what: 'What',
  listen: 'Listen',
  tls: 'TLS',
  routing: 'Routing',
  servers: 'Servers',
  balance: 'Balancing',
  health: 'Health checks',
  review: 'Review',
};

/**
 * The steps of a mode. Editing a frontend whose routing names backends that do
 * not exist yet (`newBackends`, filled by syncBackends) adds the steps that
 * create them, as for a new site; a new site whose routing names only
 * backends that exist (`newBackends` false, see createsBackends) has none.
 */
export function stepsFor(mode: WizardMode, kind: SiteKind, newBackends = mode.kind === 'new'): StepId[] {
  if (mode.kind === 'backend') return ['servers', 'balance', 'health', 'review'];
  const create: StepId[] = newBackends ? ['servers', 'balance', 'health'] : [];
  if (mode.kind === 'frontend') {
    return kind === 'tcp' ? ['listen', 'routing', ...create, 'review'] : ['listen', 'tls', 'routing', ...create, 'review'];
  }
  return kind === 'tcp' ? ['what', 'listen', 'routing', ...create, 'review'] : ['what', 'listen', 'tls', 'routing', ...create, 'review'];
}

/**
 * A new site creates backends unless its routing names only backends that exist
 * (then its Servers, Balancing and Health steps would have nothing to show: the
 * backends stay as they are). Nothing named yet counts as creating one.
 */
export function createsBackends(d: SiteDraft, model: FormModel | null): boolean {
  const named = [...d.rules.map((r) => r.backend.trim()), d.defaultBackend.trim()].filter((n) => n !== '');
  const existing = new Set(model?.backends.map((b) => b.name) ?? []);
  return named.length === 0 || named.some((n) => !existing.has(n));
}

export const RULE_TEXT: Record<RuleKind, string> = {
  'host-is': 'Host is',
  'path-begins': 'Path begins with',
  'path-is': 'Path is',
  'source-in': 'Source address in',
  'sni-is': 'TLS server name (SNI) is',
  'header-contains': 'Header contains',
};

export const RULE_PLACEHOLDER: Record<RuleKind, string> = {
  'host-is': 'api.example.com',
  'path-begins': '/static/',
  'path-is': '/login',
  'source-in': '192.168.1.0/24',
  'sni-is': 'git.home.arpa',
  'header-contains': 'bot',
};

/** One line per algorithm, in plain words (the engine's own line comes with the predicted split). */
/** `http`: HAProxy hashes this only in HTTP mode; a TCP backend falls back to round robin (with a warning at load). */
export const ALGORITHMS: Array<{ id: BalanceAlgorithm; text: string; argument?: string; http?: boolean }> = [
  { id: 'roundrobin', text: 'Round robin — each server in turn, more often for a higher weight.' },
  { id: 'leastconn', text: 'Least connections — the server with the fewest open connections; good for long requests.' },
  { id: 'source', text: 'Source address — the same client address always reaches the same server.' },
  { id: 'static-rr', text: 'Static round robin — each server in turn; weights cannot change while running.' },
  { id: 'first', text: 'First available — fill the first server up to its limit, then the next.' },
  { id: 'uri', text: 'Path — the same URL path always reaches the same server (good for caches).', http: true },
  { id: 'url_param', text: 'URL parameter — the same value of a query parameter reaches the same server.', argument: 'Parameter name', http: true },
  { id: 'hdr', text: 'Header — the same value of a request header reaches the same server.', argument: 'Header name', http: true },
  { id: 'random', text: 'Random — a random server, the less loaded of two draws.', argument: 'Draws (default 2)' },
  { id: 'rdp-cookie', text: 'RDP cookie — Remote Desktop clients stick to their server.', argument: 'Cookie name (default mstshash)' },
  { id: 'hash', text: 'Expression — the same value of a sample expression (a cookie, a header, …) reaches the same server.', argument: 'Sample expression, e.g. req.cook(sid),lower' },
];

/**
 * "First available" with no limit on any server it fills: `balance first` sends every request to
 * the first server then (a server takes the next only when the one before is full). The note in
 * words, or '' when the backend balances otherwise or a regular server has Max connections.
 */
export function firstWithoutLimit(b: Pick<BackendDraft, 'algorithm' | 'servers'>): string {
  if (b.algorithm !== 'first') return '';
  const regular = b.servers.filter((s) => !s.backup);
  if (regular.length === 0 || regular.some((s) => (s.maxconn ?? '').trim() !== '')) return '';
  return 'Set Max connections on the servers (Servers step): without a limit the first server gets every request, and the others only when it is down.';
}

/** The algorithms offered for a backend: the HTTP-only ones for an HTTP backend, or the one a TCP backend already has. */
export function algorithmsFor(b: Pick<BackendDraft, 'mode' | 'algorithm'>): typeof ALGORITHMS {
  return ALGORITHMS.filter((a) => !a.http || b.mode === 'http' || a.id === b.algorithm);
}

const NAME = /^[A-Za-z0-9_.:-]+$/;
const COOKIE_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

export function emptyServer(index: number, port = ''): ServerDraft {
  return { name: `server${index + 1}`, address: '', port, weight: '1', backup: false, maxconn: '' };
}

export function defaultHealth(): HealthDraft {
  return { type: 'tcp', method: 'GET', path: '/', expectStatus: '', inter: '2', fall: '3', rise: '2' };
}

export function newBackend(name: string, mode: 'http' | 'tcp', model?: FormModel | null): BackendDraft {
  return { name, mode, algorithm: 'roundrobin', argument: '', servers: [emptyServer(0)], health: defaultHealth(), ...noSticky(), alert: alertDraft(undefined, model) };
}

function noSticky(): Pick<BackendDraft, 'sticky' | 'stickyCookie' | 'stickyIndirect' | 'stickyNocache' | 'stickyHttponly' | 'stickySecure'> {
  return { sticky: 'off', stickyCookie: '', stickyIndirect: true, stickyNocache: true, stickyHttponly: true, stickySecure: false };
}

/** `base`, else `base2`, `base3` … : the first that `taken` does not hold. */
export function freeName(base: string, taken: readonly string[]): string {
  if (!taken.includes(base)) return base;
  for (let i = 2; ; i++) if (!taken.includes(`${base}${i}`)) return `${base}${i}`;
}

/**
 * A new site's draft. With the running configuration's `model`, the suggested
 * frontend and default backend names are free ones: a second HTTP site is
 * offered http_frontend2 and web_backend2, not names that exist already (the
 * first stops the step with an error, the second silently routes the new site
 * to the old site's servers).
 */
export function newSite(kind: SiteKind, model?: { frontends: ReadonlyArray<{ name: string }>; backends: ReadonlyArray<{ name: string }> } | null): SiteDraft {
  const frontends = model?.frontends.map((f) => f.name) ?? [];
  const backends = model?.backends.map((b) => b.name) ?? [];
  return {
    kind,
    name: freeName(kind === 'tcp' ? 'tcp_service' : kind === 'https' ? 'https_frontend' : 'http_frontend', frontends),
    address: '',
    port: kind === 'https' ? '443' : kind === 'tcp' ? '' : '80',
    tls: kind === 'https' ? 'local-ca' : 'none',
    certNames: '',
    certPath: '',
    importName: '',
    importPem: '',
    redirect: kind === 'https',
    httpPort: '80',
    clientCerts: 'off',
    clientCaChoice: 'local',
    clientCaPath: '',
    clientCaName: '',
    clientCaPem: '',
    rules: [],
    defaultBackend: freeName(kind === 'tcp' ? 'tcp_backend' : 'web_backend', backends),
    stats: false,
    statsUri: '/stats',
    statsUser: '',
    statsPassword: '',
    statsRefresh: '',
    metrics: false,
    metricsPath: '/metrics',
    backends: [],
    keptBinds: [],
  };
}

/**
 * What the HTTP → HTTPS redirect does when the site's HTTPS port is not 443,
 * in words ('' when it is 443 or there is no redirect). `redirect scheme
 * https` keeps the Host the browser sent and changes only the scheme, as
 * HAProxy does: https://name/ is port 443, and https://name:8080/ (the plain
 * port kept in Host) is no TLS port at all, so neither reaches the site.
 */
export function redirectNote(d: SiteDraft): string {
  const port = d.port.trim();
  if (d.tls === 'none' || !d.redirect || port === '' || port === '443') return '';
  return `The redirect keeps the address the browser asked for and only changes http:// into https://, so it leads to port 443 (or to the plain HTTP port, when the address names it), not to port ${port} where this site listens. Listen on port 443 for HTTPS, or leave the redirect off and give visitors https://…:${port}/.`;
}

/**
 * What a *Host is* rule misses on a site that listens on another port than its scheme's own (80, or
 * 443 with TLS): browsers send `Host: name:port` there, and HAProxy's `hdr(host)` compares the whole
 * value, so `name` alone never matches. The `name:port` values to add (for each value without a port
 * whose variant is not there yet); empty when none is missing.
 */
export function hostValuesWithPort(d: Pick<SiteDraft, 'kind' | 'port' | 'tls'>, rule: Pick<RuleDraft, 'kind' | 'values'>): string[] {
  const port = d.port.trim();
  if (rule.kind !== 'host-is' || d.kind === 'tcp' || !/^\d+$/.test(port) || port === (d.tls === 'none' ? '80' : '443')) return [];
  const values = words(rule.values);
  const have = new Set(values.map((v) => v.toLowerCase()));
  // A value with a port already (`name:8080`, `[::1]:8080`) is left alone; a bare IPv6 address cannot take one.
  return values.filter((v) => !/:\d+$/.test(v) && !v.includes(':') && !have.has(`${v}:${port}`.toLowerCase())).map((v) => `${v}:${port}`);
}

/**
 * What is wrong with an IP address or network of a "Source address in" rule, in words, or undefined:
 * IPv4 with a prefix up to /32, IPv6 with one up to /128.
 */
export function badNetwork(value: string): string | undefined {
  const [ip = '', prefix, more] = value.split('/');
  const v6 = ip.includes(':');
  const max = v6 ? 128 : 32;
  const example = 'e.g. 192.168.1.0/24 or 10.0.0.5';
  if (more !== undefined || !(v6 ? /^[0-9a-fA-F:.]+$/.test(ip) && ip.split('::').length <= 2 : badIpv4(ip) === undefined && /^[\d.]+$/.test(ip))) {
    return `${value} is not an IP address or network: ${example}.`;
  }
  if (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= max)) {
    return `${value}: the number after '/' is the network's size, from 0 to ${max} for ${v6 ? 'IPv6' : 'IPv4'} (${example}).`;
  }
  return undefined;
}

/**
 * What is wrong with a value of a "Host is" rule, in words, or undefined: browsers send the host
 * name alone (a port after it off the usual one), so a web address or a path would never match.
 */
export function badHostValue(value: string): string | undefined {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(value);
  const rest = scheme ? value.slice(scheme[0].length) : value;
  if (!scheme && !/[/?#]/.test(rest)) return undefined;
  const host = /^[^/?#]*/.exec(rest)![0];
  return `${value} would never match: browsers send the host name alone, ${host ? `${host} ` : ''}(without ${scheme ? scheme[0] : 'a path'}${scheme && /[/?#]/.test(rest) ? ' or a path' : ''}).`;
}

/** Words of a values field: `a.example, b.example` → ['a.example', 'b.example']. */
export function words(text: string): string[] {
  return text.split(/[\s,]+/).filter((w) => w !== '');
}

function healthDraft(h: HealthCheckSpec): HealthDraft {
  return {
    type: h.type,
    method: h.method ?? 'GET',
    path: h.path ?? '/',
    expectStatus: h.expectStatus === undefined ? '' : String(h.expectStatus),
    inter: String((h.interMs ?? 2000) / 1000),
    fall: String(h.fall ?? 3),
    rise: String(h.rise ?? 2),
  };
}

export function backendDraft(form: BackendForm, model?: FormModel | null): BackendDraft {
  return {
    name: form.name,
    originalName: form.name,
    mode: form.mode,
    algorithm: form.balance.algorithm,
    argument: form.balance.argument ?? '',
    servers: form.servers.map((s) => ({
      name: s.name, address: s.address, port: String(s.port), weight: String(s.weight ?? 1), backup: s.backup ?? false, maxconn: s.maxconn !== undefined ? String(s.maxconn) : '',
      ...(s.extra ? { extra: [...s.extra] } : {}), ...(s.check !== undefined ? { check: s.check } : {}), fromText: true, originalName: s.name,
    })),
    health: healthDraft(form.healthCheck),
    healthRead: form.healthCheck.type,
    ...stickyDraft(form),
    alert: alertDraft(form.emailAlert, model),
  };
}

function stickyDraft(form: BackendForm): Pick<BackendDraft, 'sticky' | 'stickyCookie' | 'stickyIndirect' | 'stickyNocache' | 'stickyHttponly' | 'stickySecure' | 'stickyKept'> {
  const st = form.stickiness;
  if (!st) return { ...noSticky(), sticky: form.balance.algorithm === 'source' ? 'ip' : 'off' };
  return {
    sticky: st.mode === 'insert' ? 'cookie' : 'app-cookie',
    stickyCookie: st.cookie,
    stickyIndirect: st.indirect === true,
    stickyNocache: st.nocache === true,
    stickyHttponly: st.httponly === true,
    stickySecure: st.secure === true,
    stickyKept: st,
  };
}

/** The backend's stickiness as the contract takes it (undefined: none). */
export function stickinessSpec(b: BackendDraft): StickinessSpec | undefined {
  if (b.mode === 'tcp' || (b.sticky !== 'cookie' && b.sticky !== 'app-cookie')) return undefined;
  const kept = b.stickyKept;
  const extra = kept?.extra ? { extra: kept.extra } : {};
  if (b.sticky === 'app-cookie') {
    // The application's cookie: prefix, or rewrite when the text said so.
    return { kind: 'cookie', cookie: b.stickyCookie.trim(), mode: kept?.mode === 'rewrite' ? 'rewrite' : 'prefix', ...(kept && kept.mode !== 'insert' ? { ...(kept.indirect ? { indirect: true } : {}), ...(kept.nocache ? { nocache: true } : {}), ...(kept.httponly ? { httponly: true } : {}), ...(kept.secure ? { secure: true } : {}) } : {}), ...extra };
  }
  return {
    kind: 'cookie', cookie: b.stickyCookie.trim(), mode: 'insert',
    ...(b.stickyIndirect ? { indirect: true } : {}), ...(b.stickyNocache ? { nocache: true } : {}), ...(b.stickyHttponly ? { httponly: true } : {}), ...(b.stickySecure ? { secure: true } : {}),
    ...extra,
  };
}

export function frontendDraft(form: FrontendForm): SiteDraft {
  const main = form.binds.find((b) => b.ssl) ?? form.binds[0];
  const httpBind = form.redirectToHttps ? form.binds.find((b) => b !== main && !b.ssl && b.raw === undefined) : undefined;
  const tlsOn = main?.ssl === true;
  return {
    ...newSite(form.mode === 'tcp' ? 'tcp' : tlsOn ? 'https' : 'http'),
    name: form.name,
    originalName: form.name,
    address: main?.raw ?? main?.address ?? '',
    port: main?.raw !== undefined ? '' : String(main?.port ?? ''),
    tls: tlsOn ? 'existing' : 'none',
    certPath: main?.crt ?? '',
    redirect: form.redirectToHttps,
    httpPort: httpBind ? String(httpBind.port) : '80',
    clientCerts: main?.ssl && (main.verify === 'optional' || main.verify === 'required') ? main.verify : 'off',
    clientCaChoice: main?.caFile !== undefined ? 'stored' : 'local',
    clientCaPath: main?.caFile ?? '',
    rules: form.rules.map((r) => r.match
      ? { kind: r.match.kind, header: r.match.kind === 'header-contains' ? r.match.header : '', values: r.match.values.join(' '), backend: r.backend, ...(r.aclName ? { aclName: r.aclName } : {}) }
      : { kind: 'raw', header: '', values: '', backend: r.backend, ...(r.raw !== undefined ? { raw: r.raw } : {}) }),
    defaultBackend: form.defaultBackend ?? '',
    stats: form.statsUri !== undefined,
    statsUri: form.statsUri ?? '/stats',
    statsUser: form.statsAuth?.user ?? '',
    statsPassword: form.statsAuth?.password ?? '',
    statsRefresh: form.statsRefresh !== undefined ? String(form.statsRefresh) : '',
    ...(form.statsKept ? { statsKept: form.statsKept } : {}),
    metrics: form.metricsPath !== undefined,
    metricsPath: form.metricsPath ?? '/metrics',
    keptBinds: form.binds.filter((b) => b !== main && b !== httpBind),
    ...(main ? { mainBind: main } : {}),
    ...(httpBind ? { httpBind } : {}),
  };
}

function int(text: string): number {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
}

// ---------------------------------------------------------------- checks per step

function checkName(errors: FieldErrors, field: string, value: string, what: string): void {
  if (value.trim() === '') errors[field] = `Give the ${what} a name.`;
  else if (!NAME.test(value)) errors[field] = `Use letters, digits, '_', '.', ':' or '-' only (no spaces) in the ${what}'s name.`;
}

/**
 * An address of digits and dots only is meant as an IPv4 address: four numbers
 * from 0 to 255, or it is refused here in words (otherwise it would be looked up
 * as a host name and fail with a resolver's message).
 */
export function badIpv4(address: string): string | undefined {
  const a = address.trim();
  if (!/^[\d.]+$/.test(a)) return undefined;
  const parts = a.split('.');
  if (parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return `${a} is not an IP address: use four numbers from 0 to 255 separated by dots (e.g. 127.0.0.1)`;
}

/**
 * What is wrong with an address typed in an address field (listen or server), in words, or
 * undefined. Besides an impossible IPv4 address (badIpv4): a URL ("http://nas:8080") and an
 * address with its port ("nas:8080", "[fd00::1]:8080") belong in two fields; a name of letters,
 * digits, '.', '_' and '-' only must not have an empty part ("nas..home") nor a part that begins
 * or ends with '-' (HAProxy: "could not resolve address", at startup). Other shapes (IPv6,
 * "unix@…", "${VAR}") are left to the engine.
 */
export function badAddress(address: string): string | undefined {
  const a = address.trim();
  const url = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/:?#]*|\[[^\]]*\])(?::(\d+))?/.exec(a);
  if (url) return `${a} is a web address: enter the ${url[2] ? `host only (${url[2]})` : 'host only'}, without ${url[1]}://${url[3] ? `, and its port (${url[3]}) in the Port field` : ''}`;
  const withPort = /^([^:@\[\]\s]+|\[[^\]]+\]):(\d+)$/.exec(a);
  if (withPort) return `Put the port in the Port field: address ${withPort[1]!.replace(/^\[|\]$/g, '')}, port ${withPort[2]}`;
  if (/^[A-Za-z0-9._-]+$/.test(a) && !/^[\d.]+$/.test(a)) {
    const parts = a.replace(/\.$/, '').split('.');
    if (parts.some((p) => p === '' || p.startsWith('-') || p.endsWith('-'))) {
      return `${a} is not a host name: use letters, digits and '-' between single dots, e.g. nas.home.arpa`;
    }
  }
  return badIpv4(a);
}

/** A listen check's reason that is about the address, not the port (no such address here, a name that does not resolve). */
export function listenReasonIsAddress(reason: string | undefined): boolean {
  return reason !== undefined && /has no address|ENOTFOUND|EAI_AGAIN|cannot be resolved/.test(reason);
}

function checkPort(errors: FieldErrors, field: string, value: string): void {
  const p = int(value);
  if (value.trim() === '') errors[field] = 'Enter a port number (1 to 65535).';
  else if (!(p >= 1 && p <= 65535)) errors[field] = `${value} is not a port: use a whole number from 1 to 65535.`;
}

/** The site's name: a valid name that no other frontend has (its own, when edited, is fine). */
function checkSiteName(errors: FieldErrors, d: SiteDraft, model: FormModel | null): void {
  checkName(errors, 'name', d.name, 'site');
  if (!errors.name && model?.frontends.some((f) => f.name === d.name && f.name !== d.originalName)) {
    errors.name = `A frontend named '${d.name}' exists already: choose another name, or edit that one from the configuration screen.`;
  }
}

/** Local checks of one step (the engine's checks run on Next where they need it). */
export function checkStep(step: StepId, d: SiteDraft, model: FormModel | null, mode: WizardMode): FieldErrors {
  const errors: FieldErrors = {};
  switch (step) {
    case 'what':
      checkSiteName(errors, d, model);
      break;
    case 'listen':
      // Editing a frontend, its name is asked here (there is no What step).
      if (mode.kind === 'frontend') checkSiteName(errors, d, model);
      if (/[\s,]/.test(d.address)) errors['listen.address'] = 'One IP address or host name, without spaces; leave it empty for every address.';
      else if (d.address !== d.mainBind?.raw && badAddress(d.address)) errors['listen.address'] = `${badAddress(d.address)}; leave it empty for every address.`;
      if (!(d.mainBind?.raw !== undefined && d.port === '')) checkPort(errors, 'listen.port', d.port);
      break;
    case 'tls':
      if (d.tls === 'local-ca' && words(d.certNames).length === 0) errors['tls.names'] = 'Enter at least one host name or IP address the certificate is for (e.g. app.home.arpa).';
      if (d.tls === 'import') {
        checkName(errors, 'tls.importName', d.importName, 'certificate');
        // The store's own rule (proxy/certs/names.ts): the name becomes a file name.
        if (!errors['tls.importName'] && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(d.importName)) {
          errors['tls.importName'] = "Up to 64 letters, digits, '.', '_' or '-', starting with a letter or digit (the file becomes <name>.pem).";
        }
        const pem = pemProblem(d.importPem, 'Paste the PEM text (certificate and private key, "-----BEGIN …") or choose a .pem file.');
        if (pem) errors['tls.pem'] = pem;
      }
      if (d.tls === 'existing' && d.certPath === '') errors['tls.existing'] = 'Choose a certificate.';
      if (d.tls !== 'none' && d.clientCerts !== 'off') {
        if (d.clientCaChoice === 'stored' && d.clientCaPath === '') errors['tls.clientCa'] = 'Choose the CA that issued your visitors\' certificates.';
        if (d.clientCaChoice === 'import') {
          if (d.clientCaName.trim() === '') errors['tls.clientCaName'] = 'Give the CA a name to store it under, e.g. home-clients (the file becomes <name>.pem).';
          else if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(d.clientCaName)) errors['tls.clientCaName'] = "Up to 64 letters, digits, '.', '_' or '-', starting with a letter or digit (the file becomes <name>.pem).";
          const caPem = pemProblem(d.clientCaPem, 'Paste the CA certificate ("-----BEGIN CERTIFICATE-----", no private key) or choose its .pem or .crt file.', '-----BEGIN CERTIFICATE-----');
          if (caPem) errors['tls.clientCaPem'] = caPem;
        }
      }
      if (d.tls !== 'none' && d.redirect) {
        checkPort(errors, 'tls.httpPort', d.httpPort);
        if (!errors['tls.httpPort'] && d.httpPort.trim() === d.port.trim()) errors['tls.httpPort'] = 'The plain HTTP port must differ from the HTTPS port.';
      }
      break;
    case 'routing':
      d.rules.forEach((r, i) => {
        if (r.kind !== 'raw') {
          const vals = words(r.values);
          if (vals.length === 0) errors[`rules.${i}.values`] = 'Enter at least one value.';
          else if ((r.kind === 'path-begins' || r.kind === 'path-is') && !vals.every((v) => v.startsWith('/'))) errors[`rules.${i}.values`] = "A path starts with '/' (e.g. /static/).";
          else if (r.kind === 'source-in' && vals.some((v) => badNetwork(v))) errors[`rules.${i}.values`] = vals.map(badNetwork).find((m) => m)!;
          else if (r.kind === 'host-is' && vals.some((v) => badHostValue(v))) errors[`rules.${i}.values`] = vals.map(badHostValue).find((m) => m)!;
          if (r.kind === 'header-contains' && !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(r.header)) errors[`rules.${i}.header`] = 'The header name, e.g. User-Agent.';
          else if (r.kind === 'sni-is' && !vals.every((v) => /^[A-Za-z0-9_.-]+$/.test(v))) errors[`rules.${i}.values`] = 'Host names as the clients ask for them, e.g. git.home.arpa.';
          if (d.kind === 'tcp' && r.kind !== 'source-in' && r.kind !== 'sni-is') errors[`rules.${i}.kind`] = 'A TCP service routes by the TLS server name (SNI) or the source address.';
          if (d.kind !== 'tcp' && r.kind === 'sni-is') errors[`rules.${i}.kind`] = 'The TLS server name is for a TCP service passing TLS through; a web site routes by Host.';
        }
        checkName(errors, `rules.${i}.backend`, r.backend, 'backend');
      });
      if (d.defaultBackend.trim() !== '' || mode.kind === 'new') checkName(errors, 'defaultBackend', d.defaultBackend, 'default backend');
      if (d.kind !== 'tcp') {
        const page = (on: boolean, path: string, field: string): void => {
          if (!on) return;
          if (!/^\/[^\s{}#"'\\]*$/.test(path.trim())) errors[field] = "A path starting with '/', without spaces, braces, quotes or '#', e.g. /stats.";
        };
        page(d.stats, d.statsUri, 'pages.statsUri');
        page(d.metrics, d.metricsPath, 'pages.metricsPath');
        // '/' is right for a site that is only the stats page (HAProxy's usual `listen stats`): nothing else to take.
        const routes = d.rules.length > 0 || d.defaultBackend.trim() !== '';
        if (d.stats && routes && !errors['pages.statsUri'] && d.statsUri.trim() === '/') errors['pages.statsUri'] = "The stats page answers every path that begins with this one: '/' would take the whole site. Use e.g. /stats.";
        if (d.stats) Object.assign(errors, checkStatsExtras(d));
        if (d.stats && d.metrics && !errors['pages.metricsPath'] && d.metricsPath.trim() === d.statsUri.trim()) errors['pages.metricsPath'] = 'Use a path other than the stats page\'s.';
      }
      break;
    case 'servers':
      d.backends.forEach((b, bi) => {
        checkName(errors, `backends.${bi}.name`, b.name, 'backend');
        if (b.servers.length === 0) errors[`backends.${bi}.servers`] = 'Add at least one server.';
        const seen = new Set<string>();
        b.servers.forEach((s, si) => {
          const at = `backends.${bi}.servers.${si}`;
          checkName(errors, `${at}.name`, s.name, 'server');
          if (!errors[`${at}.name`] && seen.has(s.name)) errors[`${at}.name`] = `Two servers are named '${s.name}'.`;
          seen.add(s.name);
          if (s.address.trim() === '') errors[`${at}.address`] = 'Enter the server\'s IP address or host name.';
          else if (/[\s,]/.test(s.address)) errors[`${at}.address`] = 'One address, without spaces.';
          else if (badAddress(s.address)) errors[`${at}.address`] = `${badAddress(s.address)}.`;
          checkPort(errors, `${at}.port`, s.port);
          const w = int(s.weight);
          if (!(w >= 0 && w <= 256)) errors[`${at}.weight`] = 'A weight is a whole number from 0 to 256 (0 = no new traffic).';
          const m = (s.maxconn ?? '').trim();
          if (m !== '' && !(int(m) >= 1 && int(m) <= SERVER_MAXCONN_MAX)) errors[`${at}.maxconn`] = `Max connections is a whole number from 1 to ${SERVER_MAXCONN_MAX}; leave it empty for no limit.`;
        });
      });
      break;
    case 'balance':
      d.backends.forEach((b, bi) => {
        if ((b.algorithm === 'hdr' || b.algorithm === 'url_param') && !NAME.test(b.argument)) {
          errors[`backends.${bi}.argument`] = b.algorithm === 'hdr' ? 'Enter the header to hash, e.g. Host.' : 'Enter the URL parameter to hash, e.g. user.';
        }
        if (b.algorithm === 'random' && b.argument !== '' && !(int(b.argument) >= 1)) errors[`backends.${bi}.argument`] = 'The number of draws is a whole number (2 is usual).';
        if (b.algorithm === 'hash' && b.argument.trim() === '') errors[`backends.${bi}.argument`] = 'Enter the expression to hash, e.g. req.cook(sid),lower or req.hdr(x-user).';
        if (b.mode === 'http' && (b.sticky === 'cookie' || b.sticky === 'app-cookie')) {
          const c = b.stickyCookie.trim();
          if (c === '') errors[`backends.${bi}.stickyCookie`] = b.sticky === 'cookie' ? 'Give the cookie a name, e.g. SERVERID.' : "Enter the name of the application's session cookie, e.g. JSESSIONID or PHPSESSID.";
          else if (!COOKIE_NAME.test(c)) errors[`backends.${bi}.stickyCookie`] = "A cookie name is letters, digits and !#$%&'*+.^_`|~- only: no spaces, '=', ';' or quotes.";
        }
      });
      break;
    case 'health':
      d.backends.forEach((b, bi) => {
        Object.assign(errors, checkAlert(b.alert, `backends.${bi}.alert`));
        const h = b.health;
        const at = `backends.${bi}.health`;
        if (h.type === 'none') return;
        if (h.type === 'http') {
          if (!h.path.startsWith('/') || /\s/.test(h.path)) errors[`${at}.path`] = "A path starting with '/', e.g. /health.";
          if (!/^[A-Z]+$/.test(h.method)) errors[`${at}.method`] = 'An HTTP method in capitals, e.g. GET or HEAD.';
          const status = badExpectStatus(h.expectStatus);
          if (status) errors[`${at}.expectStatus`] = status;
        }
        const inter = secondsOf(h.inter);
        if (!(inter >= 0.1 && inter <= 3600)) errors[`${at}.inter`] = 'A number of seconds from 0.1 to 3600, e.g. 2.';
        if (!(int(h.fall) >= 1 && int(h.fall) <= 100)) errors[`${at}.fall`] = 'A whole number from 1 to 100.';
        if (!(int(h.rise) >= 1 && int(h.rise) <= 100)) errors[`${at}.rise`] = 'A whole number from 1 to 100.';
      });
      break;
    case 'review':
      break;
  }
  return errors;
}

/** The stats page's login and refresh interval, at their fields: both halves of the login or neither, no ':' in the user name. */
function checkStatsExtras(d: Pick<SiteDraft, 'statsUser' | 'statsPassword' | 'statsRefresh'>): FieldErrors {
  const errors: FieldErrors = {};
  const user = d.statsUser.trim();
  if (user.includes(':')) errors['pages.statsUser'] = "A user name cannot hold ':' (the line is user:password, split at the first ':').";
  else if (/[\x00-\x1f]/.test(user)) errors['pages.statsUser'] = 'A user name on one line.';
  else if (user === '' && d.statsPassword !== '') errors['pages.statsUser'] = 'Enter the user name too, or empty the password for a page without a login.';
  if (user !== '' && d.statsPassword === '') errors['pages.statsPassword'] = 'Enter the password too, or empty the user name for a page without a login.';
  else if (/[\x00-\x1f]/.test(d.statsPassword)) errors['pages.statsPassword'] = 'A password on one line.';
  const refresh = d.statsRefresh.trim();
  if (refresh !== '' && !(int(refresh) >= 1 && int(refresh) <= STATS_REFRESH_MAX)) errors['pages.statsRefresh'] = `A whole number of seconds from 1 to ${STATS_REFRESH_MAX}, e.g. 10; leave it empty for no reload.`;
  return errors;
}

/** Which step a field belongs to (errors from the engine are shown there): an edited frontend's name is on Listen. */
export function stepOfField(field: string, mode: WizardMode): StepId {
  if (field === 'name') return mode.kind === 'frontend' ? 'listen' : 'what';
  if (field.startsWith('listen.')) return 'listen';
  if (field.startsWith('tls.')) return 'tls';
  if (field.startsWith('rules.') || field.startsWith('pages.') || field === 'defaultBackend') return 'routing';
  if (/^backends\.\d+\.(argument|algorithm|sticky)/.test(field)) return 'balance';
  if (/^backends\.\d+\.(health|alert)/.test(field)) return 'health';
  return 'servers';
}

/** Seconds typed in a field: `2`, `0.5`, `2s`, `2 s`, `500ms` (HAProxy's units); NaN otherwise. */
export function secondsOf(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(s|ms)?\s*$/i.exec(text);
  if (!m) return NaN;
  return Number(m[1]) / (m[2]?.toLowerCase() === 'ms' ? 1000 : 1);
}

/**
 * What is wrong with an "Expected status" field, in words, or undefined: empty (any 2xx or 3xx),
 * a status (200), a range (200-399) or several separated by commas, as `http-check expect status` takes them.
 */
export function badExpectStatus(text: string): string | undefined {
  const t = text.replace(/\s+/g, '');
  if (t === '') return undefined;
  const words = 'A status from 100 to 599 (200), a range (200-399), several separated by commas, or empty for any 2xx or 3xx.';
  if (!/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/.test(t)) return words;
  for (const part of t.split(',')) {
    const [lo = 0, hi = lo] = part.split('-').map(Number);
    if (!(lo >= 100 && hi <= 599 && lo <= hi)) return `${part}: ${words}`;
  }
  return undefined;
}

// ---------------------------------------------------------------- to edits

export function healthSpec(h: HealthDraft): HealthCheckSpec {
  if (h.type === 'none') return { type: 'none' };
  const base: HealthCheckSpec = { type: h.type, interMs: Math.round(secondsOf(h.inter) * 1000), fall: int(h.fall), rise: int(h.rise) };
  if (h.type === 'http') {
    base.method = h.method;
    base.path = h.path;
    const status = h.expectStatus.replace(/\s+/g, '');
    if (status !== '') base.expectStatus = /^\d+$/.test(status) ? int(status) : status;
  }
  return base;
}

/** The value of a server's `cookie <value>` option (cookie persistence), if it has one. */
export function cookieValue(extra: readonly string[] | undefined): string | undefined {
  const at = extra?.indexOf('cookie') ?? -1;
  return at >= 0 ? extra![at + 1] : undefined;
}

/**
 * The `cookie` value a server added in the form gets: in a backend whose
 * servers stick clients with a cookie (`cookie SERVERID insert` and
 * `server a1 … cookie a1`, written by hand or imported), a new server without
 * one would never keep its clients. Its name, or the name with a number when
 * another server already uses that value. Undefined when the server is from
 * the text, has a value already, or the backend uses no cookie values.
 */
export function newServerCookie(b: BackendDraft, s: ServerDraft): string | undefined {
  if (s.fromText || cookieValue(s.extra) !== undefined || s.name.trim() === '') return undefined;
  const used = new Set(b.servers.flatMap((o) => (o === s ? [] : [cookieValue(o.extra)].filter((v): v is string => v !== undefined))));
  if (used.size === 0) return undefined;
  let value = s.name.trim();
  for (let n = 2; used.has(value); n++) value = `${s.name.trim()}${n}`;
  return value;
}

export function backendSpec(b: BackendDraft): BackendSpec {
  // Checks turned on or off in the form: the kind chosen decides for every server, not the flags as read.
  const keepCheck = b.healthRead === undefined || (b.healthRead === 'none') === (b.health.type === 'none');
  return {
    name: b.name,
    mode: b.mode,
    balance: { algorithm: b.algorithm, ...(b.argument !== '' ? { argument: b.argument } : {}) },
    servers: b.servers.map((s): ServerSpec => {
      const cookie = newServerCookie(b, s);
      const extra = cookie !== undefined ? [...(s.extra ?? []), 'cookie', cookie] : s.extra;
      return {
        name: s.name, address: s.address.trim(), port: int(s.port), weight: int(s.weight), backup: s.backup,
        ...((s.maxconn ?? '').trim() !== '' ? { maxconn: int(s.maxconn!) } : {}),
        ...(extra ? { extra } : {}), ...(s.check !== undefined && keepCheck ? { check: s.check } : {}),
        ...(s.originalName !== undefined && s.originalName !== s.name ? { previousName: s.originalName } : {}),
      };
    }),
    healthCheck: healthSpec(b.health),
    ...(stickinessSpec(b) ? { stickiness: stickinessSpec(b) } : {}),
    ...(alertSpec(b.alert) ? { emailAlert: alertSpec(b.alert) } : {}),
  };
}

function mainBindSpec(d: SiteDraft): BindSpec {
  const original = d.mainBind;
  const tls = d.kind !== 'tcp' && d.tls !== 'none';
  const unchangedRaw = original?.raw !== undefined && d.address === original.raw && d.port === '';
  const bind: BindSpec = unchangedRaw ? { address: '', port: 0, raw: original.raw } : { address: d.address.trim() === '*' ? '' : d.address.trim(), port: int(d.port) };
  if (tls) {
    bind.ssl = true;
    bind.crt = d.certPath;
  }
  const asked = original?.verify === 'optional' || original?.verify === 'required';
  if (tls && d.clientCerts !== 'off') {
    bind.verify = d.clientCerts;
    bind.caFile = d.clientCaPath;
    if (original?.crlFile !== undefined) bind.crlFile = original.crlFile;
  } else if (!asked) {
    // Settings the form does not show (`verify none`, a CA file for later) stay as they were.
    if (original?.verify !== undefined) bind.verify = original.verify;
    if (original?.caFile !== undefined) bind.caFile = original.caFile;
    if (original?.crlFile !== undefined) bind.crlFile = original.crlFile;
  }
  if (original?.extra) bind.extra = original.extra;
  return bind;
}

export function frontendSpec(d: SiteDraft): FrontendSpec {
  const tls = d.kind !== 'tcp' && d.tls !== 'none';
  const binds: BindSpec[] = [mainBindSpec(d)];
  if (tls && d.redirect) {
    binds.push({ address: d.address.trim() === '*' ? '' : d.address.trim(), port: int(d.httpPort), ...(d.httpBind?.extra ? { extra: d.httpBind.extra } : {}) });
  }
  binds.push(...d.keptBinds);
  const rules: RoutingRule[] = d.rules.map((r) => {
    if (r.kind === 'raw') return { backend: r.backend, ...(r.raw !== undefined ? { raw: r.raw } : {}) };
    const values = words(r.values);
    const match: RuleMatch = r.kind === 'header-contains' ? { kind: r.kind, header: r.header, values } : { kind: r.kind, values };
    return { backend: r.backend, match, ...(r.aclName ? { aclName: r.aclName } : {}) };
  });
  return {
    name: d.name,
    mode: d.kind === 'tcp' ? 'tcp' : 'http',
    binds,
    redirectToHttps: tls && d.redirect,
    ...(d.kind !== 'tcp' && d.stats ? { statsUri: d.statsUri.trim() } : {}),
    ...(d.kind !== 'tcp' && d.stats && d.statsUser.trim() !== '' ? { statsAuth: { user: d.statsUser.trim(), password: d.statsPassword } } : {}),
    ...(d.kind !== 'tcp' && d.stats && d.statsRefresh.trim() !== '' ? { statsRefresh: int(d.statsRefresh) } : {}),
    ...(d.kind !== 'tcp' && d.metrics ? { metricsPath: d.metricsPath.trim() } : {}),
    rules,
    ...(d.defaultBackend.trim() !== '' ? { defaultBackend: d.defaultBackend.trim() } : {}),
  };
}

export type EditOwner = { kind: 'frontend' } | { kind: 'backend'; index: number } | { kind: 'mailers'; index: number };

/** The edits a finished draft makes, with what each edit is (to map problems back to fields). */
export function editsOf(d: SiteDraft, mode: WizardMode, model?: FormModel | null): { edits: ConfigEdit[]; owners: EditOwner[] } {
  const edits: ConfigEdit[] = [];
  const owners: EditOwner[] = [];
  // The SMTP servers first: a backend's alert names their section.
  const sections = new Set<string>();
  d.backends.forEach((b, index) => {
    const edit = b.alert.on && !sections.has(b.alert.mailers) ? mailersEdit(b.alert, model) : undefined;
    sections.add(b.alert.mailers);
    if (edit) { edits.push(edit); owners.push({ kind: 'mailers', index }); }
  });
  if (mode.kind !== 'backend') {
    edits.push({ op: 'set-frontend', frontend: frontendSpec(d), ...(d.originalName ? { previousName: d.originalName } : {}) });
    owners.push({ kind: 'frontend' });
  }
  // Editing a frontend, d.backends holds only the backends its routing creates (syncBackends).
  d.backends.forEach((b, index) => {
    edits.push({ op: 'set-backend', backend: backendSpec(b), ...(b.originalName ? { previousName: b.originalName } : {}) });
    owners.push({ kind: 'backend', index });
  });
  return { edits, owners };
}

/** An engine problem (`frontend.binds[0].port` of edit 0) as the wizard's field (`listen.port`). */
export function fieldOfProblem(p: EditProblem, owners: ReturnType<typeof editsOf>['owners']): string {
  const owner = owners[p.edit];
  const f = p.field;
  if (owner?.kind === 'mailers') return `backends.${owner.index}.alert.smtp`;
  if (!owner || owner.kind === 'frontend') {
    if (f === 'frontend.name' || f === 'previousName') return 'name';
    const bind = /^frontend\.binds\[(\d+)\]\.(\w+)/.exec(f);
    if (bind) {
      if (bind[2] === 'crt' || bind[2] === 'ssl') return 'tls.names';
      if (bind[2] === 'verify' || bind[2] === 'caFile' || bind[2] === 'crlFile') return 'tls.clientCa';
      return bind[1] === '0' ? `listen.${bind[2] === 'address' ? 'address' : 'port'}` : 'tls.httpPort';
    }
    if (f.startsWith('frontend.binds')) return 'listen.port';
    const rule = /^frontend\.rules\[(\d+)\]\.(match\.)?(\w+)/.exec(f);
    if (rule) return `rules.${rule[1]}.${rule[3] === 'backend' ? 'backend' : rule[3] === 'header' ? 'header' : rule[3] === 'kind' ? 'kind' : 'values'}`;
    if (f === 'frontend.defaultBackend') return 'defaultBackend';
    if (f === 'frontend.redirectToHttps') return 'tls.httpPort';
    if (f === 'frontend.statsUri') return 'pages.statsUri';
    if (f === 'frontend.statsAuth.user') return 'pages.statsUser';
    if (f === 'frontend.statsAuth.password') return 'pages.statsPassword';
    if (f === 'frontend.statsRefresh') return 'pages.statsRefresh';
    if (f === 'frontend.metricsPath') return 'pages.metricsPath';
    return 'name';
  }
  const b = owner.index;
  const server = /^backend\.servers\[(\d+)\]\.(\w+)/.exec(f);
  if (server) return `backends.${b}.servers.${server[1]}.${server[2]}`;
  if (f.startsWith('backend.balance')) return `backends.${b}.argument`;
  if (f.startsWith('backend.stickiness')) return `backends.${b}.stickyCookie`;
  const alert = /^backend\.emailAlert(?:\.(\w+))?/.exec(f);
  if (alert) return `backends.${b}.alert.${alert[1] === 'from' || alert[1] === 'to' ? alert[1] : alert[1] === 'mailers' ? 'smtp' : 'on'}`;
  const hc = /^backend\.healthCheck\.(\w+)/.exec(f);
  if (hc) return `backends.${b}.health.${hc[1] === 'interMs' ? 'inter' : hc[1]}`;
  return `backends.${b}.name`;
}

/** The backends the rules name that neither exist nor are drafted yet get a draft; drafts no rule names any more go. */
export function syncBackends(d: SiteDraft, model: FormModel | null): void {
  const named = [...new Set([...d.rules.map((r) => r.backend.trim()), d.defaultBackend.trim()].filter((n) => n !== ''))];
  const existing = new Set(model?.backends.map((b) => b.name) ?? []);
  const mode = d.kind === 'tcp' ? 'tcp' : 'http';
  const kept = d.backends.filter((b) => named.includes(b.name));
  for (const name of named) {
    if (existing.has(name) || kept.some((b) => b.name === name)) continue;
    kept.push(newBackend(name, mode, model));
  }
  kept.sort((a, b) => named.indexOf(a.name) - named.indexOf(b.name));
  d.backends = kept;
}

/** HAProxy's keyword of a diagnostic → the step it belongs to. */
export function stepOfKeyword(keyword: string | undefined): StepId | undefined {
  if (!keyword) return undefined;
  if (keyword === 'bind') return 'listen';
  if (keyword === 'server' || keyword === 'default-server') return 'servers';
  if (keyword === 'balance') return 'balance';
  if (keyword.startsWith('option httpchk') || keyword.startsWith('http-check')) return 'health';
  if (keyword === 'acl' || keyword === 'use_backend' || keyword === 'default_backend') return 'routing';
  if (keyword.startsWith('http-request')) return 'tls';
  return undefined;
}
