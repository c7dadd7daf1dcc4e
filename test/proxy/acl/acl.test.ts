import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAclDeclaration } from '../../../proxy/acl/index.ts';
import type { AclDeclaration, AclParseError } from '../../../proxy/acl/index.ts';

const words = (line: string): string[] => line.split(' ').filter((w) => w !== '');

function ok(line: string): AclDeclaration {
  const r = parseAclDeclaration(words(line));
  if ('error' in r) assert.fail(`unexpected error for '${line}': ${r.error}`);
  return r;
}

function err(line: string): AclParseError {
  const r = parseAclDeclaration(words(line));
  if (!('error' in r)) assert.fail(`expected an error for '${line}'`);
  return r;
}

test('the seed host ACL uses hdr with case-insensitive exact matching', () => {
  const acl = ok('is_api hdr(Host) -i api.example.com');
  assert.equal(acl.name, 'is_api');
  assert.equal(acl.aclKeyword, 'hdr');
  assert.equal(acl.sample.fetch.name, 'req.hdr');
  assert.deepEqual(acl.sample.args, [{ type: 'str', value: 'Host' }]);
  assert.equal(acl.match, 'str');
  assert.equal(acl.ignoreCase, true);
  assert.deepEqual(acl.patterns, [{ kind: 'str', value: 'api.example.com' }]);
  assert.equal(acl.wordIndex, 1);
});

test('the seed static ACL is a prefix match on the path', () => {
  const acl = ok('is_static path_beg /static/');
  assert.equal(acl.sample.fetch.name, 'path');
  assert.equal(acl.match, 'beg');
  assert.deepEqual(acl.values, ['/static/']);
  assert.equal(acl.sample.fetch.layer, 'l7-req');
});

test('several values are kept in order and any of them may match', () => {
  const acl = ok('url_static path_end .gif .png .jpg .css .js');
  assert.deepEqual(acl.values, ['.gif', '.png', '.jpg', '.css', '.js']);
});

test('ACL names accept letters, digits, dash, underscore, dot and colon', () => {
  assert.equal(ok('a-b_c.d:e9 path x').name, 'a-b_c.d:e9');
  assert.equal(ok('1a path x').name, '1a');
});

test('invalid characters in ACL names are rejected with the offending character', () => {
  assert.deepEqual(err('a/b path x'), { error: "character '/' is not permitted in acl name 'a/b'", wordIndex: 0 });
  assert.match(err('a@ path x').error, /character '@'/);
});

test('an ACL cannot be named or', () => {
  assert.match(err('OR path x').error, /acl name 'OR' will never match. 'or' is used to express a logical disjunction/);
});

test('a missing name or criterion is an error', () => {
  assert.equal(err('').error, 'missing ACL name');
  assert.deepEqual(err('x'), { error: "missing fetch method in ACL expression ''", wordIndex: 1 });
});

test('an unknown fetch is reported with HAProxy wording and a suggestion', () => {
  const e = err('x hdr_bgn(host) www.');
  assert.equal(e.error, "unknown fetch method 'hdr_bgn' in ACL expression 'hdr_bgn(host)'; did you mean 'hdr_beg'?");
  assert.equal(e.wordIndex, 1);
});

test('wrong fetch arguments are reported like HAProxy', () => {
  assert.equal(err('x hdr(host,1,2) x').error, "ACL keyword 'hdr' : expected ')' before ',2)'");
  assert.equal(err('x hdr(host x').error, "ACL keyword 'hdr' : expected ')'");
  assert.equal(err('x hdr(host,abc) x').error, "ACL keyword 'hdr' : failed to parse 'abc' as type 'integer' at position 2");
  assert.equal(err('x hdr(host,-11) x').error, "in argument to 'hdr', header occurrence must be >= -10");
  assert.equal(err('x req.hdr(host,-11) x').error,
    "invalid args in fetch method 'req.hdr' : header occurrence must be >= -10 in ACL expression 'req.hdr(host,-11)'");
  assert.equal(err('x sc_http_req_rate gt 1').error,
    "fetch method 'sc_http_req_rate' : expected type 'integer' at position 1, but got nothing in ACL expression 'sc_http_req_rate'");
  assert.equal(err('x path(x) x').error, "ACL keyword 'path' : expected ')' before 'x)'");
});

test('a stick counter fetch takes its counter number and compares as an integer', () => {
  const acl = ok('abuse sc_http_req_rate(0) gt 20');
  assert.deepEqual(acl.sample.args, [{ type: 'int', value: 0 }]);
  assert.equal(acl.match, 'int');
  assert.deepEqual(acl.patterns, [{ kind: 'int', min: 21 }]);
});

test('resolvable arguments default to the current proxy when omitted', () => {
  assert.deepEqual(ok('x nbsrv lt 2').sample.args, [{ type: 'ref', kind: 'backend', name: '' }]);
  assert.deepEqual(ok('x nbsrv(dynamic) lt 2').sample.args, [{ type: 'ref', kind: 'backend', name: 'dynamic' }]);
  assert.deepEqual(ok('x http_auth(admins)').sample.args, [{ type: 'ref', kind: 'userlist', name: 'admins' }]);
});

test('integer operators become ranges, and stay in effect for following values', () => {
  const acl = ok('x src_port eq 1 2 gt 3 4 le 10 lt 10 ge 7');
  assert.deepEqual(acl.values, ['1', '2', '4:', '5:', ':10', ':9', '7:']);
  assert.deepEqual(acl.patterns[2], { kind: 'int', min: 4 });
  assert.deepEqual(acl.patterns[3], { kind: 'int', min: 5 });
  assert.deepEqual(acl.patterns[5], { kind: 'int', max: 9 });
});

test('integer ranges accept colon or dash separators and open bounds', () => {
  const acl = ok('x dst_port 1024:65535 1024: :1023 1-5 5-');
  assert.deepEqual(acl.patterns, [
    { kind: 'int', min: 1024, max: 65535 }, { kind: 'int', min: 1024 }, { kind: 'int', max: 1023 },
    { kind: 'int', min: 1, max: 5 }, { kind: 'int', min: 5 },
  ]);
});

test('bad integers and ranges are rejected with HAProxy messages', () => {
  assert.deepEqual(err('x src_port abc'), { error: "'abc' is not a number", wordIndex: 2 });
  assert.equal(err('x src_port 10:5').error, "'10:5' is not a valid number range");
  assert.equal(err('x src_port :').error, "':' is not a valid number range");
  assert.equal(err('x src_port +5').error, "'+5' is not a number");
  assert.equal(err('x src_port 5.5').error, "'5.5' is not a number");
  assert.equal(err('x src_port 99999999999999999999').error, "'99999999999999999999' is not a number");
  assert.equal(err('x src_port gt abc').error, "'abc' is neither a number nor a supported operator");
  assert.equal(err('x src_port EQ 5').error, "'EQ' is not a number");
});

test('HAProxy quirks of integer operators are reproduced', () => {
  // "ge 5.5" only reads the integer part; "ne" is accepted but means equality;
  // a value containing '-' is passed through as a range ("-5" = up to 5)
  assert.deepEqual(ok('x src_port ge 5.5').values, ['5:']);
  assert.deepEqual(ok('x src_port ne 5').patterns, [{ kind: 'int', min: 5, max: 5 }]);
  assert.deepEqual(ok('x src_port lt -5').patterns, [{ kind: 'int', max: 5 }]);
  assert.deepEqual(ok('x src_port gt').patterns, []);
});

test('dotted versions compare major and minor parts', () => {
  const acl = ok('sslv3 req.ssl_ver 3:3.1');
  assert.equal(acl.parser, 'dotted');
  assert.deepEqual(acl.patterns, [{ kind: 'int', min: 3 << 16, max: (3 << 16) | 1 }]);
  assert.deepEqual(ok('x req.ssl_ver gt 3.1').values, ['3.2:']);
  assert.equal(err('x req.ssl_ver 3.70000').error, "'3.70000' is not a dotted number");
  assert.equal(err('x req.ssl_ver lt 3.70000').error, "'3.70000' contains too large a minor value");
  assert.equal(err('x req.ssl_ver lt 70000').error, "'70000' contains too large a major value");
});

test('IPv4 and IPv6 networks are parsed with their masks', () => {
  const acl = ok('x src 10.0.0.0/8 192.168.1.1 10.0.0.0/255.0.255.0 fe80::/10 ::1 ::ffff:1.2.3.4');
  assert.deepEqual(acl.patterns.slice(0, 3), [
    { kind: 'ipv4', addr: 0x0a000000, mask: 0xff000000 },
    { kind: 'ipv4', addr: 0xc0a80101, mask: 0xffffffff },
    { kind: 'ipv4', addr: 0x0a000000, mask: 0xff00ff00 },
  ]);
  const v6 = acl.patterns[3]!;
  assert.equal(v6.kind, 'ipv6');
  if (v6.kind === 'ipv6') {
    assert.equal(v6.prefix, 10);
    assert.deepEqual([...v6.addr.slice(0, 2)], [0xfe, 0x80]);
  }
  assert.equal(acl.patterns[4]!.kind, 'ipv6');
  assert.equal(acl.patterns[5]!.kind, 'ipv6');
});

test('abbreviated IPv4 forms and host names need DNS resolution, which -n forbids', () => {
  assert.deepEqual(ok('x src 127.1 10.12/8').patterns, [
    { kind: 'ipv4', addr: 0x7f000001, mask: 0xffffffff },
    { kind: 'ipv4', addr: 0x0a00000c, mask: 0xff000000 },
  ]);
  assert.deepEqual(ok('x src localhost').patterns, [{ kind: 'host', name: 'localhost', mask: 0xffffffff }]);
  assert.equal(err('x src -n 127.1').error, "'127.1' is not a valid IPv4 or IPv6 address");
  assert.equal(err('x src -n localhost').error, "'localhost' is not a valid IPv4 or IPv6 address");
});

test('invalid addresses and masks are rejected', () => {
  for (const bad of ['1.2.3.400', '10.0.0.0/33', '::1/129', '1.2.3.4/', '::1/', '1.2.3.4/24/3', '1::2:3:4:5:6:7:8', 'fe80::1%eth0']) {
    assert.equal(err(`x src ${bad}`).error, `'${bad}' is not a valid IPv4 or IPv6 address`, bad);
  }
});

test('regex patterns are compiled, with -i applied', () => {
  const acl = ok('x path_reg -i ^/API/v[0-9]+/');
  const p = acl.patterns[0]!;
  assert.equal(p.kind, 'regex');
  if (p.kind === 'regex') assert.ok(p.regex.test('/api/v2/users'));
});

test('bad regexes are reported like PCRE does in HAProxy', () => {
  assert.equal(err('x path_reg (abc').error, "regex '(abc' is invalid (error=missing closing parenthesis, erroffset=4)");
  assert.equal(err('x path -m reg *x').error, "regex '*x' is invalid (error=quantifier does not follow a repeatable item, erroffset=0)");
  assert.equal(err('x path_reg ab[c').error, "regex 'ab[c' is invalid (error=missing terminating ] for character class, erroffset=4)");
});

test('binary patterns must be an even number of hex digits', () => {
  const acl = ok('hello req.payload(0,6) -m bin 48656c6c6f0a');
  assert.deepEqual(acl.patterns, [{ kind: 'bin', bytes: new Uint8Array([0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x0a]) }]);
  assert.equal(err('x path -m bin 4x').error, "an hex digit is expected (found 'x')");
  assert.equal(err('x path -m bin 123').error, 'an even number of hex digit is expected');
});

test('-m selects the matching method and is checked against the sample type', () => {
  assert.equal(ok('jsess req.cook(JSESSIONID) -m found').match, 'found');
  assert.equal(ok('x src -m beg 10.').match, 'beg');
  assert.equal(ok('x ssl_fc -m str x').parser, 'str');
  assert.equal(err('x path -m foo x').error, "unknown matching method 'foo' when parsing ACL expression");
  assert.equal(err('x path -m dirr x').error, "unknown matching method 'dirr' when parsing ACL expression; did you mean 'dir'?");
  assert.equal(err('x path -m').error, "unknown matching method '' when parsing ACL expression");
  assert.equal(err('x ssl_fc -m ip 1.2.3.4').error, "matching method 'ip' cannot be used with fetch keyword 'ssl_fc'");
  assert.equal(err('x req.body -m int 5').error, "matching method 'int' cannot be used with fetch keyword 'req.body'");
  assert.equal(err('x method -m int 5').error, "matching method 'int' cannot be used with fetch keyword 'method'");
});

test('binary and untyped samples require -m', () => {
  assert.equal(err('x req.body x').error, "matching method must be specified first (using '-m') when using a sample fetch of this type ('req.body')");
  assert.equal(err('x var(txn.a) 5').error, "matching method must be specified first (using '-m') when using a sample fetch of this type ('var')");
  assert.equal(ok('x var(txn.a) -m str 5').match, 'str');
});

test('an ACL keyword with -m uses the underlying fetch', () => {
  for (const line of ['s hdr_beg(host) www.', 'a hdr_beg(host) -m beg www.', 'b hdr_dom(host) -m beg www.', 'c hdr(host) -m beg www.']) {
    const acl = ok(line);
    assert.equal(acl.match, 'beg');
    assert.equal(acl.sample.fetch.name, 'req.hdr');
  }
});

test('converters after an ACL keyword replace its implied matching method', () => {
  const acl = ok('x path_beg,lower /static');
  assert.equal(acl.aclKeyword, undefined);
  assert.equal(acl.match, 'str');
  assert.equal(acl.sample.converters[0]!.def.name, 'lower');
  assert.equal(err('x path_beg,foo x').error, "ACL keyword 'path_beg' : unknown converter 'foo'");
  assert.equal(err('x path,field(0,/) x').error, "ACL keyword 'path' : invalid args in converter 'field' : Unexpected value 0 for index");
});

test('the output type of the last converter chooses the matching', () => {
  assert.equal(ok('x src,ipmask(24) 1.2.3.0').match, 'ip');
  assert.equal(ok('x path,length gt 3').match, 'int');
  assert.equal(ok('script_tag req.payload(0,500),lower -m reg <script>').match, 'reg');
});

test('flags: -i, -n, -M, -u, -f and -- are recorded', () => {
  const acl = ok('valid-ua hdr(user-agent) -f exact-ua.lst -i -f generic-ua.lst -u 7 test');
  assert.deepEqual(acl.files.map((f) => [f.file, f.ignoreCase]), [['exact-ua.lst', false], ['generic-ua.lst', true]]);
  assert.equal(acl.ignoreCase, true);
  assert.equal(acl.uniqueId, 7);
  assert.deepEqual(acl.values, ['test']);
  assert.equal(ok('x path -M -f m.map').loadAsMap, true);
  assert.equal(ok('x src -n -f ips.lst').files[0]!.noDns, true);
  assert.deepEqual(ok('x path -- -i').values, ['-i']);
  assert.deepEqual(ok('x path -i -- --').values, ['--']);
});

test('flag errors are reported', () => {
  assert.equal(err('x path -q x').error, "'-q' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'");
  assert.equal(err('x src_port -5').error, "'-5' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'");
  assert.equal(err('x path -u abc x').error, 'the argument of -u must be an integer');
  assert.equal(err('x path -f f.lst -m str').error, "'-m' must only be specified before patterns and files in parsing ACL expression");
  assert.equal(err('x req.body -f f.lst').error, "matching method must be specified first (using '-m') when using a sample fetch of this type ('req.body')");
});

test('patterns of found and bool are ignored', () => {
  assert.deepEqual(ok('x ssl_fc 1 2').patterns, []);
  assert.deepEqual(ok('x path -m found').patterns, []);
});

test('the method ACL keeps well-known and custom methods', () => {
  const acl = ok('x method GET PURGE');
  assert.equal(acl.specialMatcher, 'method');
  assert.deepEqual(acl.patterns, [{ kind: 'method', method: 'GET', known: true }, { kind: 'method', method: 'PURGE', known: false }]);
});

test('warnings: no pattern, and a parenthesis separated from its keyword', () => {
  assert.match(ok('x src_port').warnings[0]!, /no pattern to match against were provided/);
  assert.deepEqual(ok('x ssl_fc').warnings, []);
  assert.deepEqual(ok('x path --').warnings, []);
  assert.match(ok('x path_reg (a|b)').warnings[0]!, /matching 'path_reg' for pattern '\(a\|b\)' is likely a mistake/);
});

test('a converter name written as a separate word is consumed like HAProxy does', () => {
  const acl = ok('x src_port lower 5');
  assert.equal(acl.sample.converters[0]!.def.name, 'lower');
  assert.equal(acl.match, 'str');
  assert.deepEqual(acl.values, ['lower', '5']);
  assert.equal(acl.warnings.length, 1);
  assert.equal(err('x src_port foo 5').error, "'foo' is not a number");
});

test('variables in fetch and converter arguments are validated', () => {
  assert.match(err('x var(a) -m str 5').error, /invalid variable name 'a'. A variable name must be start by its scope/);
  assert.equal(err('x var(txn.a-b) -m str 5').error, "invalid args in fetch method 'var' : invalid syntax at char '-b' in ACL expression 'var(txn.a-b)'");
  assert.deepEqual(ok('x path,add(txn.a) 5').sample.converters[0]!.args, [{ type: 'var', scope: 'txn', name: 'a' }]);
  assert.equal(err('x path,add(a) 5').error, "ACL keyword 'path' : invalid args in converter 'add' : expects an integer or a variable name");
});
