/**
 * `hash-balance-factor <factor>` (read with atol(), refused between 1 and 100) and
 * `max-keep-alive-queue <n>` (strtol), with haproxy 2.6.12's messages (cfgparse-listen.c, proxy.c),
 * checked against `haproxy -c` when installed. What they do: test/proxy/balance/scenarios.ts
 * ('uri with consistent hashing and hash-balance-factor'), test/proxy/http/max-keep-alive-queue.test.ts.
 */
import { test } from 'node:test';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const head = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
const backend = (line: string) => `${head}backend b\n    balance uri\n    hash-type consistent\n    ${line}\n    server s 127.0.0.1:80\n`;

const CASES: ParseCase[] = [
  { text: backend('hash-balance-factor 150'), valid: true },
  { text: backend('hash-balance-factor 0'), valid: true },
  { text: backend('hash-balance-factor x'), valid: true }, // atol: 0, off
  { text: `${head}    hash-balance-factor 125\n`, valid: true },
  { text: backend('hash-balance-factor'), valid: false, message: "'hash-balance-factor' expects an integer argument." },
  { text: backend('hash-balance-factor 100'), valid: false, message: "'hash-balance-factor' must be 0 or greater than 100." },
  { text: backend('hash-balance-factor -5'), valid: false, message: "'hash-balance-factor' must be 0 or greater than 100." },
];

test('hash-balance-factor: accepted or refused with HAProxy 2.6\'s messages', () => {
  assertLoadstarParses(CASES);
});

test('haproxy -c agrees on hash-balance-factor', (t) => {
  assertHaproxyParses(t, CASES);
});

const KA_CASES: ParseCase[] = [
  { text: backend('max-keep-alive-queue 10'), valid: true },
  { text: backend('max-keep-alive-queue -1'), valid: true },
  { text: backend('max-keep-alive-queue 0x10'), valid: true },
  { text: `${head}    max-keep-alive-queue 2\n`, valid: true },
  { text: backend('max-keep-alive-queue'), valid: false, message: "'max-keep-alive-queue' expects expects an integer value (or -1 to disable)" },
  { text: backend('max-keep-alive-queue 5x'), valid: false, message: "'max-keep-alive-queue' : unexpected character 'x' in integer value '5x'" },
  { text: `${head}frontend f\n    bind 127.0.0.1:8\n    max-keep-alive-queue 3\n    http-request return status 200\n`, valid: true, message: "max-keep-alive-queue will be ignored because frontend 'f' has no backend capability" },
];

test('max-keep-alive-queue: accepted or refused with HAProxy 2.6\'s messages', () => {
  assertLoadstarParses(KA_CASES);
});

test('haproxy -c agrees on max-keep-alive-queue', (t) => {
  assertHaproxyParses(t, KA_CASES);
});
