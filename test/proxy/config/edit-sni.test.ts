/**
 * TLS passthrough routed by the server name (SNI), built by the forms: a TCP frontend's `sni-is`
 * rules become `acl NAME req.ssl_sni -i …` with HAProxy's documented wait for the client's hello
 * (`tcp-request inspect-delay` + `tcp-request content accept if { req.ssl_hello_type 1 }`), which
 * the forms read back; a wait written by hand stays as written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyEdits } from '../../../proxy/config/edit.ts';
import type { ConfigEdit, FrontendSpec } from '../../../proxy/config/edit.ts';
import { formModel } from '../../../proxy/config/form-model.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

const parseOptions = { fileExists: () => true, readFile: () => '' };

const base = `# the lab
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s

backend git_tls
    server git1 127.0.0.1:9443

backend vault_tls
    server vault1 127.0.0.1:8200
`;

const passthrough: FrontendSpec = {
  name: 'tls_pass', mode: 'tcp', binds: [{ address: '127.0.0.1', port: 8443 }], defaultBackend: 'vault_tls',
  rules: [{ backend: 'git_tls', match: { kind: 'sni-is', values: ['git.home.arpa', 'gitea.home.arpa'] } }],
};

function edit(text: string, edits: ConfigEdit[]): string {
  const r = applyEdits(text, edits, parseOptions);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.text;
}

test('a TCP frontend routed by the TLS server name gets the ACL on req.ssl_sni and the wait for the hello, and haproxy -c accepts it', (t) => {
  const text = edit(base, [{ op: 'set-frontend', frontend: passthrough }]);
  assert.match(text, /\nfrontend tls_pass\n    mode tcp\n    bind 127\.0\.0\.1:8443\n    tcp-request inspect-delay 5s\n    tcp-request content accept if \{ req\.ssl_hello_type 1 \}\n    acl is_git_tls req\.ssl_sni -i git\.home\.arpa gitea\.home\.arpa\n    use_backend git_tls if is_git_tls\n    default_backend vault_tls\n/);
  const parsed = parseConfig([{ name: 'haproxy.cfg', text }], parseOptions);
  assert.ok(parsed.ok, parsed.diagnostics.map((d) => d.message).join('\n'));
  // Read back: the rule is the form's, and nothing is "kept as written".
  const form = formModel(parsed.config).frontends.find((f) => f.name === 'tls_pass')!;
  assert.deepEqual(form.rules, [{ backend: 'git_tls', match: { kind: 'sni-is', values: ['git.home.arpa', 'gitea.home.arpa'] }, aclName: 'is_git_tls' }]);
  assert.equal(form.unknownDirectives, 0);
  // Saved again unchanged: the same text.
  assert.equal(edit(text, [{ op: 'set-frontend', frontend: { ...passthrough, rules: form.rules } }]), text);
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-edit-sni-'));
  try {
    fs.writeFileSync(path.join(dir, 'haproxy.cfg'), text);
    const r = haproxyCheck(path.join(dir, 'haproxy.cfg'), dir);
    assert.equal(r.status, 0, r.output);
    assert.deepEqual(r.output.split('\n').filter((l) => l.includes('[WARNING]')), [], r.output);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a hand-written wait (its own delay, HAProxy's older fetch names) stays as written when the form edits the frontend", () => {
  const hand = `${base}
frontend tls_pass
    mode tcp
    bind 127.0.0.1:8443
    # wait for the hello
    tcp-request inspect-delay 10s
    tcp-request content accept if { req_ssl_hello_type 1 }
    acl is_git req_ssl_sni -i git.home.arpa
    use_backend git_tls if is_git
    default_backend vault_tls
`;
  const parsed = parseConfig([{ name: 'haproxy.cfg', text: hand }], parseOptions);
  const form = formModel(parsed.config).frontends.find((f) => f.name === 'tls_pass')!;
  assert.deepEqual(form.rules, [{ backend: 'git_tls', match: { kind: 'sni-is', values: ['git.home.arpa'] }, aclName: 'is_git' }]);
  assert.equal(form.unknownDirectives, 0);
  const text = edit(hand, [{ op: 'set-frontend', frontend: { ...passthrough, rules: [...form.rules, { backend: 'vault_tls', match: { kind: 'sni-is', values: ['vault.home.arpa'] } }] } }]);
  assert.equal(text, hand.replace('    use_backend git_tls if is_git\n', '    acl is_vault_tls req.ssl_sni -i vault.home.arpa\n    use_backend git_tls if is_git\n    use_backend vault_tls if is_vault_tls\n')
    .replace('    acl is_git req_ssl_sni -i git.home.arpa\n    acl is_vault_tls', '    acl is_git req_ssl_sni -i git.home.arpa\n    acl is_vault_tls'));
});

test('the server name is refused for an HTTP site, host rules for a TCP service, and a name with a space or a wildcard', () => {
  const problems = (spec: FrontendSpec): string[] => {
    const r = applyEdits(base, [{ op: 'set-frontend', frontend: spec }], parseOptions);
    return r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`);
  };
  assert.match(problems({ ...passthrough, mode: 'http' }).join('\n'), /frontend\.rules\[0\]\.match\.kind: routing by the TLS server name \(SNI\) is for a TCP service/);
  assert.match(problems({ ...passthrough, rules: [{ backend: 'git_tls', match: { kind: 'host-is', values: ['git.home.arpa'] } }] }).join('\n'), /a TCP service can only route by the TLS server name \(SNI\) or the source address/);
  assert.match(problems({ ...passthrough, rules: [{ backend: 'git_tls', match: { kind: 'sni-is', values: ['*.home.arpa'] } }] }).join('\n'), /frontend\.rules\[0\]\.match\.values: host names/);
});
