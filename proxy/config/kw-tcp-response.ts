/**
 * `tcp-response inspect-delay` and `tcp-response content` (configuration.txt §4.2, tcp_rules.c
 * tcp_parse_tcp_rep): rules over the server's first bytes in a backend, a listen section or a named
 * defaults section. Loadstar runs accept, reject, close, set-var, set-var-fmt, unset-var and set-log-level; the
 * other actions HAProxy 2.6 has are refused by name.
 */
import { registerProxyKeywords } from './keywords.ts';
import type { ProxyDirectiveContext } from './keywords.ts';
import { splitCondition, warnIfConditionConflicts } from './conditions.ts';
import { parseTime } from './values.ts';
import { ENGINE } from './status.ts';
import { suggestAction } from './suggest.ts';
import { isLogLevel, LOG_LEVEL_EXPECTED, parseTcpVariableAction, ruleCheckpoints } from './kw-rules.ts';
import type { TcpResponseRule } from './model.ts';

/** The actions HAProxy 2.6 lists in its error message, in its order. */
const HAPROXY_ACTIONS = [
  'accept', 'close', 'reject', 'ot-group', 'set-log-level', 'set-nice', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)',
  'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-mark', 'set-tos', 'silent-drop',
];

function parseContent(ctx: ProxyDirectiveContext): void {
  const action = ctx.args[0] ?? '';
  const where = `in ${ctx.sectionLabel}`;
  const base = action.replace(/\(.*$/, '');
  const known = HAPROXY_ACTIONS.some((a) => a.replace('(*)', '') === base);
  if (!known) {
    const hint = suggestAction(action, HAPROXY_ACTIONS.slice(3), ['accept', 'reject', 'close']);
    return ctx.error(`'tcp-response content' expects ${HAPROXY_ACTIONS.map((a) => `'${a}'`).join(', ')} ${where} (got '${action}').${hint ? ` Did you mean '${hint}' maybe ?` : ''}`, 0);
  }
  const split = splitCondition(ctx, 1, `'tcp-response content ${action}'`, { head: (kw) => `'tcp-response content ${action}' : error detected in ${ctx.sectionLabel} while parsing '${kw}' condition :` });
  if (!split.ok) return;
  const args = split.head.slice(1);
  let result: TcpResponseRule['action'] | undefined;
  if (action === 'accept' || action === 'reject' || action === 'close') {
    if (args.length > 0) return ctx.error(`'tcp-response content ${action}' only accepts 'if' or 'unless', ${where} (got '${args[0]}')`, 1);
    result = { type: action };
  } else if (/^(set-var-fmt|set-var|unset-var)$/.test(base)) {
    const parsed = parseTcpVariableAction(ctx, action, args);
    if (!parsed) return;
    result = parsed;
  } else if (action === 'set-log-level') {
    if (!isLogLevel(args[0])) return ctx.error(LOG_LEVEL_EXPECTED, 1);
    if (args.length > 1) return ctx.error(`'tcp-response content ${action}' only accepts 'if' or 'unless', ${where} (got '${args[1]}')`, 2);
    result = { type: 'set-log-level', level: args[0] };
  } else {
    return ctx.error(`'tcp-response content ${base}' is not supported by Loadstar yet (supported: accept, reject, close, set-var, set-var-fmt, unset-var, set-log-level).`, 0, 'LS_ERR_CFG_UNSUPPORTED');
  }
  warnIfConditionConflicts(ctx, split.condition, ruleCheckpoints(ctx), 'tcp-response content');
  (ctx.proxy.tcpResponseRules ??= []).push({ action: result, condition: split.condition, loc: ctx.directive.loc });
}

registerProxyKeywords([
  {
    name: 'tcp-response inspect-delay',
    sections: 'nlb',
    status: ENGINE,
    summary: 'How long tcp-response content rules may hold the server\'s first bytes back while their conditions lack data (then a last pass decides, WAIT_END becomes true).',
    parse(ctx) {
      const t = ctx.args[0] === undefined ? undefined : parseTime(ctx.args[0], 'tcp-response inspect-delay');
      if (t === undefined || t.error !== undefined) return ctx.error(`'tcp-response inspect-delay' expects a positive delay in milliseconds, in ${ctx.sectionLabel}`, 0);
      if (t.warning) ctx.warn(t.warning, 0, 'LS_WARN_CFG_SUSPICIOUS');
      ctx.proxy.responseInspectDelay = t.value;
    },
  },
  {
    name: 'tcp-response content',
    sections: 'nlb',
    status: ENGINE,
    summary: 'Rules over the server\'s first bytes (res.len, res.payload…, WAIT_END), held back until one decides or the inspect-delay ends: accept forwards them, reject closes both sides without sending them (logged PD), close closes the server side after forwarding them; set-var/set-var-fmt/unset-var; set-log-level <level>|silent sets the level of the session\'s log line, or drops it (in HTTP mode the exchange\'s, which a later http-response set-log-level changes again). In an HTTP-mode backend they run once when the answer starts, over the exchange (its variables and request; the raw-byte fetches find nothing, as HAProxy ignores them there): reject closes the client connection without an answer (PD), close gives the client a 502 (SH).',
    parse: parseContent,
  },
]);
