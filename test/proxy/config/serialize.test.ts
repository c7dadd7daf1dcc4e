import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, serialize, formatDiagnostics } from '../../../proxy/config/index.ts';
import type { Config } from '../../../proxy/config/model.ts';
import { scenarioFiles, readScenario, inScenarios, scenariosDir } from '../../helpers/scenarios.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

/** The model without positions and back-references, for comparing two parses. */
export function comparable(config: Config): unknown {
  const drop = new Set(['loc', 'argColumns', 'source', 'section', 'defaults', 'column', 'line', 'file']);
  return JSON.parse(JSON.stringify({ sections: config.sections, proxies: config.proxies, global: config.global, resolvers: config.resolvers, userlists: config.userlists, trailing: config.trailingComments }, (key, value) => {
    if (drop.has(key)) return undefined;
    if (value instanceof Map) return Object.fromEntries(value);
    if (value instanceof RegExp) return value.source;
    return value;
  }));
}

const corpus = [...scenarioFiles('valid'), 'seed/seed-1-roundrobin.cfg', 'seed/seed-3-acl-routing.cfg'];

for (const file of corpus) {
  test(`serializing ${file} and parsing it again gives the same model, comments included`, () => {
    inScenarios(() => {
      const first = parseConfig([{ name: file, text: readScenario(file) }]);
      const text = serialize(first.config);
      const second = parseConfig([{ name: 'serialized.cfg', text }]);
      assert.deepEqual(second.diagnostics.filter((d) => d.severity !== 'warning'), [], formatDiagnostics(second.diagnostics));
      assert.deepEqual(comparable(second.config), comparable(first.config));
      assert.equal(serialize(second.config), text, 'serialization is canonical (a fixed point)');
      const commentsIn = readScenario(file).split('\n').filter((l) => /^\s*#/.test(l)).length;
      const commentsOut = text.split('\n').filter((l) => /^\s*#/.test(l)).length;
      assert.equal(commentsOut, commentsIn, 'every whole-line comment survives');
    });
  });
}

test('every configuration the serializer writes passes haproxy -c', (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-serialized-'));
  for (const file of scenarioFiles('valid')) {
    const text = inScenarios(() => serialize(parseConfig([{ name: file, text: readScenario(file) }]).config));
    const out = path.join(dir, path.basename(file));
    fs.writeFileSync(out, text);
    const r = haproxyCheck(out, scenariosDir);
    assert.equal(r.status, 0, `${file} as serialized:\n${text}\n${r.output}`);
  }
});

test('an edited argument is quoted so that it reads back unchanged', () => {
  const r = parseConfig([{ name: 'x.cfg', text: 'frontend web\n    bind :8080\n    http-request set-header X-Note "hello world"\n' }]);
  const d = r.config.sections[0]!.directives[1]!;
  d.args = ['set-header', 'X-Note', `it's a "test" # not a comment`];
  const again = parseConfig([{ name: 'y.cfg', text: serialize(r.config) }]);
  assert.deepEqual(again.config.sections[0]!.directives[1]!.args, d.args);
});
