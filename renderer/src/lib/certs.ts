/**
 * Which sites of the running configuration use a stored certificate: a
 * frontend whose bind names the certificate's file (`ssl crt PATH`). Removing
 * such a file leaves a configuration that no longer loads (HAProxy: "unable to
 * stat SSL certificate"), so every later change would be refused.
 */
import type { FormModel } from '../../../proxy/control/contract.ts';

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
