/**
 * Argument checks HAProxy runs right after parsing a fetch's arguments (the
 * `val_args` callbacks), with the same messages, and the helpers the
 * converter families' checks share (converter/*.ts). They may
 * normalise arguments in place (e.g. `add(txn.x)` becomes a variable
 * reference, `add(3)` an integer). Checks needing other objects (backends,
 * tables, sinks, certificates) are left to the caller.
 */
import { getHashes } from 'node:crypto';
import type { SampleArg, VarScope } from './types.ts';
import { readInt64 } from './args.ts';

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


/** Fetch validators, by the name used in the fetch tables. */
export const FETCH_VALIDATORS: Readonly<Record<string, ArgValidator>> = {
  hdr: (a) => (a[1]?.type === 'int' && a[1].value < -10 ? 'header occurrence must be >= -10' : undefined),
  htx_blk: (a) => {
    const pos = strOf(a[0]);
    if (!pos) return 'a block position is expected (> 0) or a special block name (head, tail, first)';
    if (pos !== 'head' && pos !== 'tail' && pos !== 'first' && !/^[0-9]+$/.test(pos)) return 'invalid block position';
    return undefined;
  },
  distcc: (a) => ((strOf(a[0]) ?? '').length !== 4 ? 'token name must be exactly 4 characters' : undefined),
  payload_lv: (a) => {
    if (intOf(a[0]) < 0) return 'payload offset1 must be positive';
    if (!intOf(a[1])) return 'payload length must be > 0';
    const off2 = strOf(a[2]);
    if (off2) {
      const v = readInt64(off2);
      if (v === undefined) return 'payload offset2 is not a number';
      if (intOf(a[0]) + intOf(a[1]) + v < 0) return 'payload offset2 too negative';
    }
    return undefined;
  },
  date_unit: (a) => checkUnit(a, 1),
  uuid: (a) => (a[0]?.type === 'int' && a[0].value !== 4 ? `Unsupported UUID version: '${a[0].value}'` : undefined),
  const_bool: (a) => (/^(true|false|0|1)$/i.test(strOf(a[0]) ?? '') ? undefined : "Expects 'true', 'false', '0' or '1'"),
  const_bin: (a) => {
    const r = parseHex(strOf(a[0]) ?? '');
    return typeof r === 'string' ? r : undefined;
  },
  const_meth: (a) => (HTTP_TOKEN.test(strOf(a[0]) ?? '') ? undefined : 'expects valid method.'),
  dnfmt: (a) => {
    const fmt = strOf(a[2]);
    return fmt && fmt !== 'rfc2253' ? 'only rfc2253 or a blank value are currently supported as the format argument.' : undefined;
  },
  fc_time: (a) => {
    const unit = strOf(a[0]);
    return unit === 'us' || unit === 'ms' ? undefined : `expects 'us' or 'ms', got '${unit ?? ''}'`;
  },
  fc_counter: (a, warnings) => {
    if (a.length) {
      warnings.push("no argument supported for 'fc_*' sample expressions returning counters.");
      a.length = 0;
    }
    return undefined;
  },
  var: (a) => {
    const parsed = parseVarName(strOf(a[0]) ?? '');
    if ('error' in parsed) return parsed.error;
    a[0] = { type: 'var', scope: parsed.scope, name: parsed.name };
    return undefined;
  },
};
