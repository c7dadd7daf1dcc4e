/**
 * Moved to proxy/runtime/llhttp.ts: the HTTP/1 parser binding is shared by the
 * frontends and the health checks, which sit below them in the layer table
 * (test/proxy/boundaries.test.ts). Kept for http/h2.ts, being edited this
 * session; remove once it imports proxy/runtime/llhttp.ts.
 */
export * from '../runtime/llhttp.ts';
