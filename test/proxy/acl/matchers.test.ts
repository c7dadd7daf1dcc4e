import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parsePattern, parseIntRange, applyOperator, parseIPv4, parseIPv6, parseNetPattern, formatIPv4,
  defaultMatchFor, methodCompatible, canCast, PREDEFINED_ACLS, predefinedAcl, isPredefinedAcl,
} from '../../../proxy/acl/index.ts';

const opts = { ignoreCase: false, noDns: false };

test('integer ranges', () => {
  assert.deepEqual(parseIntRange('42', false), { kind: 'int', min: 42, max: 42 });
  assert.deepEqual(parseIntRange('0:1023', false), { kind: 'int', min: 0, max: 1023 });
  assert.deepEqual(parseIntRange(':-1', false), { kind: 'int', max: -1 });
  assert.deepEqual(parseIntRange('', false), { error: "'' is not a valid number range" });
  assert.deepEqual(parseIntRange('5:x', false), { error: "'5:x' is not a valid number range" });
});

test('operators are folded into ranges like HAProxy', () => {
  assert.equal(applyOperator('gt', '10', false), '11:');
  assert.equal(applyOperator('ge', '10', false), '10:');
  assert.equal(applyOperator('lt', '0', false), ':-1');
  assert.equal(applyOperator('le', '10', false), ':10');
  assert.equal(applyOperator('eq', 'whatever', false), 'whatever');
  assert.equal(applyOperator('gt', '3.1', true), '3.2:');
  assert.equal(applyOperator('lt', '3.0', true), ':2.65535');
  assert.deepEqual(applyOperator('gt', 'x', false), { error: "'x' is neither a number nor a supported operator" });
});

test('strict IPv4 and IPv6 address parsing (inet_pton)', () => {
  assert.equal(parseIPv4('192.168.0.1'), 0xc0a80001);
  for (const bad of ['192.168.0', '256.0.0.1', '01.2.3.4', '1.2.3.4.5', ' 1.2.3.4']) assert.equal(parseIPv4(bad), undefined, bad);
  assert.deepEqual([...parseIPv6('::1')!], [...new Uint8Array(15), 1]);
  assert.deepEqual([...parseIPv6('2001:db8::ff00:42:8329')!.slice(0, 4)], [0x20, 0x01, 0x0d, 0xb8]);
  assert.deepEqual([...parseIPv6('::ffff:10.0.0.1')!.slice(10)], [0xff, 0xff, 10, 0, 0, 1]);
  for (const bad of [':::', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'fe80::1%eth0', '1::2:3:4:5:6:7:8']) {
    assert.equal(parseIPv6(bad), undefined, bad);
  }
});

test('network patterns: IPv4 masks as bits or dotted, IPv6 prefixes, abbreviated forms', () => {
  assert.deepEqual(parseNetPattern('10.0.0.0/8', true), { kind: 'ipv4', addr: 0x0a000000, mask: 0xff000000 });
  assert.deepEqual(parseNetPattern('192.168.0.1/22', true), { kind: 'ipv4', addr: 0xc0a80001, mask: 0xfffffc00 });
  assert.deepEqual(parseNetPattern('127.0.0.1/0', true), { kind: 'ipv4', addr: 0x7f000001, mask: 0 });
  assert.deepEqual(parseNetPattern('192.168.1/22', true), { kind: 'ipv4', addr: 0xc0a80001, mask: 0xfffffc00 });
  const abbreviated = parseNetPattern('0x7f.1', true);
  assert.ok(abbreviated?.kind === 'ipv4' && formatIPv4(abbreviated.addr) === '127.0.0.1');
  assert.equal(parseNetPattern('192.168.1/22', false), undefined);
  const v6 = parseNetPattern('2001:db8::/32', true);
  assert.ok(v6?.kind === 'ipv6' && v6.prefix === 32);
  assert.equal(parseNetPattern('2001:db8::/ffff::', true), undefined, 'IPv6 masks are bit counts only');
  assert.equal(parseNetPattern('my-host.local/24', false), undefined);
  assert.deepEqual(parseNetPattern('my-host.local/24', true), { kind: 'host', name: 'my-host.local', mask: 0xffffff00 });
});

test('pattern parsing per parser', () => {
  assert.equal(parsePattern('none', 'anything', opts), null);
  assert.deepEqual(parsePattern('str', '/static', opts), { kind: 'str', value: '/static' });
  assert.deepEqual(parsePattern('bin', 'ff00', opts), { kind: 'bin', bytes: new Uint8Array([255, 0]) });
  assert.deepEqual(parsePattern('meth', 'GET', opts), { kind: 'method', method: 'GET', known: true });
  assert.deepEqual(parsePattern('meth', 'get', opts), { kind: 'method', method: 'get', known: false });
  assert.deepEqual(parsePattern('dotted', '1.1', opts), { kind: 'int', min: 65537, max: 65537 });
  const r = parsePattern('reg', '^a', { ignoreCase: true, noDns: false });
  assert.ok(r && 'kind' in r && r.kind === 'regex' && r.regex.test('ABC'));
  assert.deepEqual(parsePattern('ip', 'nope!', opts), { error: "'nope!' is not a valid IPv4 or IPv6 address" });
});

test('default matching method by sample type, as in the manual table', () => {
  assert.equal(defaultMatchFor('bool'), 'bool');
  assert.equal(defaultMatchFor('int'), 'int');
  assert.equal(defaultMatchFor('ipv4'), 'ip');
  assert.equal(defaultMatchFor('ipv6'), 'ip');
  assert.equal(defaultMatchFor('str'), 'str');
  assert.equal(defaultMatchFor('bin'), undefined);
  assert.equal(defaultMatchFor('any'), undefined);
});

test('method compatibility follows the sample cast matrix', () => {
  assert.ok(methodCompatible('found', 'bin'));
  assert.ok(methodCompatible('bool', 'int'));
  assert.ok(methodCompatible('int', 'bool'));
  assert.ok(methodCompatible('ip', 'str'));
  assert.ok(!methodCompatible('ip', 'bool'));
  assert.ok(!methodCompatible('int', 'bin'));
  assert.ok(methodCompatible('beg', 'ipv4'));
  assert.ok(!canCast('addr', 'addr'), 'HAProxy has no addr → addr cast');
  assert.ok(canCast('str', 'meth'));
});

test('all predefined ACLs are known and parse', () => {
  for (const name of ['TRUE', 'FALSE', 'HTTP', 'HTTP_1.0', 'HTTP_1.1', 'HTTP_2.0', 'HTTP_CONTENT', 'HTTP_URL_ABS', 'HTTP_URL_SLASH',
    'HTTP_URL_STAR', 'LOCALHOST', 'METH_CONNECT', 'METH_DELETE', 'METH_GET', 'METH_HEAD', 'METH_OPTIONS', 'METH_POST', 'METH_PUT',
    'METH_TRACE', 'RDP_COOKIE', 'REQ_CONTENT', 'WAIT_END']) {
    assert.ok(isPredefinedAcl(name), name);
    assert.equal(predefinedAcl(name)!.name, name);
  }
  assert.equal(PREDEFINED_ACLS.size, 22);
  assert.equal(isPredefinedAcl('true'), false);
  assert.equal(predefinedAcl('nope'), undefined);
});

test('predefined ACL definitions', () => {
  assert.deepEqual(predefinedAcl('METH_GET')!.patterns.map((p) => p.kind === 'method' && p.method), ['GET', 'HEAD']);
  assert.deepEqual(predefinedAcl('HTTP_CONTENT')!.patterns, [{ kind: 'int', min: 1 }]);
  assert.equal(predefinedAcl('HTTP_URL_ABS')!.match, 'reg');
  assert.deepEqual(predefinedAcl('LOCALHOST')!.patterns[0], { kind: 'ipv4', addr: 0x7f000001, mask: 0xff000000 });
  assert.equal(predefinedAcl('TRUE')!.sample.fetch.name, 'always_true');
});
