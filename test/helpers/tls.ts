/** TLS clients for tests: Node's tls / https / http2 trusting only the test CA, verifying host names. */
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import http2 from 'node:http2';
import { scenariosDir } from './scenarios.ts';

export const certsDir = path.join(scenariosDir, 'certs');
export const testCa = fs.readFileSync(path.join(certsDir, 'ca.pem'));
export const certPath = (name: string): string => path.join(certsDir, name);

export interface TlsAnswer {
  /** CN of the certificate the server presented. */
  cn: string;
  protocol: string | null;
  alpn: string | false | null;
  /** The raw HTTP/1.1 response. */
  response: string;
}

/** One HTTP/1.1 request over TLS to 127.0.0.1, naming `servername` (SNI and host check). */
export function tlsRequest(port: number, servername: string, head: string, options: tls.ConnectionOptions = {}): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, ca: testCa, ...options }, () => {
      socket.write(head);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('TLS test request timed out')));
    socket.on('close', () => {
      const cert = socket.getPeerCertificate();
      resolve({ cn: String(cert?.subject?.CN ?? ''), protocol: socket.getProtocol(), alpn: socket.alpnProtocol, response: Buffer.concat(chunks).toString('latin1') });
    });
  });
}

/** Only the certificate a server presents for `servername` (no request). */
export function presentedCertificate(port: number, servername: string | undefined, options: tls.ConnectionOptions = {}): Promise<{ cn: string; alpn: string | false | null; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: testCa, rejectUnauthorized: false, ...(servername ? { servername } : {}), ...options }, () => {
      const cert = socket.getPeerCertificate();
      resolve({ cn: String(cert.subject?.CN ?? ''), alpn: socket.alpnProtocol, protocol: socket.getProtocol() });
      socket.end();
    });
    socket.on('error', reject);
  });
}

export interface H2Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
}

/** Requests over one HTTP/2 session (ALPN h2), trusting only the test CA. */
export async function h2Requests(port: number, servername: string, requests: Array<{ path: string; method?: string; body?: string; headers?: Record<string, string> }>): Promise<{ alpn: string | undefined; answers: H2Answer[] }> {
  const session = http2.connect(`https://${servername}:${port}`, { ca: testCa, servername, host: '127.0.0.1', lookup: (_h, _o, cb) => cb(null, '127.0.0.1', 4) } as http2.SecureClientSessionOptions);
  try {
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve());
      session.once('error', reject);
    });
    const answers = await Promise.all(requests.map((r) => new Promise<H2Answer>((resolve, reject) => {
      const stream = session.request({ ':path': r.path, ':method': r.method ?? 'GET', ...r.headers });
      let headers: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => (headers = h));
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => resolve({ status: Number(headers[':status']), headers, body: Buffer.concat(chunks).toString() }));
      stream.on('error', reject);
      stream.end(r.body);
    })));
    return { alpn: (session.socket as tls.TLSSocket).alpnProtocol || undefined, answers };
  } finally {
    session.close();
  }
}
