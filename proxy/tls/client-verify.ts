/**
 * The verdict on a client certificate once the handshake is done, HAProxy 2.6's way
 * (ssl_sock_bind_verifycbk): an error at depth 0 refuses the connection ("SSL client certificate not
 * trusted") unless `crt-ignore-err` lists it, an error on a CA of the chain ("SSL client CA chain
 * cannot be verified") unless `ca-ignore-err` lists it, and `verify required` without a certificate
 * is a handshake failure. ssl_c_err / ssl_c_ca_err keep the first error at each depth, ssl_c_verify
 * OpenSSL's final result.
 *
 * Node runs OpenSSL's verification but reports only its final error (`authorizationError`), without
 * depth; the depth and the error before it are restored for the cases OpenSSL's chain building
 * produces: an unknown issuer of a lone certificate is 20 then 21 at depth 0, an unknown issuer or a
 * self-signed root sent with the chain is at the top of the chain, an expired or not yet valid
 * certificate is the first of the chain whose dates say so.
 */
import type tls from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import type { ClientAuth } from '../config/model.ts';
import { VERIFY_ERROR_IDS, verifyErrorId } from './verify-errors.ts';

export interface ClientVerdict {
  /** The client's certificate, when it sent one. */
  cert: X509Certificate | undefined;
  /** ssl_c_verify, ssl_c_err, ssl_c_ca_err, ssl_c_ca_err_depth. */
  verify: number;
  err: number;
  caErr: number;
  caErrDepth: number;
  /** Why the connection is refused (HAProxy's log text), or undefined when it goes on. */
  refusal?: 'SSL handshake failure' | 'SSL client certificate not trusted' | 'SSL client CA chain cannot be verified';
}

const E = VERIFY_ERROR_IDS;

export function judgeClient(socket: tls.TLSSocket, auth: ClientAuth): ClientVerdict {
  const cert = socket.getPeerX509Certificate();
  const verdict: ClientVerdict = { cert, verify: 0, err: 0, caErr: 0, caErrDepth: 0 };
  if (!cert) {
    // No certificate: nothing was verified (HAProxy's ssl_c_verify is 0); Node reports a missing issuer.
    if (auth.verify === 'required') verdict.refusal = 'SSL handshake failure';
    return verdict;
  }
  const last = verifyErrorId(socket.authorizationError as unknown as string | undefined);
  verdict.verify = last;
  for (const { id, depth } of errorsSeen(last, socket, cert)) {
    if (depth > 0) {
      if (verdict.caErr === 0) {
        verdict.caErr = id;
        verdict.caErrDepth = depth;
      }
      if (!ignored(auth.caIgnoreErr, id)) {
        verdict.refusal = 'SSL client CA chain cannot be verified';
        return verdict;
      }
    } else {
      if (verdict.err === 0) verdict.err = id;
      if (!ignored(auth.crtIgnoreErr, id)) {
        verdict.refusal = 'SSL client certificate not trusted';
        return verdict;
      }
    }
  }
  return verdict;
}

/**
 * Why Node's `rejectUnauthorized` ended a handshake (its tlsClientError): no certificate (OpenSSL's
 * own abort), or a failed verification (Node closed the connection; the chain is gone by then, so
 * the depth comes from the error alone: an unknown issuer reported as 20 rather than 21, or a
 * self-signed certificate in the chain, is a CA's). Undefined for other handshake failures.
 */
export function refusalOfRejected(errorCode: string | undefined, authorizationError: string | null | undefined): ClientVerdict['refusal'] {
  if (errorCode === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE') return 'SSL handshake failure';
  if (!authorizationError) return undefined;
  const id = verifyErrorId(authorizationError);
  return id === E.UNABLE_TO_GET_ISSUER_CERT_LOCALLY || id === E.SELF_SIGNED_CERT_IN_CHAIN ? 'SSL client CA chain cannot be verified' : 'SSL client certificate not trusted';
}

function ignored(list: 'all' | readonly number[] | undefined, id: number): boolean {
  return list === 'all' || (list !== undefined && list.includes(id));
}

/** The verification errors in the order OpenSSL's callback saw them, with their depth. */
function errorsSeen(last: number, socket: tls.TLSSocket, cert: X509Certificate): Array<{ id: number; depth: number }> {
  if (last === 0) return [];
  if (last === E.UNABLE_TO_VERIFY_LEAF_SIGNATURE) {
    return [{ id: E.UNABLE_TO_GET_ISSUER_CERT_LOCALLY!, depth: 0 }, { id: last, depth: 0 }];
  }
  const chain = presentedChain(socket, cert);
  if (last === E.UNABLE_TO_GET_ISSUER_CERT_LOCALLY || last === E.SELF_SIGNED_CERT_IN_CHAIN || last === E.UNABLE_TO_GET_ISSUER_CERT) {
    return [{ id: last, depth: chain.length - 1 }];
  }
  if (last === E.CERT_HAS_EXPIRED || last === E.CERT_NOT_YET_VALID) {
    const now = Date.now();
    const depth = chain.findIndex((c) => (last === E.CERT_HAS_EXPIRED ? Date.parse(c.validTo) < now : Date.parse(c.validFrom) > now));
    return [{ id: last, depth: Math.max(0, depth) }];
  }
  return [{ id: last, depth: 0 }];
}

/** The client's certificate and the issuers it sent with it, leaf first (as far as Node links them). */
function presentedChain(socket: tls.TLSSocket, leaf: X509Certificate): X509Certificate[] {
  const chain = [leaf];
  let current = socket.getPeerCertificate(true) as tls.DetailedPeerCertificate | undefined;
  const seen = new Set<string>([leaf.fingerprint256]);
  while (current?.issuerCertificate && current.issuerCertificate !== current) {
    current = current.issuerCertificate;
    if (!current.fingerprint256 || seen.has(current.fingerprint256)) break;
    seen.add(current.fingerprint256);
    chain.push(new (leaf.constructor as typeof X509Certificate)(current.raw));
  }
  return chain;
}
