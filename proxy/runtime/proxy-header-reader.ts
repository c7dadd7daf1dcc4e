/**
 * The socket side of receiving a PROXY protocol header (`bind … accept-proxy`,
 * `tcp-request connection expect-proxy layer4`): the first read of a new
 * connection is parsed (proxy-protocol.ts), what follows the header is put back
 * in the socket's stream for whoever reads next (llhttp's consume() and the TCP
 * relay both take what the stream holds first, and so does Node's TLS layer),
 * and the header's addresses become the connection's.
 *
 * Why the addresses are set on the socket itself: HAProxy replaces the
 * connection's source and destination, and from then on everything (logs,
 * `src`, stick tables, `balance source`, X-Forwarded-For, `send-proxy`) sees
 * the client's. Every reader in Loadstar asks the socket (`remoteAddress`,
 * `localPort`, …), so one own property per address on that socket gives them
 * all the header's values; connections without a header are untouched and
 * pay nothing.
 *
 * Bounded as HAProxy is: one read (at most Node's 64 KiB) is all that is
 * looked at, and the wait is the frontend's `timeout client` (none without it,
 * as in HAProxy).
 */
import type net from 'node:net';
import { parseProxyHeader, PROXY_HEADER_ERRORS, type ProxyAddresses, type ProxyHeaderError, type ReceivedProxyHeader } from './proxy-protocol.ts';

export type ProxyHeaderOutcome =
  | { ok: true }
  /** `log`: HAProxy logs this refusal even under `option dontlognull` (it drops closes and timeouts there). */
  | { ok: false; error: ProxyHeaderError; reason: string; log: 'always' | 'unless-dontlognull' };

/** Connections a `tcp-request connection expect-proxy` rule asked a header of. */
const expected = new WeakSet<net.Socket>();

export function expectProxyHeader(socket: net.Socket): void {
  expected.add(socket);
}

export function proxyHeaderExpected(socket: net.Socket): boolean {
  return expected.has(socket);
}

/** The header each connection (raw TCP socket) received, for fc_rcvd_proxy, fc_pp_authority, fc_pp_unique_id. */
const received = new WeakMap<net.Socket, ReceivedProxyHeader>();
/** Until a first header arrives (no accept-proxy in use), connections skip the lookup altogether. */
let anyReceived = false;

/**
 * Reads the header `socket` must start with, then calls `done` once: on success with the socket
 * paused and the bytes after the header back in its stream; on failure the socket is closed (a
 * reset when it sent something, as HAProxy closes a socket it only peeked at).
 */
export function receiveProxyHeader(socket: net.Socket, timeoutMs: number, done: (outcome: ProxyHeaderOutcome) => void): void {
  let settled = false;
  const finish = (outcome: ProxyHeaderOutcome): void => {
    if (settled) return;
    settled = true;
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('error', onError);
    if (timer) clearTimeout(timer);
    done(outcome);
  };
  const onData = (chunk: Buffer): void => {
    socket.pause();
    const parsed = parseProxyHeader(chunk);
    if (!parsed.ok) {
      if (parsed.addresses) adoptAddresses(socket, parsed.addresses);
      finish({ ok: false, error: parsed.error, reason: PROXY_HEADER_ERRORS[parsed.error], log: 'always' });
      socket.on('error', () => {});
      return void socket.resetAndDestroy();
    }
    received.set(socket, parsed);
    anyReceived = true;
    if (parsed.addresses) adoptAddresses(socket, parsed.addresses);
    if (parsed.length < chunk.length) socket.unshift(chunk.subarray(parsed.length));
    finish({ ok: true });
  };
  const onEnd = (): void => {
    finish({ ok: false, error: 'empty', reason: PROXY_HEADER_ERRORS.empty, log: 'unless-dontlognull' });
    socket.destroy();
  };
  const onError = (): void => {
    finish({ ok: false, error: 'abort', reason: PROXY_HEADER_ERRORS.abort, log: 'unless-dontlognull' });
    socket.destroy();
  };
  const timer = timeoutMs > 0 ? setTimeout(() => {
    finish({ ok: false, error: 'timeout', reason: PROXY_HEADER_ERRORS.timeout, log: 'unless-dontlognull' });
    socket.destroy();
  }, timeoutMs) : undefined;
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onError);
  // Whatever happens to the socket, its timer goes (a stop closing it, say).
  socket.once('close', () => { if (timer) clearTimeout(timer); });
}

/** The header `socket` (or the TCP connection under a TLS socket) received; undefined without one. */
export function receivedProxyHeader(socket: net.Socket): ReceivedProxyHeader | undefined {
  if (!anyReceived) return undefined;
  return received.get(socket) ?? received.get((socket as unknown as { _parent?: net.Socket })._parent ?? socket);
}

/** What the sample fetches read (fc_rcvd_proxy, fc_pp_authority, fc_pp_unique_id); empty without a header. */
export function proxyHeaderFacts(socket: net.Socket): { proxyProtocol?: true; ppAuthority?: string; ppUniqueId?: string } {
  const header = receivedProxyHeader(socket);
  if (!header) return NO_FACTS;
  return { proxyProtocol: true, ppAuthority: header.authority, ppUniqueId: header.uniqueId };
}
const NO_FACTS = Object.freeze({});

/**
 * A TLS socket made over a connection that received a header takes the header's addresses too
 * (Node's TLS socket asks its own handle, not the TCP socket).
 */
export function inheritProxyAddresses(secured: net.Socket): void {
  const raw = (secured as unknown as { _parent?: net.Socket })._parent;
  const header = raw && received.get(raw);
  if (header?.addresses) adoptAddresses(secured, header.addresses);
}

function adoptAddresses(socket: net.Socket, a: ProxyAddresses): void {
  const fields: Record<string, unknown> = {
    remoteAddress: a.src, remotePort: a.srcPort, remoteFamily: a.family,
    localAddress: a.dst, localPort: a.dstPort,
  };
  for (const [name, value] of Object.entries(fields)) Object.defineProperty(socket, name, { value, configurable: true, enumerable: false });
}
