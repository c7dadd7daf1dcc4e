/**
 * The runtime API's certificate commands (HAProxy 2.6 ssl_ckch.c, management.txt §9.3), as ACME
 * clients use them to renew a certificate without a reload (acme.sh's haproxy deploy hook):
 * `show ssl cert [<file>]`, `set ssl cert <file> <<` + PEM payload, `commit ssl cert <file>`,
 * `abort ssl cert <file>`, with HAProxy 2.6.12's answers. One transaction at a time, as in HAProxy.
 * A private key is never printed. Also `set ssl ocsp-response` and `show ssl ocsp-response` (ssl_sock.c),
 * as OCSP update scripts replace a stapled response.
 */
import { X509Certificate } from 'node:crypto';
import { parseCertificate } from '../tls/cert-fields.ts';
import { CommitError, keyMatches, keyPayload, partsOf, pemPayload } from '../tls/runtime-certs.ts';
import type { CertParts, RuntimeCerts } from '../tls/runtime-certs.ts';
import { certIdText } from '../tls/ocsp.ts';
import { cliErr, cliMsg } from './cli-answer.ts';
import type { CliAnswer } from './cli-answer.ts';

/** LOG_NOTICE: the severity of the transaction messages (cli_dynmsg), errors being LOG_ERR (cli_err). */
const NOTICE = 5;

const NOT_FOUND = cliErr("Can't display the certificate: Not found or the certificate is a bundle!\n");

/** `show ssl cert [<file>|*<file>]` (cli_parse_show_cert): operator level, else HAProxy's odd refusal. */
export function showSslCert(certs: RuntimeCerts | undefined, args: readonly string[], operator: boolean): CliAnswer {
  if (!operator) return cliErr("Can't allocate memory!\n");
  const name = args[3];
  if (name === undefined || name === '') {
    let out = '';
    const tx = certs?.transaction;
    if (tx) out += `# transaction\n*${tx.path}\n`;
    out += '# filename\n';
    for (const path of certs?.paths() ?? []) out += `${path}\n`;
    return out;
  }
  if (!certs) return NOT_FOUND;
  // `<file>.ocsp` shows an OCSP response's details: Loadstar does not print them.
  if (name.endsWith('.ocsp')) return NOT_FOUND;
  if (name.startsWith('*')) {
    const tx = certs.transaction;
    if (!tx || tx.path !== name.slice(1)) return NOT_FOUND;
    return certDetail(name, tx.parts, false);
  }
  if (!certs.exists(name)) return NOT_FOUND;
  const stored = certs.stored(name);
  return certDetail(name, stored ? partsOf(stored) : { certs: [] }, certs.instances(name) > 0);
}

/** cli_io_handler_show_cert_detail + show_cert_detail. */
function certDetail(filename: string, parts: CertParts, used: boolean): string {
  let out = `Filename: ${filename}\n`;
  const leafPem = parts.certs[0];
  // A certificate `new ssl cert` made and nothing committed to yet.
  const ocspKey = `OCSP Response Key: ${parts.ocspKey?.toString('hex') ?? ''}\n`;
  if (leafPem === undefined) return out + 'Status: Empty\n' + ocspKey;
  out += `Status: ${used ? 'Used' : 'Unused'}\n`;
  const leaf = new X509Certificate(leafPem);
  const fields = certFields(leaf);
  out += fields.text;
  if (!fields.complete) return out + ocspKey;
  for (const pem of parts.certs.slice(1)) {
    const ca = parseCertificate(new X509Certificate(pem).raw);
    out += `Chain Subject: ${ca.subject.oneline}\nChain Issuer: ${ca.issuer.oneline}\n`;
  }
  // HAProxy 2.6.12 prints the certificate ID of the `.ocsp` response read (stapled or not), empty without one.
  return out + ocspKey;
}

/**
 * show_cert_detail without a chain: serial to issuer. `complete` is false when the key type is not
 * one cert_get_pkey_algo knows (RSA, EC, DSA): HAProxy's dump stops after "Algorithm: " then.
 */
export function certFields(cert: X509Certificate): { text: string; complete: boolean } {
  const fields = parseCertificate(cert.raw);
  let text = `Serial: ${fields.serial.toString('hex').toUpperCase()}\n`;
  text += `notBefore: ${cert.validFrom}\n`;
  text += `notAfter: ${cert.validTo}\n`;
  text += `Subject Alternative Name: ${sanOneline(cert.subjectAltName)}\n`;
  const algorithm = keyAlgorithm(cert);
  if (algorithm === undefined) return { text: text + 'Algorithm: ', complete: false };
  text += `Algorithm: ${algorithm}\n`;
  text += `SHA1 FingerPrint: ${cert.fingerprint.replace(/:/g, '')}\n`;
  text += `Subject: ${fields.subject.oneline}\n`;
  text += `Issuer: ${fields.issuer.oneline}\n`;
  return { text, complete: true };
}

/**
 * ssl_sock_get_san_oneline: every subject alternative name takes its place (", " between them), only
 * DNS names are written — an IP address leaves an empty place ("DNS:a, DNS:b, ").
 */
function sanOneline(list: string | undefined): string {
  if (!list) return '';
  return splitQuoted(list).map((entry) => (entry.startsWith('DNS:') ? entry : '')).join(', ');
}

/** Node joins the names with ", " and quotes one that contains such a separator. */
function splitQuoted(list: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    if (c === '"') quoted = !quoted;
    if (!quoted && c === ',' && list[i + 1] === ' ') {
      out.push(current);
      current = '';
      i++;
      continue;
    }
    current += c;
  }
  out.push(current);
  return out;
}

/** EVP_PKEY_bits of the usual named curves. */
const CURVE_BITS: Readonly<Record<string, number>> = {
  prime256v1: 256, secp384r1: 384, secp521r1: 521, secp256k1: 256, secp224r1: 224, prime192v1: 192,
  brainpoolP256r1: 256, brainpoolP384r1: 384, brainpoolP512r1: 512,
};

/** cert_get_pkey_algo: RSA2048, EC256, DSA2048; undefined for other key types. */
function keyAlgorithm(cert: X509Certificate): string | undefined {
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return `RSA${details.modulusLength ?? 0}`;
  if (key.asymmetricKeyType === 'dsa') return `DSA${details.modulusLength ?? 0}`;
  if (key.asymmetricKeyType === 'ec') return `EC${CURVE_BITS[details.namedCurve ?? ''] ?? 0}`;
  return undefined;
}

/** The file `set ssl cert` names, its extension telling which part the payload is (cert_exts). */
function splitExtension(name: string): { path: string; ext: string } {
  const dot = name.lastIndexOf('.');
  const ext = dot >= 0 ? name.slice(dot + 1) : '';
  if (['crt', 'key', 'ocsp', 'issuer', 'sctl'].includes(ext)) return { path: name.slice(0, dot), ext };
  return { path: name, ext: '' };
}

/** `set ssl cert <file> <<` + payload (cli_parse_set_cert): a transaction created or updated. */
export function setSslCert(certs: RuntimeCerts | undefined, args: readonly string[], payload: string | undefined): CliAnswer {
  const name = args[3];
  if (name === undefined || name === '' || payload === undefined) return cliErr("'set ssl cert expects a filename and a certificate as a payload\n");
  const fail = (why: string): CliAnswer => cliErr(`${why}Can't update ${name}!\n`);
  const { path, ext } = splitExtension(name);
  if (ext === 'ocsp' || ext === 'issuer' || ext === 'sctl') {
    return fail(`'.${ext}' files (OCSP stapling, SCTs) are not supported by Loadstar.\n`);
  }
  const tx = certs?.transaction;
  let base: CertParts | undefined;
  if (tx) {
    // HAProxy 2.6 updates the ongoing transaction whatever file is named (a bug fixed later): refused here.
    if (tx.path !== path) return fail(`The ongoing transaction is about '${tx.path}' but you are trying to set '${path}'\n`);
    base = tx.parts;
  } else {
    // As HAProxy without `ssl-load-extra-del-ext`: `<file>.crt` names `<file>`, `<file>.key` the key of `<file>`.
    if (certs?.exists(path)) {
      const stored = certs.stored(path);
      base = stored ? partsOf(stored) : { certs: [] };
    }
  }
  if (!certs || !base) return fail("Can't replace a certificate which is not referenced by the configuration!\n");
  const txPath = tx?.path ?? path;
  let parts: CertParts;
  if (ext === 'key') {
    const key = keyPayload(payload);
    if (key === undefined) return fail(`unable to load private key from file '${path}'.\nCan't load the payload\n`);
    parts = { certs: base.certs, key, ...(base.ocspKey ? { ocspKey: base.ocspKey } : {}) };
  } else {
    const loaded = pemPayload(payload);
    if (loaded === 'no certificate') return fail(`unable to load certificate from file '${path}'.\nCan't load the payload\n`);
    if (loaded === 'bad chain') return fail(`unable to load certificate chain from file '${path}'.\nCan't load the payload\n`);
    // A certificate payload drops the OCSP response (ssl_sock_load_pem_into_ckch); a key alone keeps it.
    parts = loaded;
  }
  certs.transaction = { path: txPath, parts };
  return cliMsg(tx ? `Transaction updated for certificate ${txPath}!\n` : `Transaction created for certificate ${txPath}!\n`, NOTICE);
}

/**
 * `commit ssl cert <file>` (cli_parse_commit_cert + cli_io_handler_commit_cert): one dot per entry
 * served. Refusals are cli_err; what the commit prints, its I/O handler's text, carries no severity.
 */
export function commitSslCert(certs: RuntimeCerts | undefined, args: readonly string[]): CliAnswer {
  const name = args[3];
  if (name === undefined || name === '') return cliErr("'commit ssl cert expects a filename\n");
  const fail = (why: string): CliAnswer => cliErr(`${why}Can't commit ${name}!\n`);
  const tx = certs?.transaction;
  if (!certs || !tx) return fail('No ongoing transaction! !\n');
  if (tx.path !== name) return fail(`The ongoing transaction is about '${tx.path}' but you are trying to set '${name}'\n`);
  if (tx.parts.certs.length > 0 && tx.parts.key === undefined) return fail('The transaction must contain at least a certificate and a private key!\n');
  if (!keyMatches(tx.parts)) return fail(`inconsistencies between private key and certificate loaded '${tx.path}'.\n`);
  let count: number;
  try {
    count = certs.commit(tx.path, tx.parts);
  } catch (e) {
    if (!(e instanceof CommitError)) throw e;
    // HAProxy keeps the transaction when building the new contexts fails.
    return `Committing ${tx.path}\n${e.message}\nFailed!\n`;
  }
  certs.transaction = undefined;
  return `Committing ${tx.path}${'.'.repeat(count)}\nSuccess!\n`;
}

/** `abort ssl cert <file>` (cli_parse_abort_cert). */
export function abortSslCert(certs: RuntimeCerts | undefined, args: readonly string[]): CliAnswer {
  const name = args[3];
  if (name === undefined || name === '') return cliErr("'abort ssl cert' expects a filename\n");
  const tx = certs?.transaction;
  if (!certs || !tx) return cliErr('No ongoing transaction!\n');
  if (tx.path !== name) return cliErr(`The ongoing transaction is about '${tx.path}' but you are trying to abort a transaction for '${name}'\n`);
  certs.transaction = undefined;
  return cliMsg(`Transaction aborted for certificate '${name}'!\n`, NOTICE);
}

/** `new ssl cert <file>` (cli_parse_new_cert): an empty certificate, to fill with set and commit, then add to a crt-list. */
export function newSslCert(certs: RuntimeCerts | undefined, args: readonly string[]): CliAnswer {
  const name = args[3];
  if (name === undefined || name === '') return cliErr("'new ssl cert' expects a filename\n");
  if (!certs || !certs.create(name)) return cliErr(`Certificate '${name}' already exists!\n`);
  return cliMsg(`New empty certificate store '${name}'!\n`, NOTICE);
}

/** `del ssl cert <file>` (cli_parse_del_cert): a certificate no bind serves is forgotten. */
export function delSslCert(certs: RuntimeCerts | undefined, args: readonly string[]): CliAnswer {
  const name = args[3];
  if (name === undefined || name === '') return cliErr("'del ssl cert' expects a certificate name\n");
  const result = certs?.remove(name) ?? 'missing';
  if (result === 'missing') return cliErr(`Can't remove the certificate: certificate '${name}' doesn't exist!\n\n`);
  if (result === 'in use') return cliErr(`Can't remove the certificate: certificate '${name}' in use, can't be deleted!\n\n`);
  // HAProxy 2.6 leaves a transaction on the deleted certificate pointing at freed memory: it goes with it here.
  if (certs!.transaction?.path === name) certs!.transaction = undefined;
  return cliMsg(`Certificate '${name}' deleted!\n`, NOTICE);
}

/**
 * `set ssl ocsp-response <base64>` or with a payload (cli_parse_set_ocspresponse): a DER OCSP
 * response, base64-encoded, replaces the staple of the certificates whose `.ocsp` it matches.
 */
export function setSslOcspResponse(certs: RuntimeCerts | undefined, args: readonly string[], payload: string | undefined): CliAnswer {
  const text = (payload ?? args[3] ?? '').replace(/[\r\n]/g, '');
  if (text === '') return cliErr("'set ssl ocsp-response' expects response in base64 encoding.\n");
  // HAProxy's base64dec: whole 4-character groups of the alphabet, '=' padding at the end only.
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return cliErr("'set ssl ocsp-response' received invalid base64 encoded response.\n");
  const refused = certs ? certs.updateOcspResponse(Buffer.from(text, 'base64')) : 'OCSP single response: Certificate ID does not match any certificate or issuer';
  return refused === undefined ? cliMsg('OCSP Response updated!\n') : cliErr(`${refused}.\n`);
}

/**
 * `show ssl ocsp-response [<id>]` (cli_parse_show_ocspresponse): the certificate IDs of the OCSP
 * responses loaded from `.ocsp` files. One response's details (OpenSSL's OCSP_RESPONSE_print) are
 * not printed by Loadstar.
 */
export function showSslOcspResponse(certs: RuntimeCerts | undefined, args: readonly string[]): CliAnswer {
  const ids = certs?.ocspCertIds() ?? [];
  const wanted = args[3];
  if (wanted !== undefined && wanted !== '') {
    if (wanted.length > 256) return cliErr("'show ssl ocsp-response' received a too big key.\n");
    const found = /^([0-9a-fA-F]{2})+$/.test(wanted) ? ids.find((id) => id.toString('hex') === wanted.toLowerCase()) : undefined;
    if (!found) return cliErr('Certificate ID does not match any certificate.\n');
    return cliErr("The details of an OCSP response ('show ssl ocsp-response <id>') are not printed by Loadstar: read the .ocsp file with 'openssl ocsp -respin <file> -resp_text -noverify'.\n");
  }
  // cli_io_handler_show_ocspresponse writes its head with the first response: nothing without one.
  if (ids.length === 0) return '';
  let out = '# Certificate IDs\n';
  for (const id of ids) out += `Certificate ID key : ${id.toString('hex')}\n${certIdText(id, 1).join('\n')}\n`;
  return out;
}
