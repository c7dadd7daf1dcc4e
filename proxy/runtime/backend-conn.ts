/**
 * What the bc_* and ssl_bc_* fetches read of a stream's server connection (HAProxy's scb
 * connection): its two ends, its HTTP version, and what its TLS handshake negotiated. Built
 * when an expression asks (the sample context's `bc` getter), from the server socket.
 */
import type net from 'node:net';
import type { BackendConnInfo } from '../acl/context.ts';
import { tlsFacts } from '../tls/facts.ts';

/** Node reports an IPv4 peer of a dual-stack socket as ::ffff:a.b.c.d; HAProxy as a.b.c.d. */
function plainAddress(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** @param httpMajor the HTTP version spoken to the server (1 or 2), undefined for a TCP proxy. */
export function backendConnInfo(socket: net.Socket, httpMajor?: number): BackendConnInfo {
  const facts = tlsFacts(socket);
  return {
    src: plainAddress(socket.localAddress),
    srcPort: socket.localPort,
    dst: plainAddress(socket.remoteAddress),
    dstPort: socket.remotePort,
    httpMajor,
    ssl: facts.ssl,
    sslProtocol: facts.sslProtocol,
    sslCipher: facts.sslCipher,
    sslAlpn: facts.sslAlpn,
    sslCipherBits: facts.sslCipherBits,
    sslResumed: facts.sslResumed,
  };
}


/** A log format that reads the server connection (bc_*, ssl_bc_*): its line is written when that connection may be closed. */
export function readsServerConnection(logFormat: string | undefined): boolean {
  return logFormat !== undefined && /\bbc_|\bssl_bc(?:_|\b)/.test(logFormat);
}
