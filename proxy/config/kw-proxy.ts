/**
 * General proxy keywords: mode, timeouts, options, limits, logging, routing
 * (acl / use_backend / default_backend), captures, compression (error pages: kw-errors.ts).
 */
import { registerProxyKeywords } from './keywords.ts';
import type { ProxyKeyword, ProxyDirectiveContext } from './keywords.ts';
import { atoi, atoiInt, parseInteger, parseTime, parseNetwork, strtol0 } from './values.ts';
import { parseAclDirective, splitCondition, logFormatFilesExist, warnIfConditionConflicts } from './conditions.ts';
import type { ConditionErrorWords } from './conditions.ts';
import { parseLogFormat } from '../acl/index.ts';
import type { LogFormatParseOptions, LogFormatToken } from '../acl/index.ts';
import { ENGINE, NO_EFFECT, COMPRESSION, SUPPORTED } from './status.ts';
import type { ServerRule, SwitchingRule, TimeoutName } from './model.ts';
import type { SourceLocation } from './diagnostics.ts';
import { parseCacheFilter } from './kw-cache.ts';

/** HAProxy's words for an error in the condition of use_backend and use-server (cfgparse-listen.c). */
const SWITCHING_RULE_WORDS: ConditionErrorWords = { head: 'error detected while parsing switching rule :', tail: '.' };

function noArgs(ctx: ProxyDirectiveContext): boolean {
  if (ctx.args.length > 0) {
    ctx.error(`'${ctx.directive.keyword}' cannot handle arguments`, 0);
    return false;
  }
  return true;
}

/**
 * The one log-format argument of `error-log-format` / `unique-id-format`, with HAProxy 2.6's
 * cfgparse-listen.c messages; undefined after an error was reported.
 */
function oneFormatArgument(ctx: ProxyDirectiveContext, options: LogFormatParseOptions): { text: string; tokens: LogFormatToken[]; loc: SourceLocation } | undefined {
  const keyword = ctx.directive.keyword;
  if (ctx.args.length === 0 || ctx.args[0] === '') return void ctx.error(`${keyword} expects an argument.`);
  if (ctx.args.length > 1) return void ctx.error(`${keyword} expects only one argument, don't forget to escape spaces!`, 1);
  const parsed = parseLogFormat(ctx.args[0]!, options);
  if ('error' in parsed) return void ctx.error(`'${keyword}' : ${parsed.error}`, 0);
  for (const w of parsed.warnings) ctx.warn(`'${keyword}' : ${w}`, 0);
  if (!logFormatFilesExist(ctx, parsed.tokens, 0)) return undefined;
  return { text: ctx.args[0]!, tokens: parsed.tokens, loc: ctx.directive.loc };
}

function needArgs(ctx: ProxyDirectiveContext, count: number, usage: string): boolean {
  if (ctx.args.length < count) {
    ctx.error(`'${ctx.directive.keyword}' expects ${usage}`);
    return false;
  }
  return true;
}

const timeoutKeywords: ProxyKeyword[] = (
  [
    ['connect', 'dlb', 'maximum time to wait for a connection to a server'],
    ['client', 'dfl', 'maximum inactivity time on the client side'],
    ['server', 'dlb', 'maximum inactivity time on the server side'],
    ['http-request', 'dflb', 'maximum time to wait for a complete HTTP request'],
    ['http-keep-alive', 'dflb', 'maximum time to wait for a new request on a keep-alive connection'],
    ['queue', 'dlb', 'maximum time a request waits in the queue for a connection slot'],
    ['tunnel', 'dlb', 'maximum inactivity time on both sides of a tunnel (WebSocket, TCP)'],
    ['check', 'dlb', 'additional read timeout for health checks once connected'],
    ['client-fin', 'dfl', 'inactivity timeout on the client side for half-closed connections'],
    ['server-fin', 'dlb', 'inactivity timeout on the server side for half-closed connections'],
    ['tarpit', 'dflb', 'duration of a tarpitted request'],
  ] as const
).map(([name, sections, summary]) => ({
  name: `timeout ${name}`,
  sections,
  status: ENGINE,
  summary: `Sets the ${summary}.`,
  parse(ctx) {
    if (ctx.args.length === 0) return ctx.error(`'timeout ${name}' expects an integer value (in milliseconds)`);
    const t = parseTime(ctx.args[0]!, `timeout ${name}`);
    if (t.error !== undefined) return ctx.error(t.error, 0);
    if (t.warning) ctx.warn(t.warning, 0, 'LS_WARN_CFG_SUSPICIOUS');
    if (ctx.args.length > 1) return ctx.error(`'timeout ${name}' : unexpected extra argument '${ctx.args[1]}' after value '${ctx.args[0]}'.`, 1);
    ctx.proxy.timeouts[name as TimeoutName] = t.value;
  },
}));

/**
 * cfgparse-listen.c reads these numbers even where the section cannot hold them (after the
 * capability warning): only a missing one is refused there.
 */
const valueRequired = (message: string) => (ctx: ProxyDirectiveContext): void => {
  if (!ctx.args[0]) ctx.error(message);
};

/** Options that take no argument and just switch a behaviour on or off. */
const plainOptions: Array<[name: string, sections: string, summary: string]> = [
  ['http-server-close', 'dflb', 'Closes the server connection after each response while keeping the client connection alive.'],
  ['http-keep-alive', 'dflb', 'Keeps both client and server connections alive (the default HTTP mode).'],
  ['httpclose', 'dflb', 'Closes both connections after each response.'],
  ['idle-close-on-response', 'dfl', 'On a reload, an idle keep-alive client connection is not closed: its next request is answered with `connection: close` (HAProxy before 2.4). Loadstar does this on every reload, with or without the option (closing an idle connection races with a request the client may be sending on it); on a stop, idle connections close at once.'],
  ['http-pretend-keepalive', 'dlb', 'With http-server-close or httpclose, the request to the server does not say `connection: close` (HTTP/1.0: says `keep-alive`), so that the server keeps chunked encoding; the server connection still closes after the response.'],
  ['tcplog', 'dflb', 'Logs in HAProxy\'s TCP log format.'],
  ['allbackups', 'dlb', 'Uses all backup servers at once when no active server is left.'],
  ['checkcache', 'dlb', 'Blocks a response a cache could store with the cookie it sets (Set-Cookie or Set-Cookie2 from the server or an http-response rule, on a cacheable answer: a GET, HEAD, OPTIONS or TRACE answered 200, 203, 204, 206, 300, 301, 404, 405, 410, 414 or 501, or `Cache-Control: public`; with freshness or a validator; not private / no-cache / no-store / max-age=0 / no-cache="set-cookie"), as HAProxy 2.6 does: the client gets HAProxy\'s page for the server\'s status (its 500 page for a status without one), logged with the server\'s status, %Tr -1 and PH, counted as a denied response, and the alert "Blocking cacheable cookie in response from instance <backend>, server <server>." goes to the log and to the backend\'s log targets.'],
  ['persist', 'dlb', 'Keeps sending persistent traffic to a server that is down.'],
  ['abortonclose', 'dlb', 'Drops a queued or pending request when the client aborts.'],
  ['dontlognull', 'dfl', 'Does not log connections that sent no data.'],
  ['logasap', 'dfl', 'Logs as soon as the response head is in (HTTP) or the server connection is up (TCP), with the bytes and time so far marked +.'],
  ['dontlog-normal', 'dfl', 'Logs only errors and timeouts.'],
  ['log-health-checks', 'dlb', 'Logs every health check state change with details.'],
  ['log-separate-errors', 'dfl', 'Raises the log level of errors.'],
  ['http-buffer-request', 'dflb', 'The http-request rules wait for the request body (all of it, or what fits in tune.bufsize minus tune.maxrewrite), so that req.body, req.body_param, req.body_len and req.body_size see it; a body that does not come within timeout http-request (else timeout client) is answered 408. In a backend, its own rules wait when the frontend did not. Answers Expect: 100-continue.'],
  ['http-ignore-probes', 'dfl', 'Does not log or count connections that send nothing.'],
  ['http-use-proxy-header', 'dfl', 'For a request sent to a forward proxy (its target begins with neither `/` nor `*`: absolute form, CONNECT, HTTP/2 with :authority), authentication uses Proxy-Authorization: `http_auth`, `http_auth_group`, `http_auth_type`, `http_auth_user`, `http_auth_pass` and `http_auth_bearer` read it, and `http-request auth` (and `stats auth`) answer 407 with `proxy-authenticate`, as HAProxy 2.6 does.'],
  ['transparent', 'dlb', 'In a backend without `balance` (refused with it): what no rule binds to a server (persistence cookie, use-server, stick match) goes to the address the client connected to, as set-dst / set-dst-port left it, instead of a balanced server; a `dispatch` line wins over it. HAProxy meant it for connections a firewall redirected to it (their destination is the original one); a connection to Loadstar\'s own address would come back to it, so a rule sets the destination.'],
  ['prefer-last-server', 'dlb', 'Sends a request to the server of a connection its client connection owns (http-reuse never), waiting in its queue when it is full, as HAProxy 2.6 does (`max-keep-alive-queue` limits that wait).'],
  ['h1-case-adjust-bogus-client', 'dfl', 'Sends header names to HTTP/1 clients in the case h1-case-adjust gives them.'],
  ['disable-h2-upgrade', 'dfl', 'A plain HTTP/1 connection that starts with HTTP/2\'s connection preface (`PRI * HTTP/2.0`) is answered 400 Bad request, as HAProxy 2.6 answers it, instead of going on as HTTP/2 (h2c by prior knowledge). `proto h2` on a bind still speaks HTTP/2 from the start.'],
  ['h1-case-adjust-bogus-server', 'dlb', 'Sends header names to HTTP/1 servers in the case h1-case-adjust gives them.'],
];

/**
 * HAProxy's options to let invalid messages through. llhttp frames every message (DESIGN.md §4) and
 * refuses most of what they relax; the rest of each is done, and what is not is named in a warning.
 */
const relaxedParsingOptions: Array<[name: string, sections: string, summary: string, kept: string]> = [
  ['accept-invalid-http-request', 'dfl',
    "Takes a request whose target holds a `#` (HTTP/1 and HTTP/2; refused with 400 otherwise, since CVE-2023-45539), as HAProxy 2.6 does with this option. HAProxy's other relaxations are not made, and a warning says so: bytes above 127 in the target, header names outside RFC 7230's token characters, HTTP/0.9 requests and versions other than HTTP/<digit>.<digit> are still refused, by Node's HTTP parser.",
    "a '#' in request targets is accepted; bytes above 127 in the target, header names outside RFC 7230's token characters, HTTP/0.9 and versions other than HTTP/<digit>.<digit> are still refused with 400 (Node's HTTP parser frames every request and does not relax them)."],
  ['accept-invalid-http-response', 'dlb',
    "HAProxy's option to relay responses whose header names hold characters outside RFC 7230's tokens, or whose version is not HTTP/<digit>.<digit>. Loadstar accepts it, and a warning says that it still answers such responses with 502: Node's HTTP parser refuses them. What HAProxy relays without the option (control bytes and obs-fold in header values, line ends without CR, any HTTP/<digit>.<digit>), Loadstar relays too.",
    "response header names outside RFC 7230's token characters and versions other than HTTP/<digit>.<digit> are still answered with 502 (Node's HTTP parser frames every response and does not relax them)."],
];

/** Options that only tune kernel socket details or statistics; no effect on traffic here. */
const noEffectOptions: Array<[name: string, sections: string]> = [
  ['contstats', 'dfl'], ['splice-auto', 'dflb'], ['splice-request', 'dflb'], ['splice-response', 'dflb'],
  ['tcp-smart-accept', 'dfl'], ['tcp-smart-connect', 'dlb'], ['socket-stats', 'dfl'], ['http-no-delay', 'dflb'], ['independent-streams', 'dflb'], ['nolinger', 'dflb'],
];

const optionKeywords: ProxyKeyword[] = [
  ...plainOptions.map(([name, sections, summary]): ProxyKeyword => ({
    name: `option ${name}`,
    sections,
    status: ENGINE,
    summary,
    // HAProxy parses tcplog itself, without `no`/`default`: it sets the log format.
    negatable: name !== 'tcplog',
    parse(ctx) {
      if (!noArgs(ctx)) return;
      setOption(ctx, name);
      // Its parser warns itself (the keyword table allows backends).
      if (name === 'tcplog' && ctx.kind === 'backend') ctx.warn(`backend '${ctx.proxy.name}' : 'option tcplog' directive is ignored in backends.`, undefined, 'LS_WARN_CFG_IGNORED');
    },
  })),
  ...noEffectOptions.map(([name, sections]): ProxyKeyword => ({
    name: `option ${name}`,
    sections,
    status: NO_EFFECT,
    summary: 'Kernel socket or statistics tuning; Node.js manages sockets itself.',
    negatable: true,
    parse(ctx) {
      if (!noArgs(ctx)) return;
      setOption(ctx, name);
      ctx.warn(`'option ${name}' has no effect in Loadstar and is ignored`, undefined, 'LS_WARN_CFG_IGNORED');
    },
  })),
  ...relaxedParsingOptions.map(([name, sections, summary, kept]): ProxyKeyword => ({
    name: `option ${name}`,
    sections,
    // llhttp leaves nothing of the response option's relaxations to Loadstar.
    status: name === 'accept-invalid-http-response' ? NO_EFFECT : ENGINE,
    summary,
    negatable: true,
    parse(ctx) {
      if (!noArgs(ctx)) return;
      setOption(ctx, name);
      // What Node's parser never relaxes is said once, where the option is turned on.
      if (!ctx.negated && !ctx.restoresDefault) ctx.warn(`'option ${name}' : ${kept}`, undefined, 'LS_WARN_CFG_IGNORED');
    },
  })),
  {
    name: 'option httplog',
    sections: 'dfl',
    status: ENGINE,
    summary: 'Logs in HAProxy\'s HTTP log format (`clf` for the Common Log Format).',
    // In a backend HAProxy warns that it is ignored, then still reads its word.
    checkIgnored(ctx) {
      if (ctx.args.length === 1 && ctx.args[0] !== 'clf') ctx.error(`keyword 'httplog' only supports option 'clf'.`, 0);
    },
    parse(ctx) {
      if (ctx.args.length > 1 || (ctx.args.length === 1 && ctx.args[0] !== 'clf')) {
        return ctx.error(`keyword 'httplog' only supports option 'clf'.`, 0);
      }
      setOption(ctx, 'httplog');
    },
  },
  {
    name: 'option httpslog',
    sections: 'dfl',
    status: ENGINE,
    summary: 'Logs in HAProxy\'s HTTPS log format: the HTTP format followed by the TLS errors, resumption, SNI, version and cipher.',
    parse(ctx) {
      // HAProxy 2.6 takes and ignores arguments here.
      setOption(ctx, 'httpslog');
    },
  },
  {
    name: 'option redispatch',
    sections: 'dlb',
    status: ENGINE,
    summary: 'Lets a request go to another server when the chosen one fails to connect.',
    negatable: true,
    parse(ctx) {
      // cfgparse-listen.c reads one word, the interval, and ignores any after it. It reads the
      // interval with atol(), which makes a word that is not a number 0 (no redispatch at all):
      // refused here, as the numbers HAProxy does not check are (test/scenarios/invalid/README.md).
      const interval = ctx.args[0];
      if (interval && !/^-?\d+$/.test(interval)) return ctx.error(`'option redispatch' takes at most one integer argument (the redispatch interval)`, 0);
      setOption(ctx, 'redispatch');
    },
  },
  {
    name: 'option forwardfor',
    sections: 'dflb',
    status: ENGINE,
    summary: 'Adds the client address in X-Forwarded-For (`except NET`, `header NAME`, `if-none`).',
    parse(ctx) {
      for (let i = 0; i < ctx.args.length; i++) {
        const a = ctx.args[i]!;
        if (a === 'if-none') continue;
        if (a === 'except' || a === 'header') {
          if (ctx.args[i + 1] === undefined) return ctx.error(`'option forwardfor' : '${a}' expects a value`, i);
          if (a === 'except' && !parseNetwork(ctx.args[i + 1]!)) return ctx.error(`'option forwardfor except' expects <address>[/mask] as argument.`, i + 1);
          i++;
          continue;
        }
        return ctx.error(`'option forwardfor' only supports optional values: 'except', 'header' and 'if-none'.`, i);
      }
      setOption(ctx, 'forwardfor');
    },
  },
  {
    name: 'option originalto',
    sections: 'dflb',
    status: ENGINE,
    summary: 'Adds the address the client connected to in X-Original-To (`except NET`: not for those destinations, `header NAME`: another header).',
    parse(ctx) {
      for (let i = 0; i < ctx.args.length; i++) {
        const a = ctx.args[i]!;
        if (a === 'except') {
          if (!ctx.args[i + 1] || !parseNetwork(ctx.args[i + 1]!)) return ctx.error(`'option originalto except' expects <address>[/mask] as argument.`, i);
        } else if (a === 'header') {
          if (!ctx.args[i + 1]) return ctx.error(`'option originalto header' expects <header_name> as argument.`, i);
        } else {
          return ctx.error(`'option originalto' only supports optional values: 'except' and 'header'.`, i);
        }
        i++;
      }
      setOption(ctx, 'originalto');
    },
  },
];

/** `force-persist` / `ignore-persist { if | unless } <condition>`: one list, in the order written. */
function persistRuleKeyword(type: 'force' | 'ignore', summary: string): ProxyKeyword {
  const name = `${type}-persist`;
  return {
    name,
    sections: 'lb',
    status: ENGINE,
    summary,
    parse(ctx) {
      if (ctx.args[0] !== 'if' && ctx.args[0] !== 'unless') return ctx.error(`'${name}' requires either 'if' or 'unless' followed by a condition.`);
      const split = splitCondition(ctx, 0, `a '${name}' rule`, { head: `error detected while parsing a '${name}' rule :`, tail: '.' });
      if (!split.ok || !split.condition) return;
      warnIfConditionConflicts(ctx, split.condition, ['backend-tcp-request-content']);
      ctx.proxy.persistRules.push({ type, condition: split.condition, loc: ctx.directive.loc });
    },
  };
}

function setOption(ctx: ProxyDirectiveContext, name: string): void {
  // `default option X`: HAProxy copies the defaults section's value, which provisioning gives a section without its own.
  if (ctx.restoresDefault) delete ctx.proxy.options[name];
  else ctx.proxy.options[name] = { enabled: !ctx.negated, args: ctx.args, loc: ctx.directive.loc };
}

/**
 * One word of `bind-process`: HAProxy 2.6's parse_process_number() with a maximum of 1 process
 * (all, odd, even, a number or a range); the error message, or undefined when the word is valid.
 */
function processNumberError(word: string): string | undefined {
  if (word === 'all' || word === 'odd' || word === 'even') return undefined;
  if (!/^\d*(-\d*)?$/.test(word)) return `'${word}' is not a valid number/range.`;
  const [lowWord, highWord] = word.split('-');
  let low = atoi(lowWord!);
  let high = highWord === undefined ? low : highWord === '' ? 1 : atoi(highWord);
  if (high < low) [low, high] = [high, low];
  if (low < 1 || low > 1 || high > 1) return `'${word}' is not a valid number/range. It supports numbers from 1 to 1.`;
  return undefined;
}

/** A `use_backend` line as cfgparse-listen.c reads it, or undefined after its error. */
function parseUseBackend(ctx: ProxyDirectiveContext): SwitchingRule | undefined {
  const backend = ctx.args[0];
  // cfgparse-listen.c takes the first word as the backend, then only 'if' or 'unless'.
  const afterRule = (word: string, at: number) => ctx.error(`unexpected keyword '${word}' after switching rule, only 'if' and 'unless' are allowed.`, at);
  if ((backend === 'if' || backend === 'unless') && ctx.args[1]) return void afterRule(ctx.args[1], 1);
  if (backend === undefined || backend === 'if' || backend === 'unless') return void ctx.error(`'use_backend' expects a backend name.`);
  const split = splitCondition(ctx, 1, 'switching rule', SWITCHING_RULE_WORDS);
  if (!split.ok) return undefined;
  if (split.head.length > 1) return void afterRule(split.head[1]!, 1);
  const dynamic = backend.includes('%[');
  if (dynamic) {
    // Evaluated where a frontend's http-request rules are (HAProxy's check_config_validity: SMP_VAL_FE_HRQ_HDR).
    const parsed = parseLogFormat(backend, { checkpoints: ['frontend-http-request'] });
    if ('error' in parsed) return void ctx.error(`failed to parse use_backend rule '${backend}' : ${parsed.error}`, 0);
    if (!logFormatFilesExist(ctx, parsed.tokens, 0)) return undefined;
  }
  warnIfConditionConflicts(ctx, split.condition, ['frontend-use-backend']);
  return { backend, dynamic, condition: split.condition, loc: ctx.directive.loc };
}

/** A `use-server` line as cfgparse-listen.c reads it, or undefined after its error. */
function parseUseServer(ctx: ProxyDirectiveContext): ServerRule | undefined {
  const server = ctx.args[0];
  if (server === undefined || server === 'if' || server === 'unless') return void ctx.error(`'use-server' expects a server name.`);
  if (ctx.args[1] !== 'if' && ctx.args[1] !== 'unless') return void ctx.error(`'use-server' requires either 'if' or 'unless' followed by a condition.`, 1);
  const split = splitCondition(ctx, 1, `a 'use-server' rule`, SWITCHING_RULE_WORDS);
  if (!split.ok) return undefined;
  const dynamic = server.includes('%[');
  if (dynamic) {
    const parsed = parseLogFormat(server, { checkpoints: ['frontend-http-request'] });
    if ('error' in parsed) return void ctx.error(`use-server rule failed to parse log-format '${server}' : ${parsed.error}`, 0);
    if (!logFormatFilesExist(ctx, parsed.tokens, 0)) return undefined;
  }
  warnIfConditionConflicts(ctx, split.condition, ['backend-use-server']);
  return { server, dynamic, condition: split.condition, loc: ctx.directive.loc };
}

const generalKeywords: ProxyKeyword[] = [
  {
    // Multi-process mode is gone from HAProxy 2.6 (one process, threads): it checks the words and warns.
    name: 'bind-process',
    sections: 'dflb',
    status: NO_EFFECT,
    summary: 'Process placement; HAProxy 2.6 runs one process and ignores it too (deprecated, removed in 2.7).',
    parse(ctx) {
      for (const [i, word] of ctx.args.entries()) {
        if (word === 'all' || word === '') break; // HAProxy stops at 'all' and at an empty word
        const problem = processNumberError(word);
        if (problem) return ctx.error(`bind-process : ${problem}`, i);
      }
      ctx.warn(`'bind-process' has no effect, is deprecated, and will be removed in version 2.7.`, undefined, 'LS_WARN_CFG_IGNORED');
    },
  },
  {
    // HAProxy's older spelling of `option transparent` (it sets the same flag; no `no` form). A frontend takes it and ignores it.
    name: 'transparent',
    sections: 'dflb',
    status: ENGINE,
    summary: 'The older spelling of `option transparent`: in a backend without `balance`, what no rule binds to a server goes to the address the client connected to.',
    parse(ctx) {
      if (ctx.args.length > 0) return ctx.error(`'transparent' cannot handle unexpected argument '${ctx.args[0]}'.`, 0);
      ctx.proxy.options['transparent'] = { enabled: true, args: [], loc: ctx.directive.loc };
    },
  },
  {
    name: 'mode',
    sections: 'dflb',
    status: ENGINE,
    summary: '`http` (layer 7) or `tcp` (layer 4).',
    parse(ctx) {
      const m = ctx.args[0];
      if (!m) return ctx.error(`unknown proxy mode ''.`);
      if (m === 'http' || m === 'tcp') ctx.proxy.mode = m;
      else if (m === 'health' || m === 'log') ctx.error(`'mode ${m}' is not supported by Loadstar yet`, 0, 'LS_ERR_CFG_UNSUPPORTED');
      else ctx.error(`unknown proxy mode '${m}'.`, 0);
    },
  },
  {
    name: 'retries',
    sections: 'dlb',
    status: ENGINE,
    summary: 'Connection attempts after a failed connect (default 3).',
    checkIgnored: valueRequired(`'retries' expects an integer argument (dispatch counts for one).`),
    parse(ctx) {
      if (!ctx.args[0]) return ctx.error(`'retries' expects an integer argument (dispatch counts for one).`);
      const v = parseInteger(ctx.args[0], 'retries', 0);
      if (v.error !== undefined) return ctx.error(v.error, 0);
      ctx.proxy.retries = v.value;
    },
  },
  {
    name: 'maxconn',
    sections: 'dfl',
    status: ENGINE,
    summary: 'Maximum concurrent connections accepted by the frontend.',
    checkIgnored: valueRequired(`'maxconn' expects an integer argument.`),
    parse(ctx) {
      if (!ctx.args[0]) return ctx.error(`'maxconn' expects an integer argument.`);
      const v = parseInteger(ctx.args[0] ?? '', 'maxconn', 0);
      if (v.error !== undefined) return ctx.error(v.error, 0);
      ctx.proxy.maxconn = v.value;
    },
  },
  {
    name: 'backlog',
    sections: 'dfl',
    status: ENGINE,
    summary: 'Listen queue asked of the kernel for the frontend\'s binds (capped by net.core.somaxconn). Unset: a bind\'s own `backlog`, else its `maxconn`, else the frontend\'s maxconn, else the global one, as HAProxy takes it.',
    checkIgnored: valueRequired(`'backlog' expects an integer argument.`),
    parse(ctx) {
      const word = ctx.args[0];
      if (word === undefined || word === '') return ctx.error(`'backlog' expects an integer argument.`, undefined);
      if (ctx.args.length > 1) return ctx.error(`'backlog' cannot handle unexpected argument '${ctx.args[1]}'.`, 1);
      // atol(): a word reads as 0, which leaves the default.
      const n = atoi(word);
      ctx.proxy.backlog = n > 0 ? n : undefined;
    },
  },
  {
    name: 'rate-limit sessions',
    sections: 'dfl',
    status: ENGINE,
    summary: 'New sessions per second the frontend takes in; over it, new connections wait unread until the rate allows them (0: no limit).',
    parse(ctx) {
      // proxy.c reads the value (strtoul(…, 0): a sign wraps, as C's unsigned int), then warns about a backend.
      const word = ctx.args[0];
      if (!word) return ctx.error(`'rate-limit sessions' expects expects an integer value (in sessions/second)`, undefined);
      const number = strtol0(word);
      if (number.rest !== '') return ctx.error(`'rate-limit sessions' : unexpected character '${number.rest[0]}' in integer value '${word}'`, 0);
      if (ctx.kind === 'backend') return ctx.warn(`rate-limit sessions will be ignored because backend '${ctx.proxy.name}' has no frontend capability`, undefined, 'LS_WARN_CFG_IGNORED');
      ctx.proxy.rateLimitSessions = ((number.value % 2 ** 32) + 2 ** 32) % 2 ** 32;
    },
  },
  {
    name: 'max-session-srv-conns',
    sections: 'dfl',
    status: ENGINE,
    summary: 'Idle server connections one client connection keeps for its next requests (its private ones, as `http-reuse` makes them; default 5).',
    // cfgparse-listen.c warns about a backend, then reads the number all the same.
    checkIgnored: valueRequired(`'max-session-srv-conns' expects a number. Got no argument`),
    parse(ctx) {
      if (!ctx.args[0]) return ctx.error(`'max-session-srv-conns' expects a number. Got no argument`);
      ctx.proxy.maxSessionSrvConns = Math.max(0, atoiInt(ctx.args[0]));
    },
  },
  {
    name: 'fullconn',
    sections: 'dlb',
    status: ENGINE,
    summary: 'Backend load at which servers with minconn reach their maxconn. Unset: 10% of the maxconn of the frontends that use the backend (their own, else the global one, configured or derived from the open-file limit as HAProxy derives it).',
    checkIgnored: valueRequired(`'fullconn' expects an integer argument.`),
    parse(ctx) {
      if (!ctx.args[0]) return ctx.error(`'fullconn' expects an integer argument.`);
      const v = parseInteger(ctx.args[0], 'fullconn', 0);
      if (v.error !== undefined) return ctx.error(v.error, 0);
      ctx.proxy.fullconn = v.value;
    },
  },
  {
    name: 'acl',
    sections: 'nflb',
    status: ENGINE,
    summary: 'Declares a named condition (fetch, flags, patterns).',
    parse: parseAclDirective,
  },
  {
    name: 'use_backend',
    sections: 'fl',
    status: ENGINE,
    summary: 'Switches to a backend when a condition matches.',
    parse(ctx) {
      const rule = parseUseBackend(ctx);
      if (rule) ctx.proxy.switchingRules.push(rule);
    },
    // A backend's line is parsed all the same; its static target is still resolved (validate.ts).
    checkIgnored(ctx) {
      const rule = parseUseBackend(ctx);
      if (rule && !rule.dynamic) (ctx.proxy.ignoredSwitching ??= []).push({ name: rule.backend, loc: rule.loc, what: 'use_backend' });
    },
  },
  {
    name: 'use-server',
    sections: 'lb',
    status: ENGINE,
    summary: 'Sends a request or connection to one server of the backend when a condition matches, before cookies and balancing.',
    parse(ctx) {
      const rule = parseUseServer(ctx);
      if (rule) ctx.proxy.serverRules.push(rule);
    },
    // A frontend's line is read all the same, and its server looked up there (validate.ts: none is found).
    checkIgnored(ctx) {
      const rule = parseUseServer(ctx);
      if (rule && !rule.dynamic) ctx.proxy.serverRules.push(rule);
    },
  },
  persistRuleKeyword('ignore', 'Requests matching the condition ignore cookie persistence: the cookie names no server (logged U), the balancer picks one, and no persistence cookie is set or rewritten in the response. With force-persist rules, the first rule of either kind that holds decides.'),
  persistRuleKeyword('force', 'Requests (TCP: connections) matching the condition go to the server a use-server rule, a persistence cookie or a stick match names even when it is down or in maintenance (to try a server before its checks pass), and are never redispatched: a failed connection is retried on that server. With ignore-persist rules, the first rule of either kind that holds decides.'),
  {
    name: 'default_backend',
    sections: 'dfl',
    status: ENGINE,
    summary: 'The backend used when no use_backend rule matches.',
    // A backend's line is checked all the same; its target is still resolved (validate.ts).
    checkIgnored(ctx) {
      if (ctx.args.length !== 1) return ctx.error(`'default_backend' expects a backend name.`);
      (ctx.proxy.ignoredSwitching ??= []).push({ name: ctx.args[0]!, loc: ctx.directive.loc, what: 'default_backend' });
    },
    parse(ctx) {
      if (ctx.args.length !== 1) return ctx.error(`'default_backend' expects a backend name.`);
      ctx.proxy.defaultBackend = { name: ctx.args[0]!, loc: ctx.directive.loc };
    },
  },
  {
    name: 'load-server-state-from-file',
    sections: 'dlb',
    status: ENGINE,
    summary: "`global`, `local` or `none` (the default): where this backend's servers take their saved state from when Loadstar starts a configuration — the global `server-state-file`, the backend's `server-state-file-name`, or nowhere. The file is a `show servers state` dump (HAProxy's or Loadstar's); lines are matched by backend and server name, and each applies its admin state (maint, drain: unless the configuration's `disabled` changed), its weight (when the configured weight is unchanged), a checked server's operational state (a stopped one starts DOWN), the time of the last change and the port, a check or agent disabled at run time (`disable health`/`disable agent`: it stays disabled), the check's saved status until its first check, and a host-name server's saved address (init-addr `last`), as HAProxy 2.6 does at start; a line with an invalid field applies nothing, with HAProxy's warning. Not applied: a check's or agent's saved address and port (the configured ones are kept), an FQDN set with `set server fqdn`, SRV records and srv_use_ssl. A reload keeps the running state instead.",
    parse(ctx) {
      const mode = ctx.args[0] ?? '';
      if (mode !== 'global' && mode !== 'local' && mode !== 'none') return ctx.error(`'load-server-state-from-file' expects 'global', 'local' or 'none'. Got '${mode}'`, 0);
      ctx.proxy.loadServerStateFromFile = mode;
    },
  },
  {
    name: 'server-state-file-name',
    sections: 'dlb',
    status: ENGINE,
    summary: 'The file `load-server-state-from-file local` reads (relative to the global `server-state-base`); no argument or `use-backend-name`: the backend\'s name, also the default.',
    parse(ctx) {
      if (ctx.args.length > 1) return ctx.error(`'server-state-file-name' cannot handle unexpected argument '${ctx.args[1]}'.`, 1);
      const name = ctx.args[0];
      ctx.proxy.serverStateFileName = name === undefined || name === '' || name === 'use-backend-name' ? ctx.proxy.name : name;
    },
  },
  {
    name: 'log-tag',
    sections: 'dflb',
    status: ENGINE,
    summary: "The program name this proxy's syslog lines carry (default: the global `log-tag`, else `haproxy`).",
    parse(ctx) {
      const tag = ctx.args[0];
      if (tag === undefined) return ctx.error(`'log-tag' expects a tag for use in syslog.`);
      ctx.proxy.logTag = tag;
    },
  },
  {
    name: 'log',
    sections: 'dflb',
    status: ENGINE,
    summary: 'Sends logs to a target (`global`, `stdout`, address, UNIX socket) with facility and level.',
    parse(ctx) {
      // log.c parse_logsrv(): 'global' alone; with more words it is read as an address.
      if (ctx.args[0] === 'global' && !ctx.args[1]) {
        ctx.proxy.logs.push({ target: 'global', loc: ctx.directive.loc });
        return;
      }
      const log = parseLogTarget(ctx);
      if (log) ctx.proxy.logs.push(log);
    },
  },
  {
    name: 'no log',
    sections: 'dflb',
    status: ENGINE,
    summary: 'Disables logging inherited from defaults.',
    parse(ctx) {
      if (noArgs(ctx)) ctx.proxy.noLog = true;
    },
  },
  {
    name: 'log-format',
    sections: 'dfl',
    status: ENGINE,
    summary: 'Custom access-log line with `%` variables and `%[sample]` expressions.',
    parse(ctx) {
      // cfgparse-listen.c's words.
      if (!ctx.args[0]) return ctx.error(`log-format expects an argument.`);
      if (ctx.args.length > 1) return ctx.error(`log-format expects only one argument, don't forget to escape spaces!`, 1);
      const parsed = parseLogFormat(ctx.args[0]!);
      if ('error' in parsed) return ctx.error(`'log-format' : ${parsed.error}`, 0);
      for (const w of parsed.warnings) ctx.warn(`'log-format' : ${w}`, 0);
      if (!logFormatFilesExist(ctx, parsed.tokens, 0)) return;
      ctx.proxy.logFormat = { text: ctx.args[0]!, tokens: parsed.tokens, loc: ctx.directive.loc };
    },
  },
  {
    name: 'log-format-sd',
    sections: 'dfl',
    status: ENGINE,
    summary: 'Log-format string of the RFC 5424 structured-data part of the access-log lines sent to `format rfc5424` log targets (e.g. `[exampleSDID@32473 iut="3" path=%{+Q}HP]`), rendered as `log-format` is (spaces merged, `-` for an empty field); unset, `-`. Other formats and the proxy\'s state-change lines carry none.',
    parse(ctx) {
      const format = oneFormatArgument(ctx, { mergeSpaces: true });
      if (format) ctx.proxy.logFormatSd = format;
    },
  },
  {
    name: 'error-log-format',
    sections: 'dfl',
    status: ENGINE,
    summary: 'Log-format line of a connection that fails before its first request (TLS handshake, PROXY header, `timeout client`) and of a request the HTTP parser refuses (400, 408); a frontend with it logs those even without `option httplog`.',
    parse(ctx) {
      const format = oneFormatArgument(ctx, { mergeSpaces: true });
      if (format) ctx.proxy.errorLogFormat = format;
    },
  },
  {
    name: 'unique-id-format',
    sections: 'dfl',
    status: ENGINE,
    summary: 'Log-format string of each request\'s unique id: `%ID` in logs, the `unique-id` fetch, `unique-id-header`.',
    checkIgnored: valueRequired('unique-id-format expects an argument.'),
    parse(ctx) {
      const format = oneFormatArgument(ctx, { mergeSpaces: true, checkpoints: ['frontend-http-request'] });
      if (format) ctx.proxy.uniqueIdFormat = format;
    },
  },
  {
    name: 'unique-id-header',
    sections: 'dfl',
    status: ENGINE,
    summary: 'Adds the request\'s unique id (`unique-id-format`) to the request sent to the server, in this header.',
    checkIgnored: valueRequired('unique-id-header expects an argument.'),
    parse(ctx) {
      if (ctx.args.length === 0 || ctx.args[0] === '') return ctx.error(`${ctx.directive.keyword} expects an argument.`);
      ctx.proxy.uniqueIdHeader = ctx.args[0]!;
    },
  },
  {
    name: 'http-send-name-header',
    sections: 'dlb',
    status: ENGINE,
    summary: 'Names the server a request goes to in this request header (replacing any the client sent); after a retry or redispatch, the server actually tried.',
    parse(ctx) {
      if (!ctx.args[0]) return ctx.error(`'http-send-name-header' requires a header string.`);
      // Lower case, as HAProxy stores it and its H1 mux writes it.
      ctx.proxy.sendNameHeader = ctx.args[0].toLowerCase();
    },
  },
  {
    name: 'description',
    sections: 'flb',
    status: SUPPORTED,
    summary: 'Free text shown on the stats page.',
    parse(ctx) {
      if (ctx.args.length === 0) return ctx.error(`'description' expects a string argument.`);
      ctx.proxy.description = ctx.args.join(' ');
    },
  },
  {
    name: 'disabled',
    sections: 'dflb',
    status: ENGINE,
    summary: 'Does not start this proxy.',
    parse(ctx) {
      if (noArgs(ctx)) ctx.proxy.disabled = true;
    },
  },
  {
    name: 'enabled',
    sections: 'dflb',
    status: ENGINE,
    summary: 'Starts this proxy (the default).',
    parse(ctx) {
      if (noArgs(ctx)) ctx.proxy.disabled = false;
    },
  },
  {
    name: 'id',
    sections: 'flb',
    status: SUPPORTED,
    summary: 'Numeric proxy id (iid in stats).',
    parse(ctx) {
      const v = parseInteger(ctx.args[0] ?? '', 'id', 1);
      if (v.error !== undefined) return ctx.error(v.error, 0);
      ctx.proxy.id = v.value;
    },
  },
  {
    name: 'monitor-uri',
    sections: 'dfl',
    status: ENGINE,
    summary: 'Requests for this URI (path and query, or the whole URI) are answered by Loadstar before any http-request rule: 200 "Service ready", or 503 while a `monitor fail` condition holds; they are not logged (for external monitors).',
    checkIgnored: valueRequired(`'monitor-uri' expects an URI.`),
    parse(ctx) {
      if (ctx.args.length === 0) return ctx.error(`'monitor-uri' expects an URI.`);
      if (ctx.args.length > 1) return ctx.error(`'monitor-uri' cannot handle unexpected argument '${ctx.args[1]}'.`, 1);
      ctx.proxy.monitorUri = ctx.args[0];
    },
  },
  {
    name: 'monitor fail',
    sections: 'fl',
    status: ENGINE,
    summary: '`monitor fail if|unless <condition>`: the monitor-uri answers 503 while the condition holds (e.g. `if { nbsrv(app) lt 1 }`).',
    checkIgnored(ctx) {
      if (ctx.args[0] !== 'if' && ctx.args[0] !== 'unless') ctx.error(`'monitor fail' requires either 'if' or 'unless' followed by a condition.`);
    },
    parse(ctx) {
      if (ctx.args[0] !== 'if' && ctx.args[0] !== 'unless') return ctx.error(`'monitor fail' requires either 'if' or 'unless' followed by a condition.`);
      const split = splitCondition(ctx, 0, `a 'monitor fail'`, { head: "error detected while parsing a 'monitor fail' condition :", tail: '.' });
      if (split.ok) ctx.proxy.monitorFail.push({ condition: split.condition, loc: ctx.directive.loc });
    },
  },
  {
    name: 'compression',
    sections: 'dflb',
    status: COMPRESSION,
    summary: '`compression algo gzip deflate`, `compression type text/html …`, `compression offload`: responses compressed as HAProxy 2.6 does (zlib, level `tune.comp.maxlevel`, default 1).',
    parse(ctx) {
      const [sub, ...rest] = ctx.args;
      const c = ctx.proxy.compression;
      // Several lines add up, after what a defaults section gave (HAProxy chains them: provision.ts).
      if (sub === 'algo' || sub === 'algo-res') {
        if (rest.length === 0) return ctx.error(`'compression ${sub}' expects <algorithm>.`);
        for (const algo of rest) {
          if (!COMPRESSION_ALGOS.has(algo)) return ctx.error(`'compression' : '${algo}' is not a supported algorithm.`, ctx.args.indexOf(algo));
        }
        c.algorithms.push(...rest);
      } else if (sub === 'type' || sub === 'type-res') {
        if (rest.length === 0) return ctx.error(`'compression' expects <type>.`);
        c.types.push(...rest);
      } else if (sub === 'offload') {
        // HAProxy warns and does not pass it on to the proxies.
        if (ctx.proxy.kind === 'defaults') return ctx.warn(`'compression' : 'offload' ignored in 'defaults' section.`, 0, 'LS_WARN_CFG_IGNORED');
        c.offload = true;
      } else {
        ctx.error(`'compression' expects 'algo', 'type' or 'offload'`, 0);
      }
    },
  },
  {
    name: 'filter',
    sections: 'flb',
    status: COMPRESSION,
    summary: '`filter compression` (where the compression filter runs; implied by `compression` when no other filter is declared) and `filter cache <name>` (the cache\'s filter, implied by cache-use / cache-store; declared, it must come before `filter compression`). `filter trace` is accepted and does nothing (HAProxy\'s debugging filter). Other filters are not supported.',
    parse(ctx) {
      const [name] = ctx.args;
      if (name === 'compression') {
        if (ctx.args[1] !== undefined) return ctx.error(`'filter compression' : unknown keyword '${ctx.args[1]}'.`, 1);
        if (ctx.proxy.compression.filter) return ctx.error(`'filter' : '${ctx.proxy.name}: Proxy supports only one compression filter'`, 0);
        ctx.proxy.compression.filter = true;
        return;
      }
      if (name === 'cache') return parseCacheFilter(ctx);
      if (name === 'trace') return parseTraceFilter(ctx);
      if (name !== undefined && OTHER_FILTERS.has(name)) return ctx.error(`'filter ${name}' is not supported by Loadstar (only 'filter compression' and 'filter cache' are).`, 0, 'LS_ERR_CFG_UNSUPPORTED');
      ctx.error(`'filter' : unknown keyword '${name ?? ''}'. Registered keywords : cache, compression, fcgi-app, opentracing, spoe, trace`, 0);
    },
  },
];

const COMPRESSION_ALGOS = new Set(['identity', 'gzip', 'deflate', 'raw-deflate']);
/** HAProxy 2.6's other filters (`filter` keywords): Loadstar runs none of them. */
const OTHER_FILTERS = new Set(['fcgi-app', 'opentracing', 'spoe']);

/**
 * `filter trace [name <name>] [quiet] [random-forwarding] [hexdump]` (flt_trace.c): HAProxy's filter for
 * debugging its filter API. It traces callbacks and, with random-forwarding, cuts what it forwards into
 * random pieces, which changes no exchange: accepted, and nothing is run.
 */
function parseTraceFilter(ctx: ProxyDirectiveContext): void {
  for (let i = 1; i < ctx.args.length; i++) {
    const w = ctx.args[i]!;
    if (w === 'name') {
      if (ctx.args[i + 1] === undefined) return ctx.error(`'filter trace' : 'name' option without value.`, i);
      i++;
    } else if (w !== 'quiet' && w !== 'random-forwarding' && w !== 'hexdump' && w !== 'random-parsing') {
      return ctx.error(`'filter trace' : unknown keyword '${w}'.`, i);
    }
  }
  ctx.proxy.compression.otherFilter = true;
  ctx.warn(`'filter trace' has no effect in Loadstar and is ignored (it traces HAProxy's filter callbacks).`, undefined, 'LS_WARN_CFG_IGNORED');
}

const captureKeywords: ProxyKeyword[] = (['request header', 'response header'] as const).map((kind): ProxyKeyword => ({
  name: `capture ${kind}`,
  sections: 'fl',
  status: ENGINE,
  summary: `Captures a ${kind.split(' ')[0]} header into the logs (\`len N\` characters).`,
  // In a backend HAProxy warns that it is ignored, then still checks its words.
  checkIgnored(ctx) {
    const [name, lenWord, len] = ctx.args;
    if (name === undefined || lenWord !== 'len' || len === undefined) ctx.error(`'capture ${kind.split(' ')[0]}' expects 'header' <header_name> 'len' <len>.`);
  },
  parse(ctx) {
    const [name, lenWord, len] = ctx.args;
    if (name === undefined || lenWord !== 'len' || len === undefined) {
      return ctx.error(`'capture ${kind.split(' ')[0]}' expects 'header' <header_name> 'len' <len>.`);
    }
    const v = parseInteger(len, `capture ${kind} len`, 1, 65535);
    if (v.error !== undefined) return ctx.error(v.error, 2);
    ctx.proxy.captures.push({ kind, name, len: v.value, loc: ctx.directive.loc });
  },
}));
captureKeywords.push({
  name: 'capture cookie',
  sections: 'fl',
  status: ENGINE,
  summary: 'Captures a cookie into the logs.',
  checkIgnored(ctx) {
    const [name, lenWord, len] = ctx.args;
    if (name === undefined || lenWord !== 'len' || len === undefined) ctx.error(`'capture' expects 'cookie' <cookie_name> 'len' <len>.`);
  },
  parse(ctx) {
    const [name, lenWord, len] = ctx.args;
    if (name === undefined || lenWord !== 'len' || len === undefined) return ctx.error(`'capture' expects 'cookie' <cookie_name> 'len' <len>.`);
    const v = parseInteger(len, 'capture cookie len', 1, 65535);
    if (v.error !== undefined) return ctx.error(v.error, 2);
    ctx.proxy.captures.push({ kind: 'cookie', name, len: v.value, loc: ctx.directive.loc });
  },
});

export const LOG_FACILITIES = new Set([
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'auth2', 'ftp', 'ntp', 'audit',
  'alert', 'cron2', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
]);
export const LOG_LEVELS = new Set(['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug']);
/** The line formats of `log … format <name>` (HAProxy 2.6). */
export const LOG_FORMATS = new Set(['rfc3164', 'rfc5424', 'short', 'raw', 'iso', 'timed', 'priority', 'local']);

/** `log <target> [len N] [format F] [sample R:S] <facility> [level [minlevel]]` */
export function parseLogTarget(ctx: { args: readonly string[]; directive: { loc: import('./model.ts').SourceLocation }; error(m: string, i?: number): void }) {
  const [target, ...rest] = ctx.args;
  if (!target) {
    ctx.error(`log : expects <address> and <facility> ${(ctx as { proxy?: unknown }).proxy ? 'or global' : ''} as arguments`);
    return undefined;
  }
  let format: string | undefined;
  let len: number | undefined;
  const words = [...rest];
  while (words[0] === 'len' || words[0] === 'format' || words[0] === 'sample') {
    const opt = words.shift()!;
    const value = words.shift();
    if (value === undefined) {
      ctx.error(`'log' : '${opt}' expects a value`);
      return undefined;
    }
    if (opt === 'format') {
      if (!LOG_FORMATS.has(value)) {
        ctx.error(`log : unknown log format '${value}'`, ctx.args.indexOf(value));
        return undefined;
      }
      format = value;
    }
    if (opt === 'len') {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < 80 || n > 65535) {
        ctx.error(`log : invalid log length '${value}', must be between 80 and 65535`, ctx.args.indexOf(value));
        return undefined;
      }
      len = n;
    }
  }
  const [facility, level, minLevel, extra] = words;
  if (facility === undefined) {
    // log.c parse_logsrv(): a proxy's 'log' may also be 'global' (a blank where the global section's says nothing).
    ctx.error(`log : expects <address> and <facility> ${(ctx as { proxy?: unknown }).proxy ? 'or global' : ''} as arguments`);
    return undefined;
  }
  // log.c parse_logsrv()'s messages; the words are read in this order, and one after the minimum level is refused.
  const at = ctx.args.length - words.length;
  if (!LOG_FACILITIES.has(facility)) {
    ctx.error(`log : unknown log facility '${facility}'`, at);
    return undefined;
  }
  if (level && !LOG_LEVELS.has(level)) {
    ctx.error(`log : unknown optional log level '${level}'`, at + 1);
    return undefined;
  }
  if (minLevel && !LOG_LEVELS.has(minLevel)) {
    ctx.error(`log : unknown optional minimum log level '${minLevel}'`, at + 2);
    return undefined;
  }
  if (extra) {
    ctx.error(`log : cannot handle unexpected argument '${extra}'`, at + 3);
    return undefined;
  }
  return { target, facility, level, minLevel, format, len, loc: ctx.directive.loc };
}

registerProxyKeywords([...timeoutKeywords, ...optionKeywords, ...generalKeywords, ...captureKeywords]);
