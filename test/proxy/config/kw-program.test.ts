/**
 * `program` sections and `master-worker`: what HAProxy 2.6 accepts and refuses, with its
 * messages, each case run through Loadstar's parser and `haproxy -c` (where installed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const config = (sections: string, global = '    master-worker\n'): string => `global
${global}${sections}defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend web
    bind 127.0.0.1:8080
`;
const program = (lines: string, name = 'api'): string => `program ${name}\n    command /bin/true\n${lines}`;

const CASES: ParseCase[] = [
  { text: config(program('')), valid: true },
  { text: config(program('    option start-on-reload\n    no option start-on-reload\n')), valid: true },
  { text: config(program('    command "/bin/sh" -c "exit 0" with\\ space\n')), valid: true },
  { text: config(program('') + program('', 'other')), valid: true },
  { text: config(program('', 'a.b:c-d_e$')), valid: true },
  { text: config(program(''), '    master-worker no-exit-on-failure\n'), valid: true },
  { text: config(program(''), '    log stdout local0\n'), valid: false, message: "Can't use a 'program' section without master worker mode." },
  { text: config('program\n    command /bin/true\n'), valid: false, message: "'program' expects an <id> argument" },
  { text: config('program api extra\n    command /bin/true\n'), valid: false, message: "'program' cannot handle unexpected argument 'extra'." },
  { text: config('program api\n'), valid: false, message: "The program section 'api' lacks a command to launch." },
  { text: config('program api\n    command\n'), valid: false, message: "'command' expects a command with optional arguments separated in words." },
  { text: config(program('') + program('')), valid: false, message: "'api' program section already exists in the configuration." },
  { text: config(program('    option\n')), valid: false, message: "'option' expects an option name." },
  { text: config(program('    option restart\n')), valid: false, message: "unknown option 'restart'." },
  { text: config(program('    option start-on-reload now\n')), valid: false, message: "'option start-on-reload' cannot handle unexpected argument 'now'." },
  { text: config(program('    no option start-on-reload now\n')), valid: false, message: "'option start-on-reload' cannot handle unexpected argument 'now'." },
  // HAProxy 2.6 reads the words after `default` one off: the option's name becomes its argument.
  { text: config(program('    default option start-on-reload\n')), valid: false, message: "'option start-on-reload' cannot handle unexpected argument 'start-on-reload'." },
  { text: config(program('    default option\n')), valid: false, message: "unknown option 'option'." },
  { text: config(program('    no command /bin/false\n')), valid: false, message: 'negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping.' },
  { text: config(program('    no bogus\n')), valid: false, message: "unknown keyword 'bogus' in 'program' section" },
  { text: config(program('    user\n')), valid: false, message: "'user' expects a user name." },
  { text: config(program('    group\n')), valid: false, message: "'group' expects a group name." },
  { text: config(program('    user root extra\n')), valid: false, message: "'user' cannot handle unexpected argument 'extra'." },
  { text: config(program('    user no-such-user-here\n')), valid: false, message: "cannot find user id for 'no-such-user-here' (0:Success)" },
  { text: config(program('    group no-such-group-here\n')), valid: false, message: "cannot find group id for 'no-such-group-here' (0:Success)" },
  { text: config(program('    user root\n    group root\n')), valid: true },
  { text: config(program('    bogus 1\n')), valid: false, message: "unknown keyword 'bogus' in 'program' section" },
];

test('program sections: Loadstar accepts and refuses what HAProxy 2.6 does, with its messages', () => {
  assertLoadstarParses(CASES);
});

test('program sections: haproxy -c agrees', (t) => {
  assertHaproxyParses(t, CASES);
});

test('program sections: the model holds the command, ids and start-on-reload of each', () => {
  const r = parseConfig([{ name: 'p.cfg', text: config(program('    user root\n    group root\n    no option start-on-reload\n') + 'program web\n    command /usr/bin/env "A B" c\\ d\n') }]);
  assert.deepEqual(r.diagnostics.filter((d) => d.severity !== 'warning'), []);
  const [api, web] = r.config.programs;
  assert.deepEqual({ ...api, section: undefined }, { name: 'api', section: undefined, command: ['/bin/true'], uid: 0, gid: 0, startOnReload: false });
  assert.deepEqual(web?.command, ['/usr/bin/env', 'A B', 'c d']);
  assert.equal(web?.startOnReload, true);
  assert.deepEqual(r.config.global.masterWorker, { exitOnFailure: true });
});

// HAProxy prints this one as an alert but still calls the file valid: Loadstar warns, and keeps the first.
test('program sections: a second user line is reported and the first kept; haproxy -c still calls the file valid', (t) => {
  const text = config(program('    user root\n    user nobody\n'));
  const r = parseConfig([{ name: 'p.cfg', text }]);
  assert.deepEqual(r.diagnostics.map((d) => [d.severity, d.message]), [['warning', 'user/uid already specified. Continuing.']]);
  assert.equal(r.config.programs[0]?.uid, 0);
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-kw-program-'));
  try {
    fs.writeFileSync(path.join(dir, 'p.cfg'), text);
    const out = haproxyCheck(path.join(dir, 'p.cfg'), dir).output;
    assert.match(out, /user\/uid already specified\. Continuing\./);
    assert.match(out, /Configuration file is valid/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
