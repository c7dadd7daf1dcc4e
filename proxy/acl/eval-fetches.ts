/**
 * Sample fetch implementations (sections 7.3.2 to 7.3.6 of the manual),
 * compiled from a parsed SampleExpr into closures.
 *
 * A compiled fetch has two entry points, as HAProxy's fetch functions do:
 * `one` for sample expressions (one value: e.g. hdr() without occurrence
 * gives the last value, url_param() the first one) and `each` for ACLs
 * (SMP_OPT_ITERATE: every value of hdr(), cook(), url_param(),
 * req.ssl_alpn… is passed in turn, until the visitor stops).
 *
 * Fetches that could answer differently once more data arrives (L6 buffer
 * inspection) set evalState.mayChange before failing, so that ACLs can
 * report "missing data" while the inspection delay runs.
 */
import os from 'node:os';
import { randomInt, randomUUID } from 'node:crypto';
import type { SampleArg, SampleExpr, RefKind } from './types.ts';
import type { SampleContext, BackendMetric, ServerMetric, FrontendMetric, StickQuery } from './context.ts';
import type { Sample } from './eval-sample.ts';
import type { Visit } from './eval-http.ts';
import {
  TRUE, FALSE, mkStr, mkInt, mkBool, mkBin, mkIPv4, mkIPv6, parseAddress, buf2ip, parseIPv6Strict, strl2ic,
  isKnownMethod, bytesToStr, EMPTY_STR,
} from './eval-sample.ts';
import {
  eachHeader, headerOccurrence, headerCount, eachCookie, cookieCount, findUrlParam, urlParamStart, urlParamEnd,
  uriPath, uriPathRange, uriQuery, urlIPv4, httpAuth, firstHeader, eqLower,
} from './eval-http.ts';
import {
  SHORT, sslHelloType, sslVersion, sslSni, sniRange, sslAlpn, sslEcExt, sslStExt, rdpCookie, rdpRange,
  payload, payloadLv, payloadRange,
} from './eval-payload.ts';
import { fullHash, sdbmStr } from './eval-hash.ts';
import { parseHex } from './validators.ts';
import { readInt64 } from './args.ts';
import { unsupported } from './eval-errors.ts';

/** Shared per-evaluation state (JavaScript runs one evaluation at a time). */
export const evalState = {
  /** Set by a fetch whose answer may change when more data arrives (HAProxy's SMP_F_MAY_CHANGE). */
  mayChange: false,
};

/**
 * Fetches HAProxy 2.6 has that are not evaluated yet: compiling them throws
 * an EvalCompileError of kind 'unsupported' (kept in sync by a test).
 */
export const UNSUPPORTED_FETCHES: readonly string[] = [
  // process / stream internals and timeouts
  'cpu_calls', 'cpu_ns_avg', 'cpu_ns_tot', 'lat_ns_avg', 'lat_ns_tot', 'be_server_timeout', 'be_tunnel_timeout',
  'fe_client_timeout', 'cur_server_timeout', 'cur_tunnel_timeout', 'dst_conn', 'last_rule_file', 'last_rule_line',
  'prio_class', 'prio_offset', 'internal.htx.data', 'internal.htx.free', 'internal.htx.free_data', 'internal.htx.has_eom',
  'internal.htx.nbblks', 'internal.htx.size', 'internal.htx.used', 'internal.htx_blk.data', 'internal.htx_blk.hdrname',
  'internal.htx_blk.hdrval', 'internal.htx_blk.size', 'internal.htx_blk.start_line', 'internal.htx_blk.type',
  'internal.strm.is_htx',
  // server-side connection
  'bc_err', 'bc_err_str', 'bc_http_major', 'bc_dst', 'bc_dst_port', 'bc_src', 'bc_src_port',
  'ssl_bc', 'ssl_bc_alg_keysize', 'ssl_bc_alpn', 'ssl_bc_cipher', 'ssl_bc_client_random', 'ssl_bc_err', 'ssl_bc_err_str',
  'ssl_bc_is_resumed', 'ssl_bc_npn', 'ssl_bc_protocol', 'ssl_bc_server_random', 'ssl_bc_session_id', 'ssl_bc_session_key',
  'ssl_bc_unique_id', 'ssl_bc_use_keysize',
  // TCP info, PROXY v2 TLVs, distcc
  'fc_fackets', 'fc_lost', 'fc_reordering', 'fc_retrans', 'fc_rtt', 'fc_rttvar', 'fc_sacked', 'fc_unacked',
  'fc_pp_authority', 'fc_pp_unique_id', 'distcc_body', 'distcc_param',
  // cache, compression, FastCGI
  'res.cache_hit', 'res.cache_name', 'res.comp', 'res.comp_algo', 'fcgi.docroot', 'fcgi.index',
  // TLS details the engine does not expose
  'ssl_c_chain_der', 'ssl_f_der', 'ssl_f_i_dn', 'ssl_f_key_alg', 'ssl_f_notafter', 'ssl_f_notbefore', 'ssl_f_s_dn',
  'ssl_f_serial', 'ssl_f_sha1', 'ssl_f_sig_alg', 'ssl_f_version', 'ssl_fc_cipherlist_bin', 'ssl_fc_cipherlist_hex',
  'ssl_fc_cipherlist_str', 'ssl_fc_cipherlist_xxh', 'ssl_fc_client_early_traffic_secret',
  'ssl_fc_client_handshake_traffic_secret', 'ssl_fc_client_random', 'ssl_fc_client_traffic_secret_0',
  'ssl_fc_early_exporter_secret', 'ssl_fc_ecformats_bin', 'ssl_fc_eclist_bin', 'ssl_fc_err_str', 'ssl_fc_exporter_secret',
  'ssl_fc_extlist_bin', 'ssl_fc_has_early', 'ssl_fc_npn', 'ssl_fc_protocol_hello_id',
  'ssl_fc_server_handshake_traffic_secret', 'ssl_fc_server_random', 'ssl_fc_server_traffic_secret_0', 'ssl_fc_session_id',
  'ssl_fc_session_key', 'ssl_fc_unique_id', 'ssl_s_chain_der', 'ssl_s_der', 'ssl_s_i_dn', 'ssl_s_key_alg', 'ssl_s_notafter',
  'ssl_s_notbefore', 'ssl_s_s_dn', 'ssl_s_serial', 'ssl_s_sha1', 'ssl_s_sig_alg', 'ssl_s_version',
];

export interface CompiledFetch {
  /** Single-value semantics (sample expressions). */
  readonly one: (ctx: SampleContext) => Sample | undefined;
  /** ACL semantics: every value in turn; returns the first non-zero visitor result, or 0. */
  readonly each: (ctx: SampleContext, visit: Visit) => number;
}

export interface FetchCompileOptions {
  /**
   * Name of the proxy the expression belongs to, for fetches whose backend /
   * frontend / table argument is implicit (nbsrv, be_conn, sc_* …). Default:
   * the stream's backend, else its frontend.
   */
  readonly currentProxy?: string;
}

type One = (ctx: SampleContext) => Sample | undefined;

/** A fetch with one value at most. */
function single(one: One): CompiledFetch {
  return { one, each: (ctx, visit) => { const s = one(ctx); return s === undefined ? 0 : visit(s, ctx); } };
}

const str = (args: readonly SampleArg[], i: number): string | undefined => {
  const a = args[i];
  return a?.type === 'str' ? a.value : undefined;
};
const int = (args: readonly SampleArg[], i: number): number | undefined => {
  const a = args[i];
  return a?.type === 'int' ? a.value : undefined;
};
const ref = (args: readonly SampleArg[], i: number, kind: RefKind): string | undefined => {
  const a = args[i];
  return a?.type === 'ref' && a.kind === kind ? a.name : undefined;
};

const reqHeaders = (ctx: SampleContext): readonly string[] | undefined => ctx.req?.rawHeaders;
const resHeaders = (ctx: SampleContext): readonly string[] | undefined => ctx.res?.rawHeaders;
const dirHeaders = (ctx: SampleContext): readonly string[] | undefined => (ctx.dir === 'res' ? ctx.res?.rawHeaders : ctx.req?.rawHeaders);

const identity = (v: string): Sample => mkStr(v);
const toHdrVal = (v: string): Sample => mkInt(strl2ic(v));
/** hdr_ip: IPv4 (optionally followed by ':port') or IPv6; other values are skipped. */
const toHdrIp = (v: string): Sample | undefined => {
  const v4 = buf2ip(v);
  if (v4 && v4.len === v.length) return mkIPv4(v4.addr);
  if (v4 && v.charCodeAt(v4.len) === 58) {
    const port = v.slice(v4.len + 1);
    if (/^[0-9]+$/.test(port) && Number(port) <= 65535) return mkIPv4(v4.addr);
  }
  const v6 = v.length <= 46 ? parseIPv6Strict(v) : undefined;
  return v6 ? mkIPv6(v6) : undefined;
};

/** One-entry memo of a parsed address string (the same connection is asked again and again). */
function addressFetch(get: (ctx: SampleContext) => string | undefined): One {
  let last: string | undefined;
  let lastSample: Sample | undefined;
  return (ctx) => {
    const text = get(ctx);
    if (text === undefined || text === '') return undefined;
    if (text !== last) { last = text; lastSample = parseAddress(text); }
    return lastSample;
  };
}

let localAddresses: Set<string> | undefined;
/** Is the address one of this host's (src_is_local / dst_is_local)? */
function isLocal(text: string): boolean {
  if (!localAddresses) {
    localAddresses = new Set();
    for (const list of Object.values(os.networkInterfaces())) for (const i of list ?? []) localAddresses.add(i.address);
  }
  const plain = text.startsWith('::ffff:') && text.includes('.') ? text.slice(7) : text;
  return localAddresses.has(plain) || localAddresses.has(text) || plain.startsWith('127.');
}

/** The L6 buffer of the current direction (req.len & co read the response buffer in response rules). */
const dirPayload = (ctx: SampleContext): Uint8Array | undefined => (ctx.dir === 'res' ? ctx.conn.resPayload : ctx.conn.payload);

/** Sets mayChange for SHORT results; returns undefined. */
function short(r: number): undefined {
  if (r === SHORT) evalState.mayChange = true;
  return undefined;
}

const HOSTNAME = os.hostname();

/** Names of the stick-counter fetch families: prefix → query kind. */
const SC_FETCH = /^(sc[0-2]?|src)_(.+)$/;

/** Compiles the fetch of `expr`. Throws EvalCompileError for fetches not supported yet. */
export function compileFetch(expr: SampleExpr, options: FetchCompileOptions = {}): CompiledFetch {
  const name = expr.fetch.name;
  const args = expr.args;
  const currentProxy = (ctx: SampleContext): string => options.currentProxy ?? ctx.backendName ?? ctx.conn.frontend;
  const proxyArg = (i: number, kind: RefKind): ((ctx: SampleContext) => string) => {
    const n = ref(args, i, kind);
    return n ? () => n : currentProxy;
  };

  const compiled = compileKnown();
  if (!compiled) throw unsupported('fetch', name);
  return compiled;

  function compileKnown(): CompiledFetch | undefined {
    switch (name) {
      // ------------------------------------------------------------ constants & internal
      case 'always_true': return single(() => TRUE);
      case 'always_false': return single(() => FALSE);
      case 'bool': { const v = mkBool(/^(true|1)$/i.test(str(args, 0) ?? '')); return single(() => v); }
      case 'int': { const v = mkInt(int(args, 0) ?? 0); return single(() => v); }
      case 'str': { const v = mkStr(str(args, 0) ?? ''); return single(() => v); }
      case 'bin': {
        const b = parseHex(str(args, 0) ?? '');
        const v = mkBin(typeof b === 'string' ? new Uint8Array(0) : b);
        return single(() => v);
      }
      case 'ipv4': { const a = args[0]; const v = mkIPv4(a?.type === 'ipv4' ? a.value : 0); return single(() => v); }
      case 'ipv6': { const a = args[0]; const v = mkIPv6(a?.type === 'ipv6' ? a.value : new Uint8Array(16)); return single(() => v); }
      case 'meth': { const v: Sample = { type: 'meth', value: str(args, 0) ?? '' }; return single(() => v); }
      case 'env': {
        const n = str(args, 0);
        return single(() => { const v = n === undefined ? undefined : process.env[n]; return v === undefined ? undefined : mkStr(v); });
      }
      case 'hostname': { const v = mkStr(HOSTNAME); return single(() => v); }
      case 'nbproc': case 'proc': { const v = mkInt(1); return single(() => v); }
      case 'thread': { const v = mkInt(0); return single(() => v); }
      case 'rand': {
        const range = int(args, 0);
        return single(() => {
          const r = randomInt(0, 0x100000000);
          return mkInt(range === undefined ? r : Math.floor((r * range) / 0x100000000));
        });
      }
      case 'date': {
        const offset = int(args, 0) ?? 0;
        const unit = str(args, 1);
        return single(() => {
          const ms = Date.now();
          const v = unit === 'ms' ? ms : unit === 'us' ? ms * 1000 : Math.floor(ms / 1000);
          return mkInt(v + offset);
        });
      }
      case 'date_us': return single(() => mkInt((Date.now() % 1000) * 1000));
      case 'uuid': return single(() => mkStr(randomUUID()));
      case 'stopping': return single((ctx) => mkBool(ctx.hooks?.isStopping?.() ?? false));
      case 'var': {
        const v = args[0];
        const def = str(args, 1);
        if (v?.type !== 'var') return undefined;
        const defSample = def !== undefined ? mkStr(def) : undefined;
        return single((ctx) => ctx.vars?.get(v.scope, v.name) ?? defSample);
      }
      case 'unique-id':
        return single((ctx) => {
          const id = ctx.uniqueId ?? ctx.hooks?.uniqueId?.(ctx);
          return id === undefined ? undefined : mkStr(id);
        });

      // ------------------------------------------------------------ proxies & servers
      case 'be_name': return single((ctx) => mkStr(ctx.backendName ?? ctx.conn.frontend));
      case 'be_id':
        return single((ctx) => {
          const id = ctx.backendId ?? (ctx.backendName === undefined ? ctx.conn.frontendId : undefined);
          return id === undefined ? undefined : mkInt(id);
        });
      case 'srv_name': return single((ctx) => (ctx.serverName === undefined ? undefined : mkStr(ctx.serverName)));
      case 'srv_id': return single((ctx) => (ctx.serverId === undefined ? undefined : mkInt(ctx.serverId)));
      case 'fe_name': return single((ctx) => mkStr(ctx.conn.frontend));
      case 'fe_id': return single((ctx) => (ctx.conn.frontendId === undefined ? undefined : mkInt(ctx.conn.frontendId)));
      case 'fe_defbe': return single((ctx) => (ctx.conn.defaultBackend === undefined ? undefined : mkStr(ctx.conn.defaultBackend)));
      case 'so_name': return single((ctx) => (ctx.conn.listenerName === undefined ? undefined : mkStr(ctx.conn.listenerName)));
      case 'so_id': return single((ctx) => (ctx.conn.listenerId === undefined ? undefined : mkInt(ctx.conn.listenerId)));
      case 'avg_queue': case 'be_conn': case 'be_conn_free': case 'be_sess_rate': case 'connslots': case 'nbsrv': case 'queue': {
        const be = proxyArg(0, 'backend');
        const metric = name as BackendMetric;
        return single((ctx) => {
          const v = ctx.hooks?.backend?.(be(ctx), metric);
          return v === undefined ? undefined : mkInt(v);
        });
      }
      case 'srv_conn': case 'srv_conn_free': case 'srv_is_up': case 'srv_iweight': case 'srv_queue':
      case 'srv_sess_rate': case 'srv_uweight': case 'srv_weight': {
        const full = ref(args, 0, 'server') ?? '';
        const slash = full.indexOf('/');
        const beName = slash >= 0 ? full.slice(0, slash) : undefined;
        const srvName = slash >= 0 ? full.slice(slash + 1) : full;
        const metric = name as ServerMetric;
        const isBool = name === 'srv_is_up';
        return single((ctx) => {
          const v = ctx.hooks?.server?.(beName ?? currentProxy(ctx), srvName, metric);
          return v === undefined ? undefined : isBool ? mkBool(v !== 0) : mkInt(v);
        });
      }
      case 'fe_conn': case 'fe_req_rate': case 'fe_sess_rate': {
        const fe = ref(args, 0, 'frontend');
        const metric = name as FrontendMetric;
        return single((ctx) => {
          const v = ctx.hooks?.frontend?.(fe || ctx.conn.frontend, metric);
          return v === undefined ? undefined : mkInt(v);
        });
      }
      case 'table_avl': case 'table_cnt': {
        const q: StickQuery = { fn: name.slice(6), by: 'table', table: ref(args, 0, 'table') ?? '' };
        return single((ctx) => { const v = ctx.hooks?.stickCounter?.(ctx, q); return v === undefined ? undefined : mkInt(v); });
      }

      // ------------------------------------------------------------ layer 4
      case 'src': case 'fc_src': return single(addressFetch((ctx) => ctx.conn.src));
      case 'dst': case 'fc_dst': return single(addressFetch((ctx) => ctx.conn.dst));
      case 'src_port': case 'fc_src_port': return single((ctx) => mkInt(ctx.conn.srcPort));
      case 'dst_port': case 'fc_dst_port': return single((ctx) => mkInt(ctx.conn.dstPort));
      case 'src_is_local': case 'fc_src_is_local': return single((ctx) => mkBool(isLocal(ctx.conn.src)));
      case 'dst_is_local': case 'fc_dst_is_local': return single((ctx) => mkBool(isLocal(ctx.conn.dst)));
      case 'fc_rcvd_proxy': return single((ctx) => mkBool(ctx.conn.proxyProtocol ?? false));
      case 'fc_err': return single((ctx) => mkInt(ctx.conn.error ?? 0));
      case 'fc_err_str': return single((ctx) => (ctx.conn.errorString ? mkStr(ctx.conn.errorString) : undefined));
      case 'fc_http_major':
        return single((ctx) => (ctx.req ? mkInt(Number.parseInt(ctx.req.version, 10) >= 2 ? 2 : 1) : undefined));

      // ------------------------------------------------------------ layer 5 (TLS)
      case 'ssl_fc': return single((ctx) => mkBool(ctx.conn.ssl));
      case 'ssl_fc_has_sni': return single((ctx) => (ctx.conn.ssl ? mkBool(!!ctx.conn.sslSni) : undefined));
      case 'ssl_fc_sni': return single((ctx) => (ctx.conn.ssl && ctx.conn.sslSni ? mkStr(ctx.conn.sslSni) : undefined));
      case 'ssl_fc_protocol': return single((ctx) => (ctx.conn.ssl && ctx.conn.sslProtocol ? mkStr(ctx.conn.sslProtocol) : undefined));
      case 'ssl_fc_cipher': return single((ctx) => (ctx.conn.ssl && ctx.conn.sslCipher ? mkStr(ctx.conn.sslCipher) : undefined));
      case 'ssl_fc_alpn': return single((ctx) => (ctx.conn.ssl && ctx.conn.sslAlpn ? mkStr(ctx.conn.sslAlpn) : undefined));
      case 'ssl_fc_use_keysize': case 'ssl_fc_alg_keysize':
        return single((ctx) => (ctx.conn.ssl && ctx.conn.sslCipherBits !== undefined ? mkInt(ctx.conn.sslCipherBits) : undefined));
      case 'ssl_fc_is_resumed': return single((ctx) => (ctx.conn.ssl ? mkBool(ctx.conn.sslResumed ?? false) : undefined));
      case 'ssl_fc_err': return single((ctx) => (ctx.conn.ssl ? mkInt(ctx.conn.sslError ?? 0) : undefined));
      case 'ssl_c_used': return single((ctx) => mkBool(ctx.conn.ssl && ctx.conn.sslClientCert !== undefined));
      case 'ssl_fc_has_crt': return single((ctx) => (ctx.conn.ssl ? mkBool(ctx.conn.sslClientCert !== undefined) : undefined));
      case 'ssl_c_verify': return single((ctx) => (ctx.conn.ssl ? mkInt(ctx.conn.sslClientVerify ?? 0) : undefined));
      case 'ssl_c_err': return single((ctx) => (ctx.conn.ssl ? mkInt(ctx.conn.sslClientError ?? 0) : undefined));
      case 'ssl_c_ca_err': return single((ctx) => (ctx.conn.ssl ? mkInt(ctx.conn.sslClientCaError ?? 0) : undefined));
      case 'ssl_c_ca_err_depth': return single((ctx) => (ctx.conn.ssl ? mkInt(ctx.conn.sslClientCaErrorDepth ?? 0) : undefined));
      case 'ssl_c_s_dn': case 'ssl_c_i_dn': {
        if (args.length) return undefined; // DN entry extraction / formats: not supported yet
        const key = name === 'ssl_c_s_dn' ? 'subject' : 'issuer';
        return single((ctx) => { const v = ctx.conn.ssl ? ctx.conn.sslClientCert?.[key] : undefined; return v === undefined ? undefined : mkStr(v); });
      }
      case 'ssl_c_notafter': case 'ssl_c_notbefore': case 'ssl_c_sig_alg': case 'ssl_c_key_alg': {
        const key = ({ ssl_c_notafter: 'notAfter', ssl_c_notbefore: 'notBefore', ssl_c_sig_alg: 'sigAlg', ssl_c_key_alg: 'keyAlg' } as const)[name];
        return single((ctx) => { const v = ctx.conn.ssl ? ctx.conn.sslClientCert?.[key] : undefined; return v === undefined ? undefined : mkStr(v); });
      }
      case 'ssl_c_serial': case 'ssl_c_sha1': case 'ssl_c_der': {
        const key = ({ ssl_c_serial: 'serial', ssl_c_sha1: 'sha1', ssl_c_der: 'der' } as const)[name];
        return single((ctx) => { const v = ctx.conn.ssl ? ctx.conn.sslClientCert?.[key] : undefined; return v === undefined ? undefined : mkBin(v); });
      }
      case 'ssl_c_version':
        return single((ctx) => { const v = ctx.conn.ssl ? ctx.conn.sslClientCert?.version : undefined; return v === undefined ? undefined : mkInt(v); });

      // ------------------------------------------------------------ layer 6
      case 'req.len': case 'req_len': case 'res.len':
        return single((ctx) => {
          evalState.mayChange = true; // the buffer may still grow
          const d = dirPayload(ctx);
          return d === undefined ? undefined : mkInt(d.length);
        });
      case 'payload': case 'req.payload': case 'res.payload': {
        const off = int(args, 0) ?? 0;
        const len = int(args, 1) ?? 0;
        return single((ctx) => {
          const d = dirPayload(ctx);
          if (!d) return undefined;
          const r = payload(d, off, len);
          if (r !== 0) return short(r);
          if (payloadRange.mayGrow) evalState.mayChange = true;
          return mkBin(d.subarray(payloadRange.start, payloadRange.end));
        });
      }
      case 'payload_lv': case 'req.payload_lv': case 'res.payload_lv': {
        const off = int(args, 0) ?? 0;
        const size = int(args, 1) ?? 0;
        const off2 = str(args, 2);
        let bufOffset: number | undefined;
        if (off2) {
          const v = readInt64(off2) ?? 0;
          bufOffset = off2[0] === '+' || off2[0] === '-' ? v * 2 + 1 : v * 2;
        }
        return single((ctx) => {
          const d = dirPayload(ctx);
          if (!d) return undefined;
          const r = payloadLv(d, off, size, bufOffset);
          if (r !== 0) return short(r);
          return mkBin(d.subarray(payloadRange.start, payloadRange.end));
        });
      }
      case 'req.ssl_hello_type': case 'req_ssl_hello_type': case 'res.ssl_hello_type': case 'rep_ssl_hello_type':
        return single((ctx) => {
          const d = dirPayload(ctx);
          if (!d) return undefined;
          const r = sslHelloType(d);
          return r < 0 ? short(r) : mkInt(r);
        });
      case 'req.ssl_ver': case 'req_ssl_ver':
        return single((ctx) => {
          const d = ctx.conn.payload;
          if (!d) return undefined;
          const r = sslVersion(d);
          return r < 0 ? short(r) : mkInt(r);
        });
      case 'req.ssl_sni': case 'req_ssl_sni':
        return single((ctx) => {
          const d = dirPayload(ctx);
          if (!d) return undefined;
          const r = sslSni(d);
          return r !== 0 ? short(r) : mkStr(bytesToStr(d.subarray(sniRange.start, sniRange.end)));
        });
      case 'req.ssl_alpn': {
        const one: One = (ctx) => {
          const d = dirPayload(ctx);
          if (!d) return undefined;
          const r = sslAlpn(d);
          return typeof r === 'number' ? short(r) : mkStr(r[0]!);
        };
        return {
          one,
          each: (ctx, visit) => {
            const d = dirPayload(ctx);
            if (!d) return 0;
            const r = sslAlpn(d);
            if (typeof r === 'number') { short(r); return 0; }
            for (const n of r) { const v = visit(mkStr(n), ctx); if (v !== 0) return v; }
            return 0;
          },
        };
      }
      case 'req.ssl_ec_ext':
        return single((ctx) => {
          const d = dirPayload(ctx);
          if (!d) return undefined;
          const r = sslEcExt(d);
          return r < 0 ? short(r) : TRUE;
        });
      case 'req.ssl_st_ext':
        return single((ctx) => {
          const d = dirPayload(ctx);
          if (!d) return undefined;
          const r = sslStExt(d);
          return r < 0 ? short(r) : mkInt(r);
        });
      case 'rdp_cookie': case 'req.rdp_cookie': case 'rdp_cookie_cnt': case 'req.rdp_cookie_cnt': {
        const cname = str(args, 0) ?? '';
        const cnt = name.endsWith('_cnt');
        return single((ctx) => {
          const d = ctx.conn.payload;
          if (!d) return undefined;
          const r = rdpCookie(d, cname);
          if (cnt) return r === SHORT ? short(r) : mkInt(r === 0 ? 1 : 0);
          return r !== 0 ? short(r) : mkStr(bytesToStr(d.subarray(rdpRange.start, rdpRange.end)));
        });
      }
      case 'wait_end':
        return single((ctx) => {
          if (ctx.final === false) { evalState.mayChange = true; return undefined; }
          return TRUE;
        });

      // ------------------------------------------------------------ HTTP headers
      case 'hdr': case 'req.hdr': case 'res.hdr': case 'shdr':
      case 'req.fhdr': case 'res.fhdr':
      case 'hdr_val': case 'req.hdr_val': case 'res.hdr_val': case 'shdr_val':
      case 'hdr_ip': case 'req.hdr_ip': case 'res.hdr_ip': case 'shdr_ip': {
        const headers = name.startsWith('req.') || name === 'hdr_val' || name === 'hdr_ip' ? reqHeaders
          : name.startsWith('res.') || name.startsWith('shdr') ? resHeaders : dirHeaders;
        const split = !name.endsWith('fhdr');
        const map = name.endsWith('_val') ? toHdrVal : name.endsWith('_ip') ? toHdrIp : identity;
        const hname = str(args, 0);
        if (hname === undefined) return single(() => undefined); // HAProxy 2.6 requires a name
        const lname = hname.toLowerCase();
        const occ = int(args, 1) ?? 0;
        return {
          one: (ctx) => {
            const raw = headers(ctx);
            if (!raw) return undefined;
            const v = headerOccurrence(raw, lname, occ === 0 ? -1 : occ, split);
            return v === undefined ? undefined : map(v);
          },
          each: (ctx, visit) => {
            const raw = headers(ctx);
            if (!raw) return 0;
            if (occ !== 0) {
              // an explicit occurrence is a single value, even in ACLs
              const v = headerOccurrence(raw, lname, occ, split);
              const s = v === undefined ? undefined : map(v);
              return s === undefined ? 0 : visit(s, ctx);
            }
            return eachHeader(raw, lname, split, map, visit, ctx);
          },
        };
      }
      case 'hdr_cnt': case 'req.hdr_cnt': case 'res.hdr_cnt': case 'shdr_cnt': case 'req.fhdr_cnt': case 'res.fhdr_cnt': {
        const headers = name.startsWith('res.') || name === 'shdr_cnt' ? resHeaders : reqHeaders;
        const split = !name.includes('fhdr');
        const lname = (str(args, 0) ?? '').toLowerCase();
        return single((ctx) => { const raw = headers(ctx); return raw ? mkInt(headerCount(raw, lname, split)) : undefined; });
      }
      case 'req.hdr_names': case 'res.hdr_names': {
        const headers = name.startsWith('res.') ? resHeaders : reqHeaders;
        const delim = (str(args, 0) ?? ',')[0] ?? ',';
        return single((ctx) => {
          const raw = headers(ctx);
          if (!raw) return undefined;
          let out = '';
          for (let i = 0; i + 1 < raw.length; i += 2) out += (i ? delim : '') + raw[i]!.toLowerCase();
          return mkStr(out);
        });
      }
      case 'req.hdrs': case 'res.hdrs': {
        const headers = name.startsWith('res.') ? resHeaders : reqHeaders;
        return single((ctx) => {
          const raw = headers(ctx);
          if (!raw) return undefined;
          let out = '';
          for (let i = 0; i + 1 < raw.length; i += 2) out += `${raw[i]!.toLowerCase()}: ${raw[i + 1]}\r\n`;
          return mkStr(out + '\r\n');
        });
      }
      case 'req.hdrs_bin': case 'res.hdrs_bin': {
        const headers = name.startsWith('res.') ? resHeaders : reqHeaders;
        return single((ctx) => {
          const raw = headers(ctx);
          if (!raw) return undefined;
          const parts: number[] = [];
          const put = (s: string): void => {
            varint(parts, s.length);
            for (let k = 0; k < s.length; k++) parts.push(s.charCodeAt(k) & 255);
          };
          for (let i = 0; i + 1 < raw.length; i += 2) { put(raw[i]!.toLowerCase()); put(raw[i + 1]!); }
          parts.push(0, 0);
          return mkBin(Uint8Array.from(parts));
        });
      }

      // ------------------------------------------------------------ cookies
      case 'cook': case 'req.cook': case 'cookie': case 'res.cook': case 'scook':
      case 'cook_val': case 'req.cook_val': case 'res.cook_val': case 'scook_val': {
        // res.cook / scook read Set-Cookie, cook / req.cook Cookie, cookie() the current direction
        const response: boolean | undefined = name === 'cookie' ? undefined : name.startsWith('res.') || name.startsWith('scook');
        const cname = str(args, 0) ?? '';
        const wrap = name.endsWith('_val') ? toHdrVal : identity;
        let result: Sample | undefined;
        const keep: Visit = (s) => { result = s; return 1; };
        // HAProxy parses several cookies per header line only in the request direction (even for res.cook)
        return {
          one: (ctx) => {
            const res = response ?? ctx.dir === 'res';
            const raw = res ? ctx.res?.rawHeaders : ctx.req?.rawHeaders;
            if (!raw) return undefined;
            result = undefined;
            eachCookie(raw, res ? 'set-cookie' : 'cookie', cname, ctx.dir !== 'res', false, wrap, keep, ctx);
            return result;
          },
          each: (ctx, visit) => {
            const res = response ?? ctx.dir === 'res';
            const raw = res ? ctx.res?.rawHeaders : ctx.req?.rawHeaders;
            if (!raw) return 0;
            return eachCookie(raw, res ? 'set-cookie' : 'cookie', cname, ctx.dir !== 'res', true, wrap, visit, ctx);
          },
        };
      }
      case 'cook_cnt': case 'req.cook_cnt': case 'res.cook_cnt': case 'scook_cnt': {
        const response = name.startsWith('res.') || name.startsWith('scook');
        const cname = str(args, 0) ?? '';
        return single((ctx) => {
          const raw = response ? ctx.res?.rawHeaders : ctx.req?.rawHeaders;
          return raw ? mkInt(cookieCount(raw, response ? 'set-cookie' : 'cookie', cname, ctx.dir !== 'res')) : undefined;
        });
      }

      // ------------------------------------------------------------ request line, URL
      case 'method':
        return single((ctx) => {
          const m = ctx.req?.method;
          if (m === undefined) return undefined;
          if (ctx.dir === 'res' && !isKnownMethod(m)) return undefined; // as smp_fetch_meth()
          return { type: 'meth', value: m };
        });
      case 'url': return single((ctx) => (ctx.req ? mkStr(ctx.req.url) : undefined));
      case 'path': case 'pathq': {
        const withQuery = name === 'pathq';
        return single((ctx) => { const p = ctx.req ? uriPath(ctx.req.url, withQuery) : undefined; return p === undefined ? undefined : mkStr(p); });
      }
      case 'query': return single((ctx) => { const q = ctx.req ? uriQuery(ctx.req.url) : undefined; return q === undefined ? undefined : mkStr(q); });
      case 'base': case 'baseq': {
        const withQuery = name === 'baseq';
        return single((ctx) => {
          const req = ctx.req;
          if (!req) return undefined;
          const host = firstHeader(req.rawHeaders, 'host');
          if (!host) { const p = uriPath(req.url, withQuery); return p === undefined ? undefined : mkStr(p); }
          const p = uriPath(req.url, withQuery);
          return mkStr(p !== undefined && p.length > 0 && p.charCodeAt(0) === 47 ? host + p : host);
        });
      }
      case 'base32': case 'base32+src': case 'url32': case 'url32+src': {
        const isUrl = name.startsWith('url');
        const withSrc = name.endsWith('+src');
        const src = addressFetch((ctx) => ctx.conn.src);
        return single((ctx) => {
          const req = ctx.req;
          if (!req) return undefined;
          // base32 hashes the first Host element, url32 the whole first Host line
          const host = isUrl ? headerOccurrence(req.rawHeaders, 'host', 1, false) : firstHeader(req.rawHeaders, 'host');
          let h = host !== undefined ? sdbmStr(host) : 0;
          const start = uriPathRange(req.url);
          if (start >= 0 && req.url.charCodeAt(start) === 47) {
            let end = req.url.length;
            if (!isUrl) { const q = req.url.indexOf('?', start); if (q >= 0) end = q; }
            h = sdbmStr(req.url.slice(start, end), h);
          }
          h = fullHash(h);
          if (!withSrc) return mkInt(h);
          const s = src(ctx);
          if (!s) return undefined;
          const addr = s.type === 'ipv4'
            ? [s.value >>> 24, (s.value >>> 16) & 255, (s.value >>> 8) & 255, s.value & 255]
            : s.type === 'ipv6' ? [...s.value] : [];
          return mkBin(Uint8Array.from([h >>> 24, (h >>> 16) & 255, (h >>> 8) & 255, h & 255, ...addr]));
        });
      }
      case 'url_ip': return single((ctx) => { const u = ctx.req ? urlIPv4(ctx.req.url) : undefined; return u ? mkIPv4(u.addr) : undefined; });
      case 'url_port': return single((ctx) => { const u = ctx.req ? urlIPv4(ctx.req.url) : undefined; return u ? mkInt(u.port) : undefined; });
      case 'url_param': case 'urlp': case 'urlp_val': {
        const pname = str(args, 0) ?? '';
        const delimText = str(args, 1);
        const delim = delimText ? delimText.charCodeAt(0) : 63;
        const toVal = name === 'urlp_val';
        const wrap = (v: string): Sample => (toVal ? mkInt(strl2ic(v)) : mkStr(v));
        return {
          one: (ctx) => {
            const url = ctx.req?.url;
            if (url === undefined) return undefined;
            const q = url.indexOf(String.fromCharCode(delim));
            if (q < 0 || !findUrlParam(url, q + 1, url.length, pname, delim)) return undefined;
            return wrap(url.slice(urlParamStart, urlParamEnd));
          },
          each: (ctx, visit) => {
            const url = ctx.req?.url;
            if (url === undefined) return 0;
            const q = url.indexOf(String.fromCharCode(delim));
            if (q < 0) return 0;
            let pos = q + 1;
            while (findUrlParam(url, pos, url.length, pname, delim)) {
              const end = urlParamEnd;
              const r = visit(wrap(url.slice(urlParamStart, end)), ctx);
              if (r !== 0) return r;
              if (end >= url.length) break;
              pos = end;
            }
            return 0;
          },
        };
      }
      case 'req.body_param': {
        const pname = str(args, 0) ?? '';
        const bodyText = (ctx: SampleContext): string | undefined => (ctx.req ? bytesToStr(ctx.req.body ?? new Uint8Array(0)) : undefined);
        return {
          one: (ctx) => {
            const b = bodyText(ctx);
            if (b === undefined || !findUrlParam(b, 0, b.length, pname, 38)) return undefined;
            return mkBin(Buffer.from(b.slice(urlParamStart, urlParamEnd), 'latin1'));
          },
          each: (ctx, visit) => {
            const b = bodyText(ctx);
            if (b === undefined) return 0;
            let pos = 0;
            while (findUrlParam(b, pos, b.length, pname, 38)) {
              const end = urlParamEnd;
              const r = visit(mkBin(Buffer.from(b.slice(urlParamStart, end), 'latin1')), ctx);
              if (r !== 0) return r;
              if (end >= b.length) break;
              pos = end;
            }
            return 0;
          },
        };
      }
      case 'req.ver': case 'req_ver':
        return single((ctx) => (ctx.req ? mkStr(ctx.req.version) : undefined));
      case 'res.ver': case 'resp_ver':
        return single((ctx) => (ctx.res ? mkStr(ctx.res.version ?? '1.1') : undefined));
      case 'status': return single((ctx) => (ctx.res ? mkInt(ctx.res.status) : undefined));
      case 'http_first_req': return single((ctx) => (ctx.req ? mkBool(ctx.req.first ?? true) : undefined));
      case 'req.proto_http': case 'req_proto_http': return single((ctx) => (ctx.req ? TRUE : undefined));
      case 'capture.req.hdr': case 'capture.res.hdr': {
        const idx = int(args, 0) ?? -1;
        const res = name === 'capture.res.hdr';
        return single((ctx) => {
          const v = (res ? ctx.res?.captures : ctx.req?.captures)?.[idx];
          return v === undefined ? undefined : mkStr(v);
        });
      }
      case 'capture.req.method':
        return single((ctx) => (ctx.req ? mkStr(requestLine(ctx).split(' ', 1)[0]!) : undefined));
      case 'capture.req.uri':
        return single((ctx) => {
          if (!ctx.req) return undefined;
          const line = requestLine(ctx);
          const sp = line.indexOf(' ');
          if (sp < 0) return undefined;
          let e = line.indexOf(' ', sp + 1);
          if (e < 0) e = line.length;
          const p = uriPath(line.slice(sp + 1, e), true);
          return p === undefined ? undefined : mkStr(p);
        });
      case 'capture.req.ver':
        return single((ctx) => (ctx.req ? mkStr(ver11(ctx.req.version) ? 'HTTP/1.1' : 'HTTP/1.0') : undefined));
      case 'capture.res.ver':
        return single((ctx) => (ctx.res ? mkStr(ver11(ctx.res.version ?? '1.1') ? 'HTTP/1.1' : 'HTTP/1.0') : undefined));
      case 'req.body': case 'res.body': {
        const res = name === 'res.body';
        return single((ctx) => { const m = res ? ctx.res : ctx.req; return m ? mkBin(m.body ?? new Uint8Array(0)) : undefined; });
      }
      case 'req.body_len': case 'req.body_size': case 'res.body_len': case 'res.body_size': {
        const res = name.startsWith('res.');
        return single((ctx) => { const m = res ? ctx.res : ctx.req; return m ? mkInt(m.body?.length ?? 0) : undefined; });
      }

      // ------------------------------------------------------------ authentication
      case 'http_auth_type':
        return single((ctx) => {
          const a = ctx.req ? httpAuth(ctx.req.rawHeaders) : undefined;
          return a ? mkStr(a.method === 'basic' ? 'Basic' : 'Bearer') : undefined;
        });
      case 'http_auth_user': case 'http_auth_pass':
        return single((ctx) => {
          const a = ctx.req ? httpAuth(ctx.req.rawHeaders) : undefined;
          return a?.method === 'basic' ? mkStr(name === 'http_auth_user' ? a.user : a.pass) : undefined;
        });
      case 'http_auth_bearer': {
        const hname = str(args, 0);
        return single((ctx) => {
          if (!ctx.req) return undefined;
          if (hname !== undefined) {
            const v = firstHeader(ctx.req.rawHeaders, hname.toLowerCase());
            if (v === undefined) return EMPTY_STR;
            const sp = v.indexOf(' ');
            const type = sp < 0 ? v : v.slice(0, sp);
            let rest = sp < 0 ? '' : v.slice(sp + 1);
            while (rest.startsWith(' ')) rest = rest.slice(1);
            return mkStr(eqLower(type, 'bearer') && rest.length ? rest : '');
          }
          const a = httpAuth(ctx.req.rawHeaders);
          return a?.method === 'bearer' ? mkStr(a.data) : undefined;
        });
      }
      case 'http_auth': case 'http_auth_group': {
        const ul = ref(args, 0, 'userlist');
        if (ul === undefined) return single(() => undefined);
        const group = name === 'http_auth_group';
        return single((ctx) => {
          const a = ctx.req ? httpAuth(ctx.req.rawHeaders) : undefined;
          if (a?.method !== 'basic') return undefined;
          const ok = ctx.hooks?.checkUser?.(ul, a.user, a.pass) ?? false;
          if (!group) return mkBool(ok);
          return ok ? mkStr(a.user) : undefined;
        });
      }
    }

    // ------------------------------------------------------------ stick counters
    const m = SC_FETCH.exec(name);
    if (m) return compileStickFetch(m[1]!, m[2]!);
    return undefined;
  }

  function compileStickFetch(prefix: string, fn: string): CompiledFetch | undefined {
    const isBool = fn === 'tracked';
    let q: StickQuery;
    let i = 0;
    if (prefix === 'src') {
      const index = /^(get|inc|clr)_gpc$|^gpc_rate$|^get_gpt$/.test(fn) ? int(args, i++) : undefined;
      q = { fn, by: 'src', table: ref(args, i, 'table') ?? '', ...(index !== undefined ? { index } : {}) };
    } else if (prefix === 'sc') {
      const index = /^(get|inc|clr)_gpc$|^gpc_rate$|^get_gpt$/.test(fn) ? int(args, i++) : undefined;
      const counter = int(args, i++) ?? 0;
      q = { fn, by: 'sc', counter, table: ref(args, i, 'table') ?? '', ...(index !== undefined ? { index } : {}) };
    } else {
      const counter = Number(prefix.slice(2));
      const index = fn === 'clr_gpc' ? int(args, i++) : undefined;
      q = { fn, by: 'sc', counter, table: ref(args, i, 'table') ?? '', ...(index !== undefined ? { index } : {}) };
    }
    return single((ctx) => {
      const v = ctx.hooks?.stickCounter?.(ctx, q);
      if (v === undefined) return isBool ? FALSE : undefined;
      return isBool ? mkBool(v !== 0) : mkInt(v);
    });
  }
}

/** HTTP/1.1 or later? */
function ver11(v: string): boolean {
  const [maj, min] = v.split('.').map((x) => Number.parseInt(x, 10));
  return (maj ?? 0) > 1 || ((maj ?? 0) === 1 && (min ?? 0) >= 1);
}

/** The request line HAProxy captures (txn->uri), truncated to 1023 bytes. */
export function requestLine(ctx: SampleContext): string {
  const req = ctx.req!;
  const line = req.requestLine ?? `${req.method} ${req.url} HTTP/${req.version}`;
  return line.length > 1023 ? line.slice(0, 1023) : line;
}

/** SPOE varint encoding (encode_varint()). */
function varint(out: number[], n: number): void {
  if (n < 240) { out.push(n); return; }
  out.push((n | 240) & 255);
  n = (n - 240) >>> 4;
  while (n >= 128) { out.push((n | 128) & 255); n = (n - 128) >>> 7; }
  out.push(n);
}

