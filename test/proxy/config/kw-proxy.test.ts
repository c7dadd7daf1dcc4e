/**
 * Proxy options checked with haproxy 2.6.12's messages, against `haproxy -c` when installed.
 */
import { test } from 'node:test';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const head = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
const frontend = (lines: string) => `${head}frontend f\n    bind 127.0.0.1:8\n${lines}    http-request return status 200\n`;

const CASES: ParseCase[] = [
  // What Loadstar does on every reload (HttpFrontend.retire): accepted, with or without `no`.
  { text: frontend('    option idle-close-on-response\n'), valid: true },
  { text: frontend('    no option idle-close-on-response\n'), valid: true },
  { text: `${head.replace('mode http\n', 'mode http\n    option idle-close-on-response\n')}${frontend('').slice(head.length)}`, valid: true },
  { text: `${head}backend b\n    option idle-close-on-response\n    server s 127.0.0.1:80\n`, valid: true, message: "'idle-close-on-response' ignored because backend 'b' has no frontend capability." },
  { text: frontend('    option idle-close-on-response now\n'), valid: false },
];

test('proxy options: accepted, refused and warned about as HAProxy 2.6 does', () => {
  assertLoadstarParses(CASES);
});

test('haproxy -c agrees on the proxy options', (t) => {
  assertHaproxyParses(t, CASES);
});
