/**
 * h2RequestRefusal: HAProxy 2.6's H2 mux limits, at the boundaries measured against haproxy 2.6.12
 * (test/reliability/h2-hostility.test.ts replays them through both proxies).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { h2RequestRefusal, DEFAULT_REQUEST_LIMITS } from '../../../proxy/http/request-checks.ts';

const URL = 'https://site.home.arpa/sz';
/** The fields of GET https://site.home.arpa/sz with one x-huge field of `n` bytes: regular ones, and all as received. */
function request(n: number, extra: string[] = []): { fields: string[]; raw: string[] } {
  const fields = ['host', 'site.home.arpa', 'x-huge', 'h'.repeat(n), ...extra];
  const raw = [':method', 'GET', ':scheme', 'https', ':authority', 'site.home.arpa', ':path', '/sz', 'x-huge', 'h'.repeat(n), ...extra];
  return { fields, raw };
}
const refusal = (n: number, extra: string[] = [], url = URL) => {
  const r = request(n, extra);
  return h2RequestRefusal('GET', url, r.fields, r.raw, DEFAULT_REQUEST_LIMITS);
};

test('a head of 15,360 HTX bytes goes on, one of 15,361 resets its stream', () => {
  assert.equal(refusal(15199), '');
  assert.equal(refusal(15200), 'stream');
});

test('201 fields, pseudo-headers included, go on; 202 end the connection', () => {
  const fields = (n: number) => Array.from({ length: n }, (_, i) => [`x-f${i}`, 'v']).flat();
  assert.equal(refusal(1, fields(196)), '');
  assert.equal(refusal(1, fields(197)), 'connection');
});

test('more decoded bytes than tune.bufsize end the connection (an HPACK bomb)', () => {
  const bomb = Array.from({ length: 190 }, () => ['x-bomb', 'b'.repeat(100)]).flat();
  assert.equal(refusal(1, bomb), 'connection');
});

test("a '#' in the target or a field name over 255 bytes resets the stream", () => {
  assert.equal(refusal(1, [], 'https://site.home.arpa/a#b'), 'stream');
  assert.equal(refusal(1, ['x'.repeat(255), 'v']), '');
  assert.equal(refusal(1, ['x'.repeat(256), 'v']), 'stream');
});
