/**
 * Keywords HAProxy removed get HAProxy 2.6's message saying what to write instead, in every proxy
 * section, not "unknown keyword": a configuration written for an older HAProxy is told how to move.
 */
import { test } from 'node:test';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const head = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
const listen = (line: string) => `${head}listen l\n    bind 127.0.0.1:8\n    ${line}\n    server s 127.0.0.1:80\n`;
const backend = (line: string) => `${head}backend b\n    ${line}\n    server s 127.0.0.1:80\n`;

const CASES: ParseCase[] = [
  { text: listen('reqadd X-Proxy:\\ loadstar'), valid: false, message: "The 'reqadd' directive is not supported anymore since HAProxy 2.1. Use 'http-request add-header' instead." },
  { text: listen('rspdel ^Server:.*'), valid: false, message: "The 'rspdel' directive is not supported anymore since HAProxy 2.1. Use 'http-response del-header' ." },
  { text: listen('reqdeny ^X-Bad'), valid: false, message: "The 'reqdeny' not supported anymore since HAProxy 2.1. Use 'http-request deny' instead." },
  { text: listen('reqrep ^(.*)\\ /old(.*) \\1\\ /new\\2'), valid: false, message: "Use 'http-request replace-path', 'http-request replace-uri' or 'http-request replace-header' instead." },
  { text: backend('block if TRUE'), valid: false, message: "The 'block' directive is not supported anymore since HAProxy 2.1. Use 'http-request deny' which uses the exact same syntax." },
  { text: `${head}    clitimeout 5000\nbackend b\n    server s 127.0.0.1:80\n`, valid: false, message: "the 'clitimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout client'." },
  { text: backend('srvtimeout 5000'), valid: false, message: "Use 'timeout server'." },
  { text: backend('redispatch'), valid: false, message: "keyword 'redispatch' directive is not supported anymore since HAProxy 2.1. Use 'option redispatch'." },
  { text: listen('monitor-net 10.0.0.0/8'), valid: false, message: "'monitor-net' doesn't exist anymore. Please use 'http-request return status 200 if { src 10.0.0.0/8 }' instead." },
  { text: backend('appsession JSESSIONID len 52 timeout 3h'), valid: false, message: "'appsession' is not supported anymore since HAProxy 1.6." },
  { text: listen('grace 10s'), valid: false, message: "the 'grace' keyword is not supported any more since HAProxy version 2.5." },
  { text: backend('option forceclose'), valid: false, message: "option 'forceclose' is not supported any more since HAProxy 2.0, please just remove it, or use 'option httpclose' if absolutely needed." },
  { text: backend('option http-tunnel'), valid: false, message: "option 'http-tunnel' is not supported any more since HAProxy 2.1, please just remove it, it shouldn't be needed." },
  { text: backend('option http_proxy'), valid: false, message: "option 'http_proxy' is not supported any more since HAProxy 2.5." },
  { text: backend('usesrc clientip'), valid: false, message: "'usesrc' only allowed after a 'source' statement." },
];

test('removed keywords are refused with what to write instead, as HAProxy 2.6 says it', () => {
  assertLoadstarParses(CASES);
});

test('haproxy -c agrees on removed keywords', (t) => {
  assertHaproxyParses(t, CASES);
});
