/**
 * Where samples may be used: HAProxy's sample check points (SMP_CKP_*) and the
 * capability table saying which data sources are available at each of them
 * (sample.c `fetch_cap[]`). A fetch is usable at a check point when at least
 * one of its sources is.
 */
import type { Checkpoint, FetchDef, FetchLayer, SampleSource } from './types.ts';

/** Check points in HAProxy's order, with the names HAProxy prints in warnings. */
export const CHECKPOINTS: readonly { readonly id: Checkpoint; readonly description: string }[] = [
  { id: 'frontend-tcp-request-connection', description: 'frontend tcp-request connection rule' },
  { id: 'frontend-tcp-request-session', description: 'frontend tcp-request session rule' },
  { id: 'frontend-tcp-request-content', description: 'frontend tcp-request content rule' },
  { id: 'frontend-http-request', description: 'frontend http-request header rule' },
  { id: 'frontend-http-request-body', description: 'frontend http-request body rule' },
  { id: 'frontend-use-backend', description: 'frontend use-backend rule' },
  { id: 'backend-tcp-request-content', description: 'backend tcp-request content rule' },
  { id: 'backend-http-request', description: 'backend http-request header rule' },
  { id: 'backend-http-request-body', description: 'backend http-request body rule' },
  { id: 'backend-use-server', description: 'backend use-server, balance or stick-match rule' },
  { id: 'backend-server-source', description: 'server source selection' },
  { id: 'backend-tcp-response-content', description: 'backend tcp-response content rule' },
  { id: 'backend-http-response', description: 'backend http-response header rule' },
  { id: 'backend-http-response-body', description: 'backend http-response body rule' },
  { id: 'backend-stick-store', description: 'backend stick-store rule' },
  { id: 'frontend-tcp-response-content', description: 'frontend tcp-response content rule' },
  { id: 'frontend-http-response', description: 'frontend http-response header rule' },
  { id: 'frontend-http-response-body', description: 'frontend http-response body rule' },
  { id: 'log', description: 'logs' },
  { id: 'backend-tcp-check', description: 'backend tcp-check rule' },
  { id: 'config-parser', description: 'configuration parser' },
  { id: 'cli-parser', description: 'CLI parser' },
];

const CHECKPOINT_BIT = new Map<Checkpoint, number>(CHECKPOINTS.map((c, i) => [c.id, 1 << i]));

/** Bit mask of a check point (for FetchDef.validAt). */
export function checkpointBit(checkpoint: Checkpoint): number {
  return CHECKPOINT_BIT.get(checkpoint) ?? 0;
}

/** Check points at which each source is available, one character per CHECKPOINTS entry. */
const SOURCE_CAPS: Readonly<Record<SampleSource, string>> = {
  CONST: 'YYYYYYYYYYYYYYYYYYYYYY',
  INTRN: 'YYYYYYYYYYYYYYYYYYYY.Y',
  LISTN: 'YYYYYYYYYYYYYYYYYYY...',
  FTEND: 'YYYYYYYYYYYYYYYYYYY...',
  L4CLI: 'YYYYYYYYYYYYYYYYYYYY..',
  L5CLI: '.YYYYYYYYYYYYYYYYYY...',
  TRACK: 'YYYYYYYYYYYYYYYYYYY...',
  L6REQ: '..YYYYYYYYY...........',
  HRQHV: '..YYYYYYYYY...........',
  HRQHP: '..YYYYYYYYYYYYYYYYY...',
  HRQBO: '....YYYYYYY...........',
  BKEND: '......YYYYYYYYYYYYYY..',
  SERVR: '..........YYYYYYYYYY..',
  L4SRV: '...........YYYYYYYYY..',
  L5SRV: '...........YYYYYYYYY..',
  L6RES: '...........YYYYYYY.Y..',
  HRSHV: '...........YYYYYYY.Y..',
  HRSHP: '...........YYYYYYYYY..',
  HRSBO: '.............YYYYY.Y..',
  RQFIN: '..................Y...',
  RSFIN: '..................Y...',
  TXFIN: '..................Y...',
  SSFIN: '..................Y...',
};

/** HAProxy's names of the sources, as printed in "needs '…'" messages. */
export const SOURCE_NAMES: Readonly<Record<SampleSource, string>> = {
  CONST: 'constant', INTRN: 'internal state', LISTN: 'listener', FTEND: 'frontend',
  L4CLI: 'client address', L5CLI: 'client-side connection', TRACK: 'track counters',
  L6REQ: 'request buffer', HRQHV: 'HTTP request headers', HRQHP: 'HTTP request',
  HRQBO: 'HTTP request body', BKEND: 'backend', SERVR: 'server', L4SRV: 'server address',
  L5SRV: 'server-side connection', L6RES: 'response buffer', HRSHV: 'HTTP response headers',
  HRSHP: 'HTTP response', HRSBO: 'HTTP response body', RQFIN: 'request buffer statistics',
  RSFIN: 'response buffer statistics', TXFIN: 'transaction statistics', SSFIN: 'session statistics',
};

const SOURCE_ORDER = Object.keys(SOURCE_CAPS) as SampleSource[];

/** Union of the check points where any of `sources` is available. */
export function validityOf(sources: readonly SampleSource[]): number {
  let mask = 0;
  for (const source of sources) {
    const caps = SOURCE_CAPS[source];
    for (let i = 0; i < caps.length; i++) if (caps[i] === 'Y') mask |= 1 << i;
  }
  return mask;
}

/** Coarse layer of a set of sources (the highest one wins). */
export function layerOf(sources: readonly SampleSource[]): FetchLayer {
  const has = (...s: SampleSource[]): boolean => s.some((x) => sources.includes(x));
  const req = has('HRQHV', 'HRQHP', 'HRQBO');
  const res = has('HRSHV', 'HRSHP', 'HRSBO');
  if (req && res) return 'l7';
  if (req) return 'l7-req';
  if (res) return 'l7-res';
  if (has('L6REQ')) return 'l6-req';
  if (has('L6RES')) return 'l6-res';
  if (has('L5CLI', 'L5SRV')) return 'l5';
  if (has('L4CLI', 'L4SRV')) return 'l4';
  return 'internal';
}

/** Can `fetch` be evaluated at `checkpoint`? */
export function fetchUsableAt(fetch: FetchDef, checkpoint: Checkpoint): boolean {
  return (fetch.validAt & checkpointBit(checkpoint)) !== 0;
}

/** HAProxy's description of a check point, e.g. 'frontend tcp-request connection rule'. */
export function checkpointDescription(checkpoint: Checkpoint): string {
  return CHECKPOINTS.find((c) => c.id === checkpoint)?.description ?? checkpoint;
}

/** "needs '…'" text of HAProxy: comma-separated source names, in HAProxy's order. */
export function sourceNames(sources: readonly SampleSource[]): string {
  return SOURCE_ORDER.filter((s) => sources.includes(s)).map((s) => SOURCE_NAMES[s]).join(',');
}
