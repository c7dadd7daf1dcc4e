/**
 * The socket under every check: connect within `connectTimeout` (L4CON /
 * L4TOUT), then read within `readTimeout` counted from the connect, as HAProxy
 * does with `timeout connect` then `timeout check`.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { CheckCode, CheckResult, CheckTarget } from './types.ts';
import { SSL_TOO_MANY } from '../tls/ssl-conns.ts';
import { SOCKS4_ABORTED, socks4Handshake, socks4Request } from '../runtime/socks4.ts';

/** errno names → the strerror() text HAProxy prints in `info`. */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ETIMEDOUT: 'Connection timed out',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EADDRINUSE: 'Address already in use',
  EPIPE: 'Broken pipe',
  ENOTFOUND: 'Name or service not known',
  EAI_AGAIN: 'Temporary failure in name resolution',
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
};

export function errnoText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && ERRNO_TEXT[code]) return ERRNO_TEXT[code]!;
  return (error as Error | undefined)?.message ?? 'unknown error';
}

export type WaitOutcome = 'data' | 'closed' | 'timeout' | 'error';

export class CheckConnection {
  /** Everything received so far. */
  received: Buffer = Buffer.alloc(0);
  closed = false;
  error: unknown;
  private wake: (() => void) | undefined;
  private readonly deadline: number;

  private readonly onData = (chunk: Buffer): void => {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    this.wake?.();
  };

  /** @param deadline when reads time out, if not from `readTimeout` and `totalTimeout`. */
  private constructor(readonly socket: net.Socket, readonly started: number, readTimeout: number, totalTimeout?: number, deadline?: number) {
    this.deadline = deadline ?? Math.min(Date.now() + readTimeout, totalTimeout === undefined ? Infinity : started + totalTimeout);
    socket.on('data', this.onData);
    socket.on('end', () => { this.closed = true; this.wake?.(); });
    socket.on('close', () => { this.closed = true; this.wake?.(); });
    socket.on('error', (e) => { this.error = e; this.closed = true; this.wake?.(); });
  }

  /** Connects, or resolves with the L4 failure. `started` is the check's start time (duration). */
  static open(target: CheckTarget, started: number): Promise<CheckConnection | CheckResult> {
    // `maxsslconn` reached: no connection. HAProxy 2.6.12's ssl_sock_init fails inside the connect and
    // the check reports "Layer7 timeout" with info "Too many SSL connections", at once.
    if (target.tls && target.sslConns?.full()) return Promise.resolve(failure('L7TOUT', started, SSL_TOO_MANY));
    return new Promise((resolve) => {
      // `check-via-socks4`: the connection goes to the server's SOCKS4 proxy, which is asked for the check's address.
      const via = target.viaSocks4 ? target.socks4 : undefined;
      const to = via ?? target;
      const socket = to.path !== undefined ? net.connect({ path: to.path }) : net.connect({ host: to.host, port: to.port, noDelay: true, localAddress: target.localAddress, localPort: target.localPort });
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(failure('L4TOUT', started, ''));
      }, target.connectTimeout);
      socket.once('error', (e) => {
        clearTimeout(timer);
        socket.destroy();
        // A UNIX socket refuses at once, inside connect(): HAProxy reports that as a socket error.
        resolve(to.path !== undefined ? failure('SOCKERR', started, `General socket error (${errnoText(e)})`) : failure('L4CON', started, errnoText(e)));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        if (!via) return connected();
        // haproxy 2.6.12: a refusal or a close is a socket error with conn_err_code_str's info; no reply, "Layer7 timeout".
        const handshakeTimer = setTimeout(() => {
          stop();
          socket.destroy();
          resolve(failure('L7TOUT', started, ''));
        }, Math.min(target.readTimeout, target.totalTimeout === undefined ? Infinity : started + target.totalTimeout - Date.now()));
        const onError = (e: Error): void => {
          clearTimeout(handshakeTimer);
          stop();
          socket.destroy();
          resolve(failure('SOCKERR', started, `${SOCKS4_ABORTED} (${errnoText(e)})`));
        };
        socket.once('error', onError);
        const stop = socks4Handshake(socket, socks4Request(target.host, target.port), (refused) => {
          clearTimeout(handshakeTimer);
          socket.off('error', onError);
          if (refused === undefined) return connected();
          socket.destroy();
          resolve(failure('SOCKERR', started, refused));
        });
      });
      const connected = (): void => {
        // The PROXY header goes first, before a TLS handshake (through the SOCKS4 tunnel: the check's own destination).
        if (target.sendProxy && target.proxyHeader) {
          const dst = via ? { dst: target.host, dstPort: target.port } : { dst: socket.remoteAddress, dstPort: socket.remotePort };
          socket.write(target.proxyHeader({ src: socket.localAddress, srcPort: socket.localPort, ...dst }));
        }
        if (!target.tls) return resolve(new CheckConnection(socket, started, target.readTimeout, target.totalTimeout));
        // check-ssl: the handshake is layer 6 (L6TOUT / L6RSP), bounded by the read budget.
        const secure = tls.connect({ ...target.tls, socket });
        // The slot is held until the connection closes (the TLS socket's close: the check's end or failure).
        target.sslConns?.take(secure);
        const handshakeTimer = setTimeout(() => {
          secure.destroy();
          resolve(failure('L6TOUT', started, ''));
        }, Math.min(target.readTimeout, target.totalTimeout === undefined ? Infinity : started + target.totalTimeout - Date.now()));
        secure.once('error', (e) => {
          clearTimeout(handshakeTimer);
          secure.destroy();
          resolve(failure('L6RSP', started, `SSL handshake failure (${(e as NodeJS.ErrnoException).code ?? e.message})`));
        });
        secure.once('secureConnect', () => {
          clearTimeout(handshakeTimer);
          secure.removeAllListeners('error');
          resolve(new CheckConnection(secure, started, target.readTimeout, target.totalTimeout));
        });
      };
    });
  }

  /** Milliseconds left before the read deadline (0 once passed). */
  timeLeft(): number {
    return Math.max(0, this.deadline - Date.now());
  }

  /**
   * The socket, for a protocol that reads it itself (HTTP/2): this connection stops reading it, and
   * what it received and nobody consumed goes back into the socket's stream, ahead of what comes next.
   */
  release(): net.Socket {
    this.socket.off('data', this.onData);
    this.socket.pause();
    if (this.received.length > 0) this.socket.unshift(this.received);
    this.received = Buffer.alloc(0);
    return this.socket;
  }

  write(data: Buffer | string): void {
    if (!this.closed) this.socket.write(data);
  }

  /**
   * The check goes on through `wrap(socket)` (a FastCGI channel over this connection): a connection
   * reading from what it returns, with the same deadline. This one stops reading the socket.
   */
  through(wrap: (socket: net.Socket) => net.Socket): CheckConnection {
    this.socket.off('data', this.onData);
    return new CheckConnection(wrap(this.socket), this.started, 0, undefined, this.deadline);
  }

  /** Waits for more bytes (beyond `have`), the peer closing, an error or the read deadline. */
  waitData(have: number): Promise<WaitOutcome> {
    if (this.received.length > have) return Promise.resolve('data');
    if (this.error !== undefined) return Promise.resolve('error');
    if (this.closed) return Promise.resolve('closed');
    const left = this.deadline - Date.now();
    if (left <= 0) return Promise.resolve('timeout');
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.wake = undefined; resolve('timeout'); }, left);
      this.wake = () => {
        this.wake = undefined;
        clearTimeout(timer);
        if (this.received.length > have) resolve('data');
        else resolve(this.error !== undefined ? 'error' : 'closed');
      };
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export function failure(code: CheckCode, started: number, info: string, status?: number): CheckResult {
  const time = Date.now();
  return { code, time, durationMs: time - started, info, ...(status !== undefined ? { status } : {}) };
}

export const success = failure;
