import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePcre } from '../../../proxy/acl/index.ts';

const ACL = { ignoreCase: false, capture: false };

function re(source: string, options = ACL): RegExp {
  const r = compilePcre(source, options);
  if ('error' in r) assert.fail(`unexpected error for '${source}': ${r.error}`);
  return r.regex;
}

function err(source: string, options = ACL): string {
  const r = compilePcre(source, options);
  if (!('error' in r)) assert.fail(`expected an error for '${source}'`);
  return r.error;
}

const pcre = (source: string, message: string, offset: number): string =>
  `regex '${source}' is invalid (error=${message}, erroffset=${offset})`;

test('PCRE2 syntax errors get the messages and offsets haproxy -c prints', () => {
  const cases: [string, string, number][] = [
    ['(abc', 'missing closing parenthesis', 4],
    ['abc)', 'unmatched closing parenthesis', 3],
    ['ab[c', 'missing terminating ] for character class', 4],
    ['[', 'missing terminating ] for character class', 1],
    ['*x', 'quantifier does not follow a repeatable item', 0],
    ['a**', 'quantifier does not follow a repeatable item', 2],
    ['a|*', 'quantifier does not follow a repeatable item', 2],
    ['a{2}{3}', 'quantifier does not follow a repeatable item', 6],
    ['a{2,1}', 'numbers out of order in {} quantifier', 5],
    ['x{65536}', 'number too big in {} quantifier', 7],
    ['x{1,65536}', 'number too big in {} quantifier', 9],
    ['\\', '\\ at end of pattern', 1],
    ['a\\', '\\ at end of pattern', 2],
    ['\\c', '\\c at end of pattern', 2],
    ['[z-a]', 'range out of order in character class', 3],
    ['[\\d-z]', 'invalid range in character class', 3],
    ['[a-\\d]', 'invalid range in character class', 5],
    ['[[:foo:]]', 'unknown POSIX class name', 3],
    ['[:alpha:]', 'POSIX named classes are supported only within a class', 0],
    ['(?z)', 'unrecognized character after (? or (?-', 2],
    ['\\k', '\\k is not followed by a braced, angle-bracketed, or quoted name', 2],
    ['(?<n>a)(?<n>b)', 'two named subpatterns have the same name (PCRE2_DUPNAMES not set)', 12],
    ['(?<=a+)b', 'lookbehind assertion is not fixed length', 0],
    ['(?<=a(b|cd))x', 'lookbehind assertion is not fixed length', 0],
    ['\\1', 'reference to non-existent subpattern', 1],
    ['\\8', 'reference to non-existent subpattern', 1],
  ];
  for (const [source, message, offset] of cases) assert.equal(err(source), pcre(source, message, offset), source);
});

test('ACL regexes do not capture, so numbered back-references fail there but not in regsub', () => {
  assert.equal(err('(a)\\1'), pcre('(a)\\1', 'reference to non-existent subpattern', 4));
  assert.ok(re('(a)\\1', { ignoreCase: false, capture: true }).test('aa'));
  assert.ok(re('(?<n>a)\\k<n>').test('aa'));
});

test('what PCRE accepts as literals stays literal', () => {
  assert.ok(re('a{1').test('a{1'));
  assert.ok(re('{').test('{'));
  assert.ok(re(']').test(']'));
  assert.ok(re('}').test('}'));
  assert.ok(re('a{,3}').test('a{,3}'));
  assert.ok(re('[]a]').test(']'));
  assert.ok(re('[^]a]').test('b'));
});

test('PCRE semantics that differ from JavaScript are translated', () => {
  assert.ok(!re('^a.c$').test('a\nc'));
  assert.ok(re('^a.c$').test('a\rc'), 'dot matches \\r in PCRE');
  assert.ok(re('abc$').test('abc\n'), '$ matches before a final newline');
  assert.ok(!re('abc\\z').test('abc\n'));
  assert.ok(re('\\Aabc\\Z').test('abc\n'));
  assert.ok(!re('\\s').test('\u00a0'), '\\s is ASCII whitespace only');
  assert.ok(re('\\h+').test(' \t'));
  assert.ok(re('[[:alpha:]]+[[:digit:]]').test('abc1'));
  assert.ok(!re('[[:^alpha:]]').test('a'));
  assert.ok(re('\\Qa.b\\E').test('a.b') && !re('\\Qa.b\\E').test('axb'));
  assert.ok(re('(?P<word>\\w+)-(?P=word)').test('ab-ab'));
  assert.ok(re('\\x41\\x{42}\\101').test('ABA'));
  assert.ok(re('(?i)abc').test('ABC'));
  assert.ok(re('(?s)a.c').test('a\nc'));
  assert.ok(re('a(?#comment)b').test('ab'));
  assert.ok(re('(?<=ab|c)x').test('cx'));
  assert.ok(re('(?<=a{2})x').test('aax'));
});

test('-i makes the regex case-insensitive', () => {
  assert.ok(re('^/api', { ignoreCase: true, capture: false }).test('/API/v1'));
  assert.ok(!re('^/api').test('/API/v1'));
});

test('PCRE features without a JavaScript equivalent are reported as unsupported', () => {
  for (const source of ['a++', 'a?+', '(?>a)', '(?|a)', '(?R)', '\\K', '\\p{L}', 'a(?i)b']) {
    const r = compilePcre(source, ACL);
    assert.ok('error' in r && r.unsupported, source);
  }
});
