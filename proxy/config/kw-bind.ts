/** `bind` and its options (HAProxy configuration.txt §5.1). */
import path from 'node:path';
import tls from 'node:tls';
import { registerProxyKeywords } from './keywords.ts';
import type { DirectiveContext, ProxyDirectiveContext } from './keywords.ts';
import type { DiagnosticCode } from '../errors.ts';
import { atoi, parseAddress, parseInteger, parseTime } from './values.ts';
import { suggest } from './suggest.ts';
import { ENGINE } from './status.ts';
import type { Bind, ClientAuth, TlsVersion } from './model.ts';
import { bundleMembers } from '../tls/pem.ts';
import { ticketKeysOf } from '../tls/ticket-keys.ts';

export const TLS_VERSIONS: readonly TlsVersion[] = ['SSLv3', 'TLSv1.0', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Options Loadstar implements (or will, with #5 for TLS), and whether each takes a value. */
const SUPPORTED_OPTIONS: Record<string, boolean> = {
  ssl: false, crt: true, 'crt-list': true, alpn: true, name: true, 'ssl-min-ver': true, 'ssl-max-ver': true,
  ciphers: true, ciphersuites: true, 'accept-proxy': false, v4v6: false, v6only: false, maxconn: true,
  id: true, proto: true, 'no-sslv3': false, 'no-tlsv10': false, 'no-tlsv11': false, 'no-tlsv12': false, 'no-tlsv13': false,
  'force-sslv3': false, 'force-tlsv10': false, 'force-tlsv11': false, 'force-tlsv12': false, 'force-tlsv13': false,
  'strict-sni': false, verify: true, 'ca-file': true, 'ca-verify-file': true, 'crl-file': true, 'ca-ignore-err': true,
  'crt-ignore-err': true, backlog: true, 'generate-certificates': false, 'ca-sign-file': true, 'ca-sign-pass': true,
  'tls-ticket-keys': true,
};

/** Options that only tune the listening socket or process placement: accepted with a warning. */
const NO_EFFECT_OPTIONS: Record<string, boolean> = {
  'defer-accept': false, tfo: false, process: true, thread: true, nice: true, mss: true,
  'tcp-ut': true, interface: true, 'severity-output': true, 'no-tls-tickets': false, 'prefer-client-ciphers': false,
  'no-ca-names': false, curves: true, ecdhe: true, 'allow-0rtt': false,
};

/** HAProxy bind options Loadstar does not implement yet: rejected, never silently dropped. */
const UNSUPPORTED_OPTIONS: Record<string, boolean> = {
  transparent: false, npn: true,
  'accept-netscaler-cip': true, level: true, 'expose-fd': true, mode: true, user: true, group: true, uid: true,
  gid: true, namespace: true, sigalgs: true, 'client-sigalgs': true, 'quic-force-retry': false,
  'no-alpn': false, 'ssl-ignore-err': true,
};

const ALL_OPTIONS = [...Object.keys(SUPPORTED_OPTIONS), ...Object.keys(NO_EFFECT_OPTIONS), ...Object.keys(UNSUPPORTED_OPTIONS)];
/** Every bind option name Loadstar knows, and whether it takes a value (scripts/value-sweep.ts). */
export const BIND_OPTION_NAMES: Readonly<Record<string, boolean>> = { ...SUPPORTED_OPTIONS, ...NO_EFFECT_OPTIONS, ...UNSUPPORTED_OPTIONS };

function parseBind(ctx: ProxyDirectiveContext): void {
  const bind = readBind(ctx, ctx.kind, ctx.proxy.name);
  if (bind) ctx.proxy.binds.push(bind);
}

/**
 * A `bind` line's addresses and options, checked as HAProxy checks them in a `<section>` section of
 * proxy `proxyName` (a frontend's, a listen's, a log-forward's); undefined once refused.
 */
export function readBind(ctx: DirectiveContext, section: string, proxyName: string): Bind | undefined {
  const [addressList, ...rest] = ctx.args;
  if (addressList === undefined || addressList === '') {
    return void ctx.error(`'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments.`);
  }
  const bind: Bind = {
    addresses: [], ssl: false, crt: [], acceptProxy: false, v4v6: false, v6only: false, extra: {}, loc: ctx.directive.loc,
  };
  // str2listener() stops at the end of the word: one comma after the last address ends the list.
  const parts = addressList.split(',');
  if (parts.length > 1 && parts.at(-1) === '') parts.pop();
  for (const part of parts) {
    const a = parseAddress(part, { kind: 'bind', keyword: 'bind' });
    if (a.error !== undefined) return void ctx.error(a.error, 0);
    bind.addresses.push({ family: a.value.family, host: a.value.host, port: a.value.port, portEnd: a.value.portEnd });
  }
  const label = `'bind ${addressList}' in section '${section}'`;
  /** `curves` / `ecdhe` words: ignored, but refused on an ssl bind when OpenSSL refuses them (as HAProxy does). */
  const curveLists: { option: 'curves' | 'ecdhe'; value: string }[] = [];
  for (let i = 0; i < rest.length; i++) {
    const option = rest[i]!;
    const argIndex = i + 1;
    const takesValue = SUPPORTED_OPTIONS[option] ?? NO_EFFECT_OPTIONS[option] ?? UNSUPPORTED_OPTIONS[option];
    if (takesValue === undefined) {
      const hint = suggest(option, ALL_OPTIONS);
      return void ctx.error(`${label}: unknown keyword '${option}'${hint ? `; did you mean '${hint}' maybe ?` : '.'}`, argIndex);
    }
    const value = takesValue ? rest[i + 1] : undefined;
    const missing = missingValueProblem(option, value);
    if (missing !== undefined) return void ctx.error(`${label} : ${missing}`, argIndex);
    if (takesValue) i++;
    if (option in UNSUPPORTED_OPTIONS) {
      return void ctx.error(`${label} : '${option}' is not supported by Loadstar yet.`, argIndex, 'LS_ERR_CFG_UNSUPPORTED');
    }
    if (option in NO_EFFECT_OPTIONS) {
      const problem = value === undefined ? undefined : noEffectValueProblem(option, value);
      if (problem !== undefined) return void ctx.error(`${label} : ${problem}`, argIndex + 1);
      if (option === 'curves' || option === 'ecdhe') curveLists.push({ option, value: value! });
      // Node names every trusted CA in its certificate request, without a way to keep them out.
      const why = option === 'no-ca-names' ? ` (the certificate request names the CAs of 'ca-file' and 'ca-verify-file')` : '';
      ctx.warn(`${label} : '${option}' has no effect in Loadstar and is ignored${why}.`, argIndex, 'LS_WARN_CFG_IGNORED');
      continue;
    }
    if (!applyOption(ctx, bind, option, value, (problem, offset, code) => ctx.error(`${label} : ${problem}`, argIndex + offset, code))) return undefined;
  }
  if ((bind.crt.length > 0 || bind.crtList) && !bind.ssl) {
    ctx.warn(`${label} : 'crt' without 'ssl': the certificate is not used and this port serves plain text.`, undefined, 'LS_WARN_CFG_SUSPICIOUS');
  }
  const verify = bind.clientAuth?.verify;
  if (bind.ssl && (verify === 'optional' || verify === 'required') && !bind.clientAuth?.caFile && !bind.clientAuth?.caVerifyFile) {
    return void ctx.error(`Proxy '${proxyName}': verify is enabled but no CA file specified for bind '${addressList}' at [${ctx.directive.loc.file}:${ctx.directive.loc.line}].`);
  }
  if (bind.ssl && bind.generateCertificates && !bind.caSignFile) {
    // ssl_sock_load_ca(): checked for `ssl` binds only, as HAProxy does (elsewhere the option does nothing).
    return void ctx.error(`Proxy '${proxyName}': cannot enable certificate generation, no CA certificate File configured at [${ctx.directive.loc.file}:${ctx.directive.loc.line}].`);
  }
  for (const { option, value } of bind.ssl ? curveLists : []) {
    if (knownCurves(value)) continue;
    const what = option === 'curves' ? 'SSL curves list' : 'elliptic named curve';
    return void ctx.error(`Proxy '${proxyName}': unable to set ${what} to '${value}' for bind '${addressList}' at [${ctx.directive.loc.file}:${ctx.directive.loc.line}].`);
  }
  if (bind.ssl && bind.crt.length === 0 && !bind.crtList) {
    return void ctx.error(`Proxy '${proxyName}': no SSL certificate specified for bind '${addressList}' at [${ctx.directive.loc.file}:${ctx.directive.loc.line}] (use 'crt').`);
  }
  return bind;
}

/** How an option's problem is told: HAProxy's text without the line's label, at the option's word plus `argOffset`. */
export type OptionReport = (problem: string, argOffset: number, code?: DiagnosticCode) => void;

/** HAProxy's words for an option that takes a value and was given none, or undefined. */
export function missingValueProblem(option: string, value: string | undefined): string | undefined {
  if (!BIND_OPTION_NAMES[option] || (value !== undefined && (value !== '' || !(option in MISSING_VALUE)))) return undefined;
  return `'${option}' : ${MISSING_VALUE[option] ?? 'missing value.'}`;
}

/**
 * What a `stats socket` cannot do with a bind option (HAProxy's cli.c reads its words with the bind
 * keywords): Loadstar's runtime API speaks plain text, without TLS, a PROXY header or another mux.
 */
const NOT_ON_STATS_SOCKET = new Set(['ssl', 'accept-proxy', 'proto', ...Object.keys(UNSUPPORTED_OPTIONS)]);

/**
 * One bind option of a `stats socket` line, after its value was found present: checked as a `bind`
 * checks it (a certificate file must exist, a number be in range…). 'unsupported' for what the
 * runtime API cannot honour, 'ignored' for what has no effect on it, false once a problem was reported.
 */
export function statsSocketBindOption(ctx: DirectiveContext, option: string, value: string | undefined, report: OptionReport): 'unsupported' | 'ignored' | false {
  if (NOT_ON_STATS_SOCKET.has(option)) return 'unsupported';
  if (option in NO_EFFECT_OPTIONS) {
    const problem = value === undefined ? undefined : noEffectValueProblem(option, value);
    if (problem === undefined) return 'ignored';
    report(problem, 1);
    return false;
  }
  const scratch: Bind = { addresses: [], ssl: false, crt: [], acceptProxy: false, v4v6: false, v6only: false, extra: {}, loc: ctx.directive.loc };
  return applyOption(ctx, scratch, option, value, report) ? 'ignored' : false;
}

function applyOption(ctx: DirectiveContext, bind: Bind, option: string, value: string | undefined, report: OptionReport): boolean {
  switch (option) {
    case 'ssl': bind.ssl = true; return true;
    case 'accept-proxy': bind.acceptProxy = true; return true;
    case 'v4v6': bind.v4v6 = true; return true;
    case 'v6only': bind.v6only = true; return true;
    case 'name': bind.name = value; return true;
    case 'ciphers': bind.ciphers = value; return true;
    case 'ciphersuites': bind.ciphersuites = value; return true;
    case 'alpn': bind.alpn = value!.split(','); return true;
    case 'proto': {
      // HAProxy's muxes: h1 and h2 serve HTTP frontends, none TCP ones (checked against the mode in validate.ts).
      if (value === 'h1' || value === 'h2' || value === 'none') bind.proto = value;
      else if (value === 'fcgi') report(`'proto ${value}' is not supported by Loadstar yet.`, 0, 'LS_ERR_CFG_UNSUPPORTED');
      else report(`'proto' :  unknown MUX protocol '${value}'`, 0);
      return bind.proto !== undefined;
    }
    case 'crt': {
      const file = resolveCertPath(value!, ctx.config.global.crtBase);
      // A missing file may be a multi-certificate bundle (`FILE.rsa`, `FILE.ecdsa`…), unless `ssl-load-extra-files` leaves bundles out.
      const bundle = ctx.config.global.certKeyFiles.bundle && bundleMembers(file, ctx.options.fileExists).length > 0;
      if (!bundle && !ctx.options.fileExists(file)) {
        report(`unable to stat SSL certificate from file '${file}' : No such file or directory.`, 1, 'LS_ERR_CFG_FILE');
        return false;
      }
      bind.crt.push(value!);
      return true;
    }
    case 'tls-ticket-keys': {
      // HAProxy reads the keys while parsing, relative to its working directory (no crt-base).
      const keys = ticketKeysOf(ctx.options.readFile(value!));
      if (typeof keys === 'string') {
        report(`'${value}' : ${keys}`, 1, 'LS_ERR_CFG_FILE');
        return false;
      }
      bind.tlsTicketKeys = value;
      return true;
    }
    case 'crt-list': {
      const file = resolveCertPath(value!, ctx.config.global.crtBase);
      if (!ctx.options.fileExists(file)) {
        report(`'crt-list' : cannot open file '${file}' : No such file or directory.`, 1, 'LS_ERR_CFG_FILE');
        return false;
      }
      bind.crtList = value;
      return true;
    }
    case 'ssl-min-ver':
    case 'ssl-max-ver': {
      if (!TLS_VERSIONS.includes(value as TlsVersion)) {
        report(`'${value}' : unknown ssl/tls version (expects one of ${TLS_VERSIONS.join(', ')}).`, 1);
        return false;
      }
      if (option === 'ssl-min-ver') bind.sslMinVer = value as TlsVersion;
      else bind.sslMaxVer = value as TlsVersion;
      return true;
    }
    case 'force-sslv3':
    case 'force-tlsv10':
    case 'force-tlsv11':
    case 'force-tlsv12':
    case 'force-tlsv13': {
      // HAProxy sets both bounds, as `ssl-min-ver X ssl-max-ver X` would: a later option may move either.
      const version = FORCED_VERSION[option]!;
      bind.sslMinVer = version;
      bind.sslMaxVer = version;
      return true;
    }
    case 'strict-sni': bind.strictSni = true; return true;
    case 'generate-certificates': bind.generateCertificates = true; return true;
    // bind_parse_ca_sign_file: a relative path goes under `ca-base`; the file is read when the bind loads.
    case 'ca-sign-file': bind.caSignFile = value![0] !== '/' && ctx.config.global.caBase ? `${ctx.config.global.caBase}/${value}` : value; return true;
    case 'ca-sign-pass': bind.caSignPass = value; return true;
    case 'verify':
    case 'ca-file':
    case 'ca-verify-file':
    case 'crl-file':
    case 'ca-ignore-err':
    case 'crt-ignore-err': {
      const clientAuth = (bind.clientAuth ??= {});
      const problem = applyClientAuthOption(clientAuth, option, value!, ctx.config.global.caBase, ctx.options.fileExists);
      if (problem !== undefined) {
        report(problem, 1, problem.includes('unable to load') ? 'LS_ERR_CFG_FILE' : undefined);
        return false;
      }
      return true;
    }
    case 'backlog': {
      // bind_parse_backlog: atol(), then a negative value is refused (0, a word included, leaves the default).
      const n = atoi(value!);
      if (n < 0) {
        report(`'backlog' : invalid value ${n}, must be > 0`, 1);
        return false;
      }
      if (n > 0) bind.backlog = n;
      return true;
    }
    case 'maxconn':
    case 'id': {
      const v = parseInteger(value!, option, option === 'id' ? 1 : 0);
      // listener.c's words where HAProxy refuses too (other words: Loadstar's, README policy on atol()).
      const refused = option === 'id' && value === '' ? `'id' : expects an integer argument`
        : option === 'id' && /^-?\d+$/.test(value!) && Number(value) < 1 ? `'id' : custom id has to be > 0`
          : option === 'maxconn' && /^-\d+$/.test(value!) ? `'maxconn' : invalid value ${value}, must be >= 0` : undefined;
      if (refused !== undefined) {
        report(refused, 1);
        return false;
      }
      if (v.error !== undefined) {
        report(v.error, 1);
        return false;
      }
      if (option === 'maxconn') bind.maxconn = v.value;
      return true;
    }
    default:
      bind.extra[option] = value ?? true;
      return true;
  }
}

/**
 * What HAProxy (cfgparse-tcp.c, listener.c, cli.c) refuses in the value of an option Loadstar ignores:
 * its message, or undefined. `process` and `thread` depend on the build and the machine: not checked.
 */
function noEffectValueProblem(option: string, value: string): string | undefined {
  switch (option) {
    case 'nice': {
      // atol() into an int: the leading digits, wrapped to 32 bits.
      const n = atoi(value) | 0;
      return n < -1024 || n > 1024 ? `'nice' : invalid value ${n}, allowed range is -1024..1024` : undefined;
    }
    case 'mss': {
      const n = atoi(value) | 0;
      return n === 0 || Math.abs(n) > 65535 ? `'mss' : expects an MSS with and absolute value between 1 and 65535` : undefined;
    }
    case 'tcp-ut': {
      const t = parseTime(value, 'tcp-ut');
      if (t.error?.startsWith('timer overflow') || (t.value ?? 0) > 2 ** 31 - 1) return `timer overflow in argument '${value}' to 'tcp-ut' (maximum value is 2147483647 ms or ~24.8 days)`;
      return t.error !== undefined ? `'tcp-ut' : expects a positive delay in milliseconds` : undefined;
    }
    case 'severity-output':
      return ['none', 'number', 'string'].includes(value) ? undefined : `'severity-output' only supports 'none', 'number', and 'string' (got '${value}')`;
    default:
      return undefined;
  }
}

/** Whether OpenSSL (through Node) knows every curve of a colon-separated list. */
function knownCurves(list: string): boolean {
  try {
    tls.createSecureContext({ ecdhCurve: list });
    return true;
  } catch {
    return false;
  }
}

/** HAProxy's words for an option given without its value (others: 'missing value.'). */
const MISSING_VALUE: Record<string, string> = {
  'ca-sign-file': 'missing CAfile path',
  'ca-sign-pass': 'missing CAkey password',
  // cfgparse-ssl.c and listener.c
  'ca-file': 'missing CAfile path',
  'ca-verify-file': 'missing CAfile path',
  ciphers: 'missing cipher suite',
  ciphersuites: 'missing cipher suite',
  crt: 'missing certificate location',
  'crt-list': 'missing certificate location',
  'crl-file': 'missing CRLfile path',
  curves: 'missing curve suite',
  ecdhe: 'missing named curve',
  'ca-ignore-err': 'missing error IDs list',
  'crt-ignore-err': 'missing error IDs list',
  'ssl-min-ver': 'missing the ssl/tls version',
  'ssl-max-ver': 'missing the ssl/tls version',
  npn: 'missing the comma-delimited NPN protocol suite',
  alpn: 'missing the comma-delimited ALPN protocol suite',
  'tls-ticket-keys': 'missing TLS ticket keys file path',
  verify: 'missing verify method',
  name: 'missing name',
  proto: 'missing value',
  backlog: 'missing value',
  interface: 'missing interface name',
  mss: 'missing MSS value',
  nice: 'missing value',
  'severity-output': 'missing severity format',
  'tcp-ut': 'missing TCP User Timeout value',
};

const FORCED_VERSION: Record<string, TlsVersion> = {
  'force-sslv3': 'SSLv3', 'force-tlsv10': 'TLSv1.0', 'force-tlsv11': 'TLSv1.1', 'force-tlsv12': 'TLSv1.2', 'force-tlsv13': 'TLSv1.3',
};

/** Highest X509 verification error ID `ca-ignore-err` / `crt-ignore-err` accept (OpenSSL 3.0's last, as HAProxy 2.6.12 says). */
export const MAX_VERIFY_ERROR_ID = 94;

/**
 * One client-certificate option of a bind or a crt-list line into `into`; returns HAProxy's error
 * text (without the line's label) when the value is unusable. CA and CRL files must exist.
 */
export function applyClientAuthOption(into: ClientAuth, option: string, value: string, caBase: string | undefined, fileExists: (path: string) => boolean): string | undefined {
  switch (option) {
    case 'verify':
      if (value !== 'none' && value !== 'optional' && value !== 'required') {
        return `'verify' : unknown verify method '${value}', only 'none', 'optional', and 'required' are supported`;
      }
      into.verify = value;
      return undefined;
    case 'ca-file':
    case 'ca-verify-file':
    case 'crl-file': {
      const file = resolveCertPath(value, caBase);
      // HAProxy prints two alerts: the store's, then the option's.
      if (!(option === 'ca-file' && value === '@system-ca') && !fileExists(file)) return `Couldn't open the ca-file '${file}' (No such file or directory). '${option}' : unable to load ${file}.`;
      if (option === 'ca-file') into.caFile = value;
      else if (option === 'ca-verify-file') into.caVerifyFile = value;
      else into.crlFile = value;
      return undefined;
    }
    case 'ca-ignore-err':
    case 'crt-ignore-err': {
      let ids: 'all' | number[] = 'all';
      if (value !== 'all') {
        ids = [];
        for (const part of value.split(',')) {
          // HAProxy reads each ID with atoi(): '12abc' is 12, a word is 0 (out of range).
          const id = Number(/^\s*[+-]?\d*/.exec(part)![0].trim() || '0') || 0;
          if (id <= 0 || id > MAX_VERIFY_ERROR_ID) return `'${option}' : ID '${id}' out of range (1..${MAX_VERIFY_ERROR_ID}) in error IDs list '${value}'`;
          ids.push(id);
        }
      }
      if (option === 'ca-ignore-err') into.caIgnoreErr = ids;
      else into.crtIgnoreErr = ids;
      return undefined;
    }
    default:
      return `'${option}' is not a client-certificate option.`;
  }
}

/** Relative certificate (CA) paths resolve against `crt-base` (`ca-base`), else the working directory (as in HAProxy). */
export function resolveCertPath(file: string, crtBase: string | undefined): string {
  return crtBase && !path.isAbsolute(file) ? path.join(crtBase, file) : file;
}

registerProxyKeywords([
  {
    name: 'bind',
    sections: 'fl',
    status: ENGINE,
    summary: 'Listening address(es) and options: `ssl crt`, `crt-list`, `alpn`, `name`, `ssl-min-ver`/`ssl-max-ver`, `force-tlsv1x`, `strict-sni`, `generate-certificates` with `ca-sign-file` (a client naming a host no certificate matches gets one made for it: the CA\'s subject plus CN and DNS SAN of the name, over the default certificate\'s key, signed SHA-256 by the CA, valid from a day ago for a year, as HAProxy 2.6 makes it; kept in an LRU of `tune.ssl.ssl-ctx-cache-size` names; `ca-sign-pass` is accepted and unused, as by HAProxy 2.6, so the CA key must be unencrypted), client certificates (`verify none|optional|required`, `ca-file`, `ca-verify-file`, `crl-file`, `ca-ignore-err`, `crt-ignore-err`; a certificate failing verification closes the connection after the handshake where HAProxy sends an alert), `accept-proxy` (a PROXY protocol v1 or v2 header must come first, before TLS too, complete in the first read as HAProxy 2.6 wants it; its addresses become the connection\'s for src/dst, logs, stick tables, balance source and X-Forwarded-For; fc_rcvd_proxy, fc_pp_authority, fc_pp_unique_id; a bad one is logged as HAProxy logs it and the connection reset), `v4v6`, `proto h2` (HTTP/2 whatever ALPN says; in cleartext, h2c by prior knowledge) or `proto h1` (HTTP/1 only: a connection starting with HTTP/2\'s preface is answered 400, as with `option disable-h2-upgrade`).',
    parse: parseBind,
  },
]);
