import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeHeaders, opt } from '../../../bench/lib/args.ts';

/** Runs `fn` with `args` after the process's own arguments, as a bench script would see them. */
function withArgs<T>(args: string[], fn: () => T): T {
  const saved = process.argv;
  process.argv = [...saved.slice(0, 2), ...args];
  try {
    return fn();
  } finally {
    process.argv = saved;
  }
}

test('opt reads `--name value`, falls back to its default, and names a missing required option', () => {
  assert.equal(withArgs(['--rounds', '7'], () => opt('rounds', '5')), '7');
  assert.equal(withArgs([], () => opt('rounds', '5')), '5');
  // A name given last, with no value after it, takes the default.
  assert.equal(withArgs(['--rounds'], () => opt('rounds', '5')), '5');
  assert.throws(() => withArgs([], () => opt('a')), /missing --a/);
});

test('--close asks wrk for a connection per request; without it, no header', () => {
  assert.deepEqual(withArgs(['--size', '100', '--close'], closeHeaders), ['Connection: close']);
  assert.deepEqual(withArgs(['--size', '100'], closeHeaders), []);
});
