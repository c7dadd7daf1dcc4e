/**
 * A raw-frame HTTP/2 server (cleartext, prior knowledge) for hostile-server tests: each connection
 * sends its SETTINGS (SETTINGS_ENABLE_CONNECT_PROTOCOL unless told otherwise), acknowledges the
 * peer's, answers PING, keeps count of the flow-control windows the peer gives, and hands each
 * stream's HEADERS to the scenario a test sets, which answers in frames as it likes.
 */
import net from 'node:net';
import { frame, settings, block, windowUpdate, PREFACE, DATA, HEADERS, SETTINGS, PING, GOAWAY, RST_STREAM, WINDOW_UPDATE, END_STREAM, END_HEADERS, ACK, errorName } from './h2-wire.ts';

/** One connection to the raw server, as a scenario drives it. */
export class ServerSide {
  /** Flow-control credit Loadstar gave: the connection's and each stream's. */
  private connWindow = 65535;
  private initialWindow = 65535;
  private readonly streamWindows = new Map<number, number>();
  private buf = Buffer.alloc(0);
  /** What this connection got back (RST_STREAM, GOAWAY), in order. */
  readonly events: string[] = [];
  private preface = false;
  /** Called when the peer widens a window (a flood waits on it). */
  onWindow: (() => void) | undefined;
  /** DATA the peer sent on a stream, by stream. */
  onData: ((stream: number, payload: Buffer, end: boolean) => void) | undefined;

  constructor(readonly socket: net.Socket, private readonly server: RawServer) {
    socket.on('data', (d: Buffer) => this.read(d));
    socket.on('error', () => {});
  }

  send(bytes: Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(bytes);
  }

  /** A response header block (literal fields, no Huffman). */
  respond(stream: number, fields: ReadonlyArray<readonly [string, string]>, endStream = false): void {
    this.send(frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream, block(fields)));
  }

  /** Room to send DATA on `stream` now. */
  room(stream: number): number {
    return Math.min(this.connWindow, this.streamWindows.get(stream) ?? this.initialWindow);
  }

  /** DATA within the windows (the caller checked room). */
  data(stream: number, payload: Buffer, end = false): void {
    this.connWindow -= payload.length;
    this.streamWindows.set(stream, (this.streamWindows.get(stream) ?? this.initialWindow) - payload.length);
    this.send(frame(DATA, end ? END_STREAM : 0, stream, payload));
  }

  private read(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    if (!this.preface) {
      if (this.buf.length < PREFACE.length) return;
      this.buf = this.buf.subarray(PREFACE.length);
      this.preface = true;
    }
    while (this.buf.length >= 9) {
      const len = this.buf.readUIntBE(0, 3);
      if (this.buf.length < 9 + len) break;
      const type = this.buf[3]!;
      const flags = this.buf[4]!;
      const stream = this.buf.readUInt32BE(5) & 0x7fffffff;
      const payload = this.buf.subarray(9, 9 + len);
      this.buf = this.buf.subarray(9 + len);
      this.frame(type, flags, stream, payload);
    }
  }

  private event(what: string): void {
    this.events.push(what);
    this.server.events.push(what);
  }

  private frame(type: number, flags: number, stream: number, payload: Buffer): void {
    const s = this.server;
    switch (type) {
      case SETTINGS:
        if (flags & ACK) return;
        for (let at = 0; at + 6 <= payload.length; at += 6) {
          if (payload.readUInt16BE(at) !== 0x4) continue;
          const v = payload.readUInt32BE(at + 2);
          for (const [id, w] of this.streamWindows) this.streamWindows.set(id, w + v - this.initialWindow);
          this.initialWindow = v;
        }
        this.send(frame(SETTINGS, ACK, 0));
        return this.onWindow?.();
      case PING:
        if (!(flags & ACK)) this.send(frame(PING, ACK, 0, payload));
        return;
      case WINDOW_UPDATE: {
        const n = payload.readUInt32BE(0) & 0x7fffffff;
        if (stream === 0) this.connWindow += n;
        else this.streamWindows.set(stream, (this.streamWindows.get(stream) ?? this.initialWindow) + n);
        return this.onWindow?.();
      }
      case RST_STREAM:
        return this.event(`server got RST_STREAM ${errorName(payload.readUInt32BE(0))}`);
      case GOAWAY:
        return this.event(`server got GOAWAY ${errorName(payload.readUInt32BE(4))}`);
      case HEADERS:
        s.streams++;
        if (!this.streamWindows.has(stream)) this.streamWindows.set(stream, this.initialWindow);
        return s.scenario(this, stream);
      case DATA:
        // Give the credit back at once: what the proxy sends is never held up here.
        if (payload.length > 0) this.send(Buffer.concat([windowUpdate(0, payload.length), windowUpdate(stream, payload.length)]));
        return this.onData?.(stream, payload, (flags & END_STREAM) !== 0);
    }
  }
}

/** The raw server: each connection announces SETTINGS_ENABLE_CONNECT_PROTOCOL (unless told otherwise) and runs `scenario` on each stream. */
export interface RawServer {
  port: number;
  /** What to do with the next extended CONNECT (set by each case). */
  scenario: (c: ServerSide, stream: number) => void;
  /** The SETTINGS each new connection sends first. */
  settings: Array<[number, number]>;
  /** Streams opened since the server started. */
  streams: number;
  /** What the server got back (RST_STREAM, GOAWAY), in order. */
  events: string[];
  /** Connections still open. */
  open(): number;
  close(): Promise<void>;
}

/** Echoes a tunnel's DATA (its end too). */
export function echo(c: ServerSide, stream: number): void {
  c.onData = (id, payload, end) => {
    if (id !== stream) return;
    if (payload.length > 0 && c.room(stream) >= payload.length) c.data(stream, payload);
    if (end) c.data(stream, Buffer.alloc(0), true);
  };
}

export async function startRawServer(): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const s: RawServer = {
    port: 0,
    scenario: (c, stream) => {
      c.respond(stream, [[':status', '200']]);
      echo(c, stream);
    },
    settings: [[0x8, 1], [0x3, 100]],
    streams: 0,
    events: [],
    open: () => sockets.size,
    close: () => new Promise<void>((r) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => r());
    }),
  };
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const c = new ServerSide(socket, s);
    c.send(settings(s.settings));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.port = (server.address() as net.AddressInfo).port;
  return s;
}

