/**
 * Options where haproxy 2.6.12's own parser decides (cfgparse-listen.c), found by sweeping every
 * `option` Loadstar knows through each section kind against `haproxy -c`: `option tcplog` in a
 * backend is taken with a warning (the keyword table allows backends; its parser warns), and
 * `option http-use-htx`, which the 2.6 documentation still lists, is an unknown option.
 */
import { test } from 'node:test';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const head = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';

const CASES: ParseCase[] = [
  { text: `${head}backend p\n    option tcplog\n    server s 127.0.0.1:1\n`, valid: true, message: "backend 'p' : 'option tcplog' directive is ignored in backends." },
  { text: `${head}listen p\n    bind 127.0.0.1:1\n    option tcplog\n    server s 127.0.0.1:1\n`, valid: true },
  { text: `${head}    option tcplog\nbackend p\n    server s 127.0.0.1:1\n`, valid: true },
  { text: `${head}backend p\n    option http-use-htx\n    server s 127.0.0.1:1\n`, valid: false, message: "unknown option 'http-use-htx'" },
  { text: `${head}    option http-use-htx\nbackend p\n    server s 127.0.0.1:1\n`, valid: false, message: "unknown option 'http-use-htx'" },
];

test('option tcplog in a backend warns and option http-use-htx is unknown, as in haproxy 2.6.12', () => {
  assertLoadstarParses(CASES);
});

test('haproxy -c agrees on these options', (t) => {
  assertHaproxyParses(t, CASES);
});
