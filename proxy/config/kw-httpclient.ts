/**
 * HAProxy 2.6's `httpclient.*` globals configure its internal HTTP client (used by Lua scripts and
 * the ACME / OCSP helpers): Loadstar has no such client, so they have no effect. Their arguments
 * are checked as HAProxy checks them, at parse time and once the configuration is read (the
 * resolvers section must exist, the CA file must open unless verification is off).
 */
import { registerGlobalKeywords } from './keywords.ts';
import type { DirectiveContext, KeywordSpec } from './keywords.ts';
import { NO_EFFECT } from './status.ts';
import type { Config } from './model.ts';
import type { Diagnostics } from './diagnostics.ts';

function ignored(ctx: DirectiveContext): void {
  ctx.warn(`'${ctx.directive.keyword}' has no effect in Loadstar and is ignored (Loadstar has no internal HTTP client).`, undefined, 'LS_WARN_CFG_IGNORED');
}

function oneArgument(ctx: DirectiveContext): boolean {
  if (ctx.args.length <= 1) return true;
  ctx.error(`'${ctx.directive.keyword}' cannot handle unexpected argument '${ctx.args[1]}'.`, 1);
  return false;
}

function choice(name: string, values: readonly [string, string], summary: string, store: (ctx: DirectiveContext, value: string) => void): KeywordSpec {
  return {
    name,
    sections: 'g',
    status: NO_EFFECT,
    summary,
    parse(ctx) {
      if (!oneArgument(ctx)) return;
      const v = ctx.args[0] ?? '';
      if (!values.includes(v)) return ctx.error(`'${name}' expects '${values[0]}' or '${values[1]}' as argument.`, 0);
      store(ctx, v);
      ignored(ctx);
    },
  };
}

const keywords: KeywordSpec[] = [
  {
    name: 'httpclient.resolvers.id',
    sections: 'g',
    status: NO_EFFECT,
    summary: 'The resolvers section of HAProxy\'s internal HTTP client; Loadstar has none (the section must exist, as HAProxy checks).',
    parse(ctx) {
      if (!oneArgument(ctx)) return;
      ctx.config.global.httpclient = { ...ctx.config.global.httpclient, resolversId: { id: ctx.args[0] ?? '', loc: ctx.directive.loc } };
      ignored(ctx);
    },
  },
  choice('httpclient.resolvers.prefer', ['ipv4', 'ipv6'], 'The address family HAProxy\'s internal HTTP client prefers; Loadstar has no such client.', () => {}),
  {
    name: 'httpclient.ssl.ca-file',
    sections: 'g',
    status: NO_EFFECT,
    summary: 'The CA file HAProxy\'s internal HTTP client verifies servers with; Loadstar has no such client (the file must open unless `httpclient.ssl.verify none`, as HAProxy checks).',
    parse(ctx) {
      if (!oneArgument(ctx)) return;
      const file = ctx.args[0] ?? '';
      const opens = file === '@system-ca' || (file !== '' && ctx.options.fileExists(file));
      ctx.config.global.httpclient = { ...ctx.config.global.httpclient, caFile: { file, opens, loc: ctx.directive.loc } };
      ignored(ctx);
    },
  },
  choice('httpclient.ssl.verify', ['none', 'required'], 'Whether HAProxy\'s internal HTTP client verifies servers; Loadstar has no such client.', (ctx, v) => {
    ctx.config.global.httpclient = { ...ctx.config.global.httpclient, verify: v as 'none' | 'required' };
  }),
];

registerGlobalKeywords(keywords);

/** What HAProxy's httpclient init refuses once the configuration is read (httpclient_precheck, httpclient_postcheck). */
export function httpclientProblems(config: Config, diagnostics: Diagnostics): void {
  const h = config.global.httpclient;
  if (!h) return;
  if (h.caFile && !h.caFile.opens && h.verify !== 'none') {
    diagnostics.alert(h.caFile.loc, 'LS_ERR_CFG_REFERENCE', `Couldn't open the ca-file '${h.caFile.file}' (No such file or directory).`, 'httpclient.ssl.ca-file');
  }
  const id = h.resolversId;
  // HAProxy makes a `default` section of /etc/resolv.conf's nameservers when none is declared.
  if (id && id.id !== 'default' && !config.resolvers.some((r) => r.name === id.id)) {
    diagnostics.alert(id.loc, 'LS_ERR_CFG_REFERENCE', `Proxy '<HTTPCLIENT>': Can't find resolvers section '${id.id}' for do-resolve action.`, 'httpclient.resolvers.id');
  }
}
