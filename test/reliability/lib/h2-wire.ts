/**
 * Raw HTTP/2 for hostile-input tests: a frame writer, a tiny HPACK encoder (no Huffman, so any
 * byte can be sent, CR/LF/NUL and upper case included) and a TLS (ALPN h2) connection that
 * records every frame the server sends. Only what a test needs to read is decoded: the :status
 * of a response (the first field of its header block), RST_STREAM and GOAWAY codes.
 */
import tls from 'node:tls';
import { testCa } from '../../helpers/tls.ts';

export const DATA = 0x0;
export const HEADERS = 0x1;
export const PRIORITY = 0x2;
export const RST_STREAM = 0x3;
export const SETTINGS = 0x4;
export const PUSH_PROMISE = 0x5;
export const PING = 0x6;
export const GOAWAY = 0x7;
export const WINDOW_UPDATE = 0x8;
export const CONTINUATION = 0x9;

export const END_STREAM = 0x1;
export const ACK = 0x1;
export const END_HEADERS = 0x4;

/** RFC 9113 §7 error codes by number, for messages. */
export const ERROR_NAMES = ['NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED', 'FRAME_SIZE_ERROR', 'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM', 'INADEQUATE_SECURITY', 'HTTP_1_1_REQUIRED'];
export const errorName = (code: number): string => ERROR_NAMES[code] ?? `0x${code.toString(16)}`;

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

export function settings(values: ReadonlyArray<readonly [number, number]>): Buffer {
  const p = Buffer.alloc(6 * values.length);
  values.forEach(([id, v], i) => {
    p.writeUInt16BE(id, 6 * i);
    p.writeUInt32BE(v >>> 0, 6 * i + 2);
  });
  return frame(SETTINGS, 0, 0, p);
}

export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

export const windowUpdate = (stream: number, increment: number): Buffer => frame(WINDOW_UPDATE, 0, stream, u32(increment));
export const rstStream = (stream: number, code: number): Buffer => frame(RST_STREAM, 0, stream, u32(code));
export const ping = (n: number): Buffer => frame(PING, 0, 0, Buffer.concat([u32(0), u32(n)]));

/** HPACK integer with an N-bit prefix (RFC 7541 §5.1); `first` holds the bits above the prefix. */
function hpackInt(first: number, prefix: number, n: number): number[] {
  const max = (1 << prefix) - 1;
  if (n < max) return [first | n];
  const out = [first | max];
  n -= max;
  while (n >= 128) {
    out.push((n % 128) + 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

const hpackString = (s: string): Buffer => {
  const raw = Buffer.from(s, 'latin1');
  return Buffer.concat([Buffer.from(hpackInt(0, 7, raw.length)), raw]);
};

/** A field as a literal without indexing and a new name (0x00), raw strings: any byte goes through. */
export const literal = (name: string, value: string): Buffer => Buffer.concat([Buffer.from([0]), hpackString(name), hpackString(value)]);
/** A literal with incremental indexing (0x40): it enters the server's dynamic table. */
export const indexedLiteral = (name: string, value: string): Buffer => Buffer.concat([Buffer.from([0x40]), hpackString(name), hpackString(value)]);
/** A reference to table entry `index` (62 is the newest dynamic entry). */
export const indexed = (index: number): Buffer => Buffer.from(hpackInt(0x80, 7, index));

/** A header block of literal fields, in the order given (pseudo-headers first unless the test says otherwise). */
export const block = (fields: ReadonlyArray<readonly [string, string]>): Buffer => Buffer.concat(fields.map(([n, v]) => literal(n, v)));

/** The usual request fields: GET https://site.home.arpa`path`. */
export const request = (path: string, extra: ReadonlyArray<readonly [string, string]> = [], method = 'GET'): Array<readonly [string, string]> => [
  [':method', method], [':scheme', 'https'], [':authority', 'site.home.arpa'], [':path', path], ...extra,
];

export const headers = (stream: number, fields: ReadonlyArray<readonly [string, string]> | Buffer, endStream = true): Buffer =>
  frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream, Buffer.isBuffer(fields) ? fields : block(fields));

export interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

/** Huffman codes of the ten digits (RFC 7541 Appendix B): a status is all a test decodes. */
const DIGIT_CODES: Array<[string, number, number]> = [
  ['0', 0x0, 5], ['1', 0x1, 5], ['2', 0x2, 5], ['3', 0x19, 6], ['4', 0x1a, 6],
  ['5', 0x1b, 6], ['6', 0x1c, 6], ['7', 0x1d, 6], ['8', 0x1e, 6], ['9', 0x1f, 6],
];
const STATIC_STATUS: Record<number, number> = { 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 };

function huffmanDigits(b: Buffer): string {
  let bits = '';
  for (const x of b) bits += x.toString(2).padStart(8, '0');
  let out = '';
  for (let at = 0; ;) {
    const hit = DIGIT_CODES.find(([, code, len]) => bits.slice(at, at + len) === code.toString(2).padStart(len, '0'));
    if (!hit) return out; // EOS padding (all ones) or a non-digit
    out += hit[0];
    at += hit[2];
  }
}

function readInt(b: Buffer, at: number, prefix: number): [number, number] {
  const max = (1 << prefix) - 1;
  let n = b[at]! & max;
  at++;
  if (n < max) return [n, at];
  for (let m = 0; ; m += 7) {
    const x = b[at++]!;
    n += (x & 127) * 2 ** m;
    if (x < 128) return [n, at];
  }
}

/**
 * The :status of a response header block (its first field, as both HAProxy and nghttp2 put it),
 * skipping dynamic table size updates; 0 when it is not readable this simply. The client announces
 * SETTINGS_HEADER_TABLE_SIZE 0, so no field is ever a reference to the dynamic table.
 */
export function responseStatus(blockBytes: Buffer): number {
  let at = 0;
  while (at < blockBytes.length && (blockBytes[at]! & 0xe0) === 0x20) at = readInt(blockBytes, at, 5)[1];
  const first = blockBytes[at];
  if (first === undefined) return 0;
  if (first & 0x80) return STATIC_STATUS[readInt(blockBytes, at, 7)[0]] ?? 0;
  const prefix = first & 0x40 ? 6 : 4;
  const [nameIndex, next] = readInt(blockBytes, at, prefix);
  if (nameIndex < 8 || nameIndex > 14) return 0;
  const huffman = (blockBytes[next]! & 0x80) !== 0;
  const [len, start] = readInt(blockBytes, next, 7);
  const value = blockBytes.subarray(start, start + len);
  return Number(huffman ? huffmanDigits(value) : value.toString('latin1'));
}

/** What a connection has seen so far, summarised per stream. */
export interface Seen {
  /** :status of each stream's response (0 when a header block could not be read). */
  status: Map<number, number>;
  /** RST_STREAM codes by stream. */
  reset: Map<number, number>;
  /** DATA bytes received by stream. */
  data: Map<number, number>;
  /** Streams whose response ended (END_STREAM). */
  ended: Set<number>;
  /** The first GOAWAY the server sent (a second one only confirms). */
  goaway?: { lastStream: number; code: number };
  pingAcks: number;
  settingsAcks: number;
  /** The server closed the TCP/TLS connection. */
  closed: boolean;
}

/** A TLS connection speaking raw HTTP/2 to 127.0.0.1:`port` (site.home.arpa, the test CA). */
export class H2Wire {
  readonly frames: Frame[] = [];
  /** When each kind of event was first seen ('status', 'reset', 'goaway', 'closed', 'data'), in ms since open. */
  readonly firstAt = new Map<string, number>();
  private readonly openedAt = Date.now();
  readonly seen: Seen = { status: new Map(), reset: new Map(), data: new Map(), ended: new Set(), pingAcks: 0, settingsAcks: 0, closed: false };
  private buf: Buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  /** Header block fragments of a response in progress (HEADERS then CONTINUATION). */
  private pendingBlock: { stream: number; parts: Buffer[]; endStream: boolean } | undefined;

  private constructor(readonly socket: tls.TLSSocket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.seen.closed = true;
      this.mark('closed');
      this.wake();
    });
  }

  /**
   * Connects, sends the preface and SETTINGS (header table 0, plus `extra`), and acknowledges the
   * server's SETTINGS as they come. The initial window stays 65,535 unless `extra` changes it.
   */
  static async open(port: number, extra: ReadonlyArray<readonly [number, number]> = []): Promise<H2Wire> {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'site.home.arpa', ca: testCa, ALPNProtocols: ['h2'] });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    if (socket.alpnProtocol !== 'h2') throw new Error(`ALPN gave ${String(socket.alpnProtocol)}, not h2`);
    const wire = new H2Wire(socket);
    wire.send(Buffer.concat([PREFACE, settings([[0x1, 0], ...extra])]));
    return wire;
  }

  /** Writes bytes; resolves once they are handed to the socket (false if it is gone). */
  send(bytes: Buffer): Promise<boolean> {
    if (this.socket.destroyed || !this.socket.writable) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.socket.write(bytes, (e) => resolve(!e));
    });
  }

  /** Resolves true once `cond` holds, false after `ms` (or as soon as the connection closed without it). */
  async until(cond: (s: Seen) => boolean, ms = 3000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!cond(this.seen)) {
      if (this.seen.closed || Date.now() >= deadline) return cond(this.seen);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(50, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  close(): void {
    this.socket.destroy();
  }

  /** One line about a stream: its status, reset code, bytes, or nothing seen. */
  describe(stream: number): string {
    const s = this.seen;
    const parts: string[] = [];
    if (s.status.has(stream)) parts.push(`status ${s.status.get(stream)}`);
    if (s.reset.has(stream)) parts.push(`RST_STREAM ${errorName(s.reset.get(stream)!)}`);
    if (s.goaway && parts.length === 0) parts.push(`GOAWAY ${errorName(s.goaway.code)}`);
    if (parts.length === 0) parts.push(s.closed ? 'closed' : 'nothing');
    return parts.join(', ');
  }

  private mark(what: string): void {
    if (!this.firstAt.has(what)) this.firstAt.set(what, Date.now() - this.openedAt);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.buf.length >= 9) {
      const len = this.buf.readUIntBE(0, 3);
      if (this.buf.length < 9 + len) break;
      const f: Frame = { type: this.buf[3]!, flags: this.buf[4]!, stream: this.buf.readUInt32BE(5) & 0x7fffffff, payload: this.buf.subarray(9, 9 + len) };
      this.buf = this.buf.subarray(9 + len);
      // Keep the log small: a flood's thousand answers are counted, not stored.
      if (this.frames.length < 2000) this.frames.push(f);
      this.onFrame(f);
    }
    this.wake();
  }

  private onFrame(f: Frame): void {
    const s = this.seen;
    this.mark(['data', 'headers', 'priority', 'reset', 'settings', 'push', 'ping', 'goaway', 'window', 'continuation'][f.type] ?? 'other');
    switch (f.type) {
      case SETTINGS:
        if (f.flags & ACK) s.settingsAcks++;
        else void this.send(frame(SETTINGS, ACK, 0));
        break;
      case PING:
        if (f.flags & ACK) s.pingAcks++;
        break;
      case GOAWAY:
        s.goaway ??= { lastStream: f.payload.readUInt32BE(0) & 0x7fffffff, code: f.payload.readUInt32BE(4) };
        break;
      case RST_STREAM:
        s.reset.set(f.stream, f.payload.readUInt32BE(0));
        break;
      case DATA:
        s.data.set(f.stream, (s.data.get(f.stream) ?? 0) + f.payload.length);
        if (f.flags & END_STREAM) s.ended.add(f.stream);
        break;
      case HEADERS: {
        let p = f.payload;
        if (f.flags & 0x8) p = p.subarray(1, p.length - p[0]!); // PADDED
        if (f.flags & 0x20) p = p.subarray(5); // PRIORITY
        this.pendingBlock = { stream: f.stream, parts: [p], endStream: (f.flags & END_STREAM) !== 0 };
        if (f.flags & END_HEADERS) this.endBlock();
        break;
      }
      case CONTINUATION:
        this.pendingBlock?.parts.push(f.payload);
        if (f.flags & END_HEADERS) this.endBlock();
        break;
    }
  }

  private endBlock(): void {
    const b = this.pendingBlock!;
    this.pendingBlock = undefined;
    // A second header block on a stream is its trailers: the status stays the first one's.
    if (!this.seen.status.has(b.stream)) this.seen.status.set(b.stream, responseStatus(Buffer.concat(b.parts)));
    if (b.endStream) this.seen.ended.add(b.stream);
  }
}
