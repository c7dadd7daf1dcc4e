/**
 * `option redis-check`, `option pgsql-check user <name>`, `option mysql-check
 * [user <name> [post-41|pre-41]]`, `option smtpchk [EHLO|HELO <domain>]`,
 * `option ssl-hello-chk`, `option ldap-check`: HAProxy's protocol checks
 * (proxy/checks/protocol-checks.ts runs them). Each is kept among the proxy's
 * options with its arguments. As in HAProxy, one check type is in force: the
 * latest of these lines, `option httpchk` and `option tcp-check` wins, so each
 * turns the others off in its proxy (defaults included, through inheritance).
 */
import { registerProxyKeywords } from './keywords.ts';
import type { ProxyDirectiveContext, ProxyKeyword } from './keywords.ts';
import { CHECKS } from './status.ts';
import { PROTOCOL_CHECKS } from './protocol-check-names.ts';
import { checkChosen } from './kw-checks.ts';
import type { ProtocolCheck } from './protocol-check-names.ts';

/** HAProxy's too_many_args_idx message; true when there are too many. */
function tooMany(ctx: ProxyDirectiveContext, name: string, max: number): boolean {
  if (ctx.args.length <= max) return false;
  ctx.error(`'option ${name}' cannot handle unexpected argument '${ctx.args[max]}'.`, max);
  return true;
}

/** The argument errors of each option (tcpcheck.c proxy_parse_*_opt); false after reporting one. */
function validate(ctx: ProxyDirectiveContext, name: ProtocolCheck): boolean {
  const a = ctx.args;
  switch (name) {
    case 'redis-check':
    case 'ssl-hello-chk':
    case 'ldap-check':
      return !tooMany(ctx, name, 0);
    case 'smtpchk':
      return !tooMany(ctx, name, 2);
    case 'pgsql-check':
      if (tooMany(ctx, name, 2)) return false;
      if (!a[0] || !a[1]) {
        ctx.error(`'option pgsql-check' expects 'user <username>' as argument.`, 0);
        return false;
      }
      if (a[0] !== 'user') {
        ctx.error(`'option pgsql-check' only supports optional values: 'user'.`, 1);
        return false;
      }
      return true;
    case 'mysql-check':
      if (tooMany(ctx, name, 3)) return false;
      if (a[0] === undefined || a[0] === '') return true;
      if (a[0] !== 'user') {
        ctx.error(`'option mysql-check' only supports optional values: 'user' (got '${a[0]}').`, 1);
        return false;
      }
      if (!a[1]) {
        ctx.error(`'option mysql-check user' expects <username> as argument.`, 1);
        return false;
      }
      if (a[2] && a[2] !== 'post-41' && a[2] !== 'pre-41') {
        ctx.error(`keyword 'user' only supports 'post-41' and 'pre-41' (got '${a[2]}').`, 3);
        return false;
      }
      return true;
  }
}

const SUMMARIES: Record<ProtocolCheck, string> = {
  'redis-check': 'Redis health check: PING, expects +PONG.',
  'pgsql-check': 'PostgreSQL health check: `user <name>`; a startup message, expects an authentication request.',
  'mysql-check': 'MySQL health check: `[user <name> [post-41|pre-41]]`; the handshake, then a login and QUIT with a user.',
  smtpchk: 'SMTP health check: `[EHLO|HELO <domain>]`; expects a 2xx greeting and a 2xx answer.',
  'ssl-hello-chk': 'SSLv3 CLIENT HELLO health check: expects a TLS handshake or alert record.',
  'ldap-check': 'LDAPv3 health check: an anonymous bind, expects a successful BindResponse.',
};

const keywords: ProxyKeyword[] = PROTOCOL_CHECKS.map((name) => ({
  name: `option ${name}`,
  sections: 'dlb',
  status: CHECKS,
  summary: SUMMARIES[name],
  // tcpcheck.c's parsers warn about a frontend, then read the words all the same.
  checkIgnored: (ctx: ProxyDirectiveContext) => void validate(ctx, name),
  parse(ctx: ProxyDirectiveContext) {
    if (!validate(ctx, name)) return;
    checkChosen(ctx, name);
    ctx.proxy.options[name] = { enabled: true, args: [...ctx.args], loc: ctx.directive.loc };
  },
}));

registerProxyKeywords(keywords);
