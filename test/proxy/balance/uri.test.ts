/**
 * uri. Expected orders were produced by real HAProxy 2.6.12 (scenarios.ts,
 * replayed live by against-haproxy.test.ts): default, whole, len, depth,
 * path-only, absolute URIs, each hash function, avalanche, consistent hashing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathStart } from '../../../proxy/balance/uri.ts';
import { sdbm } from '../../../proxy/balance/index.ts';
import { order, picks, pool, setUsable } from './pool.ts';
import { replayRecorded } from './recorded.ts';
import { uri } from './scenarios.ts';

const FOUR = ['s1', 's2', 's3', 's4'];
const at = (key: string): string => FOUR[sdbm(key) % 4]!;

test('the part hashed depends on whole, len, depth and path-only', () => {
  const cases: Array<[Parameters<typeof pool>[2], string, string]> = [
    [{}, '/a/b/c?x=1', '/a/b/c'],
    [{ balance: { uri: { whole: true, pathOnly: false } } }, '/a/b/c?x=1', '/a/b/c?x=1'],
    [{ balance: { uri: { whole: true, pathOnly: false, len: 4 } } }, '/a/b/c?x=1', '/a/b'],
    [{ balance: { uri: { whole: false, pathOnly: false, depth: 2 } } }, '/a/b/c?x=1', '/a/b'],
    [{ balance: { uri: { whole: false, pathOnly: false, depth: 1 } } }, '/a/b/c?x=1', '/a'],
    [{ balance: { uri: { whole: false, pathOnly: false, depth: 5 } } }, '/a/b?x=/y/z', '/a/b'],
    [{ balance: { uri: { whole: false, pathOnly: false } } }, 'http://h.example/a?b', 'http://h.example/a'],
    [{ balance: { uri: { whole: false, pathOnly: true } } }, 'http://h.example/a?b', '/a'],
    [{ balance: { uri: { whole: true, pathOnly: true } } }, 'http://user@h.example:80/a?b', '/a?b'],
    [{ balance: { uri: { whole: false, pathOnly: true } } }, 'http://h.example', ''],
    [{ balance: { uri: { whole: false, pathOnly: true } } }, '*', ''],
  ];
  for (const [opts, target, key] of cases) {
    const { b } = pool('uri', FOUR, opts);
    assert.equal(b.pick({ uri: target })?.name, at(key), `${target} → '${key}'`);
  }
});

test('http_parse_path: where the path starts', () => {
  assert.equal(pathStart('/x'), 0);
  assert.equal(pathStart('https://h/x/y'), 9);
  assert.equal(pathStart('h:80'), -1);
  assert.equal(pathStart('h.example/x'), -1);
  assert.equal(pathStart(''), -1);
});

test('the same URI goes to the same server; a server down remaps; no request line means round robin', () => {
  const { b, s } = pool('uri', ['s1 weight 1', 's2 weight 2', 's3 weight 3']);
  const map = order('s1 s3 s2 s3 s2 s3');
  for (const p of ['/', '/index.html', '/img/logo.png', '/api/v1/users']) {
    assert.deepEqual(picks(b, 3, { uri: p }), Array(3).fill(map[sdbm(p) % 6]));
  }
  setUsable(b, s.s3!, false);
  assert.equal(b.pick({ uri: '/api/v1/users' })?.name, order('s1 s2 s2')[sdbm('/api/v1/users') % 3]);
  assert.deepEqual(picks(b, 3, {}), order('s1 s2 s2'));
});

replayRecorded(uri);
