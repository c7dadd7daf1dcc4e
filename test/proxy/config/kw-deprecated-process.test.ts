/**
 * HAProxy 2.6 keywords of its old multi-process mode: `bind-process` (proxies), `stats bind-process`
 * (global), `process` on bind lines. HAProxy 2.6.12 checks the words and warns that they do nothing;
 * Loadstar does the same, checked against `haproxy -c` when installed.
 */
import { test } from 'node:test';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const head = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
const backend = (line: string) => `${head}backend b\n    ${line}\n    server s 127.0.0.1:80\n`;
const WARNING = "'bind-process' has no effect, is deprecated, and will be removed in version 2.7.";

const CASES: ParseCase[] = [
  { text: backend('bind-process 1'), valid: true, message: WARNING },
  { text: backend('bind-process all'), valid: true, message: WARNING },
  { text: backend('bind-process odd even 1-'), valid: true, message: WARNING },
  { text: backend('bind-process all 7'), valid: true, message: WARNING }, // HAProxy stops reading at 'all'
  { text: backend('bind-process'), valid: true, message: WARNING },
  { text: `${head}    bind-process 1\n`, valid: true, message: WARNING },
  { text: `${head}frontend f\n    bind 127.0.0.1:8 process 1\n    bind-process 1\n    http-request return status 200\n`, valid: true, message: WARNING },
  { text: `${head}listen l\n    bind 127.0.0.1:8\n    bind-process even\n    server s 127.0.0.1:80\n`, valid: true, message: WARNING },
  { text: backend('bind-process foo'), valid: false, message: "bind-process : 'foo' is not a valid number/range." },
  { text: backend('bind-process 1/1'), valid: false, message: "bind-process : '1/1' is not a valid number/range." },
  { text: backend('bind-process 1 2'), valid: false, message: "bind-process : '2' is not a valid number/range. It supports numbers from 1 to 1." },
  { text: backend('bind-process 1-2'), valid: false, message: "bind-process : '1-2' is not a valid number/range. It supports numbers from 1 to 1." },
  { text: backend('bind-process 0'), valid: false, message: "bind-process : '0' is not a valid number/range. It supports numbers from 1 to 1." },
  { text: `global\n    stats bind-process 1\n${backend('balance roundrobin')}`, valid: true },
];

test('bind-process: accepted with HAProxy 2.6\'s deprecation warning, its word errors refused', () => {
  assertLoadstarParses(CASES);
});

test('haproxy -c agrees on bind-process', (t) => {
  assertHaproxyParses(t, CASES);
});
