import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { scenarioFiles, readScenario, inScenarios } from '../../helpers/scenarios.ts';

/** Deterministic PRNG (mulberry32) so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = ['"', "'", '\\', '#', '{', '}', '!', '||', 'if', 'unless', '%[', ']', '(', ')', ',', ':', '-1', '99999', '${X}', '\\x', 'server', 'bind', 'acl', 'backend', 'frontend', '.if', '.endif', '-m', '-i', 'check', 'ssl', '\t', ' '];

function mutate(text: string, random: () => number): string {
  const lines = text.split('\n');
  const mutations = 1 + Math.floor(random() * 4);
  for (let m = 0; m < mutations; m++) {
    const i = Math.floor(random() * lines.length);
    const line = lines[i] ?? '';
    const pos = Math.floor(random() * (line.length + 1));
    switch (Math.floor(random() * 6)) {
      case 0: lines[i] = line.slice(0, pos) + TOKENS[Math.floor(random() * TOKENS.length)] + line.slice(pos); break;
      case 1: lines[i] = line.slice(0, pos) + line.slice(pos + 1 + Math.floor(random() * 5)); break;
      case 2: lines.splice(i, 1); break;
      case 3: lines.splice(i, 0, lines[Math.floor(random() * lines.length)] ?? ''); break;
      case 4: lines[i] = line.slice(0, pos); break;
      default: lines[i] = line.split(' ').reverse().join(' ');
    }
  }
  return lines.join('\n');
}

test('random mutations of the corpus never crash the parser, only produce diagnostics', () => {
  const corpus = [...scenarioFiles('valid'), ...scenarioFiles('invalid')].map((f) => ({ f, text: readScenario(f) }));
  // CONFIG_FUZZ_SEED and CONFIG_FUZZ_COUNT run other or more mutations (a failure names its seed).
  const seed = Number(process.env.CONFIG_FUZZ_SEED ?? 20261123);
  const random = rng(seed);
  const iterations = Number(process.env.CONFIG_FUZZ_COUNT ?? 1500);
  let rejected = 0;
  inScenarios(() => {
    for (let n = 0; n < iterations; n++) {
      const { f, text } = corpus[Math.floor(random() * corpus.length)]!;
      const mutated = mutate(text, random);
      let result;
      try {
        result = parseConfig([{ name: f, text: mutated }], { env: { X: 'x' } });
      } catch (e) {
        assert.fail(`parser threw on mutation #${n} (seed ${seed}) of ${f}: ${(e as Error).stack}\n--- input ---\n${mutated}`);
      }
      if (!result.ok) rejected++;
      for (const d of result.diagnostics) {
        assert.ok(d.line >= 1 && d.message.length > 0, `diagnostic without line or message: ${JSON.stringify(d)}`);
      }
    }
  });
  assert.ok(rejected > iterations / 10, `mutations should often be rejected (${rejected}/${iterations})`);
});
