/**
 * Rules waiting for the request body (`option http-buffer-request`, `http-request wait-for-body`):
 * HAProxy 2.6's http_wait_for_msg_body. The rules after the wait run once the whole body is in,
 * the buffer is full (`tune.bufsize` − `tune.maxrewrite`, behind the head: htx-size.ts), or
 * `at-least` bytes of it came; at the wait's own time (or `timeout client` without one) the client
 * gets a 408 and the connection closes (`cR`, %TR -1 — haproxy 2.6.12, test/proxy/http/body-wait.test.ts).
 *
 * Only a transaction whose rules asked for the body holds one; the body itself stays where the
 * transaction keeps it until a server takes it, and req.body* read at most `room` bytes of it.
 */
import type { BodyWait } from './rules.ts';
import type { Proxy } from '../config/model.ts';
import { getHeader } from './headers.ts';

/** `Expect: 100-continue`'s interim answer, and what HAProxy counts of it in %B (its HTX: start line, end of headers). */
export const CONTINUE_RESPONSE = 'HTTP/1.1 100 Continue\r\n\r\n';
export const CONTINUE_HTX_SIZE = 40;

export class RequestBodyWait<Outcome> {
  private timer: NodeJS.Timeout | undefined;
  /** When the wait began (%TR counts it: HAProxy dates the request's end when its wait is over). */
  readonly began = Date.now();

  /**
   * @param room body bytes the buffer holds for the rules
   * @param resume runs the rules after the wait (once), saying what they decided
   * @param onTimeout the wait's own time ran out
   */
  constructor(readonly wait: BodyWait, readonly room: number, readonly resume: () => Outcome, onTimeout: () => void) {
    if (wait.timeMs > 0) this.timer = setTimeout(onTimeout, wait.timeMs);
  }

  /** HAProxy's test: the whole body, a full buffer, or the `at-least` bytes. */
  enough(bytes: number, complete: boolean): boolean {
    return complete || bytes >= this.room || (this.wait.atLeast > 0 && bytes >= this.wait.atLeast);
  }

  /** The wait is over (enough body, a timeout or an abort): its timer goes. */
  end(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * A request the wait has nothing to wait for (HAProxy: CONNECT, or HTTP_MSGF_BODYLESS): an HTTP/1
 * head announcing no body (no chunking, no Content-Length above 0), an HTTP/2 one announcing an empty one.
 */
export function bodyless(method: string, versionMajor: number, headers: readonly string[], chunked: boolean): boolean {
  if (method === 'CONNECT') return true;
  if (chunked) return false;
  const length = getHeader(headers as string[], 'content-length');
  if (length !== undefined) return !(Number(length) > 0);
  return versionMajor < 2;
}

/**
 * HTTP/1.1 with a body and `Expect: 100-continue` (its first Expect field, HAProxy's
 * http_handle_expect_hdr): the client waits for a 100 before it sends the body, so the wait
 * answers it, and the field goes (the server is not asked again).
 */
export function expectsContinue(versionMajor: number, versionMinor: number, headers: readonly string[]): boolean {
  if (versionMajor !== 1 || versionMinor !== 1) return false;
  const expect = getHeader(headers as string[], 'expect');
  return expect !== undefined && expect.trim().toLowerCase() === '100-continue';
}

/** A body fetch or a wait-for-body, wherever a rule or an ACL names it. */
const READS_BODY = /\breq\.body(?:_param|_len|_size)?\b|"wait-for-body"/;

/**
 * Some http-request rule of these proxies (or an ACL they may use) reads the request body. Then a
 * request's rules run at the end of the read that brought its head, as HAProxy's run once its mux
 * parsed the whole read: req.body* see the body that came with the head, even without a wait
 * (haproxy 2.6.12: `req.body_param(user)` finds `bob` in a POST sent in one piece). Decided once
 * per configuration load, from the rules' text: a configuration without body fetches defers nothing.
 */
export function rulesReadRequestBody(proxies: readonly Proxy[]): boolean {
  try {
    return proxies.some((p) => READS_BODY.test(JSON.stringify([p.httpRequestRules, [...p.acls.values()]])));
  } catch {
    // Text that cannot be written out (never expected): deferring is always correct, only later.
    return true;
  }
}
