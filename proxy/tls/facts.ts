/** What the TLS layer tells the sample fetches (ssl_fc, ssl_fc_sni, ssl_fc_protocol …) about a client connection. */
import tls from 'node:tls';
import type net from 'node:net';

export interface TlsFacts {
  ssl: boolean;
  sslSni?: string;
  sslProtocol?: string;
  sslCipher?: string;
  sslAlpn?: string;
  sslCipherBits?: number;
  sslResumed?: boolean;
}

const PLAIN: TlsFacts = { ssl: false };

export function tlsFacts(socket: net.Socket): TlsFacts {
  if (!(socket instanceof tls.TLSSocket) || !socket.encrypted) return PLAIN;
  const cipher = socket.getCipher();
  const facts: TlsFacts = { ssl: true, sslResumed: socket.isSessionReused() };
  if (socket.servername) facts.sslSni = socket.servername;
  const protocol = socket.getProtocol();
  if (protocol) facts.sslProtocol = protocol;
  // OpenSSL's name, as HAProxy reports it (e.g. TLS_AES_128_GCM_SHA256, ECDHE-ECDSA-AES128-GCM-SHA256).
  if (cipher?.name) facts.sslCipher = cipher.name;
  if (socket.alpnProtocol) facts.sslAlpn = socket.alpnProtocol;
  const bits = /(\d+)/.exec(cipher?.name.replace(/SHA\d+|P\d+|CHACHA20_POLY1305|CHACHA20-POLY1305/g, '') ?? '')?.[1];
  if (bits) facts.sslCipherBits = Number(bits);
  else if (/CHACHA20/.test(cipher?.name ?? '')) facts.sslCipherBits = 256;
  return facts;
}
