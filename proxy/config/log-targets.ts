/**
 * `log` targets: where a line goes. UDP syslog servers and UNIX datagram sockets (runtime/syslog.ts
 * sends to them), `ring@<name>` rings (runtime/ring.ts; config/kw-ring.ts checks the name), the
 * standard output (every line goes there anyway), and what Loadstar cannot write to, which the
 * configuration check names.
 */
import net from 'node:net';
import type { Config, LogTarget } from './model.ts';

const DEFAULT_PORT = 514;

/** Where a target sends: a UDP address, or undefined for what this module does not send to (with why, when it is a loss). */
export function udpAddress(target: string): { host: string; port: number; family: 4 | 6 } | { unsupported: string } | undefined {
  if (target === 'stdout' || target === 'stderr' || target === 'fd@1' || target === 'fd@2' || target.startsWith('ring@')) return undefined;
  if (target.startsWith('/') || target.startsWith('unix@')) return { unsupported: 'a UNIX datagram socket' };
  if (/^(tcp[46]?|fd|abns|sockpair)@/.test(target)) return { unsupported: `a ${target.slice(0, target.indexOf('@'))}@ target` };
  const prefix = /^(udp[46]?|ipv[46])@/.exec(target)?.[1];
  const rest = prefix ? target.slice(prefix.length + 1) : target;
  let host = rest;
  let port = DEFAULT_PORT;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2]) port = Number(bracket[2]);
  } else {
    const colons = rest.split(':').length - 1;
    // One colon: host:port. More: an IPv6 address whose port follows the last colon, as HAProxy reads it
    // (write [addr] or [addr]:port to leave no doubt).
    const at = rest.lastIndexOf(':');
    if (colons === 1 || (colons > 1 && net.isIPv6(rest.slice(0, at)) && /^\d+$/.test(rest.slice(at + 1)))) {
      host = rest.slice(0, at);
      port = Number(rest.slice(at + 1));
    }
  }
  const family = prefix === 'udp6' || prefix === 'ipv6' || net.isIPv6(host) ? 6 : 4;
  return { host, port: Number.isInteger(port) && port > 0 && port < 65536 ? port : DEFAULT_PORT, family };
}

/** The path of a UNIX datagram socket target (`/dev/log`, `unix@/run/log`), else undefined. */
export function unixSocketPath(target: string): string | undefined {
  if (target.startsWith('/')) return target;
  if (target.startsWith('unix@')) return target.slice('unix@'.length);
  return undefined;
}

/** The formats UNIX socket targets are written in (runtime/unix-syslog.ts): the local syslog header. */
export const UNIX_SOCKET_FORMATS: ReadonlySet<string> = new Set(['rfc3164', 'local']);

/** Load-time warnings for log targets Loadstar cannot write to. */
export function logTargetWarnings(config: Config): Array<{ target: LogTarget; message: string }> {
  const out: Array<{ target: LogTarget; message: string }> = [];
  const seen = new Set<LogTarget>();
  for (const t of [...config.global.logs, ...config.proxies.flatMap((p) => p.logs)]) {
    if (seen.has(t) || t.target === 'global') continue;
    seen.add(t);
    if (unixSocketPath(t.target) !== undefined) {
      const format = t.format ?? 'rfc3164';
      if (!UNIX_SOCKET_FORMATS.has(format)) out.push({ target: t, message: `log target '${t.target}' asks for format '${format}': Loadstar writes to UNIX sockets in the rfc3164 (local) format only, so its lines go to stdout only.` });
      else if (format === 'rfc3164' && config.global.logSendHostname !== undefined) out.push({ target: t, message: `log target '${t.target}': lines to a UNIX socket are written without the host name 'log-send-hostname' asks for (the local format).` });
      continue;
    }
    const where = udpAddress(t.target);
    if (where && 'unsupported' in where) out.push({ target: t, message: `log target '${t.target}' is ${where.unsupported}, which Loadstar cannot send to: its lines go to stdout only.` });
  }
  return out;
}
