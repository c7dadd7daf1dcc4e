/** Which tcp-request rules the engine runs, and the refusal of the others at load. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';
import { unsupportedFeatures } from '../../../proxy/runtime/unsupported.ts';

function refusals(text: string): string[] {
  const result = parseConfig([{ name: 't.cfg', text }]);
  if (!result.ok) throw new Error(formatDiagnostics(result.diagnostics));
  return unsupportedFeatures(result.config).map((u) => `${u.line}: ${u.what}`);
}

test('TCP-mode connection and content rules the engine runs are not refused', () => {
  assert.deepEqual(refusals(`defaults
    mode tcp
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend f
    bind 127.0.0.1:1
    tcp-request connection reject if { src 10.0.0.0/8 }
    tcp-request connection accept
    tcp-request inspect-delay 5s
    tcp-request content set-var(sess.sni) req.ssl_sni
    tcp-request content unset-var(sess.other)
    tcp-request content accept if { req.ssl_hello_type 1 }
    tcp-request content reject
    default_backend b
backend b
    tcp-request content reject if { req.len gt 100 }
    server s 127.0.0.1:2
`), []);
});

test('tcp-request rules the engine does not run are refused, naming the line', () => {
  assert.deepEqual(refusals(`defaults
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend tcp_in
    mode tcp
    bind 127.0.0.1:1
    tcp-request content silent-drop if { req.len gt 0 }
    tcp-request content set-var(sess.x,ifnotexists) src
    tcp-request session accept
    tcp-request content capture req.len len 10
    default_backend b
frontend web
    mode http
    bind 127.0.0.1:3
    tcp-request connection reject if { src 10.0.0.0/8 }
    tcp-request content reject if { src 10.0.0.0/8 }
    tcp-request session set-var(sess.y,ifexists) src
    default_backend h
backend b
    mode tcp
    server s 127.0.0.1:2
backend h
    mode http
    server s 127.0.0.1:4
`), [
    `8: 'tcp-request content silent-drop'`,
    // Session rules run (http/tcp-content.test.ts), and content rules in HTTP mode too, but not every action.
    `11: 'tcp-request content capture'`,
  ]);
});
