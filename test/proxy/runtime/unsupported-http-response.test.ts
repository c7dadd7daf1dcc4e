/**
 * http-response actions the parser accepts (HAProxy has them) but the HTTP engine does not
 * run are refused with file:line before an engine is built, instead of failing its start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';
import { unsupportedFeatures } from '../../../proxy/runtime/unsupported.ts';
import { Engine } from '../../../proxy/engine.ts';

const TEXT = `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend web
    bind 127.0.0.1:1
    http-response set-header x-a b
    http-response del-header server
    http-response allow if { status 200 }
    http-response deny if { status 500 }
    http-response return status 503 content-type text/plain string down if { status 502 }
    http-response redirect location /x if { status 404 }
    http-response silent-drop if { status 403 }
    default_backend b
backend b
    server s1 127.0.0.1:2
`;

test('http-response silent-drop is refused with its line; deny, return, redirect, header rules and allow run', () => {
  const result = parseConfig([{ name: 't.cfg', text: TEXT }]);
  if (!result.ok) throw new Error(formatDiagnostics(result.diagnostics));
  assert.deepEqual(unsupportedFeatures(result.config).map((u) => `${u.line}: ${u.what}`), [
    "14: 'http-response silent-drop'",
  ]);
  // Building the engine refuses with the stable code, not an internal error from the rule compiler.
  assert.throws(() => new Engine(result.config), (e: Error & { code?: string }) => e.code === 'LS_ERR_ENG_UNSUPPORTED');
});
