/**
 * How many words HAProxy 2.6 lets a keyword have: its parsers refuse a word after the last one
 * they read only where they call `alertif_too_many_args_idx(max, idx, …)` / `too_many_args(max, …)`
 * (cfgparse.c), which refuses a non-empty word `max + idx + 1` (the keyword is word 0), with
 * "'<words 0..idx>' cannot handle unexpected argument '<word>'.". Elsewhere a word they do not
 * read is ignored. The tables below are those calls (cfgparse-global.c, cfgparse-listen.c,
 * cfgparse-ssl.c, tcpcheck.c and the modules' cfg_kws), keyed by Loadstar's keyword names;
 * the section parsers (parser.ts) check them before the keyword's own parser runs, which is
 * where HAProxy checks them too (after a capability warning, before reading the value; the flag
 * options of proxy.c's tables before the capability).
 */
import type { DirectiveContext } from './keywords.ts';

/** [max, idx]: the words after the keyword HAProxy reads, and how many of them name the keyword. */
export type ArgLimit = readonly [max: number, idx: number];

const table = (groups: ReadonlyArray<readonly [ArgLimit, readonly string[]]>): ReadonlyMap<string, ArgLimit> =>
  new Map(groups.flatMap(([limit, names]) => names.map((n) => [n, limit] as const)));

/** Global-section keywords. (`node`, `log-tag`, … also check it themselves: the same words.) */
export const GLOBAL_ARG_LIMITS = table([
  [[0, 0], [
    'daemon', 'noepoll', 'nokqueue', 'noevports', 'nopoll', 'busy-polling', 'set-dumpable', 'h2-workaround-bogus-websocket-clients',
    'insecure-fork-wanted', 'insecure-setuid-wanted', 'nosplice', 'nogetaddrinfo', 'noreuseport', 'quiet', 'zero-warning', 'external-check',
    'strict-limits', 'h1-accept-payload-with-any-method', 'tune.ssl.force-private-cache', 'no-memory-trimming', 'pp2-never-send-local',
  ]],
  [[1, 0], [
    'master-worker', 'tune.runqueue-depth', 'tune.maxpollevents', 'tune.maxaccept', 'tune.recv_enough', 'tune.buffers.limit', 'tune.buffers.reserve',
    'tune.bufsize', 'tune.maxrewrite', 'tune.idletimer', 'tune.rcvbuf.client', 'tune.rcvbuf.server', 'tune.sndbuf.client', 'tune.sndbuf.server',
    'tune.pipesize', 'tune.http.cookielen', 'tune.http.logurilen', 'tune.http.maxhdr', 'tune.comp.maxlevel', 'cluster-secret', 'uid', 'gid', 'user',
    'group', 'maxconn', 'ssl-server-verify', 'maxconnrate', 'maxsessrate', 'maxsslrate', 'maxcomprate', 'maxpipes', 'maxzlibmem', 'maxcompcpuusage',
    'fd-hard-limit', 'ulimit-n', 'chroot', 'node', 'pidfile', 'log-tag', 'spread-checks', 'max-spread-checks', 'localpeer',
    // cfgparse-ssl.c
    'issuers-chain-path', 'ssl-default-bind-ciphers', 'ssl-default-server-ciphers', 'ssl-default-bind-ciphersuites', 'ssl-default-server-ciphersuites',
    'ssl-default-bind-curves', 'tune.ssl.capture-cipherlist-size', 'tune.ssl.capture-buffer-size', 'tune.ssl.keylog', 'tune.ssl.lifetime',
    'ssl-dh-param-file', 'tune.ssl.default-dh-param', 'ca-base', 'crt-base', 'maxsslconn', 'tune.ssl.cachesize', 'tune.ssl.maxrecord',
    'tune.ssl.hard-maxrecord', 'tune.ssl.ssl-ctx-cache-size',
    // compression.c, http_client.c, mux_h1.c, mux_h2.c, server.c, listener.c, fd.c, pool.c, thread.c, task.c, activity.c, mworker.c
    'tune.zlib.memlevel', 'tune.zlib.windowsize', 'httpclient.resolvers.id', 'httpclient.resolvers.prefer', 'httpclient.ssl.ca-file',
    'httpclient.ssl.verify', 'h1-case-adjust-file', 'tune.h2.header-table-size', 'tune.h2.initial-window-size', 'tune.h2.max-concurrent-streams',
    'tune.h2.max-frame-size', 'tune.idle-pool.shared', 'tune.pool-high-fd-ratio', 'tune.pool-low-fd-ratio', 'tune.listener.multi-queue',
    'tune.fd.edge-triggered', 'tune.fail-alloc', 'nbthread', 'thread-groups', 'tune.sched.low-latency', 'profiling.memory', 'profiling.tasks',
    'mworker-max-reloads',
  ]],
  [[2, 0], ['h1-case-adjust']],
  [[3, 0], ['setenv', 'presetenv']],
]);

/**
 * The options of proxy.c's cfg_opts / cfg_opts2 tables, which take no word. cfgparse-listen.c
 * counts their words before it checks the section's capability, so `option persist x` in a
 * frontend is refused without the capability warning.
 */
const TABLE_OPTIONS = [
  'abortonclose', 'allbackups', 'checkcache', 'clitcpka', 'contstats', 'dontlognull', 'http-buffer-request', 'http-ignore-probes',
  'idle-close-on-response', 'prefer-last-server', 'logasap', 'nolinger', 'persist', 'srvtcpka', 'transparent', 'splice-request',
  'splice-response', 'splice-auto', 'accept-invalid-http-request', 'accept-invalid-http-response', 'dontlog-normal', 'log-separate-errors',
  'log-health-checks', 'socket-stats', 'tcp-smart-accept', 'tcp-smart-connect', 'independent-streams', 'http-use-proxy-header',
  'http-pretend-keepalive', 'http-no-delay', 'h1-case-adjust-bogus-client', 'h1-case-adjust-bogus-server', 'disable-h2-upgrade',
];

/** Options that take no word either, counted by cfgparse-listen.c's, tcpcheck.c's and extcheck.c's own parsers (after the capability warning). */
const FLAG_OPTIONS = [
  ...TABLE_OPTIONS,
  'httpclose', 'http-server-close', 'http-keep-alive', 'tcplog', 'tcpka', 'redis-check', 'ssl-hello-chk', 'ldap-check', 'spop-check',
  'tcp-check', 'external-check',
];

const WORDS_COUNTED_FIRST = new Set(TABLE_OPTIONS.map((o) => `option ${o}`));

/** True for the keywords whose words HAProxy counts before it checks that the section can hold them. */
export function countsWordsBeforeCapability(keyword: string): boolean {
  return WORDS_COUNTED_FIRST.has(keyword);
}

/** Proxy-section keywords (cfgparse-listen.c, tcpcheck.c). */
export const PROXY_ARG_LIMITS = table([
  [[0, 0], ['disabled', 'enabled', 'transparent']],
  [[1, 0], ['mode', 'id', 'server-state-file-name', 'monitor-uri', 'retries', 'default_backend', 'maxconn', 'backlog', 'fullconn', 'dispatch']],
  [[2, 0], ['option http-restrict-req-hdr-names']],
  [[4, 1], ['capture cookie', 'capture request header', 'capture response header']],
  [[0, 1], [...FLAG_OPTIONS.map((o) => `option ${o}`), 'http-reuse']],
  [[2, 1], ['option smtpchk', 'option pgsql-check']],
  [[3, 1], ['option mysql-check', 'option httpchk']],
]);

/**
 * Reports HAProxy's alert when the directive has a word where `limit` says HAProxy refuses one
 * (`no`/`default` before `option` are not words: HAProxy shifts them out first).
 */
export function tooManyArgs(ctx: DirectiveContext, limit: ArgLimit): boolean {
  const [max, idx] = limit;
  const keyword = ctx.directive.keyword.split(' ');
  if (keyword[0] === 'no' || keyword[0] === 'default') keyword.shift();
  const at = idx + max + 1;
  const extra = at < keyword.length ? keyword[at] : ctx.args[at - keyword.length];
  if (extra === undefined || extra === '') return false;
  const named = [...keyword, ...ctx.args].slice(0, idx + 1).join(' ');
  ctx.error(`'${named}' cannot handle unexpected argument '${extra}'.`, Math.max(0, at - keyword.length));
  return true;
}
