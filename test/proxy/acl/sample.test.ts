import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSampleExpression, parseSampleWords, findFetch, findConverter, fetchUsableAt, aclReferences, parseAclDeclaration } from '../../../proxy/acl/index.ts';
import type { SampleExpr } from '../../../proxy/acl/index.ts';

function ok(text: string): SampleExpr {
  const r = parseSampleExpression(text);
  if ('error' in r) assert.fail(`unexpected error for '${text}': ${r.error}`);
  return r.expr;
}

function err(text: string): string {
  const r = parseSampleExpression(text);
  if (!('error' in r)) assert.fail(`expected an error for '${text}'`);
  return r.error;
}

test('a plain fetch without arguments', () => {
  const e = ok('src');
  assert.equal(e.fetch.name, 'src');
  assert.equal(e.type, 'ipv4');
  assert.deepEqual(e.args, []);
  assert.equal(e.text, 'src');
});

test('fetch arguments are typed', () => {
  assert.deepEqual(ok('req.hdr(host,-1)').args, [{ type: 'str', value: 'host' }, { type: 'int', value: -1 }]);
  assert.deepEqual(ok('ipv4(10.0.0.1)').args, [{ type: 'ipv4', value: 0x0a000001 }]);
  assert.deepEqual(ok('url_param(id)').args, [{ type: 'str', value: 'id' }]);
  assert.deepEqual(ok('sc0_http_req_rate').args, []);
  assert.deepEqual(ok('sc_http_req_rate(1,st_src)').args, [{ type: 'int', value: 1 }, { type: 'ref', kind: 'table', name: 'st_src' }]);
});

test('nested converters with arguments are chained in order', () => {
  const e = ok('req.hdr(host),lower,field(1,:),regsub(^www\\.,)');
  assert.deepEqual(e.converters.map((c) => c.def.name), ['lower', 'field', 'regsub']);
  assert.deepEqual(e.converters[1]!.args, [{ type: 'int', value: 1 }, { type: 'str', value: ':' }]);
  assert.equal(e.type, 'str');
  const re = e.converters[2]!.args[0]!;
  assert.equal(re.type, 'regex');
  if (re.type === 'regex') assert.equal('www.example.com'.replace(re.regex, ''), 'example.com');
});

test('quotes inside parentheses protect commas and parentheses', () => {
  const e = ok(`req.hdr(host),regsub('(a|b),',"x,y",ig)`);
  const [re, subst, flags] = e.converters[0]!.args;
  assert.equal(re!.type === 'regex' && re.source, '(a|b),');
  assert.equal(re!.type === 'regex' && re.ignoreCase && re.global, true);
  assert.deepEqual(subst, { type: 'str', value: 'x,y' });
  assert.deepEqual(flags, { type: 'str', value: 'ig' });
});

test('backslash escapes in arguments', () => {
  assert.equal(err('str(a\\,c)'), "fetch method 'str' : expected ')' before ',c)'");
  assert.deepEqual(ok('str(a\\ b)').args, [{ type: 'str', value: 'a b' }]);
  assert.deepEqual(ok('str(tab\\there)').args, [{ type: 'str', value: 'tab\there' }]);
  assert.deepEqual(ok(`str('a\\b')`).args, [{ type: 'str', value: 'a\\b' }]);
  assert.deepEqual(ok('str("q\\"q")').args, [{ type: 'str', value: 'q"q' }]);
});

test('the output type follows the last converter', () => {
  assert.equal(ok('src,ipmask(24)').type, 'ipv4');
  assert.equal(ok('path,length').type, 'int');
  assert.equal(ok('req.body,hex').type, 'str');
  assert.equal(ok('var(txn.x)').type, 'any');
  assert.equal(ok('src,map_ip(ips.map,unknown)').type, 'str');
});

test('fetch errors use HAProxy wording', () => {
  assert.equal(err(''), 'missing fetch method');
  assert.equal(err('hdrx(host)'), "unknown fetch method 'hdrx'; did you mean 'hdr'?");
  assert.equal(err('req.hdr(host,1,2)'), "fetch method 'req.hdr' : expected ')' before ',2)'");
  assert.equal(err('int'), "fetch method 'int' : expected type 'integer' at position 1, but got nothing");
  assert.equal(err('date(0,xs)'), "invalid args in fetch method 'date' : expects 's', 'ms' or 'us', got 'xs'");
  assert.equal(err('ipv4(1.2.3)'), "fetch method 'ipv4' : failed to parse '1.2.3' as type 'IPv4 address' at position 1");
  assert.equal(err('src junk'), "missing comma after fetch keyword 'src'");
});

test('converter errors use HAProxy wording', () => {
  assert.equal(err('path,lowr'), "unknown converter 'lowr'; did you mean 'lower'?");
  assert.equal(err('path,lower(1)'), "invalid arg 1 in converter 'lower' : expected ')' before '1)'");
  assert.equal(err('path,field'), "invalid arg 1 in converter 'field' : expected type 'integer' at position 1, but got nothing");
  assert.equal(err('path,regsub'), "invalid arg 2 in converter 'regsub' : missing arguments (got 1/2), type 'string' expected");
  assert.equal(err('path,regsub(a,b,z)'), "invalid args in converter 'regsub' : invalid regex flag 'z', only 'i' and 'g' are supported");
  assert.equal(err('path,regsub((,b)'),
    "error in regex '(' in arg 1 of conversion keyword 'regsub' for sample fetch keyword 'path' : regex '(' is invalid (error=missing closing parenthesis, erroffset=1)");
  assert.equal(err('src,map_ip_ip(f),ipmask(8)'), "converter 'ipmask' cannot be applied");
  assert.equal(err('path,lower junk'), "missing comma after converter 'lower'");
  assert.equal(err('src,ipmask(33)'), "invalid arg 1 in converter 'ipmask' : failed to parse '33' as type 'IPv4 mask' at position 1");
});

test('converter argument checks', () => {
  assert.deepEqual(ok('path,add(3)').converters[0]!.args, [{ type: 'int', value: 3 }]);
  assert.equal(err('path,sha2(100)'), "invalid args in converter 'sha2' : Unsupported number of bits: '100'");
  assert.equal(err('path,digest(nope)'), "invalid args in converter 'digest' : algorithm must be a valid OpenSSL message digest name.");
  assert.equal(ok('path,digest(sha256)').converters.length, 1);
  assert.equal(err('path,json(latin1)'), "invalid args in converter 'json' : Unexpected input code type. Allowed value are 'ascii', 'utf8', 'utf8s', 'utf8p' and 'utf8ps'");
  assert.equal(err('path,strcmp()'), "invalid args in converter 'strcmp' : missing variable name");
  assert.equal(err('path,concat(a,b)'), "invalid args in converter 'concat' : failed to register variable name 'b'");
  assert.equal(err('path,set-var(txn.x,ifwhatever)'), `invalid args in converter 'set-var' : unknown condition "ifwhatever"`);
  assert.equal(ok('path,url_dec').converters[0]!.def.name, 'url_dec');
});

test('trailing and repeated commas are tolerated like HAProxy', () => {
  assert.deepEqual(ok('path,,lower,').converters.map((c) => c.def.name), ['lower']);
});

test('one converter per word is accepted when the expression is given as words', () => {
  const r = parseSampleWords(['set-var(txn.h)', 'req.hdr(host)', 'lower', 'field(1,:)', 'if', 'x'], 1);
  assert.ok(!('error' in r));
  if (!('error' in r)) {
    assert.deepEqual(r.expr.converters.map((c) => c.def.name), ['lower', 'field']);
    assert.equal(r.nextIndex, 4);
  }
});

test('the registry holds the fetches, ACL derivatives and converters of the brief', () => {
  for (const name of ['hdr', 'req.hdr', 'req.fhdr', 'hdr_cnt', 'req.hdr_cnt', 'res.hdr', 'path', 'url', 'query', 'url_param', 'urlp',
    'method', 'src', 'src_port', 'dst', 'dst_port', 'ssl_fc', 'ssl_fc_sni', 'ssl_fc_protocol', 'ssl_fc_cipher', 'req.ssl_sni',
    'req_ssl_sni', 'req.ssl_hello_type', 'req.len', 'req_len', 'cook', 'req.cook', 'cook_cnt', 'status', 'base', 'hdr_ip',
    'http_auth', 'http_auth_group', 'sc_http_req_rate', 'sc0_http_req_rate', 'sc1_http_req_rate', 'sc2_http_req_rate',
    'sc_conn_cur', 'sc_conn_rate', 'sc_http_err_rate', 'sc_inc_gpc0', 'src_conn_rate', 'src_http_req_rate', 'be_conn',
    'be_sess_rate', 'nbsrv', 'connslots', 'fe_conn', 'always_true', 'always_false', 'var', 'str', 'int', 'env', 'ipv4', 'ipv6',
    'date', 'rand', 'hostname', 'req.body']) {
    assert.ok(findFetch(name), name);
  }
  for (const name of ['lower', 'upper', 'base64', 'b64dec', 'hex', 'json', 'regsub', 'field', 'word', 'bytes', 'length', 'map',
    'map_str', 'map_beg', 'ipmask', 'sdbm', 'djb2', 'crc32', 'wt6', 'xxh32', 'concat', 'add', 'sub', 'mul', 'div', 'mod', 'url_dec',
    'sha1', 'sha2', 'digest', 'hmac', 'in_table', 'table_http_req_rate', 'ltime', 'utime', 'strcmp', 'secure_memcmp', 'set-var']) {
    assert.ok(findConverter(name), name);
  }
  assert.equal(findFetch('TRUE'), undefined);
});

test('fetch layers tell where a fetch may be used', () => {
  assert.equal(findFetch('path')!.layer, 'l7-req');
  assert.equal(findFetch('status')!.layer, 'l7-res');
  assert.equal(findFetch('hdr')!.layer, 'l7');
  assert.equal(findFetch('src')!.layer, 'l4');
  assert.equal(findFetch('ssl_fc')!.layer, 'l5');
  assert.equal(findFetch('req.len')!.layer, 'l6-req');
  assert.equal(findFetch('nbsrv')!.layer, 'internal');
  assert.equal(fetchUsableAt(findFetch('path')!, 'frontend-tcp-request-connection'), false);
  assert.equal(fetchUsableAt(findFetch('path')!, 'frontend-tcp-request-content'), true);
  assert.equal(fetchUsableAt(findFetch('src')!, 'frontend-tcp-request-connection'), true);
  assert.equal(fetchUsableAt(findFetch('ssl_fc')!, 'frontend-tcp-request-connection'), false);
  assert.equal(fetchUsableAt(findFetch('status')!, 'frontend-http-request'), false);
  assert.equal(fetchUsableAt(findFetch('req.hdr')!, 'log'), false);
});

test('objects referenced by name are listed for the caller to resolve', () => {
  const acl = parseAclDeclaration(['x', 'http_auth_group(admins),map(groups.map)', '-f', 'more.lst', 'ops']);
  assert.ok(!('error' in acl));
  if (!('error' in acl)) {
    const refs = aclReferences(acl);
    assert.deepEqual(refs.userlists, ['admins']);
    assert.deepEqual(refs.files, ['more.lst']);
  }
});
