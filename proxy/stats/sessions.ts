/**
 * `show sess` (one line per client connection, HAProxy's leading fields) and `shutdown session`.
 */
import type net from 'node:net';
import type { StatsHost } from './host.ts';
import { cliErr } from './cli-answer.ts';
import type { CliAnswer } from './cli-answer.ts';

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
