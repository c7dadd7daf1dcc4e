import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compileSample, compileLogFormat, parseLogFormat, parseSampleExpression, parseCondition, compileConditionResult,
  DEFAULT_LOG_FORMATS, EvalCompileError, ACL_PASS, ACL_FAIL, ACL_MISS, UNSUPPORTED_CONVERTERS, UNSUPPORTED_FETCHES, mkStr, mkInt,
  fetchNames, findFetch, converterNames, findConverter, compileCondition,
} from '../../../proxy/acl/index.ts';
import type { AclDeclaration, Checkpoint, EngineHooks, LogVars, StickQuery } from '../../../proxy/acl/index.ts';
import { aclOf, condOf, context, decl, formatOf, plain, sampleOf, words } from './eval-helpers.ts';

const H = (...pairs: [string, string][]): [string, string][] => pairs;

test('the seed ACL: hdr(Host) -i api.example.com', () => {
  const isApi = aclOf('is_api hdr(Host) -i api.example.com');
  assert.equal(isApi(context({ headers: H(['Host', 'API.Example.COM']) })), true);
  assert.equal(isApi(context({ headers: H(['Host', 'api.example.com.evil']) })), false);
  assert.equal(isApi(context({ headers: H(['Host', 'api.example.com:443']) })), false);
  assert.equal(isApi(context({ headers: [] })), false);
  assert.equal(isApi(context(undefined)), false, 'no HTTP request (TCP mode)');
});

test('path_beg, path_end, path_reg, url_beg', () => {
  assert.equal(aclOf('s path_beg /static/ /images/')(context({ url: '/images/a.png' })), true);
  assert.equal(aclOf('s path_beg /static/')(context({ url: '/stat' })), false);
  assert.equal(aclOf('s path_end .css .js')(context({ url: '/a/b.js?v=3' })), true);
  assert.equal(aclOf('s path_reg ^/api/v[0-9]+/')(context({ url: '/api/v12/users' })), true);
  assert.equal(aclOf('s path_reg ^/api/v[0-9]+/')(context({ url: '/api/vx/users' })), false);
  assert.equal(aclOf('s url_beg /a?b')(context({ url: '/a?b=1' })), true);
});

test('!{ ssl_fc } and TLS fetches', () => {
  const plainHttp = condOf('if !{ ssl_fc }');
  assert.equal(plainHttp(context({})), true);
  assert.equal(plainHttp(context({}, { conn: { ssl: true } })), false);
  const tls = context({}, { conn: { ssl: true, sslSni: 'api.example.com', sslProtocol: 'TLSv1.3', sslCipher: 'TLS_AES_128_GCM_SHA256' } });
  assert.equal(aclOf('x ssl_fc_sni -i API.example.com')(tls), true);
  assert.equal(aclOf('x ssl_fc_sni_end .example.com')(tls), true);
  assert.equal(plain(sampleOf('ssl_fc_protocol')(tls)), 'TLSv1.3');
  assert.equal(sampleOf('ssl_fc_sni')(context({})), undefined, 'no SNI without TLS');
});

test('src / dst CIDR matching, IPv4 and IPv6, IPv4-mapped', () => {
  const lan = aclOf('lan src 192.168.0.0/16 10.0.0.0/8 2001:db8::/32');
  assert.equal(lan(context({}, { conn: { src: '192.168.7.9' } })), true);
  assert.equal(lan(context({}, { conn: { src: '172.16.0.1' } })), false);
  assert.equal(lan(context({}, { conn: { src: '2001:db8:1::5' } })), true);
  assert.equal(lan(context({}, { conn: { src: '2001:db9::5' } })), false);
  assert.equal(lan(context({}, { conn: { src: '::ffff:10.1.2.3' } })), true, 'IPv4-mapped IPv6 matches IPv4 networks');
  assert.equal(aclOf('v6 src ::ffff:10.0.0.0/104')(context({}, { conn: { src: '10.9.9.9' } })), true, 'IPv4 matches mapped IPv6 networks');
  assert.equal(aclOf('one src 10.0.0.1')(context({}, { conn: { src: '10.0.0.1' } })), true);
  assert.equal(aclOf('one src 10.0.0.1')(context({}, { conn: { src: '10.0.0.2' } })), false);
  assert.equal(aclOf('d dst 127.0.0.0/8')(context({})), true);
  assert.equal(condOf('if LOCALHOST')(context({}, { conn: { src: '::1' } })), true);
  assert.equal(plain(sampleOf('src,ipmask(16)')(context({}, { conn: { src: '10.1.2.3' } }))), (10 << 24) | (1 << 16));
});

test('host names as IP patterns need a resolver', () => {
  assert.throws(() => aclOf('h src localhost'), (e: unknown) => e instanceof EvalCompileError && e.kind === 'invalid');
  const h = aclOf('h src localhost', { resolveHost: (n) => (n === 'localhost' ? 0x7f000001 : undefined) });
  assert.equal(h(context({})), true);
});

test('dst_port, src_port and integer operators', () => {
  const ctx = context({}, { conn: { dstPort: 8443, srcPort: 50123 } });
  assert.equal(aclOf('p dst_port 8443')(ctx), true);
  assert.equal(aclOf('p dst_port 80 443')(ctx), false);
  assert.equal(aclOf('p dst_port 8000:8999')(ctx), true);
  assert.equal(aclOf('p dst_port ge 8443')(ctx), true);
  assert.equal(aclOf('p dst_port gt 8443')(ctx), false);
  assert.equal(aclOf('p dst_port lt 8443')(ctx), false);
  assert.equal(aclOf('p dst_port le 8443')(ctx), true);
  assert.equal(aclOf('p dst_port eq 8443')(ctx), true);
  assert.equal(aclOf('p src_port 1024:')(ctx), true);
  assert.equal(aclOf('p src_port :1023')(ctx), false);
});

test('url_param, query, urlp_val', () => {
  const ctx = context({ url: '/search?q=proxy&page=3&id=1&id=2' });
  assert.equal(aclOf('u url_param(q) proxy')(ctx), true);
  assert.equal(aclOf('u urlp(page) 3')(ctx), true);
  assert.equal(aclOf('u urlp_val(page) gt 2')(ctx), true);
  assert.equal(aclOf('u url_param(id) 2')(ctx), true, 'every occurrence is tried');
  assert.equal(plain(sampleOf('url_param(id)')(ctx)), '1', 'samples take the first one');
  assert.equal(aclOf('u url_param(missing) -m found')(ctx), false);
  assert.equal(plain(sampleOf('query')(ctx)), 'q=proxy&page=3&id=1&id=2');
  assert.equal(aclOf('u query -m sub page=3')(ctx), true);
  assert.equal(sampleOf('query')(context({ url: '/x' })), undefined);
});

test('method, including predefined METH_* ACLs and unknown methods', () => {
  assert.equal(aclOf('m method GET HEAD')(context({ method: 'HEAD' })), true);
  assert.equal(aclOf('m method GET HEAD')(context({ method: 'POST' })), false);
  assert.equal(condOf('if METH_POST')(context({ method: 'POST' })), true);
  assert.equal(condOf('if METH_GET')(context({ method: 'HEAD' })), true);
  assert.equal(aclOf('m method PURGE')(context({ method: 'PURGE' })), true);
  assert.equal(aclOf('m method purge')(context({ method: 'PURGE' })), false);
  assert.equal(aclOf('m method -i purge')(context({ method: 'PURGE' })), true);
  assert.equal(aclOf('m method -i GET')(context({ method: 'get' })), false, 'known methods compare exactly (HAProxy)');
  assert.equal(plain(sampleOf('method')(context({ method: 'PATCH' }))), 'PATCH');
});

test('cookies: cook, cook_cnt, cook_val, several headers', () => {
  const ctx = context({ headers: H(['Cookie', 'lang=fr; SESSION=abc'], ['Cookie', 'SESSION=def']) });
  assert.equal(aclOf('c cook(SESSION) abc')(ctx), true, 'ACLs see every occurrence');
  assert.equal(plain(sampleOf('cook(SESSION)')(ctx)), 'def', 'samples the last one');
  assert.equal(plain(sampleOf('cook_cnt(SESSION)')(ctx)), 2);
  assert.equal(plain(sampleOf('cook_cnt')(ctx)), 3);
  assert.equal(aclOf('c cook(lang) -m found')(ctx), true);
  assert.equal(aclOf('c cook(LANG) -m found')(ctx), false, 'cookie names are case-sensitive');
  assert.equal(aclOf('c cook_beg(lang) f')(ctx), true);
  assert.equal(plain(sampleOf('cook_val(n)')(context({ headers: H(['Cookie', 'n=42x']) }))), 42);
  assert.equal(plain(sampleOf('res.cook(id)')(context({}, { res: { status: 200, rawHeaders: ['Set-Cookie', 'id=7; Path=/; HttpOnly'] } }))), '7');
});

test('req.hdr_cnt, hdr_cnt, fhdr_cnt and occurrences', () => {
  const ctx = context({ headers: H(['Via', '1.1 a, 1.1 b'], ['via', '1.0 c'], ['Host', 'h']) });
  assert.equal(plain(sampleOf('req.hdr_cnt(via)')(ctx)), 3);
  assert.equal(plain(sampleOf('req.fhdr_cnt(via)')(ctx)), 2);
  assert.equal(plain(sampleOf('hdr_cnt')(ctx)), 4);
  assert.equal(aclOf('v req.hdr_cnt(via) gt 2')(ctx), true);
  assert.equal(aclOf('v req.hdr_cnt(x-none) 0')(ctx), true);
  assert.equal(plain(sampleOf('req.hdr(via,1)')(ctx)), '1.1 a');
  assert.equal(plain(sampleOf('req.hdr(via,-1)')(ctx)), '1.0 c');
  assert.equal(plain(sampleOf('req.hdr(via,-2)')(ctx)), '1.1 b');
  assert.equal(sampleOf('req.hdr(via,4)')(ctx), undefined);
  assert.equal(plain(sampleOf('req.fhdr(via,1)')(ctx)), '1.1 a, 1.1 b');
  assert.equal(plain(sampleOf('req.hdr_names')(ctx)), 'via,via,host');
});

test('multiple values: any value of a multi-valued fetch matches', () => {
  const ctx = context({ headers: H(['X-Forwarded-For', '203.0.113.7, 10.0.0.1'], ['X-Forwarded-For', '198.51.100.2']) });
  assert.equal(aclOf('x req.hdr(x-forwarded-for) 10.0.0.1')(ctx), true);
  assert.equal(aclOf('x req.hdr(x-forwarded-for) 198.51.100.2')(ctx), true);
  assert.equal(aclOf('x req.hdr(x-forwarded-for,1) 10.0.0.1')(ctx), false, 'an explicit occurrence is one value');
  assert.equal(aclOf('x req.hdr_ip(x-forwarded-for) 10.0.0.0/8')(ctx), true);
  assert.equal(plain(sampleOf('req.hdr(x-forwarded-for)')(ctx)), '198.51.100.2', 'samples use the last value');
  // with converters, each value is converted then matched
  assert.equal(aclOf('x req.hdr(x-forwarded-for),ipmask(24) 203.0.113.0')(ctx), true);
  // several declarations of one name are ORed, and so are values and -f files
  assert.equal(condOf('if a', ['a path /x', 'a path /y'])(context({ url: '/y' })), true);
  assert.equal(condOf('if a', ['a path /x', 'a path /y'])(context({ url: '/z' })), false);
});

test('regular expressions, -i, -m reg, regm', () => {
  const ctx = context({ headers: H(['User-Agent', 'Mozilla/5.0 (compatible; Googlebot/2.1)']) });
  assert.equal(aclOf('bot hdr_reg(user-agent) -i googlebot|bingbot')(ctx), true);
  assert.equal(aclOf('bot hdr_reg(user-agent) googlebot')(ctx), false);
  assert.equal(aclOf('bot req.hdr(user-agent) -m reg -i ^mozilla/[0-9]')(ctx), true);
  assert.equal(aclOf('bot req.hdr(user-agent) -m sub Googlebot')(ctx), true);
});

test('-f pattern files (with comments, -i and per-file flags), -M map files as patterns', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loadstar-acl-eval-'));
  try {
    writeFileSync(join(dir, 'hosts.lst'), '# blocked hosts\nBad.example.com\n  evil.example.org\n\n# end\n');
    writeFileSync(join(dir, 'nets.lst'), '10.0.0.0/8\r\n192.0.2.1\r\n');
    writeFileSync(join(dir, 'hosts.map'), 'a.example.com backend_a\nb.example.com   backend_b\n');
    writeFileSync(join(dir, 'bad.lst'), '10.0.0.0/8\nnot an address\n');
    const readFile = (p: string): string => readFileSync(p, 'utf8');
    const o = { readFile };
    const host = (h: string) => context({ headers: H(['Host', h]) });
    assert.equal(aclOf(`b hdr(host) -i -f ${dir}/hosts.lst`, o)(host('bad.EXAMPLE.com')), true);
    assert.equal(aclOf(`b hdr(host) -f ${dir}/hosts.lst`, o)(host('bad.example.com')), false, 'case matters without -i');
    assert.equal(aclOf(`b hdr(host) -f ${dir}/hosts.lst`, o)(host('evil.example.org')), true, 'leading blanks are skipped');
    assert.equal(aclOf(`b hdr(host) -f ${dir}/hosts.lst other.example.com`, o)(host('other.example.com')), true);
    assert.equal(aclOf(`n src -f ${dir}/nets.lst`, o)(context({}, { conn: { src: '10.2.3.4' } })), true);
    assert.equal(aclOf(`n src -f ${dir}/nets.lst`, o)(context({}, { conn: { src: '192.0.2.1' } })), true);
    assert.equal(aclOf(`m hdr(host) -M -f ${dir}/hosts.map`, o)(host('b.example.com')), true);
    assert.throws(() => aclOf(`n src -f ${dir}/bad.lst`, o), (e: unknown) => e instanceof EvalCompileError && e.kind === 'file' && /bad\.lst:2/.test(e.message));
    assert.throws(() => aclOf(`n src -f ${dir}/missing.lst`, o), (e: unknown) => e instanceof EvalCompileError && e.kind === 'file');
    assert.throws(() => aclOf(`n src -f ${dir}/nets.lst`), (e: unknown) => e instanceof EvalCompileError && e.kind === 'file');
    // maps
    const backend = sampleOf(`req.hdr(host),lower,map(${dir}/hosts.map,default_be)`, o);
    assert.equal(plain(backend(host('A.example.com'))), 'backend_a');
    assert.equal(plain(backend(host('x'))), 'default_be');
    assert.equal(sampleOf(`req.hdr(host),map(${dir}/hosts.map)`, o)(host('x')), undefined, 'no default: the converter fails');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('conditions: if/unless, AND/OR, negation, anonymous ACLs, predefined ACLs, unknown ACLs', () => {
  const acls = ['api hdr(host) -i api.example.com', 'admin path_beg /admin', 'local src 127.0.0.0/8'];
  const api = context({ url: '/admin/x', headers: H(['Host', 'api.example.com']) });
  assert.equal(condOf('if api admin', acls)(api), true);
  assert.equal(condOf('if api !admin', acls)(api), false);
  assert.equal(condOf('unless api', acls)(api), false);
  assert.equal(condOf('if admin !local || api', acls)(api), true, 'AND binds tighter than OR');
  assert.equal(condOf('if admin !local or FALSE', acls)(api), false);
  assert.equal(condOf('if { path_beg /admin } { method GET }')(api), true);
  assert.equal(condOf('if TRUE HTTP HTTP_1.1 METH_GET HTTP_URL_SLASH')(api), true);
  assert.equal(condOf('if HTTP_1.0')(api), false);
  assert.equal(condOf('if HTTP_URL_ABS')(context({ url: 'http://h/x' })), true);
  // a declared ACL wins over a predefined one of the same name
  assert.equal(condOf('if TRUE', ['TRUE path /never'])(api), false);
  assert.throws(() => condOf('if nope'), (e: unknown) => e instanceof EvalCompileError && e.kind === 'unknown-acl');
});

test('three-valued conditions for TCP content inspection (missing data)', () => {
  const c = parseCondition(words('if { req.len gt 10 }'), 0);
  assert.ok(!('error' in c));
  const r = compileConditionResult(c.condition, new Map());
  const bytes = (n: number, final: boolean) => context(undefined, { conn: { payload: new Uint8Array(n) }, final });
  assert.equal(r(bytes(3, false)), ACL_MISS, 'may still grow while inspecting');
  assert.equal(r(bytes(3, true)), ACL_FAIL);
  assert.equal(r(bytes(20, false)), ACL_PASS);
  const u = parseCondition(words('unless { req.len gt 10 }'), 0);
  assert.ok(!('error' in u));
  assert.equal(compileConditionResult(u.condition, new Map())(bytes(3, false)), ACL_MISS, 'unless keeps MISS');
  assert.equal(condOf('if WAIT_END')(bytes(0, false)), false);
  assert.equal(condOf('if WAIT_END')(bytes(0, true)), true);
  assert.equal(condOf('if REQ_CONTENT')(bytes(1, true)), true);
});

test('converter chains and casts', () => {
  const ctx = context({ url: '/Path/To?X=1', headers: H(['Host', 'WWW.Example.COM:8080'], ['X-N', '20']) });
  assert.equal(plain(sampleOf('req.hdr(host),lower,field(1,:),regsub(^www\\.,)')(ctx)), 'example.com');
  assert.equal(plain(sampleOf('req.hdr(x-n),mul(3),add(2),div(4)')(ctx)), 15);
  assert.equal(plain(sampleOf('path,lower,length')(ctx)), 8);
  assert.equal(plain(sampleOf('str(abc),sha1,base64')(ctx)), 'qZk+NkcGgWq6PiVxeFDCbJzQ2J0=');
  assert.equal(plain(sampleOf('str(abc),hex,lower')(ctx)), '616263');
  assert.equal(plain(sampleOf('req.hdr(x-n),bool')(ctx)), true);
  assert.equal(plain(sampleOf('int(0),not')(ctx)), true);
  assert.equal(plain(sampleOf('int(10),sub(txn.n)')(context({}, { vars: { 'txn.n': mkInt(3) } }))), 7);
  assert.equal(sampleOf('int(10),sub(txn.missing)')(context({})), undefined, 'an unset variable operand fails');
  assert.equal(plain(sampleOf('src,ipmask(8),hex')(ctx)), '7F000000', 'ipv4 cast to bin is 4 bytes');
  assert.equal(plain(sampleOf('str(2001:db8::1),ipmask(8,32)')(ctx)), 'ipv6:20010db8000000000000000000000000');
  assert.equal(plain(sampleOf('int(1700000000),utime(%d/%b/%Y:%H:%M:%S %z)')(ctx)), '14/Nov/2023:22:13:20 +0000');
  assert.equal(plain(sampleOf('str(a b),url_enc')(ctx)), 'a%20b');
  assert.equal(plain(sampleOf('int(7),even')(ctx)), false);
  assert.equal(plain(sampleOf('int(-9223372036854775807),sub(10)')(ctx)), -9223372036854775808, 'saturates');
  // set-var converter writes the variable and passes the sample on
  const vctx = context({});
  assert.equal(plain(sampleOf('str(x),set-var(txn.copy),upper')(vctx)), 'X');
  assert.equal(plain(vctx.vars!.get('txn', 'copy')), 'x');
  assert.equal(plain(sampleOf('var(txn.copy)')(vctx)), 'x');
  assert.equal(plain(sampleOf('var(txn.none,fallback)')(vctx)), 'fallback');
});

test('unsupported converters and fetches are reported at compile time', () => {
  for (const name of ['aes_gcm_dec(128,txn.n,txn.k,txn.t)', 'jwt_verify(HS256,a2V5)', 'xxh3', 'protobuf(1)']) {
    const e = parseSampleExpression(`str(x),${name}`);
    if ('error' in e) assert.fail(`${name}: ${e.error}`);
    assert.throws(() => compileSample(e.expr), (err: unknown) => err instanceof EvalCompileError && err.kind === 'unsupported');
  }
  for (const fetch of ['fc_rtt(ms)', 'cpu_calls', 'ssl_bc_session_key', 'internal.htx.size', 'distcc_body(ABCD)']) {
    const e = parseSampleExpression(fetch);
    if ('error' in e) assert.fail(`${fetch}: ${e.error}`);
    assert.throws(() => compileSample(e.expr), (err: unknown) => err instanceof EvalCompileError && err.kind === 'unsupported' && err.keyword === fetch.replace(/\(.*/, ''));
  }
  assert.ok(UNSUPPORTED_CONVERTERS.includes('jwt_verify'));
  assert.throws(() => decl('x fc_rtt(ms) gt 10') && aclOf('x fc_rtt(ms) gt 10'), EvalCompileError);
});

test('UNSUPPORTED_FETCHES / UNSUPPORTED_CONVERTERS list exactly what does not compile', () => {
  const dummy: Record<string, string> = {
    int: '1', str: 'x', ipv4: '1.2.3.4', msk4: '24', ipv6: '::1', msk6: '64', be: 'b', fe: 'f', tab: 't', srv: 'b/s', usr: 'u', reg: 'x', pbuf: '1',
  };
  const fetchArgs: Record<string, string> = {
    var: 'txn.x', bin: '41', bool: '1', meth: 'GET', uuid: '4', distcc_body: 'ABCD', distcc_param: 'ABCD', fc_rtt: 'ms', fc_rttvar: 'ms',
  };
  const failing: string[] = [];
  for (const name of fetchNames()) {
    const f = findFetch(name)!;
    let args = fetchArgs[name] ?? f.args.types.slice(0, f.args.min).map((t) => dummy[t]).join(',');
    if (name.startsWith('internal.htx_blk')) args = 'head';
    if (name.endsWith('payload_lv')) args = '1,1';
    const e = parseSampleExpression(args ? `${name}(${args})` : name);
    if ('error' in e) assert.fail(`${name}: ${e.error}`);
    try { compileSample(e.expr); } catch (err) { if (err instanceof EvalCompileError && err.kind === 'unsupported') failing.push(name); else throw err; }
  }
  assert.deepEqual([...failing].sort(), [...UNSUPPORTED_FETCHES].sort());
  const convArgs: Record<string, string> = {
    concat: '', add_item: ',,x', json: '', field: '1,.', word: '1,.', regsub: 'a,b', digest: 'sha256', hmac: 'sha256,a2V5',
    aes_gcm_dec: '128,txn.a,txn.b,txn.c', be2dec: ',1', be2hex: ',1', jwt_verify: 'HS256,a2V5', strcmp: 'txn.x',
    secure_memcmp: 'txn.x', 'set-var': 'txn.x', 'unset-var': 'txn.x', url_enc: '', json_query: '$.a', ltime: '%Y', utime: '%Y',
    iif: 'a,b', ipmask: '24', bytes: '1', ltrim: 'x', rtrim: 'x', language: 'en', protobuf: '1', ungrpc: '1', 'capture-req': '0',
    'capture-res': '0', fix_tag_value: '35', mqtt_field_value: 'connect,1',
    add: '1', sub: '1', mul: '1', div: '1', mod: '1', and: '1', or: '1', xor: '1',
  };
  const convFailing: string[] = [];
  for (const name of converterNames()) {
    const c = findConverter(name)!;
    if (name.startsWith('map')) continue; // need a file
    const args = convArgs[name] ?? c.args.types.slice(0, c.args.min).map((t) => dummy[t]).join(',');
    const input = c.input === 'int' || c.input === 'bool' ? 'int(1)' : c.input === 'addr' ? 'src' : 'str(x)';
    const e = parseSampleExpression(`${input},${name}${args ? `(${args})` : ''}`);
    if ('error' in e) { convFailing.push(`${name}: ${e.error}`); continue; }
    try { compileSample(e.expr); } catch (err) { if (err instanceof EvalCompileError && err.kind === 'unsupported') convFailing.push(name); else throw err; }
  }
  assert.deepEqual([...convFailing].sort(), [...UNSUPPORTED_CONVERTERS].sort());
});

test('engine hooks: backend and server state, stick counters, userlists', () => {
  const queries: StickQuery[] = [];
  const hooks: EngineHooks = {
    backend: (name, metric) => (name === 'app' && metric === 'nbsrv' ? 2 : name === 'app' && metric === 'be_conn' ? 17 : undefined),
    server: (be, srv, metric) => (be === 'app' && srv === 's1' && metric === 'srv_is_up' ? 1 : 0),
    stickCounter: (_ctx, q) => { queries.push(q); return q.fn === 'http_req_rate' ? 120 : q.fn === 'tracked' ? 1 : undefined; },
    checkUser: (ul, user, pass) => ul === 'admins' && user === 'alice' && pass === 'secret',
    userInGroup: (ul, user, group) => ul === 'admins' && user === 'alice' && group === 'ops',
  };
  const auth = ['Authorization', `Basic ${Buffer.from('alice:secret').toString('base64')}`] as [string, string];
  const ctx = context({ headers: H(auth) }, { hooks });
  assert.equal(aclOf('up nbsrv(app) ge 1')(ctx), true);
  assert.equal(aclOf('busy be_conn(app) gt 10')(ctx), true);
  assert.equal(aclOf('down nbsrv(other) ge 1')(ctx), false);
  assert.equal(aclOf('s1 srv_is_up(app/s1)')(ctx), true);
  assert.equal(aclOf('s1 srv_is_up(app/s2)')(ctx), false);
  assert.equal(aclOf('abuse sc_http_req_rate(0) gt 100')(ctx), true);
  assert.equal(aclOf('abuse sc0_http_req_rate gt 100')(ctx), true);
  assert.equal(aclOf('t sc1_tracked')(ctx), true);
  assert.equal(aclOf('c src_conn_cur(st) gt 1')(ctx), false, 'undefined from the hook: the fetch fails');
  assert.deepEqual(queries.map((q) => [q.fn, q.by, q.counter, q.table]), [
    ['http_req_rate', 'sc', 0, ''], ['http_req_rate', 'sc', 0, ''], ['tracked', 'sc', 1, ''], ['conn_cur', 'src', undefined, 'st'],
  ]);
  assert.equal(aclOf('ok http_auth(admins)')(ctx), true);
  assert.equal(aclOf('ok http_auth(admins)')(context({ headers: H(['Authorization', 'Basic YWxpY2U6bm8=']) }, { hooks })), false);
  assert.equal(aclOf('grp http_auth_group(admins) ops')(ctx), true);
  assert.equal(aclOf('grp http_auth_group(admins) devs')(ctx), false);
  assert.equal(plain(sampleOf('http_auth_user')(ctx)), 'alice');
  assert.equal(aclOf('up nbsrv ge 1', { currentProxy: 'app' })(ctx), true, 'implicit backend = current proxy');
});

test('L6: TLS ClientHello (req.ssl_sni, req.ssl_hello_type, req.ssl_ver, req.ssl_alpn) with bounds checks', async () => {
  const hello = await captureClientHello('api.example.com', ['h2', 'http/1.1']);
  const ctx = (d: Uint8Array, final = true) => context(undefined, { conn: { payload: d }, final });
  assert.equal(plain(sampleOf('req.ssl_sni')(ctx(hello))), 'api.example.com');
  assert.equal(plain(sampleOf('req.ssl_hello_type')(ctx(hello))), 1);
  assert.equal(plain(sampleOf('req.ssl_ver')(ctx(hello))), 0x30003, 'the hello says TLS 1.2 (0x0303) even for TLS 1.3');
  assert.equal(aclOf('v req.ssl_ver 3.3')(ctx(hello)), true, 'dotted versions');
  assert.equal(aclOf('a req.ssl_alpn h2')(ctx(hello)), true);
  assert.equal(aclOf('a req.ssl_alpn http/1.1')(ctx(hello)), true, 'every ALPN name is tried');
  assert.equal(plain(sampleOf('req.ssl_alpn')(ctx(hello))), 'h2');
  assert.equal(plain(sampleOf('req.ssl_ec_ext')(ctx(hello))), true);
  assert.equal(aclOf('s req_ssl_sni -i API.EXAMPLE.COM')(ctx(hello)), true);
  // a truncated hello is "missing data", never an exception nor out-of-bounds bytes
  const c = parseCondition(words('if { req.ssl_sni -m found }'), 0);
  assert.ok(!('error' in c));
  const r = compileConditionResult(c.condition, new Map());
  for (let n = 0; n < hello.length; n++) {
    assert.equal(r(ctx(hello.subarray(0, n), false)), ACL_MISS, `truncated to ${n} bytes`);
    assert.equal(r(ctx(hello.subarray(0, n), true)), ACL_FAIL);
  }
  assert.equal(r(ctx(hello, false)), ACL_PASS);
  // corrupted hellos: no exception, and an SNI is only returned from inside the message
  let seed = 12345;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const sni = sampleOf('req.ssl_sni');
  const ver = sampleOf('req.ssl_ver');
  const alpn = aclOf('a req.ssl_alpn -m found');
  for (let i = 0; i < 3000; i++) {
    const d = Uint8Array.from(hello);
    for (let k = 0; k < 1 + (rand() % 4); k++) d[rand() % d.length] = rand() & 255;
    const n = rand() % 3 === 0 ? rand() % d.length : d.length;
    const bytes = d.subarray(0, n);
    const s = sni(ctx(bytes));
    if (s && s.type === 'str') assert.ok(s.value.length <= n);
    ver(ctx(bytes));
    alpn(ctx(bytes));
  }
  // not TLS at all
  assert.equal(sni(ctx(Buffer.from('GET / HTTP/1.1\r\n\r\n'))), undefined);
  assert.equal(plain(sampleOf('req.ssl_hello_type')(ctx(Buffer.from('GET / HTTP/1.1\r\n\r\n')))), undefined);
  // HTTP mode: no payload
  assert.equal(sampleOf('req.len')(context({})), undefined);
  assert.equal(plain(sampleOf('req.len')(ctx(hello))), hello.length);
  assert.equal(plain(sampleOf('req.payload(0,3),hex')(ctx(hello))), Buffer.from(hello.subarray(0, 3)).toString('hex').toUpperCase());
  assert.equal(plain(sampleOf('req.payload_lv(3,2),hex,length')(ctx(hello))), 2 * (hello.length - 5), 'the record body');
  assert.equal(plain(sampleOf('req.payload_lv(3,2),length')(ctx(hello))), 1, 'bin to str stops at the first NUL byte, as in HAProxy');
});

test('RDP cookie', () => {
  const rdp = Buffer.from('\x03\x00\x00\x2a\x25\xe0\x00\x00\x00\x00\x00Cookie: mstshash=alice\r\n\x01\x00\x08\x00\x03\x00\x00\x00', 'latin1');
  const ctx = context(undefined, { conn: { payload: rdp } });
  assert.equal(plain(sampleOf('req.rdp_cookie(mstshash)')(ctx)), 'alice');
  assert.equal(plain(sampleOf('req.rdp_cookie_cnt')(ctx)), 1);
  assert.equal(condOf('if RDP_COOKIE')(ctx), true);
});

const FIXED: LogVars = {
  acceptDate: Date.UTC(2024, 1, 29, 13, 5, 9, 42),
  tHandshake: 0, tIdle: 3, tRequest: 10, tQueue: 11, tConnect: 13, tData: 40, tClose: 52,
  status: 200, bytesRead: 1234, bytesUploaded: 321, backendName: 'app', serverName: 'web1', terminationState: '--',
  activeConnections: 5, frontendConnections: 4, backendConnections: 3, serverConnections: 2, retries: 0,
  serverQueue: 0, backendQueue: 0, requestCounter: 77, uniqueId: 'ID-1',
};

test('log-format: HAProxy default httplog format with known LogVars', () => {
  const prevTz = process.env.TZ;
  process.env.TZ = 'UTC';
  try {
    const ctx = context({ method: 'GET', url: '/index.html?x=1', headers: H(['Host', 'h']) },
      { conn: { src: '192.0.2.10', srcPort: 51234, dst: '10.0.0.1', dstPort: 80, frontend: 'www' } });
    const http = formatOf(DEFAULT_LOG_FORMATS.http);
    // HAProxy's manual, section 8.2.3: '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r'
    assert.equal(http(ctx, FIXED),
      '192.0.2.10:51234 [29/Feb/2024:13:05:09.045] www app/web1 7/1/2/27/49 200 1234 - - ---- 5/4/3/2/0 0/0 "GET /index.html?x=1 HTTP/1.1"');
    // with captures, logasap, a redispatch, a TLS frontend
    const tls = context({ method: 'POST', url: '/api', headers: [] },
      { conn: { src: '2001:db8::1', srcPort: 4444, dst: '::1', dstPort: 443, frontend: 'www', ssl: true } });
    const withCaps = { ...tls, req: { ...tls.req!, captures: ['h', undefined] }, res: { status: 503, rawHeaders: [], captures: ['x|y'] } };
    assert.equal(http(withCaps, { ...FIXED, status: 503, logasap: true, redispatched: true, retries: 1, terminationState: 'sC', cookieState: 'NI' }),
      '2001:db8::1:4444 [29/Feb/2024:13:05:09.045] www~ app/web1 7/1/2/27/+49 503 +1234 - - sCNI 5/4/3/2/+1 0/0 {h|} {x#7Cy} "POST /api HTTP/1.1"');
    // tcplog and clf
    assert.equal(formatOf(DEFAULT_LOG_FORMATS.tcp)(ctx, FIXED), '192.0.2.10:51234 [29/Feb/2024:13:05:09.042] www app/web1 1/2/52 1234 -- 5/4/3/2/0 0/0');
    assert.equal(formatOf(DEFAULT_LOG_FORMATS.clf)(ctx, FIXED),
      '192.0.2.10 - - [29/Feb/2024:13:05:09 +0000] "GET /index.html?x=1 HTTP/1.1" 200 1234 "" "" 51234 042 "www" "app" "web1" 7 1 2 27 49 ---- 5 4 3 2 0 0 0 "" "" ',
      'the trailing blank before the empty %hrl %hsl is there in HAProxy too');
    // absent values
    assert.equal(http(context(undefined, { conn: { frontend: 'f' } }), {}).replace(/\[.*\]/, '[date]'),
      '127.0.0.1:50000 [date] f f/<NOSRV> -1/-1/-1/-1/0 0 0 - - ---- 0/0/0/0/0 0/0 "<BADREQ>"');
  } finally {
    if (prevTz === undefined) delete process.env.TZ; else process.env.TZ = prevTz;
  }
});

test('log-format: +Q, +X, +E, -M options, separators, samples', () => {
  const ctx = context({ method: 'GET', url: '/a"b]c?q=1', headers: H(['User-Agent', 'curl "8"']) },
    { conn: { src: '10.1.2.3', srcPort: 443, dst: '::1', dstPort: 8080 } });
  assert.equal(formatOf('%{+X}ci:%{+X}cp %{+X}fi %{+Q}ci %cp')(ctx, FIXED), '0A010203:01BB 00000000000000000000000000000001 "10.1.2.3" 443');
  assert.equal(formatOf('%{+Q}HP %{+E}HP %HQ %HM %HV')(ctx, FIXED), '"/a#22b]c" /a#22b\\]c ?q=1 GET HTTP/1.1');
  assert.equal(formatOf('%{+Q}CC %CC %{-M}CC|')(ctx, FIXED), '"" - |');
  assert.equal(formatOf('a   b %[str()]   %[str(x)] c')(ctx, FIXED), 'a b - x c', 'blanks are merged; empty samples are "-"');
  assert.equal(formatOf('%{+Q}[req.fhdr(user-agent)] %{+E}[req.fhdr(user-agent)]')(ctx, FIXED), '"curl "8"" curl \\"8\\"');
  assert.equal(formatOf('%{+Q}o %b %s')(ctx, FIXED), '"app" "web1"', '%o makes the flags global');
  assert.equal(formatOf('%ID %rt %{+X}rt %ts')(ctx, FIXED), 'ID-1 77 004D --');
  assert.equal(formatOf('%Ts %{+X}Ts %ms %{+X}ms')(ctx, FIXED), '1709211909 65E08105 042 2A');
  assert.equal(formatOf('%T')(ctx, FIXED), '29/Feb/2024:13:05:09 +0000');
  // header values (LOG_OPT_HTTP): no quoting, control characters %-encoded, empty samples are empty
  assert.equal(formatOf('v=%[str()];%[req.fhdr(user-agent)]', { headerValue: true })(ctx), 'v=;curl "8"');
  const cr = context({ headers: H(['X', 'a%0d%0ab']) });
  assert.equal(formatOf('%[req.fhdr(x),url_dec]', { headerValue: true })(cr), 'a%0D%0Ab');
  assert.equal(formatOf('%[req.fhdr(x),url_dec]')(cr), 'a\r\nb', 'logs keep them (syslog escaping is done later)');
  assert.equal(formatOf('0123456789', { maxLength: 4 })(ctx), '0123');
});

test('log-format: constant strings compile to constants, tokens from parseLogFormat work directly', () => {
  const parsed = parseLogFormat('static');
  assert.ok(!('error' in parsed));
  const f = compileLogFormat(parsed.tokens);
  assert.equal(f(context({})), 'static');
  assert.equal(plain(mkStr('x')), 'x');
});

/** Captures the ClientHello Node's TLS client sends. */
async function captureClientHello(servername: string, alpn: string[]): Promise<Uint8Array> {
  const net = await import('node:net');
  const tls = await import('node:tls');
  return new Promise((resolve, reject) => {
    const srv = net.createServer((s) => {
      let buf = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
          s.destroy();
          srv.close();
          resolve(new Uint8Array(buf.subarray(0, 5 + buf.readUInt16BE(3))));
        }
      });
    });
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      const c = tls.connect({ port, host: '127.0.0.1', servername, ALPNProtocols: alpn, rejectUnauthorized: false });
      c.on('error', () => undefined);
    });
    srv.on('error', reject);
  });
}

test('where a condition runs, an ACL declaration whose fetch is not usable there never matches (negated: always true)', () => {
  const compile = (text: string, checkpoints: Checkpoint[] | undefined, aclLines: string[] = []) => {
    const c = parseCondition(words(text), 0);
    if ('error' in c) assert.fail(c.error);
    c.condition.checkpoints = checkpoints;
    const acls = new Map<string, AclDeclaration[]>();
    for (const l of aclLines) {
      const d = decl(l);
      acls.set(d.name, [...(acls.get(d.name) ?? []), d]);
    }
    return compileCondition(c.condition, acls);
  };
  const ctx = context({ url: '/api/x', method: 'GET' });
  const response: Checkpoint[] = ['frontend-http-response'];
  assert.equal(compile('if { path_beg /api }', undefined)(ctx), true);
  assert.equal(compile('if { path_beg /api }', ['frontend-http-request'])(ctx), true);
  assert.equal(compile('if { path_beg /api }', response)(ctx), false);
  assert.equal(compile('if !{ path_beg /api }', response)(ctx), true);
  assert.equal(compile('unless { path_beg /api }', response)(ctx), true);
  // method is kept for the response; a named ACL keeps the declarations usable there.
  assert.equal(compile('if { method GET }', response)(ctx), true);
  assert.equal(compile('if api', response, ['api path_beg /api', 'api method GET'])(ctx), true);
  assert.equal(compile('if api', response, ['api path_beg /api', 'api method POST'])(ctx), false);
  assert.equal(compile('if HTTP_URL_ABS', response)(context({ url: 'http://a/x' })), false);
  assert.equal(compile('if METH_GET', response)(ctx), true);
});
