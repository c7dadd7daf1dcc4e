import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forgetWizard, readWizard, saveWizard, SAVED_WIZARD_KEY } from '../../../renderer/src/lib/wizard-saved.ts';
import { newSite } from '../../../renderer/src/lib/wizard.ts';

function memory(): Storage {
  const items = new Map<string, string>();
  return {
    get length() { return items.size; },
    clear: () => items.clear(),
    key: (i: number) => [...items.keys()][i] ?? null,
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
    removeItem: (k: string) => void items.delete(k),
  };
}

test('an unfinished wizard saved before a reload comes back for the same mode, with its step and what was typed', () => {
  const storage = memory();
  const draft = { ...newSite('http'), name: 'shop', address: '127.0.0.1', port: '8081' };
  draft.backends = [{ ...draft.backends[0]!, name: 'shop_backend' }] as typeof draft.backends;
  saveWizard(storage, { mode: { kind: 'new' }, draft, step: 'servers' });
  const back = readWizard(storage, { kind: 'new' });
  assert.ok(back);
  assert.equal(back.step, 'servers');
  assert.equal(back.draft.name, 'shop');
  assert.equal(back.draft.port, '8081');
  assert.equal(back.draft.backends[0]!.name, 'shop_backend');
  // Another wizard (an edit form) does not get it.
  assert.equal(readWizard(storage, { kind: 'frontend', name: 'shop' }), undefined);
  forgetWizard(storage);
  assert.equal(readWizard(storage, { kind: 'new' }), undefined);
});

test('a private key pasted for import is never written to the storage', () => {
  const storage = memory();
  const key = '-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----\n';
  saveWizard(storage, { mode: { kind: 'new' }, draft: { ...newSite('https'), importPem: key }, step: 'tls' });
  assert.ok(!storage.getItem(SAVED_WIZARD_KEY)!.includes('PRIVATE KEY'));
  assert.equal(readWizard(storage, { kind: 'new' })!.draft.importPem, '');
});

test('the stats page password is never written to the storage; its user name is', () => {
  const storage = memory();
  saveWizard(storage, { mode: { kind: 'new' }, draft: { ...newSite('http'), statsUser: 'admin', statsPassword: 's3cret-pass' }, step: 'routing' });
  assert.ok(!storage.getItem(SAVED_WIZARD_KEY)!.includes('s3cret-pass'));
  const draft = readWizard(storage, { kind: 'new' })!.draft;
  assert.deepEqual([draft.statsUser, draft.statsPassword], ['admin', '']);
});

test('an unreadable saved wizard, a missing or refusing storage resume nothing and throw nothing', () => {
  const storage = memory();
  for (const junk of ['{', 'null', '42', '{"mode":{"kind":"new"},"step":"what"}', '{"mode":{"kind":"new"},"step":"what","draft":{"kind":"ftp","backends":[],"rules":[]}}']) {
    storage.setItem(SAVED_WIZARD_KEY, junk);
    assert.equal(readWizard(storage, { kind: 'new' }), undefined, junk);
  }
  assert.equal(readWizard(undefined, { kind: 'new' }), undefined);
  const refusing = { ...memory(), getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('quota'); }, removeItem: () => { throw new Error('denied'); } } as unknown as Storage;
  assert.doesNotThrow(() => saveWizard(refusing, { mode: { kind: 'new' }, draft: newSite('http'), step: 'what' }));
  assert.doesNotThrow(() => forgetWizard(refusing));
  assert.equal(readWizard(refusing, { kind: 'new' }), undefined);
});

test('a draft saved by an older version gets the fields it lacks from the defaults', () => {
  const storage = memory();
  const { redirect: _dropped, ...old } = newSite('http');
  storage.setItem(SAVED_WIZARD_KEY, JSON.stringify({ mode: { kind: 'new' }, step: 'listen', draft: { ...old, name: 'old' } }));
  const back = readWizard(storage, { kind: 'new' })!;
  assert.equal(back.draft.name, 'old');
  assert.equal(back.draft.redirect, newSite('http').redirect);
});
