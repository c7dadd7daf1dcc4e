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
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

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
