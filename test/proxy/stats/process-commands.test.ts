/**
 * The runtime API's commands about the process (stats/process-commands.ts), side by side with
 * haproxy 2.6.12: the same configuration, the same command lines, the same bytes back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from '../../helpers/net.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { cli } from './helpers.ts';

const varsConfig = (dir: string, port: number): string => `global
    stats socket ${dir}/${port}.sock mode 600 level admin
    stats socket ${dir}/${port}.user.sock mode 600 level user
    set-var proc.foo str(bar)
    set-var proc.n int(-42)
    set-var proc.b bool(1)
    set-var proc.ip4 str(1.2.3.4),ipmask(24)
    set-var proc.ip6 str(::1),ipmask(24,64)
    set-var proc.bin bin(6162)
    set-var proc.bin0 bin(41000a)
    set-var proc.bin1 bin(410a7f)
    set-var proc.meth str(GET),lower
    set-var proc.sp str("a b\\tc")
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 2s
frontend web
    bind 127.0.0.1:${port}
    http-request set-var(txn.t) var(proc.empty)
    http-request set-var(proc.last) path
    http-request return status 200
`;

test('get var answers as haproxy 2.6.12: the proc.* variables with a value, their type and printable text', { timeout: 60_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-get-var-'));
  const seen: string[][] = [];
  try {
    await sideBySide(t, (port) => varsConfig(dir, port), async (port) => {
      const admin = `${dir}/${port}.sock`;
      const out: string[] = [];
      const say = async (line: string, sock = admin): Promise<void> => void out.push(`${line} -> ${JSON.stringify(await cli(sock, line))}`);
      await say('get var proc.last');
      assert.equal((await request(port, '/a%01b')).status, 200);
      for (const name of ['', 'proc.foo', 'proc.n', 'proc.b', 'proc.ip4', 'proc.ip6', 'proc.bin', 'proc.bin0', 'proc.bin1', 'proc.meth', 'proc.sp',
        'proc.last', 'proc.empty', 'proc.nosuch', 'txn.t', 'foo', 'PROC.foo', 'proc.foo extra']) await say(`get var ${name}`.trim());
      await say('get var proc.foo', `${dir}/${port}.user.sock`);
      seen.push(out);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // Recorded from haproxy 2.6.12.
  assert.deepEqual(seen[0], [
    'get var proc.last -> "Variable not found.\\n\\n"',
    'get var -> "Missing process-wide variable identifier.\\n\\n"',
    'get var proc.foo -> "proc.foo: type=str value=<bar>\\n"',
    'get var proc.n -> "proc.n: type=sint value=<-42>\\n"',
    'get var proc.b -> "proc.b: type=bool value=<1>\\n"',
    'get var proc.ip4 -> "proc.ip4: type=ipv4 value=<1.2.3.0>\\n"',
    'get var proc.ip6 -> "proc.ip6: type=ipv6 value=<::>\\n"',
    'get var proc.bin -> "proc.bin: type=bin value=<ab>\\n"',
    'get var proc.bin0 -> "proc.bin0: type=bin value=<A>\\n"',
    'get var proc.bin1 -> "proc.bin1: type=bin value=<A..>\\n"',
    'get var proc.meth -> "proc.meth: type=str value=<get>\\n"',
    'get var proc.sp -> "proc.sp: type=str value=<a b.c>\\n"',
    'get var proc.last -> "proc.last: type=str value=</a%01b>\\n"',
    'get var proc.empty -> "Variable not found.\\n\\n"',
    'get var proc.nosuch -> "Variable not found.\\n\\n"',
    'get var txn.t -> "Variable not found.\\n\\n"',
    'get var foo -> "Variable not found.\\n\\n"',
    'get var PROC.foo -> "Variable not found.\\n\\n"',
    'get var proc.foo extra -> "proc.foo: type=str value=<bar>\\n"',
    'get var proc.foo -> "Permission denied\\n\\n"',
  ]);
  if (seen.length === 2) assert.deepEqual(seen[1], seen[0]);
});
