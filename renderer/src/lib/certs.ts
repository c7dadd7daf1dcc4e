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
