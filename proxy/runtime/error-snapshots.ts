/**
 * The last invalid request each frontend refused and the last invalid response each backend got
 * from a server, with the bytes around the error: HAProxy's error snapshots (proxy.c
 * proxy_capture_error, filled by mux_h1.c h1_capture_bad_message), which the runtime API's
 * `show errors` prints (stats/show-errors.ts).
 *
 * One snapshot per proxy and direction, the last one replacing the one before; every capture takes
 * the next number of one counter (HAProxy's global error_snapshot_id, from 0), whose value is the
 * "Total events captured". A configuration load starts a new store, as HAProxy's new process does;
 * `clear counters all` leaves it alone (stats.c cli_parse_clear_counters does not touch it).
 *
 * Captures happen only where a message is refused (client.ts, upstream.ts, transaction.ts): nothing
 * is kept or copied for a valid one. What a snapshot holds differs from HAProxy's where the H1 mux
 * knows what Loadstar does not. HAProxy copies its input buffer, which holds the message since its
 * first byte; Loadstar copies the read in which the message was refused, from the message's first
 * byte when that is in the read: a head arriving over several reads is captured from its last read
 * (so are its position and length), as is a pipelined request beginning more than 2 KB before its
 * error (see lastMessageStart). The position is where llhttp stopped, or for a head Loadstar's own
 * checks refused, where HAProxy's parser stops (request-checks.ts refusalPosition); llhttp and
 * HAProxy's parser disagree on a few bytes (a method's bad character, a bad trailer). The H1 mux's
 * connection, stream and message flags and its parser state have no counterpart: none is recorded.
 */
import type net from 'node:net';
import { HTTPParserClass, kOnMessageBegin } from './llhttp.ts';

export interface ErrorSnapshot {
  /** When it was captured (ms since the epoch). */
  readonly when: number;
  /** Its number (HAProxy's ev_id): the counter's value when it was taken. */
  readonly event: number;
  /**
   * The proxy on the other side: a request's stream backend (undefined while the stream had none:
   * a head refused before any stream existed), a response's frontend.
   */
  readonly otherEnd: string | undefined;
  /** A response's server, by name and id (HAProxy's puid); undefined for a request, or a backend's `dispatch` address. */
  readonly server: { readonly name: string; readonly id: number } | undefined;
  /** The client's address and port (HAProxy's session origin; `unix`, 0 for a UNIX socket); undefined when unknown. */
  readonly source: { readonly address: string; readonly port: number } | undefined;
  /** The bytes captured, from the refused message's first byte when known (at most `bufsize`). */
  readonly bytes: Buffer;
  /** The offset in `bytes` of the byte the parser stopped at. */
  readonly errorAt: number;
  /**
   * Bytes of the read before the message (pipelined requests already parsed): HAProxy's input
   * buffer head has moved past them, which shows in its "wraps at".
   */
  readonly offset: number;
}

/** What a capture site knows: the bytes of the read and where the refused message begins and fails in it. */
export interface CapturedRead {
  readonly read: Buffer;
  /** Offset in `read` of the refused message's first byte (0 when it began in an earlier read). */
  readonly start: number;
  /** Offset in `read` of the byte the parser stopped at. */
  readonly errorAt: number;
}

/**
 * What h1_recv leaves free of an input buffer (htx.h buf_room_for_htx_data): room for an HTX header
 * and two blocks, so a capture holds at most `tune.bufsize` − 64 bytes.
 */
const HTX_BUF_OVERHEAD = 48 + 2 * 8;

export class ErrorSnapshots {
  /** HAProxy's error_snapshot_id: captures so far, the next one's number. */
  private events = 0;
  private readonly requests = new Map<string, ErrorSnapshot>();
  private readonly responses = new Map<string, ErrorSnapshot>();

  /** @param bufsize `tune.bufsize`: a capture keeps at most what HAProxy's H1 mux reads into a buffer of that size. */
  constructor(readonly bufsize: number) {}

  /** Captures so far (HAProxy's "Total events captured"). */
  get total(): number {
    return this.events;
  }

  /** A request `frontend` refused; `backend`: its stream's backend if one was chosen before the refusal. */
  captureRequest(frontend: string, backend: string | undefined, client: net.Socket | undefined, captured: CapturedRead): void {
    this.requests.set(frontend, this.snapshot(backend, undefined, client, captured));
  }

  /** An invalid response a server of `backend` sent to a stream of `frontend`. */
  captureResponse(backend: string, frontend: string, server: { name: string; id: number } | undefined, client: net.Socket | undefined, captured: CapturedRead): void {
    this.responses.set(backend, this.snapshot(frontend, server && { name: server.name, id: server.id }, client, captured));
  }

  request(proxy: string): ErrorSnapshot | undefined {
    return this.requests.get(proxy);
  }

  response(proxy: string): ErrorSnapshot | undefined {
    return this.responses.get(proxy);
  }

  private snapshot(otherEnd: string | undefined, server: ErrorSnapshot['server'], client: net.Socket | undefined, captured: CapturedRead): ErrorSnapshot {
    const { read, start } = captured;
    const end = Math.min(read.length, start + Math.max(0, this.bufsize - HTX_BUF_OVERHEAD));
    const address = client?.remoteAddress;
    const port = client?.remotePort;
    return {
      when: Date.now(),
      event: this.events++,
      otherEnd,
      server,
      // A client on a UNIX socket has no address: addr_to_str's "unix", port 0.
      source: address !== undefined && port !== undefined ? { address, port } : client ? { address: 'unix', port: 0 } : undefined,
      // A copy: the read's buffer is the parser's or is read into again.
      bytes: Buffer.from(read.subarray(start, end)),
      // Past what is kept (a head over the buffer): HAProxy's parser stopped at the end of its data.
      errorAt: Math.min(Math.max(0, captured.errorAt - start), end - start),
      offset: start,
    };
  }
}

/** lastMessageStart reads the last bytes before the error one at a time, the rest in one parse. */
const BYTEWISE = 2048;

/**
 * Where the last message that began before `errorAt` begins in `read`, for a read holding messages
 * before the refused one (pipelined requests). A parser of its own reads the read again: in one
 * parse up to `BYTEWISE` bytes before the error, then one byte at a time, noting where a message
 * begins. Only on the error path, and bounded: ~1.3 ms for a 16 KB read of small pipelined
 * requests, about twice what parsing them cost in the first place. 0 when no message began in those
 * last bytes (then the capture keeps the read from its start: what came before the message too), or
 * when the parser stops first (the read did not begin at a message's first byte).
 */
export function lastMessageStart(read: Buffer, errorAt: number, type: number, lenient: number, maxHeaderSize: number): number {
  const parser = new HTTPParserClass();
  let begun = 0;
  parser[kOnMessageBegin] = () => {
    begun++;
  };
  parser.initialize(type, {}, maxHeaderSize, lenient);
  const parses = (bytes: Buffer): boolean => typeof parser.execute(bytes) === 'number';
  try {
    const end = Math.min(errorAt, read.length);
    const bulk = Math.max(0, end - BYTEWISE);
    if (bulk > 0 && !parses(read.subarray(0, bulk))) return 0;
    let start = 0;
    for (let at = bulk; at < end; at++) {
      const before = begun;
      if (!parses(read.subarray(at, at + 1))) return 0;
      if (begun > before) start = at;
    }
    return start;
  } finally {
    parser.close();
  }
}

/** The offset just after a message head's empty line in `read` (HAProxy's h1m->next once a head is parsed); the read's length without one. */
export function headEnd(read: Buffer): number {
  const crlf = read.indexOf('\r\n\r\n');
  const lf = read.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 4;
  return lf >= 0 ? lf + 2 : read.length;
}
