/**
 * A deliberately strict reader of HTTP/1.1 messages (RFC 9112), written for the
 * reliability suite only: it tells what an origin server received and whether a
 * server *could read it differently* from the proxy that forwarded it. It never
 * guesses: every construct that RFC 9112 lets a recipient treat in more than one
 * way (CL and TE together, several Content-Lengths, a coding after `chunked`,
 * obs-fold, bare CR/LF, NUL and control bytes, whitespace before the colon, two
 * Host fields, a Host that disagrees with an absolute-form target, a fragment)
 * is reported as an ambiguity.
 */

export interface ParsedRequest {
  method: string;
  target: string;
  version: string;
  /** [name, value] in arrival order, names as received. */
  headers: Array<[string, string]>;
  /** How the body was delimited: none, content-length or chunked. */
  framing: 'none' | 'content-length' | 'chunked';
  bodyLength: number;
  /** Constructs a server could read differently from the proxy (see the module comment). */
  ambiguities: string[];
  /** Total bytes of this message (head + body). */
  size: number;
}

export interface StreamAnalysis {
  /** Complete messages, in order. */
  messages: ParsedRequest[];
  /** A message started but not finished when the bytes ended (e.g. a body still expected). */
  incomplete: boolean;
  /** Bytes a strict parser cannot frame at all (garbage, or framing errors): the smuggling signal. */
  error: string | undefined;
  /** Bytes left after the last complete message (incomplete or unparseable). */
  leftover: number;
}

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field value bytes allowed by RFC 9110 §5.5: VCHAR, obs-text, SP, HTAB. */
const BAD_VALUE_BYTE = /[\x00-\x08\x0a-\x1f\x7f]/;
const MAX_CHUNK_HEX = 15;

class Incomplete extends Error {}
class Unframed extends Error {}

/** Reads one CRLF-terminated line at `pos`; a bare LF or a CR not followed by LF is unframed. */
function readLine(buf: Buffer, pos: number): { line: string; next: number } {
  const lf = buf.indexOf(0x0a, pos);
  if (lf < 0) {
    // A bare CR anywhere in what we have is already fatal.
    const cr = buf.indexOf(0x0d, pos);
    if (cr >= 0 && cr + 1 < buf.length) throw new Unframed(`bare CR at byte ${cr}`);
    throw new Incomplete();
  }
  if (lf === pos || buf[lf - 1] !== 0x0d) throw new Unframed(`bare LF at byte ${lf}`);
  const line = buf.toString('latin1', pos, lf - 1);
  if (line.includes('\r')) throw new Unframed(`bare CR at byte ${pos + line.indexOf('\r')}`);
  return { line, next: lf + 1 };
}

function parseOne(buf: Buffer, start: number): ParsedRequest {
  const ambiguities: string[] = [];
  let pos = start;
  // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
  if (buf.length - pos >= 2 && buf[pos] === 0x0d && buf[pos + 1] === 0x0a) {
    ambiguities.push('empty line before the request line');
    pos += 2;
  }
  const first = readLine(buf, pos);
  pos = first.next;
  const m = /^([^ ]+) ([^ ]+) HTTP\/(\d)\.(\d)$/.exec(first.line);
  if (!m) throw new Unframed(`request line ${JSON.stringify(first.line.slice(0, 80))}`);
  const [, method, target, major, minor] = m as unknown as [string, string, string, string, string];
  if (!TCHAR.test(method)) throw new Unframed(`method ${JSON.stringify(method)}`);
  if (/[\x00-\x20\x7f]/.test(target)) throw new Unframed('control byte in the request target');
  if (target.includes('#')) ambiguities.push('fragment in the request target');
  const headers: Array<[string, string]> = [];
  for (;;) {
    const { line, next } = readLine(buf, pos);
    pos = next;
    if (line === '') break;
    if (line[0] === ' ' || line[0] === '\t') {
      ambiguities.push('obs-fold');
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Unframed(`header line without a name: ${JSON.stringify(line.slice(0, 60))}`);
    const name = line.slice(0, colon);
    if (!TCHAR.test(name)) {
      ambiguities.push(`invalid header name ${JSON.stringify(name.slice(0, 40))}`);
      continue;
    }
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (BAD_VALUE_BYTE.test(value)) ambiguities.push(`control byte in ${name}`);
    headers.push([name, value]);
  }
  const all = (n: string) => headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
  const hosts = all('host');
  // Identical copies read the same whichever one a server takes; different ones do not (RFC 9112 §3.2).
  if (new Set(hosts.map((h) => h.toLowerCase())).size > 1) ambiguities.push('Host fields with different values');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) && hosts.length === 1) {
    const authority = target.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split(/[/?#]/)[0]!.replace(/^[^@]*@/, '');
    if (authority.toLowerCase() !== hosts[0]!.toLowerCase()) ambiguities.push('Host differs from the absolute-form authority');
  }
  const te = all('transfer-encoding');
  const cl = all('content-length');
  if (te.length > 1) ambiguities.push('more than one Transfer-Encoding field');
  if (cl.length > 1) ambiguities.push('more than one Content-Length field');
  let framing: ParsedRequest['framing'] = 'none';
  let bodyLength = 0;
  if (te.length > 0) {
    if (cl.length > 0) ambiguities.push('Content-Length and Transfer-Encoding together');
    const codings = te.join(',').split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '');
    if (codings.at(-1) !== 'chunked') throw new Unframed(`Transfer-Encoding ${JSON.stringify(te.join(', '))} does not end with chunked`);
    if (codings.length > 1) ambiguities.push(`transfer-codings besides chunked (${codings.join(', ')})`);
    framing = 'chunked';
    for (;;) {
      const sizeLine = readLine(buf, pos);
      pos = sizeLine.next;
      const sm = /^([0-9A-Fa-f]+)[ \t]*(;.*)?$/.exec(sizeLine.line);
      if (!sm) throw new Unframed(`chunk size ${JSON.stringify(sizeLine.line.slice(0, 40))}`);
      if (sm[1]!.length > MAX_CHUNK_HEX) throw new Unframed(`chunk size ${sm[1]} overflows`);
      if (/[ \t]/.test(sizeLine.line) && !sm[2]) ambiguities.push('whitespace after a chunk size');
      const size = parseInt(sm[1]!, 16);
      if (size === 0) {
        // Trailer section up to the empty line.
        for (;;) {
          const t = readLine(buf, pos);
          pos = t.next;
          if (t.line === '') break;
          if (/^transfer-encoding|^content-length/i.test(t.line)) ambiguities.push(`framing field in the trailer (${t.line.split(':')[0]})`);
        }
        break;
      }
      if (buf.length < pos + size + 2) throw new Incomplete();
      if (buf[pos + size] !== 0x0d || buf[pos + size + 1] !== 0x0a) throw new Unframed('chunk data not followed by CRLF');
      pos += size + 2;
      bodyLength += size;
    }
  } else if (cl.length > 0) {
    const values = cl.join(',').split(',').map((v) => v.trim());
    if (values.some((v) => !/^[0-9]+$/.test(v))) throw new Unframed(`Content-Length ${JSON.stringify(cl.join(', '))}`);
    if (new Set(values.map((v) => BigInt(v))).size > 1) throw new Unframed(`conflicting Content-Lengths ${cl.join(', ')}`);
    if (values.length > 1) ambiguities.push('repeated Content-Length value');
    const n = Number(values[0]);
    if (!Number.isSafeInteger(n)) throw new Unframed(`Content-Length ${values[0]} overflows`);
    framing = 'content-length';
    bodyLength = n;
    if (buf.length < pos + n) throw new Incomplete();
    pos += n;
  }
  return { method, target, version: `${major}.${minor}`, headers, framing, bodyLength, ambiguities, size: pos - start };
}

/** Frames every request in `buf` strictly; stops at the first incomplete or unframeable one. */
export function analyzeRequests(buf: Buffer): StreamAnalysis {
  const messages: ParsedRequest[] = [];
  let pos = 0;
  while (pos < buf.length) {
    try {
      const msg = parseOne(buf, pos);
      messages.push(msg);
      pos += msg.size;
    } catch (e) {
      if (e instanceof Incomplete) return { messages, incomplete: true, error: undefined, leftover: buf.length - pos };
      if (e instanceof Unframed) return { messages, incomplete: false, error: e.message, leftover: buf.length - pos };
      throw e;
    }
  }
  return { messages, incomplete: false, error: undefined, leftover: 0 };
}

/** The head of the first request if it is complete (for an origin deciding when to send 100 Continue). */
export function firstHead(buf: Buffer): { headers: Array<[string, string]> } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = buf.toString('latin1', 0, end).split('\r\n').slice(1);
  return { headers: lines.map((l) => [l.slice(0, Math.max(0, l.indexOf(':'))), l.slice(l.indexOf(':') + 1).trim()] as [string, string]) };
}

export interface ResponseSummary {
  statuses: number[];
  /** Every response read completely (the proxy's framing made sense). */
  complete: boolean;
  /** Bytes that did not belong to a framed response. */
  trailing: number;
}

/**
 * Splits what a client received into responses (status line, head, body by
 * Content-Length, chunked, or none for 1xx/204/304). Lenient: it only needs to
 * count answers, the strictness above is for what servers receive.
 */
export function readResponses(buf: Buffer, headRequest = false): ResponseSummary {
  const statuses: number[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const end = buf.indexOf('\r\n\r\n', pos);
    if (end < 0) return { statuses, complete: false, trailing: buf.length - pos };
    const head = buf.toString('latin1', pos, end);
    const m = /^HTTP\/\d\.\d (\d{3})/.exec(head);
    if (!m) return { statuses, complete: false, trailing: buf.length - pos };
    const status = Number(m[1]);
    statuses.push(status);
    pos = end + 4;
    if (status < 200 || status === 204 || status === 304 || headRequest) continue;
    const cl = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
    if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) {
      for (;;) {
        const lf = buf.indexOf('\r\n', pos);
        if (lf < 0) return { statuses, complete: false, trailing: buf.length - pos };
        const size = parseInt(buf.toString('latin1', pos, lf), 16);
        if (Number.isNaN(size)) return { statuses, complete: false, trailing: buf.length - pos };
        if (size === 0) {
          const tEnd = buf.indexOf('\r\n\r\n', lf);
          if (tEnd < 0) return { statuses, complete: false, trailing: buf.length - pos };
          pos = tEnd + 4;
          break;
        }
        pos = lf + 2 + size + 2;
        if (pos > buf.length) return { statuses, complete: false, trailing: 0 };
      }
    } else if (cl) {
      pos += Number(cl[1]);
      if (pos > buf.length) return { statuses, complete: false, trailing: 0 };
    } else {
      // Delimited by close: the rest is this body.
      return { statuses, complete: true, trailing: 0 };
    }
  }
  return { statuses, complete: true, trailing: 0 };
}

/** Bytes shown in a report: printable ASCII as is, everything else escaped, cut at `max`. */
export function showBytes(buf: Buffer | string, max = 240): string {
  const s = typeof buf === 'string' ? buf : buf.toString('latin1');
  let out = '';
  for (const ch of s.slice(0, max)) {
    const c = ch.charCodeAt(0);
    if (ch === '\r') out += '\\r';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '|') out += '\\|';
    else if (c < 0x20 || c >= 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return s.length > max ? `${out}… (${s.length} bytes)` : out;
}
