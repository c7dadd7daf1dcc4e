/**
 * The shared value readers (proxy/config/values.ts) as HAProxy's C readers behave: parse_time_err()
 * for durations, strtol(…, 0) for the numbers several keywords read that way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTime, strtol0 } from '../../../proxy/config/values.ts';

test('parseTime rounds up to the caller\'s unit, overflows at 2^31 of it, and only warns about what follows a unit', () => {
  assert.deepEqual(parseTime('1500us', 't'), { value: 2 });
  assert.deepEqual(parseTime('1000us', 't'), { value: 1 });
  assert.deepEqual(parseTime('10s', 't'), { value: 10_000 });
  assert.deepEqual(parseTime('2147483647', 't'), { value: 2147483647 });
  assert.match(parseTime('2147483648', 't').error ?? '', /^timer overflow in argument '2147483648' to 't'/);
  assert.match(parseTime('25d', 't').error ?? '', /^timer overflow/);
  // In seconds: a bare number is seconds, 500ms is rounded up to one, the limit is 2^31 s.
  assert.deepEqual(parseTime('5', 'r', 1000), { value: 5000 });
  assert.deepEqual(parseTime('500ms', 'r', 1000), { value: 1000 });
  assert.deepEqual(parseTime('2147484s', 'r', 1000), { value: 2147484000 });
  assert.match(parseTime('2147483648', 'r', 1000).error ?? '', /maximum value is 2147483647 s/);
  const trailing = parseTime('10msx', 't');
  assert.equal(trailing.value, 10);
  assert.match(trailing.warning ?? '', /^unexpected character 'x' after the timer value '10msx'/);
  assert.equal(parseTime('10x', 't').error, "unexpected character 'x' in 't'");
  assert.equal(parseTime('', 't').error, "'t' expects a time value");
});

test('strtol0 reads decimal, 0x hexadecimal and 0 octal with a sign, and says what it left', () => {
  assert.deepEqual(strtol0('42'), { value: 42, rest: '' });
  assert.deepEqual(strtol0('0x1F'), { value: 31, rest: '' });
  assert.deepEqual(strtol0('010'), { value: 8, rest: '' });
  assert.deepEqual(strtol0('-3'), { value: -3, rest: '' });
  assert.deepEqual(strtol0(' +7'), { value: 7, rest: '' });
  assert.deepEqual(strtol0('08'), { value: 0, rest: '8' });
  assert.deepEqual(strtol0('0x'), { value: 0, rest: 'x' });
  assert.deepEqual(strtol0('10k'), { value: 10, rest: 'k' });
  // No digit read: C leaves the end pointer at the start.
  assert.deepEqual(strtol0('abc'), { value: 0, rest: 'abc' });
  assert.deepEqual(strtol0(' -x'), { value: 0, rest: ' -x' });
});
