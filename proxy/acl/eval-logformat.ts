/**
 * Log-format rendering (manual 8.2.4 / 8.2.6, log.c sess_build_logline()):
 * compiles parsed LogFormatTokens into a function producing the line from a
 * SampleContext and the LogVars the engine gathered for the stream.
 */
import os from 'node:os';
import type { LogFormatOptions, LogFormatToken } from './types.ts';
import type { SampleContext } from './context.ts';
import type { Sample } from './eval-sample.ts';
import { parseAddress, sampleToString, toHex } from './eval-sample.ts';
import { uriPath } from './eval-http.ts';
import { requestLine } from './eval-fetches.ts';
import { MONTHS, pad } from './eval-converters.ts';
import { EvalCompileError } from './eval-errors.ts';

/**
 * What the engine knows about a stream when it logs it. Every field is
 * optional: a missing one renders the way HAProxy renders an absent value
 * ('-', 0, -1 or '<NOSRV>' …).
 *
 * The timers follow HAProxy's `struct strm_logs`: they are milliseconds
 * elapsed since the accept date (cumulative marks), -1 when the event did not
 * happen. The log variables are derived from them exactly as log.c does:
 *   %Th = tHandshake                 %Ti = tIdle
 *   %TR = tRequest - tIdle - tHandshake (or -1)    %Tq = tRequest
 *   %Tw = tQueue - tRequest (or -1)  %Tc = tConnect - tQueue (or -1)
 *   %Tr = tData - tConnect (or -1)   %Td = tClose - tData (HTTP) / tClose - tConnect (TCP)
 *   %Ta = tClose - (tIdle + tHandshake)   %Tt = tClose   %Tu = tClose - tIdle
 */
export interface LogVars {
  /** Accept date of the stream, ms since the epoch (fractions allowed): %t %T %Tl %Ts %ms; %tr/%trg/%trl add tIdle + tHandshake. Default: now. */
  readonly acceptDate?: number;
  /** Handshake time (TLS/PROXY), %Th. Default 0. */
  readonly tHandshake?: number;
  /** Idle time before the first request byte (keep-alive), %Ti; -1 if unknown. Default 0. */
  readonly tIdle?: number;
  /** Accept → complete request headers received; -1 if never. Default -1. */
  readonly tRequest?: number;
  /** Accept → left the queue (server slot obtained); -1 if never. Default -1. */
  readonly tQueue?: number;
  /** Accept → server connection established; -1 if never. Default -1. */
  readonly tConnect?: number;
  /** Accept → response headers received; -1 if never. Default -1. */
  readonly tData?: number;
  /** Accept → end of the stream (total time). Default 0. */
  readonly tClose?: number;
  /** %B: bytes sent to the client (bytes_read in the manual). Default 0. */
  readonly bytesRead?: number;
  /** %U: bytes received from the client. Default 0. */
  readonly bytesUploaded?: number;
  /** %ST: status returned to the client. Default ctx.res?.status, else 0. */
  readonly status?: number;
  /** %b: backend name. Default ctx.backendName, else the frontend name. */
  readonly backendName?: string;
  /** %s: server name. Default ctx.serverName, else '<NOSRV>'. */
  readonly serverName?: string;
  /** %ts: termination state, two characters (e.g. '--', 'CD', 'sH'). Default '--'. */
  readonly terminationState?: string;
  /** The two cookie characters %tsc appends to %ts (persistence cookie state). Default '--'. */
  readonly cookieState?: string;
  /** %hr / %hs (and %hrl / %hsl): captured headers, one slot per capture line; default ctx.req / ctx.res captures. */
  readonly capturedRequestHeaders?: readonly (string | undefined)[];
  readonly capturedResponseHeaders?: readonly (string | undefined)[];
  /** %CC / %CS: captured request / response cookie. */
  readonly capturedRequestCookie?: string;
  readonly capturedResponseCookie?: string;
  /** %ac, %fc, %bc, %sc: process / frontend / backend / server concurrent connections. Default 0. */
  readonly activeConnections?: number;
  readonly frontendConnections?: number;
  readonly backendConnections?: number;
  readonly serverConnections?: number;
  /** %rc: connection retries; `redispatched` prefixes it with '+'. Default 0. */
  readonly retries?: number;
  readonly redispatched?: boolean;
  /** %sq / %bq: position in the server / backend queue. Default 0. */
  readonly serverQueue?: number;
  readonly backendQueue?: number;
  /** %bi / %bp: source address and port of the server connection. */
  readonly backendSourceAddr?: string;
  readonly backendSourcePort?: number;
  /** %si / %sp: server address and port. */
  readonly serverAddr?: string;
  readonly serverPort?: number;
  /** %rt: request counter (HAProxy's stream unique number). Default 0. */
  readonly requestCounter?: number;
  /** %lc: frontend log counter. Default 0. */
  readonly logCounter?: number;
  /** %ID: unique-id. Default ctx.uniqueId. */
  readonly uniqueId?: string;
  /** %H: host name. Default os.hostname(). */
  readonly hostname?: string;
  /** %pid. Default process.pid. */
  readonly pid?: number;
  /** `option logasap`: %Ta, %Tt, %Tu and %B are prefixed with '+'. */
  readonly logasap?: boolean;
  /** Mode of the backend, for %Td. Default 'http' when there is a request. */
  readonly backendMode?: 'http' | 'tcp';
}

export interface LogFormatCompileOptions {
  /**
   * HAProxy's LOG_OPT_HTTP: the string is an HTTP header value, redirect
   * location, http-request return body…, so %[sample] results are encoded
   * with '%XX' for control characters instead of being quoted/escaped.
   */
  readonly http?: boolean;
  /** Maximum length of the result (HAProxy truncates log lines at `log ... len`, 1024 by default). */
  readonly maxLength?: number;
}

/** Compiled %[sample] evaluator, supplied by evaluate.ts. */
export type SampleCompiler = (expr: Extract<LogFormatToken, { kind: 'sample' }>['expr']) => (ctx: SampleContext) => Sample | undefined;

const EMPTY_VARS: LogVars = {};

/** One rendered piece: a string, or null when the element writes nothing at all (e.g. %hr without captures). */
type Piece = (ctx: SampleContext, lv: LogVars) => string | null;
const SEPARATOR = 0;

// ---------------------------------------------------------------- encodings

function bitmap(pred: (c: number) => boolean): Uint8Array {
  const m = new Uint8Array(256);
  for (let c = 0; c < 256; c++) if (pred(c)) m[c] = 1;
  return m;
}
const URL_MAP = bitmap((c) => c < 32 || c >= 127 || c === 0x22 || c === 0x23);
const HDR_MAP = bitmap((c) => c < 32 || c >= 127 || c === 0x22 || c === 0x23 || c === 0x7b || c === 0x7c || c === 0x7d);
const HTTP_MAP = bitmap((c) => c <= 0x08 || (c >= 0x0a && c <= 0x1f) || c === 0x7f);
const RFC5424 = bitmap((c) => c === 0x22 || c === 0x5c || c === 0x5d);
const HEX = '0123456789ABCDEF';

/** encode_string() / lf_encode_string(): `esc` + 2 hex digits for bytes of `map`; with +E, '\' before '"', '\', ']'. */
function encode(s: string, esc: string, map: Uint8Array, escapeOpt: boolean): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) & 255;
    if (c === 0) { out += s.slice(from, i); return out; } // C strings stop at NUL
    if (map[c]) {
      out += s.slice(from, i) + esc + HEX[c >> 4] + HEX[c & 15];
      from = i + 1;
    } else if (escapeOpt && RFC5424[c]) {
      out += s.slice(from, i) + '\\' + s[i];
      from = i + 1;
    }
  }
  return from === 0 ? s : out + s.slice(from);
}

/** escape_string() with the RFC5424 map (the +E option of lf_text). */
function escape5424(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) break;
    out += RFC5424[c & 255] ? '\\' + s[i] : s[i];
  }
  return out;
}

/** lf_text_len(): quoted / escaped text, '-' for an empty value when mandatory and not quoted. */
function lfText(s: string | undefined, o: LogFormatOptions): string {
  if (s) {
    const nul = s.indexOf('\0');
    const v = o.escape ? escape5424(s) : nul >= 0 ? s.slice(0, nul) : s;
    return o.quote ? `"${v}"` : v;
  }
  if (o.quote) return '""';
  return o.mandatory ? '-' : '';
}

/** lf_ip(): address text, or its bytes in hex with +X. */
function lfIp(addr: string | undefined, o: LogFormatOptions): string {
  if (addr === undefined || addr === '') return lfText(undefined, o);
  if (o.hex) {
    const s = parseAddress(addr);
    if (s?.type === 'ipv4') return (s.value >>> 0).toString(16).toUpperCase().padStart(8, '0');
    if (s?.type === 'ipv6') return toHex(s.value);
    return '';
  }
  return lfText(addr, o);
}

/** lf_port(): decimal, or %02X%02X with +X (never quoted). */
function lfPort(port: number | undefined, o: LogFormatOptions): string {
  if (port === undefined) return lfText(undefined, o);
  return o.hex ? (port & 0xffff).toString(16).toUpperCase().padStart(4, '0') : String(port);
}

const hex4 = (n: number): string => (n >>> 0).toString(16).toUpperCase().padStart(4, '0');

// ---------------------------------------------------------------- dates

let cacheSec = NaN;
let cacheLocal = '';
let cacheGmtSec = NaN;
let cacheGmt = '';
let cacheLocalTzSec = NaN;
let cacheLocalTz = '';

/** dd/Mon/yyyy:HH:MM:SS in local time. */
function localPrefix(sec: number): string {
  if (sec !== cacheSec) {
    const d = new Date(sec * 1000);
    cacheSec = sec;
    cacheLocal = `${pad(d.getDate(), 2)}/${MONTHS[d.getMonth()]}/${pad(d.getFullYear(), 4)}:${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}`;
  }
  return cacheLocal;
}

/** date2str_log(): local date with milliseconds (%t, %tr). */
export function dateLog(ms: number): string {
  const sec = Math.floor(ms / 1000);
  return `${localPrefix(sec)}.${pad(Math.floor(ms - sec * 1000) % 1000, 3)}`;
}

/** gmt2str_log(): dd/Mon/yyyy:HH:MM:SS +0000 (%T, %trg). */
function gmtLog(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== cacheGmtSec) {
    const d = new Date(sec * 1000);
    cacheGmtSec = sec;
    cacheGmt = `${pad(d.getUTCDate(), 2)}/${MONTHS[d.getUTCMonth()]}/${pad(d.getUTCFullYear(), 4)}:${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)} +0000`;
  }
  return cacheGmt;
}

/** localdate2str_log(): local date with its GMT offset (%Tl, %trl). */
function localTzLog(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== cacheLocalTzSec) {
    const d = new Date(sec * 1000);
    const off = -d.getTimezoneOffset();
    cacheLocalTzSec = sec;
    cacheLocalTz = `${localPrefix(sec)} ${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60), 2)}${pad(Math.abs(off) % 60, 2)}`;
  }
  return cacheLocalTz;
}

// ---------------------------------------------------------------- request line helpers

const isSpht = (c: number): boolean => c === 32 || c === 9;
const BADREQ = '<BADREQ>';

/** txn->uri: the request line, or undefined when there is no request. */
function uriOf(ctx: SampleContext): string | undefined {
  return ctx.req ? requestLine(ctx) : undefined;
}

/** Splits the request line like log.c: method end, URI start/end, version start. */
function splitLine(uri: string): { mEnd: number; uStart: number; uEnd: number; vStart: number; spaces: number } {
  let i = 0;
  const n = uri.length;
  while (i < n && !isSpht(uri.charCodeAt(i))) i++;
  const mEnd = i;
  let spaces = 0;
  while (i < n && isSpht(uri.charCodeAt(i))) { i++; spaces++; }
  const uStart = i;
  while (i < n && !isSpht(uri.charCodeAt(i))) i++;
  const uEnd = i;
  while (i < n && isSpht(uri.charCodeAt(i))) i++;
  return { mEnd, uStart, uEnd, vStart: i, spaces };
}

// ---------------------------------------------------------------- variables

function num(v: number | undefined, def: number): number {
  return v === undefined ? def : v;
}

function timers(lv: LogVars): { th: number; ti: number; tReq: number; tq: number; tc: number; td: number; tClose: number } {
  return {
    th: num(lv.tHandshake, 0), ti: num(lv.tIdle, 0), tReq: num(lv.tRequest, -1), tq: num(lv.tQueue, -1),
    tc: num(lv.tConnect, -1), td: num(lv.tData, -1), tClose: num(lv.tClose, 0),
  };
}

/** Renderer of one %var. */
function varPiece(name: string, o: LogFormatOptions): Piece {
  const plus = (lv: LogVars): string => (lv.logasap ? '+' : '');
  switch (name) {
    case 'ci': return (ctx) => lfIp(ctx.conn.src, o);
    case 'cp': return (ctx) => lfPort(ctx.conn.srcPort, o);
    case 'fi': return (ctx) => lfIp(ctx.conn.dst, o);
    case 'fp': return (ctx) => lfPort(ctx.conn.dstPort, o);
    case 'bi': return (_ctx, lv) => lfIp(lv.backendSourceAddr, o);
    case 'bp': return (_ctx, lv) => lfPort(lv.backendSourcePort, o);
    case 'si': return (_ctx, lv) => lfIp(lv.serverAddr, o);
    case 'sp': return (_ctx, lv) => lfPort(lv.serverPort, o);
    case 't': return (_ctx, lv) => dateLog(lv.acceptDate ?? Date.now());
    case 'T': return (_ctx, lv) => gmtLog(lv.acceptDate ?? Date.now());
    case 'Tl': return (_ctx, lv) => localTzLog(lv.acceptDate ?? Date.now());
    case 'tr': case 'trg': case 'trl': {
      const fmt = name === 'tr' ? dateLog : name === 'trg' ? gmtLog : localTzLog;
      return (_ctx, lv) => {
        const t = timers(lv);
        return fmt((lv.acceptDate ?? Date.now()) + (t.ti >= 0 ? t.ti + t.th : 0));
      };
    }
    case 'Ts': return (_ctx, lv) => { const s = Math.floor((lv.acceptDate ?? Date.now()) / 1000); return o.hex ? hex4(s) : String(s); };
    case 'ms':
      return (_ctx, lv) => {
        const a = lv.acceptDate ?? Date.now();
        const ms = Math.floor(a - Math.floor(a / 1000) * 1000);
        return o.hex ? ms.toString(16).toUpperCase().padStart(2, '0') : pad(ms, 3);
      };
    case 'f': return (ctx) => lfText(ctx.conn.frontend, o);
    case 'ft': return (ctx) => { const v = ctx.conn.frontend + (ctx.conn.ssl ? '~' : ''); return o.quote ? `"${v}"` : v; };
    case 'sslc': return (ctx) => lfText(ctx.conn.ssl ? ctx.conn.sslCipher : undefined, o);
    case 'sslv': return (ctx) => lfText(ctx.conn.ssl ? ctx.conn.sslProtocol : undefined, o);
    case 'b': return (ctx, lv) => lfText(lv.backendName ?? ctx.backendName ?? ctx.conn.frontend, o);
    case 's': return (ctx, lv) => lfText(lv.serverName ?? ctx.serverName ?? '<NOSRV>', o);
    case 'Th': return (_ctx, lv) => String(timers(lv).th);
    case 'Ti': return (_ctx, lv) => String(timers(lv).ti);
    case 'TR': return (_ctx, lv) => { const t = timers(lv); return String(t.tReq >= 0 ? t.tReq - t.ti - t.th : -1); };
    case 'Tq': return (_ctx, lv) => String(timers(lv).tReq);
    case 'Tw': return (_ctx, lv) => { const t = timers(lv); return String(t.tq >= 0 ? t.tq - t.tReq : -1); };
    case 'Tc': return (_ctx, lv) => { const t = timers(lv); return String(t.tc >= 0 ? t.tc - t.tq : -1); };
    case 'Tr': return (_ctx, lv) => { const t = timers(lv); return String(t.td >= 0 ? t.td - t.tc : -1); };
    case 'Td':
      return (ctx, lv) => {
        const t = timers(lv);
        const http = (lv.backendMode ?? (ctx.req ? 'http' : 'tcp')) === 'http';
        return String(http ? (t.td >= 0 ? t.tClose - t.td : -1) : (t.tc >= 0 ? t.tClose - t.tc : -1));
      };
    case 'Ta': return (_ctx, lv) => { const t = timers(lv); return plus(lv) + String(t.tClose - (t.ti >= 0 ? t.ti + t.th : 0)); };
    case 'Tt': return (_ctx, lv) => plus(lv) + String(timers(lv).tClose);
    case 'Tu': return (_ctx, lv) => { const t = timers(lv); return plus(lv) + String(t.tClose - (t.ti >= 0 ? t.ti : 0)); };
    case 'ST': return (ctx, lv) => String(lv.status ?? ctx.res?.status ?? 0);
    case 'B': return (_ctx, lv) => plus(lv) + String(lv.bytesRead ?? 0);
    case 'U': return (_ctx, lv) => String(lv.bytesUploaded ?? 0);
    case 'CC': return (_ctx, lv) => lfText(lv.capturedRequestCookie, o);
    case 'CS': return (_ctx, lv) => lfText(lv.capturedResponseCookie, o);
    case 'ts': return (_ctx, lv) => (lv.terminationState ?? '--').padEnd(2, '-').slice(0, 2);
    case 'tsc': return (_ctx, lv) => (lv.terminationState ?? '--').padEnd(2, '-').slice(0, 2) + (lv.cookieState ?? '--').padEnd(2, '-').slice(0, 2);
    case 'ac': return (_ctx, lv) => String(lv.activeConnections ?? 0);
    case 'fc': return (_ctx, lv) => String(lv.frontendConnections ?? 0);
    case 'bc': return (_ctx, lv) => String(lv.backendConnections ?? 0);
    case 'sc': return (_ctx, lv) => String(lv.serverConnections ?? 0);
    case 'rc': return (_ctx, lv) => (lv.redispatched ? '+' : '') + String(lv.retries ?? 0);
    case 'sq': return (_ctx, lv) => String(lv.serverQueue ?? 0);
    case 'bq': return (_ctx, lv) => String(lv.backendQueue ?? 0);
    case 'hr': case 'hs': {
      const res = name === 'hs';
      return (ctx, lv) => {
        const caps = res ? lv.capturedResponseHeaders ?? ctx.res?.captures : lv.capturedRequestHeaders ?? ctx.req?.captures;
        if (!caps || caps.length === 0) return null;
        const body = '{' + caps.map((c) => (c === undefined ? '' : encode(c, '#', HDR_MAP, o.escape))).join('|') + '}';
        return o.quote ? `"${body}"` : body;
      };
    }
    case 'hrl': case 'hsl': {
      const res = name === 'hsl';
      return (ctx, lv) => {
        const caps = res ? lv.capturedResponseHeaders ?? ctx.res?.captures : lv.capturedRequestHeaders ?? ctx.req?.captures;
        if (!caps || caps.length === 0) return null;
        return caps.map((c) => {
          const v = c === undefined ? (o.quote ? '' : '-') : encode(c, '#', HDR_MAP, o.escape);
          return o.quote ? `"${v}"` : v;
        }).join(' ');
      };
    }
    case 'r':
      return (ctx) => {
        const v = encode(uriOf(ctx) ?? BADREQ, '#', URL_MAP, o.escape);
        return o.quote ? `"${v}"` : v;
      };
    case 'HM': case 'HP': case 'HPO': case 'HQ': case 'HU': case 'HV':
      return (ctx) => {
        const uri = uriOf(ctx);
        let v: string;
        if (uri === undefined) v = BADREQ;
        else {
          const p = splitLine(uri);
          switch (name) {
            case 'HM': v = p.mEnd === uri.length ? BADREQ : uri.slice(0, p.mEnd); break;
            case 'HU': v = p.spaces === 0 ? BADREQ : uri.slice(p.uStart, p.uEnd); break;
            case 'HP': {
              if (p.spaces === 0) { v = BADREQ; break; }
              let e = p.uStart;
              while (e < p.uEnd && uri[e] !== '?') e++;
              v = uri.slice(p.uStart, e);
              break;
            }
            case 'HPO': v = p.spaces === 0 ? BADREQ : uriPath(uri.slice(p.uStart, p.uEnd), false) ?? ''; break;
            case 'HQ': {
              const q = uri.indexOf('?');
              if (q < 0) { v = ''; break; }
              let e = q;
              while (e < uri.length && !isSpht(uri.charCodeAt(e))) e++;
              v = uri.slice(q, e);
              break;
            }
            default: v = p.spaces === 0 ? BADREQ : p.vStart === uri.length ? 'HTTP/0.9' : uri.slice(p.vStart);
          }
        }
        const e = encode(v, '#', URL_MAP, o.escape);
        return o.quote ? `"${e}"` : e;
      };
    case 'rt': return (_ctx, lv) => { const n = lv.requestCounter ?? 0; return o.hex ? hex4(n) : String(n); };
    case 'lc': return (_ctx, lv) => { const n = lv.logCounter ?? 0; return o.hex ? hex4(n) : String(n); };
    case 'H': return (_ctx, lv) => lfText(lv.hostname ?? HOSTNAME, o);
    case 'pid': return (_ctx, lv) => { const n = lv.pid ?? process.pid; return o.hex ? hex4(n) : String(n); };
    case 'ID': return (ctx, lv) => lfText(lv.uniqueId ?? ctx.uniqueId ?? ctx.hooks?.uniqueId?.(ctx), o);
  }
  throw new EvalCompileError('unsupported', `log-format variable '%${name}' is not supported yet by Loadstar`, name);
}

const HOSTNAME = os.hostname();

/** Compiles a log-format token list. */
export function compileLogFormatTokens(
  tokens: readonly LogFormatToken[], compileSampleExpr: SampleCompiler, options: LogFormatCompileOptions = {},
): (ctx: SampleContext, logVars?: LogVars) => string {
  const parts: (Piece | typeof SEPARATOR)[] = [];
  for (const t of tokens) {
    switch (t.kind) {
      case 'text': { const text = t.text; if (text) parts.push(() => text); break; }
      case 'separator': parts.push(SEPARATOR); break;
      case 'var': parts.push(varPiece(t.name, t.options)); break;
      case 'sample': {
        const get = compileSampleExpr(t.expr);
        const o = t.options;
        if (options.http) {
          parts.push((ctx) => { const s = get(ctx); const v = s ? sampleToString(s) : undefined; return v ? encode(v, '%', HTTP_MAP, o.escape) : ''; });
        } else {
          parts.push((ctx) => { const s = get(ctx); return lfText(s ? sampleToString(s) : undefined, o); });
        }
        break;
      }
    }
  }
  const max = options.maxLength;
  // a single text piece (constant string)
  if (parts.length === 1 && parts[0] !== SEPARATOR && tokens[0]?.kind === 'text') {
    const text = (tokens[0] as { text: string }).text;
    const v = max !== undefined && text.length > max ? text.slice(0, max) : text;
    return () => v;
  }
  return (ctx, logVars) => {
    const lv = logVars ?? EMPTY_VARS;
    let out = '';
    let lastIsSpace = true;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (p === SEPARATOR) {
        if (!lastIsSpace) { out += ' '; lastIsSpace = true; }
        continue;
      }
      const r = p(ctx, lv);
      if (r === null) continue;
      out += r;
      lastIsSpace = false;
    }
    return max !== undefined && out.length > max ? out.slice(0, max) : out;
  };
}
