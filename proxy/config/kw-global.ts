/** Keywords of the `global` section (configuration.txt §3). */
import { registerGlobalKeywords } from './keywords.ts';
import type { DirectiveContext, KeywordSpec } from './keywords.ts';
import { atoi, atoiInt, parseAddress, parseInteger, parseTime, timeStopChar } from './values.ts';
import { parseLogTarget } from './kw-proxy.ts';
import { BIND_OPTION_NAMES, TLS_VERSIONS, missingValueProblem, statsSocketBindOption } from './kw-bind.ts';
import { suggest } from './suggest.ts';
import { ENGINE, NO_EFFECT, STATS, TLS, CHECKS, SUPPORTED } from './status.ts';
import type { GlobalSettings, StatsSocket } from './model.ts';

/**
 * Process-level keywords that cannot change traffic in Loadstar (one Node.js
 * process, sockets managed by libuv): accepted with a warning, as DESIGN.md §3 asks.
 */
export const GLOBAL_NO_EFFECT = new Set([
  'daemon', 'master-worker', 'user', 'group', 'uid', 'gid', 'chroot', 'pidfile', 'cpu-map', 'ulimit-n',
  'quiet', 'zero-warning', 'busy-polling', 'noepoll', 'noevports',
  'nokqueue', 'nopoll', 'noreuseport', 'nosplice', 'nogetaddrinfo', 'maxpipes', 'numa-cpu-mapping', 'set-dumpable',
  'insecure-setuid-wanted', 'fd-hard-limit', 'strict-limits', 'no-memory-trimming',
  'mworker-max-reloads', 'profiling.tasks', 'grace', 'unix-bind',
  'ssl-mode-async', 'ssl-dh-param-file', 'ssl-skip-self-issued-ca', 'ssl-default-bind-curves', 'stats maxconn', 'stats bind-process',
  'close-spread-time', 'thread-groups', 'thread-group',
]);

/** What cfgparse-global.c says when one of them lacks its word. */
const NO_EFFECT_NEEDS: Readonly<Record<string, string>> = {
  pidfile: 'expects a file name as an argument.',
  chroot: 'expects a directory as an argument.',
  uid: 'expects an integer argument.',
  gid: 'expects an integer argument.',
  'ulimit-n': 'expects an integer argument.',
  maxpipes: 'expects an integer argument.',
  'fd-hard-limit': 'expects an integer argument.',
};

/**
 * Global durations (`close-spread-time`, `max-spread-checks`), with cfgparse-global.c's and proxy.c's
 * words for a value they refuse (a missing one, then an overflow, then a character parse_time_err() stops at).
 */
const DURATION_RULES: Readonly<Record<string, { missing: string; overflow: (word: string) => string; bad: (c: string) => string }>> = {
  grace: {
    missing: `'grace' expects <time> as argument.`,
    overflow: (w) => `timer overflow in argument '${w}' to 'grace' (maximum value is 2147483647 ms or ~24.8 days)`,
    bad: (c) => `unexpected character '${c}' in argument to <grace>.`,
  },
  'close-spread-time': {
    missing: `'close-spread-time' expects <time> as argument.`,
    overflow: (w) => `timer overflow in argument '${w}' to 'close-spread-time' (maximum value is 2147483647 ms or ~24.8 days)`,
    bad: (c) => `unexpected character '${c}' in argument to <close-spread-time>.`,
  },
  'max-spread-checks': {
    missing: `'max-spread-checks' expects an integer argument (0..50).`,
    overflow: (w) => `timer overflow in argument <${w}> to <max-spread-checks>, maximum value is 2147483647 ms (~24.8 days).`,
    bad: (c) => `unsupported character '${c}' in 'max-spread-checks' (wants an integer delay).`,
  },
};

/** A duration keyword's value as HAProxy reads it; false after reporting what it refuses. */
function durationChecked(ctx: DirectiveContext, rules: { missing: string; overflow: (word: string) => string; bad: (c: string) => string }, unitMs = 1): boolean {
  const word = ctx.args[0];
  if (!word) return void ctx.error(rules.missing), false;
  const t = parseTime(word, ctx.directive.keyword, unitMs);
  if (t.error === undefined) {
    if (t.warning) ctx.warn(t.warning, 0, 'LS_WARN_CFG_SUSPICIOUS');
    return true;
  }
  ctx.error(t.error.startsWith('timer overflow') ? rules.overflow(word) : rules.bad(timeStopChar(word)), 0);
  return false;
}

/**
 * `thread-groups <n>` and `thread-group <id> [<threads>]` (thread.c): a number it can parse, and
 * one group only in Debian's build (MAX_TGROUPS 1).
 */
function threadGroupsChecked(ctx: DirectiveContext, name: string): boolean {
  const word = ctx.args[0] ?? '';
  if (!/^\d+$/.test(word)) return void ctx.error(`'${name}' passed a missing or unparsable integer value in '${word}'`, 0), false;
  if (Number(word) !== 1) return void ctx.error(`'${name}' ${name === 'thread-groups' ? 'value' : 'thread-group number'} must be between 1 and 1 (was ${word})`, 0), false;
  return true;
}

function noEffect(name: string): KeywordSpec {
  return {
    name,
    sections: 'g',
    status: NO_EFFECT,
    summary: 'Process management or kernel tuning; no effect on traffic in Loadstar.',
    parse(ctx) {
      const needs = NO_EFFECT_NEEDS[name];
      if (needs && !ctx.args[0]) return ctx.error(`'${name}' ${needs}`);
      const duration = DURATION_RULES[name];
      if (duration && !(name === 'close-spread-time' && ctx.args[0] === 'infinite') && !durationChecked(ctx, duration)) return;
      if (name.startsWith('thread-group') && !threadGroupsChecked(ctx, name)) return;
      ctx.warn(`'${name}' has no effect in Loadstar and is ignored.`, undefined, 'LS_WARN_CFG_IGNORED');
    },
  };
}

/** A global keyword without arguments that switches something on (HAProxy refuses any argument). */
function globalFlag(name: string, summary: string, set: (global: GlobalSettings) => void): KeywordSpec {
  return {
    name,
    sections: 'g',
    status: SUPPORTED,
    summary,
    parse(ctx) {
      if (ctx.args.length > 0) return ctx.error(`'${name}' cannot handle unexpected argument '${ctx.args[0]}'.`, 0);
      set(ctx.config.global);
    },
  };
}

function integer(ctx: DirectiveContext, name: string, min: number, max?: number): number | undefined {
  const v = parseInteger(ctx.args[0] ?? '', name, min, max);
  if (v.error !== undefined) {
    ctx.error(v.error, 0);
    return undefined;
  }
  return v.value;
}

/**
 * A global per-second limit. HAProxy reads the number with atol(): a word that is not one reads as
 * 0 (no limit) and a negative one as no limit too; both are accepted, with a warning here.
 */
function rateLimit(name: string, field: 'maxConnRate' | 'maxSessRate' | 'maxSslRate', summary: string): KeywordSpec {
  return {
    name,
    sections: 'g',
    status: ENGINE,
    summary,
    parse(ctx) {
      const word = ctx.args[0];
      if (word === undefined) return ctx.error(`'${name}' expects an integer argument.`, undefined);
      if (ctx.args.length > 1) return ctx.error(`'${name}' cannot handle unexpected argument '${ctx.args[1]}'.`, 1);
      const value = atoi(word);
      if (!/^\d+$/.test(word)) ctx.warn(`'${name}' expects a non-negative integer, got '${word}': HAProxy reads it as ${value > 0 ? value : 'no limit'}, and so does Loadstar.`, 0);
      ctx.config.global[field] = value > 0 ? value : undefined;
    },
  };
}

const SSL_OPTION_FLAGS = new Set([
  'no-sslv3', 'no-tlsv10', 'no-tlsv11', 'no-tlsv12', 'no-tlsv13', 'no-tls-tickets', 'prefer-client-ciphers',
  'force-sslv3', 'force-tlsv10', 'force-tlsv11', 'force-tlsv12', 'force-tlsv13',
]);

function sslOptions(name: string, into: (ctx: DirectiveContext) => string[]): KeywordSpec {
  return {
    name,
    sections: 'g',
    status: TLS,
    summary: 'Default TLS options: no-tlsv1x, ssl-min-ver, ssl-max-ver, no-tls-tickets, prefer-client-ciphers.',
    parse(ctx) {
      const options = into(ctx);
      for (let i = 0; i < ctx.args.length; i++) {
        const w = ctx.args[i]!;
        if (w === 'ssl-min-ver' || w === 'ssl-max-ver') {
          const v = ctx.args[i + 1];
          if (v === undefined || !TLS_VERSIONS.includes(v as never)) {
            return ctx.error(`'${v ?? ''}' : unknown ssl/tls version on global statement '${name}'.`, i + 1);
          }
          options.push(w, v);
          i++;
        } else if (SSL_OPTION_FLAGS.has(w)) options.push(w);
        else return ctx.error(`unknown option '${w}' on global statement '${name}'.`, i);
      }
    },
  };
}

/** `ca-base` / `crt-base`: one word (cfgparse-ssl.c ssl_parse_global_ca_crt_base). */
function baseDirectory(ctx: DirectiveContext): string | undefined {
  const dir = ctx.args[0];
  if (!dir) return void ctx.error(`global statement '${ctx.directive.keyword}' expects a directory path as an argument.`);
  return dir;
}

/** `ssl-default-{bind,server}-ciphers(uites)`: one word (cfgparse-ssl.c). */
function cipherList(ctx: DirectiveContext, set: (list: string) => void): void {
  const list = ctx.args[0];
  if (!list) return ctx.error(`global statement '${ctx.directive.keyword}' expects a cipher suite as an argument.`);
  set(list);
}

/** The words only a `stats socket` (or another UNIX socket) gives meaning to, besides the bind options. */
const STATS_SOCKET_WORDS = ['level', 'mode', 'expose-fd', 'severity-output', 'user', 'group', 'uid', 'gid'];

/**
 * `stats socket <address> [options]`: cli.c reads the options with the bind keywords, so any bind
 * option is checked as on a `bind` (its messages quoted after `'stats socket' :`); the CLI's own
 * (level, expose-fd, severity-output) and the UNIX socket's (mode, user, group, uid, gid) come first.
 */
function statsSocket(ctx: DirectiveContext): void {
  const [address, ...rest] = ctx.args;
  if (address === undefined || address === '') return ctx.error(`'stats socket' in global section expects an address or a path to a UNIX socket`);
  const a = parseAddress(address, { kind: 'bind', keyword: 'stats socket' });
  if (a.error !== undefined) return ctx.error(a.error, 0);
  // HAProxy's default access level is operator (management.txt, `level`).
  const socket: StatsSocket = { address: a.value, level: 'operator', loc: ctx.directive.loc };
  const problem = (text: string, argIndex: number) => ctx.error(`'stats socket' : '${text}'`, argIndex);
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    const v = rest[i + 1];
    const argIndex = i + 1;
    if (STATS_SOCKET_WORDS.includes(w)) {
      const missing = statsSocketWordProblem(w, v);
      if (missing !== undefined) return problem(missing, v === undefined || v === '' ? argIndex : argIndex + 1);
      i++;
      if (w === 'level') socket.level = v as StatsSocket['level'];
      else if (w === 'mode') socket.mode = parseInt(v!, 8) & 0o7777;
      else if (w === 'expose-fd') socket.expose_fd = true;
      else if (w === 'uid') socket.uid = atoi(v!);
      else if (w === 'gid') socket.gid = atoi(v!);
      else if (w === 'user' || w === 'group') {
        const id = accountId(ctx.options.readFile(w === 'user' ? '/etc/passwd' : '/etc/group'), v!);
        if (id === undefined) return problem(`'${w}' : unknown ${w} name '${v}'`, argIndex + 1);
        if (w === 'user') socket.uid = id;
        else socket.gid = id;
      } else socket.severityOutput = v as StatsSocket['severityOutput'];
      continue;
    }
    const takesValue = BIND_OPTION_NAMES[w];
    if (takesValue === undefined) {
      const hint = suggest(w, [...Object.keys(BIND_OPTION_NAMES), ...STATS_SOCKET_WORDS]);
      return ctx.error(`'stats socket' : unknown keyword '${w}'.${hint ? ` Did you mean '${hint}' maybe ?` : ''}`, argIndex);
    }
    const value = takesValue ? v : undefined;
    const missing = missingValueProblem(w, value);
    if (missing !== undefined) return problem(missing, argIndex);
    if (takesValue) i++;
    const outcome = statsSocketBindOption(ctx, w, value, (text, offset, code) => ctx.error(`'stats socket' : '${text}'`, argIndex + offset, code));
    if (outcome === false) return;
    if (outcome === 'unsupported') return ctx.error(`'stats socket' : '${w}' is not supported by Loadstar yet (the runtime API speaks plain text on its socket).`, argIndex, 'LS_ERR_CFG_UNSUPPORTED');
    ctx.warn(`'stats socket' : '${w}' has no effect on the runtime API in Loadstar and is ignored.`, argIndex, 'LS_WARN_CFG_IGNORED');
  }
  ctx.config.global.statsSockets.push(socket);
}

/** HAProxy's words (cli.c, cfgparse-unix.c) for a value of a stats socket's own option it refuses, or undefined. */
function statsSocketWordProblem(option: string, value: string | undefined): string | undefined {
  const v = value ?? '';
  switch (option) {
    case 'level':
      if (v === '') return `'level' : missing level`;
      return ['user', 'operator', 'admin'].includes(v) ? undefined : `'level' only supports 'user', 'operator', and 'admin' (got '${v}')`;
    case 'expose-fd':
      if (v === '') return `'expose-fd' : missing fd type`;
      return v === 'listeners' ? undefined : `'expose-fd' only supports 'listeners' (got '${v}')`;
    case 'severity-output':
      if (v === '') return `'severity-output' : missing severity format`;
      return ['none', 'number', 'string'].includes(v) ? undefined : `'severity-output' only supports 'none', 'number', and 'string' (got '${v}')`;
    case 'mode':
      // strtol(…, 8) must take the whole word.
      return /^[0-7]+$/.test(v) ? undefined : `'mode' : missing or invalid mode '${v}' (octal integer expected)`;
    case 'user':
    case 'group':
      return v === '' ? `'${option}' : missing ${option} name` : undefined;
    default: // uid, gid: atol()
      return v === '' ? `'${option}' : missing value` : undefined;
  }
}

/**
 * A user's or group's id by name in /etc/passwd or /etc/group (the text given), as getpwnam(3) and
 * getgrnam(3) find it in the files database; Node has no binding for other NSS sources.
 */
export function accountId(database: string | undefined, name: string): number | undefined {
  for (const line of (database ?? '').split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name && fields.length >= 3 && /^\d+$/.test(fields[2]!)) return Number(fields[2]);
  }
  return undefined;
}

const keywords: KeywordSpec[] = [
  ...[...GLOBAL_NO_EFFECT].filter((k) => k !== 'daemon' && k !== 'master-worker').map(noEffect),
  {
    name: 'master-worker',
    sections: 'g',
    status: SUPPORTED,
    summary: 'Allows `program` sections: their commands run beside the engine, get SIGUSR1 on a reload (a new instance starts unless `no option start-on-reload`) and SIGTERM on stop. A program that exits with an error stops the engine, as HAProxy\'s master stops everything (exit-on-failure), unless `no-exit-on-failure`. Loadstar itself always runs as one process.',
    parse(ctx) {
      const option = ctx.args[0];
      if (option && option !== 'no-exit-on-failure') return ctx.error(`'master-worker' only supports 'no-exit-on-failure' option.`, 0);
      ctx.config.global.masterWorker = { exitOnFailure: option !== 'no-exit-on-failure' };
    },
  },
  {
    name: 'daemon',
    sections: 'g',
    status: NO_EFFECT,
    summary: 'Loadstar runs in the foreground under its supervisor (tray app or systemd).',
    parse(ctx) {
      ctx.config.global.daemon = true;
      ctx.warn(`'daemon' has no effect in Loadstar and is ignored.`, undefined, 'LS_WARN_CFG_IGNORED');
    },
  },
  globalFlag('h1-accept-payload-with-any-method', 'HTTP/1.0 GET, HEAD and DELETE requests with a body (a Content-Length above 0, or chunked) are let through; without it they are answered 413, as HAProxy 2.6 does: an HTTP/1.0 server may not look for a body there, which would let one request smuggle another.',
    (global) => { global.h1AcceptPayloadWithAnyMethod = true; }),
  {
    // HAProxy's cap on the memory of its zlib compression contexts (MB; read with atol).
    name: 'maxzlibmem',
    sections: 'g',
    status: NO_EFFECT,
    summary: 'HAProxy\'s cap on the memory of its compression contexts; Loadstar compresses with Node\'s zlib, which has no such pool.',
    parse(ctx) {
      if (ctx.args.length > 1) return ctx.error(`'maxzlibmem' cannot handle unexpected argument '${ctx.args[1]}'.`, 1);
      if (!ctx.args[0]) return ctx.error(`'maxzlibmem' expects an integer argument.`);
      ctx.warn(`'maxzlibmem' has no effect in Loadstar and is ignored (compression uses Node's zlib, without a memory pool).`, undefined, 'LS_WARN_CFG_IGNORED');
    },
  },
  globalFlag('pp2-never-send-local', 'Health checks that send a PROXY protocol v2 header (`check-send-proxy`, or a `send-proxy-v2` server checked on its own address) send a PROXY command with the check connection\'s own addresses instead of a LOCAL command, as HAProxy 2.6 does with it.',
    (global) => { global.pp2NeverSendLocal = true; }),
  {
    name: 'nbthread',
    sections: 'g',
    status: NO_EFFECT,
    summary: 'Loadstar serves traffic from one event loop; the value is checked and recorded.',
    parse(ctx) {
      const word = ctx.args[0] ?? '';
      if (!/^-?\d+$/.test(word)) return ctx.error(`'nbthread' passed a missing or unparsable integer value in '${word}'`, 0);
      const n = Number(word);
      if (!(n >= 1 && n <= 64)) return ctx.error(`'nbthread' value must be between 1 and 64 (was ${word})`, 0);
      ctx.config.global.nbthread = n;
    },
  },
  {
    name: 'nbproc',
    sections: 'g',
    status: NO_EFFECT,
    summary: 'Removed in HAProxy 2.5; rejected as HAProxy does.',
    parse(ctx) {
      ctx.error(`nbproc is not supported any more since HAProxy 2.5. Threads will automatically be used on multi-processor machines if available.`);
    },
  },
  { name: 'maxconn', sections: 'g', status: ENGINE, summary: 'Process-wide connection limit. Without it, the limit HAProxy derives from the open-file limit: (descriptors − those the listeners, checks and stats sockets reserve − 3 per thread) / 2, at least 100 (`show info` Maxconn); a frontend without maxconn has the global one.', parse(ctx) {
    // 0 is what HAProxy starts from: the limit is derived, as without the line.
    const v = integer(ctx, 'maxconn', 0);
    if (v) ctx.config.global.maxconn = v;
    else if (v === 0) delete ctx.config.global.maxconn;
  } },
  rateLimit('maxconnrate', 'maxConnRate', 'New connections per second, process-wide; over it, listeners take nothing in until the rate allows one more (0: no limit).'),
  rateLimit('maxsessrate', 'maxSessRate', 'New sessions (connections the `tcp-request connection` rules let in) per second, process-wide; over it, listeners wait as for maxconnrate.'),
  {
    name: 'maxsslconn',
    sections: 'g',
    status: ENGINE,
    summary: 'TLS connections open at once, process-wide, counting both sides (a connection deciphered then ciphered again counts twice); at the limit a new TLS client connection is closed without a handshake, a request needing a new TLS server connection gets a 500, a TCP-mode session needing one ends IC (neither retried), and a TLS health check (which holds a slot while its connection is open) fails "Layer7 timeout", "Too many SSL connections", as in HAProxy (0: no limit).',
    parse(ctx) {
      // HAProxy's ssl_parse_global_int: atoi(), so a word that is not a number reads as 0 (no limit).
      const word = ctx.args[0];
      if (word === undefined || word === '') return ctx.error(`'maxsslconn' expects an integer argument.`, undefined);
      if (ctx.args.length > 1) return ctx.error(`'maxsslconn' cannot handle unexpected argument '${ctx.args[1]}'.`, 1);
      const value = atoiInt(word);
      if (value < 0) return ctx.error(`'maxsslconn' expects a positive numeric value.`, 0);
      if (!/^\d+$/.test(word)) ctx.warn(`'maxsslconn' expects a non-negative integer, got '${word}': HAProxy reads it as ${value > 0 ? value : 'no limit'}, and so does Loadstar.`, 0);
      ctx.config.global.maxSslConn = Math.min(value, 2 ** 31 - 1);
    },
  },
  rateLimit('maxsslrate', 'maxSslRate', 'New TLS sessions per second, process-wide; over it, TLS listeners wait as for maxconnrate.'),
  { name: 'log', sections: 'g', status: ENGINE, summary: 'Global log targets (used by `log global` in proxies): UDP syslog servers (`host[:port]`, `udp@`, `ipv4@`, `ipv6@`) get each line in the chosen format; `stdout` gets every line anyway; UNIX datagram sockets (`/dev/log`, `unix@path`) get rfc3164 (local) lines through util-linux `logger` (other formats: a warning, and stdout only).', parse(ctx) { const t = parseLogTarget(ctx); if (t) ctx.config.global.logs.push(t); } },
  {
    name: 'log-tag',
    sections: 'g',
    status: ENGINE,
    summary: 'The program name syslog lines carry (default `haproxy`, which syslog filters written for HAProxy expect).',
    parse(ctx) {
      const tag = ctx.args[0];
      if (tag === undefined) return ctx.error(`'log-tag' expects a tag for use in syslog.`);
      if (ctx.args.length > 1) return ctx.error(`'log-tag' cannot handle unexpected argument '${ctx.args[1]}'.`, 1);
      ctx.config.global.logTag = tag;
    },
  },
  {
    name: 'log-send-hostname',
    sections: 'g',
    status: ENGINE,
    summary: 'Syslog lines carry a host name: the one given, else the system\'s.',
    parse(ctx) {
      ctx.config.global.logSendHostname = ctx.args[0] ?? true;
    },
  },
  { name: 'stats socket', sections: 'g', status: STATS, summary: 'Runtime API on a UNIX socket or loopback TCP port (mode, level).', parse: statsSocket },
  {
    name: 'stats timeout',
    sections: 'g',
    status: STATS,
    summary: 'Idle timeout of runtime API connections.',
    parse(ctx) {
      // cli.c: overflow, then the character parse_time_err() stops at, then a zero.
      const word = ctx.args[0] ?? '';
      const t = parseTime(word, 'stats timeout');
      if (t.error !== undefined) return ctx.error(t.error.startsWith('timer overflow') || word === '' ? t.error : `'stats timeout' : unexpected character '${timeStopChar(word)}'`, 0);
      if (t.warning) ctx.warn(t.warning, 0, 'LS_WARN_CFG_SUSPICIOUS');
      if (t.value === 0) return ctx.error(`'stats timeout' expects a positive value`, 0);
      ctx.config.global.statsTimeout = t.value;
    },
  },
  { name: 'ssl-default-bind-ciphers', sections: 'g', status: TLS, summary: 'Default TLS ≤1.2 cipher list for binds.', parse: (ctx) => cipherList(ctx, (list) => { ctx.config.global.sslDefaultBind.ciphers = list; }) },
  { name: 'ssl-default-bind-ciphersuites', sections: 'g', status: TLS, summary: 'Default TLS 1.3 cipher suites for binds.', parse: (ctx) => cipherList(ctx, (list) => { ctx.config.global.sslDefaultBind.ciphersuites = list; }) },
  sslOptions('ssl-default-bind-options', (ctx) => ctx.config.global.sslDefaultBind.options),
  { name: 'ssl-default-server-ciphers', sections: 'g', status: TLS, summary: 'Default TLS ≤1.2 cipher list towards servers.', parse: (ctx) => cipherList(ctx, (list) => { ctx.config.global.sslDefaultServer.ciphers = list; }) },
  { name: 'ssl-default-server-ciphersuites', sections: 'g', status: TLS, summary: 'Default TLS 1.3 cipher suites towards servers.', parse: (ctx) => cipherList(ctx, (list) => { ctx.config.global.sslDefaultServer.ciphersuites = list; }) },
  sslOptions('ssl-default-server-options', (ctx) => ctx.config.global.sslDefaultServer.options),
  {
    name: 'ssl-server-verify',
    sections: 'g',
    status: TLS,
    summary: '`none` or `required`: default verification of server certificates.',
    parse(ctx) {
      if (ctx.args[0] !== 'none' && ctx.args[0] !== 'required') return ctx.error(`'ssl-server-verify' supports 'none' and 'required' only.`, 0);
      ctx.config.global.tune['ssl-server-verify'] = ctx.args[0];
    },
  },
  serverStatePath('server-state-base', 'serverStateBase', 'a directory path', "The directory relative `server-state-file` and `server-state-file-name` names resolve against."),
  serverStatePath('server-state-file', 'serverStateFile', 'a file path', "The file backends with `load-server-state-from-file global` read their servers' state from when Loadstar starts a configuration: a `show servers state` dump (admin state, weight, operational state, port), applied as HAProxy 2.6 applies it at start (a reload keeps the running state instead)."),
  { name: 'crt-base', sections: 'g', status: TLS, summary: 'Directory relative certificate paths resolve against.', parse(ctx) { const dir = baseDirectory(ctx); if (dir) ctx.config.global.crtBase = dir; } },
  {
    name: 'ssl-load-extra-files',
    sections: 'g',
    status: TLS,
    summary: 'Which companion files of a certificate are looked for: `all` (default), `none`, or a list of bundle, sctl, ocsp, issuer, key. Loadstar reads `key` (FILE.key when FILE holds no private key) `bundle` (a `crt` naming no file loads FILE.dsa, FILE.ecdsa and FILE.rsa, each a certificate of its own), `ocsp` (FILE.ocsp, a DER OCSP response, is stapled for clients that ask) and `issuer` (FILE.issuer, the issuer the OCSP response is checked against when the chain lacks it); `sctl` is not read.',
    parse(ctx) {
      const expects = `'ssl-load-extra-files' expects one or multiple arguments (none, all, bundle, sctl, ocsp, issuer).`;
      if (ctx.args.length === 0) return ctx.error(expects);
      // In HAProxy's order: the first word that is neither a file kind nor alone where it must be is the error.
      for (const [i, word] of ctx.args.entries()) {
        if (word === 'none' || word === 'all') {
          if (ctx.args.length > 1) return ctx.error(`'ssl-load-extra-files' 'none' and 'all' can be only used alone`, i);
        } else if (!['bundle', 'sctl', 'ocsp', 'issuer', 'key'].includes(word)) return ctx.error(expects, i);
      }
      ctx.config.global.certKeyFiles.companionKey = ctx.args[0] === 'all' || ctx.args.includes('key');
      ctx.config.global.certKeyFiles.bundle = ctx.args[0] === 'all' || ctx.args.includes('bundle');
      ctx.config.global.certKeyFiles.ocsp = ctx.args[0] === 'all' || ctx.args.includes('ocsp');
      ctx.config.global.certKeyFiles.issuer = ctx.args[0] === 'all' || ctx.args.includes('issuer');
    },
  },
  {
    name: 'ssl-load-extra-del-ext',
    sections: 'g',
    status: TLS,
    summary: 'A `.crt` certificate\'s companion files drop that extension: `site.crt` takes its key from `site.key`, not `site.crt.key`.',
    parse(ctx) { ctx.config.global.certKeyFiles.deleteCrtExtension = true; },
  },
  { name: 'ca-base', sections: 'g', status: TLS, summary: 'Directory relative CA paths resolve against.', parse(ctx) { const dir = baseDirectory(ctx); if (dir) ctx.config.global.caBase = dir; } },
  {
    name: 'h1-case-adjust',
    sections: 'g',
    status: ENGINE,
    summary: 'Case of one header name for HTTP/1 peers that need it (with option h1-case-adjust-bogus-client/server).',
    parse(ctx) {
      if (ctx.args.length !== 2) return ctx.error(`'h1-case-adjust' expects <from> and <to> as argument.`);
      const error = addCaseAdjust(ctx.config.global, ctx.args[0]!, ctx.args[1]!);
      if (error) ctx.error(error, 1);
    },
  },
  {
    name: 'h1-case-adjust-file',
    sections: 'g',
    status: ENGINE,
    summary: 'File of `<from> <to>` lines, each as an h1-case-adjust line.',
    parse(ctx) {
      if (ctx.args.length !== 1) return ctx.error(`'h1-case-adjust-file' expects <file> as argument.`);
      const file = ctx.args[0]!;
      const text = ctx.options.readFile(file);
      if (text === undefined) return ctx.error(`h1-headers-case-adjust-file '${file}': failed to open file.`, 0, 'LS_ERR_CFG_FILE');
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!.trim();
        if (line === '' || line.startsWith('#')) continue;
        const m = /^(\S+)\s*(.*)$/.exec(line)!;
        const error = m[2] === '' ? 'expect <to>' : addCaseAdjust(ctx.config.global, m[1]!, m[2]!);
        if (error) return ctx.error(`h1-headers-case-adjust-file '${file}' : ${error} at line ${i + 1}.`, 0);
      }
    },
  },
  {
    name: 'hard-stop-after',
    sections: 'g',
    status: ENGINE,
    summary: 'Grace period after which a stopping process closes remaining connections.',
    parse(ctx) {
      const rules = {
        missing: `'hard-stop-after' expects <time> as argument.`,
        overflow: (w: string) => `timer overflow in argument '${w}' to 'hard-stop-after' (maximum value is 2147483647 ms or ~24.8 days)`,
        bad: (c: string) => `unexpected character '${c}' in argument to <hard-stop-after>.`,
      };
      if (!durationChecked(ctx, rules)) return;
      const t = parseTime(ctx.args[0]!, 'hard-stop-after');
      ctx.config.global.tune['hard-stop-after'] = String(t.value);
    },
  },
  {
    name: 'max-spread-checks',
    sections: 'g',
    status: CHECKS,
    summary: 'Upper bound on the delay between the first and the last health check started.',
    parse(ctx) {
      if (!durationChecked(ctx, DURATION_RULES['max-spread-checks']!)) return;
      ctx.config.global.tune['max-spread-checks'] = String(parseTime(ctx.args[0]!, 'max-spread-checks').value);
    },
  },
  {
    name: 'spread-checks',
    sections: 'g',
    status: CHECKS,
    summary: 'Random percentage (0–50) added to check intervals.',
    parse(ctx) {
      // cfgparse-global.c's words; a word that is not a number stays refused (test/scenarios/invalid/README.md).
      const word = ctx.args[0];
      if (!word) return ctx.error(`'spread-checks' expects an integer argument (0..50).`);
      if (/^-?\d+$/.test(word) && !(Number(word) >= 0 && Number(word) <= 50)) return ctx.error(`'spread-checks' needs a positive value in range 0..50.`, 0);
      const v = integer(ctx, 'spread-checks', 0, 50);
      if (v !== undefined) ctx.config.global.tune['spread-checks'] = String(v);
    },
  },
  {
    name: 'node',
    sections: 'g',
    status: CHECKS,
    summary: "This process's name, reported to servers by `http-check send-state` (default: the host name).",
    parse(ctx) {
      const name = ctx.args[0] ?? '';
      if (!/^[0-9A-Za-z._-]+$/.test(name)) {
        return ctx.error(`'node' requires valid node name - non-empty string with digits(0-9), letters(A-Z, a-z), dot(.), hyphen(-) or underscode(_).`, 0);
      }
      if (ctx.args.length > 1) return ctx.error(`'node' cannot handle unexpected argument '${ctx.args[1]}'.`, 1);
      // proxy/checks/settings.ts nodeName reads it from the section.
      ctx.config.global.tune['node'] = name;
    },
  },
  { name: 'description', sections: 'g', status: SUPPORTED, summary: 'Free text shown on the stats page.', parse(ctx) { ctx.config.global.tune['description'] = ctx.args.join(' '); } },
  globalFlag('h2-workaround-bogus-websocket-clients', 'HTTP/2 clients are no longer told they may open WebSockets (and other upgrades) over HTTP/2 (RFC 8441): they use HTTP/1.1 for them.',
    (global) => { global.h2NoWebSocket = true; }),
  ...(['setenv', 'presetenv'] as const).map((name): KeywordSpec => ({
    name,
    sections: 'g',
    status: SUPPORTED,
    summary: 'Sets an environment variable for the rest of the configuration.',
    parse(ctx) {
      // HAProxy reads two words (a third is not refused: alertif_too_many_args(3)).
      if (!ctx.args[1]) return ctx.error(`'${name}' expects a name and a value.`);
      // Handled by the parser before later lines are cut into words (see parser.ts).
    },
  })),
  ...(['unsetenv', 'resetenv'] as const).map((name): KeywordSpec => ({
    name,
    sections: 'g',
    status: SUPPORTED,
    summary: 'Removes environment variables for the rest of the configuration.',
    parse(ctx) {
      if (name === 'unsetenv' && !ctx.args[0]) ctx.error(`'unsetenv' expects at least one variable name.`);
    },
  })),
];

registerGlobalKeywords(keywords);

/**
 * `tune.*` limits the HTTP engine enforces as HAProxy does (proxy/http/request-checks.ts):
 * the request head must fit in bufsize − maxrewrite, at most maxhdr − 1 header fields.
 * Ranges as HAProxy 2.6 checks them (cfgparse-global.c).
 */
const ENFORCED_TUNE: Readonly<Record<string, { min: number; max?: number }>> = {
  'tune.bufsize': { min: 1 },
  'tune.maxrewrite': { min: 0 },
  'tune.http.maxhdr': { min: 1, max: 32767 },
};

/** How many certificates `generate-certificates` keeps (HAProxy's global LRU; 0: none, each handshake makes one). */
export const SSL_CTX_CACHE_SIZE = 'tune.ssl.ssl-ctx-cache-size';
export const DEFAULT_SSL_CTX_CACHE_SIZE = 1000;
/** The `tune.*` switches (task.c, fd.c, listener.c, server.c, cfgparse-ssl.c): 'on' or 'off'. */
const TUNE_ON_OFF = new Set(['tune.sched.low-latency', 'tune.fd.edge-triggered', 'tune.listener.multi-queue', 'tune.idle-pool.shared', 'tune.ssl.keylog']);
/** What cfgparse-global.c says when one of these lacks its word. */
const TUNE_MISSING: Readonly<Record<string, string>> = {
  'tune.recv_enough': 'expects an integer argument.',
  'tune.buffers.limit': 'expects an integer argument.',
  'tune.buffers.reserve': 'expects an integer argument.',
  'tune.pipesize': 'expects an integer argument.',
  'tune.http.cookielen': 'expects an integer argument.',
  'tune.http.logurilen': 'expects an integer argument.',
  'tune.idletimer': 'expects a timer value between 0 and 65535 ms.',
  'tune.runqueue-depth': 'expects an integer argument.',
  'tune.maxpollevents': 'expects an integer argument.',
  'tune.maxaccept': 'expects an integer argument.',
  'tune.rcvbuf.client': 'expects an integer argument.',
  'tune.rcvbuf.server': 'expects an integer argument.',
  'tune.sndbuf.client': 'expects an integer argument.',
  'tune.sndbuf.server': 'expects an integer argument.',
  'tune.pattern.cache-size': 'expects a positive numeric value',
};
/** mux_h2.c's ranges: atoi(), then these bounds (no bound: not negative as an int). */
const H2_RANGES: Readonly<Record<string, { min: number; max?: number }>> = {
  'tune.h2.header-table-size': { min: 4096, max: 65536 },
  'tune.h2.initial-window-size': { min: 0 },
  'tune.h2.max-concurrent-streams': { min: 0 },
  'tune.h2.max-frame-size': { min: 16384, max: 16777215 },
};
const VARS_MAX_SIZES = new Set(['tune.vars.check-max-size', 'tune.vars.global-max-size', 'tune.vars.proc-max-size', 'tune.vars.sess-max-size', 'tune.vars.txn-max-size', 'tune.vars.reqres-max-size']);
/** The `tune.ssl.*` integers cfgparse-ssl.c's ssl_parse_global_int() reads (as maxsslconn). */
const SSL_GLOBAL_INT = new Set([SSL_CTX_CACHE_SIZE, 'tune.ssl.cachesize', 'tune.ssl.maxrecord', 'tune.ssl.hard-maxrecord', 'tune.ssl.capture-buffer-size', 'tune.ssl.capture-cipherlist-size']);

/** `tune.*` keywords: the enforced limits above, else HAProxy's allocator and cache tuning, recorded with no effect here. */
export function parseTuneKeyword(ctx: DirectiveContext, name: string): void {
  const range = ENFORCED_TUNE[name];
  if (range) {
    // Stored in a C int: past 2^31 it wraps, and HAProxy refuses what wraps negative.
    const word = ctx.args[0] ?? '';
    if (/^-?\d+$/.test(word)) {
      const n = atoiInt(word);
      if (n < range.min || (range.max !== undefined && n > range.max) || (range.max === undefined && Number(word) > 2 ** 31 - 1 && n < 0)) {
        return ctx.error(range.max === undefined ? `'${name}' expects a positive integer argument.` : `'${name}' expects a numeric value between ${range.min} and ${range.max}`, 0);
      }
    }
    const v = integer(ctx, name, range.min, range.max);
    if (v !== undefined) ctx.config.global.tune[name] = String(atoiInt(String(v)));
    return;
  }
  if (name === 'tune.ssl.capture-cipherlist-size') {
    ctx.warn(`'${name}' is deprecated and will be removed in version 2.7. Please use 'tune.ssl.capture-buffer-size' instead.`, undefined, 'LS_WARN_CFG_SUSPICIOUS');
  }
  if (SSL_GLOBAL_INT.has(name)) {
    // ssl_parse_global_int(): atoi(), a negative number refused.
    if (ctx.args.length > 1) return ctx.error(`'${name}' cannot handle unexpected argument '${ctx.args[1]}'.`, 1);
    if (!ctx.args[0]) return ctx.error(`'${name}' expects an integer argument.`);
    const n = atoiInt(ctx.args[0]);
    if (n < 0) return ctx.error(`'${name}' expects a positive numeric value.`, 0);
    ctx.config.global.tune[name] = String(n);
    if (name === SSL_CTX_CACHE_SIZE) return;
  } else if (name === 'tune.ssl.default-dh-param') {
    // ssl_parse_global_default_dh(): atoi() into an unsigned int (-1 is huge), at least 1024.
    if (!ctx.args[0]) return ctx.error(`'${name}' expects an integer argument.`);
    if (atoiInt(ctx.args[0]) >>> 0 < 1024) return ctx.error(`'${name}' expects a value >= 1024.`, 0);
  } else if (name === 'tune.ssl.lifetime') {
    const rules = {
      missing: `'${name}' expects ssl sessions <lifetime> in seconds as argument.`,
      overflow: (w: string) => `timer overflow in argument '${w}' to <${name}> (maximum value is 2147483647 s or ~68 years).`,
      bad: (c: string) => `unexpected character '${c}' in argument to <${name}>.`,
    };
    if (!durationChecked(ctx, rules, 1000)) return;
  } else if (name === 'tune.idletimer' && ctx.args[0]) {
    const rules = {
      missing: '',
      overflow: (w: string) => `timer overflow in argument <${w}> to <${name}>, maximum value is 65535 ms.`,
      bad: (c: string) => `unexpected character '${c}' in argument to <${name}>.`,
    };
    if (!durationChecked(ctx, rules)) return;
    if (parseTime(ctx.args[0], name).value! > 65535) return ctx.error(`'${name}' expects a timer value between 0 and 65535 ms.`, 0);
  } else if (H2_RANGES[name]) {
    const { min, max } = H2_RANGES[name];
    const n = atoiInt(ctx.args[0] ?? '');
    if (n < min || (max !== undefined && n > max)) {
      return ctx.error(max === undefined ? `'${name}' expects a positive numeric value.` : `'${name}' expects a numeric value between ${min} and ${max}.`, 0);
    }
  } else if (VARS_MAX_SIZES.has(name)) {
    // vars.c: strtol(…, 10), nothing may follow.
    if (!/^\s*[+-]?\d*$/.test(ctx.args[0] ?? '')) return ctx.error(`${name}: '${ctx.args[0]}' is an invalid size`, 0);
  } else if (TUNE_ON_OFF.has(name)) {
    if (ctx.args[0] !== 'on' && ctx.args[0] !== 'off') return ctx.error(`'${name}' expects either 'on' or 'off' but got '${ctx.args[0] ?? ''}'.`, 0);
  } else if (TUNE_MISSING[name] && !ctx.args[0]) {
    return ctx.error(`'${name}' ${TUNE_MISSING[name]}`);
  } else if (name === 'tune.maxaccept' && atoi(ctx.args[0]!) > 2 ** 31 - 1) {
    // atol() into a long, checked against INT_MAX.
    return ctx.error(`'${name}' expects -1 or an integer from 0 to INT_MAX.`, 0);
  } else if (name === 'tune.pattern.cache-size' && atoiInt(ctx.args[0]!) < 0) {
    return ctx.error(`'${name}' ${TUNE_MISSING[name]}`, 0);
  }
  ctx.config.global.tune[name] = ctx.args.join(' ');
  ctx.warn(`'${name}' has no effect in Loadstar and is ignored.`, undefined, 'LS_WARN_CFG_IGNORED');
}

/** One h1-case-adjust entry (HAProxy's checks and words); an error message, or undefined. */
function addCaseAdjust(global: GlobalSettings, from: string, to: string): string | undefined {
  const lower = from.toLowerCase();
  if (to.toLowerCase() !== lower) return '<from> and <to> must not differ execpt the case';
  const map = (global.h1CaseAdjust ??= {});
  if (Object.hasOwn(map, lower)) return `duplicate entry '${lower}'`;
  map[lower] = to;
  return undefined;
}

/** `server-state-base` / `server-state-file`: one path each, as HAProxy's cfgparse-global.c takes them. */
function serverStatePath(name: 'server-state-base' | 'server-state-file', field: 'serverStateBase' | 'serverStateFile', what: string, summary: string): KeywordSpec {
  return {
    name,
    sections: 'g',
    status: ENGINE,
    summary,
    parse(ctx) {
      if (ctx.config.global[field] !== undefined) return ctx.error(`'${name}' already specified. Continuing.`);
      const value = ctx.args[0];
      // HAProxy's own wording differs by one letter between the two.
      if (value === undefined || value === '') return ctx.error(`'${name}' ${name === 'server-state-base' ? 'expects' : 'expect'} one argument: ${what}.`);
      ctx.config.global[field] = value;
    },
  };
}
