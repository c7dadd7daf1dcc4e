/**
 * Layer 7, HTTP (http_fetch.c and friends; section 7.3.6): request line,
 * URL, headers, cookies, body, authentication, captures. All read Node's
 * rawHeaders and the request target as received (see eval-http.ts).
 */
import type { SampleArg } from '../types.ts';
import type { ArgValidator } from '../validators.ts';
import type { SampleContext, HttpRequestInfo } from '../context.ts';
import type { Sample } from '../eval-sample.ts';
import type { Visit } from '../eval-http.ts';
import type { FetchCompiler, FetchDefinition, Span } from './define.ts';
import { strOf as argStr } from '../validators.ts';
import { fetch, single, str, int, ref } from './define.ts';
import {
  TRUE, mkStr, mkInt, mkBool, mkBin, mkIPv4, mkIPv6, buf2ip, parseIPv6Strict, strl2ic, isKnownMethod, bytesToStr, EMPTY_STR,
} from '../eval-sample.ts';
import {
  eachHeader, headerOccurrence, headerCount, eachCookie, cookieCount, findUrlParam, uriPath, uriPathRange, uriQuery, urlIPv4,
  httpAuth, firstHeader, eqLower,
} from '../eval-http.ts';
import { fullHash, sdbmStr } from '../eval-hash.ts';
import { httpRequestHead, SHORT } from '../eval-payload.ts';
import { addressFetch } from './l4.ts';

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

const span = (): Span => ({ start: 0, end: 0 });

// ---------------------------------------------------------------- headers

/** hdr, req.hdr, res.hdr, shdr, *.fhdr, *_val, *_ip ([name[,occurrence]]). */
const header: FetchCompiler = ({ name, args }) => {
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
};

const headerCountFetch: FetchCompiler = ({ name, args }) => {
  const headers = name.startsWith('res.') || name === 'shdr_cnt' ? resHeaders : reqHeaders;
  const split = !name.includes('fhdr');
  const lname = (str(args, 0) ?? '').toLowerCase();
  return single((ctx) => { const raw = headers(ctx); return raw ? mkInt(headerCount(raw, lname, split)) : undefined; });
};

const headerNames: FetchCompiler = ({ name, args }) => {
  const headers = name.startsWith('res.') ? resHeaders : reqHeaders;
  const delim = (str(args, 0) ?? ',')[0] ?? ',';
  return single((ctx) => {
    const raw = headers(ctx);
    if (!raw) return undefined;
    let out = '';
    for (let i = 0; i + 1 < raw.length; i += 2) out += (i ? delim : '') + raw[i]!.toLowerCase();
    return mkStr(out);
  });
};

const headerBlock: FetchCompiler = ({ name }) => {
  const headers = name.startsWith('res.') ? resHeaders : reqHeaders;
  return single((ctx) => {
    const raw = headers(ctx);
    if (!raw) return undefined;
    let out = '';
    for (let i = 0; i + 1 < raw.length; i += 2) out += `${raw[i]!.toLowerCase()}: ${raw[i + 1]}\r\n`;
    return mkStr(out + '\r\n');
  });
};

const headerBlockBinary: FetchCompiler = ({ name }) => {
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
};

/** SPOE varint encoding (encode_varint()). */
function varint(out: number[], n: number): void {
  if (n < 240) { out.push(n); return; }
  out.push((n | 240) & 255);
  n = (n - 240) >>> 4;
  while (n >= 128) { out.push((n | 128) & 255); n = (n - 128) >>> 7; }
  out.push(n);
}

// ---------------------------------------------------------------- cookies

/** cook, req.cook, res.cook, scook, cookie and their _val forms. */
const cookie: FetchCompiler = ({ name, args }) => {
  // res.cook / scook read Set-Cookie, cook / req.cook Cookie, cookie() the current direction
  const response: boolean | undefined = name === 'cookie' ? undefined : name.startsWith('res.') || name.startsWith('scook');
  const cname = str(args, 0) ?? '';
  const wrap = name.endsWith('_val') ? toHdrVal : identity;
  const value = span();
  let result: Sample | undefined;
  const keep: Visit = (s) => { result = s; return 1; };
  // HAProxy parses several cookies per header line only in the request direction (even for res.cook)
  return {
    one: (ctx) => {
      const res = response ?? ctx.dir === 'res';
      const raw = res ? ctx.res?.rawHeaders : ctx.req?.rawHeaders;
      if (!raw) return undefined;
      result = undefined;
      eachCookie(raw, res ? 'set-cookie' : 'cookie', cname, ctx.dir !== 'res', false, wrap, keep, ctx, value);
      return result;
    },
    each: (ctx, visit) => {
      const res = response ?? ctx.dir === 'res';
      const raw = res ? ctx.res?.rawHeaders : ctx.req?.rawHeaders;
      if (!raw) return 0;
      return eachCookie(raw, res ? 'set-cookie' : 'cookie', cname, ctx.dir !== 'res', true, wrap, visit, ctx, value);
    },
  };
};

const cookieCountFetch: FetchCompiler = ({ name, args }) => {
  const response = name.startsWith('res.') || name.startsWith('scook');
  const cname = str(args, 0) ?? '';
  return single((ctx) => {
    const raw = response ? ctx.res?.rawHeaders : ctx.req?.rawHeaders;
    return raw ? mkInt(cookieCount(raw, response ? 'set-cookie' : 'cookie', cname, ctx.dir !== 'res')) : undefined;
  });
};

// ---------------------------------------------------------------- request line, URL

const method: FetchCompiler = () => single((ctx) => {
  const m = ctx.req?.method;
  if (m === undefined) return undefined;
  if (ctx.dir === 'res' && !isKnownMethod(m)) return undefined; // as smp_fetch_meth()
  return { type: 'meth', value: m };
});

const path: FetchCompiler = ({ name }) => {
  const withQuery = name === 'pathq';
  return single((ctx) => { const p = ctx.req ? uriPath(ctx.req.url, withQuery) : undefined; return p === undefined ? undefined : mkStr(p); });
};

const base: FetchCompiler = ({ name }) => {
  const withQuery = name === 'baseq';
  return single((ctx) => {
    const req = ctx.req;
    if (!req) return undefined;
    const host = firstHeader(req.rawHeaders, 'host');
    if (!host) { const p = uriPath(req.url, withQuery); return p === undefined ? undefined : mkStr(p); }
    const p = uriPath(req.url, withQuery);
    return mkStr(p !== undefined && p.length > 0 && p.charCodeAt(0) === 47 ? host + p : host);
  });
};

/** base32, base32+src, url32, url32+src: hash of Host and path (and the source address). */
const hashedBase: FetchCompiler = ({ name }) => {
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
};

/** url_param, urlp, urlp_val([name[,delimiter]]). */
const urlParam: FetchCompiler = ({ name, args }) => {
  const pname = str(args, 0) ?? '';
  const delimText = str(args, 1);
  const delim = delimText ? delimText.charCodeAt(0) : 63;
  const toVal = name === 'urlp_val';
  const wrap = (v: string): Sample => (toVal ? mkInt(strl2ic(v)) : mkStr(v));
  const value = span();
  return {
    one: (ctx) => {
      const url = ctx.req?.url;
      if (url === undefined) return undefined;
      const q = url.indexOf(String.fromCharCode(delim));
      if (q < 0 || !findUrlParam(url, q + 1, url.length, pname, delim, value)) return undefined;
      return wrap(url.slice(value.start, value.end));
    },
    each: (ctx, visit) => {
      const url = ctx.req?.url;
      if (url === undefined) return 0;
      const q = url.indexOf(String.fromCharCode(delim));
      if (q < 0) return 0;
      let pos = q + 1;
      while (findUrlParam(url, pos, url.length, pname, delim, value)) {
        const end = value.end;
        const r = visit(wrap(url.slice(value.start, end)), ctx);
        if (r !== 0) return r;
        if (end >= url.length) break;
        pos = end;
      }
      return 0;
    },
  };
};

const bodyParam: FetchCompiler = ({ args }) => {
  const pname = str(args, 0) ?? '';
  const bodyText = (ctx: SampleContext): string | undefined => (ctx.req ? bytesToStr(ctx.req.body ?? new Uint8Array(0)) : undefined);
  const value = span();
  return {
    one: (ctx) => {
      const b = bodyText(ctx);
      if (b === undefined || !findUrlParam(b, 0, b.length, pname, 38, value)) return undefined;
      return mkBin(Buffer.from(b.slice(value.start, value.end), 'latin1'));
    },
    each: (ctx, visit) => {
      const b = bodyText(ctx);
      if (b === undefined) return 0;
      let pos = 0;
      while (findUrlParam(b, pos, b.length, pname, 38, value)) {
        const end = value.end;
        const r = visit(mkBin(Buffer.from(b.slice(value.start, end), 'latin1')), ctx);
        if (r !== 0) return r;
        if (end >= b.length) break;
        pos = end;
      }
      return 0;
    },
  };
};

const requestVersion: FetchCompiler = () => single((ctx) => (ctx.req ? mkStr(ctx.req.version) : undefined));
const responseVersion: FetchCompiler = () => single((ctx) => (ctx.res ? mkStr(ctx.res.version ?? '1.1') : undefined));
/** An HTTP request; in a TCP-mode content rule, raw bytes that begin with an HTTP request head (HAProxy parses them in TCP mode too). */
const isHttp: FetchCompiler = ({ state }) => single((ctx) => {
  if (ctx.req) return TRUE;
  const raw = ctx.conn.payload;
  if (raw === undefined) return undefined;
  const r = httpRequestHead(raw);
  if (r === SHORT) state.mayChange = true;
  return r === 0 ? TRUE : undefined;
});

const capturedHeader: FetchCompiler = ({ name, args }) => {
  const idx = int(args, 0) ?? -1;
  const res = name === 'capture.res.hdr';
  return single((ctx) => {
    const v = (res ? ctx.res?.captures : ctx.req?.captures)?.[idx];
    return v === undefined ? undefined : mkStr(v);
  });
};

/** The request line HAProxy keeps for the log (txn->uri), which capture.req.method and capture.req.uri read. */
const keptRequestLine = (ctx: SampleContext): string | undefined => (analysed(ctx) && ctx.req!.requestLineKept !== false ? requestLine(ctx) : undefined);

const capturedUri: FetchCompiler = () => single((ctx) => {
  const line = keptRequestLine(ctx);
  if (line === undefined) return undefined;
  const sp = line.indexOf(' ');
  if (sp < 0) return undefined;
  let e = line.indexOf(' ', sp + 1);
  if (e < 0) e = line.length;
  const p = uriPath(line.slice(sp + 1, e), true);
  return p === undefined ? undefined : mkStr(p);
});

const body: FetchCompiler = ({ name }) => {
  const res = name === 'res.body';
  return single((ctx) => { const m = res ? ctx.res : ctx.req; return m ? mkBin(m.body ?? new Uint8Array(0)) : undefined; });
};

const bodyLength: FetchCompiler = ({ name }) => {
  const res = name.startsWith('res.');
  return single((ctx) => { const m = res ? ctx.res : ctx.req; return m ? mkInt(m.body?.length ?? 0) : undefined; });
};

/** req.body_size / res.body_size: the Content-Length announced, else (chunked) the body available, as HAProxy's smp_fetch_body_size. */
const bodySize: FetchCompiler = ({ name }) => {
  const res = name.startsWith('res.');
  return single((ctx) => {
    const m = res ? ctx.res : ctx.req;
    if (!m) return undefined;
    const announced = lastHeaderValue(m.rawHeaders, 'content-length');
    return mkInt(announced !== undefined && /^\d+$/.test(announced) ? Number(announced) : m.body?.length ?? 0);
  });
};

function lastHeaderValue(raw: readonly string[], lowerName: string): string | undefined {
  for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i]!.length === lowerName.length && raw[i]!.toLowerCase() === lowerName) return raw[i + 1]!.trim();
  return undefined;
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

// ---------------------------------------------------------------- authentication

const authType: FetchCompiler = () => single((ctx) => {
  const a = ctx.req ? httpAuth(ctx.req.rawHeaders, ctx.req.proxyAuth) : undefined;
  return a ? mkStr(a.method === 'basic' ? 'Basic' : 'Bearer') : undefined;
});

const authUserOrPass: FetchCompiler = ({ name }) => single((ctx) => {
  const a = ctx.req ? httpAuth(ctx.req.rawHeaders, ctx.req.proxyAuth) : undefined;
  return a?.method === 'basic' ? mkStr(name === 'http_auth_user' ? a.user : a.pass) : undefined;
});

const authBearer: FetchCompiler = ({ args }) => {
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
    const a = httpAuth(ctx.req.rawHeaders, ctx.req.proxyAuth);
    return a?.method === 'bearer' ? mkStr(a.data) : undefined;
  });
};

/** http_auth(userlist) / http_auth_group(userlist): checked by the engine's userlists. */
const authCheck: FetchCompiler = ({ name, args }) => {
  const ul = ref(args, 0, 'userlist');
  if (ul === undefined) return single(() => undefined);
  const group = name === 'http_auth_group';
  return single((ctx) => {
    const a = ctx.req ? httpAuth(ctx.req.rawHeaders, ctx.req.proxyAuth) : undefined;
    if (a?.method !== 'basic') return undefined;
    const ok = ctx.hooks?.checkUser?.(ul, a.user, a.pass) ?? false;
    if (!group) return mkBool(ok);
    return ok ? mkStr(a.user) : undefined;
  });
};

// ---------------------------------------------------------------- argument checks (HAProxy's val_args)

const headerOccurrenceArgs: ArgValidator = (a) => (a[1]?.type === 'int' && a[1].value < -10 ? 'header occurrence must be >= -10' : undefined);

function blockPositionArgs(a: SampleArg[]): string | undefined {
  const pos = argStr(a[0]);
  if (!pos) return 'a block position is expected (> 0) or a special block name (head, tail, first)';
  if (pos !== 'head' && pos !== 'tail' && pos !== 'first' && !/^[0-9]+$/.test(pos)) return 'invalid block position';
  return undefined;
}

/**
 * A request fetch that found nothing on a TCP connection whose held bytes start an HTTP head not
 * complete yet says "may change" (smp_prefetch_htx's RAW mode), so content rules wait for the head.
 * In HTTP mode the request is always there and this costs one test of the result.
 */
function waitsForRawHead(definition: FetchDefinition): FetchDefinition {
  const compile = definition.compile;
  if (!compile || !definition.row[3].includes('HRQH')) return definition;
  return {
    ...definition,
    compile: (site) => {
      const inner = compile(site);
      if (!inner) return inner;
      const note = (ctx: SampleContext): void => { if (ctx.req === undefined && ctx.dir !== 'res' && ctx.reqPending) site.state.mayChange = true; };
      return {
        one: (ctx) => { const s = inner.one(ctx); if (s === undefined) note(ctx); return s; },
        each: (ctx, visit) => { const r = inner.each(ctx, visit); if (r === 0) note(ctx); return r; },
      };
    },
  };
}

/** Captures exist once HTTP analysis ran: never on a head read from a TCP connection's held bytes. */
const analysed = (ctx: SampleContext): HttpRequestInfo | undefined => (ctx.req?.raw ? undefined : ctx.req);

export const HTTP_FETCHES: readonly FetchDefinition[] = ([
  // http_fetch.c
  fetch(['base', '', 'str', 'HRQHV'], base),
  fetch(['base32', '', 'int', 'HRQHV'], hashedBase),
  fetch(['base32+src', '', 'bin', 'HRQHV'], hashedBase),
  fetch(['baseq', '', 'str', 'HRQHV'], base),
  fetch(['capture.req.hdr', 'int', 'str', 'HRQHP'], capturedHeader),
  fetch(['capture.req.method', '', 'str', 'HRQHP'], () => single((ctx) => { const line = keptRequestLine(ctx); return line === undefined ? undefined : mkStr(line.split(' ', 1)[0]!); })),
  fetch(['capture.req.uri', '', 'str', 'HRQHP'], capturedUri),
  fetch(['capture.req.ver', '', 'str', 'HRQHP'], () => single((ctx) => { const req = analysed(ctx); return req ? mkStr(ver11(req.version) ? 'HTTP/1.1' : 'HTTP/1.0') : undefined; })),
  fetch(['capture.res.hdr', 'int', 'str', 'HRSHP'], capturedHeader),
  fetch(['capture.res.ver', '', 'str', 'HRQHP'], () => single((ctx) => (ctx.res ? mkStr(ver11(ctx.res.version ?? '1.1') ? 'HTTP/1.1' : 'HTTP/1.0') : undefined))),
  fetch(['cook', '[str]', 'str', 'HRQHV'], cookie),
  fetch(['cook_cnt', '[str]', 'int', 'HRQHV'], cookieCountFetch),
  fetch(['cook_val', '[str]', 'int', 'HRQHV'], cookie),
  fetch(['cookie', '[str]', 'str', 'HRQHV|HRSHV'], cookie),
  fetch(['hdr', '[str,int]', 'str', 'HRQHV|HRSHV'], header, headerOccurrenceArgs),
  fetch(['hdr_cnt', '[str]', 'int', 'HRQHV'], headerCountFetch),
  fetch(['hdr_ip', '[str,int]', 'ipv4', 'HRQHV'], header, headerOccurrenceArgs),
  fetch(['hdr_val', '[str,int]', 'int', 'HRQHV'], header, headerOccurrenceArgs),
  fetch(['http_auth', 'usr', 'bool', 'HRQHV'], authCheck),
  fetch(['http_auth_bearer', '[str]', 'str', 'HRQHV'], authBearer),
  fetch(['http_auth_group', 'usr', 'str', 'HRQHV'], authCheck),
  fetch(['http_auth_pass', '', 'str', 'HRQHV'], authUserOrPass),
  fetch(['http_auth_type', '', 'str', 'HRQHV'], authType),
  fetch(['http_auth_user', '', 'str', 'HRQHV'], authUserOrPass),
  fetch(['http_first_req', '', 'bool', 'HRQHP'], () => single((ctx) => (ctx.req ? mkBool(ctx.req.first ?? true) : undefined))),
  fetch(['method', '', 'meth', 'HRQHP'], method),
  fetch(['path', '', 'str', 'HRQHV'], path),
  fetch(['pathq', '', 'str', 'HRQHV'], path),
  fetch(['query', '', 'str', 'HRQHV'], () => single((ctx) => { const q = ctx.req ? uriQuery(ctx.req.url) : undefined; return q === undefined ? undefined : mkStr(q); })),
  fetch(['req.body', '', 'bin', 'HRQHV'], body),
  fetch(['req.body_len', '', 'int', 'HRQHV'], bodyLength),
  fetch(['req.body_param', '[str]', 'bin', 'HRQHV'], bodyParam),
  fetch(['req.body_size', '', 'int', 'HRQHV'], bodySize),
  fetch(['req.cook', '[str]', 'str', 'HRQHV'], cookie),
  fetch(['req.cook_cnt', '[str]', 'int', 'HRQHV'], cookieCountFetch),
  fetch(['req.cook_val', '[str]', 'int', 'HRQHV'], cookie),
  fetch(['req.fhdr', '[str,int]', 'str', 'HRQHV'], header, headerOccurrenceArgs),
  fetch(['req.fhdr_cnt', '[str]', 'int', 'HRQHV'], headerCountFetch),
  fetch(['req.hdr', '[str,int]', 'str', 'HRQHV'], header, headerOccurrenceArgs),
  fetch(['req.hdr_cnt', '[str]', 'int', 'HRQHV'], headerCountFetch),
  fetch(['req.hdr_ip', '[str,int]', 'ipv4', 'HRQHV'], header, headerOccurrenceArgs),
  fetch(['req.hdr_names', '[str]', 'str', 'HRQHV'], headerNames),
  fetch(['req.hdr_val', '[str,int]', 'int', 'HRQHV'], header, headerOccurrenceArgs),
  fetch(['req.hdrs', '', 'bin', 'HRQHV'], headerBlock),
  fetch(['req.hdrs_bin', '', 'bin', 'HRQHV'], headerBlockBinary),
  fetch(['req.proto_http', '', 'bool', 'HRQHP'], isHttp),
  fetch(['req.ver', '', 'str', 'HRQHV'], requestVersion),
  fetch(['req_proto_http', '', 'bool', 'HRQHP'], isHttp),
  fetch(['req_ver', '', 'str', 'HRQHV'], requestVersion),
  fetch(['res.body', '', 'bin', 'HRSHV'], body),
  fetch(['res.body_len', '', 'int', 'HRSHV'], bodyLength),
  fetch(['res.body_size', '', 'int', 'HRSHV'], bodySize),
  fetch(['res.cook', '[str]', 'str', 'HRSHV'], cookie),
  fetch(['res.cook_cnt', '[str]', 'int', 'HRSHV'], cookieCountFetch),
  fetch(['res.cook_val', '[str]', 'int', 'HRSHV'], cookie),
  fetch(['res.fhdr', '[str,int]', 'str', 'HRSHV'], header, headerOccurrenceArgs),
  fetch(['res.fhdr_cnt', '[str]', 'int', 'HRSHV'], headerCountFetch),
  fetch(['res.hdr', '[str,int]', 'str', 'HRSHV'], header, headerOccurrenceArgs),
  fetch(['res.hdr_cnt', '[str]', 'int', 'HRSHV'], headerCountFetch),
  fetch(['res.hdr_ip', '[str,int]', 'ipv4', 'HRSHV'], header, headerOccurrenceArgs),
  fetch(['res.hdr_names', '[str]', 'str', 'HRSHV'], headerNames),
  fetch(['res.hdr_val', '[str,int]', 'int', 'HRSHV'], header, headerOccurrenceArgs),
  fetch(['res.hdrs', '', 'bin', 'HRSHV'], headerBlock),
  fetch(['res.hdrs_bin', '', 'bin', 'HRSHV'], headerBlockBinary),
  fetch(['res.ver', '', 'str', 'HRSHV'], responseVersion),
  fetch(['resp_ver', '', 'str', 'HRSHV'], responseVersion),
  fetch(['scook', '[str]', 'str', 'HRSHV'], cookie),
  fetch(['scook_cnt', '[str]', 'int', 'HRSHV'], cookieCountFetch),
  fetch(['scook_val', '[str]', 'int', 'HRSHV'], cookie),
  fetch(['shdr', '[str,int]', 'str', 'HRSHV'], header, headerOccurrenceArgs),
  fetch(['shdr_cnt', '[str]', 'int', 'HRSHV'], headerCountFetch),
  fetch(['shdr_ip', '[str,int]', 'ipv4', 'HRSHV'], header, headerOccurrenceArgs),
  fetch(['shdr_val', '[str,int]', 'int', 'HRSHV'], header, headerOccurrenceArgs),
  fetch(['status', '', 'int', 'HRSHP'], () => single((ctx) => (ctx.res ? mkInt(ctx.res.status) : undefined))),
  fetch(['unique-id', '', 'str', 'CONST'], () => single((ctx) => {
    const id = ctx.uniqueId ?? ctx.hooks?.uniqueId?.(ctx);
    return id === undefined ? undefined : mkStr(id);
  })),
  fetch(['url', '', 'str', 'HRQHV'], () => single((ctx) => (ctx.req ? mkStr(ctx.req.url) : undefined))),
  fetch(['url32', '', 'int', 'HRQHV'], hashedBase),
  fetch(['url32+src', '', 'bin', 'HRQHV'], hashedBase),
  fetch(['url_ip', '', 'ipv4', 'HRQHV'], () => single((ctx) => { const u = ctx.req ? urlIPv4(ctx.req.url) : undefined; return u ? mkIPv4(u.addr) : undefined; })),
  fetch(['url_param', '[str,str]', 'str', 'HRQHV'], urlParam),
  fetch(['url_port', '', 'int', 'HRQHV'], () => single((ctx) => { const u = ctx.req ? urlIPv4(ctx.req.url) : undefined; return u ? mkInt(u.port) : undefined; })),
  fetch(['urlp', '[str,str]', 'str', 'HRQHV'], urlParam),
  fetch(['urlp_val', '[str,str]', 'int', 'HRQHV'], urlParam),
  // http_htx.c
  fetch(['internal.htx.data', '', 'int', 'HRQHV|HRSHV']),
  fetch(['internal.htx.free', '', 'int', 'HRQHV|HRSHV']),
  fetch(['internal.htx.free_data', '', 'int', 'HRQHV|HRSHV']),
  fetch(['internal.htx.has_eom', '', 'bool', 'HRQHV|HRSHV']),
  fetch(['internal.htx.nbblks', '', 'int', 'HRQHV|HRSHV']),
  fetch(['internal.htx.size', '', 'int', 'HRQHV|HRSHV']),
  fetch(['internal.htx.used', '', 'int', 'HRQHV|HRSHV']),
  fetch(['internal.htx_blk.data', 'str', 'bin', 'HRQHV|HRSHV'], undefined, blockPositionArgs),
  fetch(['internal.htx_blk.hdrname', 'str', 'str', 'HRQHV|HRSHV'], undefined, blockPositionArgs),
  fetch(['internal.htx_blk.hdrval', 'str', 'str', 'HRQHV|HRSHV'], undefined, blockPositionArgs),
  fetch(['internal.htx_blk.size', 'str', 'int', 'HRQHV|HRSHV'], undefined, blockPositionArgs),
  fetch(['internal.htx_blk.start_line', 'str', 'str', 'HRQHV|HRSHV'], undefined, blockPositionArgs),
  fetch(['internal.htx_blk.type', 'str', 'str', 'HRQHV|HRSHV'], undefined, blockPositionArgs),
  fetch(['internal.strm.is_htx', '', 'bool', 'INTRN']),
  // cache.c
  fetch(['res.cache_hit', '', 'bool', 'HRSHP|SERVR'], () => single((ctx) => mkBool(ctx.res?.cacheName !== undefined))),
  fetch(['res.cache_name', '', 'str', 'HRSHP|SERVR'], () => single((ctx) => (ctx.res?.cacheName !== undefined ? mkStr(ctx.res.cacheName) : undefined))),
  // flt_http_comp.c
  fetch(['res.comp', '', 'bool', 'HRSHP'], () => single((ctx) => mkBool(ctx.res?.compression !== undefined))),
  fetch(['res.comp_algo', '', 'str', 'HRSHP'], () => single((ctx) => (ctx.res?.compression !== undefined ? mkStr(ctx.res.compression) : undefined))),
  // fcgi-app.c
  fetch(['fcgi.docroot', '', 'str', 'HRQHV']),
  fetch(['fcgi.index', '', 'str', 'HRQHV']),
] as FetchDefinition[]).map(waitsForRawHead);
