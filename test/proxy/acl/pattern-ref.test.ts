/**
 * Pattern references (pattern.c pat_ref_*): the entries of a map or pattern file as the map
 * converters and -f ACLs read them, changed in memory, and shared by name within one load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PatternRefs, withPatternRefs } from '../../../proxy/acl/pattern-ref.ts';
import { compileSample, compileAcl, parseSampleExpression, parseAclDeclaration } from '../../../proxy/acl/index.ts';
import type { SampleContext } from '../../../proxy/acl/index.ts';
import { mkStr } from '../../../proxy/acl/eval-sample.ts';

const files: Record<string, string> = {
  '/m/x.map': 'a 1\nb 2\na 3\n',
  '/m/beg.map': '/api api\n/ static\n',
  '/m/ips.lst': '10.0.0.0/8\n',
  '/m/re.map': '^/u/(.*) user-\\1\n',
};
const read = (p: string): string => {
  const text = files[p];
  if (text === undefined) throw new Error('no such file');
  return text;
};

/** A map converter applied to a string, compiled inside `refs`' load. */
function mapper(refs: PatternRefs, conv: string): (input: string) => string | undefined {
  const parsed = parseSampleExpression(`var(txn.in),${conv}`);
  if ('error' in parsed) throw new Error(parsed.error);
  const fn = withPatternRefs(refs, () => compileSample(parsed.expr, { readFile: read }));
  return (input) => {
    const ctx = { vars: { get: () => mkStr(input) } } as unknown as SampleContext;
    const r = fn(ctx);
    return r === undefined ? undefined : String(r.value);
  };
}

test('the converters of one load naming the same file share its entries; set changes every entry of the key, delete removes them all', () => {
  const refs = new PatternRefs();
  const exact = mapper(refs, 'map(/m/x.map,none)');
  const sub = mapper(refs, 'map_sub(/m/x.map,none)');
  assert.equal(refs.all().length, 1);
  const ref = refs.lookup('/m/x.map')!;
  assert.deepEqual([exact('a'), sub('xax'), exact('b')], ['1', '1', '2']);
  assert.equal(ref.set('a', '7'), undefined);
  assert.deepEqual(ref.entries.map((e) => `${e.key}=${e.value}`), ['a=7', 'b=2', 'a=7']);
  assert.deepEqual([exact('a'), sub('xax')], ['7', '7']);
  assert.equal(ref.set('zz', '1'), 'entry not found');
  assert.equal(ref.add('c', '9'), undefined);
  assert.deepEqual([exact('c'), sub('xcx')], ['9', '9']);
  assert.equal(ref.delete('a'), true);
  assert.equal(ref.delete('a'), false);
  assert.deepEqual([exact('a'), sub('xax'), exact('b')], ['none', 'none', '2']);
  ref.clear();
  assert.deepEqual([exact('b'), sub('b')], ['none', 'none']);
});

test('a load of its own reads the file again; outside of a load each use has a private copy', () => {
  const first = new PatternRefs();
  const one = mapper(first, 'map(/m/x.map,none)');
  first.lookup('/m/x.map')!.add('n', 'new');
  assert.equal(one('n'), 'new');
  const second = new PatternRefs();
  const two = mapper(second, 'map(/m/x.map,none)');
  assert.equal(two('n'), 'none');
  assert.equal(one('n'), 'new');
});

test('map_beg keeps the longest prefix after entries come and go', () => {
  const refs = new PatternRefs();
  const beg = mapper(refs, 'map_beg(/m/beg.map,none)');
  assert.equal(beg('/api/x'), 'api');
  const ref = refs.lookup('/m/beg.map')!;
  ref.add('/api/v2', 'v2');
  assert.deepEqual([beg('/api/v2/x'), beg('/api/x'), beg('/x')], ['v2', 'api', 'static']);
  ref.delete('/api');
  assert.equal(beg('/api/x'), 'static');
});

test('an entry a reader cannot parse is refused as a whole, and an int map refuses a value that is no integer', () => {
  const refs = new PatternRefs();
  const ipAcl = parseAclDeclaration(['blocked', 'src', '-f', '/m/ips.lst']);
  if ('error' in ipAcl) throw new Error(ipAcl.error);
  withPatternRefs(refs, () => compileAcl([ipAcl], { readFile: read }));
  const ref = refs.lookup('/m/ips.lst')!;
  assert.match(ref.add('not-an-ip', undefined) ?? '', /not a valid IPv4 or IPv6 address/);
  assert.equal(ref.entries.length, 1);
  assert.equal(ref.add('192.0.2.0/24', undefined), undefined);
  assert.equal(ref.entries.length, 2);

  const toInt = mapper(refs, 'map_str_int(/m/x.map,0)');
  const xref = refs.lookup('/m/x.map')!;
  assert.equal(xref.set('a', 'abc'), "unable to parse 'abc'");
  assert.equal(xref.add('q', 'abc'), "unable to parse 'abc'");
  assert.equal(xref.set('a', '42'), undefined);
  assert.equal(toInt('a'), '42');
});

test('a file read both as one column and as a map is refused with HAProxy\'s message', () => {
  const refs = new PatternRefs();
  mapper(refs, 'map(/m/x.map)');
  const acl = parseAclDeclaration(['x', 'path', '-f', '/m/x.map']);
  if ('error' in acl) throw new Error(acl.error);
  assert.throws(() => withPatternRefs(refs, () => compileAcl([acl], { readFile: read })),
    /The file "\/m\/x.map" is already used as two column file and cannot be used by as one column file./);
});

test('map_regm uses the replacement set-map gave the entry since', () => {
  const refs = new PatternRefs();
  const regm = mapper(refs, 'map_regm(/m/re.map,none)');
  assert.equal(regm('/u/bob'), 'user-bob');
  assert.equal(refs.lookup('/m/re.map')!.set('^/u/(.*)', 'member-\\1'), undefined);
  assert.equal(regm('/u/bob'), 'member-bob');
});
