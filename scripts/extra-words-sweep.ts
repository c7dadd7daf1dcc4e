/**
 * Extra-words sweep: each directive line of the valid corpus (test/scenarios/valid/*.cfg, each of
 * which `haproxy -c` accepts) with a word too many (`L junk`, `L 1`) and with its last word
 * removed, through `haproxy -c` and Loadstar's parser: prints, grouped by keyword, where one
 * accepts the changed file and the other refuses it (HAProxy's parsers check extra words only
 * where they call alertif_too_many_args*() or read *args[n]). A line ending in a condition
 * (`… if X`) gets its words added or removed before the condition (after it they would be ACL
 * names). Built-in lines below cover keywords the corpus lacks. Not part of `npm test`: it runs
 * haproxy about 4500 times (two minutes or so).
 *
 *   node --import tsx scripts/extra-words-sweep.ts [--all] [--messages] [keyword-regexp]
 *     --all       prints every disagreeing line, not one per keyword and variant
 *     --messages  also counts a line both refuse as a disagreement when no Loadstar alert
 *                 contains haproxy's first one (without its "parsing [file:line] :" head)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseConfig } from '../proxy/config/index.ts';
import { lexLine } from '../proxy/config/lexer.ts';
import { SCENARIOS as scenarios, compareVariants, printDiffs, type Variant } from './lib/sweep.ts';

/** At most this many lines per keyword (env PER_KEY; default all: about two minutes). */
const PER_KEY = Number(process.env.PER_KEY ?? Infinity);
const argv = process.argv.slice(2);
const all = argv.includes('--all');
const messages = argv.includes('--messages');
const filter = argv.find((a) => !a.startsWith('--'));
const only = filter ? new RegExp(filter) : undefined;

const SECTIONS = new Set(['global', 'defaults', 'frontend', 'backend', 'listen', 'userlist', 'peers', 'resolvers', 'mailers', 'cache', 'program', 'http-errors', 'ring', 'crt-store', 'traces']);
/** Keywords whose next word (or two) names the directive. */
const TWO = new Set(['option', 'timeout', 'stats', 'http-request', 'http-response', 'http-after-response', 'http-check', 'tcp-check', 'capture', 'stick', 'compression', 'no', 'default', 'tune.ssl', 'errorloc', 'declare', 'email-alert', 'external-check', 'unique-id-format', 'filter']);
const THREE = new Set(['tcp-request', 'tcp-response', 'no option', 'default option', 'stats http-request']);

function keyOf(words: readonly string[]): string {
  let n = 1;
  if (TWO.has(words[0]!)) n = 2;
  if (THREE.has(words.slice(0, 2).join(' ')) || THREE.has(words[0]!)) n = 3;
  // An action's name ends at its parenthesis: `set-var(txn.x)` is `set-var`.
  return words.slice(0, n).map((w) => w.replace(/\(.*$/, '')).join(' ');
}

const variants: Variant[] = [];

/** `L junk`, `L 1` and L without its last word (before a condition, if L has one), as copies of the file. */
function addVariants(file: string, lines: readonly string[], i: number, words: ReturnType<typeof lexLine>['words'], key: string): void {
  const raw = lines[i]!;
  const indent = /^\s*/.exec(raw)![0];
  const cond = words.findIndex((w, j) => j > 0 && (w.value === 'if' || w.value === 'unless') && w.raw === w.value);
  const head = (cond < 0 ? words : words.slice(0, cond)).map((w) => w.raw);
  const tail = cond < 0 ? [] : words.slice(cond).map((w) => w.raw);
  const make = (kind: string, h: string[]) => {
    const line = indent + [...h, ...tail].join(' ');
    const copy = lines.slice();
    copy[i] = line;
    variants.push({ file, lineNo: i + 1, key, kind, line: line.trim(), text: copy.join('\n') });
  };
  make('+junk', [...head, 'junk']);
  make('+1', [...head, '1']);
  if (head.length > 1) make('-last', head.slice(0, -1));
}
const perKey = new Map<string, number>();
const files = fs.readdirSync(path.join(scenarios, 'valid')).filter((f) => f.endsWith('.cfg')).sort();
for (const f of files) {
  const text = fs.readFileSync(path.join(scenarios, 'valid', f), 'utf8');
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const lexed = lexLine(raw);
    const words = lexed.words;
    if (words.length === 0 || SECTIONS.has(words[0]!.value) || words.some((w) => w.raw === '')) return;
    const key = keyOf(words.map((w) => w.value));
    if (only && !only.test(key)) return;
    const seen = perKey.get(key) ?? 0;
    if (seen >= PER_KEY) return;
    perKey.set(key, seen + 1);
    addVariants(f, lines, i, words, key);
  });
}

/**
 * Lines of keywords the corpus does not use (or uses in one form only), each valid in haproxy 2.6
 * in the file below (global lines in its global section, the others in its listen section).
 */
const EXTRA_GLOBAL = [
  'noreuseport', 'nosplice', 'busy-polling', 'strict-limits', 'h1-accept-payload-with-any-method',
  'pp2-never-send-local', 'h2-workaround-bogus-websocket-clients', 'master-worker no-exit-on-failure', 'maxconnrate 100',
  'maxsessrate 100', 'maxsslrate 100', 'maxsslconn 100', 'maxzlibmem 10', 'ulimit-n 4096', 'spread-checks 5', 'node lb1',
  'log-tag lb', 'log-send-hostname lb', 'description my lb', 'hard-stop-after 30s', 'ssl-server-verify none',
  'ssl-default-server-ciphersuites TLS_AES_128_GCM_SHA256', 'ssl-default-server-options ssl-min-ver TLSv1.2', 'ca-base /etc/ssl/certs',
  'crt-base /etc/ssl/private', 'tune.ssl.maxrecord 1400', 'tune.ssl.ssl-ctx-cache-size 1000', 'tune.h2.initial-window-size 65535',
  'tune.comp.maxlevel 5', 'tune.http.cookielen 63', 'tune.idletimer 1000', 'stats timeout 30s',
  'setenv LS_SWEEP x', 'presetenv LS_SWEEP2 y', 'unsetenv LS_SWEEP3', 'h1-case-adjust content-type Content-Type',
  'httpclient.ssl.verify none', 'httpclient.resolvers.prefer ipv4', 'localpeer lb1', 'fd-hard-limit 4096', 'tune.sched.low-latency on',
];
const EXTRA_LISTEN = [
  'id 5', 'disabled', 'enabled', 'fullconn 100', 'backlog 100', 'maxconn 100', 'retries 3', 'option redispatch 2', 'option abortonclose',
  'option allbackups', 'option checkcache', 'option contstats', 'option http-buffer-request', 'option http-ignore-probes',
  'option prefer-last-server', 'option logasap', 'option nolinger', 'option persist', 'option splice-auto',
  'option dontlog-normal', 'option log-separate-errors', 'option log-health-checks', 'option socket-stats', 'option tcp-smart-accept',
  'option tcp-smart-connect', 'option independent-streams', 'option http-pretend-keepalive', 'option http-no-delay',
  'option disable-h2-upgrade', 'option httpclose', 'option http-keep-alive', 'option tcpka', 'option clitcpka', 'option srvtcpka',
  'option http-restrict-req-hdr-names delete', 'no option http-server-close', 'http-reuse safe', 'http-reuse always', 'hash-type consistent',
  'cookie SRV insert indirect nocache', 'stats enable', 'stats uri /st', 'stats realm Lb', 'stats auth a:b', 'stats refresh 5s',
  'stats scope .', 'stats hide-version', 'stats show-legends', 'stats admin if TRUE', 'monitor-uri /up', 'capture cookie c len 10',
  'errorloc 503 /e', 'errorloc302 503 /e', 'errorloc303 503 /e', 'http-error status 503 content-type text/plain string down',
  'default-server inter 2s fall 3 rise 2', 'server s2 127.0.0.1:8082 weight 10 maxconn 5 maxqueue 5 minconn 1 init-addr none',
  'compression algo gzip', 'compression type text/html', 'option forwardfor except 127.0.0.0/8', 'option originalto',
  'option httplog clf', 'option tcplog', 'option http-server-close', 'timeout http-request 5s', 'timeout queue 5s', 'timeout tunnel 1h',
  'timeout check 2s', 'timeout http-keep-alive 5s', 'log 127.0.0.1:514 local0 info notice', 'log stdout format raw local0',
  'http-request set-header X-A b', 'http-request del-header X-A', 'http-request deny deny_status 403', 'http-request redirect scheme https',
  'http-request set-var(txn.a) str(b)', 'http-request set-var-fmt(txn.a) b', 'http-request unset-var(txn.a)', 'http-request capture path len 10',
  'http-request track-sc0 src', 'http-request set-log-level info', 'http-response set-header X-A b', 'http-response del-header X-A',
  'http-after-response set-header X-A b', 'tcp-request inspect-delay 5s', 'tcp-request content accept', 'tcp-request content track-sc1 src',
  'tcp-request content set-var(txn.b) str(c)', 'tcp-request connection accept', 'tcp-response content accept',
  'stick on src', 'stick match src', 'stick store-request src', 'http-check send meth GET uri /', 'http-check expect status 200',
  'http-check disable-on-404', 'http-check send-state', 'http-check comment c', 'http-check set-var-fmt(check.a) b',
  'tcp-check comment c', 'tcp-check send PING', 'tcp-check expect string PONG', 'persist rdp-cookie', 'use-server s1 if TRUE',
  'force-persist if TRUE', 'ignore-persist if FALSE', 'redirect prefix /a code 301 if FALSE', 'unique-id-format %{+X}o%ci',
  'unique-id-header X-Id', 'declare capture request len 10', 'http-request set-path /a', 'http-request return status 200',
];
const EXTRA_TEXT = `global
    maxconn 100
@@GLOBAL
defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
listen sweep
    bind 127.0.0.1:18080
    stick-table type ip size 1k store gpc0
@@LISTEN
    server s1 127.0.0.1:8081
`;
{
  const text = EXTRA_TEXT.replace('@@GLOBAL', EXTRA_GLOBAL.map((l) => `    ${l}`).join('\n')).replace('@@LISTEN', EXTRA_LISTEN.map((l) => `    ${l}`).join('\n'));
  // The file itself must load in both, or every variant of it would differ for another reason.
  fs.writeFileSync(path.join(os.tmpdir(), 'loadstar-extra-words-base.cfg'), text);
  const base = spawnSync('haproxy', ['-c', '-f', path.join(os.tmpdir(), 'loadstar-extra-words-base.cfg')], { encoding: 'utf8' });
  const baseAlerts = parseConfig([{ name: 'built-in.cfg', text }]).diagnostics.filter((d) => d.severity !== 'warning');
  if (base.status !== 0 || baseAlerts.length > 0) {
    console.log(`the built-in lines do not load (haproxy ${base.status}, loadstar ${baseAlerts.length} alerts): ${`${base.stdout}${base.stderr}`.split('\n').find((l) => l.includes('ALERT')) ?? baseAlerts[0]?.message}`);
    process.exit(2);
  }
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const words = lexLine(raw).words;
    if (words.length === 0 || !(EXTRA_GLOBAL.includes(raw.trim()) || EXTRA_LISTEN.includes(raw.trim()))) return;
    const key = keyOf(words.map((w) => w.value));
    if (!only || only.test(key)) addVariants('built-in', lines, i, words, key);
  });
}

const started = Date.now();
const diffs = compareVariants(variants, { messages });
// One entry per keyword, variant and direction (unless --all).
const groups = printDiffs(diffs, (d) => (all ? `${d.v.file}:${d.v.lineNo}${d.v.kind}` : `${d.v.key}|${d.v.kind}|${d.ha}|${d.ls}`));
console.log(`${variants.length} variants of ${[...perKey.values()].reduce((a, b) => a + b, 0)} lines (${perKey.size} keywords), ${diffs.length} differ (${groups} groups), ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exitCode = diffs.length > 0 ? 1 : 0;
