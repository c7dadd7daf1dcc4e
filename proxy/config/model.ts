/**
 * The typed configuration model. The text (haproxy.cfg) is the source of truth
 * (DESIGN.md §3): every section keeps its directives in order, exactly as parsed,
 * so the serializer can write them back with their comments; the typed fields
 * are the parsed meaning of those directives, which the engine reads.
 *
 * Units: every duration is in milliseconds, every size in bytes, unless a field says otherwise.
 */
import type { SourceLocation } from './diagnostics.ts';
import type { AclDeclaration, Condition, LogFormatToken, SetVarCondition } from '../acl/index.ts';

export type { SourceLocation };

/** One configuration line: a keyword and its arguments. */
export interface Directive {
  /** The words that name the directive (`server`, `option httpchk`, `timeout client`, `no option httplog`). */
  keyword: string;
  /**
   * The remaining words after quote removal and environment expansion. Frozen:
   * to edit a directive, assign a new array (the serializer then re-quotes it).
   */
  args: readonly string[];
  loc: SourceLocation;
  /** 1-based columns of each argument, for diagnostics. */
  argColumns: number[];
  /** Whole-line comments directly above this line (without `#`). */
  comments: string[];
  /** A comment on the same line, after the arguments. */
  trailingComment?: string;
  /**
   * The arguments as parsed and, where any differs from its value, as typed: while
   * `args` is still the parsed array, the serializer writes `typed` back verbatim
   * (keeps `"${VAR}"` and the user's quoting). An empty typed word continues the
   * previous one (`"${LIST[*]}"` gives several values).
   */
  source?: { readonly args: readonly string[]; readonly typed?: readonly string[] };
}

export type SectionKind = 'global' | 'defaults' | 'frontend' | 'backend' | 'listen' | 'resolvers' | 'userlist' | 'http-errors' | 'peers' | 'mailers' | 'cache' | 'fcgi-app' | 'program' | 'log-forward' | 'ring';

export interface Section {
  kind: SectionKind;
  /** Empty for `global` and an anonymous `defaults`. */
  name: string;
  /** `from NAME`: the defaults section this one inherits from. */
  from?: string;
  loc: SourceLocation;
  comments: string[];
  trailingComment?: string;
  directives: Directive[];
}

export type ProxyMode = 'http' | 'tcp';
export type ProxyKind = 'defaults' | 'frontend' | 'backend' | 'listen';

/** The configuration as the parser builds it: each proxy holds only what its own section wrote. */
export interface ParsedConfig {
  /** Every section in file order, including the ones the typed fields below describe. */
  sections: Section[];
  /** Comments after the last directive of the last file. */
  trailingComments: string[];
  global: GlobalSettings;
  /** defaults, frontend, backend and listen sections, in order, with their parsed meaning. */
  proxies: ParsedProxy[];
  resolvers: Resolvers[];
  userlists: Userlist[];
  /** `http-errors` sections: named sets of error files that proxies import (`errorfiles`, a rule's `errorfiles`). */
  httpErrors: HttpErrors[];
  /** `peers` sections (only the local peer runs: tables naming one keep their entries across reloads). */
  peers: Peers[];
  /** `mailers` sections: the SMTP servers proxies send their `email-alert` messages to. */
  mailers: Mailers[];
  /** `cache` sections (configuration.txt §6): HAProxy's small object cache, used by cache-use / cache-store rules. */
  caches: CacheSection[];
  /** `fcgi-app` sections (configuration.txt §10): FastCGI applications backends speak to with `use-fcgi-app` (kw-fcgi.ts). */
  fcgiApps: FcgiApp[];
  /** `ring` sections (configuration.txt §3.10): in-memory buffers of the latest log lines sent to `log ring@<name>` (kw-ring.ts). */
  rings: RingSection[];
  /** `program` sections (configuration.txt §3.7): commands run beside the engine in master-worker mode (runtime/programs.ts). */
  programs: Program[];
  /** `log-forward` sections (configuration.txt §3.10): syslog relays (kw-log-forward.ts, runtime/log-forward.ts). */
  logForwards: LogForward[];
  /**
   * The map and pattern files read by map converters and ACLs (`-f`), each use in file order
   * with where it is: the runtime API's `show map|acl` describes a file by them. Absent: none.
   */
  patternFiles?: PatternFileUse[];
}

/** A map converter or an ACL reading a map or pattern file. */
export interface PatternFileUse {
  /** The file name as written. */
  file: string;
  /** A map converter, or an ACL (`-f`; `-M` reads it as a map all the same). */
  kind: 'map' | 'acl';
  /** Read as key and value per line (a map, `-M`), or a pattern per line. */
  twoColumn: boolean;
  loc: SourceLocation;
}

/**
 * The configuration after provisioning (config/provision.ts), what everything
 * past the parser reads: every frontend, backend and listen section carries
 * its effective settings; defaults sections keep only what they set.
 */
export interface Config extends ParsedConfig {
  proxies: Array<Proxy | DefaultsProxy>;
}

// ---------------------------------------------------------------- global

export interface StatsSocket {
  /** `ipv4@127.0.0.1:9999`, `127.0.0.1:9999` or a UNIX socket path. */
  address: ListenAddress;
  /** UNIX socket permission bits, e.g. 0o600. */
  mode?: number;
  level: 'user' | 'operator' | 'admin';
  expose_fd?: boolean;
  /** `severity-output`: what precedes the runtime API's messages on this socket (`set severity-output` changes it per session). Default none. */
  severityOutput?: 'none' | 'number' | 'string';
  /** The UNIX socket's owner (`uid`/`user`, `gid`/`group`): chown(2) after it is bound. */
  uid?: number;
  gid?: number;
  loc: SourceLocation;
}

export interface LogTarget {
  /** `global` (use the global log targets), a UNIX path, `stdout`/`stderr`, or host:port. */
  target: string;
  facility?: string;
  level?: string;
  minLevel?: string;
  format?: string;
  /** `len`: the longest line sent, header and trailing newline included (default 1024). */
  len?: number;
  loc: SourceLocation;
}

/**
 * `set-var <proc.name>[,<cond>…] <expr>` or `set-var-fmt <proc.name>[,<cond>…] <fmt>` in the global
 * section: the expression (or format) is evaluated when the configuration is loaded, with no
 * connection, and may read the proc.* variables set by the lines above.
 */
export interface GlobalVariable {
  /** The name after `proc.`. */
  name: string;
  conditions?: SetVarCondition[];
  expression?: string;
  format?: LogFormatToken[];
  loc: SourceLocation;
}

export interface GlobalSettings {
  section?: Section;
  /** `set-var` / `set-var-fmt` lines: proc.* variables set once the configuration is loaded, in file order. */
  procVariables?: GlobalVariable[];
  /** Process-wide connection limit; default derived from the file-descriptor limit. */
  maxconn?: number;
  /** `maxconnrate`, `maxsessrate`, `maxsslrate`: new connections, sessions and TLS sessions per second, process-wide (unset or 0: no limit). */
  maxConnRate?: number;
  maxSessRate?: number;
  maxSslRate?: number;
  /** `maxsslconn`: TLS endpoints open at once, process-wide, both sides (unset or 0: no limit; tls/ssl-conns.ts). */
  maxSslConn?: number;
  /** Worker threads HAProxy would start; Loadstar runs one event loop and only notes it. */
  nbthread?: number;
  daemon: boolean;
  /** `master-worker [no-exit-on-failure]`: allows `program` sections; `exitOnFailure` false keeps the engine running when one fails. */
  masterWorker?: { exitOnFailure: boolean };
  /** `h2-workaround-bogus-websocket-clients`: HTTP/2 clients are not offered WebSocket over HTTP/2 (no SETTINGS_ENABLE_CONNECT_PROTOCOL). */
  h2NoWebSocket?: boolean;
  /** `h1-accept-payload-with-any-method`: HTTP/1.0 GET, HEAD and DELETE requests may carry a body (else 413). */
  h1AcceptPayloadWithAnyMethod?: boolean;
  /** `httpclient.*` (HAProxy's internal HTTP client, which Loadstar has not): kept only for the checks HAProxy makes once the configuration is read. */
  httpclient?: { resolversId?: { id: string; loc: SourceLocation }; caFile?: { file: string; opens: boolean; loc: SourceLocation }; verify?: 'none' | 'required' };
  /** `pp2-never-send-local`: health checks with a PROXY v2 header send their connection's addresses (PROXY command), not LOCAL. */
  pp2NeverSendLocal?: boolean;
  logs: LogTarget[];
  /** `log-tag`: the program name syslog lines carry (default `haproxy`, what syslog filters written for HAProxy expect). */
  logTag?: string;
  /** `log-send-hostname [<name>]`: the host name syslog lines carry (true: the system's). */
  logSendHostname?: string | true;
  statsSockets: StatsSocket[];
  /** `stats timeout`: idle timeout of the runtime API, ms (default 10000). */
  statsTimeout?: number;
  sslDefaultBind: { ciphers?: string; ciphersuites?: string; options: string[] };
  sslDefaultServer: { ciphers?: string; ciphersuites?: string; options: string[] };
  /** `crt-base` / `ca-base`: directories relative certificate paths resolve against. */
  crtBase?: string;
  /** `server-state-base`: the directory relative server-state file names resolve against. */
  serverStateBase?: string;
  /** `server-state-file`: the file `load-server-state-from-file global` reads at start (a `show servers state` dump). */
  serverStateFile?: string;
  /** Where a certificate file's private key may come from besides the file itself (`ssl-load-extra-files`, `ssl-load-extra-del-ext`). */
  certKeyFiles: CertKeyFiles;
  caBase?: string;
  /** tune.* values as written (numbers converted where the keyword takes a number). */
  tune: Record<string, string>;
  /**
   * `h1-case-adjust <from> <to>` and the lines of `h1-case-adjust-file`: lower-case header name →
   * the case HTTP/1 peers get it in, where `option h1-case-adjust-bogus-client|server` asks (every
   * other header name goes out in lower case, as HAProxy 2.6 sends them). Absent: none.
   */
  h1CaseAdjust?: Record<string, string>;
  /** `external-check`: proxies may run `option external-check` (HAProxy refuses it otherwise). */
  externalCheck?: boolean;
  /** `insecure-fork-wanted`: silences the warning `option external-check` gets without it. */
  insecureForkWanted?: boolean;
}

// ---------------------------------------------------------------- addresses

export type AddressFamily = 'ipv4' | 'ipv6' | 'unix' | 'any';

export interface ListenAddress {
  family: AddressFamily;
  /** IP address or host name; '' means all addresses (`*`, `:port`). For unix: the path. */
  host: string;
  /** First port of the range (0 for unix). */
  port: number;
  /** Last port of a `:8000-8010` range; equal to `port` otherwise. */
  portEnd: number;
}

export interface Bind {
  addresses: ListenAddress[];
  ssl: boolean;
  /** Certificate files or directories given with `crt`. */
  crt: string[];
  crtList?: string;
  /** `tls-ticket-keys <file>`: the keys of the session tickets, as written (tls/ticket-keys.ts reads them). */
  tlsTicketKeys?: string;
  alpn?: string[];
  name?: string;
  sslMinVer?: TlsVersion;
  sslMaxVer?: TlsVersion;
  ciphers?: string;
  ciphersuites?: string;
  /** Client certificates: `verify`, `ca-file`, `crl-file`, `ca-ignore-err`, `crt-ignore-err`… (absent: none requested). */
  clientAuth?: ClientAuth;
  /** `strict-sni`: a ClientHello whose SNI names no certificate (or that has none) is refused. */
  strictSni?: boolean;
  /**
   * `generate-certificates`: a ClientHello whose SNI no certificate matches gets a certificate for
   * that name, signed by the CA of `caSignFile` over the default certificate's key (proxy/tls/gencert.ts).
   */
  generateCertificates?: boolean;
  /** `ca-sign-file`: the CA certificate and its key, one PEM file (`ca-base` applied). */
  caSignFile?: string;
  /** `ca-sign-pass`: recorded only; HAProxy 2.6 never uses it (an encrypted CA key cannot be loaded). */
  caSignPass?: string;
  acceptProxy: boolean;
  v4v6: boolean;
  v6only: boolean;
  /** Per-bind connection limit. */
  maxconn?: number;
  /** `backlog`: the listen queue asked of the kernel for this bind (see Proxy.backlog). */
  backlog?: number;
  /**
   * `proto`: the protocol spoken on accepted connections whatever TLS negotiates (h2 in cleartext: prior
   * knowledge). Default: h2 when ALPN chose it, else HTTP/1.1. `none` (TCP frontends): raw TCP that
   * never becomes HTTP (no `switch-mode http`, no `mode http` backend).
   */
  proto?: 'h1' | 'h2' | 'none';
  /** Other bind options, parsed and recorded as written (keyword → value or true). */
  extra: Record<string, string | true>;
  loc: SourceLocation;
}

/** A local address to bind outgoing connections to: an IP (absent: any) and a port (absent: any). */
/** Where a server's `socks4` proxy listens: `host` and `port`, or a UNIX socket `path` (`\0name` for abns@). */
export interface Socks4Address {
  host: string;
  port: number;
  path?: string;
}

export interface SourceAddress {
  address?: string;
  port?: number;
  /**
   * A host name as written (`source gw.lan`, `source ipv6@gw.lan:0`): HAProxy looks it up when it
   * parses the line; Loadstar when it loads the configuration (runtime/resolve-at-load.ts sets
   * `address`, or refuses the configuration with `unresolved`, HAProxy's alert for it).
   */
  hostName?: { name: string; family?: 4 | 6; unresolved: string; loc: SourceLocation };
}

export type TlsVersion = 'SSLv3' | 'TLSv1.0' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/**
 * Client-certificate options of a bind or of a crt-list line (HAProxy's ssl_bind_conf). Paths are
 * as written (relative ones resolve against `ca-base`); a crt-list line's fields replace the bind's.
 */
export interface ClientAuth {
  /** `verify`: 'none' (default) requests no certificate; 'optional' and 'required' request one. */
  verify?: 'none' | 'optional' | 'required';
  /** `ca-file`: CAs that sign client certificates (a file, or a directory of .pem/.crt/.cer/.crl files). */
  caFile?: string;
  /** `ca-verify-file`: CAs trusted for verification but never named in the certificate request. */
  caVerifyFile?: string;
  /** `crl-file`: revocation lists checked for every certificate of the client's chain. */
  crlFile?: string;
  /** `ca-ignore-err` / `crt-ignore-err`: X509 error IDs tolerated at depth > 0 / depth 0 ('all': any ID below 64). */
  caIgnoreErr?: 'all' | readonly number[];
  crtIgnoreErr?: 'all' | readonly number[];
  /** `no-ca-names`: the certificate request names no CA. */
  noCaNames?: boolean;
}

// ---------------------------------------------------------------- servers

export type ObserveMode = 'none' | 'layer4' | 'layer7';
export type OnError = 'fastinter' | 'fail-check' | 'sudden-death' | 'mark-down';

/**
 * `FILE.key` is read when FILE holds no key, unless `ssl-load-extra-files` leaves `key` out
 * (HAProxy's default is `all`); with `ssl-load-extra-del-ext` a `.crt` file's companion is
 * `NAME.key` instead of `NAME.crt.key`.
 */
export interface CertKeyFiles {
  companionKey: boolean;
  deleteCrtExtension: boolean;
  /**
   * `bundle` (in the default `all`): a `crt` naming no file loads its `.dsa`, `.ecdsa` and `.rsa`
   * siblings, each a certificate of its own (HAProxy ≥ 2.3's multi-certificate bundles).
   */
  bundle: boolean;
  /** `ocsp`: `FILE.ocsp` (a DER OCSP response) is stapled; `issuer`: `FILE.issuer` names the issuer when the chain does not hold it. */
  ocsp: boolean;
  issuer: boolean;
}

/** Options shared by `server`, `server-template` and `default-server`. Defaults are HAProxy's. */
export interface ServerOptions {
  /** Active health checks enabled. Default false. */
  check?: boolean;
  /** `track [<backend>/]<server>`: take that server's health instead of checking this one. */
  track?: string;
  /** Interval between checks, ms. Default 2000. */
  inter?: number;
  /** Interval while a state change is in progress, ms. Default: inter. */
  fastinter?: number;
  /** Interval while the server is down, ms. Default: inter. */
  downinter?: number;
  /** Consecutive successes to go up. Default 2. */
  rise?: number;
  /** Consecutive failures to go down. Default 3. */
  fall?: number;
  /** Port the checks connect to. Default: the server's port. */
  port?: number;
  /** Address the checks connect to. Default: the server's address. */
  addr?: string;
  /** Relative weight 0..256. Default 1. */
  weight?: number;
  backup?: boolean;
  /** Concurrent connections; 0 = unlimited. Default 0. */
  maxconn?: number;
  /**
   * `minconn`: with a higher maxconn, the limit follows the backend's load between the two (see
   * `fullconn`); higher than maxconn (or alone), it becomes the maxconn. Default: maxconn (static).
   */
  minconn?: number;
  /** Queue limit when maxconn is reached; 0 = unlimited. Default 0. */
  maxqueue?: number;
  /** Time to ramp weight up after coming back, ms. Default 0. */
  slowstart?: number;
  disabled?: boolean;
  /** Cookie value for cookie persistence. Default: none. */
  cookie?: string;
  /** Numeric server id (`show stat` sid). Default: position in backend. */
  id?: number;
  ssl?: boolean;
  verify?: 'none' | 'required';
  caFile?: string;
  /** Sample expression giving the SNI to send. */
  sni?: string;
  /** Host name the server certificate must match (`verify required`); default: the SNI sent, if any. */
  verifyhost?: string;
  /** SNI sent by TLS health checks. */
  checkSni?: string;
  /** `no-ssl-reuse` (false): no TLS session resumption towards this server; `ssl-reuse` (true) or unset: resumed, HAProxy's default. */
  sslReuse?: boolean;
  checkSsl?: boolean;
  /** `ssl-min-ver` / `ssl-max-ver` (`force-<version>` sets both). Default: the global `ssl-default-server-options`, else TLSv1.2 … TLSv1.3. */
  sslMinVer?: TlsVersion;
  sslMaxVer?: TlsVersion;
  /** `no-sslv3`, `no-tlsv10` …: versions switched off (ignored, with a warning, when a min or max version is set, as HAProxy does). */
  noSslv3?: boolean;
  noTlsv10?: boolean;
  noTlsv11?: boolean;
  noTlsv12?: boolean;
  noTlsv13?: boolean;
  /** TLS ≤ 1.2 cipher list (OpenSSL syntax). Default: global `ssl-default-server-ciphers`, else OpenSSL's. */
  ciphers?: string;
  /** TLS 1.3 cipher suites. Default: global `ssl-default-server-ciphersuites`, else OpenSSL's. */
  ciphersuites?: string;
  /** `crt`: PEM file with the client certificate (and its key) shown to the server when it asks; as written (relative to `crt-base`). */
  crt?: string;
  /** `crl-file`: PEM revocation lists checked against the server's certificate (with `verify required`); relative to `ca-base`. */
  crlFile?: string;
  /** `curves`: key exchange groups offered, colon-separated (Node's `ecdhCurve`). Default: OpenSSL's. */
  curves?: string;
  /** `sigalgs`: signature algorithms offered, colon-separated. Default: OpenSSL's. */
  sigalgs?: string;
  /** `send-proxy`: server connections start with a PROXY protocol v1 line. Default off. */
  sendProxy?: boolean;
  /** `send-proxy-v2` (also set by `send-proxy-v2-ssl[-cn]`): the binary v2 header; wins over v1 when both are set. Default off. */
  sendProxyV2?: boolean;
  /** `proxy-v2-options` (and what `send-proxy-v2-ssl[-cn]` imply): ssl, cert-cn, ssl-cipher, authority, crc32c, unique-id. */
  proxyV2Options?: string[];
  /** `check-send-proxy`: health checks send a PROXY header even when the server's traffic does not. Default: as the traffic, unless `port`/`addr` are set. */
  checkSendProxy?: boolean;
  /**
   * `socks4 <addr>:<port>`: the server's connections go through this SOCKS4 proxy (a CONNECT to the
   * server's address, user id "HAProxy"): an IP address or host name with its port, or a UNIX socket.
   */
  socks4?: Socks4Address;
  /** `check-via-socks4`: health checks go through the `socks4` proxy too. Default off (checks connect directly). */
  checkViaSocks4?: boolean;
  /** `resolvers <id>`: the section resolving the host name at run time (proxy/runtime/resolvers). */
  resolvers?: string;
  /** `init-addr`: methods tried in turn at start (`last`, `libc`, `none`, an IP). Default: last,libc. */
  initAddr?: string[];
  /** `resolve-prefer`: the address family picked first, and queried first (AAAA for ipv6). Default ipv6. */
  resolvePrefer?: 'ipv4' | 'ipv6';
  /** `resolve-net`: networks whose addresses are picked first, as written (`10.0.0.0/8`, `fd00::/8`). */
  resolveNet?: string[];
  /** `resolve-opts allow-dup-ip` (true) / `prevent-dup-ip` (false, the default): servers of a backend may share an address. */
  allowDupIp?: boolean;
  /** `resolve-opts ignore-weight`: an SRV record's weight is not applied. */
  ignoreWeight?: boolean;
  observe?: ObserveMode;
  /** Consecutive observed errors before on-error applies. Default 10. */
  errorLimit?: number;
  /** Default fail-check. */
  onError?: OnError;
  /** `agent-check`: run the auxiliary agent check (needs agent-port, or port). Default false. */
  agentCheck?: boolean;
  /** Port of the agent. Default: `port`. */
  agentPort?: number;
  /** Interval between two agent checks, ms (also its timeout without `timeout check`). Default 2000. */
  agentInter?: number;
  /** Address of the agent. Default: `addr`, else the server's address. */
  agentAddr?: string;
  /** String sent to the agent once connected, verbatim. Default: nothing. */
  agentSend?: string;
  /**
   * `proto`: the protocol spoken to the server whatever TLS negotiates (h2: HTTP/2, prior knowledge in cleartext;
   * fcgi: FastCGI, to the backend's `use-fcgi-app` application). Default: HTTP/1.1, or what `alpn` chose.
   */
  proto?: 'h1' | 'h2' | 'fcgi';
  /** `alpn`: the protocols offered in the TLS handshake, in order of preference (h2 is spoken when the server picks it). */
  alpn?: string[];
  /**
   * `ws`: the protocol of WebSocket exchanges (h2: RFC 8441 extended CONNECT). Default auto: the server's
   * `proto`, else HTTP/1.1 offered alone in ALPN when `alpn` lists it (h2-upstream.ts).
   */
  ws?: 'auto' | 'h1' | 'h2';
  /**
   * `check-proto`: the mux of the health checks' default connection (h1, h2: HTTP checks; none: the
   * others). Default: the server's `proto` for HTTP checks, else what TLS negotiates, else HTTP/1.1.
   */
  checkProto?: 'h1' | 'h2' | 'none';
  /** `check-alpn`: the protocols the TLS health checks offer. Default: none offered. */
  checkAlpn?: string[];
  /** `source <addr>[:<port>]`: the local address (and port) connections and checks to this server are bound to. Default: the backend's `source`, else the system's choice. */
  source?: SourceAddress;
  /** `redir <prefix>`: GET and HEAD requests sent to this server are answered 302 to prefix + path instead (HTTP mode). */
  redir?: string;
  /** `on-marked-down shutdown-sessions`: the server's connections are cut when it goes DOWN (logged with 'D'). */
  onMarkedDown?: 'shutdown-sessions';
  /** `on-marked-up shutdown-backup-sessions`: the backup servers' connections are cut when this one comes UP (logged with 'U'). */
  onMarkedUp?: 'shutdown-backup-sessions';
  /** Other options, recorded as written. */
  extra?: Record<string, string | true>;
}

/**
 * A server's options after provisioning: its line, over `default-server`,
 * over HAProxy's built-in defaults. Every setting HAProxy always has a value
 * for is present, so no consumer supplies a default of its own; the settings
 * whose default is another setting of the server (port, addr, agent-port,
 * agent-addr: the server's address and port) stay absent when not written.
 */
export interface ProvisionedServerOptions extends ServerOptions {
  check: boolean;
  inter: number;
  fastinter: number;
  downinter: number;
  rise: number;
  fall: number;
  weight: number;
  backup: boolean;
  maxconn: number;
  maxqueue: number;
  slowstart: number;
  disabled: boolean;
  observe: ObserveMode;
  errorLimit: number;
  onError: OnError;
  agentCheck: boolean;
  agentInter: number;
}

/** A `server` line as parsed (options as written on it). */
export interface ParsedServer {
  name: string;
  /** Host name or IP as written (possibly needing resolution). */
  host: string;
  /** 0 when the port is not given (use the client's destination port). */
  port: number;
  /** True when the address had a `+`/`-` port offset or no port. */
  portIsOffset?: boolean;
  /** `host` is a UNIX socket path (`/path`, `unix@/path`; `abns@name` as `\0name`); `port` is 0. */
  unix?: boolean;
  /** `ipv4@name` / `ipv6@name`: the host name is resolved in that address family only. */
  family?: 4 | 6;
  options: ServerOptions;
  /**
   * The section's `default-server` options when this line was read, set only when a later
   * `default-server` line changes them: that line does not apply to this server (server.c).
   */
  defaultServer?: ServerOptions;
  /** Generated by server-template. */
  fromTemplate?: string;
  /** Added by the runtime API's `add server` (HAProxy's SRV_F_DYNAMIC), not read from a file. */
  dynamic?: true;
  loc: SourceLocation;
}

/** A server after provisioning: its effective options. */
export interface Server extends ParsedServer {
  options: ProvisionedServerOptions;
}

export interface ServerTemplate {
  prefix: string;
  /** First and last number of the generated names (`web1..3` or `web5-8`). */
  first: number;
  last: number;
  host: string;
  port: number;
  /** As ParsedServer's. */
  unix?: boolean;
  options: ServerOptions;
  /** As ParsedServer's. */
  defaultServer?: ServerOptions;
  loc: SourceLocation;
}

// ---------------------------------------------------------------- balancing

export type BalanceAlgorithm =
  | 'roundrobin' | 'static-rr' | 'leastconn' | 'first' | 'source' | 'uri'
  | 'url_param' | 'hdr' | 'random' | 'rdp-cookie' | 'hash';

export interface Balance {
  algorithm: BalanceAlgorithm;
  /** uri: `whole`, `len N`, `depth N`, `path-only`. */
  uri?: { whole: boolean; len?: number; depth?: number; pathOnly: boolean };
  /** url_param: parameter name, `check_post`. */
  param?: string;
  /** hdr(name) / rdp-cookie(name). */
  header?: string;
  /** hdr: `use_domain_only`. */
  useDomainOnly?: boolean;
  /** random(N): number of draws (power of N choices). Default 2. */
  draws?: number;
  /**
   * hash: the sample expression, as written (one word, converters included). Compiled and checked
   * once the proxy's mode is known (validate.ts), as HAProxy's check_config_validity does.
   */
  expression?: string;
  loc: SourceLocation;
}

export interface HashType {
  method: 'map-based' | 'consistent';
  func?: 'sdbm' | 'djb2' | 'wt6' | 'crc32';
  avalanche: boolean;
}

// ---------------------------------------------------------------- rules

/** A directive that may end with `if COND` / `unless COND`. */
export interface Conditional {
  condition?: Condition;
  loc: SourceLocation;
}

/** `force-persist if|unless <cond>` or `ignore-persist if|unless <cond>`. */
export interface PersistRule extends Conditional {
  type: 'force' | 'ignore';
}

export type RedirectKind = 'location' | 'prefix' | 'scheme';

export type HttpAction =
  | { type: 'redirect'; kind: RedirectKind; value: LogFormatToken[]; valueText: string; code: number; dropQuery: boolean; appendSlash: boolean; setCookie?: string; clearCookie?: string; /** `ignore-empty`: the rule is skipped when its location or prefix comes out empty. */ ignoreEmpty?: boolean }
  | { type: 'set-header' | 'add-header'; name: string; value: LogFormatToken[]; valueText: string }
  /** `http-request early-hint <name> <fmt>`: a header of a 103 Early Hints answer (the early-hint rules next to each other send one). */
  | { type: 'early-hint'; name: string; value: LogFormatToken[]; valueText: string }
  | { type: 'del-header'; name: string; method?: string }
  | { type: 'replace-header' | 'replace-value'; name: string; regex: string; replacement: LogFormatToken[]; replacementText: string }
  | { type: 'set-path' | 'set-query' | 'set-uri' | 'set-pathq' | 'set-method'; value: LogFormatToken[]; valueText: string }
  /** Regex over the path (replace-path), path and query (replace-pathq) or whole target (replace-uri); `\\1` back-references. */
  | { type: 'replace-path' | 'replace-pathq' | 'replace-uri'; regex: string; replacement: LogFormatToken[]; replacementText: string }
  /** reject: close at once, no answer; silent-drop: the same with a reset. Neither is logged with a status. */
  | { type: 'reject' | 'silent-drop' }
  | { type: 'set-status'; status: number; reason?: string }
  /** `set-timeout server|tunnel <time|expr>`: this stream's timeout, a time (ms) or a sample expression giving ms. */
  | { type: 'set-timeout'; which: 'server' | 'tunnel'; ms?: number; expression?: string }
  /**
   * The rules after it wait for the message's body: all of it, a full buffer, `atLeast` bytes of it
   * (0: no such limit), or `timeMs` (0: no timer of its own; the side's inactivity timeout ends it).
   */
  | { type: 'wait-for-body'; timeMs: number; atLeast: number }
  /** `set-var-fmt(<var>[,<cond>…]) <fmt>`: conditions as for set-var. */
  | { type: 'set-var-fmt'; variable: string; format: LogFormatToken[]; formatText: string; conditions?: SetVarCondition[] }
  /** errorPage: no payload, and the proxy's error page for the status was asked for (default-errorfiles, deny_status, a bare deny); else an empty answer. */
  | { type: 'deny' | 'tarpit'; status: number; contentType?: string; body?: ReturnBody; headers?: Array<{ name: string; value: string }>; errorPage?: boolean }
  | { type: 'allow' }
  /** `http-request disable-l7-retry`: this request is not replayed for a failure after it was sent (retry-on). */
  | { type: 'disable-l7-retry' }
  | { type: 'return'; status: number; contentType?: string; body?: ReturnBody; headers: Array<{ name: string; value: string }>; errorPage?: boolean }
  | { type: 'auth'; realm?: string }
  /** `set-var(<var>[,<cond>…]) <expr>`: the conditions (ifexists, ifgt…) all must hold for the value to be stored; none: always. */
  | { type: 'set-var' | 'unset-var'; variable: string; expression?: string; conditions?: SetVarCondition[] }
  | { type: 'track-sc'; counter: 0 | 1 | 2; key: string; table?: string }
  /**
   * `sc-inc-gpc0(<sc>)` / `sc-inc-gpc1(<sc>)`: gpc<index> (and its rate) of what stick counter <sc> tracks, plus one;
   * `sc-inc-gpc(<idx>,<sc>)` (`array`): element <idx> of the gpc and gpc_rate arrays.
   */
  | { type: 'sc-inc-gpc'; index: number; counter: 0 | 1 | 2; array?: true }
  /** `sc-set-gpt0(<sc>) <int|expr>` (no index) or `sc-set-gpt(<idx>,<sc>)`: the tag of what stick counter <sc> tracks becomes the number, or the expression's integer. */
  | { type: 'sc-set-gpt'; counter: 0 | 1 | 2; index?: number; value?: number; expression?: string }
  | { type: 'use-service'; service: string }
  /** `http-request cache-use <name>` (lookup, and the key cache-store needs) / `http-response cache-store <name>`. */
  | { type: 'cache-use' | 'cache-store'; cache: string }
  | { type: 'set-log-level'; level: string }
  /** `strict-mode on|off`: whether a failed rewrite stops the exchange in HAProxy; Loadstar's rewrites never fail, so it changes nothing. */
  | { type: 'strict-mode'; on: boolean }
  /** `http-request wait-for-handshake`: no effect (Node's TLS never takes 0-RTT early data; kw-rules.ts). */
  | { type: 'wait-for-handshake' }
  /** `normalize-uri <normalizer> [full|strict]`: the request target rewritten (proxy/http/uri-normalizer.ts). */
  | { type: 'normalize-uri'; normalizer: UriNormalizer }
  /** `set-src|set-dst <expr>` (an address), `set-src-port|set-dst-port <expr>` (a port): this request's view of its connection's addresses. */
  | { type: 'set-src' | 'set-dst' | 'set-src-port' | 'set-dst-port'; expression: string }
  /**
   * `set-map(<file>) <key> <value>`, `del-map(<file>) <key>`, `add-acl(<file>) <key>`, `del-acl(<file>) <key>`:
   * the in-memory entries of the map or pattern file named as written (acl/pattern-ref.ts), key and value log-format.
   */
  | { type: 'set-map' | 'del-map' | 'add-acl' | 'del-acl'; file: string; key: LogFormatToken[]; keyText: string; value?: LogFormatToken[]; valueText?: string }
  /** `set-priority-class|set-priority-offset <expr>`: where the request waits in a queue (runtime/backend.ts QueuePriority). */
  | { type: 'set-priority-class' | 'set-priority-offset'; expression: string }
  /** `id`: the frontend's capture slot it fills; a `len` rule of a frontend declares its own slot (its id is set then). */
  | { type: 'capture'; expression: string; len?: number; id?: number };

/** HAProxy 2.6's URI normalizers, with their option word (`path-strip-dotdot full`, `… strict`). */
export type UriNormalizer =
  | 'path-merge-slashes' | 'path-strip-dot' | 'path-strip-dotdot' | 'path-strip-dotdot full' | 'query-sort-by-name'
  | 'percent-to-uppercase' | 'percent-to-uppercase strict' | 'percent-decode-unreserved' | 'percent-decode-unreserved strict'
  | 'fragment-strip' | 'fragment-encode';

export type ReturnBody =
  | { kind: 'string'; text: string }
  | { kind: 'lf-string'; text: string }
  | { kind: 'file'; path: string }
  | { kind: 'lf-file'; path: string }
  | { kind: 'errorfile'; path: string }
  /** An http-errors section's file for the rule's status; `path` is set once the section is resolved (provisioning), absent when it has none. */
  | { kind: 'errorfiles'; name: string; path?: string };

export interface HttpRule extends Conditional {
  action: HttpAction;
}

export type TcpRequestPhase = 'connection' | 'content' | 'session';

export interface TcpRequestRule extends Conditional {
  phase: TcpRequestPhase;
  action:
    | { type: 'accept' | 'reject' | 'silent-drop' }
    | { type: 'track-sc'; counter: 0 | 1 | 2; key: string; table?: string }
    | { type: 'set-var' | 'unset-var'; variable: string; expression?: string; conditions?: SetVarCondition[] }
    | { type: 'set-var-fmt'; variable: string; format: LogFormatToken[]; formatText: string; conditions?: SetVarCondition[] }
    | { type: 'capture'; expression: string; len: number }
    | { type: 'expect-proxy' }
    /** `switch-mode http [proto h1|h2]` (content rules of a frontend): the connection goes on as HTTP from this rule on; `proto` absent: HTTP/1, or HTTP/2 on its preface. */
    | { type: 'switch-mode'; proto?: 'h1' | 'h2' }
    | { type: 'sc-inc-gpc'; index: number; counter: 0 | 1 | 2; array?: true }
    | { type: 'sc-set-gpt'; counter: 0 | 1 | 2; index?: number; value?: number; expression?: string }
    /**
     * `set-src|set-dst <expr>` (an address), `set-src-port|set-dst-port <expr>` (a port): the
     * connection's addresses (connection and session rules, every rule in TCP mode), an HTTP request's (content rules in HTTP mode).
     */
    | { type: 'set-src' | 'set-dst' | 'set-src-port' | 'set-dst-port'; expression: string }
    /** `set-priority-class|set-priority-offset <expr>` (content rules): where the stream waits in a queue. */
    | { type: 'set-priority-class' | 'set-priority-offset'; expression: string }
    /** `set-log-level <level>|silent` (content rules): the stream's log line's level, or no line. */
    | { type: 'set-log-level'; level: string };
}

/**
 * `tcp-response content <action> [{if|unless} <cond>]` of a backend or listen section: run over the
 * server's first bytes, held back until a rule decides (HAProxy's tcp_inspect_response).
 */
export interface TcpResponseRule extends Conditional {
  action:
    /** accept forwards what is held; reject closes both sides and sends nothing; close closes the server side and forwards what is held. */
    | { type: 'accept' | 'reject' | 'close' }
    | { type: 'set-var' | 'unset-var'; variable: string; expression?: string; conditions?: SetVarCondition[] }
    | { type: 'set-var-fmt'; variable: string; format: LogFormatToken[]; formatText: string; conditions?: SetVarCondition[] }
    /** `set-log-level <level>|silent`: the stream's log line's level, or no line. */
    | { type: 'set-log-level'; level: string };
}

/** `use-server <name> if|unless <cond>`: a server of this backend chosen before cookies and balancing. */
export interface ServerRule extends Conditional {
  /** Server name; may contain a log-format expression. */
  server: string;
  dynamic: boolean;
}

export interface SwitchingRule extends Conditional {
  /** Backend name; may contain a log-format expression (`be_%[req.hdr(host)]`). */
  backend: string;
  dynamic: boolean;
}

// ---------------------------------------------------------------- checks

export type HttpCheckExpect =
  | ({ kind: 'status' | 'rstatus' | 'string' | 'rstring' | 'hdr' | 'fhdr'; pattern: string; negate: boolean; header?: HeaderExpect } & ExpectOptions)
  | ({ kind: 'custom'; pattern: string; negate: boolean; header?: HeaderExpect } & ExpectOptions);

/**
 * `http-check expect hdr|fhdr name[-lf] [-m meth] <name> [value[-lf] [-m meth] <value>]`: names match
 * without case (str by default), values with case (str: the whole value); `hdr` tries each
 * comma-separated value, `fhdr` the full line. Undefined `value`: the name alone matches.
 */
export interface HeaderExpect {
  nameMatch: 'str' | 'beg' | 'end' | 'sub' | 'reg';
  name: string;
  /** `name-lf`: `name` is a log-format string. */
  nameLf?: boolean;
  valueMatch?: 'str' | 'beg' | 'end' | 'sub' | 'reg';
  value?: string;
  valueLf?: boolean;
}

/** What `http-check expect` / `tcp-check expect` take besides the pattern (HAProxy's parse_tcpcheck_expect). */
export interface ExpectOptions {
  /** Appended to the failure's info (" comment: C"). */
  comment?: string;
  /** The check's code when this rule is the last one and it passes (default L7OK). */
  okStatus?: 'L7OK' | 'L7OKC' | 'L6OK' | 'L4OK';
  /** The code when this rule fails (default L7RSP; L7STS for an HTTP status). */
  errorStatus?: 'L7RSP' | 'L7STS' | 'L7OKC' | 'L6RSP' | 'L4CON';
  /** The code when the check times out waiting for this rule's data (default L7TOUT). */
  toutStatus?: 'L7TOUT' | 'L6TOUT' | 'L4TOUT';
  /** Log-format strings replacing the info of a success (last rule) or a failure. */
  onSuccess?: string;
  onError?: string;
  /** A sample expression whose integer value becomes the check's status code. */
  statusCode?: string;
}

export type HttpCheckRule =
  | {
    type: 'send'; method?: string; uri?: string; version?: string;
    /** Header values are log-format strings (`hdr <name> <fmt>`). */
    headers: Array<{ name: string; value: string }>; body?: string;
    /** `uri-lf` / `body-lf`: the uri / body are log-format strings. */
    uriLf?: boolean; bodyLf?: boolean;
    loc: SourceLocation;
  }
  | { type: 'expect'; expect: HttpCheckExpect; minRecv?: number; loc: SourceLocation }
  /** `portExpr`: `port <expr>` (a sample expression, `var(check.port)`), evaluated at each connect; `port` when it finds nothing. */
  /** `proto`: this connection's mux (h1, h2), whatever the server's check-proto or the ALPN negotiated. */
  | { type: 'connect'; port?: number; portExpr?: string; ssl: boolean; sni?: string; alpn?: string; /** `via-socks4`: through the server's `socks4` proxy. */ viaSocks4?: boolean; default?: boolean; proto?: 'h1' | 'h2'; loc: SourceLocation }
  | { type: 'comment'; text: string; loc: SourceLocation }
  | CheckVarRule;

export type TcpCheckRule =
  /**
   * `ssl`: TLS with the server's settings; `default`: the server's check settings (check-ssl,
   * check-sni, check-alpn, check-send-proxy) where the line sets none; neither: plain TCP (HAProxy's
   * TCPCHK_OPT_SSL / TCPCHK_OPT_DEFAULT_CONNECT).
   */
  | { type: 'connect'; port?: number; portExpr?: string; addr?: string; ssl: boolean; sni?: string; alpn?: string; sendProxy: boolean; /** `via-socks4`: through the server's `socks4` proxy. */ viaSocks4?: boolean; default?: boolean; loc: SourceLocation }
  | { type: 'send' | 'send-lf' | 'send-binary' | 'send-binary-lf'; data: string; loc: SourceLocation }
  | TcpCheckExpect
  | { type: 'comment'; text: string; loc: SourceLocation }
  | CheckVarRule;

/**
 * `tcp-check expect [min-recv N] [!] <kind> <pattern> [comment C] [ok-status S] [error-status S]
 * [tout-status S] [on-success FMT] [on-error FMT] [status-code EXPR]` (options in any order, as
 * HAProxy's parse_tcpcheck_expect reads them).
 */
export interface TcpCheckExpect extends ExpectOptions {
  type: 'expect';
  /** string-lf / binary-lf: `pattern` is a log-format string rendered at each check. */
  kind: 'string' | 'rstring' | 'binary' | 'rbinary' | 'string-lf' | 'binary-lf';
  pattern: string;
  negate: boolean;
  /** -1 or unset: a mismatch waits for more data; N: it is conclusive once N bytes came. */
  minRecv?: number;
  loc: SourceLocation;
}

/**
 * `http-check|tcp-check set-var(<var>[,<cond>…]) <expr>`, `set-var-fmt(<var>[,<cond>…]) <fmt>` and
 * `unset-var(<var>)`: run in order with the other rules of each check run. `check.*` (and `sess.*`)
 * variables live for one check run; `value` is the sample expression or the log-format string.
 */
export interface CheckVarRule {
  type: 'set-var' | 'set-var-fmt' | 'unset-var';
  /** As written: `check.port`. */
  variable: string;
  /** ifexists, ifnotexists, ifempty, ifnotempty, ifset, ifnotset, ifgt, iflt. */
  conditions: string[];
  value?: string;
  loc: SourceLocation;
}

/** `option httpchk [METH] [URI] [VER]`. Defaults: OPTIONS / HTTP/1.0. */
export interface HttpCheckRequest {
  method: string;
  uri: string;
  version: string;
}

// ---------------------------------------------------------------- persistence

export interface CookieSettings {
  name: string;
  mode: 'insert' | 'rewrite' | 'prefix' | 'passive';
  indirect: boolean;
  nocache: boolean;
  postonly: boolean;
  preserve: boolean;
  httponly: boolean;
  secure: boolean;
  domains: string[];
  /** `maxidle`: a cookie not seen for longer is ignored. ms, whole seconds (HAProxy rounds up to the second); 0: no limit. */
  maxidle?: number;
  /** `maxlife`: a cookie first set longer ago is ignored. ms, whole seconds; 0: no limit. */
  maxlife?: number;
  /** `dynamic`: servers without a `cookie` value get one derived from `dynamic-cookie-key`, their address and port. */
  dynamic: boolean;
  attrs: string[];
  loc: SourceLocation;
}

export interface StickTable {
  type: 'ip' | 'ipv6' | 'integer' | 'string' | 'binary';
  /** string/binary key length, bytes. */
  len?: number;
  /** Maximum entries (k/m/g suffixes applied). */
  size: number;
  /** Entry lifetime after last access, ms. */
  expire?: number;
  nopurge: boolean;
  peers?: string;
  /** Stored data types: `http_req_rate(10s)` → { name: 'http_req_rate', period: 10000 }; the arrays `gpc(3)`, `gpt(3)`, `gpc_rate(3,10s)` → count 3. */
  store: Array<{ name: string; period?: number; count?: number }>;
  /** `srvkey addr`: a stick rule's entry names its server by address:port, not by name (the default). */
  srvkey?: 'name' | 'addr';
  loc: SourceLocation;
}

export interface StickRule extends Conditional {
  kind: 'on' | 'match' | 'store-request' | 'store-response';
  expression: string;
  table?: string;
}

// ---------------------------------------------------------------- misc

/** HAProxy's stats page path without a `stats uri` line. */
export const DEFAULT_STATS_URI = '/haproxy?stats';

export interface StatsSettings {
  enabled: boolean;
  /** Unset: DEFAULT_STATS_URI. */
  uri?: string;
  /** ms */
  refresh?: number;
  auth: Array<{ user: string; password: string }>;
  realm?: string;
  admin: Conditional[];
  /** `stats http-request allow|deny|auth` rules, run when a request is for the page. */
  httpRequest: HttpRule[];
  hideVersion: boolean;
  showLegends: boolean;
  scope: string[];
  /** `stats show-node [name]`: the page names its node ('' = the global `node`, by default the host name). */
  showNode?: string;
  /** `stats show-desc [text]`: the page shows a description ('' = the global `description`). */
  showDesc?: string;
}

export interface Capture {
  /** A slot (`declare capture`, `http-request capture … len`) has no header name: rules fill it. */
  kind: 'request header' | 'response header' | 'cookie' | 'request slot' | 'response slot';
  name: string;
  len: number;
  loc: SourceLocation;
}

export interface Timeouts {
  connect?: number;
  client?: number;
  server?: number;
  'http-request'?: number;
  'http-keep-alive'?: number;
  queue?: number;
  tunnel?: number;
  check?: number;
  'client-fin'?: number;
  'server-fin'?: number;
  tarpit?: number;
}

export type TimeoutName = keyof Timeouts;

/** `option X` / `no option X`, with the option's arguments. */
export interface OptionSetting {
  enabled: boolean;
  args: readonly string[];
  loc: SourceLocation;
}

/**
 * A defaults, frontend, backend or listen section as parsed: only what its
 * own section wrote (and, after provisioning, what it inherited).
 */
export interface ParsedProxy {
  kind: ProxyKind;
  /** Empty for an anonymous defaults section. */
  name: string;
  section: Section;
  /** The defaults section this proxy inherited from (after provisioning). */
  defaults?: DefaultsProxy;
  mode?: ProxyMode;
  binds: Bind[];
  servers: ParsedServer[];
  serverTemplates: ServerTemplate[];
  defaultServer: ServerOptions;
  balance?: Balance;
  /**
   * `dispatch <address>:<port>` (backend, listen): where requests no server is chosen for go, as
   * HAProxy's "server without name" (PR_O_DISPATCH). Only in effect without `balance` (written here
   * or inherited): provisioning drops it otherwise, with HAProxy's warning; its backend's servers
   * then take only requests bound to them (use-server, a persistence cookie, a stick rule).
   */
  dispatch?: { host: string; port: number; unix?: boolean; loc: SourceLocation };
  hashType?: HashType;
  /** `hash-balance-factor`: bounded loads for consistent hashing and random, in % of the average load (0 or unset: off). */
  hashBalanceFactor?: number;
  /** `max-keep-alive-queue`: with prefer-last-server, requests that may wait in the queue of a full last server (-1 or unset: no limit). */
  maxKeepAliveQueue?: number;
  timeouts: Timeouts;
  options: Record<string, OptionSetting>;
  /** ACL declarations by name; several declarations of one name are ORed. */
  acls: Map<string, Array<AclDeclaration & { loc: SourceLocation }>>;
  switchingRules: SwitchingRule[];
  serverRules: ServerRule[];
  /** `force-persist` and `ignore-persist` rules, in the order written (the first that holds decides: runtime/persist-rules.ts). */
  persistRules: PersistRule[];
  defaultBackend?: { name: string; loc: SourceLocation };
  /** http-check / tcp-check rules written while another check was chosen, and no check option after them: HAProxy ignores them, with a warning. */
  unusedCheckRules?: Set<'http' | 'tcp'>;
  /**
   * A backend's `default_backend` and static `use_backend` lines: HAProxy ignores them (with a warning)
   * but still resolves their targets when it checks the configuration, refusing a missing one, the
   * backend itself or an incompatible mode (config/validate.ts). Never run.
   */
  ignoredSwitching?: Array<{ name: string; loc: SourceLocation; what: 'default_backend' | 'use_backend' }>;
  httpRequestRules: HttpRule[];
  httpResponseRules: HttpRule[];
  httpAfterResponseRules: HttpRule[];
  /**
   * The proxy-level `redirect` lines (frontend, listen, backend; never inherited from defaults):
   * run after the proxy's http-request rules and its stats page, before use_backend. Their
   * location is plain text, not log-format (HAProxy's "old-style" redirect rule).
   */
  redirectRules: HttpRule[];
  tcpRequestRules: TcpRequestRule[];
  /** `tcp-request inspect-delay`, ms. */
  inspectDelay?: number;
  /** `tcp-response content` rules (undefined: none, the server's bytes are relayed as they come). */
  tcpResponseRules?: TcpResponseRule[];
  /** `tcp-response inspect-delay`, ms. */
  responseInspectDelay?: number;
  httpCheckRequest?: HttpCheckRequest;
  httpCheckRules: HttpCheckRule[];
  httpCheckDisableOn404: boolean;
  tcpCheckRules: TcpCheckRule[];
  cookie?: CookieSettings;
  /** `persist rdp-cookie[(<name>)]`: a TCP connection whose RDP cookie (default `msts`) encodes a server's address goes to it. */
  rdpCookiePersist?: { name: string; loc: SourceLocation };
  /** `dynamic-cookie-key`: the secret `cookie … dynamic` derives server cookies from. */
  dynamicCookieKey?: string;
  /** `email-alert from|to|level|mailers|myhostname`; undefined: none written. */
  emailAlert?: EmailAlert;
  /**
   * `external-check command <command>` / `external-check path <path>` (inherited from defaults),
   * run by `option external-check` (kept among the options as 'external-check').
   */
  externalCheckCommand?: { value: string; loc: SourceLocation };
  externalCheckPath?: { value: string; loc: SourceLocation };
  stickTable?: StickTable;
  stickRules: StickRule[];
  stats: StatsSettings;
  /** Connection retries after a failed connect. Default 3. */
  retries?: number;
  /** `retry-on`: the failures after which a request is sent again (unset: conn-failure alone, HAProxy's default). */
  retryOn?: RetryOn;
  maxconn?: number;
  /**
   * `backlog`: the listen queue asked of the kernel (capped by net.core.somaxconn). Unset: the
   * bind's backlog, else this, else the bind's maxconn, else the frontend's maxconn, else the
   * global one (HAProxy's listener_backlog).
   */
  backlog?: number;
  /** `rate-limit sessions`: new sessions per second the frontend takes in (unset or 0: no limit). */
  rateLimitSessions?: number;
  /** `max-session-srv-conns`: idle server connections one client connection keeps for its next requests (HAProxy's default 5). */
  maxSessionSrvConns?: number;
  /** `fullconn` for dynamic maxconn (minconn). */
  fullconn?: number;
  /** `clitcpka-idle` / `srvtcpka-idle`, seconds: the idle time before TCP keep-alive probes (with `option clitcpka` / `srvtcpka`; unset: the system's). */
  clitcpkaIdle?: number;
  srvtcpkaIdle?: number;
  /**
   * `load-server-state-from-file`: where the servers' saved state comes from at start: the global
   * `server-state-file`, this backend's own file (`server-state-file-name`), or nowhere (unset: none).
   */
  loadServerStateFromFile?: 'global' | 'local' | 'none';
  /** `server-state-file-name`: the file of `load-server-state-from-file local` (default: the backend's name). Not inherited from defaults. */
  serverStateFileName?: string;
  /** `source <addr>[:<port>]`: the local address of connections to the servers without a `source` of their own. */
  source?: SourceAddress;
  logs: LogTarget[];
  /** `log-tag` of the proxy (else the global one). */
  logTag?: string;
  /** `no log` was given. */
  noLog: boolean;
  logFormat?: { text: string; tokens: LogFormatToken[]; loc: SourceLocation };
  /** `log-format-sd`: the RFC 5424 structured-data part of this frontend's access-log lines to `format rfc5424` targets (unset: `-`). */
  logFormatSd?: { text: string; tokens: LogFormatToken[]; loc: SourceLocation };
  /**
   * `error-log-format`: the line of a connection that failed before its stream (TLS handshake, PROXY
   * header) and of a request refused by the HTTP parser (400, 408); without it those get the
   * `<src>:<port> [<date>] <frontend>/<bind>: <reason>` line and the log-format line respectively.
   */
  errorLogFormat?: { text: string; tokens: LogFormatToken[]; loc: SourceLocation };
  /** `unique-id-format`: each request's unique id (%ID, the unique-id fetch), generated once, when first asked. */
  uniqueIdFormat?: { text: string; tokens: LogFormatToken[]; loc: SourceLocation };
  /** `unique-id-header`: the request to the server carries the unique id in this header. */
  uniqueIdHeader?: string;
  /** `http-send-name-header <name>` (lower case): the request to a server names that server in this header. */
  sendNameHeader?: string;
  captures: Capture[];
  /** `errorfile`, `errorfiles` and `errorloc*` lines in order, the defaults section's first once provisioned: a later line wins for its status. */
  errorDirectives: ErrorDirective[];
  /** status → the page that replaces HAProxy's own answer; filled from errorDirectives when provisioned. */
  errorfiles: Map<number, ErrorPage>;
  /**
   * `compression` lines in the order written (a defaults section's first, provision.ts);
   * `filter`: a `filter compression` line was seen (one is allowed).
   */
  /**
   * `filter compression` sets `filter`; `otherFilter`: a filter Loadstar accepts without running it (`filter trace`)
   * is declared, and HAProxy then wants the compression filter written out.
   */
  compression: { algorithms: string[]; types: string[]; offload: boolean; filter?: boolean; otherFilter?: boolean };
  /**
   * The cache filters of the proxy (HAProxy's `cache store filter`), by cache name: declared by `filter cache
   * <name>` (explicit) or implied by its first cache-use / cache-store rule. `afterCompression`: an explicit one
   * declared after `filter compression`, which HAProxy refuses. Undefined when the proxy uses no cache.
   */
  cacheFilters?: Array<{ name: string; explicit: boolean; afterCompression: boolean; loc: SourceLocation }>;
  /** `use-fcgi-app <name>`: the FastCGI application its `proto fcgi` servers serve (backends and listens). */
  useFcgiApp?: { name: string; loc: SourceLocation };
  /** `monitor-uri`: requests for it are answered by Loadstar (200, or 503 while a `monitor fail` condition holds) and not logged. */
  monitorUri?: string;
  /** `monitor fail if|unless <cond>` lines. */
  monitorFail: Conditional[];
  description?: string;
  /** `disabled`: the proxy is not started. */
  disabled: boolean;
  /** Unique id (`id N`), or assigned in order. */
  id?: number;
}

/** A failure `retry-on` can name besides status codes (HAProxy 2.6's PR_RE_* flags). */
export type RetryEvent = 'conn-failure' | 'empty-response' | 'junk-response' | 'response-timeout' | '0rtt-rejected';

/** `retry-on` as written, `all-retryable-errors` expanded; `none` is both lists empty. */
export interface RetryOn {
  readonly events: readonly RetryEvent[];
  /** Final response statuses that make the request go again (401 403 404 408 425 500 501 502 503 504). */
  readonly statuses: readonly number[];
  readonly loc: SourceLocation;
}

/** A defaults section after provisioning: what it sets (and inherits through `from`), nothing filled in. */
export interface DefaultsProxy extends ParsedProxy {
  kind: 'defaults';
}

/**
 * What every frontend, backend and listen section has after provisioning
 * (config/provision.ts): inherited settings copied in, then HAProxy's
 * built-in defaults for what neither it nor its defaults section set.
 */
interface ProvisionedProxy extends ParsedProxy {
  /** Default tcp. */
  mode: ProxyMode;
  /** Connection retries after a failed connect. Default 3. */
  retries: number;
  servers: Server[];
  /**
   * Where a backend without `balance` sends what no rule binds to a server, as a nameless server
   * with HAProxy's built-in server settings (none can be written): a `dispatch` line's address, or
   * with `option transparent` (and no dispatch) the client's destination (`toDestination`).
   */
  dispatch?: Server & { toDestination?: true };
}

export interface FrontendProxy extends ProvisionedProxy {
  kind: 'frontend';
}

export interface BackendProxy extends ProvisionedProxy {
  kind: 'backend';
  /** Default roundrobin. */
  balance: Balance;
}

export interface ListenProxy extends ProvisionedProxy {
  kind: 'listen';
  /** Default roundrobin. */
  balance: Balance;
}

/** A section that balances (backend or listen): its algorithm is always known. */
export type BalancingProxy = BackendProxy | ListenProxy;

/** A frontend, backend or listen section after provisioning. */
export type Proxy = FrontendProxy | BackendProxy | ListenProxy;

export interface Nameserver {
  name: string;
  address: ListenAddress;
  loc: SourceLocation;
}

/** A `program` section (configuration.txt 3.7): a command the engine starts, signals on reload and stops with it. */
export interface Program {
  name: string;
  section: Section;
  /** `command <command> [arguments*]`: looked up in PATH unless it holds a slash. Undefined: none written (an error). */
  command?: string[];
  /** `user` / `group`: the ids the command runs as (from /etc/passwd and /etc/group). */
  uid?: number;
  gid?: number;
  /** `option start-on-reload` (the default) or `no option start-on-reload`: whether a reload starts a new instance. */
  startOnReload: boolean;
}

/**
 * A `log-forward` section (configuration.txt 3.10): syslog messages received on its `dgram-bind`
 * (UDP) and `bind` (TCP) listeners are parsed as HAProxy's parse_log_message does and sent again
 * to each of its `log` targets, in the target's format.
 */
export interface LogForward {
  name: string;
  section: Section;
  /** `dgram-bind <addr>`: UDP addresses receiving one message per datagram. */
  dgramBinds: DgramBind[];
  /** `bind <addr> [options]`: TCP listeners, messages framed by octet counting or ended by LF (RFC 6587). */
  binds: Bind[];
  /** `log` lines (`log global` takes the global section's). */
  logs: LogTarget[];
  /** `maxconn`: TCP connections read at once, the next waiting (HAProxy's default for the section: 10). */
  maxconn: number;
  /** `backlog`: the TCP listen queue asked of the kernel (unset: maxconn). */
  backlog?: number;
  /** `timeout client` (ms): a TCP connection without data for that long is read no more (haproxy 2.6.12 leaves it open); unset: never. */
  timeoutClient?: number;
}

/** One `dgram-bind` line. */
export interface DgramBind {
  addresses: ListenAddress[];
  /** Bind options written after the address (`name`, `interface` …), as written; none changes what Loadstar does. */
  extra: Record<string, string | true>;
  loc: SourceLocation;
}

/** A `mailers` section (configuration.txt 3.6): every mailer gets every alert (not a failover list). */
export interface Mailers {
  name: string;
  section: Section;
  mailers: Mailer[];
  /** `timeout mail`: how long one alert's SMTP exchange may take (ms; HAProxy's default 10 s). */
  timeoutMail: number;
}

export interface Mailer {
  name: string;
  host: string;
  port: number;
  loc: SourceLocation;
}

/** The syslog levels, most severe first. */
export type SyslogLevel = 'emerg' | 'alert' | 'crit' | 'err' | 'warning' | 'notice' | 'info' | 'debug';

/** A proxy's `email-alert` lines, each inherited from the defaults section on its own. */
export interface EmailAlert {
  mailers?: string;
  from?: string;
  to?: string;
  /** The least severe syslog level that is mailed (HAProxy's default: alert). */
  level?: SyslogLevel;
  /** The name given to HELO (default: the host name). */
  myhostname?: string;
  /** The first `email-alert` line, for the messages about the set. */
  loc?: SourceLocation;
}

/** A `set-param` or `pass-header` line of an `fcgi-app` section. */
export interface FcgiRule extends Conditional {
  type: 'set-param' | 'pass-header';
  /** The parameter (`set-param`: upper case, other characters than letters and digits as '_') or header (lower case) name. */
  name: string;
  /** `set-param`: the log-format value (a rule whose value is empty sets nothing). */
  value?: string;
}

/** An `fcgi-app` section (HAProxy 2.6's fcgi-app.c), its defaults applied. */
export interface FcgiApp {
  name: string;
  section: Section;
  /** `docroot` (mandatory): prefixes SCRIPT_FILENAME and PATH_TRANSLATED. */
  docroot?: string;
  /** `index`: appended to a SCRIPT_NAME ending with '/'. */
  index?: string;
  /** `path-info`: the regex splitting the URL-decoded path into SCRIPT_NAME (capture 1) and PATH_INFO (capture 2). */
  pathInfo?: string;
  /** `option keep-conn` (default on): FCGI_KEEP_CONN is set, the connection serves more than one request. */
  keepConn: boolean;
  /** `option get-values` (default off): FCGI_GET_VALUES asked on each new connection. */
  getValues: boolean;
  /** `option mpxs-conns` (default off): several requests at once on a connection. */
  mpxsConns: boolean;
  /** `option max-reqs` (default 1): the most requests at once on a connection (with mpxs-conns / get-values only). */
  maxReqs: number;
  /** The section's own ACLs (private to it: conditions of its rules see these and the predefined ones). */
  acls: Map<string, Array<AclDeclaration & { loc: SourceLocation }>>;
  /** `set-param` and `pass-header` lines in order. */
  rules: FcgiRule[];
  /** `log-stderr` targets: where the application's FCGI_STDERR lines are logged (none: ignored). */
  logStderr: LogTarget[];
}

/** A `cache` section, its defaults applied as HAProxy's cfg_post_parse_section_cache does (kw-cache.ts). */
export interface CacheSection {
  /** At most 32 characters (a longer name is cut, with a warning). */
  name: string;
  section: Section;
  /** `total-max-size` in megabytes (0: not given, which HAProxy refuses). */
  totalMaxSizeMb: number;
  /** `max-object-size` in bytes (undefined: a 256th of the total size). */
  maxObjectSize?: number;
  /** `max-age` in seconds (default 60): the longest an object stays fresh, whatever the server says. */
  maxAge: number;
  /** `process-vary on`: responses with `Vary: accept-encoding` or `referer` are stored per variant (default off: not stored). */
  processVary: boolean;
  /** `max-secondary-entries` (default 10): variants kept for one primary key. */
  maxSecondaryEntries: number;
}

/** The header a ring writes before each message (HAProxy's log formats, `format` of a `ring` section). */
export type RingFormat = 'local' | 'rfc3164' | 'rfc5424' | 'priority' | 'short' | 'timed' | 'iso' | 'raw';

/** A `ring` section (configuration.txt §3.10, HAProxy 2.6's cfg_parse_ring), its defaults applied as HAProxy's are. */
export interface RingSection {
  name: string;
  section: Section;
  /** `description`, shown by `show events` (default: the ring's name). */
  description: string;
  /** `format` (default raw): the header written before each message. */
  format: RingFormat;
  /** `size` in bytes (default 16384, HAProxy's BUFSIZE): the buffer's room; the oldest messages go to make room. */
  size: number;
  /** `maxlen` in bytes (default 16384, at most `size`): a message is cut to this length, header included. */
  maxlen: number;
  /**
   * HAProxy's forward proxy of the ring: its `server` lines (servers: where the messages are forwarded over
   * TCP) and `timeout connect` / `timeout server` (timeouts.connect / timeouts.server, ms).
   */
  forward: ParsedProxy;
}

/** A `peers` section. */
export interface Peers {
  name: string;
  section: Section;
  /** `disabled`: HAProxy neither synchronises nor hands the tables over. */
  disabled: boolean;
  /** `peer` lines, and `server` lines (2.x syntax: the local one has no address, its `bind` gives it). */
  peers: Peer[];
  /** A `bind` line was given (with `server` lines, it makes HAProxy's peers frontend). */
  bind: boolean;
  /** A `peer` line was given (the 1.x syntax, which HAProxy does not let a section mix with `bind`). */
  peerLine?: boolean;
  /** `table <name> type … size …` lines: tables named `<peers>/<name>`, synchronised through this section. */
  tables?: Array<{ name: string; table: StickTable }>;
}

export interface Peer {
  name: string;
  /** `ip:port` as written; undefined for a `server` line without one (the local peer). */
  address?: string;
  loc: SourceLocation;
}

export interface Resolvers {
  name: string;
  section: Section;
  nameservers: Nameserver[];
  parseResolvConf: boolean;
  /** `hold STATUS PERIOD`: ms per status (valid, nx, other, refused, timeout, obsolete). */
  hold: Record<string, number>;
  acceptedPayloadSize?: number;
  resolveRetries?: number;
  /** `timeout resolve` / `timeout retry`, ms. */
  timeouts: { resolve?: number; retry?: number };
}

/** What answers instead of HAProxy's built-in page for a status. */
export type ErrorPage =
  /** `errorfile`: a file holding a full HTTP response. */
  | { kind: 'file'; path: string }
  /** `errorloc` / `errorloc302` (302) and `errorloc303` (303): a redirection to `url`. */
  | { kind: 'location'; url: string; code: 302 | 303 }
  /** `http-error status CODE [content-type T] [string S | file F] [hdr N V]…`: an answer built like a `return` rule's. */
  | { kind: 'reply'; contentType?: string; body?: HttpErrorBody; headers: Array<{ name: string; value: string }> };

/** An http-error reply's payload: `string`, `file`, or their log-format forms `lf-string`, `lf-file` (rendered for each answer). */
export type HttpErrorBody = { kind: 'string' | 'lf-string'; text: string } | { kind: 'file' | 'lf-file'; path: string };

export type ErrorDirective =
  | { kind: 'page'; status: number; page: ErrorPage; loc: SourceLocation }
  /** `http-error status CODE default-errorfiles`: back to HAProxy's own page (a backend: its frontend's). */
  | { kind: 'reset'; status: number; loc: SourceLocation }
  /** `errorfiles NAME [CODE…]`: every file of the http-errors section, or those of the listed codes. */
  | { kind: 'errorfiles'; name: string; statuses: number[]; loc: SourceLocation };

/** An `http-errors NAME` section. */
export interface HttpErrors {
  name: string;
  section: Section;
  /** status → file path (`errorfile CODE FILE`). */
  errorfiles: Map<number, string>;
}

export interface Userlist {
  name: string;
  section: Section;
  users: Array<{ name: string; password: string; insecure: boolean; groups: string[]; loc: SourceLocation }>;
  groups: Array<{ name: string; users: string[]; loc: SourceLocation }>;
}
