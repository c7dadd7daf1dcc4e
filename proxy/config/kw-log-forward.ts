/**
 * `log-forward <name>` sections (configuration.txt 3.10): a syslog relay. Its keywords and
 * messages are HAProxy 2.6's (log.c cfg_parse_log_forward); runtime/log-forward.ts runs it.
 */
import type { DirectiveContext } from './keywords.ts';
import type { Diagnostics, SourceLocation } from './diagnostics.ts';
import type { Config, DgramBind, LogForward, Section } from './model.ts';
import { BIND_OPTION_NAMES, readBind } from './kw-bind.ts';
import { parseLogTarget } from './kw-proxy.ts';
import { parseAddress, parseTime } from './values.ts';
import { suggest } from './suggest.ts';

/** The keywords of the section, with what each does (the editor's completion and the docs read them). */
export const LOG_FORWARD_KEYWORD_SUMMARIES: Readonly<Record<string, string>> = {
  'dgram-bind': '`dgram-bind <addr>[:<port>] [options]`: a UDP address receiving syslog messages, one per datagram.',
  bind: '`bind <addr>:<port> [options]`: a TCP address receiving syslog messages framed by octet counting (`<len> <msg>`) or ended by a line feed (RFC 6587).',
  log: '`log <target> [len <n>] [format <fmt>] <facility> [<level> [<minlevel>]]` or `log global`: where the messages received go, in that target\'s format; the level filters and the facility apply to each message.',
  maxconn: '`maxconn <n>`: TCP connections read at once (default 10); the next one waits until one of them ends.',
  backlog: '`backlog <n>`: the TCP listen queue asked of the kernel.',
  timeout: '`timeout client <time>`: a TCP connection without data for that long is read no more (left open until the client closes it, as haproxy 2.6.12 leaves it; default: never).',
};
export const LOG_FORWARD_KEYWORDS = Object.keys(LOG_FORWARD_KEYWORD_SUMMARIES);

export function newLogForward(section: Section): LogForward {
  // cfg_parse_log_forward: px->maxconn = 10, timeout client eternity.
  return { name: section.name, section, dgramBinds: [], binds: [], logs: [], maxconn: 10 };
}

const NAME_CHARS = /^[A-Za-z0-9_.:-]*$/;

/**
 * The section's header line: a name and nothing more. HAProxy stops reading the file (ERR_ABORT) for a
 * missing or malformed name; here the section's lines are skipped. Returns the section, or undefined.
 */
export function openLogForward(section: Section, words: readonly string[], config: Pick<Config, 'logForwards'>, alert: (message: string) => void, proxyNames: (name: string) => { kind: string; loc: SourceLocation } | undefined): LogForward | undefined {
  const name = words[1];
  if (name === undefined || name === '') {
    alert('missing name for ip-forward section.');
    return undefined;
  }
  if (words.length > 2) {
    alert(`'log-forward' cannot handle unexpected argument '${words[2]}'.`);
    return undefined;
  }
  if (!NAME_CHARS.test(name)) {
    const bad = [...name].find((c) => !/[A-Za-z0-9_.:-]/.test(c));
    alert(`character '${bad}' is not permitted in 'log-forward' name '${name}'.`);
    return undefined;
  }
  const previous = config.logForwards.find((f) => f.name === name);
  if (previous) alert(`log-forward section '${name}' has the same name as another log-forward section declared at ${previous.section.loc.file}:${previous.section.loc.line}.`);
  const proxy = proxyNames(name);
  if (proxy) alert(`log forward section '${name}' has the same name as ${proxy.kind} '${name}' declared at ${proxy.loc.file}:${proxy.loc.line}.`);
  const forward = newLogForward(section);
  config.logForwards.push(forward);
  return forward;
}

/** A line of a `log-forward` section; `negated` is a leading `no` (HAProxy reads it for `log` only). */
export function parseLogForwardDirective(ctx: DirectiveContext, forward: LogForward, keyword: string, negated: boolean): void {
  const args = ctx.args;
  switch (keyword) {
    case 'maxconn':
    case 'backlog': {
      if (args[0] === undefined || args[0] === '') return ctx.error(`'${keyword}' expects an integer argument.`);
      // atol(): leading digits, anything else 0; set before the extra words are refused.
      const n = atol(args[0]);
      if (keyword === 'maxconn') forward.maxconn = n;
      else forward.backlog = n > 0 ? n : undefined;
      if (args.length > 1) return ctx.error(`'${keyword}' cannot handle unexpected argument '${args[1]}'.`, 1);
      return;
    }
    case 'timeout': {
      if (args[0] !== 'client') return ctx.error(`unknown keyword 'timeout ${args[0] ?? ''}' in log-forward section.`, 0, 'LS_ERR_CFG_UNKNOWN_KEYWORD');
      if (args[1] === undefined || args[1] === '') return ctx.error('missing timeout client value.');
      const t = parseTime(args[1], 'timeout client');
      if (t.error !== undefined) return ctx.error(`timeout : ${t.error}`, 1);
      forward.timeoutClient = t.value;
      return;
    }
    case 'log': {
      if (negated) {
        forward.logs = [];
        return;
      }
      // log.c parse_logsrv(): 'global' alone takes the global section's targets.
      if (args[0] === 'global' && !args[1]) {
        forward.logs.push({ target: 'global', loc: ctx.directive.loc });
        return;
      }
      // `proxy` set: parse_logsrv's messages then offer 'global', as they do here.
      const target = parseLogTarget({ args, directive: ctx.directive, error: (m: string, i?: number) => ctx.error(m, i), proxy: forward } as Parameters<typeof parseLogTarget>[0]);
      if (target) forward.logs.push(target);
      return;
    }
    case 'bind': {
      const bind = readBind(ctx, 'log-forward', forward.name);
      if (bind) forward.binds.push(bind);
      return;
    }
    case 'dgram-bind': {
      const bind = readDgramBind(ctx);
      if (bind) forward.dgramBinds.push(bind);
      return;
    }
  }
  ctx.error(`unknown keyword '${keyword}' in log-forward section.`, undefined, 'LS_ERR_CFG_UNKNOWN_KEYWORD');
}

/** `dgram-bind <addr>[,<addr>…] [options]` (str2receiver: datagram addresses only). */
function readDgramBind(ctx: DirectiveContext): DgramBind | undefined {
  const [list, ...rest] = ctx.args;
  // HAProxy 2.6 takes an empty address list without a word (and binds nothing).
  if (list === undefined || list === '') return undefined;
  const bind: DgramBind = { addresses: [], extra: {}, loc: ctx.directive.loc };
  const parts = list.split(',');
  if (parts.length > 1 && parts.at(-1) === '') parts.pop();
  const keyword = `dgram-bind ${list}`;
  for (const part of parts) {
    const prefix = /^([a-z0-9]+)@/.exec(part)?.[1];
    if (prefix === 'tcp' || prefix === 'tcp4' || prefix === 'tcp6' || prefix === 'stream') {
      return void ctx.error(`'${keyword}' : stream-type address not acceptable in '${part}'`, 0);
    }
    if (part.startsWith('/') || prefix === 'unix' || prefix === 'abns' || prefix === 'uxdg') {
      return void ctx.error(`'${keyword}' : UNIX datagram sockets ('${part}') are not supported by Loadstar yet (Node.js has none); use a UDP address.`, 0, 'LS_ERR_CFG_UNSUPPORTED');
    }
    const written = part.replace(/^udp@/, '').replace(/^udp4@/, 'ipv4@').replace(/^udp6@/, 'ipv6@');
    const a = parseAddress(written, { kind: 'bind', keyword });
    if (a.error !== undefined) return void ctx.error(a.error.replace(`'${written}'`, `'${part}'`), 0);
    bind.addresses.push({ family: a.value.family, host: a.value.host, port: a.value.port, portEnd: a.value.portEnd });
  }
  for (let i = 0; i < rest.length; i++) {
    const option = rest[i]!;
    const takesValue = BIND_OPTION_NAMES[option];
    if (takesValue === undefined) {
      const hint = suggest(option, Object.keys(BIND_OPTION_NAMES));
      return void ctx.error(`unknown keyword '${option}' in 'log-forward' section${hint ? `; did you mean '${hint}' maybe ?` : '.'}`, i + 1, 'LS_ERR_CFG_UNKNOWN_KEYWORD');
    }
    const value = takesValue ? rest[i + 1] : undefined;
    if (takesValue && value === undefined) return void ctx.error(`'${option}' : missing value.`, i + 1);
    bind.extra[option] = value ?? true;
    if (option !== 'name') ctx.warn(`'${keyword}' : '${option}' has no effect on a dgram-bind in Loadstar and is ignored.`, i + 1, 'LS_WARN_CFG_IGNORED');
    if (takesValue) i++;
  }
  return bind;
}

function atol(word: string): number {
  const m = /^\s*([+-]?\d+)/.exec(word);
  return m ? Number(m[1]) : 0;
}

/** What HAProxy checks once every section is read: a log-forward with no listener is a frontend without a bind. */
export function logForwardWarnings(config: Config, diagnostics: Diagnostics): void {
  for (const f of config.logForwards) {
    if (f.binds.length + f.dgramBinds.length > 0) continue;
    diagnostics.warn(f.section.loc, 'LS_WARN_CFG_SUSPICIOUS', `frontend '${f.name}' has no 'bind' directive. Please declare it as a backend if this was intended.`, 'log-forward');
  }
}
