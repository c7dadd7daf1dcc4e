/**
 * Layer 6: the raw bytes of a TCP stream (payload.c; section 7.3.5) — buffer
 * length, payload extraction, TLS ClientHello and RDP cookie inspection.
 *
 * These answers can change as more data arrives: a fetch sets its
 * FetchState's mayChange before failing (or while the buffer may still grow),
 * so that an ACL reports "missing data" while the inspection delay runs.
 */
import type { SampleArg } from '../types.ts';
import type { ArgValidator } from '../validators.ts';
import type { SampleContext } from '../context.ts';
import type { FetchCompiler, FetchDefinition, FetchState, One, Span } from './define.ts';
import type { PayloadSpan } from '../eval-payload.ts';
import { strOf as argStr, intOf as argInt } from '../validators.ts';
import { fetch, single, str, int } from './define.ts';
import { TRUE, mkStr, mkInt, mkBin, bytesToStr } from '../eval-sample.ts';
import {
  SHORT, sslHelloType, sslVersion, sslSni, sslAlpn, sslEcExt, sslStExt, rdpCookie, payload, payloadLv,
} from '../eval-payload.ts';
import { readInt64 } from '../args.ts';

/** The L6 buffer of the current direction (req.len & co read the response buffer in response rules). */
const dirPayload = (ctx: SampleContext): Uint8Array | undefined => (ctx.dir === 'res' ? ctx.conn.resPayload : ctx.conn.payload);

/** Reports "may change" for a SHORT result; returns undefined. */
function short(r: number, state: FetchState): undefined {
  if (r === SHORT) state.mayChange = true;
  return undefined;
}

const span = (): Span => ({ start: 0, end: 0 });

const bufferLength: FetchCompiler = ({ state }) => single((ctx) => {
  state.mayChange = true; // the buffer may still grow
  const d = dirPayload(ctx);
  if (d !== undefined) return mkInt(d.length);
  // An HTTP request: HAProxy counts its HTX (IS_HTX_STRM in smp_fetch_len).
  const htx = ctx.dir === 'res' ? undefined : ctx.req?.htxLength;
  return htx === undefined ? undefined : mkInt(htx);
});

const payloadBytes: FetchCompiler = ({ args, state }) => {
  const off = int(args, 0) ?? 0;
  const len = int(args, 1) ?? 0;
  const range: PayloadSpan = { start: 0, end: 0, mayGrow: false };
  return single((ctx) => {
    const d = dirPayload(ctx);
    if (!d) return undefined;
    const r = payload(d, off, len, range);
    if (r !== 0) return short(r, state);
    if (range.mayGrow) state.mayChange = true;
    return mkBin(d.subarray(range.start, range.end));
  });
};

const payloadLengthValue: FetchCompiler = ({ args, state }) => {
  const off = int(args, 0) ?? 0;
  const size = int(args, 1) ?? 0;
  const off2 = str(args, 2);
  let bufOffset: number | undefined;
  if (off2) {
    const v = readInt64(off2) ?? 0;
    bufOffset = off2[0] === '+' || off2[0] === '-' ? v * 2 + 1 : v * 2;
  }
  const range: PayloadSpan = { start: 0, end: 0, mayGrow: false };
  return single((ctx) => {
    const d = dirPayload(ctx);
    if (!d) return undefined;
    const r = payloadLv(d, off, size, bufOffset, range);
    if (r !== 0) return short(r, state);
    return mkBin(d.subarray(range.start, range.end));
  });
};

const helloType: FetchCompiler = ({ state }) => single((ctx) => {
  const d = dirPayload(ctx);
  if (!d) return undefined;
  const r = sslHelloType(d);
  return r < 0 ? short(r, state) : mkInt(r);
});

const helloVersion: FetchCompiler = ({ state }) => single((ctx) => {
  const d = ctx.conn.payload;
  if (!d) return undefined;
  const r = sslVersion(d);
  return r < 0 ? short(r, state) : mkInt(r);
});

const helloSni: FetchCompiler = ({ state }) => {
  const sni = span();
  return single((ctx) => {
    const d = dirPayload(ctx);
    if (!d) return undefined;
    const r = sslSni(d, sni);
    return r !== 0 ? short(r, state) : mkStr(bytesToStr(d.subarray(sni.start, sni.end)));
  });
};

const helloAlpn: FetchCompiler = ({ state }) => {
  const scratch = span();
  const one: One = (ctx) => {
    const d = dirPayload(ctx);
    if (!d) return undefined;
    const r = sslAlpn(d, scratch);
    return typeof r === 'number' ? short(r, state) : mkStr(r[0]!);
  };
  return {
    one,
    each: (ctx, visit) => {
      const d = dirPayload(ctx);
      if (!d) return 0;
      const r = sslAlpn(d, scratch);
      if (typeof r === 'number') { short(r, state); return 0; }
      for (const n of r) { const v = visit(mkStr(n), ctx); if (v !== 0) return v; }
      return 0;
    },
  };
};

const helloEcExt: FetchCompiler = ({ state }) => {
  const scratch = span();
  return single((ctx) => {
    const d = dirPayload(ctx);
    if (!d) return undefined;
    const r = sslEcExt(d, scratch);
    return r < 0 ? short(r, state) : TRUE;
  });
};

const helloStExt: FetchCompiler = ({ state }) => {
  const scratch = span();
  return single((ctx) => {
    const d = dirPayload(ctx);
    if (!d) return undefined;
    const r = sslStExt(d, scratch);
    return r < 0 ? short(r, state) : mkInt(r);
  });
};

const rdp: FetchCompiler = ({ name, args, state }) => {
  const cname = str(args, 0) ?? '';
  const cnt = name.endsWith('_cnt');
  const value = span();
  return single((ctx) => {
    const d = ctx.conn.payload;
    if (!d) return undefined;
    const r = rdpCookie(d, cname, value);
    if (cnt) return r === SHORT ? short(r, state) : mkInt(r === 0 ? 1 : 0);
    return r !== 0 ? short(r, state) : mkStr(bytesToStr(d.subarray(value.start, value.end)));
  });
};

const waitEnd: FetchCompiler = ({ state }) => single((ctx) => {
  if (ctx.final === false) { state.mayChange = true; return undefined; }
  return TRUE;
});

// ---------------------------------------------------------------- argument checks (HAProxy's val_args)

const distccTokenArgs: ArgValidator = (a) => ((argStr(a[0]) ?? '').length !== 4 ? 'token name must be exactly 4 characters' : undefined);

function payloadLvArgs(a: SampleArg[]): string | undefined {
  if (argInt(a[0]) < 0) return 'payload offset1 must be positive';
  if (!argInt(a[1])) return 'payload length must be > 0';
  const off2 = argStr(a[2]);
  if (off2) {
    const v = readInt64(off2);
    if (v === undefined) return 'payload offset2 is not a number';
    if (argInt(a[0]) + argInt(a[1]) + v < 0) return 'payload offset2 too negative';
  }
  return undefined;
}

export const PAYLOAD_FETCHES: readonly FetchDefinition[] = [
  // payload.c
  fetch(['distcc_body', 'str[,int]', 'bin', 'L6REQ|L6RES'], undefined, distccTokenArgs),
  fetch(['distcc_param', 'str[,int]', 'int', 'L6REQ|L6RES'], undefined, distccTokenArgs),
  fetch(['payload', 'int,int', 'bin', 'L6REQ|L6RES'], payloadBytes),
  fetch(['payload_lv', 'int,int[,str]', 'bin', 'L6REQ|L6RES'], payloadLengthValue, payloadLvArgs),
  fetch(['rdp_cookie', '[str]', 'str', 'L6REQ'], rdp),
  fetch(['rdp_cookie_cnt', '[str]', 'int', 'L6REQ'], rdp),
  fetch(['rep_ssl_hello_type', '', 'int', 'L6RES'], helloType),
  fetch(['req.len', '', 'int', 'L6REQ'], bufferLength),
  fetch(['req.payload', 'int,int', 'bin', 'L6REQ'], payloadBytes),
  fetch(['req.payload_lv', 'int,int[,str]', 'bin', 'L6REQ'], payloadLengthValue, payloadLvArgs),
  fetch(['req.rdp_cookie', '[str]', 'str', 'L6REQ'], rdp),
  fetch(['req.rdp_cookie_cnt', '[str]', 'int', 'L6REQ'], rdp),
  fetch(['req.ssl_alpn', '', 'str', 'L6REQ'], helloAlpn),
  fetch(['req.ssl_ec_ext', '', 'bool', 'L6REQ'], helloEcExt),
  fetch(['req.ssl_hello_type', '', 'int', 'L6REQ'], helloType),
  fetch(['req.ssl_sni', '', 'str', 'L6REQ'], helloSni),
  fetch(['req.ssl_st_ext', '', 'int', 'L6REQ'], helloStExt),
  fetch(['req.ssl_ver', '', 'int', 'L6REQ'], helloVersion),
  fetch(['req_len', '', 'int', 'L6REQ'], bufferLength),
  fetch(['req_ssl_hello_type', '', 'int', 'L6REQ'], helloType),
  fetch(['req_ssl_sni', '', 'str', 'L6REQ'], helloSni),
  fetch(['req_ssl_ver', '', 'int', 'L6REQ'], helloVersion),
  fetch(['res.len', '', 'int', 'L6RES'], bufferLength),
  fetch(['res.payload', 'int,int', 'bin', 'L6RES'], payloadBytes),
  fetch(['res.payload_lv', 'int,int[,str]', 'bin', 'L6RES'], payloadLengthValue, payloadLvArgs),
  fetch(['res.ssl_hello_type', '', 'int', 'L6RES'], helloType),
  fetch(['wait_end', '', 'bool', 'INTRN'], waitEnd),
];
