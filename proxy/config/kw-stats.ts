/** The stats page keywords of proxies (`stats enable`, `stats uri` …). */
import { registerProxyKeywords } from './keywords.ts';
import type { ProxyDirectiveContext, ProxyKeyword } from './keywords.ts';
import { splitCondition, warnIfConditionConflicts } from './conditions.ts';
import { parseHttpAction, knownHttpRequestAction, ruleCheckpoints } from './kw-rules.ts';
import { suggest } from './suggest.ts';
import { parseTime } from './values.ts';
import { STATS } from './status.ts';

/** What cfgparse-listen.c says when `stats <what>` lacks its word. */
const NEEDS: Readonly<Record<string, string>> = {
  uri: "'uri' needs an URI prefix.",
  realm: "'realm' needs an realm name.",
  auth: "'auth' needs a user:password account.",
  scope: "'scope' needs a proxy name.",
  // parse_time_err() of an empty word stops at its end (the character it names is NUL).
  refresh: "unexpected character '' in argument to stats refresh interval.",
};

/** `stats <what> <word>`: HAProxy reads one word and ignores any after it. */
function one(ctx: ProxyDirectiveContext, what: string): string | undefined {
  if (!ctx.args[0]) {
    ctx.error(NEEDS[what]!);
    return undefined;
  }
  ctx.proxy.stats.enabled = true;
  return ctx.args[0];
}

/** The actions HAProxy documents for `stats http-request`. */
const STATS_ACTIONS = ['allow', 'deny', 'auth'];

/** `stats http-request { allow | deny | auth [realm R] } [{if|unless} cond]` */
function parseStatsRule(ctx: ProxyDirectiveContext): void {
  const action = ctx.args[0];
  if (!action) return ctx.error(`'stats http-request' expects 'allow', 'deny' or 'auth'.`);
  if (!STATS_ACTIONS.includes(action)) {
    // HAProxy parses any http-request action here, but documents and intends only these three.
    if (knownHttpRequestAction(action)) return ctx.error(`'stats http-request ${action}' is not supported by Loadstar (supported: allow, deny, auth).`, 0, 'LS_ERR_CFG_UNSUPPORTED');
    const hint = suggest(action, STATS_ACTIONS);
    return ctx.error(`'stats http-request' expects 'allow', 'deny' or 'auth', but got '${action}'.${hint ? ` Did you mean '${hint}' maybe ?` : ''}`, 0);
  }
  const rules = ctx.proxy.stats.httpRequest;
  if (rules.length > 0 && !rules[rules.length - 1]!.condition) {
    ctx.warn(`previous 'stats' action has no condition attached, further entries are NOOP.`, undefined, 'LS_WARN_CFG_SUSPICIOUS');
  }
  const split = splitCondition(ctx, 1, `a 'stats http-request ${action}' rule`, { head: `error detected while parsing an 'http-request ${action}' condition :`, tail: '.' });
  if (!split.ok) return;
  let failed = false;
  const fail = (message: string, argIndex?: number): void => {
    failed = true;
    ctx.error(`error detected in ${ctx.sectionLabel} while parsing 'http-request ${action}' rule : ${message}`, argIndex === undefined ? undefined : argIndex + 1);
  };
  const parsed = parseHttpAction('http-request', action, split.head.slice(1), fail, ctx);
  if (failed || !parsed) return;
  // Like `stats auth`, the rule turns the page on (HAProxy creates the proxy's uri_auth).
  ctx.proxy.stats.enabled = true;
  warnIfConditionConflicts(ctx, split.condition, ruleCheckpoints(ctx));
  rules.push({ action: parsed, condition: split.condition, loc: ctx.directive.loc });
}

// Every `stats` line but a refused one turns the page on, as each of HAProxy's creates the proxy's uri_auth
// (stats_check_init_uri_auth): `stats hide-version` alone serves the page at /haproxy?stats.
const keywords: ProxyKeyword[] = [
  { name: 'stats enable', sections: 'dflb', status: STATS, summary: 'Serves the statistics page on this proxy.', parse(ctx) { ctx.proxy.stats.enabled = true; } },
  { name: 'stats uri', sections: 'dflb', status: STATS, summary: 'URI prefix of the statistics page (default /haproxy?stats).', parse(ctx) { const v = one(ctx, 'uri'); if (v !== undefined) ctx.proxy.stats.uri = v; } },
  {
    name: 'stats refresh', sections: 'dflb', status: STATS, summary: 'Auto-refresh interval of the statistics page.',
    parse(ctx) {
      const v = one(ctx, 'refresh');
      if (v === undefined) return;
      const t = parseTime(v, 'stats refresh interval', 1000);
      if (t.error !== undefined) return ctx.error(t.error.startsWith('timer overflow') ? t.error : `unexpected character '${/^\d*(.)/.exec(v)?.[1] ?? ''}' in argument to stats refresh interval.`, 0);
      if (t.warning) ctx.warn(t.warning, 0, 'LS_WARN_CFG_SUSPICIOUS');
      ctx.proxy.stats.refresh = t.value;
    },
  },
  {
    name: 'stats auth', sections: 'dflb', status: STATS, summary: 'user:password allowed to see the statistics page.',
    parse(ctx) {
      const v = one(ctx, 'auth');
      if (v === undefined) return;
      // uri_auth.c stats_add_auth(): the password follows the first ':', empty without one.
      const colon = v.indexOf(':');
      ctx.proxy.stats.auth.push(colon < 0 ? { user: v, password: '' } : { user: v.slice(0, colon), password: v.slice(colon + 1) });
    },
  },
  { name: 'stats realm', sections: 'dflb', status: STATS, summary: 'HTTP authentication realm of the statistics page.', parse(ctx) { const v = one(ctx, 'realm'); if (v !== undefined) ctx.proxy.stats.realm = v; } },
  {
    name: 'stats admin', sections: 'flb', status: STATS, summary: 'Enables admin actions (drain, maint, weight) on the statistics page when the condition matches.',
    parse(ctx) {
      if (ctx.args[0] !== 'if' && ctx.args[0] !== 'unless') return ctx.error(`'stats admin' requires either 'if' or 'unless' followed by a condition.`);
      const split = splitCondition(ctx, 0, `'stats admin' rule`, { head: "error detected while parsing a 'stats admin' rule :", tail: '.' });
      if (!split.ok) return;
      warnIfConditionConflicts(ctx, split.condition, [...(ctx.kind !== 'backend' ? ['frontend-http-request' as const] : []), ...(ctx.kind !== 'frontend' ? ['backend-http-request' as const] : [])]);
      ctx.proxy.stats.admin.push({ condition: split.condition, loc: ctx.directive.loc });
      ctx.proxy.stats.enabled = true;
    },
  },
  {
    name: 'stats http-request', sections: 'flb', status: STATS,
    summary: 'Access rules of the statistics page: `allow`, `deny [status N …]` or `auth [realm R]`, each with an optional condition; the first that matches decides (instead of `stats auth`/`stats realm`, which cannot be combined with them).',
    parse: parseStatsRule,
  },
  { name: 'stats hide-version', sections: 'dflb', status: STATS, summary: 'Hides the version on the statistics page.', parse(ctx) { ctx.proxy.stats.hideVersion = true; ctx.proxy.stats.enabled = true; } },
  { name: 'stats show-legends', sections: 'dflb', status: STATS, summary: 'Shows legends on the statistics page.', parse(ctx) { ctx.proxy.stats.showLegends = true; ctx.proxy.stats.enabled = true; } },
  { name: 'stats scope', sections: 'dflb', status: STATS, summary: 'Limits the statistics page to the named proxies.', parse(ctx) { const v = one(ctx, 'scope'); if (v !== undefined) ctx.proxy.stats.scope.push(v); } },
  {
    name: 'stats show-desc', sections: 'dflb', status: STATS, summary: 'Shows a description on the statistics page (its words, else the global `description`).',
    parse(ctx) {
      // cfgparse-listen.c: without words it needs a global description, or it warns and does nothing.
      if (ctx.args.length === 0 && !ctx.config.global.tune['description']) {
        return ctx.warn(`'show-desc' requires a parameter or 'desc' to be set in the global section.`);
      }
      ctx.proxy.stats.showDesc = ctx.args.join(' ');
      ctx.proxy.stats.enabled = true;
    },
  },
  {
    name: 'stats show-node', sections: 'dflb', status: STATS, summary: 'Shows the node name on the statistics page (its word, else the global `node`).',
    parse(ctx) {
      const name = ctx.args[0];
      if (name !== undefined && !/^[A-Za-z0-9_.-]+$/.test(name)) {
        return ctx.error(`'stats show-node' invalid node name - should be a stringwith digits(0-9), letters(A-Z, a-z), hyphen(-) or underscode(_).`);
      }
      ctx.proxy.stats.showNode = name ?? '';
      ctx.proxy.stats.enabled = true;
    },
  },
];

registerProxyKeywords(keywords);
