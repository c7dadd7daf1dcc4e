/**
 * What the argument checks of fetches and converters share — HAProxy runs
 * them right after parsing a call's arguments (the `val_args` callbacks);
 * each check lives with its fetch or converter (fetch/*.ts, converter/*.ts)
 * and may normalise arguments in place (e.g. `add(txn.x)` becomes a variable
 * reference, `add(3)` an integer). Checks needing other objects (backends,
 * tables, sinks, certificates) are left to the caller.
 */
import { getHashes } from 'node:crypto';
import type { SampleArg, VarScope } from './types.ts';

/** Returns an error message, or undefined when the arguments are fine. Warnings go to `warnings`. */
export type ArgValidator = (args: SampleArg[], warnings: string[]) => string | undefined;

const VAR_SCOPES: readonly VarScope[] = ['proc', 'sess', 'txn', 'req', 'res', 'check'];

/** vars_hash_name(): splits `scope.name` and checks its syntax; returns the error message on failure. */
export function parseVarName(text: string): { scope: VarScope; name: string } | { error: string } {
  if (text === '') return { error: 'Empty variable name cannot be accepted' };
  const scope = VAR_SCOPES.find((s) => text.length > s.length + 1 && text.startsWith(s + '.'));
  if (!scope) {
    return {
      error: `invalid variable name '${text}'. A variable name must be start by its scope. `
        + `The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'`,
    };
  }
  const name = text.slice(scope.length + 1);
  const bad = /[^A-Za-z0-9_.]/.exec(name);
  if (bad) return { error: `invalid syntax at char '${name.slice(bad.index)}'` };
  return { scope, name };
}

/** A string argument's text. */
export const strOf = (arg: SampleArg | undefined): string | undefined => (arg?.type === 'str' ? arg.value : undefined);
/** An integer argument's value (0 when absent). */
export const intOf = (arg: SampleArg | undefined): number => (arg?.type === 'int' ? arg.value : 0);

/** Replaces a string argument holding a variable name by a variable reference; false if it is not one. */
export function toVar(args: SampleArg[], i: number): boolean {
  const text = strOf(args[i]);
  if (text === undefined) return false;
  const parsed = parseVarName(text);
  if ('error' in parsed) return false;
  args[i] = { type: 'var', scope: parsed.scope, name: parsed.name };
  return true;
}

/** A time unit argument: s, ms or us. */
export function checkUnit(args: SampleArg[], i: number): string | undefined {
  const unit = strOf(args[i]);
  if (unit !== undefined && unit !== 's' && unit !== 'ms' && unit !== 'us') return `expects 's', 'ms' or 'us', got '${unit}'`;
  return undefined;
}

/** parse_binary() */
export function parseHex(text: string): Uint8Array | string {
  if (text.length % 2) return 'an even number of hex digit is expected';
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < text.length; i += 2) {
    for (const c of [text[i]!, text[i + 1]!]) if (!/[0-9a-fA-F]/.test(c)) return `an hex digit is expected (found '${c}')`;
    bytes[i / 2] = parseInt(text.slice(i, i + 2), 16);
  }
  return bytes;
}

/** RFC 7230 token characters (HTTP methods). */
export const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]*$/;

/** A variable name or a base64 string argument (hmac key, aes_gcm_dec nonce…). */
export function varOrBase64(args: SampleArg[], i: number, what: string): string | undefined {
  const text = strOf(args[i]) ?? '';
  if (text === '' || toVar(args, i)) return undefined;
  if (text.length % 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    return `failed to parse ${what} : argument needs to be base64 encoded, and can either be a string or a variable`;
  }
  return undefined;
}

let digestNames: Set<string> | undefined;
/** Is `name` an OpenSSL message digest? */
export function isDigest(name: string): boolean {
  digestNames ??= new Set(getHashes().map((h) => h.toLowerCase()));
  return digestNames.has(name.toLowerCase());
}
