/**
 * The head of an answer Loadstar built itself (rules, error pages, errorfiles), opened for the
 * http-after-response rules, which HAProxy runs on every answer, its own included.
 */
import type { ResponseHead } from './upstream.ts';
import { serializeHead, contentLengthDigits, chunkSizeLine } from './headers.ts';

/** An answer after the http-after-response rules. */
export interface RewrittenAnswer {
  /**
   * The answer to send; undefined when its body is longer than the Content-Length the rules left:
   * HAProxy's H1 mux then sends nothing of it ("too much payload") and the connection closes.
   */
  readonly answer: Buffer | undefined;
  /** The rules left both a length and chunks: the connection closes after it (HAProxy's "T-E + C-L"). */
  readonly close: boolean;
  /** The answer as the rules left it, before its body is framed again: what HAProxy's HTX holds and its logs count. */
  readonly counted: Buffer;
}

/** The framing an answer's fields say: the first valid length (digits), whether chunked. */
interface Framing { length: string | undefined; chunked: boolean }

function framingOf(headers: readonly string[]): Framing {
  const framing: Framing = { length: undefined, chunked: false };
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!.toLowerCase();
    if (name === 'transfer-encoding') framing.chunked = true;
    else if (name === 'content-length') framing.length ??= contentLengthDigits(headers[i + 1]!, framing.length);
  }
  return framing;
}

/**
 * Runs `edit` on the head of `answer` (a complete HTTP/1.1 response) and rebuilds it. The body is
 * kept as is, unless the rules changed its framing fields: then it goes out as HAProxy's H1 mux
 * frames it (the server's answers get the same in transaction.ts): a length that is not one, or a
 * second one that differs, is left out; chunked when the fields say so or say no length any more
 * (an HTTP/1.1 answer's length is known); nothing past a shorter length. `bodyless`: an answer to
 * HEAD, a 204 or a 304, whose body is not sent.
 */
export function rewriteAnswerHead(answer: Buffer, edit: (head: ResponseHead) => void, bodyless = false): RewrittenAnswer {
  const end = answer.indexOf('\r\n\r\n');
  if (end < 0) return { answer, close: false, counted: answer }; // not a head Loadstar can read (a malformed errorfile): sent as it is
  const lines = answer.toString('latin1', 0, end).split('\r\n');
  const start = /^HTTP\/(\d)\.(\d) (\d{3})(?: (.*))?$/.exec(lines[0]!);
  if (!start) return { answer, close: false, counted: answer };
  const headers: string[] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.push(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const head: ResponseHead = {
    status: Number(start[3]), reason: start[4] ?? '', versionMajor: Number(start[1]), versionMinor: Number(start[2]),
    headers, keepAlive: true, upgrade: false,
  };
  const before = framingOf(headers);
  edit(head);
  const body = answer.subarray(end + 4);
  const startLine = `HTTP/${head.versionMajor}.${head.versionMinor} ${head.status} ${head.reason}`;
  const counted = Buffer.concat([Buffer.from(serializeHead(startLine, head.headers), 'latin1'), body]);
  const after = framingOf(head.headers);
  const noBody = bodyless || head.status === 204 || head.status === 304;
  if ((after.length === before.length && after.chunked === before.chunked) || noBody) return { answer: counted, close: false, counted };
  const fields = framedFields(head.headers);
  if (after.length !== undefined && body.length > Number(after.length)) return { answer: undefined, close: true, counted };
  let framed = body;
  const http11 = head.versionMajor === 1 && head.versionMinor === 1;
  if (after.chunked || (after.length === undefined && before.length !== undefined && http11)) {
    if (!after.chunked) fields.push('transfer-encoding', 'chunked');
    const size = body.length > 0 ? chunkSizeLine(body.length) : '';
    framed = Buffer.concat([Buffer.from(size, 'latin1'), body, Buffer.from(body.length > 0 ? '\r\n0\r\n\r\n' : '0\r\n\r\n', 'latin1')]);
  }
  const answerOut = Buffer.concat([Buffer.from(serializeHead(startLine, fields), 'latin1'), framed]);
  return { answer: answerOut, close: after.length !== undefined && after.chunked, counted };
}

/** The fields with each Content-Length as HAProxy's H1 mux writes it: its digits, or left out when it is not a length or differs from the first. */
function framedFields(headers: readonly string[]): string[] {
  const out: string[] = [];
  let length: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    let value = headers[i + 1]!;
    if (headers[i]!.toLowerCase() === 'content-length') {
      const digits = contentLengthDigits(value, length);
      if (digits === undefined) continue;
      length ??= digits;
      value = digits;
    }
    out.push(headers[i]!, value);
  }
  return out;
}
