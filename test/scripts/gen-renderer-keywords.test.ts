import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { editorKeywords, renderRendererKeywords } from '../../scripts/renderer-keywords.ts';

const generated = fileURLToPath(new URL('../../renderer/src/generated/keywords.ts', import.meta.url));

test('the editor keyword file in renderer/src/generated is what the registry produces now', () => {
  assert.equal(fs.readFileSync(generated, 'utf8'), renderRendererKeywords(), "stale: run 'node --import tsx scripts/gen-renderer-keywords.ts' (npm run build does)");
});

test('the editor keywords are section-aware: balance in backends, not in global; bind in frontends, not in backends', () => {
  const k = editorKeywords();
  const names = (s: keyof typeof k) => new Set(k[s].map((x) => x.name));
  assert.ok(names('backend').has('balance'));
  assert.ok(!names('global').has('balance'));
  assert.ok(names('frontend').has('bind'));
  assert.ok(!names('backend').has('bind'));
  assert.ok(names('global').has('maxconn'));
  assert.ok(names('listen').has('server'));
});
