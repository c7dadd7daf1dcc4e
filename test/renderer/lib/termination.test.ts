/**
 * terminationText (renderer/src/lib/termination.ts): the access log's End
 * column says in words what HAProxy's termination state codes mean.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { terminationText } from '../../../renderer/src/lib/termination.ts';

test('a termination state in words: what ended it, in which phase; a normal end says so', () => {
  assert.equal(terminationText('SC'), 'the server aborted or refused it, while connecting to the server');
  assert.equal(terminationText('SC--'), 'the server aborted or refused it, while connecting to the server');
  assert.equal(terminationText('cR'), 'the client timed out, while waiting for the request');
  assert.equal(terminationText('sH'), "the server timed out, while waiting for the server's response headers");
  assert.equal(terminationText('LR'), 'answered by the proxy itself (a redirect, a built-in page), while waiting for the request');
  assert.equal(terminationText('CD'), 'the client aborted, while passing the data');
  assert.equal(terminationText('--'), 'ended normally');
  assert.equal(terminationText('----'), 'ended normally');
  assert.equal(terminationText('-D'), 'ended normally, while passing the data');
  assert.equal(terminationText(''), "HAProxy's termination state");
  assert.equal(terminationText('??'), "HAProxy's termination state");
});
