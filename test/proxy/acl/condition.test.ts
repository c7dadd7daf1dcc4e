import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCondition } from '../../../proxy/acl/index.ts';
import type { Condition, ConditionTerm } from '../../../proxy/acl/index.ts';

const words = (line: string): string[] => line.split(' ').filter((w) => w !== '');

function ok(line: string, from = 0): Extract<ReturnType<typeof parseCondition>, { condition: Condition }> {
  const r = parseCondition(words(line), from);
  if ('error' in r) assert.fail(`unexpected error for '${line}': ${r.error}`);
  return r;
}

function err(line: string, strict = true): { error: string; wordIndex?: number } {
  const r = parseCondition(words(line), 0, { strict });
  if (!('error' in r)) assert.fail(`expected an error for '${line}'`);
  return r;
}

/** Compact rendering: OR of ANDs, '!' for negation, {criterion} for anonymous ACLs. */
function show(c: Condition): string {
  const term = (t: ConditionTerm): string => (t.negate ? '!' : '') + (t.kind === 'acl' ? t.name : `{${t.acl.criterion}}`);
  return c.terms.map((s) => s.terms.map(term).join(' ')).join(' | ');
}

test('a single named ACL with if', () => {
  const r = ok('if is_api');
  assert.equal(r.condition.polarity, 'if');
  assert.equal(show(r.condition), 'is_api');
  assert.deepEqual(r.references, ['is_api']);
  assert.deepEqual(r.referencedAcls, [{ name: 'is_api', predefined: false, wordIndex: 1 }]);
  assert.equal(r.endIndex, 2);
});

test('the condition may start anywhere in the words', () => {
  const r = ok('use_backend api if is_api', 2);
  assert.equal(show(r.condition), 'is_api');
  assert.equal(r.referencedAcls[0]!.wordIndex, 3);
});

test('the seed redirect uses a negated anonymous ACL', () => {
  const r = ok('if !{ ssl_fc }');
  const term = r.condition.terms[0]!.terms[0]!;
  assert.equal(term.kind, 'anon');
  assert.equal(term.negate, true);
  if (term.kind === 'anon') {
    assert.equal(term.acl.name, '');
    assert.equal(term.acl.sample.fetch.name, 'ssl_fc');
    assert.equal(term.acl.match, 'bool');
  }
  assert.deepEqual(r.references, []);
  assert.equal(show(ok('if ! { ssl_fc }').condition), '!{ssl_fc}');
});

test('an anonymous rate-limit ACL with an operator', () => {
  const r = ok('if { sc_http_req_rate(0) gt 20 }');
  const term = r.condition.terms[0]!.terms[0]!;
  assert.equal(term.kind, 'anon');
  if (term.kind === 'anon') assert.deepEqual(term.acl.patterns, [{ kind: 'int', min: 21 }]);
});

test('AND binds tighter than OR, with both OR spellings', () => {
  const r = ok('if HTTP_URL_STAR !METH_OPTIONS || METH_POST missing_cl');
  assert.equal(show(r.condition), 'HTTP_URL_STAR !METH_OPTIONS | METH_POST missing_cl');
  assert.equal(show(ok('unless METH_GET or METH_POST OR METH_OPTIONS').condition), 'METH_GET | METH_POST | METH_OPTIONS');
  assert.equal(ok('unless METH_GET').condition.polarity, 'unless');
  assert.equal(show(ok('if host_static or host_www url_static').condition), 'host_static | host_www url_static');
});

test('anonymous ACLs combine with OR', () => {
  const r = ok('if { nbsrv(dynamic) lt 2 } || { nbsrv(static) lt 2 }');
  assert.equal(show(r.condition), '{nbsrv(dynamic)} | {nbsrv(static)}');
});

test('exclamation marks toggle and may stand alone', () => {
  assert.equal(show(ok('if !!TRUE').condition), 'TRUE');
  assert.equal(show(ok('if ! TRUE').condition), '!TRUE');
  assert.equal(show(ok('if ! ! ! TRUE').condition), '!TRUE');
});

test('predefined ACL names are flagged, distinct names listed once', () => {
  const r = ok('if METH_GET x || METH_GET !x');
  assert.deepEqual(r.references, ['METH_GET', 'x']);
  assert.deepEqual(r.referencedAcls.map((a) => a.predefined), [true, false]);
});

test('conditions must start with if or unless', () => {
  assert.equal(err('when x').error, "conditions must start with either 'if' or 'unless'");
});

test('missing condition, dangling operators and lone negations are errors', () => {
  assert.deepEqual(err('if'), { error: "missing condition after 'if'", wordIndex: 0 });
  assert.equal(err('unless').error, "missing condition after 'unless'");
  assert.deepEqual(err('if TRUE ||'), { error: "missing ACL after '||' in condition", wordIndex: 2 });
  assert.deepEqual(err('if || TRUE'), { error: "missing ACL before '||' in condition", wordIndex: 1 });
  assert.equal(err('if TRUE or or FALSE').error, "missing ACL before 'or' in condition");
  assert.deepEqual(err('if TRUE !'), { error: "missing ACL after '!' in condition", wordIndex: 2 });
  assert.equal(err('if ! || TRUE').error, "missing ACL after '!' in condition");
});

test('HAProxy tolerates the degenerate forms; non-strict mode reports them as warnings', () => {
  const r = parseCondition(words('if TRUE || !'), 0, { strict: false });
  assert.ok(!('error' in r));
  if (!('error' in r)) {
    assert.equal(show(r.condition), 'TRUE');
    assert.equal(r.warnings.length, 2);
  }
  const empty = parseCondition(['if'], 0, { strict: false });
  assert.ok(!('error' in empty) && empty.condition.terms.length === 0);
});

test('unbalanced and malformed braces are errors', () => {
  assert.deepEqual(err('if { ssl_fc'), { error: "missing closing '}' in condition", wordIndex: 1 });
  assert.equal(err('if TRUE }').error, "no such ACL : '}' (unbalanced '}' in condition)");
  assert.equal(err('if { ssl_fc } }').error, "no such ACL : '}' (unbalanced '}' in condition)");
  assert.equal(err('if {ssl_fc}').error, "no such ACL : '{ssl_fc}'; the braces of an anonymous ACL must be separate words: '{ ssl_fc }'");
  assert.equal(err('if {}').error, "no such ACL : '{}'");
});

test('an empty or nested anonymous ACL reports a missing fetch method', () => {
  assert.equal(err('if { }').error, "missing fetch method in ACL expression ''");
  assert.deepEqual(err('if { { ssl_fc } }'), { error: "missing fetch method in ACL expression '{'", wordIndex: 2 });
});

test('errors inside an anonymous ACL point at the offending word', () => {
  assert.deepEqual(err('if TRUE { src 1.2.3.400 }'), { error: "'1.2.3.400' is not a valid IPv4 or IPv6 address", wordIndex: 4 });
  assert.equal(err('if { hdr_bgn(host) www }').error, "unknown fetch method 'hdr_bgn' in ACL expression 'hdr_bgn(host)'; did you mean 'hdr_beg'?");
});

test('anonymous ACL warnings are passed on', () => {
  const r = ok('if { path }');
  assert.match(r.warnings[0]!, /no pattern to match against/);
});
