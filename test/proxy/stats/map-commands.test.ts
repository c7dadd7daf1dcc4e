/**
 * The runtime API's map and ACL commands (show, get, add, set, del, clear of `map` and `acl`) next
 * to real HAProxy's on the same configuration and files: the same answers, once what cannot be the
 * same is masked (element addresses, reference ids, entry counts, the configuration file's name),
 * and the rules see the changes at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, freePort } from '../../helpers/net.ts';
import { closedRequest } from '../http/lib/side-by-side.ts';
import { cli } from './helpers.ts';

function config(sock: string, port: number, map: string, list: string): string {
  return `global
  stats socket ${sock} mode 600 level user
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
  acl blocked src -f ${list}
  http-request deny status 403 content-type text/plain string no if blocked
  http-request return status 200 content-type text/plain lf-string "%[url_param(k),map(${map},none)] %[url_param(k),map_beg(${map},none)]"
`;
}

/** Addresses, reference ids, entry counts and the configuration's file name masked; HAProxy's anonymous (inline) ACLs left out. */
function masked(text: string): string {
  return text.split('\n')
    .filter((l) => !/^\d+ \(\) /.test(l))
    .map((l) => l.replace(/0x[0-9a-f]+/g, 'ADDR').replace(/^\d+ \(/, 'ID (').replace(/entry_cnt=\d+/, 'entry_cnt=N').replace(/at file '[^']*' line/g, "at file 'CFG' line"))
    .join('\n');
}

test('show/get/add/set/del/clear map and acl answer as HAProxy 2.6 does, at user level, and the rules see the changes', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-map-cli-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const map = path.join(dir, 'x.map');
  const list = path.join(dir, 'blocked.lst');
  fs.writeFileSync(map, 'a 1\nb 2\na 3\n');
  fs.writeFileSync(list, '192.0.2.1\n');
  const script: Array<string | [string, string]> = [
    'show map', `show map ${map}`, `get map ${map} a`, `get map ${map} ax`, ['/?k=a', '200 1 1'],
    `add map ${map} c 4`, `add map ${map} c`, `add map ${dir}/nope c 4`, `set map ${map} a 5`, `set map ${map} zz 5`,
    `show map ${map}`, `get map ${map} c`, ['/?k=a', '200 5 5'], ['/?k=cz', '200 none 4'],
    `del map ${map} a`, `del map ${map} a`, `show map ${map}`, ['/?k=a', '200 none none'],
    // A new version: filled and shown apart, unseen by lookups until it is committed (then the older entries go).
    `prepare map ${map}`, `add map @1 ${map} v 7`, `add map @1 ${map} b 9`, `add map @2 ${map} w 8`, `show map @1 ${map}`, `show map ${map}`,
    'show map', ['/?k=v', '200 none none'], ['/?k=b', '200 2 2'], 'commit map', `commit map @1`, `commit map @2 ${map}`, `commit map @1 ${map}`,
    `show map ${map}`, 'show map', ['/?k=b', '200 9 9'], ['/?k=c', '200 none none'], `commit map @1 ${map}`, `clear map @1 ${map}`, `add map ${map} b 2`,
    'show acl', `show acl ${list}`, `add acl ${list} foo`, `add acl ${list} 127.0.0.1`, `add acl ${map} 10.0.0.2`,
    `get acl ${list} 127.0.0.1`, `get acl ${list} 10.9.9.9`, ['/?k=b', '403 no'],
    `del acl ${list} 127.0.0.1`, `del acl ${map} a`, `show acl ${list}`, ['/?k=b', '200 2 2'],
    `clear map ${map}`, `show map ${map}`, ['/?k=b', '200 none none'], `prepare acl ${list}`, `add acl @1 ${list} 127.0.0.1`, ['/?k=b', '200 none none'],
    `clear acl @1 ${list}`, ['/?k=b', '200 none none'], `show acl`, 'clear acl', 'set map', `del map ${map}`, 'get map',
    `show map ${dir}/nope`, `show acl ${map}`, `clear acl ${map}`, 'show map',
    // Payloads: one `<key> <value>` per line (the value to the end of its line), a key without value refused.
    `add map ${map} <<\nk1 v1\nk2 \t v2 with spaces\n`, ['/?k=k2', '200 v2 with spaces v2 with spaces'], `add map ${map} <<\nk3 v3\nlonely\n`,
    `show map ${map}`, 'add map <<\nk v\n', `add map ${map} <<\n`,
    `add acl ${list} <<\n10.0.0.9\n`, `add acl ${list} 10.0.0.7 <<\n10.0.0.8 ignored\n127.0.0.1\n`, `show acl ${list}`, ['/?k=k1', '403 no'],
  ];
  const run = async (sock: string, port: number): Promise<string[]> => {
    const out: string[] = [];
    for (const step of script) {
      if (typeof step === 'string') out.push(`${step}\n${masked(await cli(sock, step))}`);
      else out.push(`GET ${step[0]} → ${await closedRequest(port, step[0])}`);
    }
    return out;
  };
  const lSock = path.join(dir, 'loadstar.sock');
  const lPort = await freePort();
  const loadstar = await startEngine(config(lSock, lPort, map, list));
  let mine: string[];
  try {
    mine = await run(lSock, lPort);
  } finally {
    await loadstar.stop();
  }
  const hSock = path.join(dir, 'haproxy.sock');
  const hPort = await freePort();
  const haproxy = await startHaproxy(config(hSock, hPort, map, list), hPort);
  let theirs: string[];
  try {
    theirs = await run(hSock, hPort);
  } finally {
    await haproxy.stop();
  }
  assert.deepEqual(mine, theirs);
  // The requests answered as expected on both.
  for (const step of script) {
    if (typeof step !== 'string') assert.ok(mine.includes(`GET ${step[0]} → ${step[1]}`), `${step[0]}: ${mine.join('\n')}`);
  }
});
