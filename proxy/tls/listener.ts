/**
 * Accepting TLS on a listener the way HAProxy's ClientHello callback does:
 * the ClientHello is read first, its SNI picks the certificate entry, and the
 * handshake then runs entirely with that entry's own TLS server — its
 * certificate alone (Node's SNICallback keeps the default certificate of the
 * other key type beside the one it switches to, and applies neither versions
 * nor ciphers per name), its protocol versions, ciphers and ALPN list. The
 * bytes read are handed back to the socket, which TLS then reads natively.
 * The entry comes from the listener's current BindTls: a reload or a
 * certificate change swaps it, the listening socket stays open. A bind with
 * a single certificate skips the read: its one entry takes every connection
 * at once (no SNI can change the choice), and OpenSSL reads the ClientHello
 * itself — non-TLS bytes, an oversized or late ClientHello then end as a
 * failed handshake (closed, as by HAProxy) rather than by the checks below.
 */
import net from 'node:net';
import type { Config, Proxy } from '../config/model.ts';
import { TicketKeyRefs } from './ticket-keys.ts';
import { BindTls } from './bind-tls.ts';
import type { Bind } from '../config/model.ts';
import { parseClientHelloSni } from '../acl/eval-payload.ts';
import { clientSignatures } from './client-hello.ts';
import { backendServerTls } from './server-tls.ts';
import { TlsLoadError } from '../errors.ts';
import { handshakeBegins } from './handshake-time.ts';
import { HANDSHAKE_FAILURES } from './handshake-failures.ts';
import type { HandshakeFailure } from './handshake-failures.ts';
import type { RuntimeCerts } from './runtime-certs.ts';

/** A ClientHello larger than this is refused (HAProxy's default buffer is 16 kB too). */
const MAX_HELLO_BYTES = 16_384;
/** A TLS alert record (plaintext, before any key exists): level fatal (2), description unrecognized_name (112). */
const UNRECOGNIZED_NAME_ALERT = Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x70]);
/** Handshake limit when neither `timeout http-request` nor `timeout client` is set. */
const DEFAULT_HANDSHAKE_MS = 60_000;

/** `current` gives the listener's BindTls, whose `secured` callback receives established connections. */
/** `arrives`: what a connection does before its handshake (a PROXY header is read there; see engine.ts). */
/** `gate`: what a connection waits for before anything else (the rate limits, runtime/rate-limit.ts). */
export function createTlsServer(
  current: () => BindTls, proxy: Proxy, admits: (raw: net.Socket) => boolean = () => true,
  arrives: (raw: net.Socket, go: () => void) => void = (_raw, go) => go(),
  gate: (raw: net.Socket, go: () => void) => void = (_raw, go) => go(),
): net.Server {
  const timeout = handshakeTimeout(proxy);
  // (noDelay here sets TCP_NODELAY on each accepted socket; no second setNoDelay call is needed.)
  return net.createServer({ noDelay: true, allowHalfOpen: true }, (raw) => {
    gate(raw, () => { if (admits(raw)) arrives(raw, () => handshake(raw)); });
  });

  function handshake(raw: net.Socket): void {
    // The TLS socket takes the raw one's half-open setting: kept, a client's FIN mid-handshake would
    // go unnoticed until the timeout. HAProxy logs it at once ("Connection closed during SSL
    // handshake"); BindTls gives established connections their half-open setting back.
    raw.allowHalfOpen = false;
    // With one certificate the SNI cannot change the choice: the handshake starts at once, and
    // OpenSSL reads the ClientHello natively instead of JavaScript reading it first.
    const only = current().onlyEntry();
    if (only) return void only.server.emit('connection', raw);
    handshakeBegins(raw);
    // A reset loses the addresses Node had not read yet: the log line needs them.
    if (current().logsFailures) {
      void raw.remoteAddress;
      void raw.localAddress;
    }
    const failed = (failure: HandshakeFailure): void => current().refused(raw, failure);
    readClientHello(raw, timeout, failed, (sni, hello) => {
      const bindTls = current();
      const entry = bindTls.selectStrict(sni, () => clientSignatures(hello));
      if (entry) return void entry.server.emit('connection', raw);
      // strict-sni: HAProxy's ClientHello callback fails the handshake with a fatal unrecognized_name alert.
      bindTls.refused(raw, HANDSHAKE_FAILURES.failure);
      raw.resume();
      raw.end(UNRECOGNIZED_NAME_ALERT);
    });
  }
}

/**
 * Collects the ClientHello (it may arrive in several segments), then puts the bytes back
 * and calls `ready` with the SNI (undefined: none) and the bytes read. Anything that is not TLS is closed and
 * told to `failed` as HAProxy's OpenSSL reports it (recorded from haproxy 2.6.12): bytes
 * that are not a ClientHello or one too big are a handshake failure, a close before it is
 * complete "closed", silence until `timeout client` a timeout.
 */
function readClientHello(socket: net.Socket, timeout: number, failed: (failure: HandshakeFailure) => void, ready: (sni: string | undefined, hello: Buffer) => void): void {
  let received: Buffer = Buffer.alloc(0);
  let settled = false;
  const fail = (failure: HandshakeFailure): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    failed(failure);
    socket.destroy();
  };
  const timer = setTimeout(() => fail(HANDSHAKE_FAILURES.timeout), timeout);
  const onData = (chunk: Buffer): void => {
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    const sni = parseClientHelloSni(received);
    if (sni === 'short' && received.length < MAX_HELLO_BYTES) return;
    socket.off('data', onData);
    socket.pause();
    if (sni === 'short' || received[0] !== 0x16) return fail(HANDSHAKE_FAILURES.failure);
    settled = true;
    clearTimeout(timer);
    socket.off('end', onEnd);
    socket.unshift(received);
    ready(sni, received);
  };
  const onEnd = (): void => fail(HANDSHAKE_FAILURES.closed);
  // Kept after the ClientHello too: an error on the raw socket must never go unheard (it would crash the process).
  const onError = (): void => (settled ? void socket.destroy() : fail(HANDSHAKE_FAILURES.failure));
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onError);
  socket.once('close', () => clearTimeout(timer));
}

/**
 * The handshake's limit: HAProxy 2.6 kills an embryonic session (no stream yet) after `timeout
 * client`, whatever the mode (a `timeout http-request` starts with the stream, once TLS is up).
 */
function handshakeTimeout(proxy: Proxy): number {
  return proxy.timeouts.client || DEFAULT_HANDSHAKE_MS;
}

/** Loads the TLS material of every `bind … ssl` of a configuration; throws TlsLoadError naming the line. */
/** `committed`: certificates committed over the runtime API (runtime-certs.ts), served instead of their unchanged files. */
export function loadBindTls(config: Config, committed?: RuntimeCerts): Map<Bind, BindTls> {
  const result = new Map<Bind, BindTls>();
  // Binds naming the same `tls-ticket-keys` file share its keys (and `set ssl tls-key` changes them all).
  const tickets = new TicketKeyRefs();
  for (const proxy of config.proxies) {
    if ((proxy.kind !== 'frontend' && proxy.kind !== 'listen') || proxy.disabled) continue;
    const mode = proxy.mode === 'http' ? 'http' : 'tcp';
    for (const bind of proxy.binds) if (bind.ssl) result.set(bind, new BindTls(bind, config, mode, handshakeTimeout(proxy), proxy.name, committed, tickets));
  }
  return result;
}

/** Whether a listener speaks TLS is part of its identity across reloads; its certificates and options are not. */
export function tlsListenerKey(bindTls: BindTls | undefined): string {
  return bindTls ? 'tls' : 'plain';
}

/**
 * Loads every certificate, key, crt-list and CA file a configuration names, as `haproxy -c`
 * does, without listening: the TlsLoadError of the first unusable one, else undefined.
 */
export function checkTlsFiles(config: Config): TlsLoadError | undefined {
  try {
    loadBindTls(config);
    for (const proxy of config.proxies) if (proxy.kind !== 'defaults' && !proxy.disabled) backendServerTls(proxy, config);
    return undefined;
  } catch (e) {
    if (e instanceof TlsLoadError) return e;
    throw e;
  }
}
