/** The stats page keywords of proxies (`stats enable`, `stats uri` …). */
import { registerProxyKeywords } from './keywords.ts';
import type { ProxyDirectiveContext, ProxyKeyword } from './keywords.ts';
import { splitCondition } from './conditions.ts';
import { parseTime } from './values.ts';
import { STATS, NO_EFFECT } from './status.ts';

function one(ctx: ProxyDirectiveContext, what: string): string | undefined {
  if (ctx.args.length !== 1) {
    ctx.error(`'stats ${what}' expects ${what === 'uri' ? 'a URI prefix' : 'an argument'}.`);
    return undefined;
  }
  ctx.proxy.stats.enabled = true;
  return ctx.args[0];
}

const keywords: ProxyKeyword[] = [
  { name: 'stats enable', sections: 'dflb', status: STATS, summary: 'Serves the statistics page on this proxy.', parse(ctx) { ctx.proxy.stats.enabled = true; } },
  { name: 'stats uri', sections: 'dflb', status: STATS, summary: 'URI prefix of the statistics page (default /haproxy?stats).', parse(ctx) { const v = one(ctx, 'uri'); if (v !== undefined) ctx.proxy.stats.uri = v; } },
  {
    name: 'stats refresh', sections: 'dflb', status: STATS, summary: 'Auto-refresh interval of the statistics page.',
    parse(ctx) {
      const v = one(ctx, 'refresh');
      if (v === undefined) return;
      const t = parseTime(v, 'stats refresh', 1000);
      if (t.error !== undefined) return ctx.error(t.error, 0);
      ctx.proxy.stats.refresh = t.value;
    },
  },
  {
    name: 'stats auth', sections: 'dflb', status: STATS, summary: 'user:password allowed to see the statistics page.',
    parse(ctx) {
      const v = one(ctx, 'auth');
      if (v === undefined) return;
      const colon = v.indexOf(':');
      if (colon <= 0) return ctx.error(`'stats auth' expects <user>:<password>.`, 0);
      ctx.proxy.stats.auth.push({ user: v.slice(0, colon), password: v.slice(colon + 1) });
    },
  },
  { name: 'stats realm', sections: 'dflb', status: STATS, summary: 'HTTP authentication realm of the statistics page.', parse(ctx) { const v = one(ctx, 'realm'); if (v !== undefined) ctx.proxy.stats.realm = v; } },
  {
    name: 'stats admin', sections: 'flb', status: STATS, summary: 'Enables admin actions (drain, maint, weight) on the statistics page when the condition matches.',
    parse(ctx) {
      if (ctx.args[0] !== 'if' && ctx.args[0] !== 'unless') return ctx.error(`'stats admin' requires either 'if' or 'unless' followed by a condition.`);
      const split = splitCondition(ctx, 0, `'stats admin' rule`);
      if (split.ok) ctx.proxy.stats.admin.push({ condition: split.condition, loc: ctx.directive.loc });
    },
  },
  { name: 'stats hide-version', sections: 'dflb', status: STATS, summary: 'Hides the version on the statistics page.', parse(ctx) { ctx.proxy.stats.hideVersion = true; } },
  { name: 'stats show-legends', sections: 'dflb', status: STATS, summary: 'Shows legends on the statistics page.', parse(ctx) { ctx.proxy.stats.showLegends = true; } },
  { name: 'stats scope', sections: 'dflb', status: STATS, summary: 'Limits the statistics page to the named proxies.', parse(ctx) { const v = one(ctx, 'scope'); if (v !== undefined) ctx.proxy.stats.scope.push(v); } },
  {
    name: 'stats show-desc', sections: 'dflb', status: NO_EFFECT, summary: 'Cosmetic statistics page option.',
    parse(ctx) { ctx.warn(`'stats show-desc' has no effect in Loadstar and is ignored`, undefined, 'LS_WARN_CFG_IGNORED'); },
  },
  {
    name: 'stats show-node', sections: 'dflb', status: NO_EFFECT, summary: 'Cosmetic statistics page option.',
    parse(ctx) { ctx.warn(`'stats show-node' has no effect in Loadstar and is ignored`, undefined, 'LS_WARN_CFG_IGNORED'); },
  },
];

registerProxyKeywords(keywords);
