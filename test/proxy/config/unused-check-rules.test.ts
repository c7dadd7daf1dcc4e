/**
 * Check rules written while the proxy's health check is another kind (kw-checks.ts keptAside):
 * HAProxy 2.6 keeps such an http-check or tcp-check ruleset unused, checks the http-check order only
 * in a ruleset in force (after `option httpchk`), and warns at the end "uses http-check rules without
 * 'option httpchk', so the rules are ignored" unless a check option came after them. Each case's
 * warnings and refusals, from Loadstar and, where installed, from `haproxy -c`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheckText } from '../../helpers/haproxy.ts';

const HTTP_UNUSED = "backend 'b' uses http-check rules without 'option httpchk', so the rules are ignored";
const TCP_UNUSED = "backend 'b' uses tcp-check rules without 'option tcp-check', so the rules are ignored";
const SEND_AFTER_EXPECT = "'http-check send' : unable to add http-check send rule at step 2 (missing connect rule)";

const CASES: Array<{ lines: string[]; defaults?: string[]; expected: string[]; refused?: boolean }> = [
  { lines: ['http-check send meth HEAD', 'http-check expect status 200'], expected: [HTTP_UNUSED] },
  // Out of order, but not in force: not refused (it was).
  { lines: ['http-check expect status 200', 'http-check send meth HEAD'], expected: [HTTP_UNUSED] },
  { lines: ['option httpchk', 'http-check expect status 200', 'http-check send meth HEAD'], expected: [SEND_AFTER_EXPECT], refused: true },
  // A check option after the rules takes them in: no warning.
  { lines: ['http-check send meth HEAD uri /health', 'option httpchk'], expected: [] },
  { lines: ['http-check comment x', 'option tcp-check'], expected: [] },
  { lines: ['tcp-check connect'], expected: [TCP_UNUSED] },
  { lines: ['option httpchk', 'tcp-check connect'], expected: [TCP_UNUSED] },
  { lines: ['option redis-check', 'http-check expect status 200'], expected: [HTTP_UNUSED] },
  // The defaults section's choice is in force at the backend's first line.
  { defaults: ['option httpchk'], lines: ['http-check expect status 200', 'http-check send meth HEAD'], expected: [SEND_AFTER_EXPECT], refused: true },
  { defaults: ['option httpchk'], lines: ['http-check send meth HEAD', 'http-check expect status 200'], expected: [] },
  { defaults: ['option tcp-check'], lines: ['tcp-check connect'], expected: [] },
];

const text = (c: (typeof CASES)[number]): string => `defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
${(c.defaults ?? []).map((l) => `    ${l}\n`).join('')}frontend f
    bind 127.0.0.1:9110
    default_backend b
backend b
${c.lines.map((l) => `    ${l}\n`).join('')}    server s1 127.0.0.1:9109 check
`;

const relevant = (messages: string[]): string[] => messages.filter((m) => /rules without|unable to add http-check/.test(m)).map((m) => m.replace(/\.+$/, '')).sort();

for (const c of CASES) {
  test(`${c.defaults ? `defaults ${c.defaults.join(', ')}; ` : ''}${c.lines.join(', ')}: ${c.expected.length ? c.expected.join('; ') : 'nothing said'}, as haproxy -c says`, (t) => {
    const r = parseConfig([{ name: 'x.cfg', text: text(c) }]);
    assert.equal(r.ok, !c.refused, r.diagnostics.map((d) => d.message).join('\n'));
    if (!c.refused) assert.deepEqual(relevant(r.diagnostics.map((d) => d.message)), [...c.expected].sort());
    else assert.deepEqual(relevant(r.diagnostics.filter((d) => d.severity !== 'warning').map((d) => d.message)), [...c.expected].sort());
    if (!requireHaproxy(t)) return;
    const out = haproxyCheckText(text(c));
    assert.equal(out.status === 0, !c.refused, out.output);
    const said = out.output.split('\n').map((l) => l.replace(/^.*: config : (parsing \[[^\]]*\] : )?/, ''));
    assert.deepEqual(relevant(said), [...c.expected].sort(), out.output);
  });
}

test("the last check option wins, over the defaults section's too (HAProxy's PR_O2_CHK_ANY): the check run is that one's", async () => {
  const { checkSettings } = await import('../../../proxy/checks/settings.ts');
  const kindOf = (defaults: string[], lines: string[]): string => {
    const r = parseConfig([{ name: 'x.cfg', text: `defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n${defaults.map((l) => `    ${l}\n`).join('')}backend b\n${lines.map((l) => `    ${l}\n`).join('')}    server s1 127.0.0.1:9109 check\n` }]);
    assert.ok(r.ok, r.diagnostics.map((d) => d.message).join('\n'));
    const proxy = r.config.proxies.find((p) => p.name === 'b')!;
    return checkSettings(proxy as Parameters<typeof checkSettings>[0], proxy.servers[0]! as Parameters<typeof checkSettings>[1]).kind;
  };
  assert.equal(kindOf([], ['option httpchk', 'option tcp-check', 'tcp-check connect']), 'tcp-check');
  assert.equal(kindOf([], ['option tcp-check', 'tcp-check connect', 'option httpchk']), 'http');
  assert.equal(kindOf(['option httpchk'], ['option tcp-check', 'tcp-check connect']), 'tcp-check');
  assert.equal(kindOf(['option tcp-check', 'tcp-check connect'], ['option httpchk']), 'http');
  assert.equal(kindOf(['option httpchk'], []), 'http');
  assert.equal(kindOf(['option httpchk'], ['option redis-check']), 'tcp-check');
});

test("a frontend's default-server is refused, its use-server looks for a server it has none of, its check rules are warned about, as haproxy -c says", (t) => {
  const cases: Array<[line: string, refused: boolean, said: RegExp]> = [
    ['default-server inter 2s', true, /'default-server' not allowed because frontend 'f' has no backend capability\./],
    ['use-server s1 if TRUE', true, /frontend 'f' : unable to find server 's1' referenced in a 'use-server' rule\./],
    ['http-check expect status 200', false, /frontend 'f' uses http-check rules without 'option httpchk', so the rules are ignored\./],
    ['tcp-check connect', false, /frontend 'f' uses tcp-check rules without 'option tcp-check', so the rules are ignored\./],
  ];
  const textOf = (line: string) => `defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\nfrontend f\n    bind 127.0.0.1:9111\n    ${line}\n    default_backend b\nbackend b\n    server s1 127.0.0.1:9109\n`;
  for (const [line, refused, said] of cases) {
    const r = parseConfig([{ name: 'x.cfg', text: textOf(line) }]);
    assert.equal(r.ok, !refused, line);
    assert.ok(r.diagnostics.some((d) => said.test(d.message)), `${line}: ${r.diagnostics.map((d) => d.message).join(' | ')}`);
  }
  if (!requireHaproxy(t)) return;
  for (const [line, refused, said] of cases) {
    const out = haproxyCheckText(textOf(line));
    assert.equal(out.status === 0, !refused, out.output);
    assert.match(out.output, said);
  }
});
