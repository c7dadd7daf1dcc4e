/**
 * What the setup wizard shows next to its balancing and health-check steps
 * (issue #13 §2): a plain-language line per algorithm, the predicted split of
 * requests over the servers and weights entered — computed by running the
 * real balancer code (proxy/balance/) on fresh servers, not by a formula — and
 * health-check settings in words.
 */
import type { BalanceAlgorithm, Balance } from './model.ts';
import { createBalancer, assignServerIds, resetRandom } from '../balance/index.ts';
import type { LbRequest, LbServer } from '../balance/index.ts';
import { mkStr } from '../acl/index.ts';
import { randomState } from '../balance/random.ts';
import { BUILTIN_SERVER } from './provision.ts';
import type { HealthCheckSpec } from './form-model.ts';

export const ALGORITHM_EXPLANATIONS: Readonly<Record<BalanceAlgorithm, string>> = {
  roundrobin: 'Takes turns: each server in order, as often as its weight says (weight 2 = twice as many requests). Weights can be changed while running.',
  'static-rr': 'Takes turns like round robin, but the weights are fixed when the configuration loads; a little cheaper, for very many servers.',
  leastconn: 'Sends each new request to the server with the fewest open connections for its weight; best for long connections (WebSockets, databases).',
  first: 'Fills the first server up to its connection limit (maxconn) before using the next one, so spare servers stay idle.',
  source: 'The same client address always goes to the same server (as long as the servers stay the same): simple stickiness without cookies.',
  uri: 'The same address (path) always goes to the same server: each server caches its own share of the pages.',
  url_param: 'The same value of a URL parameter (like ?user=42) always goes to the same server; requests without it take turns.',
  hdr: 'The same value of a request header (like Host) always goes to the same server; requests without it take turns.',
  random: 'Draws two servers at random (weighted) and keeps the less busy one: even load without coordination.',
  'rdp-cookie': 'Remote Desktop: the same RDP user cookie always goes to the same server; connections without it take turns.',
  hash: 'The same value of a sample expression (like req.cook(sid),lower) always goes to the same server; requests where it finds nothing take turns.',
};

const HASHED = new Set<BalanceAlgorithm>(['source', 'uri', 'url_param', 'hdr', 'rdp-cookie', 'hash']);

export interface SplitRequest {
  algorithm: BalanceAlgorithm;
  /** hdr: header name (default Host); url_param: parameter name (default id); random: draws. */
  argument?: string;
  servers: Array<{ name: string; weight?: number; backup?: boolean }>;
  /** Picks to simulate, 1..10000; default: one full cycle of the weights, at least 100. */
  picks?: number;
  /** Hash algorithms: `consistent` or the default `map-based`. */
  hashType?: 'map-based' | 'consistent';
}

export interface SplitPrediction {
  algorithm: BalanceAlgorithm;
  explanation: string;
  picks: number;
  /** Requests per server over the simulated picks, in the order given; share 0..1. */
  counts: Array<{ name: string; count: number; share: number }>;
  /** The first picks, in order (up to 20). */
  firstPicks: string[];
  /** What the simulation assumed (hash keys sampled, requests one after another…). */
  note: string;
}

export type SplitOutcome = { ok: true; value: SplitPrediction } | { ok: false; error: { code: 'LS_ERR_CTL_BAD_VALUE'; message: string } };

const ALGORITHMS = Object.keys(ALGORITHM_EXPLANATIONS) as BalanceAlgorithm[];

function checkSplit(r: SplitRequest | undefined): string | undefined {
  if (typeof r !== 'object' || r === null) return 'a split request { algorithm, servers } is required';
  if (!ALGORITHMS.includes(r.algorithm)) return `algorithm: one of ${ALGORITHMS.join(', ')}`;
  if (!Array.isArray(r.servers) || r.servers.length === 0 || r.servers.length > 1000) return 'servers: 1 to 1000 servers';
  for (const [i, s] of r.servers.entries()) {
    if (typeof s?.name !== 'string' || s.name === '') return `servers[${i}].name: a name`;
    if (s.weight !== undefined && !(Number.isInteger(s.weight) && s.weight >= 0 && s.weight <= 256)) return `servers[${i}].weight: a whole number from 0 to 256`;
  }
  if (r.picks !== undefined && !(Number.isInteger(r.picks) && r.picks >= 1 && r.picks <= 10_000)) return 'picks: 1 to 10000';
  if (r.hashType !== undefined && r.hashType !== 'map-based' && r.hashType !== 'consistent') return 'hashType: map-based or consistent';
  if (r.argument !== undefined && typeof r.argument !== 'string') return 'argument: text';
  return undefined;
}

/** The i-th sample request: a distinct hash key per request, so the split shows how keys spread. */
function sampleRequest(algorithm: BalanceAlgorithm, argument: string | undefined, i: number): LbRequest {
  switch (algorithm) {
    case 'source': return { source: `192.168.${1 + (i >> 8) % 250}.${1 + (i % 250)}` };
    case 'uri': return { uri: `/page/${i}` };
    case 'url_param': return { uri: `/?${argument ?? 'id'}=${i}` };
    case 'hdr': return { header: (name) => (name.toLowerCase() === (argument ?? 'host').toLowerCase() ? `client${i}.example` : undefined) };
    case 'rdp-cookie': return { rdpCookie: `user${i}` };
    // balance hash: the value the expression would find (see hashSample in predictSplit).
    case 'hash': return { uri: `value${i}` };
    default: return { source: '192.168.1.10', uri: '/' };
  }
}

/**
 * Runs the real balancer for the servers and weights entered. Requests are
 * simulated one after another (each finishes before the next starts); for hash
 * algorithms each request carries a different key, so the counts show how a
 * population of clients (addresses, URLs, values) spreads.
 */
export function predictSplit(request: SplitRequest): SplitOutcome {
  const bad = checkSplit(request);
  if (bad) return { ok: false, error: { code: 'LS_ERR_CTL_BAD_VALUE', message: bad } };
  const { algorithm, argument } = request;
  const ids = assignServerIds(request.servers.map(() => undefined));
  const servers: LbServer[] = request.servers.map((s, i) => ({
    name: s.name, id: ids[i]!, backup: s.backup === true, weight: s.weight ?? BUILTIN_SERVER.weight, usable: true, served: 0, maxconn: 0, queued: 0,
  }));
  const balance: Balance = {
    algorithm,
    loc: { file: 'wizard', line: 0, column: 0 },
    ...(algorithm === 'hdr' ? { header: argument ?? 'Host' } : {}),
    ...(algorithm === 'url_param' ? { param: argument ?? 'id' } : {}),
    ...(algorithm === 'rdp-cookie' && argument ? { header: argument } : {}),
    ...(algorithm === 'random' && argument && /^\d+$/.test(argument) ? { draws: Number(argument) } : {}),
    ...(algorithm === 'hash' ? { expression: argument ?? '' } : {}),
  };
  const balancer = createBalancer(servers, {
    balance,
    hashType: request.hashType === 'consistent' ? { method: 'consistent', avalanche: false } : undefined,
    allBackups: false,
    // No request to evaluate the expression on: each sample request stands for one value it finds.
    ...(algorithm === 'hash' ? { hashSample: (r: LbRequest) => (r.uri === undefined ? undefined : mkStr(r.uri)) } : {}),
  });
  const cycle = servers.filter((s) => !s.backup).reduce((n, s) => n + s.weight, 0);
  const picks = request.picks ?? Math.max(100, cycle);
  const counts = new Map(servers.map((s) => [s, 0]));
  const firstPicks: string[] = [];
  // random draws from the process-wide sequence: put it back so the live engine's draws do not move.
  const sequence = randomState();
  try {
    for (let i = 0; i < picks; i++) {
      const s = balancer.pick(sampleRequest(algorithm, argument, i));
      if (!s) break;
      counts.set(s, counts.get(s)! + 1);
      if (firstPicks.length < 20) firstPicks.push(s.name);
      s.served++;
      balancer.taken(s);
      s.served--;
      balancer.released(s);
    }
  } finally {
    resetRandom(sequence);
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const note = HASHED.has(algorithm)
    ? `The split depends on the ${algorithm === 'source' ? 'client addresses' : algorithm === 'uri' ? 'URLs' : algorithm === 'hdr' ? `values of the ${argument ?? 'Host'} header` : algorithm === 'url_param' ? `values of the ${argument ?? 'id'} parameter` : algorithm === 'hash' ? `values of ${argument || 'the expression'}` : 'RDP cookies'}: computed over ${picks} different sample values; one given value always goes to one server.`
    : algorithm === 'first' || algorithm === 'leastconn'
      ? 'Simulated with requests one after another: with several at once, the busy servers get fewer (leastconn) or the next server fills up (first).'
      : `Simulated over ${picks} requests one after another.`;
  return {
    ok: true,
    value: {
      algorithm,
      explanation: ALGORITHM_EXPLANATIONS[algorithm],
      picks: total,
      counts: servers.map((s) => ({ name: s.name, count: counts.get(s)!, share: total ? counts.get(s)! / total : 0 })),
      firstPicks,
      note,
    },
  };
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/** "DOWN after 3 failed checks 2 s apart, UP again after 2 good ones", with what is checked. */
export function describeHealthCheck(hc: HealthCheckSpec | undefined): string {
  if (!hc || hc.type === 'none') return 'No health checks: every server counts as up; a dead server is only noticed when requests to it fail.';
  // A form leaves a timing out to mean what a bare server line gets.
  const inter = hc.interMs ?? BUILTIN_SERVER.inter;
  const fall = hc.fall ?? BUILTIN_SERVER.fall;
  const rise = hc.rise ?? BUILTIN_SERVER.rise;
  const what = hc.type === 'tcp'
    ? `Every ${seconds(inter)} Loadstar opens a connection to each server`
    : `Every ${seconds(inter)} Loadstar sends ${hc.method ?? 'GET'} ${hc.path ?? '/'} to each server and expects ${hc.expectStatus !== undefined ? `status ${hc.expectStatus}` : 'a 2xx or 3xx status'}`;
  const plural = (n: number, one: string, many: string): string => (n === 1 ? one : many);
  return `${what}. A server is marked DOWN after ${fall} failed ${plural(fall, 'check', 'checks')} ${seconds(inter)} apart (about ${seconds(inter * fall)}), and UP again after ${rise} good ${plural(rise, 'one', 'ones')}.`;
}
