/**
 * Electron's security checklist, asserted on the one module every window
 * and every app:// response takes its settings from, plus a source check
 * that no BrowserWindow in main/ is created with other webPreferences.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  APP_RESPONSE_HEADERS, APP_SCHEME_PRIVILEGES, CONTENT_SECURITY_POLICY, isAllowedNavigation, isTrustedSender, permissionDecision,
  secureWebPreferences, windowOpenDecision,
} from '../../main/security.ts';

const MAIN = fileURLToPath(new URL('../../main/', import.meta.url));

function cspDirectives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
}

test('every window runs with context isolation, the sandbox, no Node integration and web security on', () => {
  const prefs = secureWebPreferences('/app/dist/main/preload.cjs');
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.nodeIntegrationInWorker, false);
  assert.equal(prefs.nodeIntegrationInSubFrames, false);
  assert.equal(prefs.webSecurity, true);
  assert.equal(prefs.allowRunningInsecureContent, false);
  assert.equal(prefs.experimentalFeatures, false);
  assert.equal(prefs.webviewTag, false);
  assert.equal(prefs.preload, '/app/dist/main/preload.cjs');
  assert.equal('enableRemoteModule' in prefs, false, 'no remote module');
});

test('BrowserWindows in main/ take their webPreferences from secureWebPreferences only', () => {
  const sources = fs.readdirSync(MAIN).filter((f) => f.endsWith('.ts')).map((f) => [f, fs.readFileSync(path.join(MAIN, f), 'utf8')] as const);
  const creating = sources.filter(([, text]) => /new BrowserWindow\(/.test(text));
  assert.deepEqual(creating.map(([f]) => f), ['window.ts'], 'one place creates windows');
  for (const [file, text] of sources) {
    const mentions = text.match(/webPreferences\s*:[^,\n]*/g) ?? [];
    for (const mention of mentions) assert.match(mention, /webPreferences: secureWebPreferences\(/, `${file}: ${mention}`);
    if (file !== 'security.ts') assert.doesNotMatch(text, /\b(nodeIntegration|contextIsolation|sandbox|webSecurity)\s*:\s*(true|false)/, `${file} sets a security preference by hand`);
    assert.doesNotMatch(text, /@electron\/remote|enableRemoteModule/, `${file} uses the remote module`);
    assert.doesNotMatch(text, /loadURL\(\s*['"`]https?:|localhost:\d|127\.0\.0\.1:\d/, `${file} loads remote or dev-server content`);
  }
});

test('the CSP allows scripts and style elements only from the app, objects, frames and base never', () => {
  const d = cspDirectives(CONTENT_SECURITY_POLICY);
  assert.deepEqual(d.get('default-src'), ["'none'"]);
  assert.deepEqual(d.get('script-src'), ["'self'"]);
  assert.deepEqual(d.get('style-src-elem'), ["'self'"]);
  assert.deepEqual(d.get('object-src'), ["'none'"]);
  assert.deepEqual(d.get('frame-src'), ["'none'"]);
  assert.deepEqual(d.get('frame-ancestors'), ["'none'"]);
  assert.deepEqual(d.get('base-uri'), ["'none'"]);
  assert.deepEqual(d.get('form-action'), ["'none'"]);
  for (const [name, values] of d) {
    assert.ok(!values.includes("'unsafe-eval'"), `${name} allows eval`);
    assert.ok(!values.some((v) => v === '*' || /^https?:/.test(v)), `${name} allows remote origins`);
    if (name !== 'style-src-attr') assert.ok(!values.includes("'unsafe-inline'"), `${name} allows inline content`);
  }
  assert.equal(APP_RESPONSE_HEADERS['content-security-policy'], CONTENT_SECURITY_POLICY);
  assert.equal(APP_RESPONSE_HEADERS['x-content-type-options'], 'nosniff');
});

test('app:// is a standard secure scheme that does not bypass the CSP', () => {
  assert.equal(APP_SCHEME_PRIVILEGES.standard, true);
  assert.equal(APP_SCHEME_PRIVILEGES.secure, true);
  assert.equal(APP_SCHEME_PRIVILEGES.bypassCSP, false);
  assert.equal(APP_SCHEME_PRIVILEGES.allowServiceWorkers, false);
});

test('only the app:// frame is a trusted IPC sender', () => {
  assert.equal(isTrustedSender('app://loadstar/index.html'), true);
  assert.equal(isTrustedSender('app://loadstar/#/servers'), true);
  for (const url of ['https://example.com/', 'http://127.0.0.1:8080/', 'file:///etc/passwd', 'app://evil/index.html', 'about:blank', 'data:text/html,x', '', undefined, null]) {
    assert.equal(isTrustedSender(url), false, String(url));
  }
});

test('navigation away from the app and window.open are refused; web links open in the system browser', () => {
  assert.equal(isAllowedNavigation('https://example.com/'), false);
  assert.equal(isAllowedNavigation('file:///etc/passwd'), false);
  assert.equal(isAllowedNavigation('app://loadstar/index.html'), true);
  assert.deepEqual(windowOpenDecision('https://www.haproxy.org/'), { action: 'deny', openExternally: true });
  assert.deepEqual(windowOpenDecision('file:///etc/passwd'), { action: 'deny', openExternally: false });
  assert.deepEqual(windowOpenDecision('javascript:alert(1)'), { action: 'deny', openExternally: false });
  assert.deepEqual(windowOpenDecision('app://loadstar/x'), { action: 'deny', openExternally: false });
});

test('every permission request is denied', () => {
  for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen', 'unknown']) {
    assert.equal(permissionDecision(permission), false, permission);
  }
});
