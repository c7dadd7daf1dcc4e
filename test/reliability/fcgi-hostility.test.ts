/**
 * Hostile FastCGI applications (proxy/http/fcgi-upstream.ts, fcgi-records.ts) behind Loadstar run as
 * a child process (a crash is its own) and, with the same configuration, behind haproxy 2.6.12. The
 * application is a raw TCP server that reads the proxy's records and answers each request as its
 * REQUEST_URI says: /h/NAME with a hand-picked malformed answer (lying lengths, bad versions,
 * unknown records, broken CGI heads, records of another request, closes and silences…), /r/N with
 * the N-th seeded random mutation of a valid answer (bit flips, truncations, inserted, duplicated
 * and relabelled records, writes cut anywhere), /ok with a valid one. After each case Loadstar must
 * still run and answer a normal request through another backend. The hand-picked outcomes (what the
 * client saw) were recorded from haproxy and are replayed against it where it is installed;
 * Loadstar's are the same except where a case's `haproxy` field says otherwise and why.
 * FCGI_PROBE=1 prints both proxies' outcomes instead. FUZZ_COUNT (default 150) and FUZZ_SEED
 * (default 24) change the random part; its outcome matrix goes to test-output/reliability/fcgi-fuzz.md.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { freePort } from '../helpers/net.ts';
import { requireHaproxy, haproxyPath } from '../helpers/haproxy.ts';
import { throughRestartingHaproxy } from './lib/haproxy-cases.ts';
import { startLoadstar, type LoadstarProcess } from './lib/loadstar-process.ts';
import { prng } from './lib/mutate.ts';
import { writeReport, cell } from './lib/report.ts';

const COUNT = Number(process.env.FUZZ_COUNT ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 24);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- records, written by hand

const BEGIN = 1;
const END = 3;
const PARAMS = 4;
const STDIN = 5;
const STDOUT = 6;
const STDERR = 7;
const GET_VALUES_RESULT = 10;
const UNKNOWN_TYPE = 11;

/** A record; `length` and `padding` may lie about what follows (`pad` bytes of padding are sent). */
function rec(type: number, id: number, content: string | Buffer = '', o: { version?: number; length?: number; padding?: number; pad?: number } = {}): Buffer {
  const c = typeof content === 'string' ? Buffer.from(content, 'latin1') : content;
  const pad = o.pad ?? 0;
  const h = Buffer.alloc(8);
  h[0] = o.version ?? 1;
  h[1] = type;
  h.writeUInt16BE(id, 2);
  h.writeUInt16BE(o.length ?? c.length, 4);
  h[6] = o.padding ?? pad;
  return Buffer.concat([h, c, Buffer.alloc(pad)]);
}

/** FCGI_END_REQUEST's body. */
function endBody(protocolStatus = 0, appStatus = 0): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(appStatus >>> 0, 0);
  b[4] = protocolStatus;
  return b;
}

/** A complete answer: the CGI text as one STDOUT record, the empty STDOUT, END_REQUEST. */
function answer(id: number, cgi: string, protocolStatus = 0): Buffer {
  return Buffer.concat([rec(STDOUT, id, cgi), rec(STDOUT, id), rec(END, id, endBody(protocolStatus))]);
}

const OK = 'Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nok';

/** A name-value pair with 1-byte lengths. */
const pair = (n: string, v: string) => Buffer.concat([Buffer.from([n.length, v.length]), Buffer.from(n + v, 'latin1')]);

// ---------------------------------------------------------------- the application

/** How the application answers request `id` on `s` (what it writes, whether it closes). */
type Behaviour = (s: net.Socket, id: number) => void | Promise<void>;

interface App {
  port: number;
  close(): Promise<void>;
}

function pairs(content: Buffer): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let i = 0;
  const len = (): number => {
    if (i >= content.length) return 0;
    if (content[i]! >> 7 === 0) return content[i++]!;
    const n = content.readUInt32BE(i) & 0x7fffffff;
    i += 4;
    return n;
  };
  for (let guard = 0; guard < 1000 && i < content.length; guard++) {
    const n = len();
    const v = len();
    out.push([content.toString('latin1', i, i + n), content.toString('latin1', i + n, i + n + v)]);
    i += n + v;
  }
  return out;
}

/** A FastCGI server that answers each request (once its empty STDIN came) as `route` says for its REQUEST_URI. */
async function startApp(route: (uri: string) => Behaviour): Promise<App> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.setNoDelay(true);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = Buffer.alloc(0);
    const params = new Map<number, Buffer[]>();
    /** Requests whose parameters came, by id: their REQUEST_URI, answered once their STDIN ended. */
    const waiting = new Map<number, string>();
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (let guard = 0; guard < 10_000 && buf.length >= 8; guard++) {
        const length = buf.readUInt16BE(4);
        const total = 8 + length + buf[6]!;
        if (buf.length < total) break;
        const type = buf[1]!;
        const id = buf.readUInt16BE(2);
        const content = buf.subarray(8, 8 + length);
        buf = buf.subarray(total);
        if (type === BEGIN) params.set(id, []);
        else if (type === PARAMS && length > 0) params.get(id)?.push(Buffer.from(content));
        else if (type === PARAMS && params.has(id)) {
          const uri = pairs(Buffer.concat(params.get(id)!)).find(([n]) => n === 'REQUEST_URI')?.[1] ?? '';
          params.delete(id);
          // /e/…: answered at once, before the request's body (STDIN) was read.
          if (uri.startsWith('/e/')) void Promise.resolve(route(uri)(s, id)).catch(() => s.destroy());
          else waiting.set(id, uri);
        } else if (type === STDIN && length === 0 && waiting.has(id)) {
          const uri = waiting.get(id)!;
          waiting.delete(id);
          void Promise.resolve(route(uri)(s, id)).catch(() => s.destroy());
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

const write = (s: net.Socket, b: Buffer) => void (s.writable && s.write(b));

/** Writes `b` one byte a write, each after the last went out. */
async function byteByByte(s: net.Socket, b: Buffer): Promise<void> {
  for (let i = 0; i < b.length && s.writable; i++) {
    s.write(b.subarray(i, i + 1));
    await sleep(2);
  }
}

// ---------------------------------------------------------------- hand-picked cases

interface Case {
  name: string;
  app: Behaviour;
  /** The client POSTs this many bytes; `early`: the application answers before reading them. */
  post?: number;
  early?: boolean;
  /** What the client saw (see `outcome`). */
  expected: string;
  /**
   * haproxy 2.6.12's outcome where Loadstar's differs (the comment says why); a list: the outcomes
   * seen from run to run, any of which is haproxy's; null: haproxy's varies too widely to record.
   */
  haproxy?: string | string[] | null;
}

const psCases: Case[] = [0, 1, 2, 3, 4, 255].map((ps) => ({
  name: `END_REQUEST with protocolStatus ${ps} after a whole answer`,
  app: (s, id) => write(s, answer(id, OK, ps)),
  expected: '200 "ok"',
}));

const CASES: Case[] = [
  {
    name: 'version byte 0 on the first STDOUT (HAProxy reads no version byte)',
    app: (s, id) => write(s, Buffer.concat([rec(STDOUT, id, OK, { version: 0 }), rec(STDOUT, id), rec(END, id, endBody())])),
    expected: '200 "ok"',
  },
  {
    name: 'version byte 2 on END_REQUEST after a whole body',
    app: (s, id) => write(s, Buffer.concat([rec(STDOUT, id, OK), rec(STDOUT, id), rec(END, id, endBody(), { version: 2 })])),
    expected: '200 "ok"',
  },
  {
    name: 'unknown record types (0, 11, 99, 255) for the request before the answer',
    app: (s, id) => write(s, Buffer.concat([rec(0, id, 'x'), rec(UNKNOWN_TYPE, id, Buffer.alloc(8)), rec(99, id, 'junk'), rec(255, id), answer(id, OK)])),
    expected: '200 "ok"',
  },
  {
    name: 'UNKNOWN_TYPE and a BEGIN_REQUEST sent by the application on id 0',
    app: (s, id) => write(s, Buffer.concat([rec(UNKNOWN_TYPE, 0, Buffer.alloc(8)), rec(BEGIN, 0, Buffer.alloc(8)), answer(id, OK)])),
    expected: '200 "ok"',
  },
  {
    name: 'GET_VALUES_RESULT garbage (truncated pairs) on id 0, then the answer',
    app: (s, id) => write(s, Buffer.concat([rec(GET_VALUES_RESULT, 0, Buffer.from([0x80, 0xff, 0xff, 0xff, 5, 1, 2])), answer(id, OK)])),
    expected: '502',
  },
  {
    name: 'GET_VALUES_RESULT on the request\'s id, then the answer',
    app: (s, id) => write(s, Buffer.concat([rec(GET_VALUES_RESULT, id, pair('FCGI_MAX_REQS', '1')), answer(id, OK)])),
    expected: '200 "ok"',
  },
  {
    name: 'STDOUT contentLength 1000 with 10 bytes sent, then close',
    app: (s, id) => { write(s, rec(STDOUT, id, 'Status: 20', { length: 1000 })); s.end(); },
    expected: '502',
    // haproxy 2.6.12 does not see the application close while a record is incomplete: it waits for
    // `timeout server`. Loadstar answers 502 at the close, as for an HTTP/1.1 server closing mid-head.
    haproxy: '504',
  },
  {
    name: 'STDOUT whole head and body, its paddingLength 200 with 10 bytes of padding sent, then close',
    app: (s, id) => { write(s, Buffer.concat([rec(STDOUT, id, OK, { padding: 200 }), Buffer.alloc(10)])); s.end(); },
    expected: '502',
    // haproxy 2.6.12 does not see the application close while a record is incomplete: it waits for
    // `timeout server`. Loadstar answers 502 at the close, as for an HTTP/1.1 server closing mid-head.
    haproxy: '504',
  },
  {
    name: 'every record with 255 bytes of padding',
    app: (s, id) => write(s, Buffer.concat([rec(STDERR, id, 'warn', { pad: 255 }), rec(STDOUT, id, OK, { pad: 255 }), rec(STDOUT, id, '', { pad: 255 }), rec(END, id, endBody(), { pad: 255 })])),
    expected: '200 "ok"',
  },
  {
    name: 'STDOUT without the blank line ending the head, then END_REQUEST',
    app: (s, id) => write(s, answer(id, 'Content-Type: text/plain\r\nX-A: b\r\n')),
    expected: '502',
    // haproxy 2.6.12 aborts (a BUG_ON in its FastCGI mux, the whole process goes); Loadstar answers.
    haproxy: 'proxy exited',
  },
  {
    name: 'STDOUT without the blank line ending the head, then close',
    app: (s, id) => { write(s, rec(STDOUT, id, 'Content-Type: text/plain\r\n')); s.end(); },
    expected: '502',
    // haproxy 2.6.12 aborts (a BUG_ON in its FastCGI mux, the whole process goes); Loadstar answers.
    haproxy: 'proxy exited',
  },
  {
    name: 'a header line without a colon',
    app: (s, id) => write(s, answer(id, 'Content-Type text/plain\r\nContent-Length: 2\r\n\r\nok')),
    expected: '502',
  },
  {
    name: 'a header name with a space before the colon',
    app: (s, id) => write(s, answer(id, 'X-A : b\r\nContent-Length: 2\r\n\r\nok')),
    expected: '502',
    // haproxy parses the CGI head with its H1 parser's errors tolerated (fcgi_strm_parse_headers:
    // err_pos -1) and passes the name with its space on; Loadstar's answer goes through llhttp, which refuses it.
    haproxy: '200 "ok"',
  },
  {
    name: 'a header value with a NUL byte',
    app: (s, id) => write(s, answer(id, 'X-A: b\0c\r\nContent-Length: 2\r\n\r\nok')),
    expected: '200 "ok"',
  },
  {
    name: 'a header line starting with a space (obsolete folding)',
    app: (s, id) => write(s, answer(id, 'X-A: b\r\n c\r\nContent-Length: 2\r\n\r\nok')),
    expected: '200 "ok"',
  },
  {
    name: 'LF-only line ends',
    app: (s, id) => write(s, answer(id, 'Status: 201 Made\nContent-Length: 2\n\nok')),
    expected: '201 "ok"',
  },
  {
    name: 'no Status field: 200',
    app: (s, id) => write(s, answer(id, 'Content-Type: text/plain\r\n\r\nhello')),
    expected: '200 "hello"',
  },
  {
    name: 'Status: garbage',
    app: (s, id) => write(s, answer(id, 'Status: abc def\r\nContent-Length: 2\r\n\r\nok')),
    // Loadstar takes a Status that is not a number as none (200). haproxy writes it as the status line
    // (`HTTP/1.1 abc def`), which no client can read.
    expected: '200 "ok"',
    haproxy: 'unparsable "HTTP/1.1 abc def\\r\\ncontent-length: 2\\r\\ndat"',
  },
  {
    name: 'Status: 99',
    app: (s, id) => write(s, answer(id, 'Status: 99 Odd\r\nContent-Length: 2\r\n\r\nok')),
    expected: '502',
    // haproxy writes `HTTP/1.1 99 Odd` to the client (not a status a client reads); Loadstar refuses the answer.
    haproxy: null,
  },
  {
    name: 'Status: 1000',
    app: (s, id) => write(s, answer(id, 'Status: 1000 Big\r\nContent-Length: 2\r\n\r\nok')),
    expected: '502',
    // haproxy writes `HTTP/1.1 1000 Big` (a client reads a 100 and garbage); Loadstar refuses the answer.
    haproxy: '100+unparsable "ok"',
  },
  {
    name: 'Status: (empty)',
    app: (s, id) => write(s, answer(id, 'Status:\r\nContent-Length: 2\r\n\r\nok')),
    expected: '200 "ok"',
  },
  {
    name: 'Status: 100 and nothing after it',
    app: (s, id) => write(s, answer(id, 'Status: 100 Continue\r\n\r\n')),
    expected: '100+502',
  },
  {
    name: 'Status: 204 with a body',
    app: (s, id) => write(s, answer(id, 'Status: 204 No Content\r\n\r\nbody')),
    expected: '502',
  },
  {
    name: 'two Status fields',
    app: (s, id) => write(s, answer(id, 'Status: 201 A\r\nStatus: 202 B\r\nContent-Length: 2\r\n\r\nok')),
    expected: '202 "ok"',
  },
  {
    name: 'Location only',
    app: (s, id) => write(s, answer(id, 'Location: /elsewhere\r\n\r\n')),
    expected: '302 ""',
  },
  {
    name: 'two equal Content-Length fields',
    app: (s, id) => write(s, answer(id, 'Content-Length: 2\r\nContent-Length: 2\r\n\r\nok')),
    expected: '200 "ok"',
  },
  {
    name: 'two different Content-Length fields',
    app: (s, id) => write(s, answer(id, 'Content-Length: 2\r\nContent-Length: 3\r\n\r\nok!')),
    expected: '502',
  },
  {
    name: 'Content-Length: abc',
    app: (s, id) => write(s, answer(id, 'Content-Length: abc\r\n\r\nok')),
    expected: '502',
  },
  {
    name: 'Content-Length 10, 2 bytes of STDOUT, END_REQUEST',
    app: (s, id) => write(s, answer(id, 'Content-Length: 10\r\n\r\nok')),
    expected: 'cut after 2 B',
  },
  {
    name: 'Content-Length 2, 10 bytes of STDOUT, END_REQUEST',
    app: (s, id) => write(s, answer(id, 'Content-Length: 2\r\n\r\nokokokokok')),
    expected: '502',
  },
  {
    name: 'Transfer-Encoding: chunked in the CGI head, a plain body',
    app: (s, id) => write(s, answer(id, 'Transfer-Encoding: chunked\r\n\r\nok')),
    expected: '502',
  },
  {
    name: 'Content-Length and Transfer-Encoding: chunked in the CGI head, a chunked body',
    app: (s, id) => write(s, answer(id, 'Content-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n')),
    expected: '200 "ok"',
  },
  {
    name: 'a STDERR flood: 2,000 records of 1,000 bytes, then the answer',
    app: (s, id) => {
      const line = rec(STDERR, id, 'e'.repeat(1000));
      write(s, Buffer.concat([...Array.from({ length: 2000 }, () => line), answer(id, OK)]));
    },
    expected: '200 "ok"',
    // haproxy 2.6.12 answers 200 here alone and under load on this machine, but in one CI run its
    // process exited during this flood (2 MB of records, each logged): how the reads split decides.
    haproxy: null,
  },
  ...psCases,
  {
    name: 'END_REQUEST with a 2-byte body after a whole answer',
    app: (s, id) => write(s, Buffer.concat([rec(STDOUT, id, OK), rec(STDOUT, id), rec(END, id, Buffer.alloc(2))])),
    expected: '200 "ok"',
    // haproxy 2.6.12 aborts (a BUG_ON in its FastCGI mux, the whole process goes); Loadstar answers.
    haproxy: 'proxy exited',
  },
  {
    name: 'END_REQUEST alone',
    app: (s, id) => write(s, rec(END, id, endBody())),
    expected: '502',
    // haproxy 2.6.12 gives the stream neither an answer nor an error and waits for `timeout server`;
    // Loadstar answers 502 at once (no CGI head came before the end of the request).
    haproxy: '504',
  },
  {
    name: 'an empty STDOUT, then END_REQUEST',
    app: (s, id) => write(s, Buffer.concat([rec(STDOUT, id), rec(END, id, endBody())])),
    expected: '502',
    // haproxy 2.6.12 gives the stream neither an answer nor an error and waits for `timeout server`;
    // Loadstar answers 502 at once (no CGI head came before the end of the request).
    haproxy: '504',
  },
  {
    name: 'END_REQUEST first, then a whole answer',
    app: (s, id) => write(s, Buffer.concat([rec(END, id, endBody()), answer(id, OK)])),
    expected: '502',
    // haproxy 2.6.12 gives the stream neither an answer nor an error and waits for `timeout server`;
    // Loadstar answers 502 at once (no CGI head came before the end of the request).
    haproxy: '504',
  },
  {
    name: 'an answer for another request id, then the right one',
    app: (s, id) => write(s, Buffer.concat([answer(id + 2, 'Status: 500 Wrong\r\nContent-Length: 5\r\n\r\nwrong'), answer(id, OK)])),
    expected: '200 "ok"',
  },
  {
    name: 'an answer for another request id only (timeout server)',
    app: (s, id) => write(s, answer(id + 2, 'Status: 500 Wrong\r\nContent-Length: 5\r\n\r\nwrong')),
    expected: '504',
  },
  {
    name: 'the answer cut into one write a byte',
    app: (s, id) => byteByByte(s, Buffer.concat([rec(STDERR, id, 'w'), answer(id, 'Status: 200 OK\r\nContent-Length: 5\r\n\r\nhello')])),
    expected: '200 "hello"',
    // haproxy 2.6.12 aborts (a BUG_ON in its FastCGI mux, the whole process goes) when its reads see
    // the bytes one by one; in one CI run they arrived together and it answered. Loadstar answers.
    haproxy: ['proxy exited', '200 "hello"'],
  },
  {
    name: 'a chunked answer (no END_REQUEST with the head) cut into one write a byte',
    app: async (s, id) => {
      write(s, rec(STDOUT, id, 'Content-Type: text/plain\r\n\r\nab'));
      await sleep(20);
      await byteByByte(s, Buffer.concat([rec(STDOUT, id, 'cd'), rec(STDOUT, id), rec(END, id, endBody())]));
    },
    expected: '200 "abcd"',
  },
  {
    name: 'close in the middle of a record header',
    app: (s, id) => { write(s, rec(STDOUT, id, OK).subarray(0, 4)); s.end(); },
    expected: '502',
    // haproxy 2.6.12 does not see the application close while a record is incomplete: it waits for
    // `timeout server`. Loadstar answers 502 at the close, as for an HTTP/1.1 server closing mid-head.
    haproxy: '504',
  },
  {
    name: 'close in the middle of the body\'s record',
    app: async (s, id) => {
      write(s, rec(STDOUT, id, 'Content-Length: 10\r\n\r\nab'));
      await sleep(20);
      write(s, rec(STDOUT, id, 'cdefghij').subarray(0, 11));
      s.end();
    },
    expected: 'cut after 2 B',
  },
  {
    name: 'reset before answering',
    app: (s) => void s.resetAndDestroy(),
    expected: '502',
  },
  {
    name: 'never answers (timeout server)',
    app: () => {},
    expected: '504',
  },
  {
    name: 'a head then silence (timeout server)',
    app: (s, id) => write(s, rec(STDOUT, id, 'Content-Length: 10\r\n\r\nab')),
    expected: 'cut after 2 B',
  },
  {
    name: 'a head of 100,000 bytes',
    app: (s, id) => {
      const fields = `${'X-Big: '.padEnd(999, 'b')}\n`.repeat(100);
      const text = Buffer.from(`${fields}Content-Length: 2\r\n\r\nok`, 'latin1');
      const parts: Buffer[] = [];
      for (let at = 0; at < text.length; at += 60_000) parts.push(rec(STDOUT, id, text.subarray(at, at + 60_000)));
      write(s, Buffer.concat([...parts, rec(STDOUT, id), rec(END, id, endBody())]));
    },
    expected: '502',
  },
  {
    name: 'a head that never ends: 2 MB of header lines in records of 100 bytes',
    app: async (s, id) => {
      const line = rec(STDOUT, id, `X-A: ${'a'.repeat(93)}\r\n`);
      for (let i = 0; i < 20 && s.writable; i++) {
        s.write(Buffer.concat(Array.from({ length: 1000 }, () => line)));
        await sleep(5);
      }
      write(s, rec(STDOUT, id, '\r\nok'));
      write(s, rec(END, id, endBody()));
    },
    expected: '502',
  },
  {
    name: 'an answer and a close before the request body (1 MB) was read',
    post: 1_000_000,
    early: true,
    app: (s, id) => { write(s, answer(id, OK)); s.end(); },
    expected: '200 "ok"',
  },
  {
    name: 'an answer before the request body (1 MB) was read, the connection kept',
    post: 1_000_000,
    early: true,
    app: (s, id) => write(s, answer(id, OK)),
    expected: '200 "ok"',
  },
  {
    name: 'a reset before the request body (1 MB) was read',
    post: 1_000_000,
    early: true,
    app: (s) => void s.resetAndDestroy(),
    expected: '502',
    // haproxy answers 502 too, but on a loaded machine its close reaches the client, still sending the body,
    // before the answer is read ('closed, no answer'): seen once in a full run.
    haproxy: null,
  },
  {
    name: 'garbage after END_REQUEST (the connection is not reused)',
    app: (s, id) => write(s, Buffer.concat([answer(id, OK), Buffer.from('HTTP/1.1 200 OK\r\n\r\n\0\0junk')])),
    expected: '200 "ok"',
  },
];

// ---------------------------------------------------------------- random mutations

/** The valid answer the mutations start from, as records. */
function validRecords(id: number): Buffer[] {
  return [
    rec(STDERR, id, 'warning: fuzz'),
    rec(STDOUT, id, 'Status: 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhe'),
    rec(STDOUT, id, 'llo'),
    rec(STDOUT, id),
    rec(END, id, endBody()),
  ];
}

/** The N-th mutated answer (the same bytes for both proxies) and where its writes are cut; the application closes soon after. */
function mutation(n: number, id: number): { bytes: Buffer; cuts: number[]; ops: string[] } {
  const rnd = prng(SEED * 100_003 + n);
  const int = (k: number) => Math.floor(rnd() * k);
  const records = validRecords(id);
  const ops: string[] = [];
  let truncate: number | undefined;
  for (let k = 1 + int(3); k > 0; k--) {
    switch (int(7)) {
      case 0: {
        const r = int(records.length);
        const b = Buffer.from(records[r]!);
        const at = int(b.length);
        const bit = int(8);
        b[at]! ^= 1 << bit;
        records[r] = b;
        ops.push(`flip bit ${bit} of byte ${at} of record ${r}`);
        break;
      }
      case 1: {
        const r = int(records.length);
        const b = Buffer.from(records[r]!);
        const field = [0, 1, 2, 3, 4, 5, 6][int(7)]!;
        b[field] = int(256);
        records[r] = b;
        ops.push(`header byte ${field} of record ${r} set to ${b[field]}`);
        break;
      }
      case 2: {
        const r = int(records.length + 1);
        const type = int(13);
        const rid = [0, id, id + 2, 1, 0xffff][int(5)]!;
        const body = Buffer.from(Array.from({ length: int(24) }, () => int(256)));
        records.splice(r, 0, rec(type, rid, body, { pad: int(3) === 0 ? int(256) : 0 }));
        ops.push(`insert a record of type ${type}, id ${rid}, ${body.length} B at ${r}`);
        break;
      }
      case 3: {
        const r = int(records.length);
        records.splice(r, 0, records[r]!);
        ops.push(`duplicate record ${r}`);
        break;
      }
      case 4: {
        const r = int(records.length);
        records.splice(r, 1);
        ops.push(`drop record ${r}`);
        break;
      }
      case 5: {
        const r = int(records.length);
        const b = Buffer.from(records[r]!);
        b.writeUInt16BE([0, id + 2, 0xffff][int(3)]!, 2);
        records[r] = b;
        ops.push(`record ${r} relabelled to id ${b.readUInt16BE(2)}`);
        break;
      }
      default:
        truncate = -1;
    }
  }
  let bytes = Buffer.concat(records);
  if (truncate !== undefined) {
    const at = int(bytes.length);
    bytes = bytes.subarray(0, at);
    ops.push(`truncate at ${at}`);
  }
  const cuts = Array.from({ length: int(4) }, () => int(bytes.length)).sort((a, b) => a - b);
  if (cuts.length > 0) ops.push(`writes cut at ${cuts.join(', ')}`);
  return { bytes, cuts, ops };
}

const fuzzBehaviour = (n: number): Behaviour => async (s, id) => {
  const { bytes, cuts } = mutation(n, id);
  let from = 0;
  for (const at of [...cuts, bytes.length]) {
    write(s, bytes.subarray(from, at));
    from = at;
    await sleep(3);
  }
  // The application goes away soon after: nothing waits for `timeout server`.
  await sleep(60);
  s.end();
};

// ---------------------------------------------------------------- the proxies

function route(uri: string): Behaviour {
  if (uri.startsWith('/h/') || uri.startsWith('/e/')) {
    const c = CASES[Number(uri.slice(3))];
    if (c) return c.app;
  }
  if (uri.startsWith('/r/')) return fuzzBehaviour(Number(uri.slice(3)));
  return (s, id) => write(s, answer(id, OK));
}

/** The port of the HTTP/2 frontend beside frontend `f` on a port (taken with it). */
const h2Ports = new Map<number, number>();

async function ports(): Promise<[number, number]> {
  const [port, alivePort, h2Port] = [await freePort(), await freePort(), await freePort()];
  h2Ports.set(port, h2Port);
  return [port, alivePort];
}

/** An HTTP/2 client's view (a GET): `h2: NNN "body"`, `h2: NNN cut after N B` (a reset or a close before the end), or how it failed. */
async function h2Outcome(port: number, path: string): Promise<string> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  try {
    return await new Promise<string>((resolve) => {
      const stream = session.request({ ':path': path, ':authority': 'app.example' });
      let status = 0;
      let body = '';
      let ended = false;
      const timer = setTimeout(() => stream.close(), 4000);
      stream.on('response', (h) => (status = Number(h[':status'])));
      stream.on('data', (d: Buffer) => (body += d.toString('latin1')));
      stream.on('end', () => (ended = true));
      stream.on('error', () => {});
      stream.on('close', () => {
        clearTimeout(timer);
        if (status === 0) return resolve(`h2: no answer${stream.rstCode ? ` (RST_STREAM ${stream.rstCode})` : ''}`);
        if (status >= 500) return resolve(`h2: ${status}`);
        resolve(`h2: ${status} ${ended ? JSON.stringify(body.slice(0, 60)) : `cut after ${body.length} B`}`);
      });
    });
  } finally {
    session.destroy();
  }
}

/** Hostile cases through backend `b`; the check of a normal request through `alive`, another server (its own connections). */
function config(port: number, alivePort: number, app: number): string {
  // HTTP/2 clients (prior knowledge) on the port after `port`'s frontend's: see h2Port.
  return `global
    nbthread 1
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 500ms
frontend f
    bind 127.0.0.1:${port}
    default_backend b
frontend alive
    bind 127.0.0.1:${alivePort}
    default_backend alive
frontend f2
    bind 127.0.0.1:${h2Ports.get(port)} proto h2
    default_backend b
backend b
    use-fcgi-app app
    server s 127.0.0.1:${app} proto fcgi
backend alive
    use-fcgi-app app
    server s 127.0.0.1:${app} proto fcgi
fcgi-app app
    docroot /var/www
`;
}

/** A client's view of one exchange: `NNN "body"`, `NNN cut after N B`, or `closed, no answer`; `post` bytes of body sent. */
async function outcome(port: number, path: string, post?: number, kind: 'GET' | 'HEAD' | 'HTTP/1.0' = 'GET'): Promise<string> {
  const raw = await new Promise<Buffer>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), 4000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks)); });
    socket.on('error', () => {});
    socket.on('connect', () => {
      if (kind === 'HTTP/1.0') return void socket.write(`GET ${path} HTTP/1.0\r\nHost: app.example\r\n\r\n`);
      if (post === undefined) return void socket.write(`${kind} ${path} HTTP/1.1\r\nHost: app.example\r\nConnection: close\r\n\r\n`);
      socket.write(`POST ${path} HTTP/1.1\r\nHost: app.example\r\nContent-Length: ${post}\r\nConnection: close\r\n\r\n`);
      socket.write(Buffer.alloc(post, 'p'));
    });
  });
  const text = raw.toString('latin1');
  // An answer to HEAD has no body: its head is all there is to see.
  if (kind === 'HEAD') return text === '' ? 'closed, no answer' : `HEAD: ${/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 'unparsable'}${text.includes('\r\n\r\n') ? '' : ', head cut'}${/\r\n\r\n./s.test(text) ? ', bytes after the head' : ''}`;
  return describe(text);
}

function describe(all: string): string {
  if (all === '') return 'closed, no answer';
  // Interim answers first, as `100+`.
  let interim = '';
  let raw = all;
  for (let m = /^HTTP\/1\.[01] (1\d\d)[^\r]*\r\n(?:[^\r]+\r\n)*\r\n/.exec(raw); m; m = /^HTTP\/1\.[01] (1\d\d)[^\r]*\r\n(?:[^\r]+\r\n)*\r\n/.exec(raw)) {
    interim += `${m[1]}+`;
    raw = raw.slice(m[0].length);
  }
  return interim + (raw === '' && interim ? 'closed' : final(raw));
}

function final(raw: string): string {
  const end = raw.indexOf('\r\n\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
  if (end < 0 || !m) return `unparsable ${JSON.stringify(raw.slice(0, 40))}`;
  const status = m[1]!;
  // haproxy's and Loadstar's error pages differ: the status says it.
  if (Number(status) >= 500) return status;
  const head = raw.slice(0, end);
  let body = raw.slice(end + 4);
  const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
    let out = '';
    let at = 0;
    for (let guard = 0; guard < 10_000; guard++) {
      const eol = body.indexOf('\r\n', at);
      if (eol < 0) return `${status} cut after ${out.length} B`;
      const size = parseInt(body.slice(at, eol), 16);
      if (Number.isNaN(size)) return `${status} bad chunk`;
      if (size === 0) return body.indexOf('\r\n\r\n', eol - 2) >= 0 ? `${status} ${JSON.stringify(out)}` : `${status} cut after ${out.length} B`;
      if (body.length < eol + 2 + size + 2) return `${status} cut after ${out.length + Math.max(0, body.length - eol - 2)} B`;
      out += body.slice(eol + 2, eol + 2 + size);
      at = eol + 2 + size + 2;
    }
    return `${status} too many chunks`;
  }
  if (cl) {
    if (body.length < Number(cl[1])) return `cut after ${body.length} B`;
    body = body.slice(0, Number(cl[1]));
  }
  return `${status} ${JSON.stringify(body.slice(0, 60))}`;
}

interface Target {
  port: number;
  alivePort: number;
  /** Whether the proxy still runs (haproxy may abort on a BUG_ON). */
  alive(): boolean;
}

/** One hand-picked case: the client's outcome, or `proxy exited`. */
async function runCase(t: Target, i: number): Promise<string> {
  const c = CASES[i]!;
  const o = await outcome(t.port, `/${c.early ? 'e' : 'h'}/${i}`, c.post);
  await sleep(30);
  return t.alive() ? o : 'proxy exited';
}

let loadstar: LoadstarProcess | undefined;
let app: App | undefined;
let target: Target | undefined;
/** haproxy's run of the hand-picked cases starts with the suite and goes on beside Loadstar's (its own process and application). */
let replay: Promise<string[] | Error> | undefined;

async function startLoadstarTarget(appPort: number): Promise<Target> {
  const [port, alivePort] = await ports();
  loadstar = await startLoadstar(config(port, alivePort, appPort), alivePort);
  return { port, alivePort, alive: () => loadstar!.alive() };
}

/** Runs `each` for every case through haproxy with its own application; restarted if it exits. */
async function throughHaproxy(names: string[], each: (t: Target, i: number) => Promise<string>): Promise<string[]> {
  const a = await startApp(route);
  const [port, alivePort] = await ports();
  try {
    return await throughRestartingHaproxy(config(port, alivePort, a.port), alivePort, names.length, (i, alive) => each({ port, alivePort, alive }, i));
  } finally {
    await a.close();
  }
}

before(async () => {
  if (haproxyPath && !process.env.FCGI_PROBE) replay = throughHaproxy(CASES.map((c) => c.name), runCase).catch((e: Error) => e);
  app = await startApp(route);
  target = await startLoadstarTarget(app.port);
});

after(async () => {
  await loadstar?.stop();
  await app?.close();
  await replay;
});

/** Loadstar still runs and answers a normal request. */
async function stillServing(): Promise<void> {
  assert.ok(loadstar!.alive(), `loadstar exited:\n${loadstar!.output().slice(-3000)}`);
  assert.equal(await outcome(target!.alivePort, '/ok'), '200 "ok"');
}

if (process.env.FCGI_PROBE) {
  test('probe: both proxies, every hand-picked case', { timeout: 600_000 }, async () => {
    const theirs = haproxyPath ? await throughHaproxy(CASES.map((c) => c.name), runCase) : [];
    for (const [i, c] of CASES.entries()) {
      const mine = await runCase(target!, i);
      if (!loadstar!.alive()) target = await startLoadstarTarget(app!.port);
      const h = theirs[i] ?? '(no haproxy)';
      process.stdout.write(`\n## ${c.name}${mine === h ? ' (same)' : ''}\nloadstar: ${JSON.stringify(mine)}\n${mine === h ? '' : `haproxy:  ${JSON.stringify(h)}\n`}`);
    }
  });
} else {
  for (const [i, c] of CASES.entries()) {
    test(c.name, async () => {
      assert.equal(await runCase(target!, i), c.expected);
      await stillServing();
    });
  }

  test('the recorded outcomes are still what haproxy 2.6 does', { timeout: 120_000 }, async (t) => {
    if (!requireHaproxy(t)) return;
    const results = await replay!;
    if (results instanceof Error) throw results;
    for (const [i, c] of CASES.entries()) {
      if (c.haproxy === null) continue;
      const seen = [c.haproxy ?? c.expected].flat();
      assert.ok(seen.includes(results[i]!), `${c.name}: haproxy gave ${JSON.stringify(results[i])}, recorded ${JSON.stringify(seen)}`);
    }
  });

  test('health checks through FastCGI (option httpchk) get every hand-picked answer in turn and never take Loadstar down', { timeout: 60_000 }, async () => {
    let checks = 0;
    // Each check request gets the next hand-picked answer, then mutated ones.
    const a = await startApp((uri) => (uri === '/chk' ? (checks++ < CASES.length ? CASES[checks - 1]!.app : fuzzBehaviour(checks)) : route(uri)));
    const port = await freePort();
    const l = await startLoadstar(`global
    nbthread 1
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 1s
    timeout check 300ms
frontend f
    bind 127.0.0.1:${port}
    default_backend b
backend b
    use-fcgi-app app
    option httpchk GET /chk
    server s 127.0.0.1:${a.port} proto fcgi check inter 20ms fall 1000 rise 1
fcgi-app app
    docroot /var/www
`, port);
    try {
      const deadline = Date.now() + 40_000;
      while (checks < CASES.length + 30 && Date.now() < deadline && l.alive()) await sleep(100);
      assert.ok(l.alive(), `loadstar exited:\n${l.output().slice(-3000)}`);
      assert.ok(checks >= CASES.length + 30, `only ${checks} checks in 40 s`);
    } finally {
      await l.stop();
      await a.close();
    }
  });

  test(`${COUNT} seeded mutations of a valid answer never take Loadstar down (seed ${SEED})`, { timeout: 120_000 }, async () => {
    const names = Array.from({ length: COUNT }, (_, n) => `#${n}`);
    const fuzzOne = async (t: Target, n: number) => {
      // Each fifth a HEAD, a POST with a body, an HTTP/1.0 GET (the answer then ends with the connection), an HTTP/2 GET.
      const o = n % 5 === 4 ? await h2Outcome(h2Ports.get(t.port)!, `/r/${n}`) : await outcome(t.port, `/r/${n}`, n % 5 === 2 ? 100 : undefined, n % 5 === 1 ? 'HEAD' : n % 5 === 3 ? 'HTTP/1.0' : 'GET');
      if (o === 'closed, no answer') await sleep(30);
      return t.alive() ? o : 'proxy exited';
    };
    const theirs = haproxyPath ? throughHaproxy(names, fuzzOne).catch((e: Error) => e) : Promise.resolve([] as string[]);
    const mine: string[] = [];
    const failures: string[] = [];
    for (let n = 0; n < COUNT; n++) {
      mine.push(await fuzzOne(target!, n));
      const alive = loadstar!.alive() ? await outcome(target!.alivePort, '/ok') : 'exited';
      if (alive !== '200 "ok"') {
        failures.push(`#${n} (${mutation(n, 1).ops.join('; ')}): then ${alive}\n${loadstar!.output().slice(-1500)}`);
        if (!loadstar!.alive()) target = await startLoadstarTarget(app!.port);
      }
    }
    const h = await theirs;
    const matrix = new Map<string, number>();
    const differ: string[] = [];
    for (let n = 0; n < COUNT; n++) {
      const hx = h instanceof Error ? 'haproxy failed' : (h[n] ?? '(no haproxy)');
      const key = `${hx} | ${mine[n]}`;
      matrix.set(key, (matrix.get(key) ?? 0) + 1);
      if (hx !== mine[n] && differ.length < 40) differ.push(`| #${n} | ${cell(mutation(n, 1).ops.join('; '))} | ${cell(hx)} | ${cell(mine[n]!)} |`);
    }
    writeReport('fcgi-fuzz.md', `# Hostile FastCGI answers: haproxy 2.6 vs Loadstar

Generated by test/reliability/fcgi-hostility.test.ts: ${COUNT} mutations (seed ${SEED}) of a valid answer
(STDERR, STDOUT head and body in two records, empty STDOUT, END_REQUEST), ${new Date().toISOString()}.
Loadstar failures (crash or no normal answer afterwards): ${failures.length}.

## Outcomes (haproxy | Loadstar)

| haproxy \\| Loadstar | mutations |
|---|---|
${[...matrix].sort((a, b) => b[1] - a[1]).map(([k, v]) => `| ${cell(k)} | ${v} |`).join('\n')}

## Where they differ (first 40; the mutation as done on request id 1)

| case | mutation | haproxy | Loadstar |
|---|---|---|---|
${differ.join('\n')}
`);
    assert.deepEqual(failures, []);
  });
}
