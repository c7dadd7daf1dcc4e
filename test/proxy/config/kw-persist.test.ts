/**
 * `persist rdp-cookie[(<name>)]`: accepted and refused with haproxy 2.6.12's messages
 * (cfgparse-listen.c), checked against `haproxy -c` when installed; inherited from defaults.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const head = 'defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
const backend = (line: string) => `${head}backend b\n    ${line}\n    server s 127.0.0.1:80\n`;

const CASES: ParseCase[] = [
  { text: backend('persist rdp-cookie'), valid: true },
  { text: backend('persist rdp-cookie(abc)'), valid: true },
  // Without a name in parentheses HAProxy reads no further word.
  { text: backend('persist rdp-cookie x y'), valid: true },
  { text: `${head}frontend f\n    bind 127.0.0.1:8\n    persist rdp-cookie\n`, valid: true },
  { text: backend('persist rdp-cookie()'), valid: false, message: "persist rdp-cookie(name)' requires an rdp cookie name." },
  { text: backend('persist rdp-cookiex'), valid: false, message: "persist rdp-cookie(name)' requires an rdp cookie name." },
  { text: backend('persist rdp-cookie(a) b'), valid: false, message: "'persist' cannot handle unexpected argument 'b'." },
  { text: backend('persist foo'), valid: false, message: 'unknown persist method.' },
  { text: backend('persist'), valid: false, message: 'missing persist method.' },
];

test('persist lines: accepted and refused with HAProxy 2.6\'s messages', () => {
  assertLoadstarParses(CASES);
});

test('HAProxy 2.6 accepts and refuses the same persist lines', (t) => {
  assertHaproxyParses(t, CASES);
});

test('persist rdp-cookie: the cookie name (default msts), inherited from the defaults section', () => {
  const persistOf = (text: string) => {
    const r = parseConfig([{ name: 'p.cfg', text }]);
    assert.ok(r.ok);
    const b = r.config.proxies.find((p) => p.name === 'b');
    return b && 'rdpCookiePersist' in b ? b.rdpCookiePersist?.name : undefined;
  };
  assert.equal(persistOf(backend('persist rdp-cookie')), 'msts');
  assert.equal(persistOf(backend('persist rdp-cookie(token)')), 'token');
  assert.equal(persistOf(`${head}    persist rdp-cookie\nbackend b\n    server s 127.0.0.1:80\n`), 'msts');
});
