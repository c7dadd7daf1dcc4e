/**
 * Constants, process state and variables (sample.c, vars.c; section 7.3.2).
 */
import os from 'node:os';
import { randomInt, randomUUID } from 'node:crypto';
import type { ArgValidator } from '../validators.ts';
import type { Sample } from '../eval-sample.ts';
import type { FetchCompiler, FetchDefinition, FetchSite } from './define.ts';
import { strOf as argStr, checkUnit, parseVarName, HTTP_TOKEN } from '../validators.ts';
import { fetch, single, str, int } from './define.ts';
import { TRUE, FALSE, mkStr, mkInt, mkBool, mkBin, mkIPv4, mkIPv6 } from '../eval-sample.ts';
import { parseHex } from '../validators.ts';

const HOSTNAME = os.hostname();

/** A fetch always giving the same sample, computed at compile time. */
const constant = (value: (site: FetchSite) => Sample): FetchCompiler => (site) => {
  const v = value(site);
  return single(() => v);
};

const constBool = constant(({ args }) => mkBool(/^(true|1)$/i.test(str(args, 0) ?? '')));
const constInt = constant(({ args }) => mkInt(int(args, 0) ?? 0));
const constStr = constant(({ args }) => mkStr(str(args, 0) ?? ''));
const constBin = constant(({ args }) => {
  const b = parseHex(str(args, 0) ?? '');
  return mkBin(typeof b === 'string' ? new Uint8Array(0) : b);
});
const constIPv4 = constant(({ args }) => { const a = args[0]; return mkIPv4(a?.type === 'ipv4' ? a.value : 0); });
const constIPv6 = constant(({ args }) => { const a = args[0]; return mkIPv6(a?.type === 'ipv6' ? a.value : new Uint8Array(16)); });
const constMeth = constant(({ args }): Sample => ({ type: 'meth', value: str(args, 0) ?? '' }));
const hostname = constant(() => mkStr(HOSTNAME));
const one = constant(() => mkInt(1));
const zero = constant(() => mkInt(0));

const env: FetchCompiler = ({ args }) => {
  const n = str(args, 0);
  return single(() => { const v = n === undefined ? undefined : process.env[n]; return v === undefined ? undefined : mkStr(v); });
};

const rand: FetchCompiler = ({ args }) => {
  const range = int(args, 0);
  return single(() => {
    const r = randomInt(0, 0x100000000);
    return mkInt(range === undefined ? r : Math.floor((r * range) / 0x100000000));
  });
};

const date: FetchCompiler = ({ args }) => {
  const offset = int(args, 0) ?? 0;
  const unit = str(args, 1);
  return single(() => {
    const ms = Date.now();
    const v = unit === 'ms' ? ms : unit === 'us' ? ms * 1000 : Math.floor(ms / 1000);
    return mkInt(v + offset);
  });
};

const variable: FetchCompiler = ({ args }) => {
  const v = args[0];
  const def = str(args, 1);
  if (v?.type !== 'var') return undefined;
  const defSample = def !== undefined ? mkStr(def) : undefined;
  return single((ctx) => ctx.vars?.get(v.scope, v.name) ?? defSample);
};

// ---------------------------------------------------------------- argument checks (HAProxy's val_args)

const dateUnitArgs: ArgValidator = (a) => checkUnit(a, 1);

const uuidArgs: ArgValidator = (a) => (a[0]?.type === 'int' && a[0].value !== 4 ? `Unsupported UUID version: '${a[0].value}'` : undefined);

const constBoolArgs: ArgValidator = (a) => (/^(true|false|0|1)$/i.test(argStr(a[0]) ?? '') ? undefined : "Expects 'true', 'false', '0' or '1'");

const constBinArgs: ArgValidator = (a) => {
  // smp_check_const_bin(): parse_binary() fails on nothing without saying why, so HAProxy prints '(null)'.
  if (!argStr(a[0])) return '(null)';
  const r = parseHex(argStr(a[0]) ?? '');
  return typeof r === 'string' ? r : undefined;
};

const constMethArgs: ArgValidator = (a) => (HTTP_TOKEN.test(argStr(a[0]) ?? '') ? undefined : 'expects valid method.');

/** The name becomes a variable reference. */
const variableArgs: ArgValidator = (a) => {
  const parsed = parseVarName(argStr(a[0]) ?? '');
  if ('error' in parsed) return parsed.error;
  a[0] = { type: 'var', scope: parsed.scope, name: parsed.name };
  return undefined;
};

export const CORE_FETCHES: readonly FetchDefinition[] = [
  // sample.c
  fetch(['always_false', '', 'bool', 'CONST'], () => single(() => FALSE)),
  fetch(['always_true', '', 'bool', 'CONST'], () => single(() => TRUE)),
  fetch(['bin', 'str', 'bin', 'CONST'], constBin, constBinArgs),
  fetch(['bool', 'str', 'bool', 'CONST'], constBool, constBoolArgs),
  fetch(['cpu_calls', '', 'int', 'INTRN']),
  fetch(['cpu_ns_avg', '', 'int', 'INTRN']),
  fetch(['cpu_ns_tot', '', 'int', 'INTRN']),
  fetch(['date', '[int,str]', 'int', 'CONST'], date, dateUnitArgs),
  fetch(['date_us', '', 'int', 'CONST'], () => single(() => mkInt((Date.now() % 1000) * 1000))),
  fetch(['env', 'str', 'str', 'CONST'], env),
  fetch(['hostname', '', 'str', 'CONST'], hostname),
  fetch(['int', 'int', 'int', 'CONST'], constInt),
  fetch(['ipv4', 'ipv4', 'ipv4', 'CONST'], constIPv4),
  fetch(['ipv6', 'ipv6', 'ipv6', 'CONST'], constIPv6),
  fetch(['lat_ns_avg', '', 'int', 'INTRN']),
  fetch(['lat_ns_tot', '', 'int', 'INTRN']),
  fetch(['meth', 'str', 'meth', 'CONST'], constMeth, constMethArgs),
  fetch(['nbproc', '', 'int', 'CONST'], one),
  fetch(['proc', '', 'int', 'CONST'], one),
  fetch(['rand', '[int]', 'int', 'CONST'], rand),
  fetch(['stopping', '', 'bool', 'INTRN'], () => single((ctx) => mkBool(ctx.hooks?.isStopping?.() ?? false))),
  fetch(['str', 'str', 'str', 'CONST'], constStr),
  fetch(['thread', '', 'int', 'CONST'], zero),
  fetch(['uuid', '[int]', 'str', 'CONST'], () => single(() => mkStr(randomUUID())), uuidArgs),
  // vars.c
  fetch(['var', 'str[,str]', 'any', 'CONST'], variable, variableArgs),
];
