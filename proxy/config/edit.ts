/**
 * Structured edits for the wizard and the edit forms (issue #13 §2): add,
 * replace or remove a frontend, a backend or a server, producing new
 * haproxy.cfg text. HAProxy's language stays the source of truth (DESIGN.md
 * §3), so an edit is a patch on the text, line by line:
 *
 *  - only the lines the forms own (form-model.ts) are rewritten, in place;
 *    a line whose meaning does not change keeps its exact text;
 *  - every other line — directives the forms do not know, comments, blank
 *    lines, `.if` blocks, other sections — stays byte for byte;
 *  - new lines go after the last line of their kind (or of the kind before
 *    it), with the section's indentation.
 *
 * Every function returns problems as values (`field` names the form field),
 * never throws; the caller parses the result for HAProxy's diagnostics.
 */
import { parseConfig } from './index.ts';
import type { ParseOptions } from './keywords.ts';
import type { BalancingProxy, Config, Directive, Section } from './model.ts';
import { DEFAULT_STATS_URI } from './model.ts';
import { quoteWord } from './lexer.ts';
import { directiveText } from './serialize.ts';
import { BUILTIN_BALANCE, inheritedDefaults, withServerDefaults } from './provision.ts';
import {
  FRONTEND_CATEGORIES, BACKEND_CATEGORIES, RULE_KINDS, aclMatch, backendCategory, balanceSpec, bindSpec, formModel, frontendCategory, healthCheck, isHttpsRedirect, ownedAcls,
  splitServerOptions, splitAddress, stickiness, stickinessOf, SERVER_MAXCONN_MAX, STATS_REFRESH_MAX, statsRefreshOf, emailAlert, emailAlertLines, statsKept, SNI_INSPECT_LINES, badExpectStatus,
} from './form-model.ts';
import type {
  BackendSpec, StickinessSpec, BindSpec, FrontendCategory, BackendCategory, FrontendSpec, HealthCheckSpec, RoutingRule, RuleMatch, ServerSpec,
  EmailAlertSpec, MailersSpec,
} from './form-model.ts';
import { SYSLOG_LEVELS } from './kw-mailers.ts';

export type * from './form-model.ts';
export { formModel } from './form-model.ts';

/** One edit. `previousName` renames (the section or server of that name is replaced). */
export type ConfigEdit =
  | { op: 'set-frontend'; frontend: FrontendSpec; previousName?: string }
  | { op: 'remove-frontend'; name: string }
  | { op: 'set-backend'; backend: BackendSpec; previousName?: string }
  | { op: 'remove-backend'; name: string }
  | { op: 'set-server'; backend: string; server: ServerSpec; previousName?: string }
  | { op: 'remove-server'; backend: string; name: string }
  | { op: 'set-mailers'; mailers: MailersSpec; previousName?: string }
  | { op: 'remove-mailers'; name: string };

export interface EditProblem {
  /** Index of the edit in the list. */
  edit: number;
  /** The form field: `frontend.binds[0].port`, `backend.servers[1].address`, `name`. */
  field: string;
  message: string;
}

export type EditResult = { ok: true; text: string } | { ok: false; problems: EditProblem[] };

const NAME = /^[A-Za-z0-9_.:-]+$/;
const HTTP_METHOD = /^[A-Z]+$/;
/** A cookie name (RFC 6265: an HTTP token). */
const COOKIE_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/**
 * An e-mail address as `email-alert from|to` takes it: one word, local part @ domain, no angle
 * brackets (HAProxy writes them around it in MAIL FROM / RCPT TO itself).
 */
const EMAIL_ADDRESS = /^[^\s@<>()",;:\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const ALGORITHMS = ['roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'uri', 'url_param', 'hdr', 'random', 'rdp-cookie', 'hash'];

// ---------------------------------------------------------------- the text as lines

interface Lines {
  lines: string[];
  eol: string;
  finalEol: boolean;
}

function toLines(text: string): Lines {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const finalEol = lines.at(-1) === '';
  if (finalEol) lines.pop();
  return { lines, eol, finalEol };
}

function fromLines(l: Lines): string {
  // Written files always end with a newline (HAProxy warns about a missing one).
  return l.lines.length === 0 ? '' : l.lines.join(l.eol) + l.eol;
}

/** A pending change to one original line (0-based index): replaced, removed, or lines inserted after it. */
interface Patch {
  replace: Map<number, string>;
  remove: Set<number>;
  /** Inserted after the line (-1 = at the very start); in insertion order. */
  after: Map<number, string[]>;
}

const newPatch = (): Patch => ({ replace: new Map(), remove: new Set(), after: new Map() });

function insertAfter(p: Patch, index: number, lines: string[]): void {
  if (lines.length) p.after.set(index, [...(p.after.get(index) ?? []), ...lines]);
}

function applyPatch(l: Lines, p: Patch): Lines {
  const out: string[] = [...(p.after.get(-1) ?? [])];
  l.lines.forEach((line, i) => {
    if (!p.remove.has(i)) out.push(p.replace.get(i) ?? line);
    out.push(...(p.after.get(i) ?? []));
  });
  return { ...l, lines: out };
}

/** Leading whitespace of a section's directive lines (4 spaces when it has none). */
function indentOf(l: Lines, section: Section): string {
  const first = section.directives[0];
  if (!first) return '    ';
  return /^\s*/.exec(l.lines[first.loc.line - 1] ?? '')![0] || '    ';
}

function lineOf(words: readonly string[]): string {
  return words.map((w, i) => (i === 0 ? w : quoteWord(w))).join(' ');
}

/** Replaces a directive's line keeping its indentation and trailing comment. */
function rewrittenLine(l: Lines, d: Directive, text: string): string {
  const original = l.lines[d.loc.line - 1] ?? '';
  const indent = /^\s*/.exec(original)![0];
  return `${indent}${text}${d.trailingComment !== undefined ? ` #${d.trailingComment}` : ''}`;
}

// ---------------------------------------------------------------- emitting form specs as lines

function duration(ms: number): string {
  return ms % 1000 === 0 && ms > 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function bindLine(b: BindSpec): string {
  const address = b.address === '' || b.address === '*' ? '*' : b.address;
  const words = ['bind', b.raw ?? `${address}:${b.port}`];
  if (b.ssl) words.push('ssl', ...(b.crt !== undefined ? ['crt', b.crt] : []));
  if (b.verify !== undefined) words.push('verify', b.verify);
  if (b.caFile !== undefined) words.push('ca-file', b.caFile);
  if (b.crlFile !== undefined) words.push('crl-file', b.crlFile);
  words.push(...(b.extra ?? []));
  return lineOf(words);
}

function aclCriterion(m: RuleMatch): string[] {
  switch (m.kind) {
    case 'host-is': return ['hdr(host)', '-i'];
    case 'path-begins': return ['path_beg'];
    case 'path-is': return ['path'];
    case 'source-in': return ['src'];
    case 'sni-is': return ['req.ssl_sni', '-i'];
    case 'header-contains': return [`hdr_sub(${m.header})`, '-i'];
  }
}

function aclLine(name: string, m: RuleMatch): string {
  const values = m.values.some((v) => v.startsWith('-')) ? ['--', ...m.values] : m.values;
  return lineOf(['acl', name, ...aclCriterion(m), ...values]);
}

function balanceLine(spec: BackendSpec): string {
  // A form without a balance means HAProxy's default (inheritsBalance then drops the line where it is inherited).
  const b = spec.balance ?? { algorithm: BUILTIN_BALANCE };
  switch (b.algorithm) {
    case 'hdr': return lineOf(['balance', `hdr(${b.argument ?? 'host'})`]);
    case 'rdp-cookie': return lineOf(['balance', b.argument ? `rdp-cookie(${b.argument})` : 'rdp-cookie']);
    case 'url_param': return lineOf(['balance', 'url_param', b.argument ?? '']);
    case 'random': return lineOf(['balance', b.argument ? `random(${b.argument})` : 'random']);
    case 'hash': return lineOf(['balance', 'hash', b.argument ?? '']);
    default: return lineOf(['balance', b.algorithm]);
  }
}

function cookieLine(st: StickinessSpec): string {
  return lineOf([
    'cookie', st.cookie, st.mode,
    ...(st.indirect ? ['indirect'] : []), ...(st.nocache ? ['nocache'] : []), ...(st.httponly ? ['httponly'] : []), ...(st.secure ? ['secure'] : []),
    ...(st.extra ?? []),
  ]);
}

/** A server's `cookie` value as Loadstar generates it: its name, with characters a cookie value cannot hold as '_'. */
function generatedCookie(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function cookieOf(s: ServerSpec): string | undefined {
  const at = s.extra?.indexOf('cookie') ?? -1;
  return at >= 0 ? s.extra![at + 1] : undefined;
}

/**
 * The servers with their `cookie` values as stickiness needs them: with a
 * cookie, each server (not a backup) without a value gets its name (a number added when
 * another server has it); `removeGenerated` (stickiness turned off) drops the
 * values that are such generated names, keeping any other value.
 */
function withServerCookies(servers: readonly ServerSpec[], st: StickinessSpec | undefined, removeGenerated: boolean): ServerSpec[] {
  if (!st) {
    if (!removeGenerated) return [...servers];
    return servers.map((s) => {
      const v = cookieOf(s);
      const generated = (name: string): boolean => {
        const base = generatedCookie(name);
        return v === base || (v!.startsWith(base) && /^\d+$/.test(v!.slice(base.length)));
      };
      // A server renamed in the same form keeps the value generated from its old name until now.
      if (v === undefined || !(generated(s.name) || (s.previousName !== undefined && generated(s.previousName)))) return s;
      const at = s.extra!.indexOf('cookie');
      const extra = [...s.extra!.slice(0, at), ...s.extra!.slice(at + 2)];
      const { extra: _old, ...rest } = s;
      return extra.length ? { ...rest, extra } : rest;
    });
  }
  const used = new Set(servers.map(cookieOf).filter((v): v is string => v !== undefined));
  return servers.map((s) => {
    // A backup without a value never captures clients: they go back to the regular servers when these return.
    if (cookieOf(s) !== undefined || s.backup) return s;
    const base = generatedCookie(s.name);
    let value = base;
    for (let n = 2; used.has(value); n++) value = `${base}${n}`;
    used.add(value);
    return { ...s, extra: [...(s.extra ?? []), 'cookie', value] };
  });
}

/** Check timings every server inherits from `default-server` / defaults (written only when they differ). */
interface Inherited { inter: number; fall: number; rise: number }

function inheritedTimings(p: BalancingProxy | undefined): Inherited {
  // What provisioning gives a server line with no timings of its own in this backend.
  const { inter, fall, rise } = withServerDefaults(p?.defaultServer ?? {});
  return { inter, fall, rise };
}

function serverLine(s: ServerSpec, hc: HealthCheckSpec | undefined, inherited: Inherited, original?: Directive): string {
  return lineOf(placedAsWritten(serverWords(s, hc, inherited), original));
}

/**
 * A rewritten server line keeps its `maxconn` where the text had it (`check cookie w1 maxconn 50`
 * stays in that order when only the name or the value changes): before the option that followed it,
 * or last when it was last.
 */
function placedAsWritten(words: string[], original: Directive | undefined): string[] {
  const at = words.indexOf('maxconn', 3);
  const options = original?.args.slice(2) ?? [];
  const k = options.indexOf('maxconn');
  if (at < 0 || k < 0 || splitServerOptions(options).owned.maxconn === undefined) return words;
  const pair = words.splice(at, 2);
  const next = options[k + 2];
  const before = next === undefined ? -1 : words.indexOf(next, 3);
  words.splice(before < 0 ? words.length : before, 0, ...pair);
  return words;
}

function serverWords(s: ServerSpec, hc: HealthCheckSpec | undefined, inherited: Inherited): string[] {
  // HAProxy takes the last colon as the port separator, so IPv6 needs no brackets.
  const words = ['server', s.name, `${s.address}:${s.port}`];
  if (s.weight !== undefined && s.weight !== 1) words.push('weight', String(s.weight));
  if (s.maxconn !== undefined) words.push('maxconn', String(s.maxconn));
  if (s.backup) words.push('backup');
  const check = s.check ?? (hc !== undefined && hc.type !== 'none');
  if (check) {
    words.push('check');
    if (hc?.interMs !== undefined && hc.interMs !== inherited.inter) words.push('inter', duration(hc.interMs));
    if (hc?.fall !== undefined && hc.fall !== inherited.fall) words.push('fall', String(hc.fall));
    if (hc?.rise !== undefined && hc.rise !== inherited.rise) words.push('rise', String(hc.rise));
  }
  words.push(...(s.extra ?? []));
  return words;
}

const EMAIL_ALERT_SETTINGS = ['mailers', 'from', 'to', 'level', 'myhostname'] as const;

/** The `email-alert` settings an alert writes, in the order they are written. */
function emailAlertLinesOf(a: EmailAlertSpec): Array<[string, string]> {
  return EMAIL_ALERT_SETTINGS.flatMap((k): Array<[string, string]> => (a[k] !== undefined ? [[k, a[k]!]] : []));
}

function mailerLine(m: MailersSpec['mailers'][number]): string {
  return lineOf(['mailer', m.name, `${m.address}:${m.port}`]);
}

function httpchkLine(hc: HealthCheckSpec): string {
  // A bare `option httpchk` (OPTIONS /) stays bare.
  if (hc.method === undefined && hc.path === undefined) return 'option httpchk';
  return lineOf(['option', 'httpchk', hc.method ?? 'GET', hc.path ?? '/']);
}

function frontendLines(spec: FrontendSpec, aclNames: string[]): Record<FrontendCategory, string[]> {
  const rules = spec.rules ?? [];
  return {
    mode: [lineOf(['mode', spec.mode ?? 'http'])],
    bind: spec.binds.map(bindLine),
    redirect: spec.redirectToHttps ? ['http-request redirect scheme https code 301 unless { ssl_fc }'] : [],
    metrics: spec.metricsPath !== undefined ? [lineOf(['http-request', 'use-service', 'prometheus-exporter', 'if', '{', 'path', spec.metricsPath, '}'])] : [],
    // `stats enable` alone serves HAProxy's default path: no `stats uri` line for it.
    stats: spec.statsUri !== undefined ? [
      'stats enable',
      ...(spec.statsUri !== DEFAULT_STATS_URI ? [lineOf(['stats', 'uri', spec.statsUri])] : []),
      ...(spec.statsAuth ? [lineOf(['stats', 'auth', `${spec.statsAuth.user}:${spec.statsAuth.password}`])] : []),
      ...(spec.statsRefresh !== undefined ? [lineOf(['stats', 'refresh', `${spec.statsRefresh}s`])] : []),
    ] : [],
    inspect: spec.mode === 'tcp' && rules.some((r) => r.match?.kind === 'sni-is') ? [...SNI_INSPECT_LINES] : [],
    acl: rules.flatMap((r, i) => (r.match ? [aclLine(aclNames[i]!, r.match)] : [])),
    use_backend: rules.map((r, i) => (r.match ? lineOf(['use_backend', r.backend, 'if', aclNames[i]!]) : `${lineOf(['use_backend', r.backend])} ${r.raw ?? ''}`.trimEnd())),
    default_backend: spec.defaultBackend ? [lineOf(['default_backend', spec.defaultBackend])] : [],
  };
}

function backendLines(spec: BackendSpec, inherited: Inherited): Record<BackendCategory, string[]> {
  const hc = spec.healthCheck;
  const http = hc?.type === 'http';
  return {
    mode: [lineOf(['mode', spec.mode ?? 'http'])],
    balance: [balanceLine(spec)],
    cookie: spec.stickiness ? [cookieLine(spec.stickiness)] : [],
    httpchk: http ? [httpchkLine(hc)] : [],
    expect: http && hc.expectStatus !== undefined ? [lineOf(['http-check', 'expect', 'status', String(hc.expectStatus)])] : [],
    'email-alert': spec.emailAlert ? emailAlertLinesOf(spec.emailAlert).map(([k, v]) => lineOf(['email-alert', k, v])) : [],
    server: spec.servers.map((s) => serverLine(s, hc, inherited)),
  };
}

// ---------------------------------------------------------------- canonical text of existing owned lines

/** The line the forms would write for an existing owned directive (equal text = same meaning: keep the original). */
function canonicalFrontendLine(d: Directive, category: FrontendCategory): string {
  switch (category) {
    case 'bind':
      return bindLine(bindSpec(d));
    case 'acl': {
      const m = aclMatch(d.args);
      return m ? aclLine(d.args[0]!, m) : directiveText(d);
    }
    case 'redirect':
      return 'http-request redirect scheme https code 301 unless { ssl_fc }';
    case 'stats': {
      // `stats refresh 10` is the form's `stats refresh 10s` (seconds are HAProxy's unit there).
      const refresh = statsRefreshOf(d);
      return refresh !== undefined ? lineOf(['stats', 'refresh', `${refresh}s`]) : lineOf([d.keyword, ...d.args]);
    }
    default:
      return lineOf([d.keyword, ...d.args]);
  }
}

// ---------------------------------------------------------------- validation

function validName(name: unknown): boolean {
  return typeof name === 'string' && NAME.test(name);
}

/** An IPv4 address or network (prefix up to 32), or an IPv6 one (up to 128), as `src` takes them. */
function validNetwork(v: string): boolean {
  const m = /^([0-9a-fA-F:.]+)(?:\/(\d{1,3}))?$/.exec(v);
  if (!m) return false;
  const v6 = m[1]!.includes(':');
  if (m[2] !== undefined && Number(m[2]) > (v6 ? 128 : 32)) return false;
  return v6 ? m[1]!.split('::').length <= 2 : /^(\d{1,3})(\.\d{1,3}){3}$/.test(m[1]!) && m[1]!.split('.').every((p) => Number(p) <= 255);
}

function validPort(port: unknown): boolean {
  return Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535;
}

/** Text written into a line as it is: no line break (CR, LF, U+2028/9) and no other control character. */
function oneLine(text: string): boolean {
  return !/[\x00-\x1f\x7f\u2028\u2029]/.test(text);
}

function validWord(w: unknown): boolean {
  return typeof w === 'string' && w !== '' && !/[\s\x00-\x1f]/.test(w);
}

function checkFrontend(spec: FrontendSpec | undefined, problem: (field: string, message: string) => void): void {
  if (typeof spec !== 'object' || spec === null) return problem('frontend', 'a frontend description is required');
  if (!validName(spec.name)) problem('frontend.name', `a name of letters, digits, '_', '.', ':' or '-' is required (got ${JSON.stringify(spec.name)})`);
  if (spec.mode !== undefined && spec.mode !== 'http' && spec.mode !== 'tcp') problem('frontend.mode', 'http or tcp');
  if (!Array.isArray(spec.binds) || spec.binds.length === 0) problem('frontend.binds', 'at least one listen address and port is required');
  else spec.binds.forEach((b, i) => {
    if (b.raw !== undefined) {
      if (!validWord(b.raw)) problem(`frontend.binds[${i}].raw`, 'an address as HAProxy writes it, without spaces');
    } else if (typeof b.address !== 'string' || /[\s,]/.test(b.address)) problem(`frontend.binds[${i}].address`, 'an IP address or host name, or empty for every address');
    if (b.raw === undefined && !validPort(b.port)) problem(`frontend.binds[${i}].port`, `a port between 1 and 65535 (got ${JSON.stringify(b.port)})`);
    if (b.ssl && !validWord(b.crt) && !(b.extra ?? []).includes('crt-list')) problem(`frontend.binds[${i}].crt`, 'HTTPS needs a certificate: the path of a PEM file with certificate and key');
    if (b.ssl && spec.mode === 'tcp') problem(`frontend.binds[${i}].ssl`, 'TLS termination is for HTTP sites here; a TCP service passes TLS through');
    if (b.extra !== undefined && (!Array.isArray(b.extra) || !b.extra.every(validWord))) problem(`frontend.binds[${i}].extra`, 'a list of option words');
    if (b.verify !== undefined && !['none', 'optional', 'required'].includes(b.verify)) problem(`frontend.binds[${i}].verify`, 'none, optional or required');
    if (b.caFile !== undefined && !validWord(b.caFile)) problem(`frontend.binds[${i}].caFile`, 'the path of a PEM file with the CA certificate(s), without spaces');
    if (b.crlFile !== undefined && !validWord(b.crlFile)) problem(`frontend.binds[${i}].crlFile`, 'the path of a PEM file with the revocation list, without spaces');
    if ((b.verify === 'optional' || b.verify === 'required') && !b.ssl) problem(`frontend.binds[${i}].verify`, 'client certificates are asked for in the TLS handshake: the bind needs ssl');
    // HAProxy: "verify is enabled but no CA file specified for bind".
    else if ((b.verify === 'optional' || b.verify === 'required') && b.caFile === undefined) problem(`frontend.binds[${i}].caFile`, 'client certificates are checked against a CA: give the CA file (ca-file)');
  });
  if (spec.redirectToHttps && spec.mode === 'tcp') problem('frontend.redirectToHttps', 'a redirect to HTTPS needs an HTTP site');
  for (const [field, path, what] of [['frontend.statsUri', spec.statsUri, 'the stats page'], ['frontend.metricsPath', spec.metricsPath, 'the Prometheus metrics']] as const) {
    if (path === undefined) continue;
    if (!validWord(path) || !path.startsWith('/') || /[{}#"'\\]/.test(path)) problem(field, `a path starting with '/', without spaces, braces, quotes or '#', is required for ${what} (got ${JSON.stringify(path)})`);
    else if (spec.mode === 'tcp') problem(field, `${what} needs an HTTP site`);
    // '/' is right for a site that is only the stats page (HAProxy's usual `listen stats`).
    else if (field === 'frontend.statsUri' && path === '/' && ((spec.rules ?? []).length > 0 || spec.defaultBackend !== undefined)) problem(field, "the stats page at '/' would answer every request of the site (stats uri is a prefix): use a path such as /stats");
  }
  if ((spec.statsAuth !== undefined || spec.statsRefresh !== undefined) && spec.statsUri === undefined) problem('frontend.statsUri', 'a login or a refresh interval is for the stats page: give its path too');
  if (spec.statsAuth !== undefined) {
    const a = spec.statsAuth as { user?: unknown; password?: unknown } | null;
    if (typeof a?.user !== 'string' || a.user === '' || a.user.includes(':') || /[\x00-\x1f]/.test(a.user)) problem('frontend.statsAuth.user', "a user name, without ':' (HAProxy splits user:password at the first ':')");
    if (typeof a?.password !== 'string' || a.password === '' || /[\x00-\x1f]/.test(a.password)) problem('frontend.statsAuth.password', 'a password on one line');
  }
  if (spec.statsRefresh !== undefined && !(Number.isInteger(spec.statsRefresh) && spec.statsRefresh >= 1 && spec.statsRefresh <= STATS_REFRESH_MAX)) problem('frontend.statsRefresh', `a whole number of seconds from 1 to ${STATS_REFRESH_MAX}`);
  if (spec.statsUri !== undefined && spec.statsUri === spec.metricsPath) problem('frontend.metricsPath', 'the stats page and the Prometheus metrics need different paths');
  if (spec.defaultBackend !== undefined && !validName(spec.defaultBackend)) problem('frontend.defaultBackend', 'the name of a backend');
  (spec.rules ?? []).forEach((r, i) => {
    const at = `frontend.rules[${i}]`;
    if (!validName(r?.backend)) problem(`${at}.backend`, 'the name of a backend');
    if (r?.match === undefined) {
      if (typeof r?.raw !== 'string' || !/^(if|unless)\s/.test(r.raw)) problem(`${at}.match`, 'a condition: host is, path begins with, path is, source address in or header contains');
      // Written as it is after `use_backend NAME`: a line break would start a directive of its own.
      else if (!oneLine(r.raw)) problem(`${at}.raw`, 'a condition on one line, without control characters');
      return;
    }
    const m = r.match;
    if (!(RULE_KINDS as readonly string[]).includes(m.kind)) return problem(`${at}.match.kind`, `one of ${RULE_KINDS.join(', ')}`);
    if (!Array.isArray(m.values) || m.values.length === 0 || !m.values.every(validWord)) problem(`${at}.match.values`, 'one or more values without spaces');
    if (m.kind === 'header-contains' && !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(m.header ?? '')) problem(`${at}.match.header`, 'a header name');
    if (m.kind === 'source-in' && !m.values.every(validNetwork)) problem(`${at}.match.values`, 'IP addresses or networks (192.168.1.0/24): IPv4 up to /32, IPv6 up to /128');
    if (m.kind === 'host-is' && m.values.some((v) => /^[A-Za-z][A-Za-z0-9+.-]*:\/\/|[/?#]/.test(v))) problem(`${at}.match.values`, 'host names as browsers send them (api.example.com), without http:// or a path');
    if ((m.kind === 'path-begins' || m.kind === 'path-is') && !m.values.every((v) => v.startsWith('/'))) problem(`${at}.match.values`, "paths start with '/'");
    if (m.kind === 'sni-is' && !m.values.every((v) => /^[A-Za-z0-9_.-]+$/.test(v))) problem(`${at}.match.values`, 'host names (git.home.arpa), as the client asks for them');
    if (spec.mode === 'tcp' && m.kind !== 'source-in' && m.kind !== 'sni-is') problem(`${at}.match.kind`, 'a TCP service can only route by the TLS server name (SNI) or the source address');
    if (spec.mode !== 'tcp' && m.kind === 'sni-is') problem(`${at}.match.kind`, 'routing by the TLS server name (SNI) is for a TCP service passing TLS through; an HTTP site routes by Host');
    if (r.aclName !== undefined && !validName(r.aclName)) problem(`${at}.aclName`, 'letters, digits, _ . : -');
  });
}

function checkServer(s: ServerSpec | undefined, at: string, problem: (field: string, message: string) => void): void {
  if (typeof s !== 'object' || s === null) return problem(at, 'a server description is required');
  if (!validName(s.name)) problem(`${at}.name`, `a name of letters, digits, '_', '.', ':' or '-' is required (got ${JSON.stringify(s.name)})`);
  if (!validWord(s.address)) problem(`${at}.address`, 'an IP address or host name');
  if (!validPort(s.port)) problem(`${at}.port`, `a port between 1 and 65535 (got ${JSON.stringify(s.port)})`);
  if (s.weight !== undefined && !(Number.isInteger(s.weight) && s.weight >= 0 && s.weight <= 256)) problem(`${at}.weight`, 'a whole number from 0 to 256');
  if (s.maxconn !== undefined && !(Number.isInteger(s.maxconn) && s.maxconn >= 1 && s.maxconn <= SERVER_MAXCONN_MAX)) problem(`${at}.maxconn`, `a whole number from 1 to ${SERVER_MAXCONN_MAX} (or none: no limit)`);
  if (s.extra !== undefined && (!Array.isArray(s.extra) || !s.extra.every(validWord))) problem(`${at}.extra`, 'a list of option words');
  if (s.previousName !== undefined && !validName(s.previousName)) problem(`${at}.previousName`, `the server's name in the text (got ${JSON.stringify(s.previousName)})`);
}

function checkBackend(spec: BackendSpec | undefined, problem: (field: string, message: string) => void): void {
  if (typeof spec !== 'object' || spec === null) return problem('backend', 'a backend description is required');
  if (!validName(spec.name)) problem('backend.name', `a name of letters, digits, '_', '.', ':' or '-' is required (got ${JSON.stringify(spec.name)})`);
  if (spec.mode !== undefined && spec.mode !== 'http' && spec.mode !== 'tcp') problem('backend.mode', 'http or tcp');
  const algo = spec.balance?.algorithm;
  if (algo !== undefined && !ALGORITHMS.includes(algo)) problem('backend.balance.algorithm', `one of ${ALGORITHMS.join(', ')}`);
  const arg = spec.balance?.argument;
  if ((algo === 'hdr' || algo === 'url_param') && !validWord(arg)) problem('backend.balance.argument', algo === 'hdr' ? 'the header to hash, e.g. Host' : 'the URL parameter to hash');
  else if ((algo === 'hdr' || algo === 'rdp-cookie') && arg !== undefined && arg !== '' && !COOKIE_NAME.test(arg)) {
    // Written inside `hdr(…)` / `rdp-cookie(…)`: a ')' or a space would end the word's argument early.
    problem('backend.balance.argument', algo === 'hdr' ? 'a header name (letters, digits and !#$%&\'*+.^_`|~-)' : 'a cookie name (letters, digits and !#$%&\'*+.^_`|~-)');
  }
  if (algo === 'random' && arg !== undefined && !/^\d+$/.test(arg)) problem('backend.balance.argument', 'the number of draws');
  // One word of the line (quoted when it holds a space): the configuration check then reads the expression.
  if (algo === 'hash' && (typeof arg !== 'string' || arg === '' || /[\x00-\x1f]/.test(arg))) problem('backend.balance.argument', 'the sample expression to hash, e.g. req.cook(sid),lower');
  if (!Array.isArray(spec.servers)) problem('backend.servers', 'a list of servers (it may be empty)');
  else {
    spec.servers.forEach((s, i) => checkServer(s, `backend.servers[${i}]`, problem));
    const names = spec.servers.map((s) => s?.name);
    const seen = new Set<unknown>();
    names.forEach((n, i) => { if (seen.has(n)) problem(`backend.servers[${i}].name`, `two servers are named '${n}'`); else seen.add(n); });
  }
  const st = spec.stickiness;
  if (st !== undefined) {
    if (typeof st !== 'object' || st === null || st.kind !== 'cookie') problem('backend.stickiness', "sticky sessions are { kind: 'cookie', cookie, mode }; sticking by the visitor's address is balance source");
    else {
      if (typeof st.cookie !== 'string' || !COOKIE_NAME.test(st.cookie)) {
        problem('backend.stickiness.cookie', `a cookie name of letters, digits and !#$%&'*+.^_\`|~- only, no spaces (got ${JSON.stringify(st.cookie)})`);
      }
      if (!['insert', 'rewrite', 'prefix'].includes(st.mode)) problem('backend.stickiness.mode', 'insert (Loadstar adds its cookie), prefix or rewrite (the application sets its own cookie)');
      if (st.extra !== undefined && (!Array.isArray(st.extra) || !st.extra.every(validWord))) problem('backend.stickiness.extra', 'a list of option words');
      if (spec.mode === 'tcp') problem('backend.stickiness', "sticky sessions by cookie need an HTTP backend; a TCP service can keep visitors on one server by their IP address (balance source)");
    }
  }
  checkEmailAlert(spec.emailAlert, problem);
  const hc = spec.healthCheck;
  if (hc !== undefined) {
    if (!['none', 'tcp', 'http'].includes(hc.type)) problem('backend.healthCheck.type', 'none, tcp or http');
    if (hc.method !== undefined && !HTTP_METHOD.test(hc.method)) problem('backend.healthCheck.method', 'an HTTP method such as GET or HEAD');
    if (hc.path !== undefined && (!validWord(hc.path) || !hc.path.startsWith('/'))) problem('backend.healthCheck.path', "a path starting with '/'");
    const badStatus = hc.expectStatus !== undefined && (typeof hc.expectStatus === 'number' || typeof hc.expectStatus === 'string') ? badExpectStatus(hc.expectStatus) : hc.expectStatus !== undefined ? 'an HTTP status from 100 to 599' : undefined;
    if (badStatus) problem('backend.healthCheck.expectStatus', badStatus);
    if (hc.interMs !== undefined && !(Number.isInteger(hc.interMs) && hc.interMs >= 100 && hc.interMs <= 3_600_000)) problem('backend.healthCheck.interMs', 'between 100 ms and 1 hour');
    if (hc.fall !== undefined && !(Number.isInteger(hc.fall) && hc.fall >= 1 && hc.fall <= 100)) problem('backend.healthCheck.fall', 'a whole number from 1 to 100');
    if (hc.rise !== undefined && !(Number.isInteger(hc.rise) && hc.rise >= 1 && hc.rise <= 100)) problem('backend.healthCheck.rise', 'a whole number from 1 to 100');
    if (hc.type === 'http' && spec.mode === 'tcp') problem('backend.healthCheck.type', 'an HTTP check needs an HTTP backend here; use tcp');
  }
}

function checkEmailAlert(a: EmailAlertSpec | undefined, problem: (field: string, message: string) => void): void {
  if (a === undefined) return;
  if (typeof a !== 'object' || a === null) return problem('backend.emailAlert', 'e-mail alerts are { mailers, from, to, level? }');
  if (!validName(a.mailers)) problem('backend.emailAlert.mailers', 'the name of a mailers section');
  for (const k of ['from', 'to'] as const) {
    if (typeof a[k] !== 'string' || !EMAIL_ADDRESS.test(a[k])) problem(`backend.emailAlert.${k}`, `an e-mail address such as ${k === 'from' ? 'loadstar@example.org' : 'ops@example.org'} (got ${JSON.stringify(a[k])})`);
  }
  if (a.level !== undefined && !SYSLOG_LEVELS.includes(a.level)) problem('backend.emailAlert.level', `one of ${SYSLOG_LEVELS.join(', ')}`);
  if (a.myhostname !== undefined && !validWord(a.myhostname)) problem('backend.emailAlert.myhostname', 'a host name without spaces');
}

function checkMailers(spec: MailersSpec | undefined, problem: (field: string, message: string) => void): void {
  if (typeof spec !== 'object' || spec === null) return problem('mailers', 'a mailers description is required');
  if (!validName(spec.name)) problem('mailers.name', `a name of letters, digits, '_', '.', ':' or '-' is required (got ${JSON.stringify(spec.name)})`);
  if (!Array.isArray(spec.mailers) || spec.mailers.length === 0) return problem('mailers.mailers', 'at least one SMTP server (address and port)');
  spec.mailers.forEach((m, i) => {
    const at = `mailers.mailers[${i}]`;
    if (typeof m !== 'object' || m === null) return problem(at, 'an SMTP server: name, address, port');
    if (!validName(m.name)) problem(`${at}.name`, `a name of letters, digits, '_', '.', ':' or '-' (got ${JSON.stringify(m.name)})`);
    else if (spec.mailers.findIndex((o) => o?.name === m.name) !== i) problem(`${at}.name`, `two SMTP servers are named '${m.name}'`);
    if (!validWord(m.address) || m.address.includes('/') || m.address.includes(',')) problem(`${at}.address`, 'an IP address or host name');
    if (!validPort(m.port)) problem(`${at}.port`, `a port between 1 and 65535 (got ${JSON.stringify(m.port)})`);
  });
}

// ---------------------------------------------------------------- section-level splicing

function findSection(config: Config, kinds: readonly string[], name: string): Section | undefined {
  return config.sections.find((s) => kinds.includes(s.kind) && s.name === name);
}

/** The provisioned backend (or listen section) behind a section. */
function backendOf(config: Config, section: Section | undefined): BalancingProxy | undefined {
  if (!section) return undefined;
  return config.proxies.find((p): p is BalancingProxy => p.section === section && (p.kind === 'backend' || p.kind === 'listen'));
}

/** 0-based index of the first line of a section: its header, or the comments directly above it. */
function sectionStart(l: Lines, section: Section): number {
  let i = section.loc.line - 1;
  while (i > 0 && /^\s*#/.test(l.lines[i - 1]!)) i--;
  return i;
}

/** 0-based index of the last line of a section that belongs to it (its last directive, or the header). */
function sectionEnd(section: Section): number {
  const last = section.directives.at(-1);
  return (last ? last.loc.line : section.loc.line) - 1;
}

/**
 * Rewrites the owned lines of one category in place: pairs old and new lines in
 * order (or by key), keeps an old line whose canonical text equals the new one,
 * removes extra old lines, and inserts extra new lines after the anchor.
 */
function spliceCategory(
  l: Lines, patch: Patch, olds: Directive[], news: string[], canonical: (d: Directive) => string, anchor: number, indent: string,
): number {
  const n = Math.min(olds.length, news.length);
  for (let i = 0; i < n; i++) {
    const d = olds[i]!;
    if (canonical(d) !== news[i]) patch.replace.set(d.loc.line - 1, rewrittenLine(l, d, news[i]!));
  }
  for (const d of olds.slice(n)) patch.remove.add(d.loc.line - 1);
  const last = olds.length > 0 ? olds[olds.length - 1]!.loc.line - 1 : anchor;
  insertAfter(patch, last, news.slice(n).map((t) => indent + t));
  return olds.length > 0 ? last : anchor;
}

function newSectionText(kind: string, name: string, lines: string[]): string[] {
  return [lineOf([kind, name]), ...lines.map((t) => `    ${t}`)];
}

/** Where a new frontend goes: after the last frontend/listen, else before the first backend, else at the end. */
function insertSection(l: Lines, config: Config, patch: Patch, kind: 'frontend' | 'backend', block: string[]): void {
  const sections = config.sections;
  const lastSame = [...sections].reverse().find((s) => s.kind === kind || (kind === 'frontend' && s.kind === 'listen'));
  if (lastSame) return insertAfter(patch, sectionEnd(lastSame), ['', ...block]);
  const firstBackend = kind === 'frontend' ? sections.find((s) => s.kind === 'backend' || s.kind === 'listen') : undefined;
  if (firstBackend) return insertAfter(patch, sectionStart(l, firstBackend) - 1, [...block, '']);
  const end = l.lines.length - 1;
  const blank = end >= 0 && l.lines[end]!.trim() !== '' ? [''] : [];
  insertAfter(patch, end, [...blank, ...block]);
}

function removeSection(l: Lines, patch: Patch, section: Section): void {
  let start = sectionStart(l, section);
  let end = sectionEnd(section);
  const blank = (i: number): boolean => l.lines[i]!.trim() === '';
  // One of the blank lines around the section goes with it: the one after, or before the last section.
  if (end + 1 < l.lines.length && blank(end + 1) && start > 0 && blank(start - 1)) end++;
  else if (end + 1 >= l.lines.length && start > 0 && blank(start - 1)) start--;
  for (let i = start; i <= end; i++) patch.remove.add(i);
}

/** A section's header line: kind, name, `from` its defaults, and its trailing comment kept. */
function headerLine(section: Section, name: string, from: string | undefined): string {
  return lineOf([section.kind, name, ...(from !== undefined ? ['from', from] : [])]) + (section.trailingComment !== undefined ? ` #${section.trailingComment}` : '');
}

// ---------------------------------------------------------------- TCP services under HTTP defaults

/**
 * Lines of a defaults section that HAProxy warns about in every TCP proxy inheriting them
 * (`option httplog` "not usable … falling back to tcplog", `option forwardfor` "ignored …
 * requires HTTP mode", HTTP rules and redirects). `no option forwardfor` in the TCP proxy is
 * an error, not a fix, so a TCP service goes under a defaults section of its own instead.
 */
const WARNS_IN_TCP = /^(option (httplog|httpslog|forwardfor|originalto)|http-request|http-response|http-after-response|redirect)$/;
/** Lines that mean something in HTTP mode only: left out of the TCP defaults written from an HTTP one. */
const HTTP_ONLY = /^((no )?option (httplog|httpslog|forwardfor|originalto|http-.*|httpclose|accept-invalid-http-.*|h1-case-adjust-.*)|http-request|http-response|http-after-response|http-reuse|redirect|compression|cookie|capture|unique-id-.*|errorfile|errorfiles|errorloc.*|stats|monitor-uri|timeout http-(request|keep-alive))$/;

function isHttpOnly(d: Directive): boolean {
  return HTTP_ONLY.test(d.keyword);
}

function warnsInTcp(section: Section): boolean {
  return section.directives.some((d) => WARNS_IN_TCP.test(d.keyword));
}

/** The body of a TCP defaults section made from an HTTP one: its settings, `mode tcp`, `option tcplog` for `option httplog`, no HTTP-only line. */
function tcpDefaultsLines(from: Section): string[] {
  const lines: string[] = ['mode tcp'];
  for (const d of from.directives) {
    if (d.keyword === 'mode') continue;
    if (d.keyword === 'option httplog' || d.keyword === 'option httpslog') {
      if (!lines.includes('option tcplog')) lines.push('option tcplog');
      continue;
    }
    if (isHttpOnly(d)) continue;
    lines.push(directiveText(d));
  }
  return lines;
}

/** The form adds this section, or turns an HTTP one into TCP: a TCP section saved as it was is never restructured. */
function becomesTcp(config: Config, kinds: readonly string[], name: string): boolean {
  const section = findSection(config, kinds, name);
  return !section || config.proxies.find((p) => p.section === section)?.mode !== 'tcp';
}

/**
 * A TCP frontend or backend the forms wrote, inheriting a defaults section with HTTP-only
 * options (the first-run configuration's `option httplog` and `option forwardfor`): it is put
 * under a named defaults section with the same settings minus those (`defaults tcp`, placed just
 * above the defaults it inherited, so every other section keeps inheriting what it did) and its
 * header gets `from tcp`. A suitable `defaults tcp` above it is reused. Nothing else changes;
 * a section that already names its defaults, or whose defaults hold TCP rules, is left alone.
 */
function underTcpDefaults(text: string, kinds: readonly string[], name: string, options: Partial<ParseOptions>): string {
  const config = parseForEdit(text, options);
  const section = findSection(config, kinds, name);
  const proxy = section && config.proxies.find((p) => p.section === section);
  if (!section || !proxy || section.from !== undefined || proxy.mode !== 'tcp') return text;
  const inherited = inheritedDefaults(config, proxy);
  if (!inherited || !warnsInTcp(inherited.section)) return text;
  // TCP rules in a (named) defaults section apply to the proxies inheriting it, and HAProxy refuses a defaults
  // section with rules that frontends and backends both inherit: a copy could neither keep them nor drop them.
  if (inherited.section.directives.some((d) => /^tcp-(request|response)\b/.test(d.keyword))) return text;
  const l = toLines(text);
  const patch = newPatch();
  const defaults = config.sections.filter((s) => s.kind === 'defaults');
  const reusable = defaults.find((s) => /^tcp(-\d+)?$/.test(s.name) && s.from === undefined && s.loc.line < section.loc.line
    && s.directives.some((d) => d.keyword === 'mode' && d.args[0] === 'tcp') && !warnsInTcp(s));
  let tcpName = reusable?.name;
  if (tcpName === undefined) {
    const taken = new Set(config.sections.map((s) => s.name));
    tcpName = 'tcp';
    for (let i = 2; taken.has(tcpName); i++) tcpName = `tcp-${i}`;
    const label = inherited.section.name ? `defaults ${inherited.section.name}` : 'the defaults section below';
    const block = [
      `# TCP services (frontend/backend NAME from ${tcpName}): the settings of ${label} without its HTTP-only options.`,
      ...newSectionText('defaults', tcpName, tcpDefaultsLines(inherited.section)),
      '',
    ];
    insertAfter(patch, sectionStart(l, inherited.section) - 1, block);
  }
  patch.replace.set(section.loc.line - 1, headerLine(section, section.name, tcpName));
  return fromLines(applyPatch(l, patch));
}

/** The comment `underTcpDefaults` writes above a defaults section it creates: how a section Loadstar added is told from the user's own. */
const TCP_DEFAULTS_NOTE = /^# TCP services \(frontend\/backend NAME from (\S+)\): /;

/**
 * After a removal: the TCP defaults section `name` goes too when Loadstar wrote it (its note is
 * directly above it) and nothing uses it any more — no section names it in `from` (a line in a
 * skipped `.if` block included), and no proxy inherits it by being below it with no other
 * defaults in between. Removing such a section changes no other proxy's defaults: the proxies
 * below it inherit a later defaults section, or name theirs.
 */
function withoutUnusedTcpDefaults(l: Lines, name: string | undefined, options: Partial<ParseOptions>): Lines {
  if (name === undefined) return l;
  const config = parseForEdit(fromLines(l), options);
  const section = findSection(config, ['defaults'], name);
  if (!section || config.sections.filter((s) => s.kind === 'defaults' && s.name === name).length !== 1) return l;
  if (TCP_DEFAULTS_NOTE.exec(l.lines[section.loc.line - 2] ?? '')?.[1] !== name) return l;
  if (config.sections.some((s) => s.from === name)) return l;
  const fromIt = new RegExp(`^\\s*(frontend|backend|listen|defaults)\\b.*\\sfrom\\s+${name.replace(/[.]/g, '\\.')}(\\s|#|$)`);
  if (l.lines.some((line) => fromIt.test(line))) return l;
  const defaults = config.proxies.find((p) => p.section === section);
  if (!defaults || config.proxies.some((p) => p.kind !== 'defaults' && inheritedDefaults(config, p) === defaults)) return l;
  const patch = newPatch();
  removeSection(l, patch, section);
  return applyPatch(l, patch);
}

/** Unique ACL names for the simple rules: the given name, else `is_<backend>`, never one already taken. */
function aclNames(rules: readonly RoutingRule[], section: Section | undefined, owned: ReadonlySet<string>): string[] {
  const taken = new Set((section?.directives ?? []).filter((d) => d.keyword === 'acl' && !owned.has(d.args[0] ?? '')).map((d) => d.args[0]!));
  const names: string[] = [];
  for (const r of rules) if (r.match && r.aclName) taken.add(r.aclName);
  for (const r of rules) {
    if (!r.match) { names.push(''); continue; }
    if (r.aclName) { names.push(r.aclName); continue; }
    const base = `is_${r.backend}`.replace(/[^A-Za-z0-9_.:-]/g, '_');
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    names.push(name);
  }
  return names;
}

/** The section has no `mode` line and would get the wanted mode from its defaults anyway: write none. */
function inheritsMode(config: Config, section: Section, wanted: 'http' | 'tcp' | undefined): boolean {
  if (section.directives.some((d) => d.keyword === 'mode')) return false;
  const proxy = config.proxies.find((p) => p.section === section);
  // Provisioned: a proxy without a `mode` line has its defaults' mode, else HAProxy's tcp.
  return proxy !== undefined && proxy.kind !== 'defaults' && proxy.mode === (wanted ?? 'http');
}

/**
 * The section has no `balance` line and would balance as wanted anyway (its
 * defaults' `balance`, else roundrobin): write none, so a backend that relies
 * on the default keeps relying on it. An existing line is always kept or rewritten.
 */
function inheritsBalance(section: Section, proxy: BalancingProxy | undefined, spec: BackendSpec): boolean {
  if (!proxy || section.directives.some((d) => d.keyword === 'balance')) return false;
  return balanceLine({ ...spec, balance: balanceSpec(proxy) }) === balanceLine(spec);
}

function setFrontend(l: Lines, config: Config, spec: FrontendSpec, previousName: string | undefined): Lines {
  const patch = newPatch();
  const section = findSection(config, ['frontend', 'listen'], previousName ?? spec.name);
  const owned = section ? ownedAcls(section) : new Map<string, RuleMatch>();
  const names = aclNames(spec.rules ?? [], section, new Set(owned.keys()));
  const lines = frontendLines(spec, names);
  // A page the section's own stats lines turn on stays as they write it: no second `stats enable` (applyEdits refuses another path).
  if (section && statsKept(section)) lines.stats = [];
  if (!section) {
    insertSection(l, config, patch, 'frontend', newSectionText('frontend', spec.name, FRONTEND_CATEGORIES.flatMap((c) => lines[c])));
    return applyPatch(l, patch);
  }
  if (section.name !== spec.name) patch.replace.set(section.loc.line - 1, headerLine(section, spec.name, section.from));
  if (inheritsMode(config, section, spec.mode)) lines.mode = [];
  const indent = indentOf(l, section);
  let anchor = section.loc.line - 1;
  for (const c of FRONTEND_CATEGORIES) {
    const olds = section.directives.filter((d) => frontendCategory(d, owned, section) === c);
    // The SNI rules' wait stays as written once there (its delay is the user's; a rule written by hand may need it).
    if (c === 'inspect' && olds.length > 0) lines.inspect = olds.map((d) => canonicalFrontendLine(d, c));
    // A listen section's mode line is shared with its backend side: leave it when the frontend form does not set one.
    anchor = spliceCategory(l, patch, olds, lines[c], (d) => canonicalFrontendLine(d, c), anchor, indent);
  }
  return applyPatch(l, patch);
}

function setBackend(l: Lines, config: Config, spec: BackendSpec, previousName: string | undefined): Lines {
  const patch = newPatch();
  const section = findSection(config, ['backend', 'listen'], previousName ?? spec.name);
  const proxy = backendOf(config, section);
  const inherited = inheritedTimings(proxy);
  const before = section ? formModel(config).backends.find((b) => b.name === section.name) : undefined;
  spec = { ...spec, servers: withServerCookies(spec.servers, spec.stickiness, before?.stickiness !== undefined) };
  const lines = backendLines(spec, inherited);
  if (!section) {
    insertSection(l, config, patch, 'backend', newSectionText('backend', spec.name, BACKEND_CATEGORIES.flatMap((c) => lines[c])));
    return applyPatch(l, patch);
  }
  if (section.name !== spec.name) patch.replace.set(section.loc.line - 1, headerLine(section, spec.name, section.from));
  if (inheritsMode(config, section, spec.mode)) lines.mode = [];
  if (inheritsBalance(section, proxy, spec)) lines.balance = [];
  // A cookie the defaults section gives and the form keeps as it is: no line of its own.
  if (!section.directives.some((d) => d.keyword === 'cookie') && before?.stickiness && spec.stickiness && cookieLine(before.stickiness) === cookieLine(spec.stickiness)) lines.cookie = [];
  // HAProxy keeps a backend's last `cookie` line only: a sticky cookie the form writes replaces a passive
  // one (`cookie NAME`, which the form does not show) instead of being overridden by it.
  if (lines.cookie.length > 0) {
    for (const d of section.directives) if (d.keyword === 'cookie' && backendCategory(d, section) === undefined) patch.remove.add(d.loc.line - 1);
  }
  // An alert the defaults section gives and the form keeps as it is: no lines of its own.
  if (!section.directives.some((d) => d.keyword === 'email-alert') && before?.emailAlert && spec.emailAlert && sameAlert(before.emailAlert, spec.emailAlert)) lines['email-alert'] = [];
  const indent = indentOf(l, section);
  let anchor = section.loc.line - 1;
  for (const c of BACKEND_CATEGORIES) {
    const olds = section.directives.filter((d) => backendCategory(d, section) === c);
    // HAProxy ignores a cookie line in a TCP backend (a warning); the form does not show it there, so it stays as written.
    if (c === 'cookie' && (spec.mode ?? 'http') === 'tcp') continue;
    if (c === 'email-alert') {
      // Written as a whole set, an alert replaces the section's incomplete lines too (HAProxy keeps the last of each setting).
      const all = section.directives.filter((d) => d.keyword === 'email-alert');
      anchor = spliceEmailAlert(l, patch, olds.length > 0 || spec.emailAlert ? all : [], lines[c].length > 0 ? spec.emailAlert : undefined, anchor, indent);
      continue;
    }
    if (c !== 'server') {
      anchor = spliceCategory(l, patch, olds, lines[c], (d) => canonicalBackendLine(d, c, proxy!), anchor, indent);
      continue;
    }
    const currentHc = before?.healthCheck;
    anchor = spliceServers(l, patch, olds, spec, currentHc, anchor, indent, proxy, inherited);
  }
  return applyPatch(l, patch);
}

function sameAlert(a: EmailAlertSpec, b: EmailAlertSpec): boolean {
  return EMAIL_ALERT_SETTINGS.every((k) => a[k] === b[k]);
}

/**
 * Rewrites a section's `email-alert` lines setting by setting (so their order in the text does not
 * matter): the last line of a setting is kept when its value is unchanged, the others go; a setting
 * the alert no longer has loses its lines; a new one goes after the last of them (or the anchor).
 */
function spliceEmailAlert(l: Lines, patch: Patch, olds: Directive[], alert: EmailAlertSpec | undefined, anchor: number, indent: string): number {
  const last = olds.length > 0 ? olds[olds.length - 1]!.loc.line - 1 : anchor;
  const inserted: string[] = [];
  const wanted = new Map(alert ? emailAlertLinesOf(alert) : []);
  for (const d of olds) if (!wanted.has(d.args[0] ?? '')) patch.remove.add(d.loc.line - 1);
  for (const [setting, value] of wanted) {
    const same = olds.filter((d) => d.args[0] === setting);
    const keep = same.at(-1);
    for (const d of same) if (d !== keep) patch.remove.add(d.loc.line - 1);
    const text = lineOf(['email-alert', setting, value]);
    if (!keep) inserted.push(indent + text);
    else if (keep.args[1] !== value || keep.args.length !== 2) patch.replace.set(keep.loc.line - 1, rewrittenLine(l, keep, text));
  }
  insertAfter(patch, last, inserted);
  return last;
}

/** Adds, replaces or renames a `mailers` section: mailer lines pair by name; `timeout mail` and comments stay. */
function setMailers(l: Lines, config: Config, spec: MailersSpec, previousName: string | undefined): Lines {
  const patch = newPatch();
  const section = findSection(config, ['mailers'], previousName ?? spec.name);
  const lines = spec.mailers.map(mailerLine);
  if (!section) {
    const block = newSectionText('mailers', spec.name, lines);
    const lastMailers = [...config.sections].reverse().find((s) => s.kind === 'mailers');
    // With the other mailers sections, else before the first proxy (where a reader of the file looks for what they use).
    const firstProxy = config.sections.find((s) => s.kind === 'frontend' || s.kind === 'backend' || s.kind === 'listen');
    if (lastMailers) insertAfter(patch, sectionEnd(lastMailers), ['', ...block]);
    else if (firstProxy) insertAfter(patch, sectionStart(l, firstProxy) - 1, [...block, '']);
    else insertAfter(patch, l.lines.length - 1, [...(l.lines.length > 0 && l.lines.at(-1)!.trim() !== '' ? [''] : []), ...block]);
    return applyPatch(l, patch);
  }
  if (section.name !== spec.name) patch.replace.set(section.loc.line - 1, lineOf(['mailers', spec.name]) + (section.trailingComment !== undefined ? ` #${section.trailingComment}` : ''));
  const olds = section.directives.filter((d) => d.keyword === 'mailer');
  const byName = new Map(olds.map((d) => [d.args[0] ?? '', d]));
  const used = new Set<Directive>();
  const inserted: string[] = [];
  for (const [i, m] of spec.mailers.entries()) {
    const d = byName.get(m.name);
    if (!d || used.has(d)) { inserted.push(indentOf(l, section) + lines[i]!); continue; }
    used.add(d);
    const { address, port } = splitAddress(d.args[1] ?? '');
    if (address !== m.address || port !== m.port || d.args.length !== 2) patch.replace.set(d.loc.line - 1, rewrittenLine(l, d, lines[i]!));
  }
  for (const d of olds) if (!used.has(d)) patch.remove.add(d.loc.line - 1);
  insertAfter(patch, olds.length > 0 ? olds.at(-1)!.loc.line - 1 : sectionEnd(section), inserted);
  return applyPatch(l, patch);
}

/** A renamed mailers section: the proxies' `email-alert mailers` lines follow it. */
function renameMailersReferences(l: Lines, config: Config, from: string, to: string): Lines {
  const patch = newPatch();
  for (const section of config.sections) {
    for (const d of section.directives) {
      if (d.keyword === 'email-alert' && d.args[0] === 'mailers' && d.args[1] === from) patch.replace.set(d.loc.line - 1, rewrittenLine(l, d, lineOf(['email-alert', 'mailers', to])));
    }
  }
  return applyPatch(l, patch);
}

/**
 * Servers pair by name (`renamed` maps a new name to the old one), so a removed
 * server in the middle shifts nothing. Check timings written on a server's own
 * line stay unless the backend-wide value changed (`currentHc` is the backend's
 * health check as the form read it).
 */
function spliceServers(
  l: Lines, patch: Patch, olds: Directive[], spec: BackendSpec & { renamed?: Map<string, string> }, currentHc: HealthCheckSpec | undefined,
  anchor: number, indent: string, proxy: BalancingProxy | undefined, inherited: Inherited,
): number {
  const byName = new Map(olds.map((d) => [d.args[0] ?? '', d]));
  const used = new Set<Directive>();
  const last = olds.length > 0 ? olds[olds.length - 1]!.loc.line - 1 : anchor;
  const inserted: string[] = [];
  const hc = spec.healthCheck;
  // A renamed server claims its old line first, so a server given its old name is a new line, not that one.
  const paired = new Map<ServerSpec, Directive>();
  const previous = (s: ServerSpec): string | undefined => spec.renamed?.get(s.name) ?? (s.previousName !== s.name ? s.previousName : undefined);
  for (const s of spec.servers) {
    const d = byName.get(previous(s) ?? '\0');
    if (previous(s) !== undefined && d && !used.has(d)) { paired.set(s, d); used.add(d); }
  }
  for (const s of spec.servers) {
    if (paired.has(s)) continue;
    const d = byName.get(s.name);
    if (d && !used.has(d)) { paired.set(s, d); used.add(d); }
  }
  for (const s of spec.servers) {
    const d = paired.get(s);
    if (!d) {
      inserted.push(indent + serverLine(s, hc, inherited));
      continue;
    }
    const own = ownTimings(d, proxy);
    const pick = (f: 'interMs' | 'fall' | 'rise'): number | undefined => (hc?.[f] !== currentHc?.[f] ? hc?.[f] : own[f]);
    const line = serverLine(s, { type: hc?.type ?? 'none', interMs: pick('interMs'), fall: pick('fall'), rise: pick('rise') }, inherited, d);
    if (canonicalServerLine(d, proxy, inherited) !== line) patch.replace.set(d.loc.line - 1, rewrittenLine(l, d, line));
  }
  for (const d of olds) if (!used.has(d)) patch.remove.add(d.loc.line - 1);
  insertAfter(patch, last, inserted);
  return last;
}

const serverMaps = new WeakMap<BalancingProxy, Map<string, BalancingProxy['servers'][number]>>();

/** A backend's servers by name (the first of a name, as `find` gave), built once per parsed backend: a lookup per server line is not a scan. */
function serversByName(proxy: BalancingProxy): Map<string, BalancingProxy['servers'][number]> {
  let map = serverMaps.get(proxy);
  if (!map) {
    map = new Map();
    for (const server of proxy.servers) if (!map.has(server.name)) map.set(server.name, server);
    serverMaps.set(proxy, map);
  }
  return map;
}

/** The check timings written on a server line itself (inherited ones are not). */
function ownTimings(d: Directive, proxy: BalancingProxy | undefined): { interMs?: number; fall?: number; rise?: number } {
  const { owned } = splitServerOptions(d.args.slice(2));
  const server = proxy ? serversByName(proxy).get(d.args[0] ?? '') : undefined;
  return {
    ...(owned.inter !== undefined ? { interMs: server?.options.inter } : {}),
    ...(owned.fall !== undefined ? { fall: server?.options.fall } : {}),
    ...(owned.rise !== undefined ? { rise: server?.options.rise } : {}),
  };
}

/** The line the forms would write for an existing owned backend line (options they do not show, e.g. `uri depth 2`, are kept then). */
function canonicalBackendLine(d: Directive, category: BackendCategory, proxy: BalancingProxy): string {
  if (category === 'balance') return balanceLine({ name: proxy.name, servers: [], balance: balanceSpec(proxy) });
  if (category === 'cookie') {
    const st = stickinessOf(d.args);
    return st ? cookieLine(st) : lineOf([d.keyword, ...d.args]);
  }
  if (category === 'httpchk') {
    // Compared as the form reads it (method and path), so a version or headers after them
    // (`option httpchk HEAD /alive HTTP/1.1`) stay as written while the form does not change the check.
    const hc = healthCheck(proxy);
    return httpchkLine(hc.type === 'http' ? hc : { type: 'http' });
  }
  return lineOf([...d.keyword.split(' '), ...d.args]);
}

/** The line the forms would write for an existing server line's meaning. */
function canonicalServerLine(d: Directive, proxy: BalancingProxy | undefined, inherited: Inherited): string {
  const [name = '', addr = '', ...rest] = d.args;
  const { address, port } = splitAddress(addr);
  const { owned, extra } = splitServerOptions(rest);
  return serverLine({
    name, address, port,
    weight: owned.weight !== undefined ? Number(owned.weight) : undefined,
    backup: owned.backup === true,
    maxconn: owned.maxconn !== undefined ? Number(owned.maxconn) : undefined,
    check: owned.check === true,
    extra,
  }, { type: 'tcp', ...ownTimings(d, proxy) }, inherited, d);
}

function removeNamed(l: Lines, config: Config, kinds: readonly string[], name: string): Lines | string {
  const section = findSection(config, kinds, name);
  if (!section) return `there is no ${kinds[0]} named '${name}'`;
  const patch = newPatch();
  removeSection(l, patch, section);
  return applyPatch(l, patch);
}

/** A renamed backend: the frontends' `use_backend` and `default_backend` lines follow it. */
function renameReferences(l: Lines, from: string, to: string, options: Partial<ParseOptions>): Lines {
  const config = parseForEdit(fromLines(l), options);
  const patch = newPatch();
  for (const section of config.sections) {
    if (section.kind !== 'frontend' && section.kind !== 'listen' && section.kind !== 'defaults') continue;
    for (const d of section.directives) {
      if ((d.keyword === 'use_backend' || d.keyword === 'default_backend') && d.args[0] === from) {
        const rest = d.source?.typed ? d.source.typed.slice(1).filter((t) => t !== '').join(' ') : d.args.slice(1).map(quoteWord).join(' ');
        patch.replace.set(d.loc.line - 1, rewrittenLine(l, d, `${d.keyword} ${quoteWord(to)}${rest ? ` ${rest}` : ''}`));
      }
    }
  }
  return applyPatch(l, patch);
}

/**
 * A removed backend that a section left in the result still routes to (`use_backend`, `default_backend`):
 * one problem per such line, naming the section and the line to change first. Checked on the
 * result of all the edits, so removing a frontend and the backend it used in one batch is fine.
 */
function stillRouted(text: string, edits: readonly ConfigEdit[], options: Partial<ParseOptions>): EditProblem[] {
  const removed = new Map<string, number>();
  edits.forEach((edit, index) => { if (edit?.op === 'remove-backend' && typeof edit.name === 'string') removed.set(edit.name, index); });
  if (!removed.size) return [];
  const config = parseForEdit(text, options);
  const problems: EditProblem[] = [];
  for (const section of config.sections) {
    if (section.kind !== 'frontend' && section.kind !== 'listen' && section.kind !== 'defaults') continue;
    for (const d of section.directives) {
      const index = d.keyword === 'use_backend' || d.keyword === 'default_backend' ? removed.get(d.args[0] ?? '') : undefined;
      if (index === undefined) continue;
      const where = section.kind === 'defaults' ? 'the defaults section' : `${section.kind === 'listen' ? 'listen section' : 'frontend'} '${section.name}'`;
      problems.push({
        edit: index,
        field: 'name',
        message: `${where} still sends requests to backend '${d.args[0]}' (its ${d.keyword} line): change that routing first, then remove the backend.`,
      });
    }
  }
  return problems;
}

// ---------------------------------------------------------------- public API

/** Parses without touching the file system beyond what a check would (certificates are not opened). */
function parseForEdit(text: string, options: Partial<ParseOptions>): Config {
  return parseConfig([{ name: 'haproxy.cfg', text }], { fileExists: () => true, readFile: () => '', ...options }).config;
}

/**
 * Applies the edits in order to `text` and returns the new text, or the
 * problems (per edit and field) when an edit is not valid. The result is not
 * validated as a whole here: parse it for HAProxy's diagnostics.
 */
export function applyEdits(text: string, edits: readonly ConfigEdit[], options: Partial<ParseOptions> = {}): EditResult {
  if (typeof text !== 'string') return { ok: false, problems: [{ edit: -1, field: 'text', message: 'the configuration text must be a string' }] };
  if (!Array.isArray(edits)) return { ok: false, problems: [{ edit: -1, field: 'edits', message: 'a list of edits is required' }] };
  let current = text;
  const problems: EditProblem[] = [];
  edits.forEach((edit, index) => {
    if (problems.length) return;
    const problem = (field: string, message: string): void => void problems.push({ edit: index, field, message });
    const config = parseForEdit(current, options);
    const l = toLines(current);
    let next: Lines | string | undefined;
    switch (edit?.op) {
      case 'set-frontend':
        checkFrontend(edit.frontend, problem);
        if (edit.previousName !== undefined && !findSection(config, ['frontend', 'listen'], edit.previousName)) problem('previousName', `there is no frontend named '${edit.previousName}'`);
        if (edit.previousName !== undefined && edit.previousName !== edit.frontend?.name && findSection(config, ['frontend', 'listen'], edit.frontend?.name)) problem('frontend.name', `a frontend named '${edit.frontend.name}' exists already`);
        if (!problems.length && edit.frontend.statsUri !== undefined) {
          const section = findSection(config, ['frontend', 'listen'], edit.previousName ?? edit.frontend.name);
          const kept = section && statsKept(section);
          if (kept && kept.uri !== edit.frontend.statsUri) {
            problem('frontend.statsUri', `the stats page of ${section.kind} '${section.name}' is set by its own stats lines (line ${kept.line}: ${kept.keyword} …), which the form leaves as written: change its path (now ${kept.uri}) in the editor`);
          }
        }
        if (!problems.length) {
          next = setFrontend(l, config, edit.frontend, edit.previousName);
          if (edit.frontend.mode === 'tcp' && becomesTcp(config, ['frontend', 'listen'], edit.previousName ?? edit.frontend.name)) next = toLines(underTcpDefaults(fromLines(next), ['frontend', 'listen'], edit.frontend.name, options));
        }
        break;
      case 'remove-frontend':
        next = removeNamed(l, config, ['frontend', 'listen'], edit.name);
        if (typeof next !== 'string') next = withoutUnusedTcpDefaults(next, findSection(config, ['frontend', 'listen'], edit.name)?.from, options);
        break;
      case 'set-backend':
        checkBackend(edit.backend, problem);
        if (edit.previousName !== undefined && !findSection(config, ['backend', 'listen'], edit.previousName)) problem('previousName', `there is no backend named '${edit.previousName}'`);
        if (edit.previousName !== undefined && edit.previousName !== edit.backend?.name && findSection(config, ['backend', 'listen'], edit.backend?.name)) problem('backend.name', `a backend named '${edit.backend.name}' exists already`);
        if (!problems.length && !edit.backend.stickiness) {
          const section = findSection(config, ['backend', 'listen'], edit.previousName ?? edit.backend.name);
          const proxy = backendOf(config, section);
          if (section && proxy && proxy.mode === 'http' && !section.directives.some((d) => d.keyword === 'cookie') && stickiness(proxy)) {
            problem('backend.stickiness', `the sticky-session cookie '${proxy.cookie!.name}' comes from the defaults section (line ${proxy.cookie!.loc.line}): remove it there, in the editor, to turn it off`);
          }
        }
        if (!problems.length && !edit.backend.emailAlert) {
          const section = findSection(config, ['backend', 'listen'], edit.previousName ?? edit.backend.name);
          const proxy = backendOf(config, section);
          const own = section ? emailAlertLines(section.directives) : {};
          if (proxy && emailAlert(proxy) && (own.mailers === undefined || own.from === undefined || own.to === undefined)) {
            problem('backend.emailAlert', `the e-mail alerts come from the defaults section (line ${proxy.emailAlert!.loc?.line ?? '?'}): remove them there, in the editor, to turn them off`);
          }
        }
        if (!problems.length) {
          next = setBackend(l, config, edit.backend, edit.previousName);
          if (edit.previousName !== undefined && edit.previousName !== edit.backend.name) next = renameReferences(next, edit.previousName, edit.backend.name, options);
          if (edit.backend.mode === 'tcp' && becomesTcp(config, ['backend', 'listen'], edit.previousName ?? edit.backend.name)) next = toLines(underTcpDefaults(fromLines(next), ['backend', 'listen'], edit.backend.name, options));
        }
        break;
      case 'remove-backend':
        next = removeNamed(l, config, ['backend', 'listen'], edit.name);
        if (typeof next !== 'string') next = withoutUnusedTcpDefaults(next, findSection(config, ['backend', 'listen'], edit.name)?.from, options);
        break;
      case 'set-server':
      case 'remove-server': {
        const form = formModel(config).backends.find((b) => b.name === edit.backend);
        if (!form) { problem('backend', `there is no backend named '${edit.backend}'`); break; }
        const servers = [...form.servers];
        const renamed = new Map<string, string>();
        if (edit.op === 'set-server') {
          checkServer(edit.server, 'server', problem);
          const old = edit.previousName ?? edit.server?.name;
          const at = servers.findIndex((s) => s.name === old);
          if (edit.previousName !== undefined && at < 0) problem('previousName', `backend '${edit.backend}' has no server named '${edit.previousName}'`);
          if (edit.server?.name !== old && servers.some((s) => s.name === edit.server?.name)) problem('server.name', `backend '${edit.backend}' already has a server named '${edit.server.name}'`);
          if (problems.length) break;
          // The server keeps the backend's check setting unless the edit says otherwise.
          const server = { ...edit.server, check: edit.server.check ?? (at >= 0 ? servers[at]!.check : form.healthCheck.type !== 'none') };
          if (at >= 0) servers[at] = server;
          // A server added to a sticky backend gets its cookie value (the others stay as they are).
          else servers.push(withServerCookies([...servers, server], form.stickiness, false).at(-1)!);
          if (edit.previousName !== undefined) renamed.set(edit.server.name, edit.previousName);
        } else {
          const at = servers.findIndex((s) => s.name === edit.name);
          if (at < 0) { problem('name', `backend '${edit.backend}' has no server named '${edit.name}'`); break; }
          servers.splice(at, 1);
        }
        const section = findSection(config, ['backend', 'listen'], edit.backend)!;
        const patch = newPatch();
        const proxy = backendOf(config, section);
        const inherited = inheritedTimings(proxy);
        const spec = { ...form, servers, renamed };
        spliceServers(l, patch, section.directives.filter((d) => d.keyword === 'server'), spec, form.healthCheck, section.loc.line - 1, indentOf(l, section), proxy, inherited);
        next = applyPatch(l, patch);
        break;
      }
      case 'set-mailers':
        checkMailers(edit.mailers, problem);
        if (edit.previousName !== undefined && !findSection(config, ['mailers'], edit.previousName)) problem('previousName', `there is no mailers section named '${edit.previousName}'`);
        if (edit.previousName !== undefined && edit.previousName !== edit.mailers?.name && findSection(config, ['mailers'], edit.mailers?.name)) problem('mailers.name', `a mailers section named '${edit.mailers.name}' exists already`);
        if (!problems.length) {
          next = setMailers(l, config, edit.mailers, edit.previousName);
          if (edit.previousName !== undefined && edit.previousName !== edit.mailers.name) next = renameMailersReferences(next, parseForEdit(fromLines(next), options), edit.previousName, edit.mailers.name);
        }
        break;
      case 'remove-mailers':
        next = removeNamed(l, config, ['mailers'], edit.name);
        break;
      default:
        problem('op', `unknown edit ${JSON.stringify((edit as { op?: unknown })?.op)}: set-frontend, remove-frontend, set-backend, remove-backend, set-server, remove-server, set-mailers or remove-mailers`);
    }
    if (typeof next === 'string') problem('name', next);
    else if (next) current = fromLines(next);
  });
  if (!problems.length) problems.push(...stillRouted(current, edits, options));
  return problems.length ? { ok: false, problems } : { ok: true, text: current };
}

export { isHttpsRedirect };
