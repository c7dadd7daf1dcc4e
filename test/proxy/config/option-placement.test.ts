/**
 * Options where haproxy 2.6.12's own parser decides (cfgparse-listen.c), found by sweeping every
 * `option` Loadstar knows through each section kind against `haproxy -c`: `option tcplog` in a
 * backend is taken with a warning (the keyword table allows backends; its parser warns), and
 * `option http-use-htx`, which the 2.6 documentation still lists, is an unknown option.
 * In a section without the capability, the flag options of proxy.c's tables count their words
 * before warning (`option persist x` in a frontend: the refusal alone), and the protocol checks
 * warn, then still refuse bad words (`option pgsql-check` without `user`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const head = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';

const CASES: ParseCase[] = [
  { text: `${head}backend p\n    option tcplog\n    server s 127.0.0.1:1\n`, valid: true, message: "backend 'p' : 'option tcplog' directive is ignored in backends." },
  { text: `${head}listen p\n    bind 127.0.0.1:1\n    option tcplog\n    server s 127.0.0.1:1\n`, valid: true },
  { text: `${head}    option tcplog\nbackend p\n    server s 127.0.0.1:1\n`, valid: true },
  { text: `${head}backend p\n    option http-use-htx\n    server s 127.0.0.1:1\n`, valid: false, message: "unknown option 'http-use-htx'" },
  { text: `${head}    option http-use-htx\nbackend p\n    server s 127.0.0.1:1\n`, valid: false, message: "unknown option 'http-use-htx'" },
];

const frontend = (line: string) => `${head}frontend f\n    bind 127.0.0.1:1\n    ${line}\n    default_backend b\nbackend b\n    server s 127.0.0.1:1\n`;
const ignored = (name: string) => `'${name}' ignored because frontend 'f' has no backend capability.`;

const WRONG_SECTION_CASES: ParseCase[] = [
  { text: frontend('option persist x'), valid: false, message: "'option persist' cannot handle unexpected argument 'x'." },
  { text: frontend('option abortonclose'), valid: true, message: ignored('abortonclose') },
  { text: frontend('option pgsql-check'), valid: false, message: "'option pgsql-check' expects 'user <username>' as argument." },
  { text: frontend('option pgsql-check user x'), valid: true, message: ignored('pgsql-check') },
  { text: frontend('option mysql-check user'), valid: false, message: "'option mysql-check user' expects <username> as argument." },
  { text: frontend('option mysql-check foo'), valid: false, message: "'option mysql-check' only supports optional values: 'user' (got 'foo')." },
  { text: frontend('option smtpchk a b c'), valid: false, message: "'option smtpchk' cannot handle unexpected argument 'c'." },
  { text: frontend('option ldap-check x'), valid: false, message: "'option ldap-check' cannot handle unexpected argument 'x'." },
];

test('options in a frontend: flag options count their words first, protocol checks still read theirs', () => {
  assertLoadstarParses(WRONG_SECTION_CASES);
  const messages = (line: string) => parseConfig([{ name: 'f.cfg', text: frontend(line) }]).diagnostics.map((d) => d.message);
  // haproxy prints the refusal alone: the capability is never looked at.
  assert.deepEqual(messages('option persist x'), ["'option persist' cannot handle unexpected argument 'x'."]);
  assert.deepEqual(messages('option pgsql-check'), [ignored('pgsql-check'), "'option pgsql-check' expects 'user <username>' as argument."]);
  // What an ignored line says is checked, not kept.
  const f = parseConfig([{ name: 'f.cfg', text: frontend('option pgsql-check user x') }]).config.proxies.find((p) => p.name === 'f');
  assert.equal(f?.options['pgsql-check'], undefined);
});

test('haproxy -c agrees on options in a frontend', (t) => {
  assertHaproxyParses(t, WRONG_SECTION_CASES);
});

test('option tcplog in a backend warns and option http-use-htx is unknown, as in haproxy 2.6.12', () => {
  assertLoadstarParses(CASES);
});

test('haproxy -c agrees on these options', (t) => {
  assertHaproxyParses(t, CASES);
});
