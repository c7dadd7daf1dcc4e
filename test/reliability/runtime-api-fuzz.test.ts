/**
 * Hostile runtime API clients: every command of the registry (what `help` lists, the unlisted ones
 * and the built-ins) sent with seeded arguments — missing, extra, empty, huge or odd numbers, 64 KiB
 * words, unknown names, `px/`, `/srv`, two slashes, bytes that are not UTF-8, control bytes, quotes
 * and backslashes —, chained with ';', followed by `<<` payloads ended or not, at lower levels, in
 * interactive mode, or without their last newline before the client closes. Then hostile forms
 * POSTed to the stats page's admin action. The engine runs in a child process (a crash is an exit
 * seen here, not the end of the test run); after each batch it must still answer `show info`,
 * proxy a request and serve the stats page. Recorded as findings: an exit, a connection not answered within 5 s (a hang),
 * a command that threw (runtime-api.ts answers its message and logs an alert with the stack), an
 * answer carrying a JavaScript error's text.
 * Count and time bounded (SEED and CLI_FUZZ_CASES change them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { prng } from './lib/mutate.ts';
import { startLoadstar } from './lib/loadstar-process.ts';
import type { LoadstarProcess } from './lib/loadstar-process.ts';
import { freePort, startNamedServer } from '../helpers/net.ts';
import { writeSiteCertificate } from '../proxy/stats/helpers.ts';
import { commandWords } from '../../proxy/stats/commands.ts';

const SEED = Number(process.env.SEED ?? 20261205);
const CASES = Number(process.env.CLI_FUZZ_CASES ?? 4000);
const BATCH = Number(process.env.CLI_FUZZ_BATCH ?? 250);
/** Connections at once: the machine is shared. */
const PARALLEL = 4;
const BUDGET_MS = Number(process.env.CLI_FUZZ_BUDGET_MS ?? 30_000);
const ANSWER_MS = 5000;

interface Ports { cli: number; web: number; page: number; tls: number; probe: number; origin: number }

function config(dir: string, p: Ports): string {
  return `global
    stats socket ipv4@127.0.0.1:${p.cli} level admin
    stats timeout 10s
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${p.web}
    stick-table type ip size 100 expire 30s store gpc0,conn_cnt,http_req_rate(10s)
    http-request track-sc0 src
    acl blocked src -f ${dir}/blocked.lst
    http-request deny if blocked
    http-request set-header x-m %[path,map(${dir}/paths.map,none)]
    default_backend app
frontend page
    bind 127.0.0.1:${p.page}
    stats enable
    stats uri /stats
    stats admin if TRUE
frontend tls
    bind 127.0.0.1:${p.tls} ssl crt-list ${dir}/list.txt ca-file ${dir}/site.pem verify optional tls-ticket-keys ${dir}/ticket.keys
    default_backend app
frontend probe
    bind 127.0.0.1:${p.probe}
    default_backend probe_be
backend app
    cookie SRV insert dynamic
    dynamic-cookie-key k1
    server s1 127.0.0.1:${p.origin} check inter 10s
    server s2 127.0.0.1:${p.origin} weight 10 maxconn 5
    server s3 127.0.0.1:9 disabled
backend tcp_be
    mode tcp
    server t1 127.0.0.1:9
backend probe_be
    server origin 127.0.0.1:${p.origin}
`;
}

/** Names and values the generator picks arguments from (the probe frontend and its backend are never named). */
function argumentPool(dir: string): string[] {
  return [
    '', '""', "''", '0', '1', '-1', '2147483648', '4294967296', '9007199254740993', '-2147483649', '1e309', '-1e309', 'NaN', 'Infinity', '0x10', '0x', '-0', '+5',
    '1.5', '99999999999999999999999999', '256', '257', '%', '50%', '101%', '1e3%', '-5%', '10s', '1ms', '99999999d', '1us',
    'a'.repeat(60_000), 'nosuch', 'nosuch/nosuch', 'app/', '/s1', '/', '//', 'app/s1/x', 'app//s1', 'app/s1', 'app/s2', 'app/s3', 'tcp_be/t1', 'app/new', 'app/nosuch',
    'web', 'tls', 'app', 'tcp_be', '#0', '#1', '#-1', '#99999999999', '@0', '@1', '@-1', '@99999999999', '@', '@x',
    `${dir}/paths.map`, `${dir}/blocked.lst`, `${dir}/site.pem`, `${dir}/list.txt`, `${dir}/site.pem:1`, `${dir}/site.pem:0`, `${dir}/site.pem:-1`, `${dir}/site.pem:99999999999`,
    `*${dir}/site.pem`, `${dir}/new.pem`, `${dir}/ticket.keys`, `${dir}/list.txt:1`, `${dir}/site.pem:x`,
    'web', 'key', 'data.gpc0', 'data.conn_cnt', 'data.http_req_rate', 'data.nosuch', 'data.', 'gt', 'eq', 'lt', 'ne', '127.0.0.1', '::1', '300.1.1.1', '1.2.3.4',
    '*', 'on', 'off', 'all', 'ready', 'drain', 'maint', 'state', 'weight', 'addr', 'port', 'agent', 'health', 'fqdn', 'ssl', 'check-port', 'agent-send',
    'cli', 'global', 'connections', 'sessions', 'ssl-sessions', 'http-compression', 'json', 'typed', 'desc', 'float', 'up', 'no-maint', 'request', 'response',
    'check', 'inter', 'weight', 'maxconn', 'backup', 'cookie', 'verify', 'none', 'sni', 'alpn', 'h2', 'proto', 'id', 'track', 'app/s1',
    '127.0.0.1:1', '127.0.0.1:99999', '127.0.0.1:-1', 'unix@/tmp/x', '[::1]:80', '-n', 'json', 'number', 'string', 'proc.x', 'txn.x', 'proc.',
    '\xff\xfe\xc0\x80', '\x00', '\x01\x02\x1b[2J', '\x7f', '\r', 'é', '\u{1f600}', 'a\\ b', '\\', '"quoted word"', "'single quoted'", '"unterminated', 'x<<', '<<',
    'a;b', ';', 'help', 'quit', 'prompt',
  ];
}

function payloadPool(): string[] {
  const der = crypto.randomBytes(40).toString('base64');
  return [
    '', '\n', 'garbage', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', '-----BEGIN PRIVATE KEY-----',
    der, '!!!not base64!!!', 'k v\nk2 v2\n' + 'x '.repeat(3000), 'key1 val1', '127.0.0.1', 'a'.repeat(60_000),
    `${'\xff'.repeat(10)}\x00\x01`, crypto.randomBytes(48).toString('base64'), 'site.pem [ssl-min-ver TLSv1.2] a.test', '[', '# comment\n\n',
  ];
}

interface Finding { kind: string; detail: string; input: string }

/** What an answer carries when an exception reached runtime-api.ts's catch (V8's messages). */
const JS_ERROR = /Cannot read propert|Cannot set propert|is not a function|is not iterable|is not defined|Invalid (array|string) length|Maximum call stack|RangeError|TypeError|SyntaxError|Invalid time value|Unexpected token|out of memory|\bundefined\b|\[object Object\]/;

/** One connection: `data` written, half-closed (or not, for an interactive quit), the answer read until the engine closes. */
function exchange(port: number, data: Buffer): Promise<{ out: string; hung: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let hung = false;
    const timer = setTimeout(() => { hung = true; s.destroy(); }, ANSWER_MS);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(timer); resolve({ out: Buffer.concat(chunks).toString('latin1'), hung }); });
    s.on('connect', () => s.end(data));
  });
}

/** One HTTP/1.1 request with a body on a fresh connection; the status line, or '' when the engine closed without one. */
function httpRequest(port: number, head: string, body: Buffer, waitMs = ANSWER_MS): Promise<{ status: string; hung: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let raw = '';
    let hung = false;
    const timer = setTimeout(() => { hung = true; s.destroy(); }, waitMs);
    s.on('data', (d: Buffer) => { raw += d.toString('latin1'); if (raw.includes('\r\n\r\n')) s.destroy(); });
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(timer); resolve({ status: raw.split('\r\n')[0] ?? '', hung }); });
    s.on('connect', () => { s.write(head); s.write(body); });
  });
}

/**
 * Plausible values for each command's arguments, by position (the usage's slots), so that hostile
 * values reach the code past the name lookups; `*` pools are the named ones below.
 */
function slotTemplates(dir: string): Record<string, string[][]> {
  const NUM = ['0', '1', '-1', '2147483647', '2147483648', '4294967296', '9007199254740993', '-9007199254740993', '1e309', 'NaN', '0x10', '-0', '+5', '1.5', '99999999999999999999', '256', '257', '', '10s', '1e3', ' 5', '5x'];
  const SRV = ['app/s1', 'app/s2', 'app/s3', 'tcp_be/t1', 'app/new', 'app/', '/s1', 'app//s1', 'app/s1/x', 'nosuch/s1', 'app/nosuch', '/', 'app/s1 '];
  const FE = ['web', 'tls', 'nosuch', '', '#1', '2'];
  const BE = ['app', 'tcp_be', 'nosuch', '', '#3'];
  const MAP = [`${dir}/paths.map`, '#0', '#1', '#-1', '#99999999999', '#', 'nosuch', `${dir}/blocked.lst`];
  const ACL = [`${dir}/blocked.lst`, '#0', '#1', '#-1', '#99999999999', '#', 'nosuch', `${dir}/paths.map`];
  const VER = ['@0', '@1', '@2', '@-1', '@99999999999', '@', '@x', '@4294967296'];
  const KEY = ['/a', '/b', '/new', '', '127.0.0.1', '10.0.0.0/8', '::1', '#0', 'a'.repeat(5000)];
  const CERT = [`${dir}/site.pem`, `${dir}/new.pem`, 'site.pem', `*${dir}/site.pem`, `${dir}/site.pem:1`, `${dir}/site.pem:0`, `${dir}/site.pem:-1`, `${dir}/site.pem:99999999999`, `${dir}/site.pem:x`, `${dir}/site.pem:`, 'nosuch'];
  const LIST = [`${dir}/list.txt`, `${dir}/list.txt:1`, `${dir}/list.txt:0`, `${dir}/list.txt:-1`, 'nosuch', `${dir}/site.pem`];
  const TABLE = ['web', 'nosuch', ''];
  const DATA = ['data.gpc0', 'data.conn_cnt', 'data.http_req_rate', 'data.nosuch', 'data.', 'data.gpc0[0]', 'data.gpt', 'key', 'data.server_id'];
  const OP = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'xx'];
  const ADDR = ['127.0.0.1', '::1', '127.0.0.1:1', '127.0.0.1:99999', '300.1.1.1', 'localhost', '[::1]', 'unix@/tmp/x', 'abns@x', ''];
  const KW = ['check', 'inter', 'weight', 'maxconn', 'backup', 'cookie', 'ssl', 'verify', 'none', 'sni', 'alpn', 'h2', 'proto', 'id', 'track', 'app/s1', 'disabled', 'rise', 'fall', 'port', 'addr', 'agent-check', 'resolvers', 'init-addr', 'send-proxy', 'source', 'on-marked-down', 'slowstart', 'observe', 'layer7'];
  const SESS = ['0', '1', '0x1', '0xffffffffffffffff', '0x10000000000000000', '-1', 'all', 'x'];
  const B64 = [crypto.randomBytes(48).toString('base64'), crypto.randomBytes(80).toString('base64'), crypto.randomBytes(47).toString('base64'), '!!!', '', 'AAAA', '='];
  const TKREF = [`${dir}/ticket.keys`, '0', '1', '#0', '-1', '4294967296', 'nosuch', '*'];
  const map = [MAP, KEY, KEY];
  const acl = [ACL, KEY];
  return {
    'set server': [SRV, ['state', 'weight', 'addr', 'agent', 'agent-addr', 'agent-port', 'agent-send', 'check-addr', 'check-port', 'fqdn', 'health', 'ssl', 'nosuch', ''],
      ['ready', 'drain', 'maint', 'up', 'down', 'stopping', 'on', 'off', ...NUM, '50%', '101%', '100%', ...ADDR], ['port', 'nosuch'], [...NUM, '+1', '-1', '65536']],
    'set weight': [SRV, [...NUM, '50%', '100%', '101%', '%', '1e3%', '-5%']],
    'set maxconn server': [SRV, NUM], 'set maxconn frontend': [FE, NUM], 'set maxconn global': [NUM],
    'get weight': [SRV], 'enable server': [SRV], 'disable server': [SRV], 'enable health': [SRV], 'disable health': [SRV],
    'enable agent': [SRV], 'disable agent': [SRV], 'shutdown sessions server': [SRV], 'del server': [SRV],
    'add server': [SRV, ADDR, KW, [...NUM, ...KW], KW, NUM],
    'enable frontend': [FE], 'disable frontend': [FE], 'shutdown frontend': [FE],
    'enable dynamic-cookie backend': [BE], 'disable dynamic-cookie backend': [BE], 'set dynamic-cookie-key backend': [BE, ['k2', '', 'a'.repeat(10_000)]],
    'set rate-limit': [['connections', 'sessions', 'ssl-sessions', 'http-compression', 'nosuch'], ['global', 'local'], NUM],
    'set timeout': [['cli', 'client'], [...NUM, '1ms', '1us', '2147483647s', '2147483648', '99999999d', '1h', '1m', '1x']],
    'add map': [[...VER, ...MAP], ...map], 'set map': map, 'del map': [MAP, KEY], 'get map': [MAP, KEY], 'show map': [[...VER, ...MAP], MAP], 'clear map': [[...VER, ...MAP], MAP],
    'prepare map': [MAP], 'commit map': [VER, MAP],
    'add acl': [[...VER, ...ACL], ...acl], 'del acl': acl, 'get acl': acl, 'show acl': [[...VER, ...ACL], ACL], 'clear acl': [[...VER, ...ACL], ACL], 'prepare acl': [ACL], 'commit acl': [VER, ACL],
    'show table': [TABLE, DATA, OP, NUM, DATA, OP, NUM], 'clear table': [TABLE, DATA, OP, NUM, ['key'], KEY],
    'set table': [TABLE, ['key', 'data.gpc0'], KEY, DATA, NUM, DATA, NUM],
    'show sess': [SESS], 'shutdown session': [SESS],
    'show errors': [[...FE, ...BE, '-1'], ['request', 'response', 'x']],
    'show stat': [['typed', 'json', 'up', 'no-maint', 'desc', '-1', '1', '2'], ['-1', '1', '2', '4', '7', 'x', '1e309'], ['-1', '1', '2', '99999999999', 'x'], ['typed', 'json']],
    'show info': [['desc', 'json', 'typed', 'float', 'x'], ['desc', 'json', 'typed', 'float']],
    'show servers state': [[...BE, 'probe_be']], 'show servers conn': [[...BE, 'probe_be']], 'show resolvers': [['x', '']],
    'show ssl cert': [CERT], 'set ssl cert': [CERT], 'commit ssl cert': [CERT], 'abort ssl cert': [CERT], 'new ssl cert': [CERT], 'del ssl cert': [CERT],
    'show ssl ca-file': [CERT], 'set ssl ca-file': [CERT], 'commit ssl ca-file': [CERT], 'abort ssl ca-file': [CERT], 'new ssl ca-file': [CERT], 'del ssl ca-file': [CERT],
    'show ssl crl-file': [CERT], 'set ssl crl-file': [CERT], 'commit ssl crl-file': [CERT], 'abort ssl crl-file': [CERT], 'new ssl crl-file': [CERT], 'del ssl crl-file': [CERT],
    'show ssl crt-list': [['-n', ...LIST], LIST], 'add ssl crt-list': [LIST, CERT, ['[ssl-min-ver TLSv1.2]', '[', ']', '[verify', 'a.test', '!b.test', '*']], 'del ssl crt-list': [LIST, CERT],
    'show ssl ocsp-response': [['0', 'x', '303b300906052b0e03021a05000414', 'a'.repeat(3000)]], 'set ssl ocsp-response': [B64],
    'set ssl tls-key': [TKREF, B64], 'show tls-keys': [TKREF],
    'get var': [['proc.x', 'txn.x', 'proc.', 'proc', '', 'sess.x']], 'show env': [['PATH', '', '=', 'nosuch']],
    'set severity-output': [['none', 'number', 'string', 'x']], 'expert-mode': [['on', 'off', 'x']], 'experimental-mode': [['on', 'off', 'x']],
    'clear counters': [['all', 'x']], 'help': [['show', 'set', 'x', 'set server']],
  };
}

/** The seeded generator of CLI inputs. */
function generator(dir: string, rand: () => number): () => { text: Buffer; shown: string } {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const commands = commandWords();
  const pool = argumentPool(dir);
  const payloads = payloadPool();
  const templates = slotTemplates(dir);
  const command = (): string => {
    const words = [...pick(commands)];
    const slots = templates[words.join(' ')];
    // Missing words (a command cut short), the words alone, or arguments after them: plausible
    // ones by slot most of the time (some left out, some hostile), else hostile ones anywhere.
    if (rand() < 0.05) words.length = Math.max(1, Math.floor(rand() * words.length));
    else if (slots && rand() < 0.8) {
      const n = rand() < 0.15 ? Math.floor(rand() * slots.length) : slots.length;
      for (let i = 0; i < n; i++) words.push(rand() < 0.85 ? pick(slots[i]!) : pick(pool));
      if (rand() < 0.1) words.push(pick(pool));
    } else {
      const n = rand() < 0.15 ? 0 : 1 + Math.floor(rand() * 6);
      for (let i = 0; i < n; i++) words.push(pick(pool));
    }
    const sep = rand() < 0.1 ? pick(['  ', '\t', ' \t ']) : ' ';
    return words.join(sep);
  };
  return () => {
    let line = command();
    // Several commands on one line.
    const chained = rand() < 0.2 ? 1 + Math.floor(rand() * 3) : 0;
    for (let i = 0; i < chained; i++) line += pick([';', '; ', ' ;']) + command();
    // A lower level first, or interactive mode.
    if (rand() < 0.08) line = `${pick(['operator', 'user', 'prompt', 'experimental-mode on', 'set severity-output string', 'set timeout cli 1'])}; ${line}`;
    let text: string;
    const shape = rand();
    if (shape < 0.15) {
      // A payload: ended by its empty line, never ended, empty, or two of them.
      const body = pick(payloads);
      text = `${line} <<\n${body}${pick(['\n\n', '\n', '', '\n\nshow info\n'])}`;
    } else if (shape < 0.2) {
      text = line; // no newline: the client closes right after
    } else if (shape < 0.25) {
      text = `prompt\n${line}\n${command()}\nquit\n`;
    } else if (shape < 0.28) {
      text = `${line}\r\n`;
    } else if (shape < 0.3) {
      text = `${line}\n`.repeat(1 + Math.floor(rand() * 4)); // lines after the first are not read by a non-interactive session
    } else text = `${line}\n`;
    const bytes = Buffer.from(text, 'latin1');
    return { text: bytes, shown: JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}…(${text.length})` : text) };
  };
}

/** Hostile stats page forms: huge, badly percent-encoded, unknown actions and backends, fields repeated. */
function hostileForm(rand: () => number): { head: (len: number) => string; body: Buffer; shown: string } {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const fields = [
    'action=ready', 'action=drain', 'action=maint', 'action=', 'action=nosuch', 'action=%', 'action=%zz', 'action=%E2%82', 'action=%00',
    'b=%233', 'b=%23', 'b=#1', 'b=%2399999999999999999999', 'b=%23-1', 'b=%23NaN', 'b=app', 'b=nosuch', 'b=', 'b=%23%23',
    's=s1', 's=s2', 's=s3', 's=', 's=nosuch', 's=%FF%FE', 's=' + 'x'.repeat(5000), 's=s1%00', 'x=y', '=', '&', '&&&', '%', 'a=b=c', '+', 's=%2', 'action',
  ];
  const parts: string[] = [];
  const n = Math.floor(rand() * 12);
  for (let i = 0; i < n; i++) parts.push(pick(fields));
  let body = Buffer.from(parts.join(pick(['&', '&', ';', '&&'])), 'latin1');
  const size = rand();
  if (size < 0.05) body = Buffer.concat([body, Buffer.from('&s=' + 's1&s='.repeat(200_000))]);
  else if (size < 0.1) body = Buffer.alloc(64 * 1024, '%');
  else if (size < 0.15) body = crypto.randomBytes(2000);
  const chunked = rand() < 0.2;
  const ct = pick(['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', '']);
  const head = (len: number): string => `POST ${pick(['/stats', '/stats;up', '/stats;st=DONE', '/stats?x'])} HTTP/1.1\r\nhost: x\r\n${ct ? `content-type: ${ct}\r\n` : ''}`
    + (chunked ? 'transfer-encoding: chunked\r\n\r\n' : `content-length: ${len}\r\nconnection: close\r\n\r\n`);
  if (chunked) body = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
  const shown = body.toString('latin1');
  return { head, body, shown: JSON.stringify(shown.length > 200 ? `${shown.slice(0, 200)}…(${shown.length})` : shown) };
}

/**
 * After undoing the process-wide limits a batch may have set: `show info` answered, a request proxied
 * through the probe frontend, the stats page served, and `show stat` without NaN or undefined fields.
 */
async function healthy(loadstar: LoadstarProcess, p: Ports): Promise<string | undefined> {
  if (!loadstar.alive()) return `loadstar exited (${loadstar.exitCode()}):\n${loadstar.output().slice(-3000)}`;
  const reset = 'set maxconn global 0; set rate-limit connections global 0; set rate-limit sessions global 0; set rate-limit ssl-sessions global 0; set server probe_be/origin state ready\n';
  await exchange(p.cli, Buffer.from(reset));
  const info = await exchange(p.cli, Buffer.from('show info\n'));
  if (info.hung || !/^Name: /m.test(info.out)) return `show info did not answer (hung: ${info.hung}): ${JSON.stringify(info.out.slice(0, 300))}`;
  const r = await httpRequest(p.probe, 'GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', Buffer.alloc(0));
  if (!r.status.startsWith('HTTP/1.1 200')) return `the probe request was not proxied (hung: ${r.hung}): ${JSON.stringify(r.status)}`;
  const page = await httpRequest(p.page, 'GET /stats;csv HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', Buffer.alloc(0));
  if (!page.status.startsWith('HTTP/1.1 200')) return `the stats page did not answer (hung: ${page.hung}): ${JSON.stringify(page.status)}`;
  // What the commands left is still a state the statistics can print: no NaN weight, no undefined field.
  const stat = await exchange(p.cli, Buffer.from('show stat; show servers state\n'));
  if (!stat.out.startsWith('# pxname,') || /NaN|undefined|Infinity|\[object/.test(stat.out)) return `show stat / show servers state answered ${JSON.stringify(stat.out.slice(0, 2000))}`;
  return undefined;
}

/** Requests through the fuzzed frontends while the commands change their servers (any answer or a close will do: only the engine's survival counts). */
function traffic(p: Ports, rand: () => number): Promise<unknown> {
  const paths = ['/', '/a', '/b', '/stats', '/x?' + 'q'.repeat(100)];
  return Promise.all(Array.from({ length: 2 }, () => httpRequest(rand() < 0.8 ? p.web : p.page, `GET ${paths[Math.floor(rand() * paths.length)]} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`, Buffer.alloc(0), 300)));
}

test('hostile runtime API commands and stats page forms: answered, never a crash or a hang, and the engine keeps serving', { timeout: 120_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-cli-fuzz-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  writeSiteCertificate(dir);
  fs.writeFileSync(path.join(dir, 'paths.map'), '/a 1\n/b 2\n');
  fs.writeFileSync(path.join(dir, 'blocked.lst'), '192.0.2.1\n');
  fs.writeFileSync(path.join(dir, 'list.txt'), `${dir}/site.pem a.test\n`);
  fs.writeFileSync(path.join(dir, 'ticket.keys'), [0, 1, 2].map(() => crypto.randomBytes(48).toString('base64')).join('\n') + '\n');
  const origin = await startNamedServer('origin');
  t.after(() => origin.close());
  const p: Ports = { cli: await freePort(), web: await freePort(), page: await freePort(), tls: await freePort(), probe: await freePort(), origin: origin.port };
  const loadstar = await startLoadstar(config(dir, p), p.probe);
  t.after(() => loadstar.stop());
  const first = await healthy(loadstar, p);
  assert.equal(first, undefined, 'the engine is not healthy before any hostile input');

  const rand = prng(SEED);
  const next = generator(dir, rand);
  const findings: Finding[] = [];
  const alerted = new Set<string>();
  const started = Date.now();
  const deadline = started + BUDGET_MS;
  let sent = 0;
  let fatal: string | undefined;
  while (sent < CASES && Date.now() < deadline && fatal === undefined) {
    const batch = Math.min(BATCH, CASES - sent);
    const inputs = Array.from({ length: batch }, next);
    const requests: Array<Promise<unknown>> = [];
    for (let i = 0; i < inputs.length; i += PARALLEL) {
      // Requests go through the fuzzed frontends meanwhile, to servers the commands change.
      if (rand() < 0.5) requests.push(traffic(p, rand));
      await Promise.all(inputs.slice(i, i + PARALLEL).map(async ({ text, shown }) => {
        const began = Date.now();
        const { out, hung } = await exchange(p.cli, text);
        if (process.env.CLI_FUZZ_DUMP) fs.appendFileSync(process.env.CLI_FUZZ_DUMP, `${Date.now() - began} ms ${shown}\n=> ${JSON.stringify(out.slice(0, 300))}\n`);
        if (hung) findings.push({ kind: 'hang', detail: `no close within ${ANSWER_MS} ms`, input: shown });
        const m = JS_ERROR.exec(out);
        if (m && !text.toString('latin1').includes(m[0])) findings.push({ kind: 'js-error', detail: JSON.stringify(out.slice(0, 300)), input: shown });
      }));
      if (!loadstar.alive()) break;
    }
    sent += batch;
    await Promise.all(requests);
    // A command that threw: runtime-api.ts answers its message and logs an alert with the stack.
    for (const alert of loadstar.output().match(/runtime API: '[^\n]*(?:\n\s+at [^\n]*){0,4}/g) ?? []) {
      if (!alerted.has(alert)) findings.push({ kind: 'exception', detail: alert, input: '(see the alert)' });
      alerted.add(alert);
    }
    fatal = await healthy(loadstar, p);
  }
  // The stats page's admin form.
  const forms = Number(process.env.CLI_FUZZ_FORMS ?? 200);
  for (let i = 0; i < forms && fatal === undefined && Date.now() < deadline + 10_000; i++) {
    const form = hostileForm(rand);
    const r = await httpRequest(p.page, form.head(form.body.length), form.body);
    if (r.hung || !/^HTTP\/1\.1 (303|400|413) /.test(r.status)) findings.push({ kind: 'stats-form', detail: `${r.hung ? 'hung ' : ''}${JSON.stringify(r.status)}`, input: form.shown });
    if (i % 50 === 49) fatal = await healthy(loadstar, p);
  }
  fatal ??= await healthy(loadstar, p);
  t.diagnostic(`${sent} command lines and ${forms} forms in ${Date.now() - started} ms`);
  const report = findings.slice(0, 25).map((f) => `  ${f.kind}: ${f.detail}\n    input ${f.input}`).join('\n');
  assert.equal(fatal, undefined, `after ${sent} cases (seed ${SEED}): ${fatal}\n${report}`);
  assert.deepEqual(findings.length, 0, `${findings.length} findings (seed ${SEED}):\n${report}`);
  assert.ok(sent >= Math.min(CASES, 1000), `only ${sent} cases ran in the time given`);
});
