/**
 * The backends, frontends, servers, tables and userlists that the arguments of fetches and
 * converters name, resolved once the whole configuration is known, with HAProxy's messages
 * (sample.c smp_resolve_args: "unable to find backend 'x' referenced in arg 1 of ACL keyword
 * 'nbsrv' in proxy 'p'."). Named ACLs, the anonymous ones of a proxy's rule conditions, and the
 * sample expressions and log-format strings of its rule actions, stick rules and dynamic
 * use_backend rules are checked; an argument left empty designates the current proxy.
 */
import { parseLogFormat, parseSampleExpression } from '../acl/index.ts';
import type { AclDeclaration, Condition, LogFormatToken, SampleArg, SampleExpr } from '../acl/index.ts';
import type { Diagnostics } from './diagnostics.ts';
import type { Config, Proxy, SourceLocation } from './model.ts';

/** What the proxies of the configuration offer to resolve names against. */
export interface ResolveScope {
  readonly proxies: ReadonlyMap<string, Proxy>;
  readonly tables: ReadonlySet<string>;
  readonly userlists: ReadonlySet<string>;
  /** The groups each userlist declares (`group` lines). */
  readonly groups: ReadonlyMap<string, ReadonlySet<string>>;
}

export function resolveScope(config: Config, tables: ReadonlySet<string>, userlists: ReadonlySet<string>): ResolveScope {
  const proxies = new Map<string, Proxy>();
  for (const p of config.proxies) if (p.kind !== 'defaults' && !proxies.has(p.name)) proxies.set(p.name, p);
  const groups = new Map(config.userlists.map((u) => [u.name, new Set(u.groups.map((g) => g.name))]));
  return { proxies, tables, userlists, groups };
}

const hasFrontend = (p: Proxy): boolean => p.kind === 'frontend' || p.kind === 'listen';
const hasBackend = (p: Proxy): boolean => p.kind === 'backend' || p.kind === 'listen';

/**
 * HAProxy's message for one unresolvable argument (`at` says which: "arg 1 of ACL keyword 'nbsrv'"),
 * undefined when it resolves.
 */
function unresolved(arg: SampleArg, proxy: Proxy, scope: ResolveScope, at: string): string | undefined {
  if (arg.type !== 'ref') return undefined;
  const ref = `referenced in ${at} in proxy '${proxy.name}'`;
  const name = arg.name;
  switch (arg.kind) {
    case 'server': {
      if (name === '') return `missing server name in ${at} in proxy '${proxy.name}'.`;
      const slash = name.lastIndexOf('/');
      let px: Proxy | undefined = proxy;
      const pname = slash < 0 ? proxy.name : name.slice(0, slash);
      if (slash >= 0) {
        px = scope.proxies.get(pname);
        if (!px || !hasBackend(px)) return `unable to find proxy '${pname}' ${ref}.`;
      }
      const sname = slash < 0 ? name : name.slice(slash + 1);
      const servers = 'servers' in px ? px.servers : [];
      return servers.some((s) => s.name === sname) ? undefined : `unable to find server '${sname}' in proxy '${pname}', ${ref}.`;
    }
    case 'frontend':
    case 'backend': {
      const px = name === '' ? proxy : scope.proxies.get(name);
      const wanted = arg.kind === 'frontend' ? hasFrontend : hasBackend;
      if (name !== '' && (!px || !wanted(px))) return `unable to find ${arg.kind} '${name}' ${ref}.`;
      return wanted(px!) ? undefined : `proxy '${px!.name}', ${ref}, has not ${arg.kind} capability.`;
    }
    case 'table': {
      const table = name === '' ? proxy.name : name;
      return scope.tables.has(table) ? undefined : `unable to find table '${table}' ${ref}.`;
    }
    case 'userlist':
      if (name === '') return `missing userlist name in ${at} in proxy '${proxy.name}'.`;
      return scope.userlists.has(name) ? undefined : `unable to find userlist '${name}' ${ref}.`;
  }
  return undefined;
}

/** The first unresolvable argument of an ACL's fetch or of its converters, as HAProxy words it. */
export function aclArgumentProblem(decl: AclDeclaration, proxy: Proxy, scope: ResolveScope): string | undefined {
  const keyword = decl.aclKeyword ?? decl.sample.fetch.name;
  for (const [i, arg] of decl.sample.args.entries()) {
    const problem = unresolved(arg, proxy, scope, `arg ${i + 1} of ACL keyword '${keyword}'`);
    if (problem) return problem;
  }
  for (const conv of decl.sample.converters) {
    for (const [i, arg] of conv.args.entries()) {
      const problem = unresolved(arg, proxy, scope, `arg ${i + 1} of conversion keyword '${conv.def.name}' for ACL keyword '${keyword}'`);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** The first unresolvable argument of a sample expression (`where`: HAProxy's "in http-request expression"). */
function sampleArgumentProblem(expr: SampleExpr, proxy: Proxy, scope: ResolveScope, where: string): string | undefined {
  const fetch = `sample fetch keyword '${expr.fetch.name}' ${where}`;
  for (const [i, arg] of expr.args.entries()) {
    const problem = unresolved(arg, proxy, scope, `arg ${i + 1} of ${fetch}`);
    if (problem) return problem;
  }
  for (const conv of expr.converters) {
    for (const [i, arg] of conv.args.entries()) {
      const problem = unresolved(arg, proxy, scope, `arg ${i + 1} of conversion keyword '${conv.def.name}' for ${fetch}`);
      if (problem) return problem;
    }
  }
  return undefined;
}

const isToken = (v: unknown): v is LogFormatToken => typeof v === 'object' && v !== null && 'kind' in v;

/** The sample expressions of a rule's action: its `expression` or `key` word, and the `%[…]` of its log-format strings. */
function actionExpressions(action: object): SampleExpr[] {
  const out: SampleExpr[] = [];
  for (const [field, value] of Object.entries(action)) {
    if ((field === 'expression' || field === 'key') && typeof value === 'string') {
      const parsed = parseSampleExpression(value);
      if (!('error' in parsed)) out.push(parsed.expr);
    } else if (Array.isArray(value) && value.every(isToken)) {
      for (const t of value) if (t.kind === 'sample') out.push(t.expr);
    }
  }
  return out;
}

/**
 * Where HAProxy says a rule's expressions are (its ARGC_* context). Some http actions set no context
 * of their own (track-sc, capture, set-src, sc-set-gpt…): HAProxy names the one the previous line
 * left ("ACL keyword" on a proxy's first rule); Loadstar names the rule set's.
 */
function ruleContext(rules: string, action: string): string {
  if (rules.startsWith('tcp-request')) {
    if (action === 'capture') return 'in capture rule';
    if (action === 'track-sc') return 'in tracking rule';
  }
  if (action === 'redirect') return 'in redirect format string';
  if (rules.startsWith('http-')) return rules === 'http-request' ? 'in http-request expression' : 'in http-response response';
  return `in ${rules} expression`;
}

/** Alerts for the arguments of the expressions of the proxy's rules that name nothing that exists. */
export function checkRuleArguments(proxy: Proxy, scope: ResolveScope, diagnostics: Diagnostics): void {
  const families: Array<[string, ReadonlyArray<{ action: object & { type: string }; loc: SourceLocation; phase?: string }>]> = [
    ['http-request', proxy.httpRequestRules], ['http-response', proxy.httpResponseRules], ['http-after-response', proxy.httpAfterResponseRules],
    ['tcp-request', proxy.tcpRequestRules], ['tcp-response content', proxy.tcpResponseRules ?? []],
  ];
  for (const [family, rules] of families) {
    for (const rule of rules) {
      const name = family === 'tcp-request' ? `tcp-request ${rule.phase}` : family;
      const where = ruleContext(name, rule.action.type);
      for (const expr of actionExpressions(rule.action)) {
        const problem = sampleArgumentProblem(expr, proxy, scope, where);
        if (problem) diagnostics.alert(rule.loc, 'LS_ERR_CFG_REFERENCE', problem);
      }
    }
  }
  for (const rule of proxy.stickRules) {
    const parsed = parseSampleExpression(rule.expression);
    const problem = 'error' in parsed ? undefined : sampleArgumentProblem(parsed.expr, proxy, scope, 'in stick rule');
    if (problem) diagnostics.alert(rule.loc, 'LS_ERR_CFG_REFERENCE', problem, 'stick');
  }
  for (const rule of proxy.switchingRules) {
    const parsed = rule.dynamic ? parseLogFormat(rule.backend) : undefined;
    for (const t of parsed && !('error' in parsed) ? parsed.tokens : []) {
      const problem = t.kind === 'sample' ? sampleArgumentProblem(t.expr, proxy, scope, 'in use_backend expression') : undefined;
      if (problem) diagnostics.alert(rule.loc, 'LS_ERR_CFG_REFERENCE', problem, 'use_backend');
    }
  }
}

/**
 * acl.c acl_find_targets(): an http_auth_group ACL needs groups as patterns, each declared in its
 * userlist ("proxy p: acl x http_auth_group(): invalid group 'g'."); undefined when it has them.
 */
function authGroupProblem(decl: AclDeclaration, proxy: Proxy, scope: ResolveScope): string | undefined {
  // acl.c looks at the keyword, whatever the matching method (-m found included).
  if (decl.sample.fetch.name !== 'http_auth_group') return undefined;
  const where = `proxy ${proxy.name}: acl ${decl.name} ${decl.aclKeyword ?? decl.sample.fetch.name}()`;
  const list = decl.sample.args[0]?.type === 'ref' ? decl.sample.args[0].name : '';
  if (decl.values.length === 0 && decl.files.length === 0) return `${where}: no groups specified.`;
  const groups = scope.groups.get(list);
  const bad = groups && decl.values.find((g) => !groups.has(g));
  return bad === undefined ? undefined : `${where}: invalid group '${bad}'.`;
}

/** Every rule of a proxy that may carry a condition. */
export function conditionalRules(proxy: Proxy): Array<{ condition?: Condition; loc: SourceLocation }> {
  return [
    ...proxy.tcpRequestRules, ...(proxy.tcpResponseRules ?? []), ...proxy.httpRequestRules, ...proxy.httpResponseRules,
    ...proxy.httpAfterResponseRules, ...proxy.redirectRules, ...proxy.switchingRules, ...proxy.serverRules, ...proxy.stickRules,
  ];
}

/** Alerts for the arguments of the proxy's ACLs (named and anonymous) that name nothing that exists. */
export function checkAclArguments(proxy: Proxy, scope: ResolveScope, diagnostics: Diagnostics): void {
  for (const decls of proxy.acls.values()) {
    for (const decl of decls) {
      const problem = aclArgumentProblem(decl, proxy, scope) ?? authGroupProblem(decl, proxy, scope);
      if (problem) diagnostics.alert(decl.loc, 'LS_ERR_CFG_REFERENCE', problem, 'acl');
    }
  }
  for (const rule of conditionalRules(proxy)) {
    for (const and of rule.condition?.terms ?? []) {
      for (const term of and.terms) {
        const problem = term.kind === 'anon' ? aclArgumentProblem(term.acl, proxy, scope) ?? authGroupProblem(term.acl, proxy, scope) : undefined;
        if (problem) diagnostics.alert(rule.loc, 'LS_ERR_CFG_REFERENCE', problem);
      }
    }
  }
}
