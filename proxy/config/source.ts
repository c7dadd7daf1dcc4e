/**
 * `source <addr>[:<port>]` on a server line or in a backend (configuration.txt §4.2 "source",
 * §5.2 "source"): the local address (and port) the connections to the servers, and their
 * health checks, are bound to. An IP address, or a host name looked up as the configuration loads
 * (`hostName`: the whole alert is made here, where the line is known); `usesrc` (transparent proxying, which
 * needs root and IP_TRANSPARENT), `interface` (SO_BINDTODEVICE, root too) and source port
 * ranges are refused by the callers.
 */
import { isIP } from 'node:net';
import { parseAddress } from './values.ts';
import type { SourceAddress, SourceLocation } from './model.ts';

export type ParsedSource = { value: SourceAddress } | { error: string; unsupported?: true };

/**
 * `word` as HAProxy's str2sa_range reads a source: `addr`, `addr:port`, `[v6]:port`, `v6:port` (the last colon starts the port).
 * A host name that gives no address is refused at load, at `loc`, after `server` (`'server b/s1'`) if given.
 */
export function parseSource(word: string, where: 'server' | 'backend', loc: SourceLocation, server?: string): ParsedSource {
  const keyword = `source ${word}`;
  const range = /^(.*):(\d+)-(\d+)$/.exec(word);
  if (range) {
    if (where === 'backend') return { error: `'${keyword}' : port range not permitted here in '${word}'` };
    return { error: `'source' : a source port range ('${word}') is not supported by Loadstar yet.`, unsupported: true };
  }
  const parsed = parseAddress(word, { kind: 'generic', keyword, hostNames: true });
  if (parsed.error !== undefined) return { error: parsed.error };
  const a = parsed.value;
  if (a.family === 'unix') return { error: `'source' : a UNIX socket ('${word}') is not supported by Loadstar yet.`, unsupported: true };
  const port = a.port > 0 ? { port: a.port } : {};
  if (a.host !== '' && isIP(a.host) === 0) {
    const family = a.family === 'ipv4' ? 4 : a.family === 'ipv6' ? 6 : undefined;
    // HAProxy's words: a proxy's line is "parsing [f:l]", a server option's "[f:l] : 'server b/s1'" (ended by a period, as `addr`'s).
    const at = where === 'backend' ? `parsing [${loc.file}:${loc.line}]` : `[${loc.file}:${loc.line}]${server ? ` : ${server}` : ''}`;
    const unresolved = `${at} : '${keyword}' : invalid address: '${a.host}' in '${word}'${where === 'server' ? '.' : ''}`;
    return { value: { ...port, hostName: { name: a.host, ...(family ? { family } : {}), unresolved, loc } } };
  }
  return { value: { ...(a.host !== '' ? { address: a.host } : {}), ...port } };
}

/** What the words after `source <addr>` mean to Loadstar: refused, with the reason. */
export const SOURCE_REFUSED: Record<string, string> = {
  usesrc: `'usesrc' (transparent proxying: connecting from the client's or another foreign address) is not supported by Loadstar: it needs root and IP_TRANSPARENT.`,
  interface: `'interface' (binding outgoing connections to a network interface) is not supported by Loadstar: it needs root (SO_BINDTODEVICE).`,
};
