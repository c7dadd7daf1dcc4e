/**
 * Cuts PEM input into blocks, and says precisely what is wrong when it cannot:
 * binary DER instead of text, a BEGIN line without its END (a truncated file),
 * broken base64, or no PEM at all.
 */
import crypto from 'node:crypto';
import { CertError } from '../errors.ts';
import type { PemSource } from './types.ts';

export interface PemBlock {
  /** `CERTIFICATE`, `PRIVATE KEY`, `RSA PRIVATE KEY` … */
  label: string;
  /** RFC 1421 headers (`Proc-Type`, `DEK-Info`) of legacy encrypted keys. */
  headers: Record<string, string>;
  der: Buffer;
  /** The block's own text, BEGIN to END, for parsers that need the headers too. */
  text: string;
  /** `site.pem line 12` */
  where: string;
}

const BEGIN = /^-----BEGIN ([A-Z0-9 ]+)-----\s*$/;
const END = /^-----END ([A-Z0-9 ]+)-----\s*$/;

/** Every PEM block of one source, in order; throws a CertError naming the source and line. */
export function readPemBlocks(source: PemSource): PemBlock[] {
  const text = typeof source.data === 'string' ? source.data : Buffer.from(source.data).toString('utf8');
  if (looksBinary(text)) throw binaryInput(source);
  // CRLF (Windows), LF, and the lone CR of files saved by old Mac tools.
  const lines = text.split(/\r\n|\r|\n/);
  const blocks: PemBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const begin = BEGIN.exec(lines[i]!);
    if (!begin) continue;
    const label = begin[1]!;
    const where = `${source.label} line ${i + 1}`;
    const start = i;
    const headers: Record<string, string> = {};
    const body: string[] = [];
    let inHeaders = true;
    for (i++; ; i++) {
      if (i >= lines.length || BEGIN.test(lines[i]!)) {
        throw new CertError('LS_ERR_CERT_PEM_TRUNCATED', `${where}: '-----BEGIN ${label}-----' has no matching END line; the file looks truncated`);
      }
      const line = lines[i]!.trim();
      const end = END.exec(line);
      if (end) {
        if (end[1] !== label) throw new CertError('LS_ERR_CERT_PEM_TRUNCATED', `${where}: '-----BEGIN ${label}-----' ends with '-----END ${end[1]}-----' at line ${i + 1}; the file is damaged`);
        break;
      }
      const header = inHeaders ? /^([A-Za-z-]+):\s*(.*)$/.exec(line) : null;
      if (header) headers[header[1]!] = header[2]!;
      else if (line !== '') {
        inHeaders = false;
        body.push(line);
      }
    }
    const base64 = body.join('');
    if (base64 === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) {
      throw new CertError('LS_ERR_CERT_PEM_TRUNCATED', `${where}: the ${label} block has ${base64 === '' ? 'no content' : 'broken base64'}; the file is damaged or was cut short`);
    }
    blocks.push({ label, headers, der: Buffer.from(base64, 'base64'), text: lines.slice(start, i + 1).join('\n') + '\n', where });
  }
  if (blocks.length === 0) {
    throw new CertError('LS_ERR_CERT_NOT_CERTIFICATE', text.trim() === ''
      ? `${source.label} is empty`
      : `${source.label} holds no PEM block ('-----BEGIN CERTIFICATE-----' or '-----BEGIN PRIVATE KEY-----'); it is not a certificate or key`);
  }
  return blocks;
}

/**
 * PEM is plain ASCII. Control bytes or invalid UTF-8 mean binary data — in
 * practice DER (it starts with an ASN.1 SEQUENCE, 0x30) or a PKCS#12 bundle.
 */
function looksBinary(text: string): boolean {
  return /[\x00-\x08\x0e-\x1f\ufffd]/.test(text.slice(0, 4096));
}

function binaryInput(source: PemSource): CertError {
  const bytes = typeof source.data === 'string' ? Buffer.from(source.data, 'binary') : Buffer.from(source.data);
  const file = source.label;
  let what = 'binary data (DER, or a PKCS#12 .pfx/.p12 bundle)';
  let fix = `if it is PKCS#12: openssl pkcs12 -in ${file} -out ${file}.pem -nodes`;
  try {
    new crypto.X509Certificate(bytes);
    what = 'a DER (binary) certificate';
    fix = `convert it: openssl x509 -inform der -in ${file} -out ${file}.pem`;
  } catch {
    try {
      crypto.createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' });
      what = 'a DER (binary) private key';
      fix = `convert it: openssl pkey -inform der -in ${file} -out ${file}.pem`;
    } catch {
      // neither: keep the generic wording
    }
  }
  return new CertError('LS_ERR_CERT_DER_INPUT', `${file} is ${what}, not PEM text; ${fix}`);
}
