/**
 * Doyensec's Electronegativity over main/: any finding not in the reviewed
 * list below fails. The listed ones are where its static analysis cannot see
 * through our indirection, each checked by test/main/security.test.ts instead.
 * (The tool also tries to fetch Electron's release list and translations; it
 * carries on without them offline.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** issue@file → why it is not a problem. */
const REVIEWED: Record<string, string> = {
  'CONTEXT_ISOLATION_JS_CHECK@window.ts': 'webPreferences come from secureWebPreferences() (contextIsolation: true), which the tool does not follow',
  'SANDBOX_JS_CHECK@window.ts': 'webPreferences come from secureWebPreferences() (sandbox: true), which the tool does not follow',
  'AUXCLICK_JS_CHECK@window.ts': 'every new window (middle-click included) is denied by setWindowOpenHandler in lockDownWebContents',
  'OPEN_EXTERNAL_JS_CHECK@window.ts': 'only http(s) URLs are opened externally (windowOpenDecision)',
  'CSP_GLOBAL_CHECK@N/A': 'the CSP is a header on every app:// response (APP_RESPONSE_HEADERS), not a <meta> tag the tool could see',
};

test('Electronegativity finds nothing in main/ beyond the reviewed findings', { timeout: 300_000 }, (t) => {
  const cli = path.join(root, 'node_modules', '@doyensec', 'electronegativity', 'dist', 'index.js');
  if (!fs.existsSync(cli)) {
    const message = '@doyensec/electronegativity is not installed (npm ci): main/ was not scanned';
    if (process.env.CI === 'true') assert.fail(message);
    console.error(`\n*** SKIPPED: ${message} ***\n`);
    return t.skip(message);
  }
  const electron = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string };
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-eneg-')), 'findings.csv');
  const run = spawnSync(process.execPath, [cli, '-i', path.join(root, 'main'), '-o', out, '-r', '-e', electron.version], { cwd: root, encoding: 'utf8', timeout: 240_000 });
  assert.ok(fs.existsSync(out), `electronegativity wrote no report:\n${run.stdout}\n${run.stderr}`);
  // One finding per line that starts with its check name; a multi-line code sample continues on lines that do not.
  const findings = fs.readFileSync(out, 'utf8').split('\n').flatMap((row) => {
    const m = /^([A-Z0-9_]+),"[A-Z]+","[A-Z]+","([^"]*)"/.exec(row);
    return m ? [{ key: `${m[1]}@${m[2]}`, row }] : [];
  });
  const unexpected = findings.filter((f) => !(f.key in REVIEWED));
  assert.deepEqual(unexpected.map((f) => f.row), [], 'new Electronegativity findings: fix them or review them into REVIEWED');
  assert.ok(!findings.some((f) => /NODE_INTEGRATION|REMOTE_MODULE|WEB_SECURITY|INSECURE_CONTENT|EXPERIMENTAL_FEATURES|PRELOAD_JS/.test(f.key)), 'none of the checklist basics');
});
