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

const backend = (lines: string) => `${head}backend b\n${lines}    server s 127.0.0.1:80\n`;
const withDefaults = (line: string) => `${head}    ${line}\n${frontend('').slice(head.length)}`;

// Values of proxy keywords as proxy.c and parse_time_err() read them.
const VALUE_CASES: ParseCase[] = [
  // A duration overflows at 2^31 ms, with a unit or without.
  { text: withDefaults('timeout client 2147483647'), valid: true },
  { text: withDefaults('timeout client 2147483648'), valid: false, message: "timer overflow in argument '2147483648' to 'timeout client' (maximum value is 2147483647 ms or ~24.8 days)" },
  { text: withDefaults('timeout server 99999999999'), valid: false, message: "timer overflow in argument '99999999999' to 'timeout server'" },
  { text: withDefaults('timeout connect 30d'), valid: false, message: "timer overflow in argument '30d' to 'timeout connect'" },
  // Anything after a valid unit is only warned about.
  { text: withDefaults('timeout client 10sx'), valid: true, message: "unexpected character 'x' after the timer value '10sx', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported." },
  { text: withDefaults('timeout client 10x'), valid: false },
  // stats refresh is in seconds: its overflow is 2^31 s.
  { text: backend('    stats refresh 2147484s\n'), valid: true },
  { text: backend('    stats refresh 99999999999\n'), valid: false, message: 'timer overflow in argument <99999999999> to stats refresh interval, maximum value is 2147483647 s (~68 years).' },
  // rate-limit sessions: strtoul(…, 0), then the capability.
  { text: frontend('    rate-limit sessions 0x10\n'), valid: true },
  { text: frontend('    rate-limit sessions 08\n'), valid: false, message: "'rate-limit sessions' : unexpected character '8' in integer value '08'" },
  { text: backend('    rate-limit sessions 10\n'), valid: true, message: "rate-limit sessions will be ignored because backend 'b' has no frontend capability" },
  { text: backend('    rate-limit sessions abc\n'), valid: false, message: "'rate-limit sessions' : unexpected character 'a' in integer value 'abc'" },
  { text: backend('    rate-limit sessions\n'), valid: false, message: "'rate-limit sessions' expects expects an integer value (in sessions/second)" },
  // Numbers on the wrong side: warned about (with a hint for the two limits), refused when missing.
  { text: backend('    maxconn 10\n'), valid: true, message: "'maxconn' ignored because backend 'b' has no frontend capability. Maybe you want 'fullconn' instead ?" },
  { text: backend('    maxconn\n'), valid: false, message: "'maxconn' expects an integer argument." },
  { text: frontend('    fullconn\n'), valid: false, message: "'fullconn' expects an integer argument." },
  { text: frontend('    fullconn 10\n'), valid: true, message: "Maybe you want 'maxconn' instead ?" },
  { text: frontend('    retries\n'), valid: false, message: "'retries' expects an integer argument (dispatch counts for one)." },
  { text: backend('    backlog\n'), valid: false, message: "'backlog' expects an integer argument." },
  // max-session-srv-conns: a frontend's; in a backend, warned about and still read.
  { text: frontend('    max-session-srv-conns 2\n'), valid: true },
  { text: withDefaults('max-session-srv-conns 0'), valid: true },
  { text: backend('    max-session-srv-conns 2\n'), valid: true, message: "'max-session-srv-conns' ignored because backend 'b' has no frontend capability." },
  { text: backend('    max-session-srv-conns\n'), valid: false, message: "'max-session-srv-conns' expects a number. Got no argument" },
  // Frontend keywords in a backend: warned about, and still refused when their words are wrong.
  { text: backend('    capture request header X len\n'), valid: false, message: "'capture request' expects 'header' <header_name> 'len' <len>." },
  { text: backend('    capture cookie S len\n'), valid: false, message: "'capture' expects 'cookie' <cookie_name> 'len' <len>." },
  { text: frontend('    capture cookie S len\n'), valid: false, message: "'capture' expects 'cookie' <cookie_name> 'len' <len>." },
  { text: backend('    unique-id-format\n'), valid: false, message: 'unique-id-format expects an argument.' },
  { text: backend('    unique-id-header\n'), valid: false, message: 'unique-id-header expects an argument.' },
  { text: backend('    default_backend\n'), valid: false, message: "'default_backend' expects a backend name." },
  { text: backend('    monitor fail\n'), valid: false, message: "'monitor fail' requires either 'if' or 'unless' followed by a condition." },
  { text: backend('    monitor-uri\n'), valid: false, message: "'monitor-uri' expects an URI." },
  { text: backend('    option httplog foo\n'), valid: false, message: "keyword 'httplog' only supports option 'clf'." },
  { text: backend('    option httplog clf\n'), valid: true },
  // declare's own parser refuses a backend.
  { text: backend('    declare capture request len 10\n'), valid: false, message: "'declare' only available in frontend or listen section" },
  // Words HAProxy checks in every section.
  { text: backend('    description\n'), valid: false, message: "'description' expects a string argument." },
  { text: frontend('    option forwardfor except 1.2.3.4/33\n'), valid: false, message: "'option forwardfor except' expects <address>[/mask] as argument." },
  { text: frontend('    option forwardfor except 10.0.0.0/8\n'), valid: true },
  { text: frontend('    filter compression x\n'), valid: false, message: "'filter compression' : unknown keyword 'x'." },
];

test('proxy keyword values: durations, rate-limit sessions and numbers on the wrong side, as HAProxy 2.6 reads them', () => {
  assertLoadstarParses(VALUE_CASES);
});

test('haproxy -c agrees on these values', (t) => {
  assertHaproxyParses(t, VALUE_CASES);
});
