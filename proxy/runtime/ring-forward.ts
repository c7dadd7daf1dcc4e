/**
 * A ring's `server` lines (HAProxy 2.6's sink.c forwarders): each server gets the ring's messages over
 * TCP, oldest first, each followed by a newline, or with `log-proto octet-count` as "<length> <message>"
 * (RFC 6587's octet counting). Once connected the forwarder holds its place in the ring, across
 * reconnections as HAProxy's does: messages it has not sent are not dropped to make room, new ones are
 * refused instead. A closed or failed connection is opened again after RECONNECT_DELAY_MS; `timeout
 * connect` bounds a connection attempt and `timeout server` a write the server does not take.
 */
import net from 'node:net';
import type { Ring, RingReader } from './ring.ts';
import type { ParsedServer } from '../config/model.ts';

/** How long a forwarder waits before connecting again after a closed or failed connection. */
export const RECONNECT_DELAY_MS = 1000;

const NEWLINE = Buffer.from('\n');

export interface ForwardTimeouts {
  connect?: number;
  server?: number;
}

export class RingForwarder {
  private socket: net.Socket | undefined;
  private reader: RingReader | undefined;
  private retry: NodeJS.Timeout | undefined;
  private writeTimer: NodeJS.Timeout | undefined;
  /** A write the socket did not take at once: nothing more until it drains. */
  private draining = false;
  private scheduled = false;
  private closed = false;
  private readonly octetCount: boolean;

  constructor(
    private readonly ring: Ring,
    private readonly server: Pick<ParsedServer, 'host' | 'port' | 'unix' | 'options'>,
    private readonly timeouts: ForwardTimeouts,
  ) {
    this.octetCount = server.options.extra?.['log-proto'] === 'octet-count';
    this.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    clearTimeout(this.writeTimer);
    if (this.reader) this.ring.readers.delete(this.reader);
    this.socket?.destroy();
    this.socket = undefined;
  }

  private connect(): void {
    if (this.closed) return;
    const s = this.server;
    const socket = s.unix ? net.connect({ path: s.host }) : net.connect({ host: s.host || '127.0.0.1', port: s.port });
    this.socket = socket;
    socket.setNoDelay(true);
    if (this.timeouts.connect) socket.setTimeout(this.timeouts.connect, () => socket.destroy());
    socket.on('connect', () => {
      socket.setTimeout(0);
      // The first connection takes its place at the oldest message (sft->ofs = 0); later ones go on from there.
      if (!this.reader) {
        this.reader = { pos: this.ring.start, wake: () => this.schedule() };
        this.ring.readers.add(this.reader);
      }
      this.pump();
    });
    // What the server sends is read and dropped.
    socket.on('data', () => {});
    socket.on('drain', () => {
      clearTimeout(this.writeTimer);
      this.draining = false;
      this.pump();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      clearTimeout(this.writeTimer);
      this.draining = false;
      if (!this.closed) {
        this.retry = setTimeout(() => this.connect(), RECONNECT_DELAY_MS);
        this.retry.unref();
      }
    });
  }

  /** After a message is written: one pump for the messages of this turn. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const socket = this.socket;
    const reader = this.reader;
    if (!socket || !reader || socket.connecting || socket.destroyed || this.draining) return;
    reader.pos = Math.max(reader.pos, this.ring.start);
    while (reader.pos < this.ring.end) {
      const message = this.ring.at(reader.pos);
      reader.pos++;
      if (!message) continue;
      const frame = this.octetCount ? Buffer.concat([Buffer.from(`${message.length} `), message]) : Buffer.concat([message, NEWLINE]);
      if (!socket.write(frame)) {
        this.draining = true;
        if (this.timeouts.server) this.writeTimer = setTimeout(() => socket.destroy(), this.timeouts.server);
        return;
      }
    }
  }
}
