/**
 * The client of a TCP session while its server is being found and connected: the wait for a slot
 * (the queue), the attempts, and the pauses between them (HAProxy's SC_ST_QUE, SC_ST_CON and
 * SC_ST_TAR). Per connection, never per chunk: once the server is up the relay (frontend.ts pipe)
 * takes over and this watch lets go. `timeout client` does not run meanwhile.
 *
 * As haproxy 2.6.12 does, side by side in test/proxy/tcp/client-leaves.test.ts:
 * - a client that closes its connection (a reset, or a close that errors) ends the session at
 *   once, logged CD: it leaves the queue, or the attempt under way is closed and no retry follows;
 * - under `option abortonclose`, a client's FIN does the same, logged CQ in the queue and CC
 *   after ("a session with an incoming channel closed will be aborted ... either pending in the
 *   queue ... or during the connection establishment"); without it a FIN waits for the
 *   connection (the half-close is relayed once it is up);
 * - what the client sent meanwhile is counted in %U, even when no connection came up
 *   (HAProxy reads it into the request buffer while connecting).
 *
 * Without `option abortonclose` the client stays paused: what it sends waits in its socket's
 * stream (counted from there). With it the client is read meanwhile, to see its FIN, into a
 * list given back to the socket once the server is up; at most one buffer's worth (HAProxy's
 * tune.bufsize), after which it is paused, as HAProxy stops reading a full buffer.
 */
import type net from 'node:net';

/** HAProxy's tune.bufsize: what a request buffer takes in while connecting. */
const BUFFER = 16384;

export class ConnectWatch {
  /** What ends the attempt or pause under way when the client leaves. */
  private stopCurrent: (() => void) | undefined;
  /** abortonclose: what was read while connecting, to give back (undefined without the option). */
  private chunks: Buffer[] | undefined;
  private collected = 0;
  private finished = false;
  private readonly onClose = (): void => this.leave('CD');
  private readonly onEnd = (): void => this.leave('CC');
  private readonly onData = (d: Buffer): void => {
    this.chunks!.push(d);
    this.collected += d.length;
    if (this.collected >= BUFFER) this.client.pause();
  };

  /**
   * @param gone the client left: the session ends, logged with `termination`; `pending` is what it
   * had sent meanwhile (%U). What was under way is stopped first.
   */
  constructor(private readonly client: net.Socket, abortOnClose: boolean, private readonly gone: (termination: 'CC' | 'CD', pending: number) => void) {
    client.once('close', this.onClose);
    if (abortOnClose && !client.readableEnded) {
      this.chunks = [];
      client.on('data', this.onData);
      client.once('end', this.onEnd);
      client.resume();
    }
  }

  /** The attempt or pause now under way: `stop` ends it (closes the socket, clears the timer, gives the slot back). */
  during(stop: () => void): void {
    this.stopCurrent = stop;
  }

  /** What the client sent since the watch began that is not relayed yet (%U of a session that never connected). */
  get pending(): number {
    return this.chunks ? this.collected + this.client.readableLength : this.client.readableLength;
  }

  /** The server is up, or the session ends otherwise: listeners off, what was read back in the client's stream, paused. */
  done(): void {
    const chunks = this.letGo();
    if (chunks && chunks.length > 0 && !this.client.destroyed) this.client.unshift(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  }

  /** Listeners off; what was read while connecting (abortonclose), to give back or drop. */
  private letGo(): Buffer[] | undefined {
    if (this.finished) return undefined;
    this.finished = true;
    this.stopCurrent = undefined;
    this.client.off('close', this.onClose);
    const chunks = this.chunks;
    if (!chunks) return undefined;
    this.chunks = undefined;
    this.client.off('data', this.onData);
    this.client.off('end', this.onEnd);
    this.client.pause();
    return chunks;
  }

  private leave(termination: 'CC' | 'CD'): void {
    if (this.finished) return;
    const stop = this.stopCurrent;
    const pending = this.pending;
    // The session ends: nothing read is given back (an ended stream takes nothing back).
    this.letGo();
    stop?.();
    this.gone(termination, pending);
  }
}
