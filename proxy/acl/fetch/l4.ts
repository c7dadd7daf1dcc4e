/**
 * Layer 4: the client connection (connection.c, tcp_sample.c; section 7.3.3).
 */
import os from 'node:os';
import type { ArgValidator } from '../validators.ts';
import type { SampleContext } from '../context.ts';
import type { Sample } from '../eval-sample.ts';
import type { FetchCompiler, FetchDefinition, One } from './define.ts';
import { strOf as argStr } from '../validators.ts';
import { fetch, single } from './define.ts';
import { mkStr, mkInt, mkBool, parseAddress } from '../eval-sample.ts';

/** One-entry memo of a parsed address string (the same connection is asked again and again). */
export function addressFetch(get: (ctx: SampleContext) => string | undefined): One {
  let last: string | undefined;
  let lastSample: Sample | undefined;
  return (ctx) => {
    const text = get(ctx);
    if (text === undefined || text === '') return undefined;
    if (text !== last) { last = text; lastSample = parseAddress(text); }
    return lastSample;
  };
}

/** This host's addresses, read once on first use (src_is_local / dst_is_local). */
let localAddresses: Set<string> | undefined;
function isLocal(text: string): boolean {
  if (!localAddresses) {
    localAddresses = new Set();
    for (const list of Object.values(os.networkInterfaces())) for (const i of list ?? []) localAddresses.add(i.address);
  }
  const plain = text.startsWith('::ffff:') && text.includes('.') ? text.slice(7) : text;
  return localAddresses.has(plain) || localAddresses.has(text) || plain.startsWith('127.');
}

const src: FetchCompiler = () => single(addressFetch((ctx) => ctx.conn.src));
const dst: FetchCompiler = () => single(addressFetch((ctx) => ctx.conn.dst));
const srcPort: FetchCompiler = () => single((ctx) => mkInt(ctx.conn.srcPort));
const dstPort: FetchCompiler = () => single((ctx) => mkInt(ctx.conn.dstPort));
const srcIsLocal: FetchCompiler = () => single((ctx) => mkBool(isLocal(ctx.conn.src)));
const dstIsLocal: FetchCompiler = () => single((ctx) => mkBool(isLocal(ctx.conn.dst)));

// ---------------------------------------------------------------- argument checks (HAProxy's val_args)

const timeUnitArgs: ArgValidator = (a) => {
  const unit = argStr(a[0]);
  return unit === 'us' || unit === 'ms' ? undefined : `expects 'us' or 'ms', got '${unit ?? ''}'`;
};

/** TCP counters take no argument: HAProxy warns and drops it. */
const counterArgs: ArgValidator = (a, warnings) => {
  if (a.length) {
    warnings.push("no argument supported for 'fc_*' sample expressions returning counters.");
    a.length = 0;
  }
  return undefined;
};

export const L4_FETCHES: readonly FetchDefinition[] = [
  // connection.c
  // A rule or a log only sees an established server connection: no error on it (conn_err_code_str: "Success").
  fetch(['bc_err', '', 'int', 'L4SRV'], () => single((ctx) => (ctx.bc ? mkInt(0) : undefined))),
  fetch(['bc_err_str', '', 'str', 'L4SRV'], () => single((ctx) => (ctx.bc ? mkStr('Success') : undefined))),
  fetch(['bc_http_major', '', 'int', 'L4SRV'], () => single((ctx) => (ctx.bc?.httpMajor === undefined ? undefined : mkInt(ctx.bc.httpMajor)))),
  fetch(['fc_err', '', 'int', 'L4CLI'], () => single((ctx) => mkInt(ctx.conn.error ?? 0))),
  // A connection without an error gives conn_err_code_str's "Success" (recorded from haproxy 2.6.12).
  fetch(['fc_err_str', '', 'str', 'L4CLI'], () => single((ctx) => mkStr(ctx.conn.errorString ?? 'Success'))),
  // A TCP connection's mux is not HTX even when its rules read a raw HTTP head: no sample.
  fetch(['fc_http_major', '', 'int', 'L4CLI'], () => single((ctx) => (ctx.req && !ctx.req.raw ? mkInt(Number.parseInt(ctx.req.version, 10) >= 2 ? 2 : 1) : undefined))),
  fetch(['fc_pp_authority', '', 'str', 'L4CLI'], () => single((ctx) => (ctx.conn.ppAuthority === undefined ? undefined : mkStr(ctx.conn.ppAuthority)))),
  fetch(['fc_pp_unique_id', '', 'str', 'L4CLI'], () => single((ctx) => (ctx.conn.ppUniqueId === undefined ? undefined : mkStr(ctx.conn.ppUniqueId)))),
  fetch(['fc_rcvd_proxy', '', 'bool', 'L4CLI'], () => single((ctx) => mkBool(ctx.conn.proxyProtocol ?? false))),
  // tcp_sample.c
  fetch(['bc_dst', '', 'ipv4', 'L4SRV'], () => single(addressFetch((ctx) => ctx.bc?.dst))),
  fetch(['bc_dst_port', '', 'int', 'L4SRV'], () => single((ctx) => (ctx.bc?.dstPort === undefined ? undefined : mkInt(ctx.bc.dstPort)))),
  fetch(['bc_src', '', 'ipv4', 'L4SRV'], () => single(addressFetch((ctx) => ctx.bc?.src))),
  fetch(['bc_src_port', '', 'int', 'L4SRV'], () => single((ctx) => (ctx.bc?.srcPort === undefined ? undefined : mkInt(ctx.bc.srcPort)))),
  fetch(['dst', '', 'ipv4', 'L4CLI'], dst),
  fetch(['dst_is_local', '', 'bool', 'L4CLI'], dstIsLocal),
  fetch(['dst_port', '', 'int', 'L4CLI'], dstPort),
  fetch(['fc_dst', '', 'ipv4', 'L4CLI'], dst),
  fetch(['fc_dst_is_local', '', 'bool', 'L4CLI'], dstIsLocal),
  fetch(['fc_dst_port', '', 'int', 'L4CLI'], dstPort),
  fetch(['fc_fackets', '[str]', 'int', 'L4CLI'], undefined, counterArgs),
  fetch(['fc_lost', '[str]', 'int', 'L4CLI'], undefined, counterArgs),
  fetch(['fc_reordering', '[str]', 'int', 'L4CLI'], undefined, counterArgs),
  fetch(['fc_retrans', '[str]', 'int', 'L4CLI'], undefined, counterArgs),
  fetch(['fc_rtt', '[str]', 'int', 'L4CLI'], undefined, timeUnitArgs),
  fetch(['fc_rttvar', '[str]', 'int', 'L4CLI'], undefined, timeUnitArgs),
  fetch(['fc_sacked', '[str]', 'int', 'L4CLI'], undefined, counterArgs),
  fetch(['fc_src', '', 'ipv4', 'L4CLI'], src),
  fetch(['fc_src_is_local', '', 'bool', 'L4CLI'], srcIsLocal),
  fetch(['fc_src_port', '', 'int', 'L4CLI'], srcPort),
  fetch(['fc_unacked', '[str]', 'int', 'L4CLI'], undefined, counterArgs),
  fetch(['src', '', 'ipv4', 'L4CLI'], src),
  fetch(['src_is_local', '', 'bool', 'L4CLI'], srcIsLocal),
  fetch(['src_port', '', 'int', 'L4CLI'], srcPort),
];
