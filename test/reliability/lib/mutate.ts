/**
 * Seeded mutations of valid requests for the differential fuzzer: bytes
 * inserted, deleted or duplicated, preferably at the places parsers disagree
 * about (header and chunk line boundaries, around colons and spaces), case
 * changes, whitespace, CRLF turned into LF, framing fields added.
 */

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SEEDS: Array<{ name: string; text: string; responses: number }> = [
  { name: 'get', text: 'GET /a?b=c HTTP/1.1\r\nHost: t.example\r\nUser-Agent: fuzz\r\nAccept: */*\r\n\r\n', responses: 1 },
  { name: 'post-cl', text: 'POST /form HTTP/1.1\r\nHost: t.example\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world', responses: 1 },
  { name: 'post-chunked', text: 'POST /up HTTP/1.1\r\nHost: t.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n', responses: 1 },
  { name: 'pipelined', text: 'GET /one HTTP/1.1\r\nHost: t.example\r\n\r\nPOST /two HTTP/1.1\r\nHost: t.example\r\nContent-Length: 3\r\n\r\nabcGET /three HTTP/1.1\r\nHost: t.example\r\n\r\n', responses: 3 },
  { name: 'http10', text: 'POST /old HTTP/1.0\r\nHost: t.example\r\nConnection: keep-alive\r\nContent-Length: 4\r\n\r\nbodyGET /next HTTP/1.0\r\nHost: t.example\r\n\r\n', responses: 2 },
];

const BYTES = [' ', '\t', '\r', '\n', '\r\n', '\0', '\v', '\f', ',', ';', ':', '-', '+', '0', '1', 'f', 'a', 'A', '"', '#', '/', '?', '\x7f', '\x80', '\xff', ' chunked', ', chunked', 'identity'];
const FIELDS = ['Content-Length: 0', 'Content-Length: 5', 'Content-Length: 100', 'Transfer-Encoding: chunked', 'Transfer-Encoding: identity', 'Host: other.example', 'Expect: 100-continue', 'Connection: close', 'Upgrade: websocket', 'Connection: upgrade'];

/** Positions right after each LF, each ':' and each ' ': the boundaries of lines and fields. */
function boundaries(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) if (s[i] === '\n' || s[i] === ':' || s[i] === ' ') out.push(i + 1);
  return out;
}

export interface Mutation {
  text: string;
  /** What was done, for the report. */
  ops: string[];
}

export function mutate(seedText: string, rnd: () => number): Mutation {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  let s = seedText;
  const ops: string[] = [];
  const count = 1 + Math.floor(rnd() * 3);
  for (let k = 0; k < count; k++) {
    const b = boundaries(s);
    const at = b.length > 0 && rnd() < 0.7 ? pick(b) - (rnd() < 0.3 ? 1 : 0) : Math.floor(rnd() * (s.length + 1));
    const lineStart = s.lastIndexOf('\n', at - 1) + 1;
    let lineEnd = s.indexOf('\n', at);
    if (lineEnd < 0) lineEnd = s.length - 1;
    switch (Math.floor(rnd() * 7)) {
      case 0: {
        const x = pick(BYTES);
        s = s.slice(0, at) + x + s.slice(at);
        ops.push(`insert ${JSON.stringify(x)} at ${at}`);
        break;
      }
      case 1: {
        const n = 1 + Math.floor(rnd() * 3);
        ops.push(`delete ${JSON.stringify(s.slice(at, at + n))} at ${at}`);
        s = s.slice(0, at) + s.slice(at + n);
        break;
      }
      case 2: {
        const line = s.slice(lineStart, lineEnd + 1);
        s = s.slice(0, lineEnd + 1) + line + s.slice(lineEnd + 1);
        ops.push(`duplicate line ${JSON.stringify(line)}`);
        break;
      }
      case 3: {
        const n = 1 + Math.floor(rnd() * 20);
        const part = s.slice(at, at + n);
        const flipped = [...part].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
        s = s.slice(0, at) + flipped + s.slice(at + n);
        ops.push(`flip case of ${JSON.stringify(part)}`);
        break;
      }
      case 4: {
        const ws = pick([' ', '  ', '\t', '\r\n ', '\r\n\t', ' \r\n']);
        s = s.slice(0, at) + ws + s.slice(at);
        ops.push(`whitespace ${JSON.stringify(ws)} at ${at}`);
        break;
      }
      case 5: {
        const crlf = s.indexOf('\r\n', at);
        if (crlf >= 0) {
          s = s.slice(0, crlf) + s.slice(crlf + 1);
          ops.push(`CRLF to LF at ${crlf}`);
        }
        break;
      }
      default: {
        const field = pick(FIELDS);
        s = s.slice(0, lineStart) + field + '\r\n' + s.slice(lineStart);
        ops.push(`add field ${JSON.stringify(field)} at line ${lineStart}`);
      }
    }
  }
  return { text: s, ops };
}
