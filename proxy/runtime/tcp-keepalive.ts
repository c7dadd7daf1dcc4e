/**
 * TCP keep-alive on the sockets Loadstar opens to servers (`option srvtcpka` / `tcpka`, with
 * `srvtcpka-idle`), as HAProxy's tcp_connect_server sets SO_KEEPALIVE and TCP_KEEPIDLE.
 */
import type net from 'node:net';

/**
 * Switches keep-alive on once `socket` is connected: before that, Node's socket has a handle without
 * a file descriptor, and libuv keeps only the on/off flag then (applying its own 60 s idle time).
 * @param idleMs the idle time before the first probe (whole seconds count); 0: the system's.
 */
export function keepAliveOnceConnected(socket: net.Socket, idleMs: number): void {
  socket.once('connect', () => socket.setKeepAlive(true, idleMs));
}
