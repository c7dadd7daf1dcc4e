/**
 * Numbers on the runtime API read as haproxy 2.6.12 reads them (strtol and atoi on a 64-bit long):
 * huge, signed, fractional or glued to garbage. The answers, and the weights, limits and ports they
 * leave, are compared with real HAProxy's on the same configuration (found by the runtime API fuzzer,
 * test/reliability/runtime-api-fuzz.test.ts: `set weight … 1e309` was refused as "preceded by
 * garbage", `set maxconn frontend … 99999999999999999999` taken as 1661992960).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, freePort } from '../../helpers/net.ts';
import { cli } from './helpers.ts';
import { atoi, strtol } from '../../../proxy/stats/cli-numbers.ts';

test('strtol saturates at a long and says so; atoi keeps the low 32 bits of that long', () => {
  assert.deepEqual(strtol('  -12abc'), { value: -12n, overflow: false, rest: 'abc' });
  assert.deepEqual(strtol('99999999999999999999'), { value: (1n << 63n) - 1n, overflow: true, rest: '' });
  assert.deepEqual(strtol('-99999999999999999999%'), { value: -(1n << 63n), overflow: true, rest: '%' });
  assert.equal(strtol('x1'), undefined);
  assert.equal(strtol('+'), undefined);
  assert.equal(atoi('99999999999999999999'), -1);
  assert.equal(atoi('-99999999999999999999'), 0);
  assert.equal(atoi('4294967297'), 1);
  assert.equal(atoi('2147483648'), -2147483648);
  assert.equal(atoi('1e309'), 1);
  assert.equal(atoi('NaN'), 0);
});

const NUMBERS = ['0', '1', '-1', '2147483647', '2147483648', '4294967296', '4294967297', '9007199254740993', '-2147483649', '1e309', 'NaN', '0x10', '-0', '+5', '1.5',
  '99999999999999999999', '-99999999999999999999', '256', '257', '10s', '5x', '100%', '101%', '50%', '%', '-5%', '1e3%', '99999999999999999999%', '00000000000000000000000000001'];

function config(sock: string, port: number, dir: string): string {
  return `global
    stats socket ${sock} level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${port}
    http-request set-header x-m %[path,map(${dir}/paths.map,none)]
    default_backend app
backend app
    server s1 127.0.0.1:9
    server s2 127.0.0.1:9 weight 10 maxconn 5
backend fixed
    balance static-rr
    server f1 127.0.0.1:9 weight 10
`;
}

/** HAProxy's event dates and element addresses masked. */
const masked = (s: string): string => s.replace(/\[\d\d\/\w+\/\d{4}:[\d:.]+\]/g, '[DATE]').replace(/0x[0-9a-f]{6,}/g, 'ADDR');

test('weights, maxconn, rate limits, ports, proxy and map ids, show stat filters: huge, signed and odd numbers answered as HAProxy 2.6 does', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-cli-numbers-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'paths.map'), '/a 1\n');
  const script: string[] = [];
  for (const n of NUMBERS) {
    script.push(`set weight app/s2 ${n}; get weight app/s2`, `set server app/s1 weight ${n}; get weight app/s1`, `set weight fixed/f1 ${n}; get weight fixed/f1`);
    script.push(`set maxconn server app/s2 ${n}`, `set maxconn frontend web ${n}`, `set maxconn global ${n}`);
    script.push(`set rate-limit connections global ${n}`, `set rate-limit sessions global ${n}`);
    script.push(`show errors ${n}`, `show errors #${n}`, `show map #${n}`);
    script.push(`show stat ${n} -1 -1`, `show stat -1 ${n} -1`, `show stat 3 7 ${n}`);
  }
  // A port HAProxy cannot read leaves the new address set; a 16-bit port keeps the low bits.
  for (const [addr, port] of [['127.0.0.2', '99999999999999999999'], ['127.0.0.3', '65537'], ['127.0.0.3', '9007199254740993'], ['127.0.0.4', 'x'], ['127.0.0.4', '1e309']]) {
    script.push(`set server app/s2 addr ${addr} port ${port}`, 'show servers state app');
  }
  script.push('show stat app 7 -1', 'show stat #3 2 -1', 'show stat #99 2 -1', 'show stat nosuch 1 -1', 'show stat typed up desc', 'show stat app 4 2 typed',
    'show stat domain proxy -1 1 -1', 'show stat domain x', 'show stat web 1');
  script.push('show errors request', 'show errors web', 'show errors #3', 'show errors #99', 'show errors #x', 'set maxconn global 0', 'show map #', 'show map #-0', 'show map # ');
  const run = async (sock: string): Promise<string[]> => {
    const out: string[] = [];
    for (const line of script) {
      let answer = masked(await cli(sock, line));
      // `show stat`: which rows (proxy and server names; the counters are each one's own).
      if (answer.startsWith('# pxname,')) answer = answer.split('\n').map((l) => l.split(',').slice(0, 2).join(',')).join('\n');
      if (/^[FBS]\.\d/.test(answer)) answer = answer.split('\n').filter((l) => /\.(pxname|svname)\./.test(l)).join('\n');
      // `show servers state`: the address and port columns (the rest is times and counters).
      out.push(`${line}\n${line.startsWith('show servers') ? answer.split('\n').filter((l) => /^\d/.test(l)).map((l) => l.split(' ').slice(3, 5).concat(l.split(' ').slice(18, 19)).join(' ')).join('\n') : answer}`);
    }
    return out;
  };
  const lSock = path.join(dir, 'loadstar.sock');
  const loadstar = await startEngine(config(lSock, await freePort(), dir));
  let mine: string[];
  try {
    mine = await run(lSock);
  } finally {
    await loadstar.stop();
  }
  const hSock = path.join(dir, 'haproxy.sock');
  const hPort = await freePort();
  const haproxy = await startHaproxy(config(hSock, hPort, dir), hPort);
  let theirs: string[];
  try {
    theirs = await run(hSock);
  } finally {
    await haproxy.stop();
  }
  assert.deepEqual(mine, theirs);
});
