/**
 * What HAProxy resolves when it loads a configuration, and refuses it for: each server given by a
 * host name gets its first address by its `init-addr` methods in turn (src/server.c,
 * srv_iterate_initaddr), and each UDP `log` target's name is resolved when its line is parsed.
 * haproxy 2.6.12 `-c` on `nonexistent.invalid`:
 *
 *   server s1 nonexistent.invalid:80                     [ALERT] … 'server b/s1' : could not resolve address 'nonexistent.invalid'.  (exit 1)
 *   … init-addr last                                     [ALERT] … no method found to resolve address 'nonexistent.invalid'.  (exit 1)
 *   … init-addr libc,none  (or `resolvers x`, no init-addr)  [WARNING] … could not resolve address '…', disabling server.
 *   … init-addr libc,192.0.2.1                           [WARNING] … could not resolve address '…', falling back to configured address.
 *   … init-addr none, or an IP first                     nothing
 *   log nonexistent.invalid:514 local0                   [ALERT] parsing [f:l] : log : invalid address: 'nonexistent.invalid' in 'nonexistent.invalid:514'
 *   server s1 … socks4 nonexistent.invalid:1080          [ALERT] … 'server b/s1' : 'socks4 nonexistent.invalid:1080' : invalid address: 'nonexistent.invalid' in …
 *   server s1 … addr nonexistent.invalid                 [ALERT] … 'server b/s1' : 'addr' : invalid address: 'nonexistent.invalid' in 'nonexistent.invalid'.
 *   server s1 … agent-addr nonexistent.invalid           [ALERT] … 'server b/s1' : parsing agent-addr failed. Check if 'nonexistent.invalid' is correct address..
 *   source nonexistent.invalid   (backend, defaults)     [ALERT] parsing [f:l] : 'source nonexistent.invalid' : invalid address: 'nonexistent.invalid' in 'nonexistent.invalid'
 *   server s1 … source nonexistent.invalid:0             [ALERT] [f:l] : 'server b/s1' : 'source nonexistent.invalid:0' : invalid address: …
 *
 * The default methods are `last,libc`, with `none` after them for a server that has `resolvers`.
 * A server whose methods reach `none` starts without an address, in maintenance (RMAINT); one that
 * reaches an IP address starts on it, and so does one whose name `libc` resolved (the first
 * address getaddrinfo gives, as HAProxy's str2ip2) or that keeps its `last` one: the engine
 * applies `starts`, and such a server's connections and checks go to that address until a
 * reload or `set server … addr` — its name is not looked up again per connection.
 * Names are looked up with the system's resolver (getaddrinfo on libuv's thread pool: the event
 * loop of a running engine never waits for DNS), each name once.
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import type { Config, Server, SourceAddress } from '../config/model.ts';
import { udpAddress } from '../config/log-targets.ts';
import { parseAddress } from '../config/values.ts';

export interface LoadResolveProblem {
  severity: 'alert' | 'warning';
  file: string;
  line: number;
  /** HAProxy's text: `[file:line] : 'server b/s1' : could not resolve address 'x'.`, `parsing [file:line] : log : invalid address: …`. */
  message: string;
}

/** How a server given by a host name starts when its init-addr gives no name lookup: without an address (in maintenance), or on an IP address. */
export type ServerStart = { backend: string; server: string } & ({ maintenance: true } | { address: string });

export interface LoadResolution {
  /** Alerts refuse the configuration; warnings are said and it goes on. */
  problems: LoadResolveProblem[];
  /** The servers that start in maintenance (`none`), or on an address: init-addr's IP, `last`'s or what `libc` resolved (HAProxy's RMAINT, or srv->addr). */
  starts: ServerStart[];
}

export interface LoadResolveOptions {
  /** Which servers: all of them (`loadstar check`), or only those without `resolvers` (the engine's runtime DNS does the others). Default all. */
  servers?: 'all' | 'without-resolvers';
  /** The `log` targets too (default true). */
  logs?: boolean;
  /** `init-addr last`: the address the server had for this host name before (a reload's running tables). None by default, as in `haproxy -c`. */
  last?: (backend: string, server: Server) => string | undefined;
  /** The system's lookup: the first address, undefined when none; for tests. */
  lookup?: (host: string, family?: 4 | 6) => Promise<string | undefined>;
}

const systemLookup = (host: string, family?: 4 | 6): Promise<string | undefined> =>
  dns.lookup(host, family ? { family } : {}).then((found) => found.address, () => undefined);

/** A server's address that needs the system's resolver: not an IP address, not a socket, not an SRV label. */
function hostName(server: Server): string | undefined {
  if (server.unix || server.host === '' || net.isIP(server.host) !== 0 || server.host.startsWith('_')) return undefined;
  return server.host;
}

type Resolves = (host: string, family?: 4 | 6) => Promise<string | undefined>;

/** The lookup of each name and family once. */
function onceEach(lookup: NonNullable<LoadResolveOptions['lookup']>): Resolves {
  const answers = new Map<string, Promise<string | undefined>>();
  return (host, family) => {
    const key = `${family ?? 0}/${host}`;
    let answer = answers.get(key);
    if (!answer) answers.set(key, answer = lookup(host, family));
    return answer;
  };
}

/**
 * `source` words given by a host name (a proxy's, a default-server's, a server's): each gets its
 * address (`address`, what the connections bind to, set in place before the engine builds its
 * servers from the configuration), or HAProxy's alert when the name gives none.
 */
export async function resolveSources(config: Config, lookup: NonNullable<LoadResolveOptions['lookup']> = systemLookup, resolves: Resolves = onceEach(lookup)): Promise<LoadResolveProblem[]> {
  const named = new Set<SourceAddress>();
  const add = (source: SourceAddress | undefined): void => {
    if (source?.hostName && source.address === undefined) named.add(source);
  };
  for (const proxy of config.proxies) {
    add(proxy.source);
    add(proxy.defaultServer.source);
    for (const server of proxy.servers) add(server.options.source);
  }
  const problems = await Promise.all([...named].map(async (source): Promise<LoadResolveProblem[]> => {
    const { name, family, unresolved, loc } = source.hostName!;
    const address = await resolves(name, family);
    if (address !== undefined) {
      source.address = address;
      return [];
    }
    return [{ severity: 'alert', file: loc.file, line: loc.line, message: unresolved }];
  }));
  return problems.flat();
}

export async function resolveAtLoad(config: Config, options: LoadResolveOptions = {}): Promise<LoadResolution> {
  const starts: ServerStart[] = [];
  const resolves = onceEach(options.lookup ?? systemLookup);
  const checks: Array<Promise<LoadResolveProblem[]>> = [resolveSources(config, undefined, resolves)];
  if (options.logs !== false) {
    const seen = new Set<object>();
    for (const t of [...config.global.logs, ...config.proxies.flatMap((p) => p.logs)]) {
      if (t.target === 'global' || seen.has(t)) continue;
      seen.add(t);
      const where = udpAddress(t.target);
      if (!where || 'unsupported' in where || net.isIP(where.host) !== 0) continue;
      checks.push(resolves(where.host, where.family).then((address) => address !== undefined ? [] : [{
        severity: 'alert', file: t.loc.file, line: t.loc.line,
        message: `parsing [${t.loc.file}:${t.loc.line}] : log : invalid address: '${where.host}' in '${t.target}'`,
      }]));
    }
  }
  for (const proxy of config.proxies) {
    if (proxy.kind !== 'backend' && proxy.kind !== 'listen') continue;
    for (const server of proxy.servers) {
      // A `socks4` proxy's host name is resolved when its word is parsed (srv_parse_socks4, PA_O_RESOLVE).
      const via = server.options.socks4;
      if (via && via.path === undefined && net.isIP(via.host) === 0) {
        const word = `${via.host}:${via.port}`;
        checks.push(resolves(via.host).then((address) => address !== undefined ? [] : [{
          severity: 'alert', file: server.loc.file, line: server.loc.line,
          message: `[${server.loc.file}:${server.loc.line}] : 'server ${proxy.name}/${server.name}' : 'socks4 ${word}' : invalid address: '${via.host}' in '${word}'`,
        }]));
      }
      // `addr` (str2sa_range, PA_O_RESOLVE) and `agent-addr` (str2ip) resolve a host name as their words are parsed.
      const where = `[${server.loc.file}:${server.loc.line}] : 'server ${proxy.name}/${server.name}'`;
      const refuse = (message: string): LoadResolveProblem[] => [{ severity: 'alert', file: server.loc.file, line: server.loc.line, message: `${where} : ${message}` }];
      const checkAddr = server.options.addr === undefined ? undefined : parseAddress(server.options.addr, { kind: 'generic', keyword: 'addr' }).value;
      if (checkAddr && checkAddr.family !== 'unix' && checkAddr.host !== '' && net.isIP(checkAddr.host) === 0) {
        const word = server.options.addr!;
        const family = checkAddr.family === 'ipv4' ? 4 : checkAddr.family === 'ipv6' ? 6 : undefined;
        checks.push(resolves(checkAddr.host, family).then((address) => address !== undefined ? [] : refuse(`'addr' : invalid address: '${checkAddr.host}' in '${word}'.`)));
      }
      const agentAddr = server.options.agentAddr;
      if (agentAddr !== undefined && net.isIP(agentAddr) === 0) {
        checks.push(resolves(agentAddr).then((address) => address !== undefined ? [] : refuse(`parsing agent-addr failed. Check if '${agentAddr}' is correct address..`)));
      }
      const host = hostName(server);
      if (host === undefined) continue;
      const withResolvers = server.options.resolvers !== undefined;
      if (withResolvers && options.servers === 'without-resolvers') continue;
      const methods = server.options.initAddr ?? (withResolvers ? ['last', 'libc', 'none'] : ['last', 'libc']);
      checks.push(initAddr(methods, () => options.last?.(proxy.name, server), () => resolves(host, server.family)).then(({ outcome, start }) => {
        if (start) starts.push({ backend: proxy.name, server: server.name, ...start });
        if (outcome === 'ok') return [];
        const message = {
          'disabled': `${where} : could not resolve address '${host}', disabling server.`,
          'fallback': `${where} : could not resolve address '${host}', falling back to configured address.`,
          'unresolved': `${where} : could not resolve address '${host}'.`,
          'no-method': `${where} : no method found to resolve address '${host}'.`,
        }[outcome];
        return [{ severity: outcome === 'disabled' || outcome === 'fallback' ? 'warning' : 'alert', file: server.loc.file, line: server.loc.line, message }];
      }));
    }
  }
  const problems = (await Promise.all(checks)).flat();
  return { problems, starts };
}

type InitAddrOutcome = 'ok' | 'disabled' | 'fallback' | 'unresolved' | 'no-method';
type Start = { maintenance: true } | { address: string };

/** srv_iterate_initaddr: the methods in turn until one gives an address (or `none` accepts none). */
async function initAddr(methods: readonly string[], last: () => string | undefined, libc: () => Promise<string | undefined>): Promise<{ outcome: InitAddrOutcome; start?: Start }> {
  let failed = false;
  for (const method of methods) {
    if (method === 'last') {
      const address = last();
      if (address !== undefined) return { outcome: 'ok', start: { address } };
    } else if (method === 'libc') {
      const address = await libc();
      if (address !== undefined) return { outcome: 'ok', start: { address } };
      failed = true;
    } else if (method === 'none') {
      return { outcome: failed ? 'disabled' : 'ok', start: { maintenance: true } };
    } else if (net.isIP(method) !== 0) {
      return { outcome: failed ? 'fallback' : 'ok', start: { address: method } };
    }
  }
  return { outcome: failed ? 'unresolved' : 'no-method' };
}
