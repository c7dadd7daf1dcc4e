/**
 * The global `maxconn` when the configuration sets none: HAProxy 2.6 derives it from the
 * open-file limit (haproxy.c compute_ideal_maxconn), and so does Loadstar, so that a
 * configuration without `maxconn` has the same process-wide limit, `show info` Maxconn and
 * Hard_maxconn, and `fullconn` for `minconn` servers as under HAProxy on the same machine.
 *
 *   remain  = max(soft, hard open-file limit)
 *           − maxsock (10 reserved, one per listening socket, one per check and agent check,
 *             one per `port`/`agent-port` written on a server line, and the stats sockets'
 *             `stats maxconn`, 10, once when there is one)
 *           − 3 per thread (one poller fd and a wake-up pipe: `nbthread`, else the CPUs)
 *   maxconn = max(remain / 2, 100)        (two descriptors per connection; no splicing pipes)
 *
 * Not counted (HAProxy counts them): `peers` listeners, `log-forward` binds, `fd-hard-limit`
 * (accepted with no effect by Loadstar) and the pipes of `option splice-*`.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Config } from '../config/model.ts';

/** HAProxy's DEFAULT_MAXCONN: the floor of the derived value. */
const DEFAULT_MAXCONN = 100;
/** The descriptors HAProxy reserves before counting any ("global.maxsock = 10"). */
const RESERVED_FDS = 10;
/** `stats maxconn`'s default: the stats sockets' own frontend may hold that many connections. */
const STATS_MAXCONN = 10;

/** The open-file limit as HAProxy takes it at boot: the larger of the soft and hard limits; undefined when unknown. */
export function openFileCeiling(limitsText?: string): number | undefined {
  const { soft, hard } = openFileLimits(limitsText);
  const ceiling = Math.max(soft ?? NaN, hard ?? NaN);
  return Number.isFinite(ceiling) && ceiling > 0 ? ceiling : undefined;
}

/** The soft and hard open-file limits (/proc/self/limits; Infinity for unlimited), undefined where unknown. */
function openFileLimits(limitsText?: string): { soft?: number; hard?: number } {
  try {
    const text = limitsText ?? readFileSync('/proc/self/limits', 'latin1');
    const line = text.split('\n').find((l) => l.startsWith('Max open files'));
    const [soft, hard] = (line?.slice('Max open files'.length).trim().split(/\s+/) ?? []).map((w) => (w === 'unlimited' ? Infinity : Number(w)));
    return { soft, hard };
  } catch {
    return {};
  }
}

/** The descriptors the configuration needs before any connection (HAProxy's global.maxsock at that point). */
export function reservedSockets(config: Config): number {
  let n = RESERVED_FDS;
  for (const proxy of config.proxies) {
    if (proxy.kind === 'defaults') continue;
    for (const bind of proxy.binds) for (const a of bind.addresses) n += a.portEnd - a.port + 1;
    for (const server of proxy.servers) {
      const o = server.options;
      if (o.check) n++;
      if (o.agentCheck) n++;
      if (o.port !== undefined) n++;
      if (o.agentPort !== undefined) n++;
    }
  }
  const sockets = config.global.statsSockets.length;
  if (sockets > 0) n += sockets + STATS_MAXCONN;
  return n;
}

/** HAProxy's thread count, which its derivations count descriptors for: `nbthread`, else the CPUs (at most 64). */
function haproxyThreads(config: Config): number {
  return config.global.nbthread ?? Math.min(64, os.availableParallelism());
}

/**
 * `show info` Maxsock and Ulimit-n as HAProxy 2.6 sets them (haproxy.c compute_ideal_maxsock, then
 * rlimit_nofile): the sockets the configuration reserves, two per connection of the maxconn in force
 * and three per thread; the open-file limit it then asks for is `ulimit-n`, else that Maxsock, at most
 * the hard limit (all an unprivileged process may raise it to). Undefined when the maxconn is unknown.
 */
export function socketLimits(config: Config, maxconn: number | undefined, limitsText?: string): { maxsock: number; ulimit: number } | undefined {
  if (maxconn === undefined) return undefined;
  const maxsock = reservedSockets(config) + 2 * maxconn + 3 * haproxyThreads(config);
  const ulimitLine = config.global.section?.directives.filter((d) => d.keyword === 'ulimit-n').at(-1);
  const configured = ulimitLine ? Number(ulimitLine.args[0]) : NaN;
  const wanted = Number.isInteger(configured) && configured > 0 ? configured : maxsock;
  const hard = openFileLimits(limitsText).hard;
  return { maxsock, ulimit: hard !== undefined && Number.isFinite(hard) && hard > 0 ? Math.min(wanted, hard) : wanted };
}

/** Derived once per loaded configuration (the open-file limit is read then, as HAProxy reads it at boot). */
const derived = new WeakMap<Config, number | undefined>();

/**
 * The global maxconn in force: the configured one, else HAProxy's derivation (undefined when the
 * open-file limit is unknown). `ceiling` and `threads` default to this process's limit and HAProxy's
 * thread count (`nbthread`, else the CPUs, at most 64).
 */
export function effectiveMaxconn(config: Config, ceiling?: number, threads?: number): number | undefined {
  if (config.global.maxconn !== undefined) return config.global.maxconn;
  const own = ceiling === undefined && threads === undefined;
  if (own && derived.has(config)) return derived.get(config);
  const limit = ceiling ?? openFileCeiling();
  const n = threads ?? haproxyThreads(config);
  const value = limit === undefined ? undefined : Math.max(Math.floor((Math.min(limit, 2 ** 31 - 1) - reservedSockets(config) - 3 * n) / 2), DEFAULT_MAXCONN);
  if (own) derived.set(config, value);
  return value;
}
