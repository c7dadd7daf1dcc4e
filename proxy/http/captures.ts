/**
 * `capture request header`, `capture response header` and `capture cookie`
 * (a frontend's or listen section's): what the logs print as %hr, %hs, %CC and
 * %CS and the capture.req.hdr / capture.res.hdr fetches read. Taken as HAProxy
 * 2.6 takes them, from the message as it arrived, before any rule edits it
 * (http_capture_headers(), http_manage_client_side_cookies() /
 * http_manage_server_side_cookies()).
 */
import type { Proxy } from '../config/model.ts';

/** One message's captures: a slot per `capture … header` line (declaration order), and the captured cookie. */
export interface MessageCaptures {
  readonly headers: (string | undefined)[];
  cookie: string | undefined;
}

/**
 * The captures of a request (`response` false) or a response, or undefined when the proxy captures
 * nothing. `raw` is Node's flat [name, value, …] list. A header captured twice keeps its last
 * occurrence, cut to `len`; the cookie is the first `NAME…=value` whose name starts with the
 * captured name (HAProxy compares the captured name's length only), cut to `len`.
 */
export function captureMessage(proxy: Proxy, raw: readonly string[], response: boolean): MessageCaptures | undefined {
  const kind = response ? 'response header' : 'request header';
  const slotKind = response ? 'response slot' : 'request slot';
  const list = proxy.captures;
  if (list.length === 0) return undefined;
  const headers: (string | undefined)[] = [];
  let cookie: string | undefined;
  let cookieCapture: { name: string; len: number } | undefined;
  for (const c of list) {
    if (c.kind === kind || c.kind === slotKind) headers.push(undefined);
    else if (c.kind === 'cookie') cookieCapture ??= c;
  }
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    let slot = 0;
    for (const c of list) {
      if (c.kind !== kind && c.kind !== slotKind) continue;
      if (c.kind === kind && c.name.toLowerCase() === name) headers[slot] = raw[i + 1]!.slice(0, c.len);
      slot++;
    }
    if (cookieCapture && cookie === undefined && name === (response ? 'set-cookie' : 'cookie')) {
      cookie = findCookie(raw[i + 1]!, cookieCapture.name, response);
      if (cookie !== undefined) cookie = cookie.slice(0, cookieCapture.len);
    }
  }
  return { headers, cookie };
}

/**
 * `http-request|http-response capture <sample> id N` (and `len`, whose slot the parser declared):
 * the value goes in slot N of the frontend's request or response captures, cut to the slot's length.
 * A slot the frontend does not have is left alone.
 */
export function storeCapture(frontend: Proxy, captures: MessageCaptures | undefined, response: boolean, id: number, value: string): void {
  if (!captures || id >= captures.headers.length) return;
  let slot = 0;
  for (const c of frontend.captures) {
    if (c.kind !== (response ? 'response header' : 'request header') && c.kind !== (response ? 'response slot' : 'request slot')) continue;
    if (slot++ === id) return void (captures.headers[id] = value.slice(0, c.len));
  }
}

/** `name=value` of the first cookie whose name starts with `prefix` (a Set-Cookie has one, then its attributes). */
function findCookie(value: string, prefix: string, setCookie: boolean): string | undefined {
  const parts = setCookie ? [value.split(';')[0]!] : value.split(/[;,]/);
  for (const part of parts) {
    const c = part.trim();
    const eq = c.indexOf('=');
    if (eq < 0) continue;
    if (c.length >= prefix.length && c.startsWith(prefix)) return c;
  }
  return undefined;
}
