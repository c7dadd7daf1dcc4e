/**
 * The bytes one HTTP exchange moved on its client connection, heads, chunk
 * framing and all, as HAProxy counts them for `%U` / `%B` (the httplog's bytes
 * field) and for the frontend's bin / bout: each exchange takes what the socket
 * read and wrote since the previous exchange on that connection; what is left
 * when the connection closes (a request never finished, say) belongs to no exchange.
 *
 * A connection's tally lives on its socket under a symbol (one small object per
 * connection, created at its first exchange), so the statistics, the access log and
 * the log line all see the same numbers without sharing anything else.
 */
import type net from 'node:net';

interface Tally {
  read: number;
  written: number;
}

const TALLY = Symbol('loadstar.wireBytes');
type TalliedSocket = net.Socket & { [TALLY]?: Tally };

function tallyOf(socket: TalliedSocket): Tally {
  return (socket[TALLY] ??= { read: 0, written: 0 });
}

/** Bytes read since the last exchange on this connection, counted now as this exchange's (call once per exchange, with `takeWritten`). */
export function takeRead(socket: net.Socket): number {
  const tally = tallyOf(socket);
  const n = socket.bytesRead - tally.read;
  tally.read += n;
  return n;
}

/** Bytes written since the last exchange on this connection, counted now as this exchange's. */
export function takeWritten(socket: net.Socket): number {
  const tally = tallyOf(socket);
  const n = socket.bytesWritten - tally.written;
  tally.written += n;
  return n;
}

/** What no exchange took (read, written): for the frontend's totals when the connection closes. */
export function untaken(socket: net.Socket): Tally {
  const tally = (socket as TalliedSocket)[TALLY];
  return { read: socket.bytesRead - (tally?.read ?? 0), written: socket.bytesWritten - (tally?.written ?? 0) };
}
