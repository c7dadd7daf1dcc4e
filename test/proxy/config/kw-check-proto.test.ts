/**
 * The protocol of health checks as HAProxy 2.6 reads it: `check-proto h1|h2|none` (matched to the
 * check's kind when the server is checked), `http-check connect proto` / `tcp-check connect proto`
 * (tcpcheck.c's messages), `check-alpn` with h2. Checked against `haproxy -c` when installed.
 */
import { test } from 'node:test';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const head = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
const backend = (lines: string) => `${head}backend b\n${lines.split('\n').map((l) => `    ${l}\n`).join('')}`;
const INCOMPATIBLE = "config: backend 'b': server 's' uses an incompatible MUX protocol for the selected check type";

const CASES: ParseCase[] = [
  { text: backend('option httpchk\nserver s 127.0.0.1:80 check check-proto h2'), valid: true },
  { text: backend('option httpchk\nserver s 127.0.0.1:80 check check-proto h1'), valid: true },
  { text: backend('option httpchk\nserver s 127.0.0.1:80 check check-proto none'), valid: false, message: INCOMPATIBLE },
  { text: backend('server s 127.0.0.1:80 check check-proto h2'), valid: false, message: INCOMPATIBLE },
  { text: backend('server s 127.0.0.1:80 check check-proto none'), valid: true },
  // Only a checked server's check-proto is matched to the check.
  { text: backend('server s 127.0.0.1:80 check-proto h2'), valid: true },
  { text: backend('server s 127.0.0.1:80 check check-proto h3'), valid: false, message: "'check-proto' :  unknown MUX protocol 'h3'" },
  { text: backend('option httpchk\nserver s 127.0.0.1:80 check check-alpn h2,http/1.1'), valid: true },
  { text: backend('option httpchk\nhttp-check connect proto h2\nserver s 127.0.0.1:80 check'), valid: true },
  { text: backend('option httpchk\nhttp-check connect proto\nserver s 127.0.0.1:80 check'), valid: false, message: "'http-check connect' : 'proto' expects a MUX protocol as argument." },
  { text: backend('option httpchk\nhttp-check connect proto h3\nserver s 127.0.0.1:80 check'), valid: false, message: "'http-check connect' : 'proto' : unknown MUX protocol 'h3'." },
  { text: backend('option httpchk\nhttp-check connect proto none\nserver s 127.0.0.1:80 check'), valid: false, message: "'http-check connect' : 'proto' : invalid MUX protocol 'none' for http-check" },
  { text: backend('option tcp-check\ntcp-check connect proto h2\nserver s 127.0.0.1:80 check'), valid: false, message: "'tcp-check connect' : 'proto' : invalid MUX protocol 'h2' for tcp-check" },
  { text: backend('option tcp-check\ntcp-check connect proto none\nserver s 127.0.0.1:80 check'), valid: true },
];

test('check-proto and connect proto parse as in haproxy 2.6: Loadstar', () => assertLoadstarParses(CASES));
test('check-proto and connect proto parse as in haproxy 2.6: haproxy', (t) => assertHaproxyParses(t, CASES));
