/** `server`, `default-server` and `server-template` with their options (configuration.txt §5.2). */
import { isIP } from 'node:net';
import { registerProxyKeywords } from './keywords.ts';
import { fetchUsableAt, parseSampleExpression, sourceNames } from '../acl/index.ts';
import type { ProxyDirectiveContext } from './keywords.ts';
import { atoi, parseAddress, parseInteger, parseNetwork, parseTime } from './values.ts';
import { suggest } from './suggest.ts';
import { parseSource, SOURCE_REFUSED } from './source.ts';
import { ENGINE } from './status.ts';
import type { ServerOptions, OnError, Socks4Address, TlsVersion, ParsedConfig, ParsedProxy, Server } from './model.ts';
import { provisionDynamicServer } from './provision.ts';
import { TLS_VERSIONS, resolveCertPath } from './kw-bind.ts';

/** Parses one option value into `into`; returns an error message, or undefined when fine. */
type OptionParser = (value: string, into: ServerOptions, serverName: string, ctx: ProxyDirectiveContext) => string | undefined;

const flag = (apply: (o: ServerOptions) => void) => ({ takesValue: false as const, apply });
const valued = (parse: OptionParser) => ({ takesValue: true as const, parse });
/** An option whose parser (server.c) reads its word without checking there is one: a missing word is ''. */
const optionalValue = (parse: OptionParser) => ({ takesValue: true as const, parse, optional: true });

function time(field: 'inter' | 'fastinter' | 'downinter' | 'slowstart' | 'agentInter', name: string): OptionParser {
  return (value, o, server) => {
    const t = parseTime(value, name);
    // server.c words slowstart's overflow apart from the check delays'.
    const overflow = `${field === 'slowstart' ? '' : 'timer '}overflow in argument <${value}> to <${name}> of server ${server}, maximum value is 2147483647 ms (~24.8 days).`;
    if (t.error?.startsWith('timer overflow')) return overflow;
    if (t.error !== undefined) return (`unexpected character '${/^\d*(.)/.exec(value)?.[1] ?? value}' in '${name}' argument of server ${server}.`);
    if (t.value === 0 && field !== 'slowstart') return (`invalid value 0 for argument '${name}' of server ${server}.`);
    // server.c parse_time_err(): PARSE_TIME_OVER for any value past INT_MAX ms, unit or not.
    if (t.value > 2 ** 31 - 1) return overflow;
    o[field] = t.value;
    return undefined;
  };
}

/** server.c's words for a value below 1 where they differ from "'<name>' has to be > 0". */
const POSITIVE: Readonly<Record<string, string>> = { id: `'id' : custom id has to be > 0.`, 'error-limit': `error-limit has to be > 0.` };

function count(field: 'rise' | 'fall' | 'maxconn' | 'minconn' | 'maxqueue' | 'errorLimit' | 'id' | 'agentPort' | 'port', name: string, min: number, max = 2 ** 31 - 1): OptionParser {
  return (value, o) => {
    // A negative number is a number below 1 for the options server.c checks for > 0.
    if (!/^\d+$/.test(value) && !(min === 1 && /^-\d+$/.test(value))) return (`'${name}' expects an integer argument, got '${value}'.`);
    const n = Number(value);
    if (n < min) return (min === 1 ? POSITIVE[name] ?? `'${name}' has to be > 0.` : `'${name}' expects an integer >= ${min}.`);
    if (n > max) return (`'${name}' expects an integer <= ${max}, got '${value}'.`);
    o[field] = n;
    return undefined;
  };
}

/** server.c's "expects one of 'a', 'b', 'c' but got 'x'" options (`last` joins the last name: ', ' or ' or '). */
function oneOf<K extends keyof ServerOptions>(field: K, name: string, values: readonly string[], last = ', '): OptionParser {
  return (value, o) => {
    const names = values.map((v) => `'${v}'`);
    if (!values.includes(value)) return `'${name}' expects one of ${names.slice(0, -1).join(', ')}${last}${names.at(-1)} but got '${value}'.`;
    (o as Record<string, unknown>)[field] = value;
    return undefined;
  };
}

/** `ssl-min-ver` / `ssl-max-ver` <version> (HAProxy's parse_tls_method_minmax). */
function tlsVersion(field: 'sslMinVer' | 'sslMaxVer'): OptionParser {
  return (value, o) => {
    if (!TLS_VERSIONS.includes(value as TlsVersion)) return `'${value}' : unknown ssl/tls version.`;
    o[field] = value as TlsVersion;
    return undefined;
  };
}

/** `no-sslv3`, `no-tlsv10` … switch one version off; `force-<version>` sets min and max to it. */
function tlsVersionFlags(): Record<string, ReturnType<typeof flag>> {
  const words = { sslv3: ['SSLv3', 'noSslv3'], tlsv10: ['TLSv1.0', 'noTlsv10'], tlsv11: ['TLSv1.1', 'noTlsv11'], tlsv12: ['TLSv1.2', 'noTlsv12'], tlsv13: ['TLSv1.3', 'noTlsv13'] } as const;
  const result: Record<string, ReturnType<typeof flag>> = {};
  for (const [suffix, [version, field]] of Object.entries(words)) {
    result[`no-${suffix}`] = flag((o) => (o[field] = true));
    result[`force-${suffix}`] = flag((o) => { o.sslMinVer = version; o.sslMaxVer = version; });
  }
  return result;
}

const SERVER_OPTIONS: Record<string, ReturnType<typeof flag> | ReturnType<typeof valued>> = {
  check: flag((o) => (o.check = true)),
  'no-check': flag((o) => (o.check = false)),
  backup: flag((o) => (o.backup = true)),
  'no-backup': flag((o) => (o.backup = false)),
  disabled: flag((o) => (o.disabled = true)),
  enabled: flag((o) => (o.disabled = false)),
  ssl: flag((o) => (o.ssl = true)),
  'no-ssl': flag((o) => (o.ssl = false)),
  'check-ssl': flag((o) => (o.checkSsl = true)),
  'no-check-ssl': flag((o) => (o.checkSsl = false)),
  'send-proxy': flag((o) => (o.sendProxy = true)),
  'send-proxy-v2': flag((o) => (o.sendProxyV2 = true)),
  'no-send-proxy': flag((o) => (o.sendProxy = false)),
  'no-send-proxy-v2': flag((o) => (o.sendProxyV2 = false)),
  // ssl_sock.c: both imply send-proxy-v2 and its SSL TLV (with the client certificate's CN for -cn).
  'send-proxy-v2-ssl': flag((o) => { o.sendProxyV2 = true; o.proxyV2Options = addV2Options(o.proxyV2Options, ['ssl']); }),
  'send-proxy-v2-ssl-cn': flag((o) => { o.sendProxyV2 = true; o.proxyV2Options = addV2Options(o.proxyV2Options, ['ssl', 'cert-cn']); }),
  'proxy-v2-options': valued((value, o) => {
    const names = value.split(',');
    for (const name of names) {
      if (!PROXY_V2_OPTIONS.includes(name)) return `'${name}' : proxy v2 option not implemented.`;
    }
    // Node does not tell a client certificate's signature or key algorithm as OpenSSL names them.
    const refused = names.find((n) => n === 'cert-sig' || n === 'cert-key');
    if (refused) return `'proxy-v2-options ${refused}' ${NOT_SUPPORTED}`;
    o.proxyV2Options = addV2Options(o.proxyV2Options, names);
    return undefined;
  }),
  'check-send-proxy': flag((o) => (o.checkSendProxy = true)),
  // server.c srv_parse_socks4(): str2sa_range with the port mandatory, neither range nor offset.
  socks4: valued((value, o) => {
    const parsed = parseSocks4Address(value);
    // haproxy prints str2sa_range's port messages on the line, with a period; the others on their own line, without.
    if ('error' in parsed) return `'socks4 ${value}' : ${parsed.error}${/^(missing port|invalid port|port range|port offset)/.test(parsed.error) ? '.' : ''}`;
    o.socks4 = parsed;
    return undefined;
  }),
  // check.c srv_parse_check_via_socks4(): without `socks4` it changes nothing, and is not refused.
  'check-via-socks4': flag((o) => (o.checkViaSocks4 = true)),
  'no-check-send-proxy': flag((o) => (o.checkSendProxy = false)),
  'agent-check': flag((o) => (o.agentCheck = true)),
  'no-agent-check': flag((o) => (o.agentCheck = false)),
  inter: valued(time('inter', 'inter')),
  fastinter: valued(time('fastinter', 'fastinter')),
  downinter: valued(time('downinter', 'downinter')),
  slowstart: valued(time('slowstart', 'slowstart')),
  'agent-inter': valued(time('agentInter', 'agent-inter')),
  rise: valued(count('rise', 'rise', 1)),
  fall: valued(count('fall', 'fall', 1)),
  // srv_parse_maxconn & co. take atol() of the next word, whatever it is (even none): a number
  // HAProxy does not check is refused here (test/scenarios/invalid/README.md, bind-maxconn-garbage).
  maxconn: valued(count('maxconn', 'maxconn', 0)),
  minconn: valued(count('minconn', 'minconn', 0)),
  maxqueue: valued(count('maxqueue', 'maxqueue', 0)),
  'error-limit': valued(count('errorLimit', 'error-limit', 1)),
  id: valued(count('id', 'id', 1)),
  port: valued(count('port', 'port', 1, 65535)),
  'agent-port': valued(count('agentPort', 'agent-port', 1, 65535)),
  weight: valued((value, o, server) => {
    if (/^-\d+$/.test(value)) return `weight of server ${server} is not within 0 and 256 (${value}).`;
    if (!/^\d+$/.test(value)) return (`weight of server ${server} is not a number ('${value}').`);
    const w = Number(value);
    if (w > 256) return (`weight of server ${server} is not within 0 and 256 (${w}).`);
    o.weight = w;
    return undefined;
  }),
  addr: valued((value, o) => {
    const a = parseAddress(value, { kind: 'generic', keyword: 'addr' });
    if (a.error !== undefined) return (a.error);
    o.addr = value;
    return undefined;
  }),
  // HAProxy's str2ip(): an IP address or a host name resolved when connecting; no port.
  'agent-addr': valued((value, o) => {
    if (!isIP(value) && !/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(value)) return `parsing agent-addr failed. Check if '${value}' is correct address.`;
    o.agentAddr = value;
    return undefined;
  }),
  'agent-send': valued((value, o) => void (o.agentSend = value)),
  // Resolved once every section is read (validate.ts checkTracks), as HAProxy's srv_apply_track.
  track: valued((value, o) => void (o.track = value)),
  cookie: valued((value, o) => void (o.cookie = value)),
  verify: valued((value, o) => {
    if (value !== 'none' && value !== 'required') return `'verify' : unknown verify method '${value}', only 'none' and 'required' are supported.`;
    o.verify = value;
    return undefined;
  }),
  // ssl_sock.c srv_parse_ca_file(): the file is loaded when the line is read, ssl or not.
  'ca-file': valued((value, o, _server, ctx) => {
    const file = resolveCertPath(value, ctx.config.global.caBase);
    if (value !== '@system-ca' && !ctx.options.fileExists(file)) return `Couldn't open the ca-file '${file}' (No such file or directory).`;
    o.caFile = value;
    return undefined;
  }),
  sni: valued((value, o) => {
    const parsed = parseSampleExpression(value);
    if ('error' in parsed) return `error detected while parsing sni expression : ${parsed.error}`;
    // Evaluated when the server connection is made (server.c server_parse_sni_expr: SMP_VAL_BE_SRV_CON), its message.
    const fetch = parsed.expr.fetch;
    if (!fetchUsableAt(fetch, 'backend-server-source')) {
      return `error detected while parsing sni expression :  fetch method '${value}' extracts information from '${sourceNames(fetch.sources)}', none of which is available here.`;
    }
    o.sni = value;
    return undefined;
  }),
  verifyhost: valued((value, o) => void (o.verifyhost = value)),
  // Documented in 2.6 (resets an inherited verifyhost) though 2.6.12's parser does not know it.
  'no-verifyhost': flag((o) => (o.verifyhost = undefined)),
  'ssl-min-ver': valued(tlsVersion('sslMinVer')),
  'ssl-max-ver': valued(tlsVersion('sslMaxVer')),
  ...tlsVersionFlags(),
  ciphers: valued((value, o) => void (o.ciphers = value)),
  ciphersuites: valued((value, o) => void (o.ciphersuites = value)),
  curves: valued((value, o) => void (o.curves = value)),
  sigalgs: valued((value, o) => void (o.sigalgs = value)),
  // Loaded once the server line is read, and only for a server using TLS (missingCertificate()).
  crt: valued((value, o) => void (o.crt = value)),
  'crl-file': valued((value, o, _server, ctx) => {
    const file = resolveCertPath(value, ctx.config.global.caBase);
    if (!ctx.options.fileExists(file)) return `Couldn't open the ca-file '${file}' (No such file or directory). 'crl-file' : unable to load ${file}.`;
    o.crlFile = value;
    return undefined;
  }),
  'check-sni': valued((value, o) => void (o.checkSni = value)),
  'ssl-reuse': flag((o) => (o.sslReuse = true)),
  'no-ssl-reuse': flag((o) => (o.sslReuse = false)),
  resolvers: valued((value, o) => void (o.resolvers = value)),
  'init-addr': optionalValue((value, o) => {
    // srv_parse_init_addr() reads methods until the word ends: none at all is the default.
    // srv_parse_init_addr() skips empty methods (`libc,`), and takes an IP address as a method.
    const methods = value.split(',').filter((m) => m !== '');
    if (methods.length === 0) return void delete o.initAddr;
    const bad = methods.find((m) => !['last', 'libc', 'none'].includes(m) && isIP(m) === 0);
    if (bad !== undefined) return (`'init-addr' : unknown init-addr method '${bad}', supported methods are 'libc', 'last', 'none'.`);
    o.initAddr = methods;
    return undefined;
  }),
  'resolve-prefer': valued((value, o) => {
    if (value !== 'ipv4' && value !== 'ipv6') return `'resolve-prefer' expects either ipv4 or ipv6 as argument.`;
    o.resolvePrefer = value;
    return undefined;
  }),
  // srv_parse_resolve_opts() reads the next word without checking there is one.
  'resolve-opts': optionalValue((value, o) => {
    // An empty word sets nothing (strtok finds no option); an empty option in a list is unknown.
    if (value === '') return undefined;
    for (const opt of value.split(',')) {
      if (opt === 'allow-dup-ip') o.allowDupIp = true;
      else if (opt === 'prevent-dup-ip') o.allowDupIp = false;
      else if (opt === 'ignore-weight') o.ignoreWeight = true;
      else return `'resolve-opts' : unknown resolve-opts option '${opt}', supported methods are 'allow-dup-ip', 'ignore-weight', and 'prevent-dup-ip'.`;
    }
    return undefined;
  }),
  'resolve-net': valued((value, o) => {
    // srv_parse_resolve_net(): each comma-separated word must be a network, an empty one too, except after the last comma.
    const nets = value.split(',');
    if (nets.length > 1 && nets.at(-1) === '') nets.pop();
    if (nets.length > 5) return `'resolve-net' exceed 5 networks.`;
    const bad = nets.find((n) => parseNetwork(n) === undefined);
    if (bad !== undefined) return `'resolve-net' invalid network '${bad}'.`;
    o.resolveNet = nets;
    return undefined;
  }),
  observe: valued(oneOf('observe', 'observe', ['none', 'layer4', 'layer7'])),
  redir: valued((value, o) => void (o.redir = value)),
  source: valued((value, o, serverName, ctx) => {
    const server = ctx.directive.keyword === 'default-server' ? undefined : `'server ${ctx.proxy.name}/${serverName}'`;
    const parsed = parseSource(value, 'server', ctx.directive.loc, server);
    if ('error' in parsed) return parsed.error;
    o.source = parsed.value;
    return undefined;
  }),
  'on-marked-down': valued((value, o) => {
    if (value !== 'shutdown-sessions') return `'on-marked-down' expects 'shutdown-sessions' but got '${value}'.`;
    o.onMarkedDown = value;
    return undefined;
  }),
  'on-marked-up': valued((value, o) => {
    if (value !== 'shutdown-backup-sessions') return `'on-marked-up' expects 'shutdown-backup-sessions' but got '${value}'.`;
    o.onMarkedUp = value;
    return undefined;
  }),
  'on-error': valued(oneOf('onError', 'on-error', ['fastinter', 'fail-check', 'sudden-death', 'mark-down'] satisfies OnError[], ' or ')),
  // HTTP/2 to servers (proxy/http/h2-upstream.ts). HAProxy's muxes: h1, h2, fcgi (needs an fcgi-app), none (TCP).
  // FastCGI (proxy/http/fcgi-upstream.ts): the backend's `use-fcgi-app` application (kw-fcgi.ts checks there is one).
  proto: valued((value, o) => (value === 'fcgi' ? void (o.proto = 'fcgi') : muxProtocol('proto', value, (p) => void (o.proto = p)))),
  // `none` is the raw TCP mux, what checks other than HTTP ones speak anyway (validate.ts matches it to the check type).
  'check-proto': valued((value, o) => {
    if (value === 'none') return void (o.checkProto = 'none');
    return muxProtocol('check-proto', value, (p) => void (o.checkProto = p));
  }),
  alpn: valued((value, o) => void (o.alpn = value.split(','))),
  'check-alpn': valued((value, o) => void (o.checkAlpn = value.split(','))),
  ws: valued((value, o) => {
    if (value !== 'auto' && value !== 'h1' && value !== 'h2') return `'ws' has to be 'auto', 'h1' or 'h2'.`;
    o.ws = value;
    return undefined;
  }),
};

/** A `proto`/`check-proto` name: HAProxy's message for an unknown one; fcgi (checks through FastCGI) and none are refused as not supported. */
function muxProtocol(keyword: string, value: string, set: (proto: 'h1' | 'h2') => string | undefined | void): string | undefined {
  if (value === 'h1' || value === 'h2') return set(value) ?? undefined;
  if (value === 'fcgi' || value === 'none') return `'${keyword} ${value}' ${NOT_SUPPORTED}`;
  return `'${keyword}' :  unknown MUX protocol '${value}'.`;
}

/**
 * A `socks4` address as str2sa_range reads it for srv_parse_socks4 (PA_O_PORT_MANDATORY, no range,
 * no offset, stream only): `host:port` (an IP address, `*`, or a host name: HAProxy resolves it
 * here, Loadstar refuses one giving no address at load, resolve-at-load.ts, and looks it up at each
 * connection), `[v6]:port`, `ipv4@`/`ipv6@`, or a UNIX socket
 * (`/path`, `unix@/path`, `abns@name`). Its error is HAProxy's text after `'socks4 <word>' : `.
 */
export function parseSocks4Address(word: string): Socks4Address | { error: string } {
  if (word.startsWith('abns@')) return { host: '', port: 0, path: `\0${word.slice(5)}` };
  const prefix = /^([a-z0-9]+)@/.exec(word)?.[1];
  if (prefix !== undefined && /^(udp[46]?|quic[46]|uxdg|dgram)$/.test(prefix)) return { error: `dgram-type address not acceptable in '${word}'` };
  if (prefix === 'fd' || prefix === 'sockpair') return { error: `a file descriptor is not acceptable here in '${word}'` };
  const unix = word.startsWith('/') || prefix === 'unix';
  const portText = unix ? undefined : /:([^:\]]*)$/.exec(word)?.[1];
  if (portText !== undefined && /^[+-]\d+$/.test(portText)) return { error: `port offset not permitted here in '${word}'` };
  if (portText !== undefined && /^\d+-\d+$/.test(portText)) return { error: `port range not permitted here in '${word}'` };
  const a = parseAddress(word, { kind: 'generic', keyword: 'socks4' });
  if (a.error !== undefined) return { error: a.error.replace(/^'socks4' : /, '') };
  if (a.value.family === 'unix') return { host: '', port: 0, path: a.value.host };
  if (portText === undefined || portText === '') return { error: `missing port specification in '${word}'` };
  if (a.value.port === 0) return { error: `invalid port '0'` };
  // `*:port` and `:port` are the any address, as str2sa_range reads them.
  return { host: a.value.host || (a.value.family === 'ipv6' ? '::' : '0.0.0.0'), port: a.value.port };
}

/** The most servers one `server-template` line may declare. */
const MAX_TEMPLATE_SERVERS = 65536;

/** The end of an option parser's message refusing what Loadstar does not implement (reported as LS_ERR_CFG_UNSUPPORTED). */
const NOT_SUPPORTED = 'is not supported by Loadstar yet.';

/** HAProxy 2.6's proxy-v2-options names (srv_parse_proxy_v2_options); cert-sig and cert-key are refused by Loadstar. */
const PROXY_V2_OPTIONS = ['ssl', 'cert-cn', 'cert-key', 'cert-sig', 'ssl-cipher', 'authority', 'crc32c', 'unique-id'];

function addV2Options(current: readonly string[] | undefined, added: readonly string[]): string[] {
  return [...new Set([...(current ?? []), ...added])];
}

/** Options that do not change traffic in Loadstar: accepted with a warning. */
const NO_EFFECT: Record<string, boolean> = {
  tfo: false, 'no-tfo': false, 'pool-max-conn': true, 'pool-low-conn': true, 'pool-purge-delay': true,
  'tcp-ut': true, 'no-tls-tickets': false, 'tls-tickets': false,
  'max-reuse': true, 'log-proto': true, 'allow-0rtt': false, namespace: true,
};

/** What server.c / proto_tcp.c refuse in the value of an option Loadstar ignores: its message, or undefined. */
function noEffectValueProblem(option: string, value: string): string | undefined {
  switch (option) {
    case 'log-proto':
      return value === 'legacy' || value === 'octet-count' ? undefined : `'log-proto' expects one of 'legacy' or 'octet-count' but got '${value}'.`;
    case 'pool-max-conn':
      return (atoi(value) | 0) < -1 ? `'pool-max-conn' must be >= -1.` : undefined;
    case 'pool-purge-delay':
    case 'tcp-ut': {
      const t = parseTime(value, option);
      if (t.error?.startsWith('timer overflow') || (t.value ?? 0) > 2 ** 31 - 1) return `timer overflow in argument '${value}' to '${option}' (maximum value is 2147483647 ms or ~24.8 days).`;
      if (t.error === undefined) return undefined;
      return option === 'tcp-ut' ? `'tcp-ut' : expects a positive delay in milliseconds.` : `unexpected character '${/^\d*(.)/.exec(value)?.[1] ?? value}' in argument to <${option}>.`;
    }
    default:
      return undefined;
  }
}

/** HAProxy server options Loadstar does not implement yet. */
const UNSUPPORTED: Record<string, boolean> = {
  'non-stick': false, stick: false, 'set-proxy-v2-tlv-fmt': true,
  // Node cannot set the signature algorithms for client certificates (SSL_CTX_set1_client_sigalgs_list).
  'client-sigalgs': true, 'health-check-port': true,
};

const ALL_OPTION_NAMES = [...Object.keys(SERVER_OPTIONS), ...Object.keys(NO_EFFECT), ...Object.keys(UNSUPPORTED), ...Object.keys(SOURCE_REFUSED)];

/** Every server option name Loadstar knows, and whether it takes a value (scripts/value-sweep.ts). */
export const SERVER_OPTION_NAMES: Readonly<Record<string, boolean>> = {
  ...Object.fromEntries(Object.entries(SERVER_OPTIONS).map(([name, spec]) => [name, spec.takesValue])),
  ...NO_EFFECT, ...UNSUPPORTED, ...Object.fromEntries(Object.keys(SOURCE_REFUSED).map((name) => [name, true])),
};

/** What server.c / cfgparse-ssl.c say when one of these options lacks its word (others: Loadstar's words). */
const SERVER_MISSING: Readonly<Record<string, string>> = {
  ...Object.fromEntries(['rise', 'fall'].map((o) => [o, `'${o}' expects an integer argument.`])),
  ...Object.fromEntries(['inter', 'fastinter', 'downinter', 'agent-inter'].map((o) => [o, `'${o}' expects a delay as argument.`])),
  ...Object.fromEntries(['port', 'agent-port'].map((o) => [o, `'${o}' expects a port number as argument.`])),
  cookie: `'cookie' expects <value> as argument.`,
  redir: `'redir' expects <prefix> as argument.`,
  addr: `'addr' expects <ipv4|ipv6> as argument.`,
  'resolve-prefer': `'resolve-prefer' expects either ipv4 or ipv6 as argument.`,
  'on-error': `'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got ''`,
  'on-marked-up': `'on-marked-up' expects 'shutdown-backup-sessions' but got ''`,
  sni: `'sni' : missing sni expression.`,
  alpn: `'alpn' : missing the comma-delimited ALPN protocol suite.`,
  'check-alpn': `'check-alpn' : missing the comma-delimited ALPN protocol suite.`,
  ciphers: `'ciphers' : missing cipher suite.`,
  ciphersuites: `'ciphersuites' : missing cipher suite.`,
  verify: `'verify' : missing verify method.`,
  'ca-file': `'ca-file' : missing CAfile path.`,
  'crl-file': `'crl-file' : missing CRLfile path.`,
  crt: `'crt' : missing certificate file path.`,
  'check-sni': `'check-sni' : missing SNI.`,
  verifyhost: `'verifyhost' : missing hostname to verify against.`,
  'agent-send': `'agent-send' expects a string as argument.`,
  'log-proto': `'log-proto' expects one of 'legacy' or 'octet-count' but got ''`,
  ...Object.fromEntries(['max-reuse', 'pool-low-conn', 'pool-max-conn', 'pool-purge-delay'].map((o) => [o, `'${o}' expects <value> as argument.`])),
  namespace: `'namespace' : expects <name> as argument`,
  'tcp-ut': `'tcp-ut' : missing TCP User Timeout value.`,
  track: `'track' expects [<proxy>/]<server> as argument..`,
  socks4: `'socks4' expects <addr>:<port> as argument..`,
  ...Object.fromEntries(['ssl-min-ver', 'ssl-max-ver'].map((o) => [o, `'${o}' : missing the ssl/tls version.`])),
  ...Object.fromEntries(['proto', 'check-proto'].map((o) => [o, `'${o}' : missing value.`])),
  observe: `'observe' expects <mode> as argument.`,
  ws: `'ws' has to be 'auto', 'h1' or 'h2'.`,
  'agent-addr': `'agent-addr' expects an address as argument.`,
  'resolve-net': `'resolve-net' expects a list of networks.`,
  'error-limit': `'error-limit' expects an integer argument.`,
  id: `'id' : expects an integer argument.`,
  source: `'source' expects <addr>[:<port>[-<port>]], and optionally 'usesrc' <addr>, and 'interface' <name> as argument..`,
};

/** server.c srv_kws (default_ok 0): options a default-server line refuses. */
const NOT_IN_DEFAULT_SERVER = new Set(['id', 'no-sslv3', 'no-tlsv10', 'no-tlsv11', 'no-tlsv12', 'no-tlsv13']);

/** Parses `[options…]` from `args[from]` into `options`. Returns false after reporting an error. */
function parseServerOptions(ctx: ProxyDirectiveContext, from: number, label: string, serverName: string, options: ServerOptions, dynamic = false): boolean {
  for (let i = from; i < ctx.args.length; i++) {
    const word = ctx.args[i]!;
    // _srv_parse_kw(): a known keyword without dynamic_ok is refused for an `add server` line.
    if (dynamic && NOT_FOR_DYNAMIC.has(word)) {
      ctx.error(`'${word}' option is not accepted for dynamic server`, i);
      return false;
    }
    if (word in SOURCE_REFUSED) {
      ctx.error(`${label} : ${SOURCE_REFUSED[word]}`, i, 'LS_ERR_CFG_UNSUPPORTED');
      return false;
    }
    const spec = SERVER_OPTIONS[word];
    const otherTakesValue = NO_EFFECT[word] ?? UNSUPPORTED[word];
    if (!spec && otherTakesValue === undefined) {
      const hint = suggest(word, ALL_OPTION_NAMES);
      // server.c _srv_parse_kw(): a default-server line has no address, and the message says so.
      const noAddress = ctx.directive.keyword === 'default-server' ? ' Hint: no address was expected for this server.' : '';
      ctx.error(`${label} : unknown keyword '${word}'${hint ? `; did you mean '${hint}' maybe ?` : '.'}${noAddress}`, i);
      return false;
    }
    if (ctx.directive.keyword === 'default-server' && NOT_IN_DEFAULT_SERVER.has(word)) {
      ctx.error(`'${word}' option is not accepted in default-server sections`, i);
      return false;
    }
    const takesValue = spec ? spec.takesValue : otherTakesValue!;
    let value = takesValue ? ctx.args[i + 1] : undefined;
    if (takesValue && value === undefined && spec && 'optional' in spec) value = '';
    // The parsers test `!*args[cur_arg + 1]`: an empty word ("") is no word.
    else if (value === '' && word in SERVER_MISSING) value = undefined;
    if (takesValue && value === undefined) {
      const expects = SERVER_MISSING[word] ?? `'${word}' expects an argument.`;
      ctx.error(`${label} : ${expects}`, i);
      return false;
    }
    if (takesValue) i++;
    if (!spec) {
      if (word in UNSUPPORTED) {
        ctx.error(`${label} : '${word}' is not supported by Loadstar yet.`, i, 'LS_ERR_CFG_UNSUPPORTED');
        return false;
      }
      const problem = value === undefined ? undefined : noEffectValueProblem(word, value);
      if (problem !== undefined) {
        ctx.error(`${label} : ${problem}`, i);
        return false;
      }
      // A ring's servers (config/kw-ring.ts) get its messages in the `log-proto` framing.
      const forRing = word === 'log-proto' && ctx.config.rings.some((r) => r.forward === ctx.proxy);
      if (!forRing) ctx.warn(`${label} : '${word}' has no effect in Loadstar and is ignored.`, i, 'LS_WARN_CFG_IGNORED');
      (options.extra ??= {})[word] = value ?? true;
      continue;
    }
    if (spec.takesValue) {
      const problem = spec.parse(value!, options, serverName, ctx);
      if (problem?.endsWith(NOT_SUPPORTED)) {
        ctx.error(`${label} : ${problem}`, i, 'LS_ERR_CFG_UNSUPPORTED');
        return false;
      }
      if (problem !== undefined) {
        const unsupported = problem.includes('is not supported by Loadstar');
        ctx.error(`${label} : ${problem}`, i, unsupported ? 'LS_ERR_CFG_UNSUPPORTED' : undefined);
        return false;
      }
    } else spec.apply(options);
  }
  return true;
}

/**
 * ssl_sock.c loads a server's `crt` once its line is read, when the server (or its checks) use TLS:
 * a missing file is refused then, and a default-server's `crt` is never checked. Reports it; true when refused.
 */
function missingCertificate(ctx: ProxyDirectiveContext, label: string, options: ServerOptions): boolean {
  const defaults = ctx.proxy.defaultServer;
  const crt = options.crt ?? defaults.crt;
  if (crt === undefined || !((options.ssl ?? defaults.ssl) || (options.checkSsl ?? defaults.checkSsl))) return false;
  const file = resolveCertPath(crt, ctx.config.global.crtBase);
  if (ctx.options.fileExists(file)) return false;
  const index = ctx.args.lastIndexOf('crt');
  ctx.error(`${label} : unable to stat SSL certificate from file '${file}' : No such file or directory.`, index >= 0 ? index + 1 : undefined);
  return true;
}

function parseServerAddress(ctx: ProxyDirectiveContext, index: number, label: string) {
  const word = ctx.args[index]!;
  const a = parseAddress(word, { kind: 'server', keyword: label.slice(1, label.indexOf(' ')) });
  if (a.error !== undefined) {
    ctx.error(a.error.replace(/^'server'/, label), index);
    return undefined;
  }
  return a.value;
}

registerProxyKeywords([
  {
    name: 'server',
    sections: 'lb',
    status: ENGINE,
    summary: 'A backend server: address (`host:port`, `ipv4@`/`ipv6@` before an IP address or a host name to resolve in that family, or a UNIX socket: `/path`, `unix@/path`, `abns@name`), and options (check, inter, rise, fall, weight, backup, maxconn, minconn, cookie, `track [<backend>/]<server>`, `source <addr>[:<port>]` (an IP address or a host name, as the backend\'s `source`), `redir <prefix>`, `on-marked-down shutdown-sessions`, `on-marked-up shutdown-backup-sessions` …). PROXY protocol: `send-proxy` (v1), `send-proxy-v2` with `proxy-v2-options` crc32c, authority, unique-id, ssl, cert-cn, ssl-cipher (cert-sig and cert-key are refused), `send-proxy-v2-ssl`, `send-proxy-v2-ssl-cn`, before TLS; such HTTP connections are reused only by the client connection that opened them; `check-send-proxy` (health checks send v1 with their own addresses, or a v2 LOCAL header; the server\'s send-proxy applies to checks unless `port`/`addr` are set). TLS: ssl, verify, verifyhost/no-verifyhost, ca-file, crl-file, crt (client certificate), sni, check-sni, ssl-min-ver/ssl-max-ver, force-*/no-* versions, ciphers, ciphersuites, curves, sigalgs, alpn; check-ssl uses the same settings. A server\'s last TLS session is offered on its next connections (resumed handshakes, `ssl_bc_is_resumed`), as HAProxy does unless `no-ssl-reuse`. In a `mode tcp` backend or listen section `ssl` wraps the server side in TLS whatever the client side is (plain TCP clients to a TLS server, or re-encryption behind `bind … ssl`): the handshake counts in %Tc and `timeout connect`, a failed one is a failed connection (retried, except a certificate not for the SNI sent). HTTP/2 to the server: `proto h2` (cleartext: prior knowledge, as gRPC servers expect) or `ssl alpn h2,http/1.1` (h2 when the server picks it); connections carry several streams as HAProxy shares them (`http-reuse`); response trailers reach HTTP/1.1 clients as chunked trailers. `ws auto|h1`: WebSocket exchanges go over HTTP/1.1 (RFC 8441 is not spoken, `ws h2` is refused). HTTP health checks speak HTTP/2 on a `proto h2` server, with `check-proto h2`, `http-check connect proto h2`, or when TLS negotiates h2 (`check-alpn`, else `alpn`, is offered); HTTP/1.1 otherwise (`check-proto h1`). Runtime DNS: `resolvers <id>` resolves a host name every `timeout resolve` (new connections and checks go to the address DNS gives; a server without one is in maintenance "MAINT (resolution)"), with `resolve-prefer ipv4|ipv6` (default ipv6), `resolve-net <net>[,…]`, `resolve-opts allow-dup-ip|prevent-dup-ip|ignore-weight` (servers of a backend never share an address unless allow-dup-ip) and `init-addr last,libc,none,<ip>` (default last,libc; `last` is the address before a reload). A host name is resolved when the configuration loads, as HAProxy does, once (without `resolvers` the server\'s connections and checks go to that address until a reload or `set server addr`): `loadstar check`, a start and a reload refuse a server whose name gives no address unless its `init-addr` allows that (`none`: the server starts in maintenance until `set server addr`; an IP address: it starts there; with `resolvers`, `none` comes last by default). A server written without an address (`0.0.0.0`, `::`) or without a port (none, `0`, `+N`, `-N`) connects where the client\'s connection went (as `set-dst` / `set-dst-port` left it), plus the offset; in HTTP mode its idle connections serve only requests for the same destination, and HTTP/2 to it is refused; `check` on it needs `port` (or a `tcp-check connect port`). SOCKS4: `socks4 <addr>:<port>` (an IP address, a UNIX socket, or a host name: refused when it gives no address as the configuration loads, looked up at each connection) sends the server\'s connections through that proxy (a CONNECT to the server\'s IPv4 address and port, user id "HAProxy"; of an IPv6 address its first 32-bit word that is not zero, as HAProxy sends it); the handshake counts in %Tc and `timeout connect`, a refusal is a failed connection (SC, retried), send-proxy\'s header and TLS go through the tunnel, idle HTTP connections are reused without a new handshake; not with HTTP/2 to the server. Unlike haproxy 2.6, whose connections fail when the proxy\'s address family is not the server\'s (an IPv6 server through an IPv4 proxy, a UNIX-socket proxy: "General socket error (Invalid argument)"), Loadstar connects. Health checks go through it only with `check-via-socks4` (or a `tcp-check`/`http-check connect … via-socks4` line). Refused: usesrc, interface, source port ranges, client-sigalgs.',
    parse(ctx) {
      const [name, address] = ctx.args;
      // An empty word ("") is no word to server.c.
      if (name === undefined || address === undefined || address === '') return ctx.error(`'server' expects <name> and <addr>[:<port>] as arguments.`);
      const label = `'server ${ctx.proxy.name}/${name}'`;
      const a = parseServerAddress(ctx, 1, label);
      if (!a) return;
      const options: ServerOptions = {};
      if (!parseServerOptions(ctx, 2, label, name, options)) return;
      if (missingCertificate(ctx, label, options)) return;
      const family = a.family === 'ipv4' ? 4 : a.family === 'ipv6' ? 6 : undefined;
      ctx.proxy.servers.push({
        name, host: a.host, port: a.port, portIsOffset: a.portOffset, ...(a.family === 'unix' ? { unix: true } : {}),
        ...(family !== undefined && isIP(a.host) === 0 ? { family } : {}), options, loc: ctx.directive.loc,
      });
    },
  },
  {
    name: 'dispatch',
    sections: 'lb',
    status: ENGINE,
    summary: 'HAProxy\'s old "server without name": `dispatch <address>:<port>` sends every request (or TCP connection) that no `use-server` rule, persistence cookie or stick rule binds to a server to that address; the log names no server (`<NOSRV>`, %si:%sp the address), statistics show algo `none`. Only without `balance` (in the section or its defaults): with one, it is ignored with HAProxy\'s warning. A port is required (no offset, no range); an IP address or a UNIX socket path (a host name is not supported yet).',
    parse(ctx) {
      const [word, extra] = ctx.args;
      if (word === undefined) return ctx.error(`'dispatch' : '' resolves to an empty address (environment variable missing?)`);
      const portText = word.startsWith('/') || word.startsWith('unix@') || word.startsWith('abns@') ? undefined : /:([^:\]]*)$/.exec(word)?.[1];
      if (portText !== undefined && /^[+-]\d+$/.test(portText)) return ctx.error(`'dispatch' : port offset not permitted here in '${word}'`, 0);
      if (portText !== undefined && /^\d+-\d+$/.test(portText)) return ctx.error(`'dispatch' : port range not permitted here in '${word}'`, 0);
      const a = parseAddress(word, { kind: 'generic', keyword: 'dispatch' });
      if (a.error !== undefined) return ctx.error(a.error, 0);
      const unix = a.value.family === 'unix';
      if (!unix && (portText === undefined || portText === '')) return ctx.error(`'dispatch' : missing port specification in '${word}'`, 0);
      if (!unix && a.value.port === 0) return ctx.error(`'dispatch' : invalid port '0'`, 0);
      if (extra !== undefined) return ctx.error(`'dispatch' cannot handle unexpected argument '${extra}'.`, 1);
      if (!unix && a.value.host !== '' && isIP(a.value.host) === 0) return ctx.error(`'dispatch' : a host name ('${word}') is not supported by Loadstar yet: write the server's IP address.`, 0, 'LS_ERR_CFG_UNSUPPORTED');
      // `*:80` / `:80`: the any address, as HAProxy's str2sa_range reads it.
      ctx.proxy.dispatch = { host: a.value.host || '0.0.0.0', port: a.value.port, ...(unix ? { unix: true } : {}), loc: ctx.directive.loc };
    },
  },
  {
    name: 'source',
    sections: 'dlb',
    status: ENGINE,
    summary: 'Local address (`<addr>[:<port>]`) connections and health checks to the servers are bound to, unless a server has its own `source`. An IP address, or a host name (`ipv4@`/`ipv6@` for one family) looked up once as the configuration loads, as HAProxy does when it parses the line: `loadstar check`, a start and a reload refuse one that gives no address. `usesrc` and `interface` are refused (they need root).',
    parse(ctx) {
      const [address, option] = ctx.args;
      if (address === undefined) return ctx.error(`'source' expects <addr>[:<port>], and optionally 'usesrc' <addr>, and 'interface' <name>.`);
      const parsed = parseSource(address, 'backend', ctx.directive.loc);
      if ('error' in parsed) return ctx.error(parsed.error, 0, parsed.unsupported ? 'LS_ERR_CFG_UNSUPPORTED' : undefined);
      if (option !== undefined) {
        const refused = SOURCE_REFUSED[option];
        if (refused) return ctx.error(refused, 1, 'LS_ERR_CFG_UNSUPPORTED');
        return ctx.error(`'source' only supports the 'usesrc', 'interface' and 'namespace' options.`, 1);
      }
      ctx.proxy.source = parsed.value;
    },
  },
  {
    name: 'default-server',
    sections: 'dlb',
    status: ENGINE,
    summary: 'Default options for every following server of this section (or of proxies using these defaults).',
    parse(ctx) {
      // A default-server line applies to the servers after it: those before keep what they had.
      const before = { ...ctx.proxy.defaultServer };
      for (const s of [...ctx.proxy.servers, ...ctx.proxy.serverTemplates]) s.defaultServer ??= before;
      parseServerOptions(ctx, 0, `'default-server'`, 'default-server', ctx.proxy.defaultServer);
    },
  },
  {
    name: 'server-template',
    sections: 'lb',
    status: ENGINE,
    summary: 'Declares N servers `<prefix>1..N` at once. With `resolvers`, the slots are filled from the A/AAAA records of the name, one address per slot (the others wait in maintenance without an address); a slot whose record is gone for `hold obsolete` is emptied. With an SRV label (`_http._tcp.name`, no port needed), each slot takes one SRV record: its target (the address from the additional section, else the target resolved), its port and its weight (`(weight + 255) / 256`, unless `resolve-opts ignore-weight`); a slot whose record goes is emptied (no host name, no port, maintenance).',
    parse(ctx) {
      const [prefix, range, address] = ctx.args;
      if (prefix === undefined || range === undefined || address === undefined || address === '') {
        return ctx.error(`'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments.`);
      }
      const label = `'server-template ${ctx.proxy.name}/${prefix}'`;
      const m = /^(\d+)(?:-(\d+))?$/.exec(range);
      const first = m ? (m[2] !== undefined ? Number(m[1]) : 1) : NaN;
      const last = m ? Number(m[2] ?? m[1]) : NaN;
      if (!m || last < first || last < 1 || first < 1) {
        return ctx.error(`Wrong server-template number or range arg '${range}'. Expects a number of servers > 0 or a <first>-<last> range.`, 1);
      }
      // HAProxy reads the numbers with atoi() and makes that many servers, checking each name against
      // the others (100000 take it minutes; 99999999999 crashes it): Loadstar refuses what it would not serve.
      if (last - first + 1 > MAX_TEMPLATE_SERVERS) {
        return ctx.error(`server-template '${range}' declares ${last - first + 1} servers; at most ${MAX_TEMPLATE_SERVERS} are allowed.`, 1);
      }
      const a = parseServerAddress(ctx, 2, label);
      if (!a) return;
      const options: ServerOptions = {};
      if (!parseServerOptions(ctx, 3, label, prefix, options)) return;
      if (missingCertificate(ctx, label, options)) return;
      ctx.proxy.serverTemplates.push({ prefix, first, last, host: a.host, port: a.port, ...(a.family === 'unix' ? { unix: true } : {}), options, loc: ctx.directive.loc });
    },
  },
]);


/**
 * server.c's srv_kws (and cfgparse-tcp.c's) without dynamic_ok: the options the runtime API's
 * `add server` refuses ("'<kw>' option is not accepted for dynamic server").
 */
const NOT_FOR_DYNAMIC = new Set([
  'cookie', 'init-addr', 'log-proto', 'max-reuse', 'namespace', 'non-stick', 'redir', 'resolve-net', 'resolve-opts',
  'resolve-prefer', 'resolvers', 'socks4', 'stick', 'tcp-ut', 'no-agent-check', 'no-check', 'no-check-send-proxy',
  'no-check-ssl', 'no-send-proxy-v2-ssl', 'no-send-proxy-v2-ssl-cn', 'no-ssl', 'ssl-reuse',
]);


/** A parsed `add server` line: the server with HAProxy's dynamic-server defaults, and whether `enabled` made it start ready. */
export interface DynamicServer {
  server: Server;
  ready: boolean;
}

/**
 * The words of the runtime API's `add server <backend>/<name> <addr> [options]*` after the
 * backend, as HAProxy 2.6's cli_parse_add_server reads them (SRV_PARSE_DYNAMIC): the address,
 * then the options of a `server` line minus those refused for dynamic servers, over HAProxy's
 * built-in values — a `default-server` line does not apply, the weight is 1 — then
 * _srv_parse_finalize's checks. `words[0]` is the name. The error is HAProxy's text, each
 * message on its line (its usermsgs buffer); warnings likewise.
 */
export function parseDynamicServer(config: ParsedConfig, proxy: ParsedProxy, words: readonly string[], fileExists: (path: string) => boolean): (DynamicServer & { warnings: string }) | { error: string } {
  const [name, address] = words;
  if (name === undefined || address === undefined || address === '') return { error: `'server' expects <name> and <addr>[:<port>] as arguments.\n` };
  // _srv_parse_init(): invalid_char() allows letters, digits, '.', '_', '-' and ':' in a name.
  const bad = /[^A-Za-z0-9._:-]/.exec(name)?.[0];
  if (bad !== undefined) return { error: `character '${bad}' is not permitted in server name '${name}'.\n` };
  let error: string | undefined;
  let warnings = '';
  let addressRead = false;
  const label = `'server ${proxy.name}/${name}'`;
  // server.c's messages at run time name nothing: the label the shared parser puts first goes.
  const bare = (message: string): string => message.startsWith(`${label} : `) ? message.slice(label.length + 3) : message.replace(/^'[^']*' : /, '');
  const ctx = {
    directive: { keyword: 'server', args: words, loc: { file: '', line: 0 }, argColumns: [], comments: [] },
    args: words,
    config,
    proxy: { ...proxy, defaultServer: {} },
    options: { fileExists },
    error(message: string) {
      if (error !== undefined) return;
      const text = bare(message);
      // display_parser_err() ends a keyword parser's message with a period; the parser's own alerts have theirs.
      // The address's errors are printed as str2sa_range words them (no period).
      const own = addressRead === false || /^(unknown keyword |'[^']+' option is not accepted for dynamic server|'[^']+' is not supported by Loadstar)/.test(text);
      error = `${text}${own ? '' : '.'}\n`;
    },
    warn(message: string) {
      warnings += `${bare(message)}\n`;
    },
  } as unknown as ProxyDirectiveContext;
  const a = parseServerAddress(ctx, 1, label);
  if (!a || error !== undefined) return { error: error ?? 'invalid address\n' };
  addressRead = true;
  const options: ServerOptions = {};
  if (!parseServerOptions(ctx, 2, label, name, options, true) || error !== undefined) return { error: error ?? 'invalid option\n' };
  // A host name would be looked up while the runtime API waits: the engine's event loop never does.
  if (options.source?.hostName) return { error: `'source' : a host name ('${options.source.hostName.name}') is not supported by Loadstar in 'add server': write an IP address.\n` };
  if (options.check && options.track !== undefined) return { error: 'unable to enable checks and tracking at the same time!\n' };
  if (options.agentCheck && options.agentPort === undefined && options.port === undefined) return { error: `server ${name} does not have agent port. Agent check has been disabled.\n` };
  const family = a.family === 'ipv4' ? 4 : a.family === 'ipv6' ? 6 : undefined;
  const server = provisionDynamicServer({
    name, host: a.host, port: a.port, portIsOffset: a.portOffset, ...(a.family === 'unix' ? { unix: true } : {}),
    ...(family !== undefined && isIP(a.host) === 0 ? { family } : {}),
    options,
    dynamic: true,
    loc: { file: '', line: 0, column: 0 },
  });
  return { server, ready: options.disabled === false, warnings };
}
