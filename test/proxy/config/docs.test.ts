import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { renderConfigurationDoc } from '../../../proxy/config/docs.ts';
import { allProxyKeywords } from '../../../proxy/config/keywords.ts';
import { HAPROXY_PROXY_KEYWORDS } from '../../../proxy/config/haproxy-keywords.ts';

test('docs/configuration.md is generated from the keyword registry and up to date', () => {
  const onDisk = fs.readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(onDisk, renderConfigurationDoc(), 'run `npm run docs:config` and commit the result');
});

test('registered proxy keywords accept the same sections as HAProxy\'s keyword matrix', () => {
  const matrix = new Map(HAPROXY_PROXY_KEYWORDS);
  const mismatches = allProxyKeywords()
    .filter((k) => matrix.has(k.name) && matrix.get(k.name) !== k.sections)
    .map((k) => `${k.name}: loadstar '${k.sections}', haproxy '${matrix.get(k.name)}'`);
  assert.deepEqual(mismatches, []);
});
