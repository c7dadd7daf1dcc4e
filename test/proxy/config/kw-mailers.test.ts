/**
 * `mailers` sections and `email-alert` lines: what HAProxy 2.6 refuses or warns about (its
 * messages, each case also run through `haproxy -c` where it is installed, which must then print
 * the same message), and how a proxy's lines combine with its defaults section's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../proxy/config/index.ts';
import { activeEmailAlert } from '../../../proxy/config/kw-mailers.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-kw-mailers-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

const site = (mailers: string, backend: string, defaults = ''): string => `mailers mta
${mailers}defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
${defaults}frontend web
    bind 127.0.0.1:8080
    default_backend app
backend app
${backend}    server s1 127.0.0.1:8081 check
`;
const ALERTS = '    email-alert mailers mta\n    email-alert from lb@home.lan\n    email-alert to me@home.lan\n';

interface Case {
  what: string;
  text: string;
  /** The diagnostic, as HAProxy words it (undefined: none); `warning`: not an error. */
  message?: string;
  warning?: boolean;
}

const CASES: Case[] = [
  { what: 'a whole set', text: site('    mailer smtp1 127.0.0.1:25\n    timeout mail 20s\n', `${ALERTS}    email-alert level notice\n    email-alert myhostname lb.home.lan\n`) },
  { what: 'a mailer without a port', text: site('    mailer smtp1 127.0.0.1\n', ALERTS), message: "'mailer smtp1' : missing port specification in '127.0.0.1'" },
  { what: 'a mailer without an address', text: site('    mailer smtp1\n', ''), message: "'mailer' expects <name> and <addr>[:<port>] as arguments." },
  { what: 'a bad timeout', text: site('    mailer smtp1 127.0.0.1:25\n    timeout mail 5x\n', ''), message: "unexpected character 'x' in 'timeout mail'" },
  { what: 'another timeout', text: site('    mailer smtp1 127.0.0.1:25\n    timeout connect 5s\n', ''), message: "'timeout' expects 'mail' and <time> as arguments got 'connect'." },
  { what: 'an unknown keyword', text: site('    mailer smtp1 127.0.0.1:25\n    bogus 1\n', ''), message: "unknown keyword 'bogus' in 'mailers' section" },
  { what: 'an unknown email-alert setting', text: site('    mailer smtp1 127.0.0.1:25\n', '    email-alert subject hi\n'), message: "email-alert: unknown argument 'subject'." },
  { what: 'an unknown level', text: site('    mailer smtp1 127.0.0.1:25\n', `${ALERTS}    email-alert level loud\n`), message: "unknown log level 'loud' after 'level'" },
  { what: 'email-alert alone', text: site('    mailer smtp1 127.0.0.1:25\n', '    email-alert\n'), message: "missing argument after 'email-alert'." },
  {
    what: 'an incomplete set (ignored with a warning)', text: site('    mailer smtp1 127.0.0.1:25\n', '    email-alert from lb@home.lan\n'), warning: true,
    message: "'email-alert' will be ignored for backend 'app' (the presence any of 'email-alert from', 'email-alert level' 'email-alert mailers', 'email-alert myhostname', or 'email-alert to' requires each of 'email-alert from', 'email-alert mailers' and 'email-alert to' to be present).",
  },
  { what: 'an unknown mailers section', text: site('    mailer smtp1 127.0.0.1:25\n', ALERTS.replace('mailers mta', 'mailers nope')), message: "Proxy 'app': unable to find mailers 'nope'." },
];

for (const c of CASES) {
  test(`mailers and email-alert: ${c.what}`, () => {
    const r = parseConfig([{ name: 'x.cfg', text: c.text }]);
    if (c.message === undefined) {
      assert.deepEqual(r.diagnostics.map((d) => d.message), []);
      assert.ok(r.ok);
      return;
    }
    assert.deepEqual(r.diagnostics.map((d) => [d.severity === 'warning', d.message]), [[c.warning ?? false, c.message]]);
    assert.equal(r.ok, c.warning ?? false);
  });
}

test('mailers and email-alert: haproxy -c accepts the same lines and prints the same messages', (t) => {
  if (!requireHaproxy(t)) return;
  for (const c of CASES) {
    const file = path.join(dir, 'check.cfg');
    fs.writeFileSync(file, c.text);
    const { status, output } = haproxyCheck(file, dir);
    assert.equal(status === 0, c.message === undefined || c.warning === true, `${c.what}:\n${output}`);
    // HAProxy swaps the two words of its unknown-level message ("unknown log level 'level' after 'loud'"); Loadstar does not copy that.
    if (c.message !== undefined && !c.message.startsWith('unknown log level')) {
      // Its timeout message names the argument another way: compare the part both say.
      const said = c.message.startsWith('unexpected character') ? "unexpected character 'x'" : c.message;
      assert.ok(output.includes(said), `${c.what}: haproxy said\n${output}`);
    }
  }
});

test("a proxy's email-alert lines replace its defaults section's one by one; level defaults to alert, timeout mail to 10 s", () => {
  const r = parseConfig([{ name: 'x.cfg', text: site('    mailer smtp1 127.0.0.1:25\n', '    email-alert to ops@home.lan\n', ALERTS) }]);
  assert.ok(r.ok, r.diagnostics.map((d) => d.message).join('\n'));
  const app = r.config.proxies.find((p) => p.name === 'app')!;
  const active = activeEmailAlert(r.config, app.emailAlert)!;
  assert.deepEqual([active.from, active.to, active.level, active.mailers.timeoutMail, active.mailers.mailers.map((m) => `${m.name} ${m.host}:${m.port}`)],
    ['lb@home.lan', 'ops@home.lan', 'alert', 10_000, ['smtp1 127.0.0.1:25']]);
});
