/**
 * `stats show-node` and `stats show-desc` as HAProxy 2.6 reads them (cfgparse-listen.c): a node
 * name of letters, digits, '_', '-' and '.', or none; a description of any words, or none when
 * the global section has a `description` (else a warning, and nothing shown). What the page then
 * shows: test/proxy/stats/page.test.ts.
 */
import { test } from 'node:test';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const config = (global: string, line: string) => `global\n${global}defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n`
  + `listen stats\n    bind 127.0.0.1:8404\n    stats enable\n    ${line}\n`;

const CASES: ParseCase[] = [
  { text: config('', 'stats show-node'), valid: true },
  { text: config('', 'stats show-node lab-1.home_2'), valid: true },
  { text: config('', 'stats show-node lab/1'), valid: false, message: "'stats show-node' invalid node name - should be a stringwith digits(0-9), letters(A-Z, a-z), hyphen(-) or underscode(_)." },
  { text: config('', 'stats show-node é'), valid: false, message: "'stats show-node' invalid node name" },
  { text: config('', 'stats show-desc rack 2 shelf 3'), valid: true },
  { text: config('    description lab\n', 'stats show-desc'), valid: true },
  { text: config('', 'stats show-desc'), valid: true, message: "'show-desc' requires a parameter or 'desc' to be set in the global section." },
];

test('stats show-node and show-desc: Loadstar reads them as listed', () => {
  assertLoadstarParses(CASES);
});

test('stats show-node and show-desc: haproxy 2.6.12 reads them the same', (t) => {
  assertHaproxyParses(t, CASES);
});
