/**
 * Ending an HTTP/2 session (Node's http2, either side) outside the read nghttp2 is parsing.
 *
 * Node 20's nghttp2 (1.61) aborts the whole process — an assertion in nghttp2_session_mem_recv2,
 * `iframe->state == NGHTTP2_IB_IGN_ALL`, fixed in nghttp2 1.68 — when a session is terminated from a
 * callback of the read being parsed (an event handler destroys it: a header block refused, a tunnel's
 * end, Node's own answer to a GOAWAY with an error code) and that same read goes on with a frame of a
 * wrong size. A peer sends both in one packet. Here a session's destroy waits for the end of the read
 * (setImmediate: nghttp2 has returned by then); what the caller asks of it is unchanged.
 */
import type http2 from 'node:http2';

/**
 * Replaces `session.destroy` (Node's own calls go through it too) with one that runs once the current
 * read is over. `code`: the GOAWAY code for an error that names none (undefined leaves Node's choice).
 */
export function destroyOutsideReads(session: http2.Http2Session, code?: (error: Error | undefined) => number | undefined): void {
  const destroy = session.destroy.bind(session);
  session.destroy = (error?: Error, given?: number) => {
    setImmediate(() => destroy(error, given ?? code?.(error)));
    return session;
  };
}
