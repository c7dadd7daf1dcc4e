import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lexLine, quoteWord } from '../../../proxy/config/lexer.ts';

const words = (line: string, env = {}) => lexLine(line, env).words.map((w) => w.value);

test('words are split on spaces and tabs, with columns', () => {
  const r = lexLine('  server\tweb1  127.0.0.1:80 check', {});
  assert.deepEqual(r.words.map((w) => [w.value, w.column]), [['server', 3], ['web1', 10], ['127.0.0.1:80', 16], ['check', 29]]);
});

test('a hash starts a comment, even glued to a word, but not when escaped or quoted', () => {
  assert.deepEqual(lexLine('bind :80 # public', {}).comment, ' public');
  assert.deepEqual(words('bind 127.0.0.1:8080# note'), ['bind', '127.0.0.1:8080']);
  assert.deepEqual(words('x a\\#b "c#d" \'e#f\''), ['x', 'a#b', 'c#d', 'e#f']);
});

test('the escapes of the quoting matrix decode as HAProxy documents', () => {
  assert.deepEqual(words('log-format %{+Q}o\\ %t\\ %s'), ['log-format', '%{+Q}o %t %s']);
  assert.deepEqual(words('a \\x41\\t\\n \\\\ \\\' \\"'), ['a', 'A\t\n', '\\', "'", '"']);
  assert.deepEqual(words('acl x path_reg ^/api/\\d+$'), ['acl', 'x', 'path_reg', '^/api/\\d+$']);
});

test('the five equivalent log-format spellings of the manual give the same word', () => {
  const expected = '%{+Q}o %t %s %{-Q}r';
  for (const line of [
    'log-format %{+Q}o\\ %t\\ %s\\ %{-Q}r',
    'log-format "%{+Q}o %t %s %{-Q}r"',
    "log-format '%{+Q}o %t %s %{-Q}r'",
    'log-format "%{+Q}o %t"\' %s %{-Q}r\'',
    'log-format "%{+Q}o %t"\' %s\'\\ %{-Q}r',
  ]) assert.deepEqual(words(line), ['log-format', expected], line);
});

test('environment variables expand inside double quotes only, with defaults and lists', () => {
  const env = { HOST: '127.0.0.1', LIST: 'a b  c', EMPTY: '' };
  assert.deepEqual(words('bind "${HOST}:80" \'${HOST}\' ${HOST}', env), ['bind', '127.0.0.1:80', '${HOST}', '${HOST}']);
  assert.deepEqual(words('x "$HOST"', env), ['x', '127.0.0.1']);
  assert.deepEqual(words('x "${MISSING-10.0.0.1}" "${EMPTY-default}"', env), ['x', '10.0.0.1', '']);
  assert.deepEqual(words('x "${LIST[*]}" y', env), ['x', 'a', 'b', 'c', 'y']);
  assert.deepEqual(words('x "\\$HOST"', env), ['x', '$HOST']);
});

test('an unset variable expands to nothing with a warning', () => {
  const r = lexLine('x "${NOPE}"', {});
  assert.deepEqual(r.words.map((w) => w.value), ['x', '']);
  assert.equal(r.problems[0]?.severity, 'warning');
});

test('unterminated quotes and bad hex escapes are alerts with a position', () => {
  assert.match(lexLine('http-request set-header X "open', {}).problems[0]!.message, /unmatched quote at position 27/);
  assert.match(lexLine("acl x path_reg '^/a", {}).problems[0]!.message, /unmatched quote/);
  assert.match(lexLine('x a\\xZZ', {}).problems[0]!.message, /truncated or invalid hexadecimal sequence at position 4/);
});

test('quoteWord writes any value so that the lexer reads it back', () => {
  for (const value of ['plain', '', 'two words', "it's", 'a"b', 'back\\slash', '#hash', '$HOME', 'tab\there', 'nl\n', "mix 'of' \"all\" $X #"]) {
    assert.deepEqual(words(`k ${quoteWord(value)}`, { HOME: '/root', X: 'x' }), ['k', value], value);
  }
});
