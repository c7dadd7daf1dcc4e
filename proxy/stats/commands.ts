/**
 * The runtime API's commands (HAProxy's CLI, management.txt §9.3) that have a
 * meaning in Loadstar, answering with HAProxy's texts so scripts written for
 * `echo "show stat" | socat stdio UNIX:…` keep working. Each command returns
 * its output; the server (runtime-api.ts) adds the empty line that ends it.
 */
import net from 'node:net';
import type { StatsHost } from './host.ts';
import type { RuntimeBackend } from '../runtime/backend.ts';
import type { RuntimeServer } from '../runtime/server.ts';
import type { Proxy, Server } from '../config/model.ts';
// State changes use the same door as the control contract's setServerState/setServerWeight (runtime/admin.ts).
import { setServerAdminState, setServerWeight } from '../runtime/admin.ts';
import { proxyIds, statRows } from './rows.ts';
import { filterRows, statCsv, statJson, statTyped } from './csv.ts';
import type { StatFilter } from './csv.ts';
import { showInfo } from './info.ts';
import { serversState } from './servers-state.ts';
import { serversConn } from './servers-conn.ts';
import { showSessions, shutdownSession } from './sessions.ts';
import { showErrors } from './show-errors.ts';
import { showTable } from '../stick/show.ts';
import { jsonSchema } from './json-schema.ts';
import { setTlsKey, showTlsKeys } from './tls-keys-commands.ts';
import { clearTable, setTable } from '../stick/table-commands.ts';
import { getVar, setCliTimeout, setRateLimit, setSeverityOutput, showEnv, showStartupLogs, showVersion } from './process-commands.ts';
import { cliErr, cliMsg, errUnlessEmpty, renderAnswer } from './cli-answer.ts';
import type { CliAnswer, SeverityOutput } from './cli-answer.ts';
import { abortSslCert, commitSslCert, delSslCert, newSslCert, setSslCert, setSslOcspResponse, showSslCert, showSslOcspResponse } from './ssl-cert-commands.ts';
import { abortSslTrustFile, commitSslTrustFile, delSslTrustFile, newSslTrustFile, setSslTrustFile, showSslCaFile, showSslCrlFile } from './ssl-cafile-commands.ts';
import { addSslCrtList, delSslCrtList, showSslCrtList } from './ssl-crtlist-commands.ts';
import { addServer, delServer } from './server-commands.ts';
import { allowsDynamicServers } from '../balance/index.ts';
import { atoi, strtol } from './cli-numbers.ts';
import { splitWords } from './cli-words.ts';
import { addPattern, clearPatterns, commitPatterns, delPattern, getPattern, preparePatterns, setPattern, showPatterns } from './map-commands.ts';
import { usageMessage } from './cli-usage.ts';
import { INTERNAL_COMMANDS } from './haproxy-internals.ts';
import type { UsageCommand } from './cli-usage.ts';

export type CliLevel = 'user' | 'operator' | 'admin';
const RANK: Record<CliLevel, number> = { user: 0, operator: 1, admin: 2 };

/** The state of one CLI connection. */
export interface CliSession {
  level: CliLevel;
  /** The socket's level (`stats socket … level`): what HAProxy asks where it reads its bind_conf's (table walks). */
  readonly socketLevel: CliLevel;
  interactive: boolean;
  /** Set by `quit`. */
  quit: boolean;
  /** `expert-mode on`, `experimental-mode on`: this session's modes (no Loadstar command needs them). */
  modes?: Set<string>;
  /** The runtime API's sockets, as `show cli sockets` lists them (runtime-api.ts). */
  sockets?: () => ReadonlyArray<{ address: string; level: CliLevel }>;
  /** `set severity-output`: what precedes the messages (not the dumps) answered to this session. */
  severityOutput: SeverityOutput;
  /** `set timeout cli`: this session's idle timeout from now on, ms (undefined: the socket's `stats timeout`). */
  timeoutMs?: number;
}

interface Command {
  words: string[];
  usage: string;
  help: string;
  level: CliLevel;
  /** False for the commands HAProxy leaves out of `help` and of its suggestions. */
  listed?: false;
  /**
   * The answer; a promise for the few commands that wait for the engine (binding a listener again).
   * `payload`: the lines that followed a command ending with `<<` (undefined without one).
   */
  run(args: string[], engine: StatsHost, session: CliSession, payload: string | undefined): CliAnswer | Promise<CliAnswer>;
}

const PERMISSION_DENIED = 'Permission denied\n';
/** LOG_WARNING: what `set server … addr` reports. */
const WARNING = 4;
/** LOG_NOTICE. */
const NOTICE = 5;

const COMMANDS: Command[] = [
  { words: ['abort', 'ssl', 'ca-file'], usage: 'abort ssl ca-file <cafile>', help: 'abort a transaction for a CA file', level: 'admin', run: (a, e) => abortSslTrustFile(e.sslCerts?.()?.caFiles, 'ca', a) },
  { words: ['abort', 'ssl', 'cert'], usage: 'abort ssl cert <certfile>', help: 'abort a transaction for a certificate file', level: 'admin', run: (a, e) => abortSslCert(e.sslCerts?.(), a) },
  { words: ['abort', 'ssl', 'crl-file'], usage: 'abort ssl crl-file <crlfile>', help: 'abort a transaction for a CRL file', level: 'admin', run: (a, e) => abortSslTrustFile(e.sslCerts?.()?.caFiles, 'crl', a) },
  { words: ['add', 'acl'], usage: 'add acl [@<ver>] <acl> <pattern>', help: 'add an acl entry', level: 'user', run: (a, e, _s, payload) => addPattern(e.patternRefs?.(), 'acl', a, payload) },
  { words: ['add', 'ssl', 'crt-list'], usage: 'add ssl crt-list <list> <cert> [opts]*', help: 'add to crt-list file <list> a line <cert> or a payload', level: 'admin', run: (a, e, _s, payload) => addSslCrtList(e.sslCerts?.(), a, payload, e.stats.view()?.config.global.crtBase, e.stats.view()?.config.global.caBase) },
  { words: ['add', 'map'], usage: 'add map [@<ver>] <map> <key> <val>', help: 'add a map entry (payload supported instead of key/val)', level: 'user', run: (a, e, _s, payload) => addPattern(e.patternRefs?.(), 'map', a, payload) },
  { words: ['add', 'server'], usage: 'add server <bk>/<srv>', help: 'create a new server', level: 'admin', run: addServer },
  { words: ['clear', 'acl'], usage: 'clear acl [@<ver>] <acl>', help: 'clear the contents of this acl', level: 'user', run: (a, e) => clearPatterns(e.patternRefs?.(), 'acl', a) },
  { words: ['clear', 'counters'], usage: 'clear counters [all]', help: 'clear max statistics counters (or all counters)', level: 'operator', run: clearCounters },
  { words: ['clear', 'map'], usage: 'clear map [@<ver>] <map>', help: 'clear the contents of this map', level: 'user', run: (a, e) => clearPatterns(e.patternRefs?.(), 'map', a) },
  { words: ['clear', 'table'], usage: 'clear table <table> [<filter>]*', help: 'remove an entry from a table (filter: data/key)', level: 'user', run: (a, e, s) => errUnlessEmpty(clearTable(e.stickTables?.(), a.slice(2), tableAccess(s))) },
  { words: ['commit', 'acl'], usage: 'commit acl @<ver> <acl>', help: 'commit the ACL at this version', level: 'user', run: (a, e) => commitPatterns(e.patternRefs?.(), 'acl', a) },
  { words: ['commit', 'map'], usage: 'commit map @<ver> <map>', help: 'commit the map at this version', level: 'user', run: (a, e) => commitPatterns(e.patternRefs?.(), 'map', a) },
  { words: ['commit', 'ssl', 'ca-file'], usage: 'commit ssl ca-file <cafile>', help: 'commit a CA file', level: 'admin', run: (a, e) => commitSslTrustFile(e.sslCerts?.()?.caFiles, 'ca', a) },
  { words: ['commit', 'ssl', 'cert'], usage: 'commit ssl cert <certfile>', help: 'commit a certificate file', level: 'admin', run: (a, e) => commitSslCert(e.sslCerts?.(), a) },
  { words: ['commit', 'ssl', 'crl-file'], usage: 'commit ssl crl-file <crlfile>', help: 'commit a CRL file', level: 'admin', run: (a, e) => commitSslTrustFile(e.sslCerts?.()?.caFiles, 'crl', a) },
  { words: ['del', 'acl'], usage: 'del acl <acl> [<key>|#<ref>]', help: 'delete acl entries matching <key>', level: 'user', run: (a, e) => delPattern(e.patternRefs?.(), 'acl', a) },
  { words: ['del', 'ssl', 'ca-file'], usage: 'del ssl ca-file <cafile>', help: 'delete an unused CA file', level: 'admin', run: (a, e) => delSslTrustFile(e.sslCerts?.()?.caFiles, 'ca', a) },
  { words: ['del', 'ssl', 'cert'], usage: 'del ssl cert <certfile>', help: 'delete an unused certificate file', level: 'admin', run: (a, e) => delSslCert(e.sslCerts?.(), a) },
  { words: ['del', 'ssl', 'crl-file'], usage: 'del ssl crl-file <crlfile>', help: 'delete an unused CRL file', level: 'admin', run: (a, e) => delSslTrustFile(e.sslCerts?.()?.caFiles, 'crl', a) },
  { words: ['del', 'ssl', 'crt-list'], usage: 'del ssl crt-list <list> <cert[:line]>', help: 'delete a line <cert> from crt-list file <list>', level: 'admin', run: (a, e) => delSslCrtList(e.sslCerts?.(), a) },
  { words: ['del', 'map'], usage: 'del map <map> [<key>|#<ref>]', help: 'delete map entries matching <key>', level: 'user', run: (a, e) => delPattern(e.patternRefs?.(), 'map', a) },
  { words: ['del', 'server'], usage: 'del server <bk>/<srv>', help: 'remove a dynamically added server', level: 'admin', run: delServer },
  { words: ['disable', 'agent'], usage: 'disable agent', help: 'disable agent checks', level: 'admin', run: (a, e) => adminChange(e, a[2], (_b, s) => checkSwitch(e, s, 'agent', false)) },
  { words: ['disable', 'dynamic-cookie', 'backend'], usage: 'disable dynamic-cookie backend <bk>', help: 'disable dynamic cookies on a specific backend', level: 'admin', run: (a, e) => dynamicCookieChange(e, a[3], (b) => b.setDynamicCookies(false)) },
  { words: ['disable', 'frontend'], usage: 'disable frontend <frontend>', help: 'temporarily disable specific frontend', level: 'admin', run: disableFrontend },
  { words: ['disable', 'health'], usage: 'disable health', help: 'disable health checks', level: 'admin', run: (a, e) => adminChange(e, a[2], (_b, s) => checkSwitch(e, s, 'health', false)) },
  { words: ['disable', 'server'], usage: 'disable server (DEPRECATED)', help: "disable a server for maintenance (use 'set server' instead)", level: 'admin', run: (a, e) => adminChange(e, a[2], (b, s) => setState(e, b, s, 'maint')) },
  { words: ['enable', 'agent'], usage: 'enable agent', help: 'enable agent checks', level: 'admin', run: (a, e) => adminChange(e, a[2], (_b, s) => checkSwitch(e, s, 'agent', true)) },
  { words: ['enable', 'dynamic-cookie', 'backend'], usage: 'enable dynamic-cookie backend <bk>', help: 'enable dynamic cookies on a specific backend', level: 'admin', run: (a, e) => dynamicCookieChange(e, a[3], (b) => b.setDynamicCookies(true)) },
  { words: ['enable', 'frontend'], usage: 'enable frontend <frontend>', help: 're-enable specific frontend', level: 'admin', run: enableFrontend },
  { words: ['enable', 'health'], usage: 'enable health', help: 'enable health checks', level: 'admin', run: (a, e) => adminChange(e, a[2], (_b, s) => checkSwitch(e, s, 'health', true)) },
  { words: ['enable', 'server'], usage: 'enable server  (DEPRECATED)', help: "enable a disabled server (use 'set server' instead)", level: 'admin', run: (a, e) => adminChange(e, a[2], (b, s) => setState(e, b, s, 'ready')) },
  { words: ['experimental-mode'], usage: 'experimental-mode [on|off]', help: 'enable experimental commands', level: 'admin', listed: false, run: sessionMode },
  { words: ['expert-mode'], usage: 'expert-mode [on|off]', help: 'enable expert commands', level: 'admin', listed: false, run: sessionMode },
  { words: ['get', 'acl'], usage: 'get acl <acl> <value>', help: 'report the patterns matching a sample for an ACL', level: 'user', run: (a, e) => getPattern(e.patternRefs?.(), 'acl', a) },
  { words: ['get', 'map'], usage: 'get map <acl> <value>', help: 'report the keys and values matching a sample for a map', level: 'user', run: (a, e) => getPattern(e.patternRefs?.(), 'map', a) },
  { words: ['get', 'var'], usage: 'get var <name>', help: 'retrieve contents of a process-wide variable', level: 'operator', run: (a, e) => getVar(e.procVariables?.(), a[2]) },
  { words: ['get', 'weight'], usage: 'get weight <bk>/<srv>', help: "report a server's current weight", level: 'user', run: (a, e) => adminChange(e, a[2], (_b, s) => `${s.weight} (initial ${s.config.options.weight})\n`, (s) => `${s.options.weight} (initial ${s.options.weight})\n`) },
  { words: ['new', 'ssl', 'ca-file'], usage: 'new ssl ca-file <cafile>', help: 'create a new CA file to be used in a crt-list', level: 'admin', run: (a, e) => newSslTrustFile(e.sslCerts?.()?.caFiles, 'ca', a) },
  { words: ['new', 'ssl', 'cert'], usage: 'new ssl cert <certfile>', help: 'create a new certificate file to be used in a crt-list or a directory', level: 'admin', run: (a, e) => newSslCert(e.sslCerts?.(), a) },
  { words: ['new', 'ssl', 'crl-file'], usage: 'new ssl crlfile <crlfile>', help: 'create a new CRL file to be used in a crt-list', level: 'admin', run: (a, e) => newSslTrustFile(e.sslCerts?.()?.caFiles, 'crl', a) },
  { words: ['operator'], usage: 'operator', help: 'lower the level of the current CLI session to operator', level: 'user', run: (_a, _e, s) => lower(s, 'operator') },
  { words: ['prepare', 'acl'], usage: 'prepare acl <acl>', help: 'prepare a new version for atomic ACL replacement', level: 'user', run: (a, e) => preparePatterns(e.patternRefs?.(), 'acl', a) },
  { words: ['prepare', 'map'], usage: 'prepare map <acl>', help: 'prepare a new version for atomic map replacement', level: 'user', run: (a, e) => preparePatterns(e.patternRefs?.(), 'map', a) },
  { words: ['set', 'dynamic-cookie-key', 'backend'], usage: 'set dynamic-cookie-key backend <bk> <k>', help: 'change a backend secret key for dynamic cookies', level: 'admin', run: setDynamicCookieKey },
  { words: ['set', 'map'], usage: 'set map <map> [<key>|#<ref>] <value>', help: 'modify a map entry', level: 'user', run: (a, e) => setPattern(e.patternRefs?.(), a) },
  { words: ['set', 'maxconn', 'frontend'], usage: 'set maxconn frontend <frontend> <value>', help: "change a frontend's maxconn setting", level: 'admin', run: setMaxconnFrontend },
  { words: ['set', 'maxconn', 'global'], usage: 'set maxconn global <value>', help: 'change the per-process maxconn setting', level: 'admin', run: setMaxconnGlobal },
  { words: ['set', 'maxconn', 'server'], usage: 'set maxconn server <bk>/<srv>', help: "change a server's maxconn setting", level: 'admin', run: (a, e) => adminChange(e, a[3], (b, s) => setMaxconnServer(e, b, s, a[4])) },
  { words: ['set', 'ssl', 'ca-file'], usage: 'set ssl ca-file <cafile> <payload>', help: 'replace a CA file', level: 'admin', run: (a, e, _s, payload) => setSslTrustFile(e.sslCerts?.()?.caFiles, 'ca', a, payload) },
  { words: ['set', 'ssl', 'tls-key'], usage: 'set ssl tls-key [id|file] <key>', help: 'set the next TLS key for the <id> or <file> listener to <key>', level: 'user', run: (a, e) => setTlsKey(e.ticketKeys?.() ?? [], a) },
  { words: ['set', 'ssl', 'cert'], usage: 'set ssl cert <certfile> <payload>', help: 'replace a certificate file', level: 'admin', run: (a, e, _s, payload) => setSslCert(e.sslCerts?.(), a, payload) },
  { words: ['set', 'ssl', 'crl-file'], usage: 'set ssl crl-file <crlfile> <payload>', help: 'replace a CRL file', level: 'admin', run: (a, e, _s, payload) => setSslTrustFile(e.sslCerts?.()?.caFiles, 'crl', a, payload) },
  { words: ['set', 'ssl', 'ocsp-response'], usage: 'set ssl ocsp-response <resp|payload>', help: "update a certificate's OCSP Response from a base64-encode DER", level: 'user', run: (a, e, _s, payload) => setSslOcspResponse(e.sslCerts?.(), a, payload) },
  { words: ['set', 'rate-limit'], usage: 'set rate-limit <setting> <value>', help: 'change a rate limiting value', level: 'admin', run: (a, e) => setRateLimit(e.setGlobalRateLimit?.bind(e), a) },
  { words: ['set', 'server'], usage: 'set server <bk>/<srv> [opts]', help: "change a server's state, weight, address or ssl", level: 'admin', run: setServer },
  { words: ['set', 'table'], usage: 'set table <table> key <k> [data.* <v>]*', help: "update or create a table entry's data", level: 'user', run: (a, e, s) => errUnlessEmpty(setTable(e.stickTables?.(), a.slice(2), tableAccess(s))) },
  { words: ['set', 'severity-output'], usage: 'set severity-output [none|number|string]', help: 'set presence of severity level in feedback information', level: 'user', run: (a, _e, s) => setSeverityOutput(s, a[2]) },
  { words: ['set', 'timeout'], usage: 'set timeout [cli] <delay>', help: 'change a timeout setting', level: 'user', run: (a, _e, s) => setCliTimeout(s, a[2], a[3]) },
  { words: ['set', 'weight'], usage: 'set weight <bk>/<srv>  (DEPRECATED)', help: "change a server's weight (use 'set server' instead)", level: 'admin', run: (a, e) => adminChange(e, a[2], (b, s) => weight(e, b, s, a[3])) },
  { words: ['show', 'acl'], usage: 'show acl [@<ver>] <acl>]', help: "report available acls or dump an acl's contents", level: 'user', run: (a, e) => showPatterns(e.patternRefs?.(), 'acl', a) },
  { words: ['show', 'map'], usage: 'show map [@ver] [map]', help: "report available maps or dump a map's contents", level: 'user', run: (a, e) => showPatterns(e.patternRefs?.(), 'map', a) },
  { words: ['show', 'resolvers'], usage: 'show resolvers [id]', help: 'dumps counters from all resolvers section and associated name servers', level: 'user', run: (a, e) => e.resolvers?.()?.show(a[2]) ?? (a[2] === undefined ? '' : cliErr("Can't find that resolvers section\n")) },
  { words: ['show', 'cache'], usage: 'show cache', help: 'show cache status', level: 'admin', run: (_a, e) => e.httpCaches?.()?.show() ?? '' },
  { words: ['show', 'backend'], usage: 'show backend', help: 'list backends in the current running config', level: 'user', run: (_a, e) => `# name\n${[...(e.stats.view()?.backends.keys() ?? [])].map((n) => n + '\n').join('')}` },
  { words: ['show', 'cli', 'level'], usage: 'show cli level', help: 'display the level of the current CLI session', level: 'user', run: (_a, _e, s) => cliMsg(`${s.level}\n`) },
  { words: ['show', 'cli', 'sockets'], usage: 'show cli sockets', help: 'dump list of cli sockets', level: 'user', run: (_a, _e, s) => showCliSockets(s) },
  { words: ['show', 'env'], usage: 'show env [var]', help: 'dump environment variables known to the process', level: 'operator', run: (a) => showEnv(process.env, a[2]) },
  { words: ['show', 'events'], usage: 'show events [<sink>] [-w] [-n]', help: 'show event sink state', level: 'user', run: (a, e, s) => showEvents(e, a.slice(2), s) },
  { words: ['show', 'errors'], usage: 'show errors [<px>] [request|response]', help: 'report last request and/or response errors for each proxy', level: 'operator', run: (a, e) => showErrors(e, a) },
  { words: ['show', 'info'], usage: 'show info [desc|json|typed|float]*', help: 'report information about the running process', level: 'user', run: (a, e) => (e.stats.sync(), showInfo(e, a.slice(2))) },
  { words: ['show', 'servers', 'conn'], usage: 'show servers conn [<backend>]', help: 'dump server connections status (all or for a single backend)', level: 'user', run: (a, e) => {
    const tables = e.stats.view();
    return tables ? serversConn((e.stats.sync(), tables), a[3]) ?? cliErr("Can't find backend.\n") : '';
  } },
  { words: ['show', 'schema', 'json'], usage: 'show schema json', help: 'report schema used for stats', level: 'user', run: () => jsonSchema() },
  { words: ['show', 'servers', 'state'], usage: 'show servers state [<backend>]', help: 'dump volatile server information (all or for a single backend)', level: 'user', run: showServersState },
  { words: ['show', 'sess'], usage: 'show sess [id]', help: 'report the list of current sessions or dump this exact session', level: 'operator', run: (_a, e) => showSessions(e) },
  { words: ['show', 'ssl', 'ca-file'], usage: 'show ssl ca-file [<cafile>[:<index>]]', help: 'display the SSL CA files used in memory, or the details of a <cafile>, or a single certificate of index <index> of a CA file <cafile>', level: 'user', run: (a, e, s) => showSslCaFile(e.sslCerts?.()?.caFiles, a, RANK[s.level] >= RANK.operator) },
  { words: ['show', 'ssl', 'cert'], usage: 'show ssl cert [<certfile>]', help: 'display the SSL certificates used in memory, or the details of a file', level: 'user', run: (a, e, s) => showSslCert(e.sslCerts?.(), a, RANK[s.level] >= RANK.operator) },
  { words: ['show', 'ssl', 'crl-file'], usage: 'show ssl crl-file [<crlfile[:<index>>]]', help: 'display the SSL CRL files used in memory, or the details of a <crlfile>, or a single CRL of index <index> of CRL file <crlfile>', level: 'user', run: (a, e, s) => showSslCrlFile(e.sslCerts?.()?.caFiles, a, RANK[s.level] >= RANK.operator) },
  { words: ['show', 'ssl', 'crt-list'], usage: 'show ssl crt-list [-n] [<list>]', help: 'show the list of crt-lists or the content of a crt-list file <list>', level: 'admin', run: (a, e) => showSslCrtList(e.sslCerts?.(), a) },
  { words: ['show', 'ssl', 'ocsp-response'], usage: 'show ssl ocsp-response [id]', help: 'display the IDs of the OCSP responses used in memory, or the details of a single OCSP response', level: 'user', run: (a, e) => showSslOcspResponse(e.sslCerts?.(), a) },
  { words: ['show', 'ssl', 'providers'], usage: 'show ssl providers', help: 'show loaded SSL providers', level: 'user', run: showSslProviders },
  { words: ['show', 'startup-logs'], usage: 'show startup-logs', help: 'report logs emitted during HAProxy startup', level: 'operator', run: (_a, e) => showStartupLogs(e.startupLogs?.() ?? '') },
  { words: ['show', 'stat'], usage: 'show stat [desc|json|no-maint|typed|up]*', help: 'report counters for each proxy and server', level: 'user', run: showStat },
  { words: ['show', 'table'], usage: 'show table <table> [<filter>]*', help: "report table usage stats or dump this table's contents (filter: data/key)", level: 'user', run: (a, e, s) => tableDump(showTable(e.stickTables?.(), a.slice(2), RANK[s.socketLevel] >= RANK.operator, RANK[s.level] >= RANK.operator)) },
  { words: ['show', 'tls-keys'], usage: 'show tls-keys [id|*]', help: 'show tls keys references or dump tls ticket keys when id specified', level: 'user', run: (a, e) => showTlsKeys(e.ticketKeys?.() ?? [], a) },
  { words: ['show', 'version'], usage: 'show version', help: 'show version of the current process', level: 'user', run: () => showVersion() },
  { words: ['shutdown', 'frontend'], usage: 'shutdown frontend <frontend>', help: 'stop a specific frontend', level: 'admin', run: shutdownFrontend },
  { words: ['shutdown', 'session'], usage: 'shutdown session [id]', help: 'kill a specific session', level: 'admin', run: (a, e) => shutdownSession(e, a[2]) },
  { words: ['shutdown', 'sessions', 'server'], usage: 'shutdown sessions server <bk>/<srv>', help: 'kill sessions on a server', level: 'admin', run: (a, e) => adminChange(e, a[3], (b, s) => shutdownSessions(e, b, s)) },
  { words: ['user'], usage: 'user', help: 'lower the level of the current CLI session to user', level: 'user', run: (_a, _e, s) => lower(s, 'user') },
  ...INTERNAL_COMMANDS,
];

/** Always listed last, as HAProxy does. */
const BUILTINS: Array<[string, string]> = [
  ['help [<command>]', 'list matching or all commands'],
  ['prompt', 'toggle interactive mode with prompt'],
  ['quit', 'disconnect'],
];

/** Every command's words, listed or not (`help`'s and the unlisted `expert-mode`…), and the built-ins: the whole CLI vocabulary (the fuzzer's). */
export function commandWords(): string[][] {
  return [...COMMANDS.map((c) => [...c.words]), ...BUILTINS.map(([u]) => [u.split(' ')[0]!])];
}

function line(usage: string, help: string): string {
  return `  ${usage.padEnd(40)}: ${help}\n`;
}

/**
 * What `help` and the suggestions choose from: every command, with its usage line when HAProxy lists
 * it (`expert-mode` and the built-ins are matched, not listed).
 */
const USAGE: readonly UsageCommand[] = [
  ...COMMANDS.map((c) => ({ words: c.words, line: c.listed === false ? undefined : line(c.usage, c.help) })),
  ...BUILTINS.map(([u]) => ({ words: [u.split(' ')[0]!], line: undefined })),
];

/** `help [words]`, an unknown command, an empty one: HAProxy's usage message (cli-usage.ts). */
function usage(args: readonly string[]): string {
  // HAProxy lists the state-changing commands at every level (they answer "Permission denied" when run).
  return usageMessage(USAGE, args, BUILTINS.map(([u, h]) => line(u, h)).join(''));
}

/**
 * Runs one command line (no ';'); returns the output without the final empty line. `payload`: the
 * lines that followed it when it ended with `<<` (runtime-api.ts gathers them).
 */
export function runCommand(text: string, engine: StatsHost, session: CliSession, payload?: string): string | Promise<string> {
  const answer = dispatch(text, engine, session, payload);
  if (answer instanceof Promise) return answer.then((a) => renderAnswer(a, session.severityOutput));
  return renderAnswer(answer, session.severityOutput);
}

function dispatch(text: string, engine: StatsHost, session: CliSession, payload: string | undefined): CliAnswer | Promise<CliAnswer> {
  // cli_parse_request: the words (backslash escapes, 64 at most), and `<<` ending the command marks the
  // payload; without that mark the command has none (`x<<` is a word).
  const { args, payload: marked } = splitWords(text);
  payload = marked ? payload ?? '' : undefined;
  if (args.length === 0) return cliMsg(usage(args));
  const first = args[0]!;
  if (first === 'help') return cliMsg(usage(args));
  if (first === 'prompt') {
    session.interactive = !session.interactive;
    return '';
  }
  if (first === 'quit') {
    session.quit = true;
    return '';
  }
  const command = COMMANDS.find((c) => c.words.every((w, i) => args[i] === w));
  if (!command) return cliMsg(usage(args));
  if (RANK[session.level] < RANK[command.level]) return cliErr(PERMISSION_DENIED);
  return command.run(args, engine, session, payload);
}

/**
 * `show events [<sink>] [-w] [-n]` (sink.c cli_parse_show_events): without a name the sinks, else a
 * ring's messages, oldest first (operator level). `-n` starts at the newest end: without `-w`, nothing.
 * `-w` waits for more: on a non-interactive session the dump ends instead (haproxy 2.6.12's mostly
 * does, racing the client's close), on an interactive one it is refused: Loadstar's runtime API
 * answers a command once.
 */
function showEvents(engine: StatsHost, args: string[], session: CliSession): CliAnswer {
  const rings = engine.rings?.();
  if (args[0] === undefined || args[0] === '') return cliMsg(rings?.list() ?? '', WARNING);
  if (RANK[session.level] < RANK.operator) return cliErr(PERMISSION_DENIED);
  const ring = rings?.get(args[0]);
  if (!ring) return args[0] === 'stdout' || args[0] === 'stderr' ? cliMsg('Nothing to report for this sink', NOTICE) : cliErr('No such event sink');
  let fromNew = false;
  for (const option of args.slice(1)) {
    if (option === '') break;
    if (option === '-n') fromNew = true;
    else if (option === '-w' || option === '-nw' || option === '-wn') {
      if (session.interactive) return cliErr("'show events -w' (waiting for new events) is not available in Loadstar's interactive sessions: its runtime API answers each command once.\n");
      if (option !== '-w') fromNew = true;
    } else return cliErr('unknown option');
  }
  return ring.dump(fromNew);
}

/**
 * The frontend a command names, with HAProxy's answers (cli_find_frontend) when it is missing, and
 * the one of the frontend commands for a frontend the configuration disabled (PR_FL_DISABLED).
 */
function findFrontend(engine: StatsHost, name: string | undefined, disabledAnswer?: string): string | undefined {
  if (name === undefined || name === '') return 'A frontend name is expected.\n';
  const proxy = engine.stats.view()?.config.proxies.find((p) => p.name === name && (p.kind === 'frontend' || p.kind === 'listen'));
  if (!proxy) return 'No such frontend.\n';
  return proxy.disabled || engine.stats.view()?.overrides?.stopped.has(name) ? disabledAnswer : undefined;
}

/** `set maxconn frontend <fe> <n>` (cli_parse_set_maxconn_frontend): connections waiting for room are taken when it grows. */
function setMaxconnFrontend(args: string[], engine: StatsHost): CliAnswer {
  const name = args[3];
  const missing = findFrontend(engine, name);
  if (missing !== undefined) return cliErr(missing);
  const value = args[4];
  if (value === undefined || value === '') return cliErr('Integer value expected.\n');
  const maxconn = atoi(value);
  if (maxconn < 0) return cliErr('Value out of range.\n');
  engine.setFrontendMaxconn?.(name!, maxconn);
  return '';
}

/** `set maxconn global <n>` (cli_parse_set_maxconn_global): at most the limit the process started with; 0 or less is that limit. */
function setMaxconnGlobal(args: string[], engine: StatsHost): CliAnswer {
  const value = args[3];
  if (value === undefined || value === '') return cliErr('Expects an integer value.\n');
  const hard = engine.hardMaxconn?.() ?? 0;
  let maxconn = atoi(value);
  if (hard > 0 && maxconn > hard) return cliErr('Value out of range.\n');
  if (maxconn <= 0) maxconn = hard;
  engine.setGlobalMaxconn?.(maxconn);
  return '';
}

/**
 * `set maxconn server <b>/<s> <n>` (server_parse_maxconn_change_request, strtol's checks): the
 * server's limit from now on (0: none); requests queued for it are served when it grows.
 */
function setMaxconnServer(engine: StatsHost, backend: RuntimeBackend, server: RuntimeServer, value: string | undefined): CliAnswer {
  if (value === undefined || value === '') return cliErr('Require <maxconn>.\n');
  const n = strtol(value);
  if (!n) return cliErr('maxconn string empty or preceded by garbage');
  if (n.rest !== '') return cliErr('Trailing garbage in maxconn string');
  // A long stored in the server's int, as HAProxy does (`99999999999999999999` is -1 there too).
  backend.setServerMaxconn(server, Number(BigInt.asIntN(32, n.value)));
  engine.stats.sync();
  return '';
}

/** `disable frontend <fe>` (cli_parse_disable_frontend): its listeners stop accepting until `enable frontend`. */
function disableFrontend(args: string[], engine: StatsHost): CliAnswer {
  const name = args[2];
  const shutDown = 'Frontend was previously shut down, cannot disable.\n';
  const missing = findFrontend(engine, name, shutDown);
  if (missing !== undefined) return missing === shutDown ? cliMsg(missing, 5) : cliErr(missing);
  if (!engine.pauseFrontend || engine.pauseFrontend(name!) === 'already') return cliMsg('All sockets are already disabled.\n', 5);
  return '';
}

/** `shutdown frontend <fe>` (cli_parse_shutdown_frontend): its listeners close until a reload; what it has goes on. */
function shutdownFrontend(args: string[], engine: StatsHost): CliAnswer {
  const name = args[2];
  const missing = findFrontend(engine, name, 'Frontend was already shut down.\n');
  if (missing === 'Frontend was already shut down.\n') return cliMsg(missing, 5);
  if (missing !== undefined) return cliErr(missing);
  if (engine.stopFrontend?.(name!) === 'already') return cliMsg('Frontend was already shut down.\n', 5);
  return '';
}

/** `enable frontend <fe>` (cli_parse_enable_frontend): its paused listeners listen again. */
async function enableFrontend(args: string[], engine: StatsHost): Promise<CliAnswer> {
  const name = args[2];
  const missing = findFrontend(engine, name, 'Frontend was previously shut down, cannot enable.\n');
  if (missing !== undefined) return cliErr(missing);
  const result = engine.resumeFrontend ? await engine.resumeFrontend(name!) : 'already';
  if (result === 'already') return cliMsg('All sockets are already enabled.\n', 5);
  if (result === 'failed') return cliErr('Failed to resume frontend, check logs for precise cause (port conflict?).\n');
  return '';
}

/** `clear counters [all]`: the maxima at operator level, every counter at admin level (cli_parse_clear_counters). */
function clearCounters(args: string[], engine: StatsHost, session: CliSession): CliAnswer {
  const all = args[2] === 'all';
  if (all && RANK[session.level] < RANK.admin) return cliErr(PERMISSION_DENIED);
  engine.stats.clearCounters(all);
  return '';
}

/** `show table`'s answer: a dump (its head lines first, or nothing), else one of stick_table.c's cli_err messages. */
function tableDump(text: string): CliAnswer {
  return text === '' || text.startsWith('# table: ') ? text : cliErr(text);
}

/** What a table command may do at the session's levels (stick_table.c asks the socket's for a walk, the session's for a key). */
function tableAccess(session: CliSession): { socket: boolean; session: boolean } {
  return { socket: RANK[session.socketLevel] >= RANK.operator, session: RANK[session.level] >= RANK.operator };
}

/** `operator`, `user` (cli_parse_set_lvl): the session's level lowered; raising it is refused. */
function lower(session: CliSession, level: CliLevel): CliAnswer {
  if (RANK[level] > RANK[session.level]) return cliErr(PERMISSION_DENIED);
  session.level = level;
  return '';
}

/**
 * Finds `<backend>/<server>` and runs `then`, with HAProxy's errors (cli_find_server) for what is missing.
 * A `disabled` backend runs nothing, but HAProxy still finds it and its servers: "Proxy is disabled.",
 * or what `onDisabled` answers from the server's configuration (`get weight` reads it).
 */
function adminChange(engine: StatsHost, spec: string | undefined, then: (backend: RuntimeBackend, server: RuntimeServer) => CliAnswer,
  onDisabled?: (server: Server) => CliAnswer): CliAnswer {
  const slash = spec?.indexOf('/') ?? -1;
  if (!spec || slash < 0) return cliErr("Require 'backend/server'.\n");
  const backend = engine.backend(spec.slice(0, slash));
  if (!backend) {
    const disabled = engine.stats.view()?.config.proxies.find((p): p is Proxy => p.kind !== 'defaults' && p.kind !== 'frontend' && p.disabled && p.name === spec.slice(0, slash));
    if (!disabled) return cliErr('No such backend.\n');
    const configured = disabled.servers.find((s) => s.name === spec.slice(slash + 1));
    if (!configured) return cliErr('No such server.\n');
    return onDisabled ? onDisabled(configured) : cliErr('Proxy is disabled.\n');
  }
  const server = backend.server(spec.slice(slash + 1));
  if (!server) return cliErr('No such server.\n');
  return then(backend, server);
}

/**
 * `disable health|agent <b>/<s>` and `enable …` (cli_parse_{dis,en}able_{health,agent}): the check
 * stops or runs again; enabling one the server does not have is refused. The status column's change
 * ("UP" ⇄ "no check") is no state transition: lastchg stays, no event.
 */
function checkSwitch(engine: StatsHost, server: RuntimeServer, which: 'health' | 'agent', enabled: boolean): CliAnswer {
  const check = server.check;
  const configured = which === 'health' ? check?.settings.active === true : check?.agent !== undefined;
  if (!configured) return enabled ? cliErr(`${which === 'health' ? 'Health check' : 'Agent'} was not configured on this server, cannot enable.\n`) : '';
  if (which === 'health') check!.setHealthEnabled(enabled);
  else check!.setAgentEnabled(enabled);
  server.stats.relabel(server.status);
  engine.stats.sync();
  return '';
}

/**
 * `shutdown sessions server <b>/<s>` (cli_parse_shutdown_sessions_server): the exchanges holding a
 * slot on the server end as HAProxy's killed streams (502 and 'KH' before the answer, 'KD' after);
 * queued ones stay. The sessions of a TCP-mode backend are not kept per server in Loadstar: refused.
 */
function shutdownSessions(engine: StatsHost, backend: RuntimeBackend, server: RuntimeServer): CliAnswer {
  if (backend.mode === 'tcp') return cliErr("'shutdown sessions server' on a TCP-mode backend is not supported by Loadstar (HTTP mode is).\n");
  for (const frontend of engine.stats.view()?.frontends.values() ?? []) frontend.shutdownServerSessions(server);
  return '';
}

function setState(engine: StatsHost, backend: RuntimeBackend, server: RuntimeServer, state: 'ready' | 'drain' | 'maint'): CliAnswer {
  const result = setServerAdminState(engine, backend.name, server.name, state);
  engine.stats.sync();
  return result.ok ? '' : cliErr(`${result.error.message}\n`);
}

/**
 * `<weight>` or `<weight>%` of the configured weight, as `set weight` / `set server … weight` take it
 * (server_parse_weight_change_request: strtol, a relative weight capped at 256, and a backend whose
 * algorithm is static takes only its servers' initial weight or 0); every refusal is a cli_err.
 */
function weight(engine: StatsHost, backend: RuntimeBackend, server: RuntimeServer, value: string | undefined): CliAnswer {
  if (value === undefined || value === '') return cliErr('Require <weight> or <weight%>.\n');
  const n = strtol(value);
  if (!n) return cliErr('Empty weight string empty or preceded by garbage');
  const initial = server.config.options.weight;
  let w: number;
  if (n.rest === '%') {
    if (n.value < 0n) return cliErr('Relative weight must be positive.\n');
    w = Math.min(256, Math.floor((initial * Number(n.value > 25600n ? 25600n : n.value)) / 100));
  } else if (n.value < 0n || n.value > 256n) return cliErr('Absolute weight can only be between 0 and 256 inclusive.\n');
  else if (n.rest !== '') return cliErr('Trailing garbage in weight string');
  else w = Number(n.value);
  const proxy = backend.config;
  if (w !== 0 && w !== initial && !allowsDynamicServers(backend.balance.algorithm, proxy.hashType)) return cliErr("Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n");
  const result = setServerWeight(engine, backend.name, server.name, w);
  return result.ok ? '' : cliErr(`${result.error.message}\n`);
}

/** The dynamic-cookie commands' backend, with HAProxy's errors (cli_find_backend) when it is missing. */
function dynamicCookieChange(engine: StatsHost, name: string | undefined, then: (backend: RuntimeBackend) => CliAnswer | void): CliAnswer {
  if (name === undefined) return cliErr('A backend name is expected.\n');
  const backend = engine.backend(name);
  if (!backend) return cliErr('No such backend.\n');
  return then(backend) ?? '';
}

function setDynamicCookieKey(args: string[], engine: StatsHost): CliAnswer {
  return dynamicCookieChange(engine, args[3], (backend) => {
    const key = args[4];
    if (key === undefined) return cliErr('String value expected.\n');
    backend.setDynamicCookieKey(key);
  });
}

/** What `set server <b>/<s>` takes in HAProxy 2.6 (cli_parse_set_server). */
const SET_SERVER_SETTINGS = new Set(['addr', 'agent', 'agent-addr', 'agent-port', 'agent-send', 'check-addr', 'check-port', 'fqdn', 'health', 'ssl', 'state', 'weight']);

/** `set server` (cli_parse_set_server): its refusals are cli_err, what `addr` reports a LOG_WARNING message. */
function setServer(args: string[], engine: StatsHost): CliAnswer {
  const what = args[3];
  const usage = 'usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n';
  return adminChange(engine, args[2], (backend, server) => {
    if (what === 'state') {
      const state = args[4];
      if (state !== 'ready' && state !== 'drain' && state !== 'maint') return cliErr("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n");
      return setState(engine, backend, server, state);
    }
    if (what === 'weight') return weight(engine, backend, server, args[4]);
    if (what === 'addr') {
      if (args[4] === undefined || args[4] === '') return cliErr('set server <b>/<s> addr requires an address and optionally a port.\n');
      return cliMsg(setAddr(engine, backend, server, args[4], args[5] === 'port' ? args[6] ?? '' : undefined), WARNING);
    }
    if (what === 'health') return forceHealth(engine, backend, server, args[4]);
    if (what === 'agent') return forceAgent(engine, server, args[4]);
    // HAProxy's other settings are known words Loadstar does not change; anything else gets HAProxy's usage.
    if (what === undefined || !SET_SERVER_SETTINGS.has(what)) return cliErr(usage);
    return cliErr(`'set server ${what}' is not supported by Loadstar (state, weight, addr, health and agent are).\n`);
  });
}

/**
 * `set server <b>/<s> health up|stopping|down` (cli_parse_set_server): refused on a tracking server,
 * else the check's health and the server's state forced "changed from CLI" (ServerCheck.forceHealth).
 */
function forceHealth(engine: StatsHost, backend: RuntimeBackend, server: RuntimeServer, word: string | undefined): CliAnswer {
  if (server.track) return cliErr('cannot change health on a tracking server.\n');
  const op = word === 'up' ? 'UP' : word === 'stopping' ? 'NOLB' : word === 'down' ? 'DOWN' : undefined;
  if (op === undefined) return cliErr("'set server <srv> health' expects 'up', 'stopping', or 'down'.\n");
  // HAProxy forces a server without a check too: it gets its (never run) ServerCheck to hold the state.
  const check = server.check ?? engine.healthChecks?.()?.forcible(backend, server);
  if (!check) return cliErr("'set server health' on a server without a check or agent is not supported by Loadstar.\n");
  check.forceHealth(op, 'changed from CLI');
  engine.stats.sync();
  return '';
}

/** `set server <b>/<s> agent up|down`: refused unless the agent is enabled, else ServerCheck.forceAgent "changed from CLI". */
function forceAgent(engine: StatsHost, server: RuntimeServer, word: string | undefined): CliAnswer {
  const check = server.check;
  if (check?.agent === undefined || !check.agentEnabled) return cliErr('agent checks are not enabled on this server.\n');
  if (word !== 'up' && word !== 'down') return cliErr("'set server <srv> agent' expects 'up' or 'down'.\n");
  check.forceAgent(word === 'up', 'changed from CLI');
  engine.stats.sync();
  return '';
}

/**
 * `set server <b>/<s> addr <ip> [port <port>]`: HAProxy 2.6's srv_update_addr_port and its report. A
 * port it cannot read leaves the new address applied, as there.
 */
function setAddr(engine: StatsHost, backend: RuntimeBackend, server: RuntimeServer, addr: string, port: string | undefined): string {
  const by = " by 'stats socket command'\n";
  if (net.isIP(addr) === 0) return `Invalid addr '${addr}'${by}`;
  if (server.path !== undefined) return `Update for the current server address family is only supported through configuration file${by}`;
  let report = server.host === addr ? 'no need to change the addr' : `IP changed from '${server.host}' to '${addr}'`;
  const move = (newPort: number): void => {
    if (addr !== server.host || newPort !== server.port) backend.moveServer(server, addr, newPort);
    engine.stats.sync();
  };
  let newPort = server.port;
  if (port !== undefined) {
    report += ', ';
    // strtol, errno checked (a value beyond a long is refused), stored in a 16-bit port.
    const n = strtol(port);
    if (!n || n.overflow) {
      move(server.port);
      return `${report}problem converting port '${port}' to an int${by}`;
    }
    // A port map ('+N', '-N': the client's port shifted) is not something Loadstar servers do.
    if (port.startsWith('+') || port.startsWith('-')) {
      move(server.port);
      return `${report}port maps ('${port}') are not supported by Loadstar${by}`;
    }
    newPort = Number(BigInt.asUintN(16, n.value));
    report += newPort === server.port ? 'no need to change the port' : `port changed from '${server.port}' to '${newPort}'`;
  }
  move(newPort);
  return `${report}${by}`;
}

function showServersState(args: string[], engine: StatsHost): CliAnswer {
  const tables = engine.stats.view();
  if (!tables) return '';
  engine.stats.sync();
  return serversState(tables, args[3]) ?? cliErr("Can't find backend.\n");
}

/**
 * `show stat [domain proxy] [<iid|name> <type> <sid>] [typed|json|desc|up|no-maint]*` (cli_parse_show_stat):
 * the three words after the command, when there are three, are the proxy (a name, `#<id>`, else atoi:
 * -1 for all, 0 refused), the types' bits (1 frontends, 2 backends, 4 servers) and a server id (-1: all).
 */
function showStat(args: string[], engine: StatsHost): CliAnswer {
  const tables = engine.stats.view();
  if (!tables) return '';
  let arg = 2;
  if (args[arg] === 'domain') {
    arg++;
    if (args[arg] === 'resolvers') return cliErr("'show stat domain resolvers' is not supported by Loadstar (show resolvers is).\n");
    if (args[arg] !== 'proxy') return cliErr('Invalid statistics domain.\n');
    arg++;
  }
  let filter: StatFilter | undefined;
  if (args[arg] !== undefined && args[arg + 1] !== undefined && args[arg + 2] !== undefined) {
    const word = args[arg]!;
    const ids = proxyIds(tables);
    const named = word.startsWith('#') ? [...ids.values()].find((id) => id === atoi(word.slice(1))) : ids.get(word);
    const iid = named ?? atoi(word);
    if (iid === 0) return cliErr('No such proxy.\n');
    filter = { proxy: iid === -1 ? undefined : iid, types: atoi(args[arg + 1]!), sid: atoi(args[arg + 2]!) };
    arg += 3;
  }
  const flags = new Set(args.slice(arg));
  engine.stats.sync();
  let rows = filterRows(statRows(tables), filter);
  if (flags.has('up')) rows = rows.filter((r) => r.type !== 2 || r.server!.usable);
  if (flags.has('no-maint')) rows = rows.filter((r) => r.type !== 2 || r.server!.status !== 'MAINT');
  // The last of typed and json wins.
  const format = args.slice(arg).filter((w) => w === 'typed' || w === 'json').pop();
  return format === 'json' ? statJson(rows) : format === 'typed' ? statTyped(rows) : statCsv(rows);
}

/**
 * `expert-mode|experimental-mode [on|off]` (cli_parse_expert_experimental_mode): this session's mode
 * (anything but `on` turns it off); without a word, whether it is on. Not listed, as in HAProxy.
 */
function sessionMode(args: string[], _engine: StatsHost, session: CliSession): CliAnswer {
  const mode = args[0]!;
  const modes = (session.modes ??= new Set());
  if (args[1] === undefined) return cliMsg(`${mode} is ${modes.has(mode) ? 'ON' : 'OFF'}\n`);
  if (args[1] === 'on') modes.add(mode);
  else modes.delete(mode);
  return '';
}

/** `show cli sockets` (cli_io_handler_show_cli_sock): each runtime API socket, its level, and "all" processes. */
function showCliSockets(session: CliSession): string {
  return '# socket lvl processes\n' + (session.sockets?.() ?? []).map((s) => `${s.address} ${s.level} all\n`).join('');
}

/**
 * `show ssl providers` (cli_io_handler_show_providers): the OpenSSL providers loaded — Node's OpenSSL 3
 * loads the default one, and the legacy one when started with --openssl-legacy-provider.
 */
function showSslProviders(): string {
  const legacy = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)].includes('--openssl-legacy-provider');
  return `Loaded providers : \n\t- default\n${legacy ? '\t- legacy\n' : ''}`;
}
