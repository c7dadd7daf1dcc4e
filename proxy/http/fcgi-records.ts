/**
 * FastCGI records (FastCGI 1.0 specification §3, HAProxy 2.6's fcgi.c): an 8-byte header (version 1,
 * type, request id, content length, padding length, reserved), the content, the padding; name-value
 * pairs with lengths of 1 byte (below 128) or 4 bytes (high bit set).
 */

export const FCGI_VERSION = 1;
export const FCGI_HEADER_SIZE = 8;
/** The most content one record carries (its length is 16 bits). */
export const FCGI_MAX_CONTENT = 0xffff;

export const enum RecordType {
  BeginRequest = 1,
  AbortRequest = 2,
  EndRequest = 3,
  Params = 4,
  Stdin = 5,
  Stdout = 6,
  Stderr = 7,
  Data = 8,
  GetValues = 9,
  GetValuesResult = 10,
  UnknownType = 11,
}

/** FCGI_BEGIN_REQUEST's role: HAProxy speaks to Responder applications only. */
export const FCGI_RESPONDER = 1;
/** FCGI_BEGIN_REQUEST's flag: the application keeps the connection open after the request. */
export const FCGI_KEEP_CONN = 1;

/** FCGI_END_REQUEST's protocolStatus. */
export const enum ProtocolStatus {
  RequestComplete = 0,
  CantMpxConn = 1,
  Overloaded = 2,
  UnknownRole = 3,
}

/** One record: header and content (padding is not kept). */
export interface FcgiRecord {
  type: number;
  id: number;
  content: Buffer;
}

/** A record's bytes; `content` must be at most FCGI_MAX_CONTENT bytes. HAProxy sends no padding. */
export function encodeRecord(type: number, id: number, content: Buffer | undefined): Buffer {
  const length = content?.length ?? 0;
  const out = Buffer.allocUnsafe(FCGI_HEADER_SIZE + length);
  out[0] = FCGI_VERSION;
  out[1] = type;
  out.writeUInt16BE(id, 2);
  out.writeUInt16BE(length, 4);
  out[6] = 0;
  out[7] = 0;
  if (content) content.copy(out, FCGI_HEADER_SIZE);
  return out;
}

/** A stream's content (PARAMS, STDIN) as records of at most FCGI_MAX_CONTENT bytes each (nothing for an empty one). */
export function encodeStream(type: number, id: number, content: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < content.length; at += FCGI_MAX_CONTENT) out.push(encodeRecord(type, id, content.subarray(at, at + FCGI_MAX_CONTENT)));
  return out;
}

/** FCGI_BEGIN_REQUEST's body: role, flags, five reserved bytes. */
export function beginRequest(id: number, keepConn: boolean): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt16BE(FCGI_RESPONDER, 0);
  body[2] = keepConn ? FCGI_KEEP_CONN : 0;
  return encodeRecord(RecordType.BeginRequest, id, body);
}

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE((n | 0x80000000) >>> 0, 0);
  return b;
}

/** Name-value pairs as PARAMS (or GET_VALUES) content; names and values are bytes (latin1 strings). */
export function encodePairs(pairs: ReadonlyArray<readonly [string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of pairs) {
    const n = Buffer.from(name, 'latin1');
    const v = Buffer.from(value, 'latin1');
    parts.push(lengthBytes(n.length), lengthBytes(v.length), n, v);
  }
  return Buffer.concat(parts);
}

/** The name-value pairs of a PARAMS / GET_VALUES_RESULT content; undefined when they are truncated. */
export function decodePairs(content: Buffer): Array<[string, string]> | undefined {
  const out: Array<[string, string]> = [];
  let at = 0;
  const length = (): number | undefined => {
    if (at >= content.length) return undefined;
    if (content[at]! < 0x80) return content[at++];
    if (at + 4 > content.length) return undefined;
    const n = content.readUInt32BE(at) & 0x7fffffff;
    at += 4;
    return n;
  };
  while (at < content.length) {
    const n = length();
    const v = length();
    if (n === undefined || v === undefined || at + n + v > content.length) return undefined;
    out.push([content.toString('latin1', at, at + n), content.toString('latin1', at + n, at + n + v)]);
    at += n + v;
  }
  return out;
}

/** FCGI_END_REQUEST's body: the application's status (32 bits) and the protocol status. */
export function decodeEndRequest(content: Buffer): { appStatus: number; protocolStatus: number } | undefined {
  if (content.length < 8) return undefined;
  return { appStatus: content.readUInt32BE(0), protocolStatus: content[4]! };
}

/**
 * Cuts records out of the bytes a connection reads: `push` each read, `next` returns the complete
 * records in order (a partial one waits for more bytes). Padding is skipped.
 */
export class RecordReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
  }

  /**
   * The next complete record, undefined when it has not fully arrived. The version byte is not
   * looked at, as HAProxy's fcgi_decode_record_hdr reads it and nothing checks it.
   */
  next(): FcgiRecord | undefined {
    const p = this.pending;
    if (p.length < FCGI_HEADER_SIZE) return undefined;
    const length = p.readUInt16BE(4);
    const total = FCGI_HEADER_SIZE + length + p[6]!;
    if (p.length < total) return undefined;
    const record = { type: p[1]!, id: p.readUInt16BE(2), content: p.subarray(FCGI_HEADER_SIZE, FCGI_HEADER_SIZE + length) };
    this.pending = p.subarray(total);
    return record;
  }
}
