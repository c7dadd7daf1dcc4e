/**
 * `show sess` (one line per client connection, HAProxy's leading fields), `shutdown session` and
 * `show errors` (Loadstar keeps no captures of invalid messages, so it
 * reports HAProxy's header with zero events).
 */
import type net from 'node:net';
import type { StatsHost } from './host.ts';
import { cliErr } from './cli-answer.ts';
import type { CliAnswer } from './cli-answer.ts';
import { proxyIds } from './rows.ts';
import { atoi } from './cli-numbers.ts';

let nextId = 1;
const ids = new WeakMap<net.Socket, number>();

/** The number `show sess` shows for a connection (in place of HAProxy's stream address), given when first asked. */
function numberOf(socket: net.Socket): number {
  let id = ids.get(socket);
  if (id === undefined) ids.set(socket, (id = nextId++));
  return id;
}

function idOf(socket: net.Socket): string {
  return `0x${numberOf(socket).toString(16).padStart(8, '0')}`;
}

/** strtoul(word, NULL, 0): blanks, a sign, then hexadecimal after 0x, octal after 0, else decimal digits; 0 without any. */
function strtoul(word: string): bigint {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX](?=[0-9a-fA-F])[0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)?/.exec(word)!;
  const digits = m[2];
  if (digits === undefined) return 0n;
  const value = /^0[xX]/.test(digits) ? BigInt(digits) : digits.startsWith('0') ? BigInt(`0o${digits.slice(1) || '0'}`) : BigInt(digits);
  return m[1] === '-' ? BigInt.asUintN(64, -value) : value;
}

/**
 * `shutdown session <id>` (cli_parse_shutdown_session): the client connection `show sess` numbers so
 * ends as a killed stream (stream_shutdown with SF_ERR_KILLED): its exchanges, or its TCP session.
 */
export function shutdownSession(engine: StatsHost, word: string | undefined): CliAnswer {
  const id = strtoul(word ?? '');
  if (id === 0n) return cliErr("Session pointer expected (use 'show sess').\n");
  for (const frontend of engine.stats.view()?.frontends.values() ?? []) {
    for (const { socket } of frontend.openConnections()) {
      if (socket && BigInt(numberOf(socket)) === id && frontend.shutdownSession(socket)) return '';
    }
  }
  return cliErr("No such session (use 'show sess').\n");
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
    for (const connection of frontend.openConnections()) {
      const { socket, acceptedAt: accepted } = connection;
      if (!socket) continue;
      // An HTTP connection between requests has no stream in HAProxy: it is not listed.
      const target = connection.current ? connection.current() : {};
      if (!target) continue;
      // A listen section is its own backend from the start; a frontend's stream has none until one is chosen.
      const backend = target.backend ?? (frontend.config.kind === 'listen' ? frontend.name : '<NONE>');
      out += `${idOf(socket)}: proto=${proto(socket)} src=${socket.remoteAddress}:${socket.remotePort} fe=${frontend.name}`
        + ` be=${backend} srv=${target.server ?? '<none>'}`
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

export function showErrors(engine: StatsHost, proxy: string | undefined): CliAnswer {
  const tables = engine.stats.view();
  // cli_parse_show_errors: a proxy's name or #id, else a number taken as an id (atoi), which need not exist; 0 is no proxy.
  if (proxy !== undefined && proxy !== '' && tables) {
    const ids = proxyIds(tables);
    const found = proxy.startsWith('#') ? [...ids.values()].includes(atoi(proxy.slice(1))) : ids.has(proxy);
    if (!found && atoi(proxy) === 0) return cliErr('No such proxy.\n');
  }
  return `Total events captured on ${haproxyDate(new Date())} : 0\n`;
}
