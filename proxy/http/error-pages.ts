/**
 * The answers Loadstar itself gives (503 no server, 504 timeout …), worded and
 * framed like HAProxy 2.6's built-in pages so clients and monitors that know
 * HAProxy see the same thing; `errorfile` replaces them with a file holding a
 * complete HTTP response.
 */
import { splitMessage } from '../config/errorfile-message.ts';
import type { ErrorPage } from '../config/model.ts';
import { compileTxFormat } from './samples.ts';
import type { HttpTransaction } from './transaction.ts';
import { readNamedFileOrThrow } from '../config/named-file.ts';

interface Page {
  reason: string;
  message: string;
  /** HAProxy closes the client connection after these (the request stream is unusable). */
  close: boolean;
}

const PAGES: Record<number, Page> = {
  200: { reason: 'OK', message: 'Service ready.', close: false },
  400: { reason: 'Bad request', message: 'Your browser sent an invalid request.', close: true },
  401: { reason: 'Unauthorized', message: 'You need a valid user and password to access this content.', close: false },
  403: { reason: 'Forbidden', message: 'Request forbidden by administrative rules.', close: false },
  404: { reason: 'Not Found', message: 'The resource could not be found.', close: false },
  405: { reason: 'Method Not Allowed', message: 'A request was made of a resource using a request method not supported by that resource', close: false },
  407: { reason: 'Unauthorized', message: 'You need a valid user and password to access this content.', close: false },
  408: { reason: 'Request Time-out', message: "Your browser didn't send a complete request in time.", close: true },
  410: { reason: 'Gone', message: 'The resource is no longer available and will not be available again.', close: false },
  413: { reason: 'Payload Too Large', message: 'The request entity exceeds the maximum allowed.', close: false },
  425: { reason: 'Too Early', message: 'Your browser sent early data.', close: false },
  422: { reason: 'Unprocessable Content', message: 'The server cannot process the contained instructions.', close: false },
  429: { reason: 'Too Many Requests', message: 'You have sent too many requests in a given amount of time.', close: false },
  500: { reason: 'Internal Server Error', message: 'An internal server error occurred.', close: false },
  501: { reason: 'Not Implemented', message: '.The server does not support the functionality required to fulfill the request.', close: false },
  502: { reason: 'Bad Gateway', message: 'The server returned an invalid or incomplete response.', close: false },
  503: { reason: 'Service Unavailable', message: 'No server is available to handle this request.', close: false },
  504: { reason: 'Gateway Time-out', message: "The server didn't respond in time.", close: false },
};

/** Reason phrases for statuses Loadstar emits without a page (deny_status, return status). */
const REASONS: Record<number, string> = {
  201: 'Created', 202: 'Accepted', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other',
  304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect', 409: 'Conflict', 411: 'Length Required',
  412: 'Precondition Failed', 414: 'URI Too Long', 415: 'Unsupported Media Type', 418: "I'm a teapot", 421: 'Misdirected Request',
  422: 'Unprocessable Content', 451: 'Unavailable For Legal Reasons', 505: 'HTTP Version Not Supported',
};

/**
 * The reason phrase of an answer HAProxy builds from a status (return, deny without a page,
 * set-status, http-error): its http_get_reason table, which differs from its pages' own words
 * (400 "Bad Request" here, "Bad request" on the page) and from the redirects' (302 "Found").
 */
export function replyReason(status: number): string {
  return REPLY_REASONS[status] ?? (status < 200 ? 'Informational' : status < 300 ? 'Success' : status < 400 ? 'Redirection' : status < 500 ? 'Client Error' : 'Server Error');
}

const REPLY_REASONS: Record<number, string> = {
  100: 'Continue', 101: 'Switching Protocols', 102: 'Processing', 200: 'OK', 201: 'Created', 202: 'Accepted',
  203: 'Non-Authoritative Information', 204: 'No Content', 205: 'Reset Content', 206: 'Partial Content', 207: 'Multi-Status',
  210: 'Content Different', 226: 'IM Used', 300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Moved Temporarily',
  303: 'See Other', 304: 'Not Modified', 305: 'Use Proxy', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  310: 'Too many Redirects', 400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required',
  408: 'Request Time-out', 409: 'Conflict', 410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed',
  413: 'Request Entity Too Large', 414: 'Request-URI Too Long', 415: 'Unsupported Media Type',
  416: 'Requested range unsatisfiable', 417: 'Expectation failed', 418: "I'm a teapot", 421: 'Misdirected Request',
  422: 'Unprocessable Content', 423: 'Locked', 424: 'Method failure', 425: 'Too Early', 426: 'Upgrade Required',
  428: 'Precondition Required', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 449: 'Retry With',
  450: 'Blocked by Windows Parental Controls', 451: 'Unavailable For Legal Reasons', 456: 'Unrecoverable Error',
  499: 'client has closed connection', 500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway or Proxy Error',
  503: 'Service Unavailable', 504: 'Gateway Time-out', 505: 'HTTP Version not supported', 506: 'Variant also negotiate',
  507: 'Insufficient storage', 508: 'Loop detected', 509: 'Bandwidth Limit Exceeded', 510: 'Not extended',
  511: 'Network authentication required', 520: 'Web server is returning an unknown error',
};

/** HAProxy has a built-in page (and `errorfile` may replace it) for this status. */
export function hasBuiltinPage(status: number): boolean {
  return PAGES[status] !== undefined;
}

export function reasonPhrase(status: number): string {
  return PAGES[status]?.reason ?? REASONS[status] ?? (status < 300 ? 'OK' : status < 400 ? 'Redirect' : status < 500 ? 'Client Error' : 'Server Error');
}

/** A complete HTTP/1.1 response, ready to write to a client socket. */
export function builtinResponse(status: number): Buffer {
  const page = PAGES[status];
  const body = `<html><body><h1>${status} ${reasonPhrase(status)}</h1>\n${page?.message ?? reasonPhrase(status)}\n</body></html>\n`;
  return Buffer.from(
    `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    'cache-control: no-cache\r\n' +
    'content-type: text/html\r\n' +
    // Last, where HAProxy's H1 mux writes it.
    (page?.close ? 'connection: close\r\n' : '') + '\r\n' + body,
  );
}

/**
 * The answer to a request the H1 mux itself refuses (a parse error, `timeout http-request`): HAProxy
 * 2.6 writes its built-in message raw (http_err_msgs), not through HTX, so these names keep their
 * case and Connection comes before Content-Type, in the messages that close (400, 408; its 422 has
 * none). The answers of rules and of the stream (deny_status 400, 503 …) are builtinResponse's, in
 * lower case.
 */
export function protocolErrorResponse(status: number): Buffer {
  const page = PAGES[status];
  const body = `<html><body><h1>${status} ${reasonPhrase(status)}</h1>\n${page?.message ?? reasonPhrase(status)}\n</body></html>\n`;
  return Buffer.from(
    `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nContent-length: ${Buffer.byteLength(body)}\r\nCache-Control: no-cache\r\n` +
    `${page?.close ? 'Connection: close\r\n' : ''}Content-Type: text/html\r\n\r\n${body}`,
  );
}

/** Whether HAProxy closes the client connection after answering this status itself. */
export function closesConnection(status: number): boolean {
  return PAGES[status]?.close ?? false;
}

/**
 * An errorfile's answer as HAProxy 2.6 sends it: the file is parsed into HTX once, at load, and its
 * H1 mux writes it back — header names in lower case, the file's Connection header replaced by its
 * own, last: `connection: close` when the message ends with the connection (no Content-Length, or
 * `Connection: close`), which an HTTP/1.0 status line says without a header. Lone LFs are accepted,
 * as HAProxy does. An empty file (`/dev/null`) gives an empty answer: the connection closes.
 */
export function errorMessage(raw: Buffer): Buffer {
  const m = splitMessage(raw);
  if (!m) return Buffer.alloc(0);
  let close = !m.headers.some((h) => h.name === 'content-length');
  for (const h of m.headers) if (h.name === 'connection' && /(^|,)\s*close\s*(,|$)/i.test(h.value)) close = true;
  const http10 = m.statusLine.startsWith('HTTP/1.0');
  const head = m.headers.filter((h) => h.name !== 'connection').map((h) => `${h.name}: ${h.value}\r\n`).join('');
  const connection = close && !http10 ? 'connection: close\r\n' : '';
  return Buffer.concat([Buffer.from(`${m.statusLine}\r\n${head}${connection}\r\n`, 'latin1'), m.body]);
}

/** Reads an errorfile (see errorMessage). */
export function loadErrorFile(path: string): Buffer {
  return errorMessage(readNamedFileOrThrow(path));
}

/** `errorloc` / `errorloc302` / `errorloc303`: HAProxy's redirection message (http_parse_errorloc), as its mux writes it. */
export function errorLocation(url: string, code: 302 | 303): Buffer {
  const reason = code === 302 ? 'Found' : 'See Other';
  return errorMessage(Buffer.from(`HTTP/1.1 ${code} ${reason}\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: ${url}\r\n\r\n`, 'latin1'));
}

export function loadErrorPage(page: ErrorPage, status: number): Buffer {
  if (page.kind === 'file') return loadErrorFile(page.path);
  if (page.kind === 'location') return errorLocation(page.url, page.code);
  // An http-error reply, built as HAProxy's http_reply_to_htx does: the hdr lines, content-length, content-type.
  const body = page.body;
  const payloadText = body === undefined ? undefined : 'text' in body ? body.text : body.kind === 'lf-file' ? readNamedFileOrThrow(body.path).toString('latin1') : readNamedFileOrThrow(body.path);
  const payload = payloadText === undefined ? Buffer.alloc(0) : typeof payloadText === 'string' ? Buffer.from(payloadText, body!.kind === 'lf-file' ? 'latin1' : 'utf8') : payloadText;
  const build = (values: readonly string[], payload: Buffer): Buffer => {
    const head = `HTTP/1.1 ${status} ${replyReason(status)}\r\n${page.headers.map((h, i) => `${h.name.toLowerCase()}: ${values[i]}\r\n`).join('')}` +
      `content-length: ${payload.length}\r\n${page.contentType !== undefined ? `content-type: ${page.contentType}\r\n` : ''}\r\n`;
    return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
  };
  const answer = build(page.headers.map((h) => h.value), payload);
  // hdr values with log-format (`%[path]`, `%b`) and lf-string / lf-file payloads are rendered for each answer (renderAnswer).
  const lfPayload = body?.kind === 'lf-string' || body?.kind === 'lf-file';
  if (lfPayload || page.headers.some((h) => h.value.includes('%'))) {
    const formats = page.headers.map((h) => compileTxFormat(compileTxFormat.parse(h.value)));
    const payloadFormat = lfPayload ? compileTxFormat(compileTxFormat.parse(payload.toString('latin1'))) : undefined;
    perRequestPages.set(answer, (tx) => build(formats.map((f) => f(tx)), payloadFormat ? Buffer.from(payloadFormat(tx), 'latin1') : payload));
    hasPerRequestPages = true;
  }
  return answer;
}

/** Error pages whose hdr lines are log-format, by the answer built for them at load: how to build it for an exchange. */
const perRequestPages = new WeakMap<Buffer, (tx: HttpTransaction) => Buffer>();
/** Some error page of a configuration loaded in this process has such hdr lines (else renderAnswer looks nothing up). */
let hasPerRequestPages = false;

/**
 * An answer of Loadstar's own as it goes to `tx`'s client: an http-error page with log-format hdr
 * values rendered for this exchange (HAProxy's http_reply hdrs, evaluated when the reply is sent),
 * any other answer as it is.
 */
export function renderAnswer(response: Buffer, tx: HttpTransaction): Buffer {
  if (!hasPerRequestPages) return response;
  return perRequestPages.get(response)?.(tx) ?? response;
}

/**
 * Whether the client connection ends after this answer of Loadstar's own: nothing to say (an empty
 * errorfile), a body that ends with the connection (no Content-Length, an HTTP/1.0 message without
 * keep-alive) or `connection: close` in its head.
 */
export function answerCloses(response: Buffer): boolean {
  if (response.length === 0) return true;
  const end = response.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = response.toString('latin1', 0, end + 2).toLowerCase();
  if (head.includes('\r\nconnection: close\r\n')) return true;
  return head.startsWith('http/1.0') && !head.includes('\r\ncontent-length:');
}

/** HAProxy has a message of its own for `status` (http_get_status_idx; others get its 500 one). */
export function hasErrorPage(status: number): boolean {
  return PAGES[status] !== undefined;
}
