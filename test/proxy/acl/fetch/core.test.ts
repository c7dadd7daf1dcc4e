/**
 * Argument checks of the constant fetches (sample.c smp_check_const_*) where scripts/rule-args-sweep.ts
 * found Loadstar and HAProxy 2.6.12 disagreeing, with HAProxy's message, also run through
 * `haproxy -c` where it is installed.
 */
import { test } from 'node:test';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from '../../config/lib/parse-cases.ts';

const config = (line: string): string => `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
listen p
    bind 127.0.0.1:18080
    ${line}
    server s1 127.0.0.1:8081
`;

const CASES: ParseCase[] = [
  { text: config('acl x bin(6162) -m found'), valid: true },
  // parse_binary() fails on nothing without a reason: HAProxy prints '(null)'.
  { text: config('acl x bin() -m found'), valid: false, message: "error detected while parsing ACL 'x' : invalid args in fetch method 'bin' : (null) in ACL expression 'bin()'" },
  { text: config('acl x bin -m found'), valid: false, message: "invalid args in fetch method 'bin' : (null) in ACL expression 'bin'" },
  { text: config('http-request set-var(txn.x) bin()'), valid: false, message: "invalid args in fetch method 'bin' : (null)" },
  { text: config('acl x bin(616) -m found'), valid: false, message: "invalid args in fetch method 'bin' : an even number of hex digit is expected" },
];

test('Loadstar checks the argument of bin() as HAProxy does', () => {
  assertLoadstarParses(CASES);
});

test('haproxy -c checks it the same way', (t) => {
  assertHaproxyParses(t, CASES);
});
