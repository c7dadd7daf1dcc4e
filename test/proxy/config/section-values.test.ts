/**
 * Values in the small sections found by a sweep against `haproxy -c` (cfgparse.c, stick_table.c):
 * a userlist's users and groups must name each other, a peers section is written with `peer` lines
 * or with `bind` and `server` lines, a table needs a size, a nameserver its port, and `timeout mail 0`
 * sets no timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const tail = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nfrontend f\n    bind 127.0.0.1:9999\n    default_backend b\nbackend b\n    server s 127.0.0.1:80\n';

const CASES: ParseCase[] = [
  { text: `userlist u\n    group g users a,b\n    user a insecure-password x\n${tail}`, valid: false, message: "userlist 'u': no such user 'b' specified in group 'g'" },
  { text: `userlist u\n    group g\n    user a insecure-password x groups g,h\n${tail}`, valid: false, message: "userlist 'u': no such group 'h' specified in user 'a'" },
  { text: `userlist u\n    group g users a\n    user a insecure-password x groups g\n${tail}`, valid: true },
  { text: `peers p\n    peer vm 127.0.0.1:10000\n    bind 127.0.0.1:10001\n${tail}`, valid: false, message: 'mixing "peer" and "bind" line is forbidden' },
  { text: `peers p\n    bind 127.0.0.1:10001\n    peer vm 127.0.0.1:10000\n${tail}`, valid: false, message: 'mixing "peer" and "bind" line is forbidden' },
  { text: `peers p\n    bind 127.0.0.1:10001\n    server vm\n${tail}`, valid: true },
  { text: `peers p\n    peer vm 127.0.0.1:10000\n    table t type ip size 0\n${tail}`, valid: false, message: 'table: missing size.' },
  { text: tail.replace('    server s 127.0.0.1:80\n', '    stick-table type ip size 0\n    server s 127.0.0.1:80\n'), valid: false, message: 'stick-table: missing size.' },
  { text: `resolvers r\n    nameserver n 127.0.0.1\n${tail}`, valid: false, message: "'nameserver n' : missing port specification in '127.0.0.1'" },
  { text: `resolvers r\n    nameserver n 127.0.0.1:0\n${tail}`, valid: false, message: "'nameserver n' : invalid port '0'" },
  { text: `resolvers r\n    nameserver n udp@127.0.0.1:53\n${tail}`, valid: true },
  { text: `mailers m\n    mailer x 127.0.0.1:25\n    timeout mail 0\n${tail}`, valid: true },
];

test('userlist members, peers line kinds, table sizes and timeout mail: as HAProxy 2.6 reads them', () => {
  assertLoadstarParses(CASES);
  const mailers = parseConfig([{ name: 'm.cfg', text: CASES.at(-1)!.text }]).config.mailers[0];
  assert.equal(mailers?.timeoutMail, 0);
});

test('haproxy -c agrees on these sections', (t) => {
  assertHaproxyParses(t, CASES);
});
