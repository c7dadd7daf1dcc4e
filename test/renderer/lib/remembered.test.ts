/** The Health screen's range kept across screens and page reloads (renderer/src/lib/remembered.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readChoice, writeChoice, type ChoiceStorage } from '../../../renderer/src/lib/remembered.ts';

function memory(): ChoiceStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return { items, getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v) };
}

test('a chosen range is read back; nothing kept, or a value no longer offered, reads as the default', () => {
  const storage = memory();
  const ranges = ['1h', '24h', '7d'] as const;
  assert.equal(readChoice(storage, 'r', ranges, '1h'), '1h');
  writeChoice(storage, 'r', '7d');
  assert.equal(readChoice(storage, 'r', ranges, '1h'), '7d');
  storage.items.set('r', '30d');
  assert.equal(readChoice(storage, 'r', ranges, '1h'), '1h');
});

test('a storage that is missing or refuses only means the choice is not kept', () => {
  const refusing: ChoiceStorage = { getItem: () => { throw new Error('SecurityError'); }, setItem: () => { throw new Error('QuotaExceededError'); } };
  assert.equal(readChoice(refusing, 'r', ['1h', '24h'], '24h'), '24h');
  assert.doesNotThrow(() => writeChoice(refusing, 'r', '1h'));
  assert.equal(readChoice(undefined, 'r', ['1h'], '1h'), '1h');
  assert.doesNotThrow(() => writeChoice(undefined, 'r', '1h'));
});
