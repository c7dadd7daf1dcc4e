/**
 * External health checks (configuration.txt `external-check`, `option
 * external-check`, `external-check command|path`): a command the engine runs
 * per check, whose exit status says whether the server is up
 * (proxy/checks/external.ts runs it). Messages are HAProxy 2.6's
 * (extcheck.c proxy_parse_extcheck / proxy_parse_external_check_opt,
 * cfgparse-global.c, and the checks at the end of check_config_validity).
 */
import { registerGlobalKeywords, registerProxyKeywords } from './keywords.ts';
import type { DirectiveContext, ProxyDirectiveContext } from './keywords.ts';
import { CHECKS } from './status.ts';
import { checkChosen } from './kw-checks.ts';
import type { Config } from './model.ts';
import type { Diagnostics } from './diagnostics.ts';

/** The key `option external-check` is kept under among the proxy's options. */
export const EXTERNAL_CHECK = 'external-check';

function tooMany(ctx: DirectiveContext, what: string, max: number): boolean {
  if (ctx.args.length <= max) return false;
  ctx.error(`'${what}' cannot handle unexpected argument '${ctx.args[max]}'.`, max);
  return true;
}

function parseOption(ctx: ProxyDirectiveContext): void {
  // HAProxy sets the check type before it looks at the arguments: a refused line still switches it.
  checkChosen(ctx, EXTERNAL_CHECK);
  ctx.proxy.options[EXTERNAL_CHECK] = { enabled: true, args: [], loc: ctx.directive.loc };
  tooMany(ctx, 'option external-check', 0);
}

function parseExternalCheck(ctx: ProxyDirectiveContext): void {
  const [what, value] = ctx.args;
  if (what === undefined || what === '') return ctx.error(`missing argument after 'external-check'.`);
  if (what !== 'command' && what !== 'path') return ctx.error(`'external-check' only supports 'command' and 'path'. but got '${what}'.`, 0);
  if (tooMany(ctx, 'external-check', 2)) return;
  if (value === undefined || value === '') return ctx.error(`missing argument after '${what}'.`, 0);
  const setting = { value, loc: ctx.directive.loc };
  if (what === 'command') ctx.proxy.externalCheckCommand = setting;
  else ctx.proxy.externalCheckPath = setting;
}

registerProxyKeywords([
  {
    name: 'option external-check',
    sections: 'dlb',
    status: CHECKS,
    summary: 'Health checks by a command (`external-check command`): exit status 0 is up (PROCOK), any other status or a signal is down (PROCERR), a command still running after `inter` (or `timeout connect` when `timeout check` is set, if shorter) is sent SIGTERM (PROCTOUT). It gets HAProxy\'s arguments (the proxy\'s first bind address and port, the server\'s address and port) and HAPROXY_* environment. Needs global `external-check`. The command runs with the privileges of the Loadstar process (of the user running it): only point it at a script you trust, writable by nobody else.',
    parse: parseOption,
  },
  {
    name: 'external-check',
    sections: 'dflb',
    status: CHECKS,
    summary: '`external-check command <command>`: what `option external-check` runs (an absolute path, or a name searched in `external-check path`), started directly, without a shell, with the privileges of the Loadstar process; `external-check path <path>`: the PATH it gets (default: empty).',
    parse: parseExternalCheck,
  },
]);

registerGlobalKeywords([
  {
    name: 'external-check',
    sections: 'g',
    status: CHECKS,
    summary: 'Allows `option external-check`: commands run with the privileges of the Loadstar process (HAProxy\'s warning applies: only with scripts you trust).',
    parse(ctx) {
      if (tooMany(ctx, 'external-check', 0)) return;
      ctx.config.global.externalCheck = true;
    },
  },
  {
    name: 'insecure-fork-wanted',
    sections: 'g',
    status: CHECKS,
    summary: 'Declares that the process may start commands (`option external-check`); without it `option external-check` gets HAProxy\'s warning (Loadstar starts the command either way).',
    parse(ctx) {
      if (tooMany(ctx, 'insecure-fork-wanted', 0)) return;
      ctx.config.global.insecureForkWanted = true;
    },
  },
]);

/** Once everything is read, as HAProxy's check_config_validity checks each proxy (defaults excluded). */
export function externalCheckProblems(config: Config, diagnostics: Diagnostics): void {
  for (const proxy of config.proxies) {
    if (proxy.kind === 'defaults') continue;
    const option = proxy.options[EXTERNAL_CHECK];
    const on = option?.enabled === true;
    const kind = proxy.kind === 'listen' ? 'proxy' : proxy.kind;
    if (on) {
      const where = option.loc ?? proxy.section.loc;
      if (!config.global.externalCheck) diagnostics.alert(where, 'LS_ERR_CFG_REFERENCE', `Proxy '${proxy.name}' : 'option external-check' unable to find required 'global.external-check'.`, 'option external-check');
      if (!proxy.externalCheckCommand) diagnostics.alert(where, 'LS_ERR_CFG_REFERENCE', `Proxy '${proxy.name}' : 'option external-check' unable to find required 'external-check command'.`, 'option external-check');
      if (!config.global.insecureForkWanted) diagnostics.warn(where, 'LS_WARN_CFG_SUSPICIOUS', `Proxy '${proxy.name}' : 'insecure-fork-wanted' not enabled in the global section, 'option external-check' will likely fail.`, 'option external-check');
    }
    const command = proxy.externalCheckCommand;
    if (command) {
      if (!on) diagnostics.warn(command.loc, 'LS_WARN_CFG_IGNORED', `'external-check command' will be ignored for ${kind} '${proxy.name}' (requires 'option external-check').`, 'external-check');
      if (!command.value.startsWith('/') && !proxy.externalCheckPath) {
        diagnostics.alert(command.loc, 'LS_ERR_CFG_BAD_ARGUMENT', `Proxy '${proxy.name}': 'external-check command' does not have a leading '/' and 'external-check path' is not set.`, 'external-check');
      }
    }
    if (proxy.externalCheckPath && !on) diagnostics.warn(proxy.externalCheckPath.loc, 'LS_WARN_CFG_IGNORED', `'external-check path' will be ignored for ${kind} '${proxy.name}' (requires 'option external-check').`, 'external-check');
  }
}
