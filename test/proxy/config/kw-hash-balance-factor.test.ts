/**
 * `hash-balance-factor <factor>`: read with atol() and refused between 1 and 100, with haproxy
 * 2.6.12's messages (cfgparse-listen.c), checked against `haproxy -c` when installed. What it
 * does: test/proxy/balance/scenarios.ts ('uri with consistent hashing and hash-balance-factor').
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
