/**
 * `show sess` (one line per client connection, HAProxy's leading fields) and
 * `show errors` (Loadstar keeps no captures of invalid messages, so it
 * reports HAProxy's header with zero events).
 */
import type net from 'node:net';
import type { StatsHost } from './host.ts';

let nextId = 1;
const ids = new WeakMap<net.Socket, number>();

function idOf(socket: net.Socket): string {
  let id = ids.get(socket);
  if (id === undefined) ids.set(socket, (id = nextId++));
  return `0x${id.toString(16).padStart(8, '0')}`;
}

function proto(socket: net.Socket): string {
  return socket.remoteFamily === 'IPv6' ? 'tcpv6' : 'tcpv4';
}

export function showSessions(engine: StatsHost): string {
  const tables = engine.stats.view();
  if (!tables) return '';
  const now = Date.now();
  let out = '';
  for (const frontend of tables.frontends.values()) {
    for (const { socket, acceptedAt: accepted } of frontend.openConnections()) {
      if (!socket) continue;
      out += `${idOf(socket)}: proto=${proto(socket)} src=${socket.remoteAddress}:${socket.remotePort} fe=${frontend.name}`
        + ` be=${frontend.config.kind === 'listen' ? frontend.name : '<NONE>'} srv=<none>`
        + (accepted !== undefined ? ` age=${Math.floor((now - accepted) / 1000)}s` : '') + '\n';
    }
  }
  return out;
}

/** "[24/Nov/2026:00:49:34.686]" */
function haproxyDate(d: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `[${p(d.getDate())}/${months[d.getMonth()]}/${d.getFullYear()}:${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}]`;
}

export function showErrors(engine: StatsHost, proxy: string | undefined): string {
  const tables = engine.stats.view();
  if (proxy !== undefined && proxy !== 'request' && proxy !== 'response' && tables && !tables.config.proxies.some((p) => p.kind !== 'defaults' && p.name === proxy)) return 'No such proxy.\n';
  return `Total events captured on ${haproxyDate(new Date())} : 0\n`;
}
