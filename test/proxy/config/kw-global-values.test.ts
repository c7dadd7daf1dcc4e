/**
 * Values of global keywords as HAProxy 2.6.12 reads them (cfgparse-global.c, cfgparse-ssl.c,
 * mux_h2.c, vars.c, thread.c, cli.c), found by a value sweep against `haproxy -c`: durations with
 * their own messages, ints that wrap, ranges of keywords Loadstar only records, and keywords of
 * HAProxy's tables the manual's list omits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const site = (line: string): string => `global\n    ${line}\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nfrontend web\n    bind 127.0.0.1:8080\n    http-request return status 200\n`;
const ok = (line: string): ParseCase => ({ text: site(line), valid: true });
const refused = (line: string, message: string): ParseCase => ({ text: site(line), valid: false, message });

const CASES: ParseCase[] = [
  // Durations with the messages of their own parsers.
  refused('grace', "'grace' expects <time> as argument."),
  refused('grace 10x', "unexpected character 'x' in argument to <grace>."),
  refused('grace 2147483648', "timer overflow in argument '2147483648' to 'grace'"),
  ok('grace 10s'),
  refused('max-spread-checks -1', "unsupported character '-' in 'max-spread-checks' (wants an integer delay)."),
  refused('max-spread-checks 99999999999', 'timer overflow in argument <99999999999> to <max-spread-checks>'),
  refused('tune.idletimer 70000', "'tune.idletimer' expects a timer value between 0 and 65535 ms."),
  refused('tune.idletimer 1.5', "unexpected character '.' in argument to <tune.idletimer>."),
  ok('tune.idletimer 1s'),
  refused('tune.ssl.lifetime abc', "unexpected character 'a' in argument to <tune.ssl.lifetime>."),
  refused('tune.ssl.lifetime 2147483648', "timer overflow in argument '2147483648' to <tune.ssl.lifetime> (maximum value is 2147483647 s or ~68 years)."),
  ok('tune.ssl.lifetime 1d'),
  refused('stats timeout 0', "'stats timeout' expects a positive value"),
  refused('stats timeout 1.5', "'stats timeout' : unexpected character '.'"),
  refused('close-spread-time abc', "unexpected character 'a' in argument to <close-spread-time>."),
  ok('close-spread-time infinite'),
  // Stored in a C int: 2^31 wraps negative, 99999999999 wraps positive.
  refused('maxsslconn 2147483648', "'maxsslconn' expects a positive numeric value."),
  ok('maxsslconn 99999999999'),
  refused('tune.ssl.cachesize 2147483648', "'tune.ssl.cachesize' expects a positive numeric value."),
  refused('tune.maxrewrite 2147483648', "'tune.maxrewrite' expects a positive integer argument."),
  ok('tune.maxrewrite 99999999999'),
  refused('tune.maxaccept 2147483648', "'tune.maxaccept' expects -1 or an integer from 0 to INT_MAX."),
  ok('tune.ssl.default-dh-param -1'),
  // Ranges of what Loadstar records without effect.
  refused('tune.h2.header-table-size 100', "'tune.h2.header-table-size' expects a numeric value between 4096 and 65536."),
  ok('tune.h2.header-table-size 4096'),
  refused('tune.h2.initial-window-size -1', "'tune.h2.initial-window-size' expects a positive numeric value."),
  refused('tune.h2.max-frame-size 1', "'tune.h2.max-frame-size' expects a numeric value between 16384 and 16777215."),
  ok('tune.h2.max-frame-size 16384'),
  refused('tune.vars.txn-max-size 10k', "tune.vars.txn-max-size: '10k' is an invalid size"),
  refused('tune.pattern.cache-size -1', "'tune.pattern.cache-size' expects a positive numeric value"),
  refused('tune.rcvbuf.client', "'tune.rcvbuf.client' expects an integer argument."),
  refused('tune.maxpollevents', "'tune.maxpollevents' expects an integer argument."),
  // In HAProxy's keyword tables, not in the manual's list.
  ok('thread-groups 1'),
  refused('thread-groups 2', "'thread-groups' value must be between 1 and 1 (was 2)"),
  refused('thread-groups abc', "'thread-groups' passed a missing or unparsable integer value in 'abc'"),
  ok('tune.listener.multi-queue on'),
  refused('tune.vars.check-max-size 10k', "tune.vars.check-max-size: '10k' is an invalid size"),
  { text: site('tune.ssl.capture-cipherlist-size 10'), valid: true, message: "'tune.ssl.capture-cipherlist-size' is deprecated and will be removed in version 2.7." },
  // Messages of cfgparse-global.c and thread.c where both refuse.
  refused('nbthread abc', "'nbthread' passed a missing or unparsable integer value in 'abc'"),
  refused('nbthread -1', "'nbthread' value must be between 1 and 64 (was -1)"),
  refused('spread-checks 100', "'spread-checks' needs a positive value in range 0..50."),
  refused('spread-checks', "'spread-checks' expects an integer argument (0..50)."),
  refused('hard-stop-after 1.5', "unexpected character '.' in argument to <hard-stop-after>."),
  refused('hard-stop-after', "'hard-stop-after' expects <time> as argument."),
  refused('tune.bufsize 0', "'tune.bufsize' expects a positive integer argument."),
  refused('tune.http.maxhdr 0', "'tune.http.maxhdr' expects a numeric value between 1 and 32767"),
  // 0 is where HAProxy derives the limit from, as without the line.
  ok('maxconn 0'),
];

test('global values: refused and taken as HAProxy 2.6 reads them', () => {
  assertLoadstarParses(CASES);
  const global = (line: string) => parseConfig([{ name: 'g.cfg', text: site(line) }]).config.global;
  assert.equal(global('maxconn 0').maxconn, undefined);
  assert.equal(global('tune.maxrewrite 99999999999').tune['tune.maxrewrite'], '1215752191');
});

test('haproxy -c agrees on these global values', (t) => {
  assertHaproxyParses(t, CASES);
});
