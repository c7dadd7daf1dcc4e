/**
 * The `cache` section and the cache rules as HAProxy 2.6.12's `haproxy -c` judges them: each case
 * gives HAProxy's alert (or warning) text, recorded, which Loadstar's diagnostics must contain;
 * where haproxy is installed, it is asked again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

const HEAD = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
const USE = 'frontend f\n    bind 127.0.0.1:1\n    http-request cache-use c\n    http-response cache-store c\n    default_backend b\nbackend b\n    server s 127.0.0.1:2\n';

const CASES: Array<{ name: string; text: string; message?: string; warning?: boolean }> = [
  { name: 'a cache and its rules', text: `cache c\n    total-max-size 4\n    max-object-size 10000\n    max-age 240\n    process-vary on\n    max-secondary-entries 5\n${USE}` },
  { name: 'filter cache before filter compression', text: `cache c\n    total-max-size 1\nbackend b\n    filter cache c\n    filter compression\n    http-request cache-use c\n    compression algo gzip\n    server s 127.0.0.1:2\n` },
  { name: 'no size', text: `cache c\n    max-age 10\n${USE}`, message: "Size not specified for cache 'c'" },
  { name: 'object limit over half the size', text: `cache c\n    total-max-size 1\n    max-object-size 600000\n`, message: '"max-object-size" is limited to an half of "total-max-size" => 524288' },
  { name: 'an unknown cache', text: `cache other\n    total-max-size 1\n${USE}`, message: "config: frontend 'f': unable to find the cache 'c' referenced by the filter 'cache'." },
  { name: 'filter compression before filter cache', text: `cache c\n    total-max-size 1\nbackend b\n    filter compression\n    filter cache c\n    http-request cache-use c\n    server s 127.0.0.1:2\n`, message: "config: backend 'b': unable to enable the compression filter before the cache 'c'." },
  { name: 'an unknown cache in a listen section (a "proxy" to HAProxy)', text: `cache other\n    total-max-size 1\nlisten p\n    bind 127.0.0.1:1\n    http-request cache-use c\n    server s 127.0.0.1:2\n`, message: "config: proxy 'p': unable to find the cache 'c' referenced by the filter 'cache'." },
  { name: 'filter compression before filter cache in a listen section', text: `cache c\n    total-max-size 1\nlisten p\n    bind 127.0.0.1:1\n    filter compression\n    filter cache c\n    http-request cache-use c\n    server s 127.0.0.1:2\n`, message: "config: proxy 'p': unable to enable the compression filter before the cache 'c'." },
  { name: 'an unknown keyword in the section', text: `cache c\n    total-max-size 1\n    foo 1\n`, message: "unknown keyword 'foo' in 'cache' section" },
  { name: 'cache-use without a name', text: `cache c\n    total-max-size 1\nfrontend f\n    bind 127.0.0.1:1\n    http-request cache-use\n`, message: "error detected in frontend 'f' while parsing 'http-request cache-use' rule : expects a cache name." },
  { name: 'a word after the cache name', text: `cache c\n    total-max-size 1\nbackend b\n    http-request cache-use c foo\n    server s 127.0.0.1:2\n`, message: "'http-request cache-use' expects either 'if' or 'unless' followed by a condition but found 'foo'." },
  { name: 'two explicit filters for one cache', text: `cache c\n    total-max-size 1\nbackend b\n    filter cache c\n    filter cache c\n    server s 127.0.0.1:2\n`, message: "'filter' : 'b: multiple explicit declarations of the cache filter 'c''" },
  { name: 'a size over 4095 MB', text: `cache c\n    total-max-size 5000\n`, message: '"total-max-size" (5000) must not be greater than 4095' },
  { name: 'two caches of one name', text: `cache c\n    total-max-size 1\ncache c\n    total-max-size 1\n`, message: "Duplicate cache name 'c'." },
  { name: 'a cache without a name', text: `cache\n    total-max-size 1\n`, message: "'cache' expects a <name> argument" },
  { name: 'a bad total-max-size', text: `cache c\n    total-max-size 1M\n`, message: "total-max-size wrong value '1M'" },
  { name: 'max-secondary-entries 0', text: `cache c\n    total-max-size 1\n    max-secondary-entries 0\n`, message: "max-secondary-entries wrong value '0'" },
  { name: 'process-vary neither on nor off', text: `cache c\n    total-max-size 1\n    process-vary yes\n`, message: `'process-vary' expects "on" or "off" (enable or disable vary processing).`, warning: true },
];

test('cache sections and rules: what Loadstar accepts and refuses, with HAProxy\'s messages', () => {
  for (const c of CASES) {
    const result = parseConfig([{ name: 'cache.cfg', text: HEAD + c.text }]);
    const problems = result.diagnostics.filter((d) => d.severity !== 'warning').map((d) => d.message);
    const warnings = result.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message);
    if (c.message === undefined) assert.deepEqual(problems, [], c.name);
    else if (c.warning) assert.ok(warnings.some((m) => m.includes(c.message!)), `${c.name}: ${warnings.join('; ')}`);
    else assert.ok(problems.some((m) => m.includes(c.message!)), `${c.name}: ${problems.join('; ')}`);
  }
});

test('HAProxy gives the same verdicts and messages', (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-cache-section-'));
  try {
    for (const [i, c] of CASES.entries()) {
      const file = path.join(dir, `case${i}.cfg`);
      fs.writeFileSync(file, HEAD + c.text);
      const r = haproxyCheck(file, dir);
      if (c.message === undefined) assert.ok(!r.output.includes('[ALERT]'), `${c.name}:\n${r.output}`);
      else assert.ok(r.output.includes(c.message), `${c.name}:\n${r.output}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
