/** What the TLS layer tells the sample fetches (ssl_fc, ssl_fc_sni, ssl_fc_protocol, ssl_c_*, ssl_f_* …) about a client connection. */
import tls from 'node:tls';
import type net from 'node:net';
import type { ClientCertInfo } from '../acl/context.ts';
import { CertFields } from './cert-fields.ts';
import type { ClientVerdict } from './client-verify.ts';

export interface TlsFacts {
  ssl: boolean;
  sslSni?: string;
  sslProtocol?: string;
  sslCipher?: string;
  sslAlpn?: string;
  sslCipherBits?: number;
  sslResumed?: boolean;
  sslClientCert?: ClientCertInfo;
  sslClientVerify?: number;
  sslClientError?: number;
  sslClientCaError?: number;
  sslClientCaErrorDepth?: number;
  sslFrontendCert?: ClientCertInfo;
}

const PLAIN: TlsFacts = { ssl: false };

/** The verdict on each connection of a bind that requested a client certificate (bind-tls.ts). */
const verdicts = new WeakMap<net.Socket, ClientVerdict>();

export function rememberClientVerdict(socket: tls.TLSSocket, verdict: ClientVerdict): void {
  verdicts.set(socket, verdict);
}

export function tlsFacts(socket: net.Socket): TlsFacts {
  if (!(socket instanceof tls.TLSSocket) || !socket.encrypted) return PLAIN;
  const cipher = socket.getCipher();
  // The certificate's fields are read from its DER only if an expression asks for one.
  const facts: TlsFacts = { ssl: true, sslResumed: socket.isSessionReused(), sslFrontendCert: new CertFields(() => socket.getX509Certificate()?.raw) };
  if (socket.servername) facts.sslSni = socket.servername;
  const protocol = socket.getProtocol();
  if (protocol) facts.sslProtocol = protocol;
  // OpenSSL's name, as HAProxy reports it (e.g. TLS_AES_128_GCM_SHA256, ECDHE-ECDSA-AES128-GCM-SHA256).
  if (cipher?.name) facts.sslCipher = cipher.name;
  if (socket.alpnProtocol) facts.sslAlpn = socket.alpnProtocol;
  const bits = /(\d+)/.exec(cipher?.name.replace(/SHA\d+|P\d+|CHACHA20_POLY1305|CHACHA20-POLY1305/g, '') ?? '')?.[1];
  if (bits) facts.sslCipherBits = Number(bits);
  else if (/CHACHA20/.test(cipher?.name ?? '')) facts.sslCipherBits = 256;
  const verdict = verdicts.get(socket);
  if (verdict) {
    const cert = verdict.cert;
    if (cert) facts.sslClientCert = new CertFields(() => cert.raw);
    facts.sslClientVerify = verdict.verify;
    facts.sslClientError = verdict.err;
    facts.sslClientCaError = verdict.caErr;
    facts.sslClientCaErrorDepth = verdict.caErrDepth;
  }
  return facts;
}
