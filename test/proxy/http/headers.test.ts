import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentLengthDigits } from '../../../proxy/http/headers.ts';

test('a Content-Length value reads as HAProxy reads it: one length or copies of it, the last one\'s digits kept', () => {
  assert.equal(contentLengthDigits('11'), '11');
  assert.equal(contentLengthDigits('0'), '0');
  assert.equal(contentLengthDigits(' 011, 11,'), '11');
  assert.equal(contentLengthDigits('11 ,\t11'), '11');
  assert.equal(contentLengthDigits('18446744073709551615'), '18446744073709551615');
  // Not a length: letters, a sign, an empty element before a length, blanks alone, too big.
  for (const bad of ['abc', '-1', '+1', '1 1', ',11', '11,,11', '', '  ', '18446744073709551616', '1e3']) assert.equal(contentLengthDigits(bad), undefined, JSON.stringify(bad));
  // Copies must agree, with each other and with a Content-Length before them.
  assert.equal(contentLengthDigits('11, 12'), undefined);
  assert.equal(contentLengthDigits('11', '011'), '11');
  assert.equal(contentLengthDigits('12', '11'), undefined);
});
