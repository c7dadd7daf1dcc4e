/** Renders docs/configuration.md: every keyword HAProxy 2.6 has, with Loadstar's status. */
import { allGlobalKeywords, allProxyKeywords, statusText } from './keywords.ts';
import type { KeywordSpec } from './keywords.ts';
import { HAPROXY_GLOBAL_KEYWORDS, HAPROXY_PROXY_KEYWORDS } from './haproxy-keywords.ts';
import { RESOLVERS_KEYWORDS, USERLIST_KEYWORDS } from './kw-sections.ts';
import { PEERS_KEYWORDS } from './kw-peers.ts';
import { MAILERS_KEYWORDS } from './kw-mailers.ts';
import { PROGRAM_KEYWORDS } from './kw-program.ts';
import { CACHE_KEYWORDS } from './kw-cache.ts';
import { RING_KEYWORDS } from './kw-ring.ts';
import { FCGI_APP_KEYWORDS } from './kw-fcgi.ts';
import { LOG_FORWARD_KEYWORDS } from './kw-log-forward.ts';
import { HTTP_ERRORS_KEYWORDS } from './kw-errors.ts';
import './parser.ts';
import './kw-global.ts';
import './kw-global-vars.ts';

const SECTION_NAMES: Record<string, string> = { d: 'defaults', n: 'named defaults', f: 'frontend', l: 'listen', b: 'backend', g: 'global' };

function row(spec: KeywordSpec<never>): string {
  const sections = [...spec.sections].map((c) => SECTION_NAMES[c]).join(', ');
  return `| \`${spec.name}\` | ${statusText(spec.status)} | ${sections} | ${spec.summary.replace(/\|/g, '\\|')} |`;
}

export function renderConfigurationDoc(): string {
  const proxy = allProxyKeywords().sort((a, b) => a.name.localeCompare(b.name));
  const global = allGlobalKeywords().sort((a, b) => a.name.localeCompare(b.name));
  const registered = new Set([...proxy.map((k) => k.name), ...global.map((k) => k.name)]);
  // `http-check send`, `email-alert from` …: one keyword parses all of its second words.
  const family = (k: string): boolean => ['http-check', 'tcp-check', 'email-alert', 'external-check', 'persist'].some((f) => k.startsWith(`${f} `) && registered.has(f));
  const missingProxy = HAPROXY_PROXY_KEYWORDS.map(([k]) => k).filter((k) => !registered.has(k) && !family(k));
  // `stats` in the global section is a family too (`stats socket`, `stats timeout` …).
  const missingGlobal = HAPROXY_GLOBAL_KEYWORDS.filter((k) => !registered.has(k) && !k.startsWith('tune.') && !(k === 'stats' && [...registered].some((r) => r.startsWith('stats '))));
  const count = (level: string) => [...proxy, ...global].filter((k) => k.status.level === level).length;
  return `# Configuration reference

Loadstar reads HAProxy's configuration language (the \`haproxy.cfg\` of HAProxy 2.6):
an existing file runs unchanged as long as it uses the keywords marked below, and
every file Loadstar writes is accepted by \`haproxy -c\`. Check a file with:

    npx loadstar check -f haproxy.cfg

Diagnostics use HAProxy's shape, with a line number for every one of them:

    [ALERT] parsing [haproxy.cfg:12] : unknown keyword 'balanse' in 'backend' section; did you mean 'balance' maybe ?

**Status legend**
- *supported*: behaves as in HAProxy.
- *parsed; behaviour pending #N*: the keyword is parsed and validated exactly as HAProxy does;
  the behaviour arrives with issue #N (or the named topic).
- *accepted, no effect (warning)*: the keyword cannot change traffic in Loadstar (process
  management, kernel tuning); Loadstar warns and goes on.
- *not supported yet*: a keyword HAProxy has and Loadstar does not implement; the
  configuration is rejected with an error naming it, never silently ignored.

This page is generated from the keyword registry (\`npm run docs:config\`); a test fails when it is stale.
Registered keywords: ${registered.size} (${count('supported')} supported, ${count('pending')} pending, ${count('no-effect')} without effect).

Syntax follows HAProxy: whitespace-separated words, \`#\` comments, backslash escapes,
'single' and "double" quotes, \`"\${VAR}"\` / \`"\${VAR-default}"\` / \`"\${VAR[*]}"\` inside double quotes,
\`.if/.elif/.else/.endif\` conditional blocks, time units \`us ms s m h d\`.

## Sections

| section | status |
|---|---|
| \`global\`, \`defaults\` (anonymous or named, \`from NAME\`), \`frontend\`, \`backend\`, \`listen\` | parsed; behaviour as per keyword below |
| \`resolvers\` (${RESOLVERS_KEYWORDS.map((k) => `\`${k}\``).join(', ')}) | supported: servers with \`resolvers <id>\` resolve their host name at run time (HAProxy 2.6's §5.3): every nameserver is asked over UDP every \`timeout resolve\`, A or AAAA first by \`resolve-prefer\` and the other family when every nameserver fails, again after \`timeout retry\` up to \`resolve_retries\` times; an address change applies to new connections and is logged as HAProxy does ("be/s changed its IP from … to … by resolvers/ns."); NXDOMAIN, refusal, silence and other errors put the server in maintenance "MAINT (resolution)" once they outlast their \`hold\`; records unseen for \`hold obsolete\` are dropped. \`parse-resolv-conf\` adds /etc/resolv.conf's nameservers, \`accepted_payload_size\` is announced with EDNS0. \`show resolvers\` prints the counters. SRV labels (\`_http._tcp.name\`) fill \`server-template\` slots with the records' targets, ports and weights. Refused: TCP nameservers (\`tcp@\`) |
| \`userlist\` (${USERLIST_KEYWORDS.map((k) => `\`${k}\``).join(', ')}) | supported (\`insecure-password\`, and \`password\` crypt(3) hashes: SHA-512 \`$6$\`, SHA-256 \`$5$\`, MD5 \`$1$\`, bcrypt \`$2a$\`/\`$2b$\`/\`$2y$\`, DES; yescrypt \`$y$\` and other schemes, and hashes of more than 250000 rounds or a bcrypt cost above 13 (each wrong password pays it on the engine's thread), are refused by \`loadstar run\`; verified credentials are remembered per configuration load) |
| \`http-errors\` (${HTTP_ERRORS_KEYWORDS.map((k) => `\`${k}\``).join(', ')}) | supported (imported by \`errorfiles\` and the \`errorfiles\` of deny / return rules) |
| \`peers\` (${PEERS_KEYWORDS.map((k) => `\`${k}\``).join(', ')}) | the local peer only (named by global \`localpeer\`, else the host name): a \`stick-table … peers NAME\` keeps its entries across a reload when its type, \`len\`, \`size\` and \`store\` are unchanged (HAProxy's hand-over to the new process). \`table <name> type … size …\` declares the table \`<peers>/<name>\` (track-sc, stick and table_* name it so), kept across reloads the same way. Other peers (table synchronisation between hosts) are refused; \`bind\`, \`default-bind\`, \`default-server\` and \`log\` are accepted and open nothing; \`disabled\` turns the hand-over off |
| \`mailers\` (${MAILERS_KEYWORDS.map((k) => `\`${k}\``).join(', ')}) | supported: proxies' \`email-alert\` lines mail their servers' state changes to every mailer of the section, with HAProxy 2.6's SMTP exchange (HELO, MAIL FROM, RCPT TO, DATA, QUIT; no TLS, no authentication) |
| \`cache\` (${CACHE_KEYWORDS.map((k) => `\`${k}\``).join(', ')}) | supported: HAProxy 2.6's small object cache, used by \`http-request cache-use\` and \`http-response cache-store\` (and \`filter cache\`). Only 200 answers to GET over HTTP/1.1 or later with an expiry or a validator are stored, keyed by host and URI; hits answer HEAD too, 304 to a matching If-None-Match / If-Modified-Since, with an Age header, logged as server \`<CACHE>\`, without contacting a server. Contents live in memory and start empty on each reload; \`show cache\` lists them |
| \`fcgi-app\` (${FCGI_APP_KEYWORDS.map((k) => `\`${k}\``).join(', ')}) | supported: FastCGI applications (php-fpm and the like) for backends with \`use-fcgi-app\` and \`server … proto fcgi\` (plain TCP or a UNIX socket), as HAProxy 2.6 speaks to them: the CGI/1.1 parameters of configuration.txt §10.2 (SCRIPT_NAME / PATH_INFO from \`path-info\` on the URL-decoded path, \`index\`, \`docroot\`), the request's headers as HTTP_* (Authorization, Proxy-Authorization and hop-by-hop ones hidden unless \`pass-header\` names them), \`set-param\` values (log-format, with conditions on the section's own ACLs); the CGI answer's \`Status:\` becomes the status line, a Date and the length of a whole body are added, else it goes chunked; STDERR goes to \`log-stderr\` targets. One request at a time per connection (\`option mpxs-conns\` and \`max-reqs\` are accepted, multiplexing is not done); \`option keep-conn\` (default) keeps connections for the next requests; \`option get-values\` asks FCGI_GET_VALUES. SERVER_SOFTWARE is "Loadstar". \`check\` is a TCP check, with \`option httpchk\` an HTTP check sent through FastCGI as HAProxy's check mux does. Refused: \`check-proto fcgi\`, \`http-check connect proto fcgi\`, \`ssl\`, \`send-proxy\` and \`socks4\` on fcgi servers |
| \`program\` (${PROGRAM_KEYWORDS.map((k) => `\`${k}\``).join(', ')}) | supported with global \`master-worker\` (required, as in HAProxy): the engine starts each command beside it, sends every running instance SIGUSR1 on a reload and starts a new one unless \`no option start-on-reload\`, and SIGTERM on stop; a current program ending with a status other than 0, 130 or 143 stops the engine (HAProxy's exit-on-failure; \`loadstar run\` then exits with the program's status, as HAProxy's master does) unless \`master-worker no-exit-on-failure\`. Messages as HAProxy's master prints them ("New program 'x' (pid) forked", "Current/Former program … exited with code N") |
| \`log-forward\` (${LOG_FORWARD_KEYWORDS.map((k) => `\`${k}\``).join(', ')}) | supported: a syslog relay, as haproxy 2.6.12 runs it. Messages received on \`dgram-bind\` (UDP, one per datagram) and \`bind\` (TCP: octet counting \`<len> <msg>\` or LF-terminated, RFC 6587) are read as HAProxy reads them (RFC 5424, RFC 3164, or raw; facility and level from \`<PRI>\`) and sent to each \`log\` target of the section: in the target's \`format\`, else in the message's own; a target below the message's level skips it, its minimum level raises it; the message's facility is kept, the target's used without \`<PRI>\`. TCP: \`maxconn\` (default 10) connections are read at once, the next waits until one ends (haproxy 2.6.12 accepts no more once it is reached); after \`timeout client\` without data a connection is read no more but left open, as haproxy 2.6.12 leaves it. Refused: UNIX datagram \`dgram-bind\` addresses (Node.js has no UNIX datagram sockets); \`loadstar run\` refuses \`ssl\` and \`accept-proxy\` on its \`bind\` lines |
| \`ring\` (${RING_KEYWORDS.map((k) => `\`${k}\``).join(', ')}) | supported: an in-memory buffer of the latest \`size\` bytes (default 16384) of messages, which \`log ring@<name>\` lines write in the ring's \`format\` (default raw; the log line's own format does not apply), each cut to the line's \`len\` and then to the ring's \`maxlen\`, the oldest dropped to make room and a line that can never fit counted and announced ("N events dropped"), as HAProxy 2.6's sink does; \`ring@buf0\` is HAProxy's own 1 MB ring. The runtime API's \`show events\` lists the sinks and dumps a ring (\`-n\`: from the newest end; \`-w\`, waiting for more, is refused in an interactive session; a non-interactive one's dump just ends). Rings start empty on each reload. Each \`server\` gets the ring's messages over TCP as HAProxy's forwarder sends them, oldest first: a newline after each, or \`<length> <message>\` with \`log-proto octet-count\`; once connected it keeps its place across reconnections (messages it has not sent are not dropped, new ones are refused and counted instead), reconnects 1 s after a closed or failed connection, \`timeout connect\` bounds an attempt and \`timeout server\` a write the server does not take; no \`ssl\`. Every \`log ring@<name>\` must name a ring |

## Proxy keywords (defaults, frontend, listen, backend)

| keyword | status | sections | what it does |
|---|---|---|---|
${proxy.map(row).join('\n')}

## Global keywords

| keyword | status | sections | what it does |
|---|---|---|---|
${global.map(row).join('\n')}
| \`tune.bufsize\`, \`tune.maxrewrite\`, \`tune.http.maxhdr\` | supported | global | Request head and header-count limits, enforced as HAProxy does. |
| \`tune.ssl.ssl-ctx-cache-size\` | supported | global | How many certificates \`generate-certificates\` keeps per bind (default 1000; 0 makes one per handshake). |
| \`tune.*\` (others) | accepted, no effect (warning) | global | HAProxy allocator and buffer tuning. |

## HAProxy keywords not supported yet

Using one of these is an error that names it.

Proxy: ${missingProxy.map((k) => `\`${k}\``).join(', ')}.

Global: ${missingGlobal.map((k) => `\`${k}\``).join(', ')}.
`;
}
