/** Health-check keywords: `option httpchk`, `http-check …`, `option tcp-check`, `tcp-check …`. */
import { registerProxyKeywords } from './keywords.ts';
import type { ProxyDirectiveContext, ProxyKeyword } from './keywords.ts';
import { atoi, parseInteger } from './values.ts';
import { CHECKS } from './status.ts';
import { parseLogFormat, parseSampleExpression, parseVarName, fetchUsableAt, sourceNames } from '../acl/index.ts';
import { inheritedDefaults, modeSoFar } from './provision.ts';
import { PROTOCOL_CHECKS } from './protocol-check-names.ts';
import type { CheckVarRule, ExpectOptions, HeaderExpect, HttpCheckExpect, TcpCheckExpect, TcpCheckRule } from './model.ts';

/** The lines that choose a proxy's health check (HAProxy's PR_O2_CHK_ANY): the last one wins. */
const CHECK_CHOICES: ReadonlyMap<string, 'http' | 'tcp' | 'other'> = new Map([
  ['option httpchk', 'http'], ['option tcp-check', 'tcp'], ['option external-check', 'other'],
  ...PROTOCOL_CHECKS.map((name) => [`option ${name}`, 'other'] as const),
]);

/**
 * The health check chosen at this point of the proxy's section: its own last choice so far, else its
 * defaults section's (through `from` chains). http-check rules are HAProxy's in force only after an
 * `option httpchk`, tcp-check rules only after an `option tcp-check`; before, they are kept aside.
 */
function checkChoiceSoFar(ctx: ProxyDirectiveContext): 'http' | 'tcp' | 'other' | undefined {
  const seen = new Set<object>();
  for (let p: typeof ctx.proxy | undefined = ctx.proxy; p && !seen.has(p); p = inheritedDefaults(ctx.config, p)) {
    seen.add(p);
    const own = p.section.directives.filter((d) => d !== ctx.directive && CHECK_CHOICES.has(d.keyword)).at(-1);
    if (own) return CHECK_CHOICES.get(own.keyword);
  }
  return undefined;
}

/**
 * A check rule written while the proxy's check is another kind: HAProxy keeps its ruleset unused
 * (TCPCHK_RULES_UNUSED_*_RS) and warns at the end unless a check option comes after it. True when so.
 */
function keptAside(ctx: ProxyDirectiveContext, kind: 'http' | 'tcp'): boolean {
  if (checkChoiceSoFar(ctx) === kind) return false;
  (ctx.proxy.unusedCheckRules ??= new Set()).add(kind);
  return true;
}

/**
 * A check option chose the proxy's health check: the others it inherits or wrote before are off (the
 * last choice wins, also over the defaults section's), and the rulesets written so far are out of the
 * unused state (no warning for them).
 */
export function checkChosen(ctx: ProxyDirectiveContext, chosen: string): void {
  const loc = ctx.directive.loc;
  for (const other of ['httpchk', 'tcp-check', 'external-check', ...PROTOCOL_CHECKS]) {
    if (other !== chosen) ctx.proxy.options[other] = { enabled: false, args: [], loc };
  }
  ctx.proxy.unusedCheckRules = undefined;
}

function parseOptionHttpchk(ctx: ProxyDirectiveContext): void {
  const a = ctx.args;
  if (a.length > 3) return ctx.error(`'option httpchk' expects at most 3 arguments: [<method>] [<uri>] [<version>].`, 3);
  // HAProxy: one argument is the URI; two are method and URI; three add the version.
  const request = a.length === 1 ? { method: 'OPTIONS', uri: a[0]!, version: 'HTTP/1.0' }
    : { method: a[0] ?? 'OPTIONS', uri: a[1] ?? '/', version: a[2] ?? 'HTTP/1.0' };
  if (/[\r\n]/.test(request.version)) {
    ctx.warn(`'option httpchk' : headers appended to the version are deprecated; use 'http-check send hdr'.`, 2, 'LS_WARN_CFG_SUSPICIOUS');
  }
  ctx.proxy.httpCheckRequest = request;
  ctx.proxy.options['httpchk'] = { enabled: !ctx.negated, args: a, loc: ctx.directive.loc };
  if (!ctx.negated) checkChosen(ctx, 'httpchk');
}

/**
 * Checks have no stream: fetches needing one are refused, as HAProxy's SMP_VAL_BE_CHK_RUL does.
 * HAProxy wraps the error as `'<text>' invalid log-format string (…)`, except for `http-check send`
 * header values and set-var-fmt, whose error it prints as it is (`prefix`: what comes before it).
 */
function checkLogFormatError(ctx: ProxyDirectiveContext, what: string, text: string, argIndex: number, prefix?: string): boolean {
  // The mode in force on this line (own `mode` so far, else inherited, else tcp), as HAProxy checks it.
  const parsed = parseLogFormat(text, { mode: modeSoFar(ctx.config, ctx.proxy), checkpoints: ['backend-tcp-check'] });
  if (!('error' in parsed)) return false;
  ctx.error(prefix !== undefined ? `'${what}' : ${prefix}${parsed.error}.` : `'${what}' : '${text}' invalid log-format string (${parsed.error}).`, argIndex);
  return true;
}

/** The conditions set-var and set-var-fmt take after the variable name (vars.c vars_parse_cond_param). */
const VAR_CONDITIONS = ['ifexists', 'ifnotexists', 'ifempty', 'ifnotempty', 'ifset', 'ifnotset', 'ifgt', 'iflt'];

/**
 * `set-var(<var>[,<cond>…]) <expr>`, `set-var-fmt(<var>[,<cond>…]) <fmt>`, `unset-var(<var>)` as an
 * http-check / tcp-check rule (HAProxy's parse_store with ACT_F_TCP_CHK): fetches must be usable in
 * a check (SMP_VAL_BE_CHK_RUL). Undefined when `sub` is not one of them.
 */
function parseCheckVar(ctx: ProxyDirectiveContext, sub: string, rest: readonly string[]): CheckVarRule | null | undefined {
  const m = /^(set-var-fmt|set-var|unset-var)(.*)$/.exec(sub);
  if (!m) return undefined;
  const what = `${ctx.directive.keyword} ${sub}`;
  const type = m[1] as CheckVarRule['type'];
  const fail = (message: string, argIndex: number): null => (ctx.error(`'${what}' : '${type}' : ${message}.`, argIndex), null);
  let inner = m[2]!;
  if (!inner.startsWith('(')) return fail(`invalid or incomplete action '${sub}'. Expects 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' or 'unset-var(<var-name>)'`, 0);
  if (!inner.endsWith(')') || inner.length < 2) return fail(`incomplete argument after action '${sub}'. Expects 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' or 'unset-var(<var-name>)'`, 0);
  inner = inner.slice(1, -1);
  const [variable = '', ...conditions] = inner.split(',');
  if (conditions.length > 0 && type === 'unset-var') return fail(`unset-var does not expect parameters after the variable name. Only "set-var" and "set-var-fmt" manage conditions`, 0);
  for (const c of conditions) if (!VAR_CONDITIONS.includes(c)) return fail(`unknown condition "${c}"`, 0);
  const name = parseVarName(variable);
  if ('error' in name) return fail(name.error, 0);
  const rule: CheckVarRule = { type, variable, conditions, loc: ctx.directive.loc };
  // HAProxy (tcpcheck.c parse_tcpcheck_action) ignores words after the action's own ones, silently.
  if (type === 'unset-var') return rule;
  // A missing format is an empty one (vars.c parse_store), a missing expression is refused.
  const value = type === 'set-var-fmt' ? rest[0] ?? '' : rest[0];
  if (value === undefined) return fail('missing fetch method', 0);
  if (type === 'set-var-fmt') {
    if (checkLogFormatError(ctx, what, value, 1, `'${type}' : `)) return null;
  } else {
    const parsed = parseSampleExpression(value);
    if ('error' in parsed) return fail(parsed.error, 1);
    if (!fetchUsableAt(parsed.expr.fetch, 'backend-tcp-check')) {
      // HAProxy names the action where the fetch belongs (vars.c parse_store).
      return fail(`fetch method '${sub}' extracts information from '${sourceNames(parsed.expr.fetch.sources)}', none of which is available here`, 1);
    }
  }
  rule.value = value;
  return rule;
}

/** `http-check send-state`, kept among the proxy's options (proxy/checks/settings.ts reads it). */
export const SEND_STATE = 'http-check send-state';

/** A rule that only carries a comment or a variable: HAProxy's ruleset checks look through them. */
const transparent = (r: { type: string }): boolean => r.type === 'comment' || r.type === 'set-var' || r.type === 'set-var-fmt' || r.type === 'unset-var';

/**
 * parse_tcpcheck_connect: a connect must be the first step of the ruleset,
 * preceded at most by comments and variable rules (and `option httpchk`'s own send).
 */
function connectNotFirst(ctx: ProxyDirectiveContext, rules: ReadonlyArray<{ type: string }>, what: string): boolean {
  for (const r of rules) {
    if (r.type === 'connect') return false;
    if (transparent(r)) continue;
    ctx.error(`'${what}' : first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset.`, 0);
    return true;
  }
  return false;
}

/**
 * tcpcheck_add_http_rule: an http-check send follows a connect (or starts the ruleset), an
 * expect follows a send or an expect, a connect follows an expect — comments and variable rules
 * aside. The step HAProxy names counts every rule of the section; the first send, merged with
 * `option httpchk`'s, takes its place (step 1) when that option came first.
 */
function httpOrderError(ctx: ProxyDirectiveContext, type: 'send' | 'expect' | 'connect'): boolean {
  // proxy_parse_httpcheck: the order is checked only in a ruleset in force (after `option httpchk`).
  if (keptAside(ctx, 'http')) return false;
  const rules = ctx.proxy.httpCheckRules;
  const last = rules.filter((r) => !transparent(r)).at(-1);
  if (!last) return false;
  const missing = type === 'send' && last.type !== 'connect' ? 'connect'
    : type === 'expect' && last.type !== 'send' && last.type !== 'expect' ? 'send'
      : type === 'connect' && last.type !== 'expect' ? 'expect' : undefined;
  if (!missing) return false;
  const fromOption = ctx.proxy.options['httpchk']?.enabled === true;
  let index = -1;
  let merged = false;
  for (const r of rules) {
    if (r.type === 'send' && fromOption && !merged) {
      merged = true;
      index = 0;
    } else index++;
  }
  ctx.error(`'http-check ${type}' : unable to add http-check ${type} rule at step ${index + 2} (missing ${missing} rule).`, 0);
  return true;
}

const EXPECT_KINDS = ['status', 'rstatus', 'string', 'rstring', 'hdr', 'fhdr'] as const;

function parseHttpCheck(ctx: ProxyDirectiveContext): void {
  const [sub, ...rest] = ctx.args;
  const loc = ctx.directive.loc;
  const rules = ctx.proxy.httpCheckRules;
  switch (sub) {
    case 'disable-on-404':
      if (rest.length > 0) return ctx.error(`'http-check' cannot handle unexpected argument '${rest[0]}'.`, 1);
      ctx.proxy.httpCheckDisableOn404 = true;
      return;
    case 'send': {
      if (httpOrderError(ctx, 'send')) return;
      const send: Extract<import('./model.ts').HttpCheckRule, { type: 'send' }> = { type: 'send', headers: [], loc };
      for (let i = 0; i < rest.length; i++) {
        const w = rest[i]!;
        const v = rest[i + 1];
        if (['meth', 'uri', 'ver', 'body', 'uri-lf', 'body-lf'].includes(w)) {
          if (v === undefined) return ctx.error(`'http-check send' : '${w}' expects a value.`, i + 1);
          if ((w === 'uri-lf' || w === 'body-lf') && checkLogFormatError(ctx, 'http-check send', v, i + 2)) return;
          if (w === 'meth') send.method = v;
          else if (w === 'uri' || w === 'uri-lf') { send.uri = v; send.uriLf = w === 'uri-lf'; }
          else if (w === 'ver') send.version = v;
          else { send.body = v; send.bodyLf = w === 'body-lf'; }
          i++;
        } else if (w === 'hdr') {
          const value = rest[i + 2];
          if (v === undefined || value === undefined) return ctx.error(`'http-check send' : 'hdr' expects <name> and <value>.`, i + 1);
          if (checkLogFormatError(ctx, 'http-check send', value, i + 3, '')) return;
          send.headers.push({ name: v, value });
          i += 2;
        } else if (w === 'comment') {
          i++;
        } else {
          return ctx.error(`'http-check send' : expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got '${w}' as argument.`, i + 1);
        }
      }
      rules.push(send);
      return;
    }
    case 'expect': {
      const parsed = parseExpect(ctx, rest, 'http');
      if (!parsed) return;
      const { minRecv, ...fields } = parsed;
      const expect = { ...fields, kind: fields.kind as (typeof EXPECT_KINDS)[number] } satisfies HttpCheckExpect;
      if (httpOrderError(ctx, 'expect')) return;
      rules.push({ type: 'expect', expect, minRecv, loc });
      return;
    }
    case 'connect': {
      const rule = parseConnectOptions(ctx, rest, 'http-check connect');
      if (!rule || connectNotFirst(ctx, rules, 'http-check connect') || httpOrderError(ctx, 'connect')) return;
      rules.push({ type: 'connect', port: rule.port, ...(rule.portExpr !== undefined ? { portExpr: rule.portExpr } : {}), ssl: rule.ssl, sni: rule.sni, alpn: rule.alpn, ...(rule.viaSocks4 ? { viaSocks4: true } : {}), ...(rule.default ? { default: true } : {}), ...(rule.proto ? { proto: rule.proto } : {}), loc });
      return;
    }
    case 'send-state':
      // HAProxy's PR_O2_CHK_SNDST: a proxy option (inherited from defaults like the others), not a rule.
      if (rest.length > 0) return ctx.error(`'http-check' cannot handle unexpected argument '${rest[0]}'.`, 1);
      ctx.proxy.options[SEND_STATE] = { enabled: true, args: [], loc };
      return;
    case 'comment':
      // tcpcheck.c parse_tcpcheck_comment(): one word, those after it ignored.
      if (!rest[0]) return ctx.error(`'http-check comment' : expects a string as argument.`);
      keptAside(ctx, 'http');
      rules.push({ type: 'comment', text: rest[0], loc });
      return;
    default: {
      const action = sub === undefined ? undefined : parseCheckVar(ctx, sub, rest);
      if (action) {
        keptAside(ctx, 'http');
        rules.push(action);
      }
      if (action === undefined) {
        ctx.error(`'http-check' only supports 'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' and 'unset-var(<var-name>)' (got '${sub ?? ''}').`, 0);
      }
    }
  }
}

function parseConnectOptions(ctx: ProxyDirectiveContext, rest: string[], what: string) {
  const rule = { port: undefined as number | undefined, portExpr: undefined as string | undefined, addr: undefined as string | undefined, ssl: false, sni: undefined as string | undefined, alpn: undefined as string | undefined, proto: undefined as 'h1' | 'h2' | undefined, sendProxy: false, viaSocks4: false, default: false };
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    const v = rest[i + 1];
    if (w === 'ssl') rule.ssl = true;
    else if (w === 'send-proxy') rule.sendProxy = true;
    else if (w === 'via-socks4') rule.viaSocks4 = true;
    else if (w === 'default') rule.default = true;
    else if (w === 'linger') continue;
    else if (w === 'proto') {
      // tcpcheck.c: a mux of the check's kind (h1/h2/fcgi are HTTP ones, none the TCP one); Loadstar has no fcgi.
      const kind = what.startsWith('http') ? 'http' : 'tcp';
      if (v === undefined || v === '') return void ctx.error(`'${what}' : 'proto' expects a MUX protocol as argument.`, i + 1);
      if (!['h1', 'h2', 'fcgi', 'none'].includes(v)) return void ctx.error(`'${what}' : 'proto' : unknown MUX protocol '${v}'.`, i + 2);
      if ((kind === 'http') === (v === 'none')) return void ctx.error(`'${what}' : 'proto' : invalid MUX protocol '${v}' for ${what.split(' ')[0]}`, i + 2);
      if (v === 'fcgi') return void ctx.error(`'${what}' : 'proto fcgi' is not supported by Loadstar yet.`, i + 1, 'LS_ERR_CFG_UNSUPPORTED');
      if (v !== 'none') rule.proto = v as 'h1' | 'h2';
      i++;
    } else if (['port', 'addr', 'sni', 'alpn', 'comment'].includes(w)) {
      if (v === undefined) {
        ctx.error(`'${what}' : '${w}' expects a value.`, i + 2);
        return undefined;
      }
      if (w === 'port') {
        // A number, else a sample expression evaluated at each connect (`port var(check.port)`).
        if (/^[0-9]+$/.test(v)) {
          const n = Number(v);
          if (n < 1 || n > 65535) {
            ctx.error(`'${what}' : expects a valid TCP port (from range 1 to 65535) or a sample expression, got ${v}.`, i + 2);
            return undefined;
          }
          rule.port = n;
        } else {
          const parsed = parseSampleExpression(v);
          if ('error' in parsed) {
            ctx.error(`'${what}' : error detected while parsing port expression : ${parsed.error}.`, i + 2);
            return undefined;
          }
          if (!fetchUsableAt(parsed.expr.fetch, 'backend-tcp-check')) {
            ctx.error(`'${what}' : error detected while parsing port expression : fetch method '${v}' extracts information from '${sourceNames(parsed.expr.fetch.sources)}', none of which is available here.`, i + 2);
            return undefined;
          }
          rule.portExpr = v;
        }
      } else if (w === 'addr') rule.addr = v;
      else if (w === 'sni') rule.sni = v;
      else if (w === 'alpn') rule.alpn = v;
      i++;
    } else {
      ctx.error(`'${what}' : expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn' or 'via-socks4', 'linger', 'default' but got '${w}' as argument.`, i + 2);
      return undefined;
    }
  }
  return rule;
}

function parseTcpCheck(ctx: ProxyDirectiveContext): void {
  const [sub, ...rest] = ctx.args;
  const loc = ctx.directive.loc;
  let rule: TcpCheckRule | undefined;
  switch (sub) {
    case 'connect': {
      const c = parseConnectOptions(ctx, rest, 'tcp-check connect');
      if (c && connectNotFirst(ctx, ctx.proxy.tcpCheckRules, 'tcp-check connect')) return;
      if (c) {
        // `proto none` (the only one a tcp-check takes) is what a tcp-check speaks anyway.
        const { portExpr, default: byDefault, viaSocks4, proto: _none, ...rest2 } = c;
        rule = { type: 'connect', ...rest2, ...(portExpr !== undefined ? { portExpr } : {}), ...(viaSocks4 ? { viaSocks4 } : {}), ...(byDefault ? { default: true } : {}), loc };
      }
      break;
    }
    case 'send':
    case 'send-lf':
    case 'send-binary':
    case 'send-binary-lf': {
      if (rest[0] === undefined) return ctx.error(`'tcp-check ${sub}' expects a <data> as argument.`, 1);
      if (sub.endsWith('-lf') && checkLogFormatError(ctx, `tcp-check ${sub}`, rest[0], 1)) return;
      if (sub === 'send-binary' && !/^([0-9a-fA-F]{2})+$/.test(rest[0])) return ctx.error(`'tcp-check send-binary' expects hexadecimal data, got '${rest[0]}'.`, 1);
      // tcpcheck.c parse_tcpcheck_send(): after the data, only 'comment <text>' (the comment names the step in
      // HAProxy's check status; Loadstar reports steps by number and does not keep it).
      for (let i = 1; i < rest.length && rest[i] !== ''; i++) {
        if (rest[i] !== 'comment') return ctx.error(`'tcp-check ${sub}' : expects 'comment' but got '${rest[i]}' as argument.`, i + 1);
        if (!rest[i + 1]) return ctx.error(`'tcp-check ${sub}' : 'comment' expects a string as argument.`, i + 1);
        i++;
      }
      rule = { type: sub, data: rest[0], loc };
      break;
    }
    case 'expect': {
      const expect = parseTcpCheckExpect(ctx, rest);
      if (!expect) return;
      rule = expect;
      break;
    }
    case 'comment':
      // tcpcheck.c parse_tcpcheck_comment(): one word, those after it ignored.
      if (!rest[0]) return ctx.error(`'tcp-check comment' : expects a string as argument.`);
      rule = { type: 'comment', text: rest[0], loc };
      break;
    default: {
      const action = sub === undefined ? undefined : parseCheckVar(ctx, sub, rest);
      if (action === null) return;
      if (action === undefined) {
        return ctx.error(`'tcp-check' expects 'comment', 'connect', 'send', 'send-lf', 'send-binary', 'send-binary-lf', 'expect', 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' or 'unset-var(<var-name>)' but got '${sub ?? ''}'.`, 0);
      }
      rule = action;
    }
  }
  if (!rule) return;
  keptAside(ctx, 'tcp');
  ctx.proxy.tcpCheckRules.push(rule);
}

const OK_STATUS = { L7OK: 'L7OK', L7OKC: 'L7OKC', L6OK: 'L6OK', L4OK: 'L4OK' } as const;
const ERROR_STATUS = { L7RSP: 'L7RSP', L7STS: 'L7STS', L7OKC: 'L7OKC', L6RSP: 'L6RSP', L4CON: 'L4CON' } as const;
const TOUT_STATUS = { L7TOUT: 'L7TOUT', L6TOUT: 'L6TOUT', L4TOUT: 'L4TOUT' } as const;

interface ParsedExpect extends ExpectOptions {
  kind: string;
  header?: HeaderExpect;
  pattern: string;
  negate: boolean;
  minRecv?: number;
}

const TCP_KINDS = ['string', 'rstring', 'binary', 'rbinary', 'string-lf', 'binary-lf'];
const HTTP_KINDS = ['string', 'rstring', 'status', 'rstatus', 'hdr', 'fhdr'];

/**
 * `tcp-check expect …` / `http-check expect …` as HAProxy 2.6's parse_tcpcheck_expect reads them:
 * options and the pattern in any order, `!` alone or glued to the kind (`!rstring`), the last of a
 * repeated option winning. Errors carry HAProxy's messages. Undefined when an error was reported.
 */
function parseExpect(ctx: ProxyDirectiveContext, rest: readonly string[], proto: 'tcp' | 'http'): ParsedExpect | undefined {
  const what = `${proto}-check expect`;
  const fail = (message: string, argIndex: number): undefined => (ctx.error(`'${what}' : ${message}`, argIndex), undefined);
  const badKeyword = (w: string, at: number): undefined => fail(proto === 'http'
    ? `'only supports min-recv, [!]string', '[!]rstring', '[!]string-lf', '[!]status', '[!]rstatus', [!]hdr, [!]fhdr or comment but got '${w}' as argument.`
    : `'only supports min-recv, '[!]binary', '[!]string', '[!]rstring', '[!]string-lf''[!]rbinary', '[!]binary-lf' or comment but got '${w}' as argument.`, at);
  if (rest.length === 0 || rest[0] === '') return fail('expects at least a matching pattern as arguments.', 1);
  let kind: string | undefined;
  let pattern = '';
  let negate = false;
  const out: ExpectOptions & { minRecv?: number; header?: HeaderExpect } = {};
  for (let i = 0; i < rest.length; i++) {
    let w = rest[i]!;
    let inPattern = false;
    // `!` inverts (each one toggles), alone or glued to the next word.
    if (w.startsWith('!')) {
      inPattern = true;
      while (w.startsWith('!')) {
        negate = !negate;
        w = w.slice(1);
      }
      if (w === '') w = rest[++i] ?? '';
    }
    const at = i + 1;
    const value = rest[i + 1];
    const option = (name: string): boolean => {
      if (inPattern) return (fail(`[!] not supported with '${name}'.`, at), false);
      if (value === undefined || value === '') return (fail(name === 'min-recv' ? `'${name}' expects a integer as argument.` : name === 'status-code' ? `'${name}' expects an expression as argument.` : `'${name}' expects a string as argument.`, at), false);
      return true;
    };
    if (w === 'min-recv') {
      if (!option(w)) return undefined;
      // atol(): leading digits, else 0.
      const n = atoi(value!);
      if (n < -1 || n > 2 ** 31 - 1) return fail(`'min-recv' expects -1 or an integer from 0 to INT_MAX.`, at + 1);
      out.minRecv = n;
      i++;
    } else if ((proto === 'tcp' ? TCP_KINDS : HTTP_KINDS).includes(w) || (proto === 'http' && w === 'string-lf')) {
      if (kind !== undefined) return fail('only on pattern expected.', at);
      if (proto === 'http' && w === 'string-lf') return void ctx.error(`'http-check expect string-lf' (a log-format body pattern) is not supported by Loadstar yet.`, at);
      if (w === 'hdr' || w === 'fhdr') {
        // hdr name[-lf] [-m meth] <name> [value[-lf] [-m meth] <value>] (HAProxy's reading, messages included).
        const methods = ['str', 'beg', 'end', 'sub', 'reg'];
        let j = i + 1;
        const nameWord = rest[j];
        if ((nameWord !== 'name' && nameWord !== 'name-lf') || !rest[j + 1]) return fail(`'${w}' expects at the name keyword as first argument followed by a pattern.`, at);
        j++;
        const header: HeaderExpect = { nameMatch: 'str', name: '' };
        if (nameWord === 'name-lf') header.nameLf = true;
        // `-m <method>` at rest[at]: false after reporting a bad one.
        const matchMethod = (at: number, lf: boolean | undefined, set: (m: HeaderExpect['nameMatch']) => void): boolean => {
          const m = rest[at + 1];
          const problem = !m ? [`'${w}' : '-m' expects at a matching pattern ('str', 'beg', 'end', 'sub' or 'reg').`, at + 1] as const
            : !methods.includes(m) ? [`'${w}' : '-m' only supports 'str', 'beg', 'end', 'sub' or 'reg' (got '${m}').`, at + 2] as const
              : m === 'reg' && lf ? [`'${w}': log-format string is not supported with a regex matching method.`, at + 2] as const : undefined;
          if (problem) {
            fail(problem[0], problem[1]);
            return false;
          }
          set(m as HeaderExpect['nameMatch']);
          return true;
        };
        if (rest[j] === '-m') {
          if (!matchMethod(j, header.nameLf, (m) => (header.nameMatch = m))) return undefined;
          j += 2;
        }
        header.name = rest[j] ?? '';
        const valueWord = rest[j + 1];
        if (valueWord === 'value' || valueWord === 'value-lf') {
          j += 1;
          if (valueWord === 'value-lf') header.valueLf = true;
          header.valueMatch = 'str';
          if (rest[j + 1] === '-m') {
            if (!matchMethod(j + 1, header.valueLf, (m) => (header.valueMatch = m))) return undefined;
            j += 2;
          }
          const v = rest[j + 1];
          if (v === undefined || v === '') return fail(`'${w}' expect a pattern with the value keyword.`, j + 1);
          header.value = v;
          j += 1;
        }
        for (const [text, lf, re] of [[header.name, header.nameLf, header.nameMatch === 'reg'], [header.value, header.valueLf, header.valueMatch === 'reg']] as const) {
          if (text === undefined) continue;
          if (lf && checkLogFormatError(ctx, what, text, at)) return undefined;
          if (re) {
            try {
              new RegExp(text);
            } catch (e) {
              return fail(`regex '${text}' is invalid (${(e as Error).message}).`, at);
            }
          }
        }
        kind = w;
        pattern = rest.slice(i + 1, j + 1).join(' ');
        out.header = header;
        i = j;
        continue;
      }
      if (value === undefined || value === '') return fail(`'${w}' expects a <pattern> as argument.`, at);
      kind = w;
      pattern = value;
      i++;
    } else if (w === 'comment' || w === 'on-success' || w === 'on-error') {
      if (!option(w)) return undefined;
      if (w === 'comment') out.comment = value;
      else if (w === 'on-success') out.onSuccess = value;
      else out.onError = value;
      i++;
    } else if (w === 'ok-status' || w === 'error-status' || w === 'tout-status') {
      if (!option(w)) return undefined;
      const table = w === 'ok-status' ? OK_STATUS : w === 'error-status' ? ERROR_STATUS : TOUT_STATUS;
      const code = (table as Record<string, string>)[value!.toUpperCase()];
      if (code === undefined) {
        const list = w === 'ok-status' ? `'L4OK', 'L6OK', 'L7OK' or 'L7OKC'` : w === 'error-status' ? `'L4CON', 'L6RSP', 'L7RSP' or 'L7STS'` : `'L4TOUT', 'L6TOUT' or 'L7TOUT'`;
        return fail(`'${w}' only supports ${list} status (got '${value}').`, at + 1);
      }
      if (w === 'ok-status') out.okStatus = code as ExpectOptions['okStatus'];
      else if (w === 'error-status') out.errorStatus = code as ExpectOptions['errorStatus'];
      else out.toutStatus = code as ExpectOptions['toutStatus'];
      i++;
    } else if (w === 'status-code') {
      if (!option(w)) return undefined;
      const parsed = parseSampleExpression(value!);
      if ('error' in parsed) return fail(`error detected while parsing status-code expression : ${parsed.error}.`, at + 1);
      if (!fetchUsableAt(parsed.expr.fetch, 'backend-tcp-check')) {
        return fail(`error detected while parsing status-code expression :  fetch method '${value}' extracts information from '${sourceNames(parsed.expr.fetch.sources)}', none of which is available here.`, at + 1);
      }
      out.statusCode = value;
      i++;
    } else {
      return badKeyword(w, at);
    }
  }
  if (kind === undefined) return fail('expects at least a matching pattern as arguments.', 1);
  if (kind === 'rstring' || kind === 'rbinary' || kind === 'rstatus') {
    try {
      new RegExp(pattern);
    } catch (e) {
      return fail(`regex '${pattern}' is invalid (${(e as Error).message}).`, 1);
    }
  }
  if (kind === 'status') {
    const problem = statusListProblem(pattern);
    if (problem) return fail(problem, 1);
  }
  if (kind === 'binary' && !/^([0-9a-fA-F]{2})*$/.test(pattern)) return fail(`invalid binary string (binary string '${pattern}' is not a valid hexadecimal string).`, 1);
  for (const text of [out.onSuccess, out.onError, kind.endsWith('-lf') ? pattern : undefined]) {
    if (text !== undefined && checkLogFormatError(ctx, what, text, 1)) return undefined;
  }
  return { kind, pattern, negate, ...out };
}

/** HAProxy's reading of a status list (`200`, `200-299,301`): read_uint per code, empty reads as 0. */
function statusListProblem(pattern: string): string | undefined {
  let p = 0;
  const readUint = (): number => {
    let n = 0;
    while (p < pattern.length && pattern[p]! >= '0' && pattern[p]! <= '9') n = n * 10 + Number(pattern[p++]);
    return n;
  };
  for (;;) {
    const c1 = readUint();
    let c2 = c1;
    if (pattern[p] === '-') {
      p++;
      c2 = readUint();
    }
    if (c1 > c2) return `invalid range of status codes '${pattern}'.`;
    if (p >= pattern.length) return undefined;
    if (pattern[p] !== ',') return `invalid character '${pattern[p]}' in the list of status codes.`;
    p++;
  }
}

function parseTcpCheckExpect(ctx: ProxyDirectiveContext, rest: readonly string[]): TcpCheckExpect | undefined {
  const e = parseExpect(ctx, rest, 'tcp');
  return e && { type: 'expect', ...e, kind: e.kind as TcpCheckExpect['kind'], loc: ctx.directive.loc };
}

const keywords: ProxyKeyword[] = [
  // HAProxy refuses `no`/`default` for the options it parses itself (negation/default is not supported for option …).
  { name: 'option httpchk', sections: 'dlb', status: CHECKS, summary: 'HTTP health checks: `option httpchk [METH] [URI] [VER]`.', parse: parseOptionHttpchk },
  {
    name: 'option tcp-check',
    sections: 'dlb',
    status: CHECKS,
    summary: 'Health checks driven by the tcp-check rules.',
    parse(ctx) {
      if (ctx.args.length > 0) return ctx.error(`'option tcp-check' cannot handle arguments`, 0);
      ctx.proxy.options['tcp-check'] = { enabled: !ctx.negated, args: [], loc: ctx.directive.loc };
      if (!ctx.negated) checkChosen(ctx, 'tcp-check');
    },
  },
  { name: 'http-check', sections: 'dlb', status: CHECKS, summary: 'HTTP check request and expectations: connect (`ssl` with `sni`/`alpn` over the server\'s TLS settings, `default` for its check-ssl and check-proto, `proto h1|h2`; a plain `connect` line is plain TCP even on an ssl server, as in HAProxy), send, expect [!]status/rstatus/string/rstring/hdr/fhdr (hdr/fhdr with name[-lf]/value[-lf] and -m str/beg/end/sub/reg; with comment, ok-status, error-status, tout-status, on-success, on-error, status-code; not yet string-lf), disable-on-404, send-state, set-var/set-var-fmt/unset-var.', parse: parseHttpCheck,
    // A frontend's rules are kept aside there too (never in force): HAProxy warns about them at the end.
    checkIgnored(ctx) { if (ctx.args[0] !== 'disable-on-404' && ctx.args[0] !== 'send-state') keptAside(ctx, 'http'); } },
  { name: 'tcp-check', sections: 'dlb', status: CHECKS, summary: 'Scripted TCP checks: connect (`port`, `addr`, `send-proxy`; `ssl` with `sni`/`alpn` over the server\'s TLS settings; `default` takes the server\'s check-ssl, check-sni, check-alpn and check-send-proxy; otherwise plain TCP), send, expect ([!]string/rstring/binary/rbinary/string-lf/binary-lf with min-recv, comment, ok-status, error-status, tout-status, on-success, on-error, status-code), set-var/set-var-fmt/unset-var.', parse: parseTcpCheck,
    checkIgnored(ctx) { keptAside(ctx, 'tcp'); } },
];

registerProxyKeywords(keywords);
