/**
 * E-mail alerts (configuration.txt 3.6 and `email-alert` in 4.2): a `mailers`
 * section lists SMTP servers, and a proxy's `email-alert mailers|from|to`
 * has each of them sent its servers' state changes (proxy/checks/email-alerts.ts
 * sends them). Messages are HAProxy 2.6's (cfgparse.c cfg_parse_mailers,
 * cfgparse-listen.c, and the checks at the end of check_config_validity).
 */
import { registerProxyKeywords } from './keywords.ts';
import type { DirectiveContext, ProxyDirectiveContext } from './keywords.ts';
import { SUPPORTED } from './status.ts';
import { parseAddress, parseTime } from './values.ts';
import type { Config, EmailAlert, Mailers, SyslogLevel } from './model.ts';
import type { Diagnostics } from './diagnostics.ts';

export const MAILERS_KEYWORDS = ['mailer', 'timeout'];

export const SYSLOG_LEVELS: readonly SyslogLevel[] = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

export function parseMailersDirective(ctx: DirectiveContext, mailers: Mailers, keyword: string): void {
  const [first, second] = ctx.args;
  if (keyword === 'mailer') {
    if (second === undefined) return ctx.error(`'mailer' expects <name> and <addr>[:<port>] as arguments.`);
    const bad = [...first!].find((c) => !/[A-Za-z0-9_.:-]/.test(c));
    if (bad !== undefined) return ctx.error(`character '${bad}' is not permitted in server name '${first}'.`, 0);
    const address = parseAddress(second, { kind: 'generic', keyword: `mailer ${first}` });
    if (address.error !== undefined) return ctx.error(address.error, 1);
    if (address.value.family === 'unix') return ctx.error(`'mailer ${first}' : TCP not supported for this address family.`, 1);
    if (address.value.portOffset || address.value.port === 0) return ctx.error(`'mailer ${first}' : missing port specification in '${second}'`, 1);
    mailers.mailers.push({ name: first!, host: address.value.host || '0.0.0.0', port: address.value.port, loc: ctx.directive.loc });
    return;
  }
  // timeout mail <time>
  if (first === undefined) return ctx.error(`'timeout' expects 'mail' and <time> as arguments.`);
  if (first !== 'mail') return ctx.error(`'timeout' expects 'mail' and <time> as arguments got '${first}'.`, 0);
  if (second === undefined) return ctx.error(`'timeout mail' expects <time> as argument.`);
  const time = parseTime(second, 'timeout mail');
  if (time.error !== undefined) return ctx.error(time.error, 1);
  if (time.warning) ctx.warn(time.warning, 1, 'LS_WARN_CFG_SUSPICIOUS');
  mailers.timeoutMail = time.value;
}

/** `email-alert <setting> <value>`: each line sets one field; the first one's place is kept for the messages. */
function parseEmailAlert(ctx: ProxyDirectiveContext): void {
  const [setting, value] = ctx.args;
  if (setting === undefined) return ctx.error(`missing argument after 'email-alert'.`);
  let field: Partial<EmailAlert>;
  switch (setting) {
    case 'mailers':
    case 'from':
    case 'to':
    case 'myhostname':
      if (value === undefined) return ctx.error(`missing argument after '${setting}'.`, 0);
      field = { [setting]: value };
      break;
    case 'level':
      if (!SYSLOG_LEVELS.includes(value as SyslogLevel)) return ctx.error(`unknown log level '${value ?? ''}' after 'level'`, 1);
      field = { level: value as SyslogLevel };
      break;
    default:
      return ctx.error(`email-alert: unknown argument '${setting}'.`, 0);
  }
  ctx.proxy.emailAlert = { loc: ctx.directive.loc, ...ctx.proxy.emailAlert, ...field };
}

registerProxyKeywords([{
  name: 'email-alert',
  sections: 'dflb',
  status: SUPPORTED,
  summary: '`email-alert mailers <section>`, `from <address>`, `to <address>`, `level <syslog level>` (default `alert`), `myhostname <name>` (default: the host name): each server state change at that level or more severe is mailed to every mailer of the section, with HAProxy 2.6\'s SMTP exchange and message.',
  parse: parseEmailAlert,
}]);

/**
 * Across sections, as HAProxy checks them once everything is read: a proxy with some `email-alert`
 * line but not all of mailers, from and to gets a warning and sends nothing; one naming a mailers
 * section that does not exist is an error.
 */
export function emailAlertProblems(config: Config, diagnostics: Diagnostics): void {
  for (const proxy of config.proxies) {
    const alert = proxy.emailAlert;
    if (proxy.kind === 'defaults' || alert === undefined) continue;
    const where = alert.loc ?? proxy.section.loc;
    if (alert.mailers === undefined || alert.from === undefined || alert.to === undefined) {
      diagnostics.warn(where, 'LS_WARN_CFG_IGNORED', `'email-alert' will be ignored for ${proxy.kind === 'listen' ? 'proxy' : proxy.kind} '${proxy.name}' (the presence any of 'email-alert from', 'email-alert level' 'email-alert mailers', 'email-alert myhostname', or 'email-alert to' requires each of 'email-alert from', 'email-alert mailers' and 'email-alert to' to be present).`, 'email-alert');
      continue;
    }
    if (!config.mailers.some((m) => m.name === alert.mailers)) {
      diagnostics.alert(where, 'LS_ERR_CFG_REFERENCE', `Proxy '${proxy.name}': unable to find mailers '${alert.mailers}'.`, 'email-alert');
    }
  }
}

/** The e-mail settings a proxy's alerts go out with, or undefined when it sends none (unset, or incomplete). */
export function activeEmailAlert(config: Config, alert: EmailAlert | undefined): { mailers: Mailers; from: string; to: string; level: SyslogLevel; myhostname?: string } | undefined {
  if (alert?.mailers === undefined || alert.from === undefined || alert.to === undefined) return undefined;
  const mailers = config.mailers.find((m) => m.name === alert.mailers);
  if (!mailers) return undefined;
  return { mailers, from: alert.from, to: alert.to, level: alert.level ?? 'alert', ...(alert.myhostname !== undefined ? { myhostname: alert.myhostname } : {}) };
}
