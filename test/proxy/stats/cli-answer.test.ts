/**
 * `set severity-output` across the runtime API's commands (stats/cli-answer.ts): every command line
 * sent to a socket whose messages carry their severity as a number, then to one where they carry it
 * as a word, on Loadstar and on haproxy 2.6.12 with the same configuration — the answers byte for
 * byte. What HAProxy answers with cli_msg / cli_err (errors [3], notices [5], info [6], the address
 * report of `set server … addr` a warning [4]) takes the prefix; what its I/O handlers print does not.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEngine, freePort } from '../../helpers/net.ts';
import { haproxyPath, startHaproxy } from '../../helpers/haproxy.ts';
import { cli, writeSiteCertificate } from './helpers.ts';

let dir: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-severity-'));
  writeSiteCertificate(dir);
  fs.writeFileSync(path.join(dir, 'm.map'), '/a A\n');
  fs.writeFileSync(path.join(dir, 'a.acl'), '/x\n');
  fs.writeFileSync(path.join(dir, 'list.txt'), `${dir}/site.pem\n`);
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function config(port: number, tlsPort: number, sock: string): string {
  return `global
    maxconn 100
    stats socket ${sock} level admin
    stats socket ${sock}.num level admin severity-output number
    stats socket ${sock}.str level admin severity-output string
    stats socket ${sock}.user level user severity-output number
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 5s
frontend web
    bind 127.0.0.1:${port}
    bind 127.0.0.1:${tlsPort} ssl crt-list ${dir}/list.txt
    acl listed path -f ${dir}/a.acl
    http-request set-header x-m %[path,map(${dir}/m.map)]
    http-request deny if listed
    default_backend be
backend be
    cookie SRV insert dynamic
    dynamic-cookie-key k1
    stick-table type ip size 10
    server s1 127.0.0.1:1
    server s2 127.0.0.1:2 disabled
backend st
    balance source
    server x 127.0.0.1:3 weight 10
`;
}

/** The command lines, each sent once to the number socket then once to the string one (a payload after `<<`). */
function lines(): string[] {
  const d = dir;
  const pem = fs.readFileSync(path.join(d, 'site.pem'), 'latin1').trimEnd();
  return [
    // The dispatcher's answers: a command it does not know (info), help (info).
    'get wei', 'help get',
    // Servers.
    'get weight be/s1', 'get weight be/nope', 'get weight nope/x', 'get weight be',
    'set weight be/s1 50%', 'set weight be/s1 300', 'set weight be/s1 x', 'set weight be/s1', 'set weight be/s1 101%',
    'set weight be/s1 5x', 'set weight be/s1 -1%', 'set weight be/s1 50%x', 'set weight st/x 50%', 'set weight st/x 0%', 'set weight st/x 100%', 'get weight be/s1',
    'set server be/s1 state drain', 'set server be/s1 state foo', 'set server be/s1 weight 999', 'set server be/s1', 'set server be/s1 foo',
    'set server be/s1 addr', 'set server be/s1 addr 127.0.0.2', 'set server be/s1 addr 127.0.0.2 port 81', 'set server be/s1 addr nothost',
    'set server be/s1 addr 127.0.0.1 port x', 'set server be/s1 state ready', 'set server be/s1 weight 1',
    'set maxconn server be/s1 10', 'set maxconn server be/s1 x', 'set maxconn server be/s1 1x', 'set maxconn server be/s1', 'set maxconn server be/nope 1',
    'set maxconn global', 'set maxconn global 1000', 'set maxconn global 50', 'set maxconn frontend nope 1', 'set maxconn frontend web', 'set maxconn frontend web -1',
    'enable health be/s1', 'disable health be/s1', 'enable agent be/s1', 'disable agent be/s1', 'disable server be/s2', 'enable server be/s2', 'disable server be/nope',
    'enable dynamic-cookie backend nope', 'disable dynamic-cookie backend', 'set dynamic-cookie-key backend be', 'set dynamic-cookie-key backend be k2',
    'enable dynamic-cookie backend be', 'shutdown sessions server be/nope',
    'add server be/d1 127.0.0.1:4', 'add server be/d1 127.0.0.1:4', 'add server st/y 127.0.0.1:5', 'add server be', 'add server be/d2 127.0.0.1:4 bogus',
    'del server be/d1', 'del server be/d1', 'del server be/s1', 'del server nope/s1', 'del server be',
    // Dumps and their refusals.
    'show servers state nope', 'show servers conn nope', 'show errors nope', 'show table nope', 'show env LOADSTAR_NO_SUCH_VARIABLE',
    'show table be', 'set table be key 1.2.3.4', 'clear table be key 1.2.3.4', 'set table nope key 1', 'show ssl cert nope',
    // Maps and ACLs.
    'show map nope', 'get map nope x', 'get map', `get map ${d}/m.map /a`, `add map ${d}/m.map k v`, `add map ${d}/m.map k`,
    `set map ${d}/m.map k v2`, `set map ${d}/m.map`, `set map ${d}/m.map nokey v`, `set map ${d}/m.map #0xzz v`, `del map ${d}/m.map k`, `del map ${d}/m.map`,
    `prepare map ${d}/m.map`, 'prepare map nope', `commit map @99 ${d}/m.map`, `commit map ${d}/m.map`, `commit map @1`, 'clear map nope', 'clear map',
    `clear map @7 ${d}/m.map`, `add map ${d}/m.map <<\nk1 v1\nk2\n`, `add acl ${d}/a.acl /y`, 'add acl nope x', `add acl ${d}/a.acl`,
    `del acl ${d}/a.acl /zz`, `get acl ${d}/a.acl /x`, `add map @99 ${d}/m.map k v`,
    // Certificates and crt-lists.
    `new ssl cert ${d}/n.pem`, `new ssl cert ${d}/n.pem`, `del ssl cert ${d}/n.pem`, `del ssl cert ${d}/n.pem`, 'new ssl cert', 'del ssl cert',
    `abort ssl cert ${d}/site.pem`, `commit ssl cert ${d}/site.pem`, 'commit ssl cert', 'abort ssl cert', `set ssl cert ${d}/nope.pem <<\n${pem}\n`,
    `set ssl cert ${d}/site.pem <<\n${pem}\n`, `set ssl cert ${d}/site.pem <<\ngarbage\n`, `abort ssl cert ${d}/other.pem`, `abort ssl cert ${d}/site.pem`,
    `del ssl cert ${d}/site.pem`, 'show ssl crt-list -n', 'show ssl crt-list nope', 'add ssl crt-list', `add ssl crt-list ${d}/list.txt ${d}/nope.pem`,
    `add ssl crt-list nope ${d}/site.pem`, `del ssl crt-list ${d}/list.txt ${d}/nope.pem`, `del ssl crt-list ${d}/list.txt ${d}/site.pem:x`, 'del ssl crt-list',
    // What a commit and an insertion print is their I/O handler's: bare.
    `set ssl cert ${d}/site.pem <<\n${pem}\n`, `commit ssl cert ${d}/site.pem`, `add ssl crt-list ${d}/list.txt ${d}/site.pem`, `del ssl crt-list ${d}/list.txt ${d}/site.pem`,
    `del ssl crt-list ${d}/list.txt ${d}/site.pem:2`,
    'set ssl ocsp-response', 'set ssl ocsp-response !!!!', 'show ssl ocsp-response 00', 'show ssl ocsp-response',
    // Levels.
    'user:operator', 'user:clear counters all', 'user:show cli level', 'user:set maxconn global 10', 'user:user',
    'user:add map nope k v', 'user:set server be/s1 state ready',
  ];
}

/** Every line to the number socket then to the string one (`user:` lines to the user-level socket, number only). */
async function session(sock: string): Promise<string[]> {
  const answers: string[] = [];
  for (const line of lines()) {
    const title = line.split('\n')[0];
    if (line.startsWith('user:')) {
      answers.push(`${title}\n${await cli(`${sock}.user`, line.slice(5))}`);
      continue;
    }
    for (const how of ['num', 'str']) answers.push(`${how} ${title}\n${await cli(`${sock}.${how}`, line)}`);
  }
  return answers;
}

test('every command answers with the severity haproxy 2.6.12 gives its messages, and none on what it dumps', { timeout: 60_000 }, async (t) => {
  const sockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-severity-sock-'));
  try {
    const port = await freePort();
    const e = await startEngine(config(port, await freePort(), path.join(sockDir, 'l.sock')));
    let loadstar: string[];
    try {
      loadstar = await session(path.join(sockDir, 'l.sock'));
    } finally {
      await e.stop();
    }
    // Recorded from haproxy 2.6.12: a few of each kind, so this test means something without it.
    for (const expected of [
      'num get weight be/nope\n[3]: No such server.\n\n',
      'str set server be/s1 addr 127.0.0.2\n[warning]: no need to change the addr by \'stats socket command\'\n\n',
      'num get weight be/s1\n1 (initial 1)\n\n',
      `num prepare map ${dir}/m.map\n[6]: New version created: 1\n\n`,
      `num new ssl cert ${dir}/n.pem\n[5]: New empty certificate store '${dir}/n.pem'!\n\n`,
      'user:operator\n[3]: Permission denied\n\n',
      'num set weight be/s1 5x\n[3]: Trailing garbage in weight string\n',
      'num set weight be/s1 101%\n\n',
      'str set weight st/x 50%\n[err]: Backend is using a static LB algorithm and only accepts weights \'0%\' and \'100%\'.\n\n',
      'str set server be/s1 addr 127.0.0.1 port x\n[warning]: no need to change the addr, problem converting port \'x\' to an int by \'stats socket command\'\n\n',
      'num show ssl ocsp-response\n\n',
      `num commit ssl cert ${dir}/site.pem\nCommitting ${dir}/site.pem.\nSuccess!\n\n`,
      `num del ssl crt-list ${dir}/list.txt ${dir}/site.pem:2\n[5]: Entry '${dir}/site.pem' deleted in crtlist '${dir}/list.txt'!\n\n`,
    ]) assert.ok(loadstar.includes(expected), JSON.stringify(expected));
    if (!haproxyPath) return t.diagnostic('haproxy is not installed: checked against the recorded answers only');
    const hport = await freePort();
    const h = await startHaproxy(config(hport, await freePort(), path.join(sockDir, 'h.sock')), hport);
    let haproxy: string[];
    try {
      haproxy = await session(path.join(sockDir, 'h.sock'));
    } finally {
      await h.stop();
    }
    // Each answer on its own, so a difference names its command.
    assert.equal(loadstar.length, haproxy.length);
    const differ = haproxy.flatMap((answer, i) => (loadstar[i] === answer ? [] : [`haproxy:  ${JSON.stringify(answer)}\nloadstar: ${JSON.stringify(loadstar[i])}`]));
    assert.deepEqual(differ, []);
    t.diagnostic(`${haproxy.length} answers compared`);
  } finally {
    fs.rmSync(sockDir, { recursive: true, force: true });
  }
});
