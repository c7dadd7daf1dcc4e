import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  castSample, ipv6ToString, parseIPv6Strict, buf2ip, mkStr, mkInt, mkBool, mkIPv4, mkIPv6, mkBin, sampleToString, readInt64,
} from '../../../proxy/acl/eval-sample.ts';
import { xxh32, xxh64, crc32, crc32c, djb2, sdbm, wt6, fullHash } from '../../../proxy/acl/eval-hash.ts';
import { base64Decode, headerOccurrence, eachHeader, extractCookie, findUrlParam, uriPath } from '../../../proxy/acl/eval-http.ts';
import { parseFileLines } from '../../../proxy/acl/eval-match.ts';
import { formatG, strftime } from '../../../proxy/acl/eval-converters.ts';
import { context, plain } from './eval-helpers.ts';

const v6 = (t: string): string => ipv6ToString(parseIPv6Strict(t)!);

test('IPv6 parsing (inet_pton) and printing (glibc inet_ntop)', () => {
  assert.equal(v6('::'), '::');
  assert.equal(v6('::1'), '::1');
  assert.equal(v6('1::'), '1::');
  assert.equal(v6('2001:0DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(v6('::ffff:1.2.3.4'), '::ffff:1.2.3.4');
  assert.equal(v6('::1.2.3.4'), '::1.2.3.4');
  assert.equal(v6('1:0:0:1:0:0:0:1'), '1:0:0:1::1', 'the longest run of zeros');
  assert.equal(v6('1:0:0:1:0:0:1:1'), '1::1:0:0:1:1', 'the first of equal runs');
  assert.equal(v6('1:0:1:1:1:1:1:1'), '1:0:1:1:1:1:1:1', 'a single zero group is not compressed');
  assert.equal(v6('1:2:3:4:5:6:1.2.3.4'), '1:2:3:4:5:6:102:304');
  for (const bad of [':1', '1:', '1:::2', '12345::', '1::2::3', '::1.2.3', '1.2.3.4', '::01.2.3.4', 'g::', '1:2:3:4:5:6:7:8:9', '']) {
    assert.equal(parseIPv6Strict(bad), undefined, bad);
  }
});

test('buf2ip: leading IPv4, leading zeros accepted, stops at the first other character', () => {
  assert.deepEqual(buf2ip('10.0.0.1'), { addr: 0x0a000001, len: 8 });
  assert.deepEqual(buf2ip('010.000.000.001:80'), { addr: 0x0a000001, len: 15 });
  assert.equal(buf2ip('10.0.0'), undefined);
  assert.equal(buf2ip('10.0.0.1.'), undefined);
  assert.equal(buf2ip('256.0.0.1'), undefined);
});

test('the cast matrix of sample.c', () => {
  assert.deepEqual(castSample(mkStr('42abc'), 'int'), mkInt(42));
  assert.deepEqual(castSample(mkStr('-7'), 'int'), mkInt(-7));
  assert.equal(castSample(mkStr(''), 'int'), undefined, 'an empty string is not an integer');
  assert.deepEqual(castSample(mkStr('abc'), 'int'), mkInt(0));
  assert.deepEqual(castSample(mkBool(true), 'str'), mkStr('1'));
  assert.deepEqual(castSample(mkInt(0x0a000001), 'ipv4'), mkIPv4(0x0a000001));
  assert.equal(castSample(mkBool(true), 'ipv4'), undefined);
  assert.equal(sampleToString(mkIPv4(0x7f000001)), '127.0.0.1');
  assert.equal(sampleToString(mkIPv6(parseIPv6Strict('::ffff:10.0.0.1')!)), '::ffff:10.0.0.1');
  assert.deepEqual(castSample(mkIPv6(parseIPv6Strict('::ffff:10.0.0.1')!), 'ipv4'), mkIPv4(0x0a000001));
  assert.equal(castSample(mkIPv6(parseIPv6Strict('2001:db8::1')!), 'ipv4'), undefined);
  assert.equal(plain(castSample(mkIPv4(0x0a000001), 'ipv6')), 'ipv6:00000000000000000000ffff0a000001');
  assert.equal(castSample(mkIPv4(1), 'bool'), undefined);
  assert.equal(plain(castSample(mkStr('10.1.1.1'), 'addr')), 0x0a010101);
  assert.equal(plain(castSample(mkStr('::1'), 'addr')), 'ipv6:00000000000000000000000000000001');
  assert.equal(castSample(mkStr('nope'), 'addr'), undefined);
  assert.equal(sampleToString(mkBin(Uint8Array.from([0x61, 0, 0x62]))), 'a', 'bin → str stops at NUL');
  assert.equal(plain(castSample(mkInt(-1), 'bin')), 'bin:ffffffffffffffff');
  assert.equal(plain(castSample(mkStr('GET'), 'meth')), 'GET');
  assert.deepEqual(readInt64('99999999999999999999999'), { value: 9223372036854775807, end: 23 });
});

test('hashes: known vectors', () => {
  const b = (s: string): Uint8Array => Buffer.from(s, 'latin1');
  assert.equal(xxh32(b(''), 0), 0x02cc5d05);
  assert.equal(xxh32(b('abc'), 0), 0x32d153ff);
  assert.equal(xxh32(b('Nobody inspects the spammish repetition'), 0), 0xe2293b2f);
  assert.equal(xxh64(b(''), 0n), BigInt.asIntN(64, 0xef46db3751d8e999n));
  assert.equal(xxh64(b('abc'), 0n), BigInt.asIntN(64, 0x44bc2cf5ad770999n));
  assert.equal(xxh64(b('Nobody inspects the spammish repetition'), 0n), BigInt.asIntN(64, 0xfbcea83c8a378bf1n));
  assert.equal(crc32(b('123456789')), 0xcbf43926);
  assert.equal(crc32c(b('123456789')), 0xe3069283);
  assert.equal(djb2(b('abc')), 193485963);
  assert.equal(sdbm(b('abc')), 807794786);
  assert.equal(wt6(b('abc')), 2483038440);
  assert.equal(fullHash(sdbm(b('abc'))), 659243622);
});

test('base64 decoding follows HAProxy (length multiple of 4, padding only at the end of a group)', () => {
  assert.equal(Buffer.from(base64Decode('aGVsbG8=')!).toString(), 'hello');
  assert.equal(Buffer.from(base64Decode('')!).toString(), '');
  assert.equal(base64Decode('aGVsbG8'), undefined);
  assert.equal(base64Decode('aG=sbG8='), undefined);
  assert.equal(base64Decode('a===')?.length, 0, 'accepted by HAProxy\'s decoder too (see haproxy-crosscheck)');
});

test('header helpers: elements, occurrences, quoted commas', () => {
  const raw = ['A', 'x, "y,z" , w', 'b', 'q', 'a', ''];
  assert.equal(headerOccurrence(raw, 'a', 2, true), '"y,z"');
  assert.equal(headerOccurrence(raw, 'a', -1, true), '');
  assert.equal(headerOccurrence(raw, 'a', -2, true), 'w');
  assert.equal(headerOccurrence(raw, 'a', 1, false), 'x, "y,z" , w');
  assert.equal(headerOccurrence(raw, 'a', -11, true), undefined, 'at most 10 back, like HAProxy');
  const seen: string[] = [];
  eachHeader(raw, 'a', true, (v) => mkStr(v), (s) => { seen.push(s.value as string); return 0; }, context({}));
  assert.deepEqual(seen, ['x', '"y,z"', 'w', '']);
});

test('cookie and URL parameter scanners', () => {
  const c = 'a=1; $Path=/; b = "x;y" ; c';
  const pos = extractCookie(c, 0, c.length, 'b', true);
  assert.ok(pos > 0);
  assert.equal(findUrlParam('x=1&y=2;z=3', 0, 11, 'z', 63), true);
  assert.equal(findUrlParam('xy=1', 0, 4, 'y', 63), false);
  assert.equal(uriPath('http://h:80/a?b', false), '/a');
  assert.equal(uriPath('h:443', false), undefined);
  assert.equal(uriPath('*', false), undefined);
  assert.equal(uriPath('/a?b', true), '/a?b');
});

test('pattern / map file lines', () => {
  assert.deepEqual(parseFileLines('# c\n  a b \r\n\n #not a comment\nlast', false).map((l) => [l.line, l.key]), [[2, 'a b '], [4, '#not a comment'], [5, 'last']]);
  assert.deepEqual(parseFileLines('k1 v1\n\tk2\t\tv 2  \nk3\n', true).map((l) => [l.key, l.value]), [['k1', 'v1'], ['k2', 'v 2'], ['k3', '']]);
});

test('printf %g and strftime', () => {
  assert.equal(formatG(2.5), '2.5');
  assert.equal(formatG(100), '100');
  assert.equal(formatG(1234567), '1.23457e+06');
  assert.equal(formatG(0.0001), '0.0001');
  assert.equal(formatG(0.00001), '1e-05');
  assert.equal(formatG(-3), '-3');
  assert.equal(strftime('%a %d %b %Y %H:%M:%S %j %%', new Date(Date.UTC(2024, 1, 29, 1, 2, 3)), true), 'Thu 29 Feb 2024 01:02:03 060 %');
});
