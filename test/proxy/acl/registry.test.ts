import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FETCH_DEFINITIONS } from '../../../proxy/acl/fetch/index.ts';
import { CONVERTER_DEFINITIONS } from '../../../proxy/acl/converter/index.ts';

const aclDir = new URL('../../../proxy/acl/', import.meta.url);

function sources(dir: URL): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...sources(new URL(`${entry.name}/`, dir)));
    else if (entry.name.endsWith('.ts')) out.push(path.join(dir.pathname, entry.name));
  }
  return out;
}

test('each fetch and converter is defined by exactly one family row', () => {
  const count = (names: string[]) => names.filter((n, i) => names.indexOf(n) !== i);
  assert.deepEqual(count(FETCH_DEFINITIONS.map((d) => d.row[0])), []);
  assert.deepEqual(count(CONVERTER_DEFINITIONS.map((d) => d.row[0])), []);
});

test('the ACL evaluator exports no mutable module state (results go through caller-owned objects)', () => {
  const offenders = sources(aclDir).flatMap((file) =>
    fs.readFileSync(file, 'utf8').split('\n').map((line, i) => ({ line, at: `${path.relative(aclDir.pathname, file)}:${i + 1}` }))
      .filter(({ line }) => /^export\s+(let|var)\s/.test(line) || /^export\s+const\s+\w+\s*=\s*\{\s*(start|end|mayChange)\b/.test(line)));
  assert.deepEqual(offenders.map((o) => o.at), []);
});
