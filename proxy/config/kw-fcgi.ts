/**
 * FastCGI applications (configuration.txt §10): the `fcgi-app` section (HAProxy 2.6's
 * cfg_parse_fcgi_app), the backends' `use-fcgi-app` (proxy_parse_use_fcgi_app) and the checks HAProxy
 * makes once everything is read (cfg_fcgi_apps_postparser, fcgi_flt_check). Messages are HAProxy's
 * own. The runtime is proxy/http/fcgi-upstream.ts.
 */
import { parseLogFormat } from '../acl/index.ts';
import { parseAclDirective, splitCondition } from './conditions.ts';
import { registerProxyKeywords } from './keywords.ts';
import type { ProxyDirectiveContext } from './keywords.ts';
import { parseLogTarget } from './kw-proxy.ts';
import type { Config, FcgiApp, ParsedProxy, Section } from './model.ts';
import type { Diagnostics } from './diagnostics.ts';
import type { SourceLocation } from './model.ts';
import { newProxy } from './sections.ts';

/** The section's keywords (`no option …` too; `unset-param` and `hide-header` are compiled out of HAProxy 2.6). */
export const FCGI_APP_KEYWORDS = ['acl', 'docroot', 'index', 'log-stderr', 'option', 'pass-header', 'path-info', 'set-param'];

/** HAProxy's fcgi_param_name: upper case (it encodes in upper case), other characters than letters and digits as '_'. */
export function fcgiParamName(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, '_').toUpperCase();
}

/** The ACLs of each application live in a proxy-shaped holder, so that the proxies' ACL and condition parsers serve them. */
const aclHolders = new WeakMap<FcgiApp, ParsedProxy>();

/** A new application, with the rules HAProxy adds to each (REMOTE_USER and AUTH_TYPE from the request's Basic credentials). */
export function newFcgiApp(section: Section): FcgiApp {
  const holder = newProxy('backend', section);
  const app: FcgiApp = {
    name: section.name,
    section,
    keepConn: true,
    getValues: false,
    mpxsConns: false,
    maxReqs: 1,
    acls: holder.acls,
    rules: [],
    logStderr: [],
  };
  aclHolders.set(app, holder);
  return app;
}

/**
 * Checks the header of a new `fcgi-app` section; false when HAProxy does not open it (its lines are
 * then not read). A second one of the same name is refused but still read.
 */
export function openFcgiApp(section: Section, words: readonly string[], previous: readonly FcgiApp[], alert: (message: string) => void): boolean {
  const name = words[1];
  if (name === undefined || name === '') {
    alert(`'fcgi-app' expects <name> as argument.`);
    return false;
  }
  if (words.length > 2) {
    alert(`'fcgi-app' cannot handle unexpected argument '${words[2]}'.`);
    return false;
  }
  const bad = [...name].find((c) => !/[A-Za-z0-9_.:-]/.test(c));
  if (bad !== undefined) {
    alert(`character '${bad}' is not permitted in 'fcgi-app' name '${name}'.`);
    return false;
  }
  for (const app of previous) {
    if (app.name !== name) continue;
    const p = app.section.loc;
    alert(`fcgi-app section '${name}' has the same name as another one declared at ${p.file}:${p.line}.`);
  }
  void section;
  return true;
}

/** One line of an `fcgi-app` section; `ctx.directive.keyword` is `option X`/`no option X` for options, else the keyword. */
export function parseFcgiAppDirective(ctx: ProxyDirectiveContext, app: FcgiApp, keyword: string): void {
  ctx.proxy = aclHolders.get(app)!;
  const a = ctx.args;
  const one = (what: string): string | undefined => {
    if (a[0] === undefined || a[0] === '') return void ctx.error(`'${keyword}' expects <${what}> as argument.`);
    if (a.length > 1) return void ctx.error(`'${keyword} ${a[0]}' cannot handle unexpected argument '${a[1]}'.`, 1);
    return a[0];
  };
  switch (keyword) {
    case 'docroot': {
      const v = one('path');
      if (v !== undefined) app.docroot = v;
      return;
    }
    case 'index': {
      const v = one('filename');
      if (v !== undefined) app.index = v;
      return;
    }
    case 'path-info': {
      const v = one('regex');
      if (v === undefined) return;
      try {
        new RegExp(v);
      } catch (e) {
        return ctx.error(`'${v}' : regex '${v}' is invalid (${(e as Error).message}).`, 0);
      }
      app.pathInfo = v;
      return;
    }
    case 'acl': {
      const name = a[0] ?? '';
      const bad = [...name].find((c) => !/[A-Za-z0-9_.:-]/.test(c));
      if (bad !== undefined) return ctx.error(`character '${bad}' is not permitted in acl name '${name}'.`, 0);
      if (name.toLowerCase() === 'or') return ctx.error(`acl name '${name}' will never match. 'or' is used to express a logical disjunction within a condition.`, 0);
      return parseAclDirective(ctx);
    }
    case 'set-param':
    case 'pass-header': {
      const set = keyword === 'set-param';
      if (!a[0] || (set && !a[1])) return ctx.error(set ? `'set-param' expects <name> and <value> as arguments.` : `'pass-header' expects <name> as arguments.`);
      const name = a[0];
      const from = set ? 2 : 1;
      const split = splitCondition(ctx, from, `'${name}'`, { head: `'${name}' :`, tail: '.' });
      // HAProxy reads the condition from the word after the value and ignores anything that is not `if`/`unless` there.
      if (!split.ok) return;
      if (set) {
        const parsed = parseLogFormat(a[1]!, { http: true });
        if ('error' in parsed) return ctx.error(`'${name}' : ${parsed.error}.`, 1);
      }
      app.rules.push({
        type: keyword,
        name: set ? fcgiParamName(name) : name.toLowerCase(),
        ...(set ? { value: a[1]! } : {}),
        ...(split.condition ? { condition: split.condition } : {}),
        loc: ctx.directive.loc,
      });
      return;
    }
    case 'log-stderr': {
      if (ctx.negated) return;
      if (a[0] === 'global' && a.length === 1) {
        app.logStderr.push({ target: 'global', loc: ctx.directive.loc });
        return;
      }
      const target = parseLogTarget({ args: a, directive: ctx.directive, error: (m, i) => ctx.error(`log-stderr : ${m}`, i) });
      if (target) app.logStderr.push(target);
      return;
    }
  }
}

/** `option <name>` / `no option <name>` of an `fcgi-app` section (`words`: what follows `option`). */
export function parseFcgiAppOption(ctx: ProxyDirectiveContext, app: FcgiApp, words: readonly string[], mode: 'std' | 'no' | 'default'): void {
  const name = words[0];
  if (name === undefined || name === '') return ctx.error(`'option' expects an option name.`);
  const flag = (set: (on: boolean) => void): void => {
    if (words.length > 1) return ctx.error(`'option ${name}' cannot handle unexpected argument '${words[1]}'.`, 0);
    if (mode === 'std') set(true);
    else if (mode === 'no') set(false);
  };
  switch (name) {
    case 'keep-conn':
      return flag((on) => void (app.keepConn = on));
    case 'get-values':
      return flag((on) => void (app.getValues = on));
    case 'mpxs-conns':
      return flag((on) => void (app.mpxsConns = on));
    case 'max-reqs': {
      if (mode !== 'std') return ctx.error(`negation/default is not supported for option '${name}'.`);
      if (words[1] === undefined || words[1] === '') return ctx.error(`option '${name}' expects an integer argument.`);
      if (words.length > 2) return ctx.error(`'option ${name} ${words[1]}' cannot handle unexpected argument '${words[2]}'.`, 1);
      // atol: the leading digits (and sign), 0 without any.
      const n = Number(/^\s*[+-]?\d*/.exec(words[1])![0].replace(/^\s*[+-]?$/, '0'));
      if (!n) return ctx.error(`option '${name}' expects a strictly positive integer argument.`, 0);
      app.maxReqs = n;
      return;
    }
    default:
      return ctx.error(`unknown option '${name}'.`, 0, 'LS_ERR_CFG_UNKNOWN_KEYWORD');
  }
}

function parseUseFcgiApp(ctx: ProxyDirectiveContext): void {
  const name = ctx.args[0];
  if (name === undefined || name === '') return ctx.error(`'use-fcgi-app' expects <name> as argument`);
  const current = ctx.proxy.useFcgiApp;
  if (current !== undefined) {
    if (current.name !== name) ctx.error(`'use-fcgi-app' : only one fcgi-app supported per backend`, 0);
    return;
  }
  ctx.proxy.useFcgiApp = { name, loc: ctx.directive.loc };
}

registerProxyKeywords([{
  name: 'use-fcgi-app',
  sections: 'lb',
  status: { level: 'supported' },
  summary: 'The FastCGI application (`fcgi-app` section) the backend\'s `proto fcgi` servers run: each request goes to them as FastCGI records (the CGI/1.1 parameters of configuration.txt §10.2, `set-param`, `pass-header`), their CGI answer comes back as an HTTP response.',
  parse: parseUseFcgiApp,
}]);

/**
 * HAProxy's checks once everything is read (cfg_fcgi_apps_postparser, fcgi_flt_check): the named
 * application exists, an HTTP backend, `proto fcgi` servers only with an application and an application
 * only with some, a docroot for each application, `max-reqs` only with multiplexing.
 */
export function fcgiAppProblems(config: Config, diagnostics: Diagnostics): void {
  const names = new Set(config.fcgiApps.map((a) => a.name));
  for (const proxy of config.proxies) {
    if (proxy.kind === 'defaults' || proxy.kind === 'frontend') continue;
    const use = proxy.useFcgiApp;
    const at: SourceLocation = use?.loc ?? proxy.section.loc;
    if (use && !names.has(use.name)) diagnostics.alert(at, 'LS_ERR_CFG_REFERENCE', `proxy '${proxy.name}' : fcgi-app '${use.name}' not found.`, 'use-fcgi-app');
    if (use && proxy.mode === 'tcp') {
      diagnostics.alert(at, 'LS_ERR_CFG_CONFLICT', `proxy '${proxy.name}': FCGI application cannot be used in non-HTTP mode.`, 'use-fcgi-app');
      continue;
    }
    let fcgiServers = 0;
    for (const server of proxy.servers) {
      if (server.options.proto !== 'fcgi') continue;
      fcgiServers++;
      if (!use) diagnostics.alert(server.loc, 'LS_ERR_CFG_REFERENCE', `proxy '${proxy.name}': FCGI server '${server.name}' has no FCGI app configured.`, 'proto');
    }
    if (use && fcgiServers === 0) diagnostics.alert(at, 'LS_ERR_CFG_CONFLICT', `proxy '${proxy.name}': FCGI app configured but no FCGI server found.`, 'use-fcgi-app');
  }
  for (const app of config.fcgiApps) {
    const loc = app.section.loc;
    if (app.docroot === undefined || app.docroot === '') diagnostics.alert(loc, 'LS_ERR_CFG_BAD_ARGUMENT', `fcgi-app '${app.name}': no docroot configured.`, 'fcgi-app');
    // A warning in HAProxy's words, which haproxy 2.6.12 nevertheless treats as fatal (its post-parser's ERR_WARN stops the start).
    if (!app.mpxsConns && !app.getValues && app.maxReqs > 1) {
      diagnostics.alert(loc, 'LS_ERR_CFG_CONFLICT', `fcgi-app '${app.name}': multiplexing not supported, ignore the option 'max-reqs'.`, 'option');
    }
  }
}

/** The application a backend's `proto fcgi` servers run, undefined when it names none (or one that does not exist). */
export function backendFcgiApp(config: Config, proxy: { useFcgiApp?: { name: string } }): FcgiApp | undefined {
  const name = proxy.useFcgiApp?.name;
  return name === undefined ? undefined : config.fcgiApps.find((a) => a.name === name);
}
