/**
 * The bytes a client sends between two HTTP/1 requests, or before its first. HAProxy's H1 parser
 * (h1_headers_to_hdr_list, states H1_MSG_RQBEFORE and RQBEFORE_CR) skips empty lines there, CRLF
 * or a bare LF, and refuses a CR that no LF follows: `\rGET / HTTP/1.1` is a 400. llhttp skips any
 * CR and LF, so Loadstar served such a request where HAProxy refuses it.
 *
 * llhttp still frames every message; these functions only look at the skipped bytes, which
 * client.ts finds where it can without copying each read on the hot path.
 */

const CR = 13;
const LF = 10;

/**
 * What the empty-line bytes from a position hold: nothing wrong before the message's first byte
 * ('ok'), nothing wrong up to the read's end ('empty'), a CR with no LF after it, or a CR that
 * ends the read (its LF may come next).
 */
export type Gap = 'ok' | 'empty' | 'bare-cr' | 'open-cr';

/**
 * Reads the CR/LF run of `read` from `at` up to the first other byte (or the read's end).
 * `openCr`: the previous read ended with a CR of this run, waiting for its LF.
 */
export function scanGap(read: Uint8Array, at: number, openCr = false): Gap {
  if (openCr && at < read.length && read[at] !== LF) return 'bare-cr';
  for (let i = at; i < read.length; i++) {
    const b = read[i];
    if (b === CR) {
      if (i + 1 === read.length) return 'open-cr';
      if (read[i + 1] !== LF) return 'bare-cr';
    } else if (b !== LF) {
      return 'ok';
    }
  }
  return 'empty';
}

/**
 * Where the bytes of `count` requests end, the read beginning with the first of them (its empty
 * lines first): each is its head, up to its empty line (CRLF or a bare LF), and its body (its
 * Content-Length, or its chunks and trailers). -1 when the read does not hold them whole. llhttp
 * framed and accepted these requests already: this only finds where they end again, on the rare
 * path of a request after others in one read.
 */
export function afterRequests(read: Uint8Array, count: number): number {
  let at = 0;
  for (let n = 0; n < count; n++) {
    while (at < read.length && (read[at] === CR || read[at] === LF)) at++;
    let body = 0;
    let chunked = false;
    for (;;) {
      const line = nextLine(read, at);
      if (!line) return -1;
      at = line.end;
      if (line.text === '') break;
      const colon = line.text.indexOf(':');
      const name = colon > 0 ? line.text.slice(0, colon).toLowerCase() : '';
      if (name === 'transfer-encoding') chunked = true;
      else if (name === 'content-length') body = Number.parseInt(line.text.slice(colon + 1).trim(), 10) || 0;
    }
    at = chunked ? afterChunks(read, at) : at + body;
    if (at < 0 || at > read.length) return -1;
  }
  return at;
}

/** Where a chunked body that begins at `at` ends (after its trailers' empty line), or -1. */
function afterChunks(read: Uint8Array, at: number): number {
  for (;;) {
    const sizeLine = nextLine(read, at);
    if (!sizeLine) return -1;
    at = sizeLine.end;
    const size = Number.parseInt(sizeLine.text, 16);
    if (!(size > 0)) break;
    at += size;
    if (read[at] === CR) at++;
    if (read[at] === LF) at++;
  }
  for (;;) {
    const trailer = nextLine(read, at);
    if (!trailer) return -1;
    at = trailer.end;
    if (trailer.text === '') return at;
  }
}

/** The line of `read` at `at` without its CRLF or LF, and where the next begins; undefined when no LF follows. */
function nextLine(read: Uint8Array, at: number): { text: string; end: number } | undefined {
  const lf = read.indexOf(LF, at);
  if (lf < 0) return undefined;
  const end = lf > at && read[lf - 1] === CR ? lf - 1 : lf;
  return { text: end > at ? Buffer.from(read.buffer, read.byteOffset + at, end - at).toString('latin1') : '', end: lf + 1 };
}

/**
 * Where the line after a status line begins with a space or a tab (an obs-fold with no field
 * before it), else -1. HAProxy's H1 parser reads that line's first byte as a field name's and
 * refuses the head (a 502); llhttp, lenient with responses, takes the line as a field. Only the
 * read the status line is in is looked at (a status line is short; a server splitting it there
 * is not checked).
 */
export function foldAfterStatusLine(read: Uint8Array): number {
  const last = Math.min(read.length - 1, 1024);
  for (let i = 0; i < last; i++) {
    if (read[i] !== LF) continue;
    const next = read[i + 1];
    return next === 32 || next === 9 ? i + 1 : -1;
  }
  return -1;
}
