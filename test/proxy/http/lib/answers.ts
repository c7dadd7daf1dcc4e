/** Answers as they appear in the recorded transcripts: HAProxy 2.6's error pages, and a small 200. */

/** A 200 with the body `ok` (as a server writes it; `OK_RELAYED` is the same after the H1 mux). */
export const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
export const OK_RELAYED = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';

const PAGES: Record<number, [reason: string, text: string]> = {
  400: ['Bad request', 'Your browser sent an invalid request.'],
  403: ['Forbidden', 'Request forbidden by administrative rules.'],
  408: ['Request Time-out', "Your browser didn't send a complete request in time."],
  413: ['Payload Too Large', 'The request entity exceeds the maximum allowed.'],
  422: ['Unprocessable Content', 'The server cannot process the contained instructions.'],
  502: ['Bad Gateway', 'The server returned an invalid or incomplete response.'],
  504: ['Gateway Time-out', "The server didn't respond in time."],
};

function page(status: number): { start: string; body: string } {
  const [reason, text] = PAGES[status]!;
  return { start: `HTTP/1.1 ${status} ${reason}`, body: `<html><body><h1>${status} ${reason}</h1>\n${text}\n</body></html>\n` };
}

/** HAProxy's error page for `status` as the H1 mux sends it (names in lower case), `extra` header lines last. */
export function errorPage(status: number, extra = ''): string {
  const { start, body } = page(status);
  return `${start}\r\ncontent-length: ${body.length}\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n${extra}\r\n${body}`;
}

/** The H1 mux's own raw answer for `status` (names in mixed case, `Connection: close` unless `close` is false). */
export function rawErrorPage(status: number, close = true): string {
  const { start, body } = page(status);
  return `${start}\r\nContent-length: ${body.length}\r\nCache-Control: no-cache\r\n${close ? 'Connection: close\r\n' : ''}Content-Type: text/html\r\n\r\n${body}`;
}

/** The fields `<prefix><i>: <value>` for i from 0 to count - 1, each with its CRLF. */
export const fields = (prefix: string, count: number, value: string): string =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}: ${value}\r\n`).join('');
