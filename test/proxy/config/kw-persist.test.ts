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

// A proxy's stick table is named after the proxy: a second table in one proxy, or tables in a
// frontend and a backend of the same name, clash (cfgparse-listen.c, stktable_find_by_name).
const TABLE_NAME_CASES: ParseCase[] = [
  { text: backend('stick-table type ip size 1k\n    stick-table type ip size 2k'), valid: false, message: "stick-table name 'b' conflicts with table declared in backend 'b' at " },
  // Checked before the words: even a malformed second line says this.
  { text: backend('stick-table type ip size 1k\n    stick-table type nope'), valid: false, message: "stick-table name 'b' conflicts with table declared in backend 'b' at " },
  { text: `${head}frontend b\n    bind 127.0.0.1:8\n    stick-table type ip size 1k\n    default_backend b\n${backend('stick-table type ip size 1k').slice(head.length)}`, valid: false, message: "stick-table name 'b' conflicts with table declared in frontend 'b' at " },
  { text: `${head}frontend b\n    bind 127.0.0.1:8\n    stick-table type ip size 1k\n    default_backend c\nbackend c\n    stick-table type ip size 1k\n    server s 127.0.0.1:80\n`, valid: true },
];

test('a second stick table under one name is refused with the first one\'s place', () => {
  assertLoadstarParses(TABLE_NAME_CASES);
  const r = parseConfig([{ name: 't.cfg', text: backend('stick-table type ip size 1k\n    stick-table type ip size 2k') }]);
  const alert = r.diagnostics.find((d) => d.severity !== 'warning');
  assert.equal(alert?.message, "stick-table name 'b' conflicts with table declared in backend 'b' at t.cfg:7.");
  assert.equal(alert?.line, 8);
});

test('haproxy -c agrees on stick table names', (t) => {
  assertHaproxyParses(t, TABLE_NAME_CASES);
});
