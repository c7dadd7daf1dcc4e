/**
 * Which sites of the running configuration use a stored certificate: a
 * frontend whose bind names the certificate's file (`ssl crt PATH`). Removing
 * such a file leaves a configuration that no longer loads (HAProxy: "unable to
 * stat SSL certificate"), so every later change would be refused.
 */
import type { CertInfo, FormModel, ServedCert } from '../../../proxy/control/contract.ts';

/** Names of the frontends whose binds name `path` as their certificate, in file order. */
export function frontendsUsingCert(model: FormModel | null | undefined, path: string): string[] {
  if (!model) return [];
  return model.frontends.filter((f) => f.binds.some((b) => b.crt === path)).map((f) => f.name);
}

/**
 * What a cancelled wizard takes back of the certificates it stored on its way (an import stored on
 * the TLS step's Next, a local-CA certificate issued under a name that was free): the names of those
 * `storedHere` paths that are still in the store and that no bind of the running configuration
 * (`model`, as loaded after the cancel) names. A certificate a site uses stays, whoever stored it.
 */
export function certsToTakeBack(storedHere: readonly string[], stored: ReadonlyArray<{ name: string; path: string }>, model: FormModel | null | undefined): string[] {
  if (!model) return [];
  return stored.filter((c) => storedHere.includes(c.path) && frontendsUsingCert(model, c.path).length === 0).map((c) => c.name);
}

/** A certificate's subject alternative names as a person reads them: `DNS:nas.home.arpa` is nas.home.arpa. */
export function sanNames(sans: readonly string[]): string[] {
  return sans.map((s) => s.replace(/^(DNS|IP):/, ''));
}

/** The client-certificate form's fields as typed. */
export interface ClientForm {
  name: string;
  email: string;
  days: string;
  password: string;
  repeat: string;
}

/** Local checks of the client-certificate form, in words at each field (the engine checks again). */
export function checkClientForm(f: ClientForm): Record<string, string> {
  const errors: Record<string, string> = {};
  const name = f.name.trim();
  if (name === '') errors.name = 'Give the person or device a name, e.g. alice-phone (it is the certificate\'s common name).';
  else if (name.length > 64 || /[\x00-\x1f\x7f]/.test(name)) errors.name = 'At most 64 printable characters.';
  const email = f.email.trim();
  if (email !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) errors.email = `${email} is not an e-mail address: write it as name@example.org, or leave it empty.`;
  const days = /^\s*\d+\s*$/.test(f.days) ? Number(f.days) : NaN;
  if (!(days >= 1 && days <= 825)) errors.days = 'From 1 to 825 days.';
  if (f.password !== f.repeat) errors.repeat = 'The two passwords differ.';
  return errors;
}

/**
 * What is wrong with text pasted as PEM, in words for its field, or undefined when it has a
 * `begin` line. Empty: `ask` (paste it, or choose the file). Text without the line: it says so
 * (asking to paste what was pasted helped nobody), and when the text is base64 only, that the
 * "-----BEGIN …" and "-----END …" lines were left out of the copy.
 */
export function pemProblem(text: string, ask: string, begin = '-----BEGIN'): string | undefined {
  const t = text.trim();
  if (t === '') return ask;
  if (t.includes(begin)) return undefined;
  const line = begin === '-----BEGIN' ? '-----BEGIN CERTIFICATE-----' : begin;
  if (t.length >= 32 && /^[A-Za-z0-9+/=\r\n]+$/.test(t)) return `The "${line}" and "-----END …-----" lines are missing: copy the whole file, those lines included.`;
  if (t.includes('-----BEGIN')) return `There is no ${line.replace(/-+(BEGIN )?/g, '').toLowerCase()} in this text (no "${line}" line).`;
  return `This is not PEM text: PEM text begins with a line such as "${line}". Open the .pem or .crt file in a text editor and copy all of it, or choose the file.`;
}

/** The store's own rule (proxy/certs/names.ts checkCertName): the name becomes a file name. */
const STORE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * What is wrong with a name to store a certificate under (Issue, Import): an empty field is asked
 * for (it was answered with the naming rule, as if something had been mistyped), a name the store
 * would refuse gets the rule.
 */
export function storeNameError(name: string): string | undefined {
  if (name.trim() === '') return 'Give the certificate a name, e.g. nas (it is stored as nas.pem).';
  if (!STORE_NAME.test(name)) return 'Up to 64 letters, digits, . _ -, starting with a letter or digit (the file becomes <name>.pem).';
  return undefined;
}

/** What the Certificates screen shows for a stored certificate: the one in use, and why it is not the file's. */
export interface CertInUse {
  facts: ServedCert;
  /** `Local CA`, `Self-signed` or the issuer's name. */
  issuer: string;
  /** Set when the engine serves a certificate committed over the runtime API (`commit ssl cert`) instead of the file's. */
  note?: string;
}

/** The certificate in use for a stored file: a runtime API commit's (CertInfo.served) before the file's. */
export function certInUse(c: CertInfo, day: (iso: string) => string): CertInUse {
  if (!c.served) return { facts: c, issuer: c.localCa ? 'Local CA' : c.selfSigned ? 'Self-signed' : c.issuer };
  return {
    facts: c.served,
    issuer: c.served.selfSigned ? 'Self-signed' : c.served.issuer,
    note: `In use: a certificate committed over the runtime API (serial ${c.served.serial}); the file holds another, until ${day(c.notAfter)}.`,
  };
}
