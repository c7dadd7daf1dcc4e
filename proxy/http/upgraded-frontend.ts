/**
 * A TCP frontend's connections that go on as HTTP (HAProxy's TCP→HTTP upgrade, configuration.txt
 * section 4 "mode" and `tcp-request content switch-mode`): tcp/frontend.ts hands the client socket
 * over, with the bytes its content rules held put back in front of the socket's stream, so the HTTP
 * parser reads them first, once. From then on the connection is an HTTP one of this frontend:
 * requests, keep-alive, the H1 answers, 400 for what is not HTTP. The TCP frontend's config is this
 * frontend's (its name, counters, log format: HAProxy keeps the tcplog line of a TCP frontend, one
 * line per request).
 *
 * What runs, as HAProxy 2.6.12 does it (test/proxy/tcp/http-upgrade.test.ts):
 * - the first request: its content rules ran on the raw bytes (not again); their txn.* variables are
 *   the request's; the frontend's http-request rules run. Implicit upgrade (the backend chosen by the
 *   TCP side is `mode http`): that backend serves it, and the frontend's `option forwardfor` /
 *   `originalto` are dropped at load (HAProxy's "ignored" warning). `switch-mode http`: use_backend
 *   and default_backend are evaluated now, on the HTTP request.
 * - every later request of the connection is a new stream of the frontend: its tcp-request content
 *   rules run again (on the parsed request), then its http-request rules, then switching.
 * - `switch-mode http proto h2`: the connection is HTTP/2 (a destructive upgrade: each stream goes
 *   through all the frontend's rules).
 */
import type net from 'node:net';
import type { GlobalSettings, Proxy } from '../config/model.ts';
import type { Sample, VarMap } from '../acl/index.ts';
import type { Logger } from '../runtime/logger.ts';
import { HttpFrontend } from './frontend.ts';
import type { Decision, HttpBackend } from './frontend.ts';
import { ClientConnection } from './client.ts';
import { H2Connection } from './h2.ts';
import { h2ConnectionAccepted } from './stream-times.ts';
import { handshakeTime } from '../tls/handshake-time.ts';
import { runRequestRules } from './rules.ts';
import { requestParsed } from '../stick/http.ts';
import type { HttpTransaction, TransactionClient, ResponseSink } from './transaction.ts';
import type { PersistVerdict } from '../runtime/persist-rules.ts';

/** How a connection's first request is routed: what the TCP side decided before the hand-over. */
interface FirstRequest {
  /** The backend the TCP side chose (implicit upgrade); undefined: `switch-mode http`, switching runs on the request. */
  backend: HttpBackend | undefined;
  /** txn.* and req.* variables the content rules set (the first request is the TCP phase's stream). */
  txn: VarMap | undefined;
  req: VarMap | undefined;
  /** What the backend's force-persist / ignore-persist rules said when the TCP side chose it. */
  persist: PersistVerdict;
}

/** What the TCP side hands over with the socket. */
export interface HandOver {
  /** The name of the `mode http` backend the TCP side chose (implicit upgrade); undefined after `switch-mode http`. */
  backend?: string;
  /** `switch-mode http proto h2`. */
  proto?: 'h1' | 'h2';
  /** When the TCP side accepted the connection (the first request's stream dates from it, as in HAProxy's in-place upgrade). */
  acceptedAt?: number;
  /** The variables the TCP side's rules set (sess.* live on with the connection). */
  vars?: { sess: VarMap; txn: VarMap; req: VarMap };
  /** The backend's persist rules' verdict, taken on the TCP side when it chose the backend (HAProxy's process_switching_rules). */
  persist?: PersistVerdict;
}

export class UpgradedHttpFrontend extends HttpFrontend {
  /** Connections whose first request has not been routed yet, by socket (the request may start inside ClientConnection's constructor). */
  /**
   * By the HTTP/1 connection the TCP side handed over, read back through the response's socket: an
   * HTTP/2 stream's own sink is never in it (`proto h2`: every stream goes through the frontend's rules).
   */
  private readonly firstRequests = new WeakMap<ResponseSink, FirstRequest>();

  /** @param implicit the frontend has no `switch-mode http` rule: connections are upgraded when their backend is `mode http`. */
  constructor(config: Proxy, private readonly httpBackends: ReadonlyMap<string, HttpBackend>, logger: Logger, global: GlobalSettings | undefined, implicit: boolean) {
    super(config, httpBackends, logger, global, !implicit);
  }

  /**
   * A connection the TCP frontend hands over (what it held already put back in the socket's stream):
   * served as HTTP from now on. The caller has stopped its own timers and listeners.
   */
  takeOver(socket: net.Socket, how: HandOver): void {
    const sessionVars = how.vars && how.vars.sess.size > 0 ? definedOnly(how.vars.sess) : undefined;
    if (how.proto === 'h2') {
      const connection = new H2Connection(socket, this, sessionVars);
      h2ConnectionAccepted(connection, handshakeTime(socket, connection.acceptedAt));
      // Node's http2 took the socket's handle (and what waited in its stream): the stream stays paused.
      return this.connectionOpened(connection);
    }
    const backend = how.backend === undefined ? undefined : this.httpBackends.get(how.backend);
    this.firstRequests.set(socket, { backend, txn: how.vars?.txn, req: how.vars?.req, persist: how.persist });
    const connection = new ClientConnection(socket, this, sessionVars, how.acceptedAt);
    this.connectionOpened(connection);
    // The TCP side paused the stream; the HTTP/1 side reads natively or, once idle, through 'data' events.
    // Unless what the TCP side held began with HTTP/2's preface (h2c by prior knowledge, which HAProxy's
    // H1 mux hands to its H2 mux): the constructor read it, and the stream stays paused, with the preface
    // put back, for the H2Connection (a flowing stream with no 'data' listener lost those bytes).
    if (!connection.toH2) socket.resume();
  }

  /** The first request is the TCP session's own stream, whose Connect line tcp/frontend.ts wrote: later ones are new streams. */
  override logConnect(client: TransactionClient): void {
    if (!this.firstRequests.has(client.socket)) super.logConnect(client);
  }

  override processRequest(tx: HttpTransaction): Decision {
    const first = this.firstRequests.get(tx.client.socket);
    if (first === undefined) return super.processRequest(tx);
    this.firstRequests.delete(tx.client.socket);
    const vars = tx.vars;
    if (first.txn) for (const [name, value] of first.txn) vars.txn.set(name, value);
    if (first.req) for (const [name, value] of first.req) vars.req.set(name, value);
    // The content rules ran on the raw bytes: the request is taken in as HTTP now.
    this.counters.requests++;
    requestParsed(tx);
    const monitored = this.monitor?.(tx);
    if (monitored) return monitored;
    const backend = first.backend;
    if (backend === undefined) {
      if (this.bufferRequest) return { waitForBody: this.bufferRequest, resume: () => this.frontendRules(tx, 0) };
      return this.frontendRules(tx, 0);
    }
    // The TCP side chose the backend, and ran its persist rules then.
    if (first.persist === 'force') tx.forcePersist = true;
    else if (first.persist === 'ignore') tx.ignorePersist = true;
    return this.rulesThenBackend(tx, backend, 0);
  }

  /** Implicit upgrade, first request: the frontend's http-request rules, then the backend the TCP side chose. */
  private rulesThenBackend(tx: HttpTransaction, backend: HttpBackend, from: number): Decision {
    const outcome = runRequestRules(this.requestRules, tx, from);
    if (outcome === 'continue') return this.backendSide(tx, backend);
    if (!('waitForBody' in outcome)) return outcome;
    return { waitForBody: outcome.waitForBody, resume: () => this.rulesThenBackend(tx, backend, outcome.next) };
  }
}

/** sess.* variables with a value (a created but unset one is not carried over). */
function definedOnly(vars: VarMap): Map<string, Sample> {
  const out = new Map<string, Sample>();
  for (const [name, value] of vars) if (value !== undefined) out.set(name, value);
  return out;
}
