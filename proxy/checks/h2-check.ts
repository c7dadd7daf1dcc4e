/**
 * One HTTP health check exchange over HTTP/2, framed by Node's http2: on a `proto h2` server (its
 * checks inherit the mux), with `check-proto h2` or `http-check connect proto h2`, or when the
 * TLS handshake agreed on h2 (`check-alpn`, else the server's `alpn`). As HAProxy 2.6's H2 mux
 * writes a check's request: `:scheme` https, no `:authority` (the Host field goes as `host`), the
 * connection-specific fields left out; a request without Host cannot be encoded and the check
 * ends as a socket error. A server that stops answering, or closes without an answer, ends it
 * at the read deadline (L7TOUT); one that does not speak HTTP/2 is a socket error.
 */
import http2 from 'node:http2';
import type { CheckConnection } from './connection.ts';
import { failure } from './connection.ts';
import type { CheckRequest, ParsedResponse } from './http.ts';
import type { CheckCode, CheckResult } from './types.ts';

/** Fields HTTP/2 has no place for (RFC 9113 §8.2.2): HAProxy's H2 mux drops them. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/**
 * Sends `request` on a new HTTP/2 session over `conn` and resolves with the response (its head only
 * for a HEAD request), or with the check's failure. The session and the connection close after it.
 */
export function h2CheckExchange(conn: CheckConnection, request: CheckRequest, started: number, timeoutCode: CheckCode): Promise<ParsedResponse | CheckResult> {
  if (!request.headers.some((h) => h.name === 'host')) return Promise.resolve(failure('SOCKERR', started, ''));
  const head = request.method.toUpperCase() === 'HEAD';
  return new Promise((resolve) => {
    const socket = conn.release();
    const session = http2.connect('https://check.invalid', { createConnection: () => socket });
    let settled = false;
    const done = (result: ParsedResponse | CheckResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
      session.destroy();
      socket.destroy();
    };
    // The peer's silence, or its close without an answer: the check runs out of time, as HAProxy's does.
    const timer = setTimeout(() => done(failure(timeoutCode, started, '')), conn.timeLeft());
    session.on('error', () => done(failure('SOCKERR', started, '')));
    const fields: http2.OutgoingHttpHeaders = { ':method': request.method, ':scheme': 'https', ':path': request.target };
    for (const { name, value } of request.headers) {
      if (CONNECTION_SPECIFIC.has(name) || (name === 'te' && value.toLowerCase() !== 'trailers')) continue;
      const before = fields[name];
      fields[name] = before === undefined ? value : Array.isArray(before) ? [...before, value] : [String(before), value];
    }
    if (request.body.length > 0 && fields['content-length'] === undefined) fields['content-length'] = String(Buffer.byteLength(request.body));
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(fields, { endStream: request.body.length === 0 });
    } catch {
      // A field value Node refuses to encode (HAProxy's mux fails the same way): nothing is sent.
      done(failure('SOCKERR', started, ''));
      return;
    }
    if (request.body.length > 0) stream.end(request.body, 'latin1');
    let response: ParsedResponse | undefined;
    const chunks: Buffer[] = [];
    stream.on('response', (headers) => {
      // HTTP/2 field names are in lower case already; a repeated field comes as a list.
      const flat: string[] = [];
      for (const [name, value] of Object.entries(headers)) {
        if (name.startsWith(':') || value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) flat.push(name, String(v));
      }
      response = { status: Number(headers[':status']), reason: '', version: '2.0', headers: flat, body: Buffer.alloc(0) };
      if (head) done(response);
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      if (!response) return;
      response.body = Buffer.concat(chunks);
      done(response);
    });
    // A reset stream, or a session torn down: without a response, the deadline decides.
    stream.on('error', () => {
      if (response) done(response);
    });
  });
}
