/** The bridge between TCP connections and the compiled ACL/sample language. */
import type net from 'node:net';
import { compileCondition } from '../acl/index.ts';
import type { Condition, SampleContext, VarStore } from '../acl/index.ts';
import type { Proxy } from '../config/model.ts';
import type { LbRequest } from '../balance/index.ts';
import { patternFileReader } from '../runtime/pattern-files.ts';
import { plainAddress } from '../http/samples.ts';
import { rdpCookieValue } from '../acl/eval-payload.ts';
import { tlsFacts } from '../tls/facts.ts';
import { proxyHeaderFacts } from '../runtime/proxy-header-reader.ts';
import { sessionCounters } from '../stick/tracking.ts';
import { tcpStickHooks } from '../stick/tables.ts';
import { rawRequest } from './raw-request.ts';
import { streamSettings } from './rules.ts';

/**
 * What content inspection knows about a connection: the request bytes held
 * back so far, whether more may still come (HAProxy's SMP_OPT_FINAL unset),
 * and the session's variables.
 */
export interface ConnInspection {
  readonly payload: Uint8Array;
  readonly final: boolean;
  readonly vars?: VarStore;
}

/** In TCP mode the request buffer exists even when nothing was held back (req.len is 0, not "no sample"). */
const NOTHING_HELD: ConnInspection = { payload: new Uint8Array(0), final: true };

export type ConnPredicate = (socket: net.Socket, proxy: Proxy, inspection?: ConnInspection) => boolean;

export function connContext(socket: net.Socket, proxy: Proxy, inspection: ConnInspection = NOTHING_HELD): SampleContext {
  return {
    conn: {
      src: socket.remoteAddress ?? '',
      srcPort: socket.remotePort ?? 0,
      dst: socket.localAddress ?? '',
      dstPort: socket.localPort ?? 0,
      frontend: proxy.name,
      defaultBackend: proxy.defaultBackend?.name,
      ...tlsFacts(socket),
      ...proxyHeaderFacts(socket),
      payload: inspection.payload,
    },
    final: inspection.final,
    vars: inspection.vars,
    hooks: tcpStickHooks(proxy),
    // The connection's stick counters, made when a track-sc action or an sc*_ fetch first asks.
    get stick() { return sessionCounters(socket); },
    get priority() { return streamSettings(socket)?.priority; },
    // HTTP fetches read the held request head, parsed when one first asks (raw-request.ts).
    get req() { const r = rawRequest(inspection.payload); return r === 'short' ? undefined : r; },
    get reqPending() { return rawRequest(inspection.payload) === 'short'; },
  };
}

export function compileConnCondition(condition: Condition, proxy: Proxy): ConnPredicate {
  const test = compileCondition(condition, proxy.acls, { readFile: patternFileReader, currentProxy: proxy.name });
  return (socket, _proxy, inspection) => test(connContext(socket, proxy, inspection));
}

/**
 * What the balancer may hash: the source address, for `balance rdp-cookie` the cookie held back by
 * inspection, for `balance hash` what the expression reads (the held bytes, the session's variables).
 */
export function connLbRequest(socket: net.Socket, proxy?: Proxy, payload?: Uint8Array, vars?: VarStore): LbRequest {
  const request: LbRequest = { source: plainAddress(socket.remoteAddress) };
  const algorithm = proxy?.balance?.algorithm;
  if (payload && algorithm === 'rdp-cookie') request.rdpCookie = rdpCookieValue(payload, proxy!.balance!.header ?? 'mstshash');
  else if (algorithm === 'hash') request.sampleContext = () => connContext(socket, proxy!, { payload: payload ?? NOTHING_HELD.payload, final: true, vars });
  return request;
}
