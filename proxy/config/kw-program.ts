/**
 * `program` sections (configuration.txt 3.7): commands started beside the engine in master-worker
 * mode (proxy/runtime/programs.ts runs them). Parsed as HAProxy 2.6 parses them, with its messages
 * (mworker-prog.c cfg_parse_program and cfg_program_postparser; the `no`/`default` prefixes as
 * cfgparse.c readcfgfile handles them for every section).
 */
import { NEGATION_REFUSED, type DirectiveContext } from './keywords.ts';
import type { Config, Program } from './model.ts';
import type { Diagnostics } from './diagnostics.ts';
import { accountId } from './kw-global.ts';

export const PROGRAM_KEYWORDS = ['command', 'option', 'user', 'group'];

/** The keywords HAProxy takes a `no` or `default` prefix on in any section (cfgparse.c). */
const PREFIXABLE = new Set(['option', 'log', 'busy-polling', 'set-dumpable', 'strict-limits', 'insecure-fork-wanted', 'numa-cpu-mapping']);

/**
 * One line of a program section. `prefix` is a leading `no` or `default` (already taken off
 * `ctx.args`' keyword); HAProxy refuses it on anything but `option`, then reads the line anyway.
 */
export function parseProgramDirective(ctx: DirectiveContext, program: Program, keyword: string, prefix: 'no' | 'default' | undefined): void {
  if (prefix !== undefined && !PREFIXABLE.has(keyword)) {
    ctx.error(NEGATION_REFUSED);
  }
  if (!PROGRAM_KEYWORDS.includes(keyword)) return ctx.error(`unknown keyword '${keyword}' in 'program' section`, undefined, 'LS_ERR_CFG_UNKNOWN_KEYWORD');
  const args = ctx.args;
  switch (keyword) {
    case 'command':
      if (args.length === 0 || args[0] === '') return ctx.error(`'command' expects a command with optional arguments separated in words.`);
      program.command = [...args];
      return;
    case 'option':
      return parseOption(ctx, program, prefix);
    default: {
      const [name, extra] = args;
      const what = keyword as 'user' | 'group';
      if (name === undefined || name === '') return ctx.error(`'${what}' expects a ${what} name.`);
      if (extra !== undefined) return ctx.error(`'${what}' cannot handle unexpected argument '${extra}'.`, 1);
      const field = what === 'user' ? 'uid' : 'gid';
      // An alert in HAProxy that does not make the file invalid: the first one stays.
      if (program[field] !== undefined) return ctx.warn(`${what}/${field} already specified. Continuing.`);
      const id = accountId(ctx.options.readFile(what === 'user' ? '/etc/passwd' : '/etc/group'), name);
      if (id === undefined) return ctx.error(`cannot find ${what} id for '${name}' (0:Success)`, 0);
      program[field] = id;
    }
  }
}

/** `option start-on-reload`, `no option start-on-reload`; HAProxy 2.6 reads a `default` prefix one word off. */
function parseOption(ctx: DirectiveContext, program: Program, prefix: 'no' | 'default' | undefined): void {
  const args = ctx.args;
  if (prefix === 'default') {
    // The words as HAProxy 2.6 sees them after `default`: the option's name is also its first argument.
    const name = args[0] ?? 'option';
    if (name !== 'start-on-reload') return ctx.error(`unknown option '${name}'.`, 0);
    return ctx.error(`'option start-on-reload' cannot handle unexpected argument '${args[1] ?? name}'.`, args[1] === undefined ? 0 : 1);
  }
  const name = args[0];
  if (name === undefined || name === '') return ctx.error(`'option' expects an option name.`);
  if (name !== 'start-on-reload') return ctx.error(`unknown option '${name}'.`, 0);
  if (args[1] !== undefined) return ctx.error(`'option start-on-reload' cannot handle unexpected argument '${args[1]}'.`, 1);
  program.startOnReload = prefix !== 'no';
}

/** Once every file is read (cfg_program_postparser): a program needs a command, and master-worker mode. */
export function programProblems(config: Config, diagnostics: Diagnostics): void {
  for (const program of config.programs) {
    if (program.command === undefined) diagnostics.alert(program.section.loc, 'LS_ERR_CFG_BAD_ARGUMENT', `The program section '${program.name}' lacks a command to launch.`, 'program');
  }
  const first = config.programs[0];
  if (first !== undefined && config.global.masterWorker === undefined) {
    diagnostics.alert(first.section.loc, 'LS_ERR_CFG_CONFLICT', `Can't use a 'program' section without master worker mode.`, 'program');
  }
}
