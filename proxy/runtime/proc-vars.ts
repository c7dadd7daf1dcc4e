/**
 * The proc.* variables of one configuration load, shared by every frontend (HAProxy's proc_vars).
 *
 * HAProxy creates each proc.* variable the configuration names (in a var() fetch, a set-var or
 * unset-var action or converter, an arithmetic converter's variable argument) while it parses the
 * file, without a value (vars.c vars_check_arg and parse_store: VF_CREATEONLY|VF_PERMANENT): so
 * `set-var(proc.x,ifexists)` stores and `set-var(proc.x,ifnotexists)` does not, and unset-var only
 * empties one. Then the global `set-var` / `set-var-fmt` lines run in file order.
 */
import { MapVarStore, compileLogFormat, compileSample, mkStr, parseSampleExpression, setVariable } from '../acl/index.ts';
import type { SampleContext, VarMap } from '../acl/index.ts';
import type { Config } from '../config/model.ts';
import { patternFileReader } from './pattern-files.ts';

/**
 * `proc.<name>` where a variable name can stand: right after `(` or `,` (var(proc.x),
 * set-var(proc.x,ifset), add(proc.x), %[var(proc.x)]). A string argument that looks like one
 * (str(proc.x)) creates a variable HAProxy would not: only ifexists/ifnotexists could tell.
 */
const PROC_NAME = /[(,]proc\.([A-Za-z0-9_.]+)/g;

/** The proc.* names the configuration's words mention. */
function mentionedNames(config: Config): Set<string> {
  const names = new Set<string>();
  for (const section of config.sections) {
    for (const directive of section.directives) {
      for (const word of directive.args) {
        if (!word.includes('proc.')) continue;
        for (const m of word.matchAll(PROC_NAME)) names.add(m[1]!);
      }
    }
  }
  for (const v of config.global.procVariables ?? []) names.add(v.name);
  return names;
}

/** The context of the global section's set-var lines: no connection, only the proc.* variables. */
function parserContext(vars: MapVarStore): SampleContext {
  return { conn: { src: '', srcPort: 0, dst: '', dstPort: 0, frontend: '', ssl: false }, vars };
}

/** The proc.* variables as the configuration leaves them once loaded. */
export function processVariables(config: Config): VarMap {
  const proc: VarMap = new Map();
  for (const name of mentionedNames(config)) proc.set(name, undefined);
  const settings = config.global.procVariables ?? [];
  if (settings.length === 0) return proc;
  const vars = new MapVarStore(proc);
  const ctx = parserContext(vars);
  for (const v of settings) {
    let value;
    if (v.format) {
      value = mkStr(compileLogFormat(v.format, { readFile: patternFileReader })(ctx));
    } else {
      const parsed = parseSampleExpression(v.expression ?? '');
      if ('error' in parsed) continue; // refused by the parser already
      value = compileSample(parsed.expr, { readFile: patternFileReader })(ctx);
    }
    if (value !== undefined) setVariable(vars, 'proc', v.name, value, v.conditions);
  }
  return proc;
}
