/**
 * The backends, frontends, servers, tables and userlists that the arguments of an ACL's fetch and
 * converters name, resolved once the whole configuration is known, with HAProxy's messages
 * (sample.c smp_resolve_args: "unable to find backend 'x' referenced in arg 1 of ACL keyword
 * 'nbsrv' in proxy 'p'."). Named ACLs and the anonymous ones of a proxy's rule conditions are
 * checked; an argument left empty designates the current proxy.
 */
import type { AclDeclaration, Condition, SampleArg } from '../acl/index.ts';
import type { Diagnostics } from './diagnostics.ts';
import type { Config, Proxy, SourceLocation } from './model.ts';

/** What the proxies of the configuration offer to resolve names against. */
export interface ResolveScope {
  readonly proxies: ReadonlyMap<string, Proxy>;
  readonly tables: ReadonlySet<string>;
  readonly userlists: ReadonlySet<string>;
}

export function resolveScope(config: Config, tables: ReadonlySet<string>, userlists: ReadonlySet<string>): ResolveScope {
  const proxies = new Map<string, Proxy>();
  for (const p of config.proxies) if (p.kind !== 'defaults' && !proxies.has(p.name)) proxies.set(p.name, p);
  return { proxies, tables, userlists };
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

/** Every rule of a proxy that may carry a condition. */
function conditionalRules(proxy: Proxy): Array<{ condition?: Condition; loc: SourceLocation }> {
  return [
    ...proxy.tcpRequestRules, ...(proxy.tcpResponseRules ?? []), ...proxy.httpRequestRules, ...proxy.httpResponseRules,
    ...proxy.httpAfterResponseRules, ...proxy.redirectRules, ...proxy.switchingRules, ...proxy.serverRules, ...proxy.stickRules,
  ];
}

/** Alerts for the arguments of the proxy's ACLs (named and anonymous) that name nothing that exists. */
export function checkAclArguments(proxy: Proxy, scope: ResolveScope, diagnostics: Diagnostics): void {
  for (const decls of proxy.acls.values()) {
    for (const decl of decls) {
      const problem = aclArgumentProblem(decl, proxy, scope);
      if (problem) diagnostics.alert(decl.loc, 'LS_ERR_CFG_REFERENCE', problem, 'acl');
    }
  }
  for (const rule of conditionalRules(proxy)) {
    for (const and of rule.condition?.terms ?? []) {
      for (const term of and.terms) {
        const problem = term.kind === 'anon' ? aclArgumentProblem(term.acl, proxy, scope) : undefined;
        if (problem) diagnostics.alert(rule.loc, 'LS_ERR_CFG_REFERENCE', problem);
      }
    }
  }
}
