/**
 * What the proxy engine hands to compiled ACLs, sample expressions and
 * log-format strings (see evaluate.ts). One SampleContext is built per
 * request (HTTP) or per connection (TCP); the ConnectionInfo part can be
 * shared by all requests of a connection.
 *
 * Everything here is plain data read on demand: fetches only touch the
 * fields they need, derive what they need (path, query, cookies…) from the
 * raw fields, and never mutate the context except through `vars`. Any field
 * may be a getter, so that costly values are only computed when an
 * expression actually reads them (e.g. the TLS details, `res` once the
 * response arrives).
 *
 * Strings are byte strings (one char per byte, 0..255), which is what Node
 * gives for `rawHeaders` and `url` (latin1).
 */
import type { Sample } from './eval-sample.ts';
import type { VarScope } from './types.ts';

/** A certificate's subject or issuer name, in the forms the *_dn fetches give. */
export interface DistinguishedName {
  /** HAProxy's one-line form, entries in order: '/C=FR/O=Home/CN=alice' (no arguments). */
  readonly oneline: string;
  /** OpenSSL's RFC 2253 form, last entry first: 'CN=alice,O=Home,C=FR' (format argument 'rfc2253'). */
  readonly rfc2253: string;
  /** Entries in order: short name ('CN', 'OU', 'emailAddress', else the dotted OID) and raw value bytes. */
  readonly entries: ReadonlyArray<{ readonly name: string; readonly value: string }>;
}

/** A certificate as the ssl_c_* (client's) and ssl_f_* (frontend's own) fetches read it. */
export interface ClientCertInfo {
  /** ssl_c_s_dn / ssl_c_i_dn. */
  readonly subject?: DistinguishedName;
  readonly issuer?: DistinguishedName;
  /** ssl_c_serial (the INTEGER's bytes, no sign padding). */
  readonly serial?: Uint8Array;
  /** ssl_c_sha1 (of the DER certificate). */
  readonly sha1?: Uint8Array;
  /** ssl_c_der. */
  readonly der?: Uint8Array;
  /** ssl_c_notbefore / ssl_c_notafter, 'YYMMDDhhmmss[Z]'. */
  readonly notBefore?: string;
  readonly notAfter?: string;
  /** ssl_c_version (X509 version + 1). */
  readonly version?: number;
  /** ssl_c_sig_alg / ssl_c_key_alg: OpenSSL short names ('RSA-SHA256', 'id-ecPublicKey'). */
  readonly sigAlg?: string;
  readonly keyAlg?: string;
}

/** The client-side connection (per connection). */
export interface ConnectionInfo {
  /** Client address as the socket reports it ('192.0.2.1', '2001:db8::1', '::ffff:192.0.2.1'): src, %ci. */
  readonly src: string;
  /** src_port, %cp. */
  readonly srcPort: number;
  /** Local (frontend) address: dst, %fi. */
  readonly dst: string;
  /** dst_port, %fp. */
  readonly dstPort: number;
  /** Frontend name: fe_name, %f, %ft. */
  readonly frontend: string;
  /** fe_id. */
  readonly frontendId?: number;
  /** fe_defbe: the frontend's default_backend. */
  readonly defaultBackend?: string;
  /** so_name / so_id: the bind line's name / id. */
  readonly listenerName?: string;
  readonly listenerId?: number;
  /** The connection arrived with a PROXY protocol header (fc_rcvd_proxy). */
  readonly proxyProtocol?: boolean;
  /** fc_pp_authority, fc_pp_unique_id: the PP2_TYPE_AUTHORITY / PP2_TYPE_UNIQUE_ID TLVs of that header. */
  readonly ppAuthority?: string;
  readonly ppUniqueId?: string;
  /** fc_err / fc_err_str: connection-level error code (0 = none) and its text. */
  readonly error?: number;
  readonly errorString?: string;

  /** TLS was negotiated on this connection (ssl_fc, the '~' of %ft). */
  readonly ssl: boolean;
  /** ssl_fc_sni / ssl_fc_has_sni. */
  readonly sslSni?: string;
  /** ssl_fc_protocol, %sslv ('TLSv1.3'). */
  readonly sslProtocol?: string;
  /** ssl_fc_cipher, %sslc ('TLS_AES_256_GCM_SHA384'). */
  readonly sslCipher?: string;
  /** ssl_fc_alpn ('h2'). */
  readonly sslAlpn?: string;
  /** ssl_fc_use_keysize / ssl_fc_alg_keysize. */
  readonly sslCipherBits?: number;
  /** ssl_fc_is_resumed. */
  readonly sslResumed?: boolean;
  /** ssl_fc_err (0 = none). */
  readonly sslError?: number;
  /** ssl_c_used is true when set; ssl_c_* fields. */
  readonly sslClientCert?: ClientCertInfo;
  /** ssl_f_*: the certificate this frontend presented. */
  readonly sslFrontendCert?: ClientCertInfo;
  /** ssl_c_verify (0 = ok), ssl_c_err, ssl_c_ca_err, ssl_c_ca_err_depth. */
  readonly sslClientVerify?: number;
  readonly sslClientError?: number;
  readonly sslClientCaError?: number;
  readonly sslClientCaErrorDepth?: number;

  /**
   * TCP content inspection (mode tcp): the request bytes received so far and
   * not yet forwarded — req.len, req.payload*, req.ssl_hello_type,
   * req.ssl_sni, req.ssl_ver, req.ssl_alpn, req.rdp_cookie. Undefined in
   * HTTP mode (HAProxy returns nothing for these on HTTP streams).
   */
  readonly payload?: Uint8Array;
  /** Same for the response direction (res.len, res.payload*, res.ssl_hello_type). */
  readonly resPayload?: Uint8Array;
}

/**
 * The stream's server-side connection (HAProxy's scb connection), once it exists: bc_src,
 * bc_dst, bc_http_major, ssl_bc, ssl_bc_protocol, ssl_bc_is_resumed …
 */
export interface BackendConnInfo {
  /** bc_src / bc_src_port: the local end of the server connection. */
  readonly src?: string;
  readonly srcPort?: number;
  /** bc_dst / bc_dst_port: the server's address. */
  readonly dst?: string;
  readonly dstPort?: number;
  /** bc_http_major: 1 or 2 (the mux); undefined on a TCP proxy's connection. */
  readonly httpMajor?: number;
  /** TLS towards the server (ssl_bc) and what was negotiated. */
  readonly ssl: boolean;
  readonly sslProtocol?: string;
  readonly sslCipher?: string;
  readonly sslAlpn?: string;
  readonly sslCipherBits?: number;
  readonly sslResumed?: boolean;
}

/** The HTTP request (per request). */
export interface HttpRequestInfo {
  /** Method as received ('GET', 'PURGE'…). */
  readonly method: string;
  /** Request target as received ('/a/b?x=1', 'http://h/p', '*', 'h:443'). */
  readonly url: string;
  /** Version without 'HTTP/' ('1.1', '1.0', '2.0'): req.ver, %HV. */
  readonly version: string;
  /** Node-style rawHeaders: name, value, name, value… in received order and case, repeats kept. */
  readonly rawHeaders: readonly string[];
  /**
   * The credentials are in Proxy-Authorization, not Authorization (http_auth*, http_auth_bearer):
   * a forward proxy's request under `option http-use-proxy-header` (HAProxy's TX_USE_PX_CONN).
   */
  readonly proxyAuth?: boolean;
  /** Buffered body (req.body*, after http-buffer-request). */
  readonly body?: Uint8Array;
  /** False for the 2nd+ request of a keep-alive connection (http_first_req). Default true. */
  readonly first?: boolean;
  /** Captured headers ('capture request header' / http-request capture), by slot: capture.req.hdr, %hr. */
  readonly captures?: readonly (string | undefined)[];
  /**
   * Request line for %r/%HM/%HU/%HV as HAProxy logs it; default
   * `${method} ${url} HTTP/${version}`.
   */
  readonly requestLine?: string;
  /**
   * False when the frontend does not keep the request line for its log (HAProxy's `txn->uri` is
   * not there: config/request-line-kept.ts): capture.req.method and capture.req.uri find nothing.
   */
  readonly requestLineKept?: boolean;
  /**
   * req.len of an HTTP request: what HAProxy's HTX holds of it (the head as the rules left it, and the
   * body received so far). Undefined: not known (the fetch fails).
   */
  readonly htxLength?: number;
  /**
   * Parsed from a TCP connection's held bytes (HAProxy's RAW mode, proxy/tcp/raw-request.ts): there
   * is no HTTP stream, so what only HTTP analysis sets (captures, fc_http_major) stays unset.
   */
  readonly raw?: boolean;
}

/** The HTTP response (http-response rules, logs). */
export interface HttpResponseInfo {
  /** status, %ST. */
  readonly status: number;
  /** res.ver ('1.1'). Default '1.1'. */
  readonly version?: string;
  readonly rawHeaders: readonly string[];
  /** Buffered body (res.body*). */
  readonly body?: Uint8Array;
  /** Captured response headers by slot: capture.res.hdr, %hs. */
  readonly captures?: readonly (string | undefined)[];
  /** res.comp_algo: the `compression algo` compressing this response (none: res.comp is false). */
  readonly compression?: string;
  /** res.cache_name: the cache this response was served from (none: res.cache_hit is false). */
  readonly cacheName?: string;
}

/**
 * Variables. The engine decides lifetimes: proc = process, sess =
 * connection, txn/req/res = transaction (req/res being the request /
 * response halves). A variable may exist without a value (HAProxy's
 * SMP_T_ANY): every `proc.*` name the configuration mentions, or one a
 * conditional set-var created but did not fill; set-var's ifexists and
 * ifnotexists tell it from one that does not exist.
 */
export interface VarStore {
  get(scope: VarScope, name: string): Sample | undefined;
  set(scope: VarScope, name: string, value: Sample): void;
  unset(scope: VarScope, name: string): void;
  /** The variable exists, with or without a value. */
  exists(scope: VarScope, name: string): boolean;
  /** Creates the variable without a value when it does not exist. */
  create(scope: VarScope, name: string): void;
}

/** One scope's variables: a name present with `undefined` exists without a value. */
export type VarMap = Map<string, Sample | undefined>;

/** A straightforward VarStore; pass shared maps for the scopes that outlive a transaction. */
export class MapVarStore implements VarStore {
  constructor(
    readonly proc: VarMap = new Map(),
    readonly sess: VarMap = new Map(),
    readonly txn: VarMap = new Map(),
    readonly req: VarMap = new Map(),
    readonly res: VarMap = new Map(),
    readonly check: VarMap = new Map(),
  ) {}

  get(scope: VarScope, name: string): Sample | undefined {
    return this[scope].get(name);
  }

  set(scope: VarScope, name: string, value: Sample): void {
    this[scope].set(name, value);
  }

  /** proc.* variables are created for good when the configuration is loaded: unset empties them (vars.c, VF_PERMANENT). */
  unset(scope: VarScope, name: string): void {
    if (scope === 'proc' && this.proc.has(name)) this.proc.set(name, undefined);
    else this[scope].delete(name);
  }

  exists(scope: VarScope, name: string): boolean {
    return this[scope].has(name);
  }

  create(scope: VarScope, name: string): void {
    if (!this[scope].has(name)) this[scope].set(name, undefined);
  }
}

/** Backend state read by be_conn, nbsrv… and the nbsrv converter. */
export type BackendMetric = 'nbsrv' | 'be_conn' | 'be_conn_free' | 'be_sess_rate' | 'connslots' | 'queue' | 'avg_queue';
/** Server state read by srv_conn, srv_is_up (1/0)… and the srv_queue converter. */
export type ServerMetric =
  | 'srv_conn' | 'srv_conn_free' | 'srv_is_up' | 'srv_iweight' | 'srv_queue' | 'srv_sess_rate' | 'srv_uweight' | 'srv_weight';
/** Frontend state read by fe_conn, fe_req_rate, fe_sess_rate. */
export type FrontendMetric = 'fe_conn' | 'fe_req_rate' | 'fe_sess_rate';

/**
 * A stick-table lookup (sc_*, scN_*, src_*, table_* fetches and converters,
 * in_table). Query objects of fetches are built once at compile time, so
 * the hook may use them as map keys.
 */
export interface StickQuery {
  /** The counter, as in the keyword without its prefix: 'http_req_rate', 'conn_cur', 'get_gpc0', 'inc_gpc0', 'clr_gpc', 'get_gpt', 'tracked', 'trackers', 'kbytes_in', 'updt_conn_cnt', 'avl', 'cnt', 'expire', 'idle', 'server_id', 'in_table'… */
  readonly fn: string;
  /**
   * 'sc': the entry tracked by stick counter `counter`; 'src': the entry keyed
   * by the client address; 'key': the entry keyed by `key` (converters);
   * 'table': the table itself (table_avl, table_cnt).
   */
  readonly by: 'sc' | 'src' | 'key' | 'table';
  /** Stick counter number (by 'sc'). */
  readonly counter?: number;
  /** Table name; '' or undefined = the current proxy's own table. */
  readonly table?: string;
  /** Array index of sc_get_gpc(idx,…), sc_inc_gpc, table_gpc(idx,…)… */
  readonly index?: number;
  /** Lookup key (by 'key'). */
  readonly key?: Sample;
}

/** Callbacks into the engine, all optional: without them the fetches concerned find nothing. */
export interface EngineHooks {
  /** Backend state; undefined when the backend does not exist. */
  backend?(name: string, metric: BackendMetric): number | undefined;
  /** Server state ('srv_is_up' returns 1 or 0). */
  server?(backend: string, server: string, metric: ServerMetric): number | undefined;
  /** Frontend state. */
  frontend?(name: string, metric: FrontendMetric): number | undefined;
  /** Stick-table counters; undefined = not tracked / no entry (the fetch fails). Booleans as 1/0. */
  stickCounter?(ctx: SampleContext, query: StickQuery): number | undefined;
  /** http_auth(userlist): does the userlist accept this user and password? */
  checkUser?(userlist: string, user: string, password: string): boolean;
  /** http_auth_group(userlist) matching: is `user` in `group` of the userlist? */
  userInGroup?(userlist: string, user: string, group: string): boolean;
  /** stopping: the process is being stopped (soft-stop). */
  isStopping?(): boolean;
  /** unique-id / %ID: generates (once per stream) the unique-id-format value. */
  uniqueId?(ctx: SampleContext): string | undefined;
}

/** Everything a compiled expression may read. */
export interface SampleContext {
  readonly conn: ConnectionInfo;
  /**
   * The HTTP request: absent before it is parsed; in TCP mode, the head held by content
   * inspection once it is complete (`raw`).
   */
  readonly req?: HttpRequestInfo;
  /**
   * TCP mode: the held bytes are the start of an HTTP request head not complete yet, so HTTP
   * request fetches "may change" (HAProxy's SMP_F_MAY_CHANGE from smp_prefetch_htx).
   */
  readonly reqPending?: boolean;
  /** The HTTP response (http-response rules, logs). */
  readonly res?: HttpResponseInfo;
  readonly vars?: VarStore;
  readonly hooks?: EngineHooks;
  /**
   * Channel direction ('req' default): 'res' while evaluating http-response /
   * tcp-response rules and log-format strings at log time. It selects what
   * direction-dependent fetches read (hdr(), cookie(), req.len…).
   */
  readonly dir?: 'req' | 'res';
  /**
   * HAProxy's SMP_OPT_FINAL: false while tcp-request content inspection may
   * still receive more data (inspect-delay not expired), which lets ACLs
   * report "missing data" instead of failing. Default true.
   */
  readonly final?: boolean;
  /** Backend chosen for the stream (be_name, be_id, %b); default: the frontend. */
  readonly backendName?: string;
  readonly backendId?: number;
  /** The connection to that server (bc_*, ssl_bc_*), once there is one. */
  readonly bc?: BackendConnInfo;
  /** Server chosen (srv_name, srv_id, %s). */
  readonly serverName?: string;
  readonly serverId?: number;
  /** The stream's queue priority (set-priority-class / set-priority-offset): prio_class, prio_offset; absent: 0 and 0. */
  readonly priority?: { readonly class: number; readonly offset: number };
  /** unique-id when already generated (else hooks.uniqueId is asked). */
  readonly uniqueId?: string;
  /** The stick counters sc0..sc2 of the stream: what the engine's stickCounter hook reads for sc*_ fetches. */
  readonly stick?: StickCounterSlots;
}

/**
 * A stream's stick counters as the engine keeps them (proxy/stick/tracking.ts implements it):
 * `slot(n)` is what counter n tracks, if anything. Opaque here; only the engine reads it.
 */
export interface StickCounterSlots {
  slot(n: number): object | undefined;
}
