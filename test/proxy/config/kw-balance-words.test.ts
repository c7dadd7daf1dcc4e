/**
 * `balance`'s words as HAProxy 2.6's backend_parse_balance() reads them, checked against `haproxy -c`:
 * what it does not read it does not refuse (`balance source x` loads), `balance` alone is round
 * robin, and each refusal is its message. (`balance hash`: kw-balance-hash.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import type { Balance } from '../../../proxy/config/model.ts';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const backend = (line: string) => `defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nbackend be\n    ${line}\n    server s 127.0.0.1:80\n`;

const CASES: ParseCase[] = [
  // Words an algorithm does not read are not refused.
  ...['roundrobin x', 'static-rr x', 'leastconn x y', 'first x', 'source x', 'random x', 'random(3) x', 'rdp-cookie x', 'rdp-cookie(c) x', 'uri whole path-only', 'url_param p check_post 100 x', 'hdr(host) use_domain_only x', 'hdr(host)x']
    .map((words) => ({ text: backend(`balance ${words}`), valid: true })),
  { text: backend('balance'), valid: true },
  // random's count, read as strtol(…, 0): hex and octal; ')' may be followed by anything.
  ...['random()', 'random(0x10)', 'random(010)', 'random(2)x', 'randomness'].map((words) => ({ text: backend(`balance ${words}`), valid: true })),
  { text: backend('balance random(0)'), valid: false, message: 'balance random : number of draws must be at least 1.' },
  { text: backend('balance random(-2)'), valid: false, message: 'balance random : number of draws must be at least 1.' },
  { text: backend('balance random(2'), valid: false, message: 'balance random : missing closing parenthesis.' },
  { text: backend('balance random(a)'), valid: false, message: "balance random : unexpected character 'a' after argument." },
  { text: backend('balance random(08)'), valid: false, message: "balance random : unexpected character '8' after argument." },
  { text: backend('balance url_param'), valid: false, message: 'balance url_param requires an URL parameter name.' },
  { text: backend('balance url_param p foo'), valid: false, message: "balance url_param only accepts 'check_post' modifier (got 'foo')." },
  { text: backend('balance hdr(host) foo'), valid: false, message: "balance hdr(host) only accepts 'use_domain_only' modifier (got 'foo')." },
  { text: backend('balance hdr()'), valid: false, message: 'balance hdr requires an http header field name.' },
  { text: backend('balance hdr(host'), valid: false, message: 'balance hdr requires an http header field name.' },
  { text: backend('balance hdr'), valid: false, message: "balance only supports 'roundrobin'" },
  { text: backend('balance rdp-cookie()'), valid: false, message: 'balance rdp-cookie : missing cookie name.' },
  { text: backend('balance rdp-cookiex'), valid: false, message: 'balance rdp-cookie : missing cookie name.' },
  { text: backend('balance rdp-cookie(c'), valid: false, message: 'balance rdp-cookie : missing cookie name.' },
  { text: backend('balance uri len 3x'), valid: true },
  { text: backend('balance uri len 0'), valid: false, message: "balance uri : 'len' expects a positive integer (got '0')." },
  { text: backend('balance uri depth'), valid: false, message: "balance uri : 'depth' expects a positive integer (got '')." },
  { text: backend('balance uri foo'), valid: false, message: "balance uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got 'foo')." },
  { text: backend('balance roundrobins'), valid: false, message: "balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options." },
];

test("balance's words are read as HAProxy 2.6 reads them", () => {
  assertLoadstarParses(CASES);
});

test('haproxy -c agrees on balance\'s words', (t) => {
  assertHaproxyParses(t, CASES);
});

test('what the words mean: random counts, hdr and rdp-cookie names end at their parenthesis, uri len reads its leading digits', () => {
  const of = (words: string): Balance => {
    const be = parseConfig([{ name: 'b.cfg', text: backend(`balance ${words}`) }]).config.proxies.find((p) => p.name === 'be');
    assert.ok(be && 'balance' in be && be.balance);
    return be.balance;
  };
  assert.equal(of('random(0x10)').draws, 16);
  assert.equal(of('random(010)').draws, 8);
  assert.equal(of('random()').draws, 2);
  assert.equal(of('randomness').draws, 2);
  assert.equal(of('hdr(host)x').header, 'host');
  assert.equal(of('rdp-cookie(c)x').header, 'c');
  assert.equal(of('uri len 3x').uri?.len, 3);
  assert.equal(of('').algorithm, 'roundrobin');
});
