/**
 * What the frontends hand to the layers below them. At the end of each HTTP
 * exchange or TCP session a frontend emits a plain ExchangeRecord that the
 * logger, the log-format renderer and the statistics consume, so none of
 * them needs to know the HTTP transaction or the TCP session; and each
 * frontend implements Frontend, so the engine drives HTTP and TCP alike.
 */
import type net from 'node:net';
import type { Proxy } from '../config/model.ts';
import type { SampleContext } from '../acl/index.ts';
import type { RuntimeBackend } from './backend.ts';
import type { RuntimeServer } from './server.ts';
import type { StatCounters } from './counters.ts';

/** The backend and server a stream goes to, once chosen (`show sess`). */
export interface StreamTarget {
  backend?: string;
  server?: string;
}

export interface OpenConnection {
  socket?: net.Socket;
  acceptedAt?: number;
  current?(): StreamTarget | undefined;
}

/** What the logger and the statistics read of a frontend, HTTP or TCP. */
export interface FrontendInfo {
  readonly name: string;
  readonly config: Proxy;
  /** Statistics; the engine gives it the counters kept across reloads. */
  stats: StatCounters;
  /** Client connections (HTTP) or sessions (TCP) open now. */
  readonly active: number;
  /**
   * The open connections, for `show sess`: when accepted, and where what they do now goes
   * (`current` undefined: an HTTP connection between requests, which HAProxy has no stream for).
   */
  openConnections(): OpenConnection[];
  /** `shutdown sessions server`: ends the HTTP exchanges holding a slot on `server`. */
  shutdownServerSessions(server: RuntimeServer): void;
  /** `shutdown session <id>`: ends what the client connection `socket` is doing as a killed stream; false when it is not one of this frontend's. */
  shutdownSession(socket: net.Socket): boolean;
}

/** A frontend as the engine drives it, whatever its mode. */
export interface Frontend extends FrontendInfo {
  /**
   * Its `tcp-request connection` rules on a new connection, before anything else (a TLS
   * handshake included): false means the engine drops it with a reset and logs nothing, as HAProxy does.
   */
  admits(socket: net.Socket): boolean;
  /** Takes in a connection the engine accepted (and, for TLS, whose handshake is done). */
  /** @param proto the bind's `proto` (HTTP frontends: h2 or h1 whatever ALPN said; TCP ones: none never becomes HTTP). */
  accept(socket: net.Socket, proto?: 'h1' | 'h2' | 'none'): void;
  /** Connections still doing work that a stop waits for. */
  readonly busy: number;
  /** Stopping: closes idle connections at once and lets busy ones finish what they are doing, taking nothing new. */
  drain(): void;
  /**
   * The configuration it runs was replaced (a reload): its connections finish on it and go,
   * so that clients come back to the new one. TCP sessions run to their end.
   */
  retire(): void;
  /** Closes every connection left (the end of a stop's grace period). */
  close(): void;
  /** An exception in Loadstar's code closed one connection: logged with its stack, counted (eint). */
  internalError(error: unknown): void;
}

/** A message's captured headers (one slot per `capture … header` line) and captured cookie. */
export interface MessageCapture {
  readonly headers: readonly (string | undefined)[];
  readonly cookie: string | undefined;
}

/** One finished HTTP exchange or TCP session. */
export interface ExchangeRecord {
  readonly frontend: FrontendInfo;
  readonly backend: RuntimeBackend | undefined;
  readonly server: RuntimeServer | undefined;
  /**
   * %si / %sp when they are not the server's own address: where a server written without an
   * address or a port (RuntimeServer.target) connected; undefined otherwise.
   */
  readonly serverTarget?: { readonly host: string; readonly port: number };
  /** Cache lookups and hits of the exchange, by the frontend's rules and by the backend's (cache_lookups, cache_hits). */
  readonly cache?: { frontendLookups: number; frontendHits: number; backendLookups: number; backendHits: number };
  /** The client connection's socket: statistics count its bytes, heads included (HTTP). */
  readonly socket: net.Socket;
  /** epoch ms when the request (HTTP) or the connection (TCP) started */
  readonly startedAt: number;
  /**
   * HTTP: epoch ms of HAProxy's accept date for this request's stream — the connection's accept for
   * its first request, the end of the previous exchange for the next ones — and the ms of it spent
   * idle, waiting for the request (%Ti). The log's %TR, %Tq, %Ta and %Tt count from there.
   * Default: startedAt, 0.
   */
  readonly streamStart?: number;
  readonly idle?: number;
  /** HTTP: the TLS handshake's ms, on a connection's first stream (%Th; the stream's start is the accept, before it). */
  readonly handshake?: number;
  /** HTTP: ms the request rules waited for the body after the head (%TR counts them); -1: it never came, %TR is -1. */
  readonly requestWait?: number;
  /** Held by `http-request tarpit`: HAProxy logs %TR as -1 then. */
  readonly tarpitted?: boolean; // or dropped (reject / silent-drop): %TR is -1 for both
  /** `set-log-level silent`: no log line for it. */
  readonly silent?: boolean;
  /** `set-log-level <level>`: the syslog level of its line (0 emerg … 7 debug); else info, err for an error with `option log-separate-errors`. */
  readonly logLevel?: number;
  readonly method?: string;
  readonly url?: string;
  /** Status sent to the client, 0 when none was (aborted) or in TCP mode. */
  readonly status: number;
  /** Status of the response the server itself sent, undefined when it sent none (HTTP). */
  readonly serverStatus?: number;
  /** Answered by Loadstar itself: a deny rule, or an intercepting service (stats page, redirect…). */
  readonly local?: 'denied' | 'denied-response' | 'intercepted';
  /** The client reset its connection while the server had its request, and the exchange went on without it (a client abort in the statistics). */
  readonly clientReset?: boolean;
  /** Answered by one of HAProxy's applets, which the log names as the server (`<STATS>`, `<PROMEX>`). */
  readonly applet?: string;
  /** The status the log shows where HAProxy's differs from the one sent (its stats page's refusals: 400). */
  readonly loggedStatus?: number;
  /**
   * Bytes from the client and to it: in HTTP, heads and bodies as HAProxy counts them for %U, %B, bin and
   * bout (http/htx-size.ts: its parsed form, not the wire's bytes); in TCP, the session's relayed bytes.
   */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** ms: queue wait, connect, response headers (from the start); -1 = not reached. */
  readonly tw: number;
  readonly tc: number;
  readonly tr: number;
  /** HAProxy's two-letter termination state. */
  readonly termination: string;
  readonly retries: number;
  /** Of `retries`, those the statistics counted when they happened (retry-on's: wretr, wredis); absent: none. */
  readonly retriesCounted?: number;
  /** %sq / %bq: where it waited in the server's and the backend's queue; absent when it did not queue (0/0). */
  readonly queued?: { readonly server: number; readonly backend: number };
  /** The request went to another server after a failed connection (`option redispatch`): log-format's %rc reads `+1`. */
  readonly redispatched?: boolean;
  /** HAProxy's cookie flags (`--` without persistence). */
  readonly cookieState: string;
  /** %rt: the stream's number in this process (nextStreamNumber), counted when it began. */
  readonly streamNumber?: number;
  /**
   * %fc: the frontend's connections at the log point, this one included — HAProxy logs while the
   * connection is still counted, even when it closed first (a client that left, a TCP session's end).
   * %ac: the same for the whole process (processConnections).
   */
  readonly connections?: number;
  readonly allConnections?: number;
  /** `capture` lines of the frontend: %hr / %CC (request) and %hs / %CS (response; empty slots without one). */
  readonly captures?: { readonly request?: MessageCapture; readonly response?: MessageCapture };
  /** %bi / %bp: the source address and port of the connection to the server, when there was one. */
  readonly serverSource?: { readonly address?: string; readonly port?: number };
  /** `address:port` of the client, built only when asked (the access log). */
  clientAddress(): string;
  /** What log-format's sample fetches read (the transaction, or the connection in TCP mode); built only when the proxy logs. */
  sample(): SampleContext;
}

/** A request that never became an exchange: invalid (400), or its head timed out (408). */
export interface ProtocolErrorRecord {
  readonly frontend: FrontendInfo;
  /** epoch ms when the connection was accepted */
  readonly startedAt: number;
  /** As ExchangeRecord's: the start of its stream, its handshake and idle time (%t, %Th, %Ti). Default: startedAt, 0, 0. */
  readonly streamStart?: number;
  readonly handshake?: number;
  readonly idle?: number;
  readonly status: number;
  readonly termination: string;
  /** As ExchangeRecord's: %rt and the frontend's and process's connections, this one included. */
  readonly streamNumber?: number;
  readonly connections?: number;
  readonly allConnections?: number;
  /** Logged only, no counter moves: an HTTP/2 connection's failed preface (HAProxy's H2 mux counts no request). */
  readonly uncounted?: boolean;
  sample(): SampleContext;
}

let streams = 0;
let open = 0;

/** HAProxy's actconn (%ac): client connections open in the process, every frontend's; the frontends count them in and out. */
export const processConnections = {
  opened(): void { open++; },
  closed(): void { open--; },
  get count(): number { return open; },
};

/** HAProxy's global.req_count: each HTTP request, TCP session or refused request takes the next number (%rt). */
export function nextStreamNumber(): number {
  return streams++;
}

/** The record's server: none for a `dispatch` address (HAProxy's target is the backend: the log says <NOSRV>). */
export function recordServer(server: RuntimeServer | undefined): RuntimeServer | undefined {
  return server?.dispatch ? undefined : server;
}

/**
 * The record's %si:%sp when not the server's own: the `dispatch` address, or where the connection went
 * for a server following the client's destination (`target`).
 */
export function recordTarget(server: RuntimeServer | undefined, target: { host: string; port: number } | undefined): { host: string; port: number } | undefined {
  if (server === undefined) return undefined;
  return server.followsDestination ? target : server.dispatch ? server : undefined;
}
