/**
 * HTTP-only options in a TCP proxy (validate.ts checkModeSpecific): HAProxy 2.6 warns "'option X'
 * ignored for <proxy> as it requires HTTP mode" for each option of its two option tables marked
 * HTTP-only, on the sides (frontend, backend) the option applies to, whether the line is the
 * proxy's own or comes from its defaults section (none for h1-case-adjust-bogus-*). The same
 * warnings as `haproxy -c`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck, haproxyCheckText } from '../../helpers/haproxy.ts';

// accept-invalid-http-request/-response are refused by Loadstar (not supported), so not here.
const OPTIONS = ['forwardfor', 'http-buffer-request', 'http-ignore-probes', 'idle-close-on-response', 'prefer-last-server', 'http-pretend-keepalive', 'http-no-delay', 'http-use-proxy-header',
  'h1-case-adjust-bogus-client', 'h1-case-adjust-bogus-server', 'disable-h2-upgrade'];

const text = `defaults
    mode http
${OPTIONS.map((o) => `    option ${o}\n`).join('')}    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend tcpfe
    mode tcp
    bind 127.0.0.1:9443
    default_backend tcpbe
backend tcpbe
    mode tcp
    server t1 127.0.0.1:9101
listen both
    mode tcp
    bind 127.0.0.1:9444
    option http-no-delay
    server t2 127.0.0.1:9102
`;

const requiresHttp = (messages: string[]): string[] => messages.filter((m) => m.includes('as it requires HTTP mode')).map((m) => m.replace(/\.$/, '')).sort();

const EXPECTED = requiresHttp([
  ...['forwardfor', 'http-buffer-request', 'http-ignore-probes', 'idle-close-on-response', 'http-no-delay', 'http-use-proxy-header', 'disable-h2-upgrade'].map((o) => `'option ${o}' ignored for frontend 'tcpfe' as it requires HTTP mode`),
  ...['forwardfor', 'http-buffer-request', 'prefer-last-server', 'http-pretend-keepalive', 'http-no-delay']
    .map((o) => `'option ${o}' ignored for backend 'tcpbe' as it requires HTTP mode`),
  ...OPTIONS.filter((o) => !o.startsWith('h1-case-adjust')).map((o) => `'option ${o}' ignored for proxy 'both' as it requires HTTP mode`),
]);

test('HTTP-only options in TCP proxies: one warning per option and side it applies to, as HAProxy 2.6 gives them', (t) => {
  const r = parseConfig([{ name: 'x.cfg', text }]);
  assert.ok(r.ok);
  assert.deepEqual(requiresHttp(r.diagnostics.map((d) => d.message)), EXPECTED);
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-http-only-options-'));
  try {
    fs.writeFileSync(path.join(dir, 'x.cfg'), text);
    const out = haproxyCheck(path.join(dir, 'x.cfg'), dir).output;
    assert.deepEqual(requiresHttp(out.split('\n').map((l) => l.replace(/^.*: config : /, ''))), EXPECTED, out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** What proxy_cfg_ensure_no_http and the server loop of check_config_validity say of a TCP proxy's HTTP-only settings. */
const IGNORED_TEXT = `defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend f
    bind 127.0.0.1:9445
    monitor-uri /alive
    stats hide-version
    capture cookie SID len 10
    default_backend b
backend b
    balance url_param id
    cookie SRV insert
    server s1 127.0.0.1:9103 cookie a
    server s2 127.0.0.1:9104
listen l
    bind 127.0.0.1:9446
    balance hdr(host)
    server s1 127.0.0.1:9105
backend keeps
    balance rdp-cookie
    server s1 127.0.0.1:9106
listen upgraded
    bind 127.0.0.1:9447
    balance uri
    tcp-request content switch-mode http
    server s1 127.0.0.1:9107
`;

const ignoredWords = (messages: string[]): string[] => messages
  .filter((m) => /will be ignored for|Layer 7 hash|ignoring cookie|'(stats|capture)' statement ignored/.test(m)).map((m) => m.replace(/\.$/, '')).sort();

test("a TCP proxy's cookie, monitor-uri and layer-7 hash are warned about and ignored, as haproxy -c says, not refused", (t) => {
  const r = parseConfig([{ name: 'x.cfg', text: IGNORED_TEXT }]);
  assert.ok(r.ok, r.diagnostics.map((d) => d.message).join('\n'));
  const expected = [
    "monitor-uri will be ignored for frontend 'f' (needs 'mode http')",
    "'stats' statement ignored for frontend 'f' as it requires HTTP mode",
    "'capture' statement ignored for frontend 'f' as it requires HTTP mode",
    "cookie will be ignored for backend 'b' (needs 'mode http')",
    "Layer 7 hash not possible for backend 'b' (needs 'mode http'). Falling back to round robin",
    "backend 'b' : ignoring cookie for server 's1' as HTTP mode is disabled",
    "Layer 7 hash not possible for proxy 'l' (needs 'mode http'). Falling back to round robin",
    "Layer 7 hash not possible for proxy 'upgraded' (needs 'mode http'). Falling back to round robin",
  ].sort();
  assert.deepEqual(ignoredWords(r.diagnostics.map((d) => d.message)), expected);
  assert.ok(r.diagnostics.every((d) => d.severity === 'warning'));
  if (!requireHaproxy(t)) return;
  const out = haproxyCheckText(IGNORED_TEXT);
  assert.equal(out.status, 0, out.output);
  assert.deepEqual(ignoredWords(out.output.split('\n').map((l) => l.replace(/^.*: config : /, ''))), expected, out.output);
});

test("a server's redir prefix in a TCP proxy is refused, as haproxy -c refuses it", (t) => {
  const text = 'defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\nbackend b\n    server s1 127.0.0.1:9108 redir http://www.example.com\n';
  const r = parseConfig([{ name: 'x.cfg', text }]);
  assert.ok(!r.ok);
  assert.deepEqual(r.diagnostics.filter((d) => d.severity !== 'warning').map((d) => [d.message, d.line]), [["backend 'b' : server cannot have cookie or redirect prefix in non-HTTP mode.", 7]]);
  if (!requireHaproxy(t)) return;
  const out = haproxyCheckText(text);
  assert.notEqual(out.status, 0);
  assert.match(out.output, /backend 'b' : server cannot have cookie or redirect prefix in non-HTTP mode\./);
});
