/**
 * WebSocket handshakes between protocols, as HAProxy 2.6's H1 mux keeps them whole (mux_h1.c
 * h1_search_websocket_key, h1_process_output): an HTTP/2 client's WebSocket (RFC 8441) has no
 * Sec-WebSocket-Key, so the request gets one made up for an HTTP/1.1 server, whose 101 must then
 * carry the matching Sec-WebSocket-Accept; an HTTP/2 server's answer has none, so an HTTP/1.1
 * client gets the one for its own key.
 */
import crypto from 'node:crypto';
import { getHeader, hasToken } from './headers.ts';
import type { HeaderList } from './headers.ts';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** RFC 6455 §4.2.2: the Sec-WebSocket-Accept answering `key`. */
export function websocketAccept(key: string): string {
  return crypto.createHash('sha1').update(key + GUID).digest('base64');
}

/** A new Sec-WebSocket-Key: 16 random bytes in base64 (h1_generate_random_ws_input_key). */
export function newWebsocketKey(): string {
  return crypto.randomBytes(16).toString('base64');
}

/** The fields ask for (or answer) a WebSocket upgrade: Connection names `upgrade`, Upgrade names `websocket`. */
export function isWebsocketUpgrade(headers: HeaderList): boolean {
  const upgrade = getHeader(headers, 'upgrade');
  const connection = getHeader(headers, 'connection');
  return upgrade !== undefined && connection !== undefined && hasToken(connection, 'upgrade') && hasToken(upgrade, 'websocket');
}

/** The request's Sec-WebSocket-Key as HAProxy stores it: 24 characters, else none. */
export function websocketKey(headers: HeaderList): string | undefined {
  const key = getHeader(headers, 'sec-websocket-key');
  return key?.length === 24 ? key : undefined;
}

/**
 * HAProxy's check of an HTTP/1.1 server's WebSocket 101: it carries a Sec-WebSocket-Accept, the one
 * for `madeKey` when the proxy made the request's key up; otherwise the answer is invalid (502).
 */
export function acceptsWebsocket(headers: HeaderList, madeKey: string | undefined): boolean {
  const accept = getHeader(headers, 'sec-websocket-accept');
  if (accept === undefined) return false;
  return madeKey === undefined || accept.toLowerCase() === websocketAccept(madeKey).toLowerCase();
}
