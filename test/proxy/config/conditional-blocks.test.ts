/**
 * `.if` / `.elif` / `.else` / `.endif` and the `.warning` / `.alert` messages (configuration.txt
 * §2.4) against haproxy 2.6.12 -c: which branches are taken (each branch prints a `.warning`),
 * the OpenSSL predicates, conditions in branches not taken (never evaluated), and the errors'
 * texts. Expected values are recorded from haproxy; the same texts then go through haproxy -c.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../proxy/config/index.ts';
import { haproxyCheck, requireHaproxy } from '../../helpers/haproxy.ts';

/** Loadstar's warnings and alerts as `line: message`. */
function loadstar(text: string): string[] {
  return parseConfig([{ name: 'c.cfg', text }]).diagnostics.map((d) => `${d.line}: ${d.message}`);
}

/** haproxy -c's warnings and alerts as `line: message`, without its summary lines. */
function haproxy(text: string): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-cond-'));
  try {
    fs.writeFileSync(path.join(dir, 'c.cfg'), text);
    const { output } = haproxyCheck('c.cfg', dir);
    return [...output.matchAll(/parsing \[c\.cfg:(\d+)\]: (.*)/g)].map((m) => `${m[1]}: ${m[2]}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `haproxyAlso`: what haproxy adds after it stops reading the file at the first line's error. */
const cases: { name: string; text: string; expected: string[]; haproxyAlso?: string[] }[] = [
  {
    name: 'branches taken, OpenSSL and version predicates; nothing evaluated in branches not taken',
    text: `.if openssl_version_atleast(1.1.1) && !openssl_version_before(1.0.2)
.warning A1
.endif
.if openssl_version_before(1.1.1)
.warning B1
.elif version_atleast(2.6) && version_before(2.7) && ssllib_name_startswith(OpenSSL)
.warning B2
.else
.warning B3
.endif
.if 0
.if nosuch(1)
.warning C1
.elif nosuch(2)
.else
.warning C2
.endif
.elif 1
.warning C3
.elif nosuch(3)
.endif
`,
    expected: [`2: 'A1'.`, `7: 'B2'.`, `19: 'C3'.`],
  },
  { name: 'a lone .endif', text: '.endif\n', expected: [`1: lone '.endif' with no matching '.if'.`] },
  { name: 'a lone .else', text: '.else\n', expected: [`1: lone '.else' with no matching '.if'.`] },
  { name: 'a lone .elif', text: '.elif 1\n', expected: [`1: lone '.elif' with no matching '.if'.`] },
  { name: '.else with an argument', text: '.if 1\n.else x\n.endif\n', expected: [`2: Unexpected argument 'x' for '.else'.`], haproxyAlso: [`2: non-terminated '.if' block.`] },
  { name: '.elif after .else', text: '.if 0\n.else\n.elif 1\n.endif\n', expected: [`3: '.elif' after '.else' is not permitted.`] },
  { name: 'a second .else', text: '.if 0\n.else\n.else\n.endif\n', expected: [`3: '.else' after '.else' is not permitted.`] },
  {
    name: 'messages need quotes around spaces',
    text: '.warning two words\n',
    expected: [`1: Unexpected argument 'words' for '.warning'. Use quotes if the message should contain spaces.`],
  },
  { name: 'an .alert stops the load', text: '.alert "x y"\n', expected: [`1: 'x y'.`] },
];

for (const c of cases) {
  test(`conditional blocks: ${c.name}`, (t) => {
    assert.deepEqual(loadstar(c.text), c.expected);
    if (requireHaproxy(t)) assert.deepEqual(haproxy(c.text), [...c.expected, ...(c.haproxyAlso ?? [])]);
  });
}

test('an unknown predicate is refused once, its .endif then matches', (t) => {
  const text = '.if nosuch(1)\n.endif\n';
  assert.deepEqual(loadstar(text), [`1: unparsable conditional expression 'nosuch(1)' in '.if'`]);
  // haproxy adds the position and a caret line, and stops reading the file there.
  if (requireHaproxy(t)) assert.match(haproxy(text).join('\n'), /^1: unparsable conditional expression 'nosuch\(1\)' in '\.if' at position 1:/);
});
