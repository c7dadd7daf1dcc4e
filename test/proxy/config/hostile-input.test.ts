/**
 * Hostile configuration text, as the editor's live check and the validate/apply methods receive it:
 * files named by the configuration that are not files (a device that never ends, a FIFO that never
 * answers), `.if` nested without end, and thousands of misspelt names. Each gets its diagnostic,
 * the check stays linear, and the process lives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../../proxy/config/index.ts';
import { freePort } from '../../helpers/net.ts';
import { MAX_NESTED_CONDITIONS } from '../../../proxy/config/conditional-blocks.ts';
import { TS_IMPORT } from '../../helpers/ts-import.ts';

const HEAD = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
const indexModule = fileURLToPath(new URL('../../../proxy/config/index.ts', import.meta.url));

/** Every way a configuration names a file, pointed at `file`; the frontend answers `/` itself (the return payload). */
function namingEveryFile(file: string, port = 1): string {
  return `${HEAD}http-errors pages\n    errorfile 503 ${file}\nfrontend f\n    bind 127.0.0.1:${port}\n    errorfile 503 ${file}\n    acl a path -f ${file}\n` +
    `    http-request deny errorfile ${file} if { path /deny }\n    http-request return status 404 content-type text/plain lf-file ${file} if { path /lf }\n` +
    `    http-error status 500 content-type text/plain file ${file}\n    http-request return status 200 content-type text/plain file ${file}\n`;
}

const engineModule = fileURLToPath(new URL('../../../proxy/engine.ts', import.meta.url));

/**
 * Checks `text` in a child process and, when valid, starts an engine on it and asks it for `/`:
 * an unfixed reader dies of memory (/dev/zero) or blocks forever (a FIFO), which must not take the
 * test runner with it.
 */
function checkInChild(text: string): { status: number | null; messages: string[]; answer?: number; stderr: string } {
  const code = `import { parseConfig } from ${JSON.stringify(indexModule)};\nimport { Engine } from ${JSON.stringify(engineModule)};\nimport http from 'node:http';\n` +
    `const r = parseConfig([{ name: 'site.cfg', text: process.env.CFG }]);\nlet answer;\n` +
    `if (r.ok) {\n  const engine = new Engine(r.config, { sink: { traffic() {}, alert() {} } });\n  await engine.start();\n` +
    `  answer = await new Promise((ok, ko) => http.get({ host: '127.0.0.1', port: engine.addresses()[0].port, path: '/', agent: false }, (res) => { res.resume(); ok(res.statusCode); }).on('error', ko));\n` +
    `  await engine.stop(0);\n}\nprocess.stdout.write(JSON.stringify({ messages: r.diagnostics.filter((d) => d.severity !== 'warning').map((d) => d.message), answer }));`;
  const r = spawnSync(process.execPath, ['--import', TS_IMPORT, '--input-type=module', '-e', code], { env: { ...process.env, CFG: text }, encoding: 'utf8', timeout: 30_000 });
  const out = r.status === 0 ? JSON.parse(r.stdout) as { messages: string[]; answer?: number } : { messages: [] };
  return { status: r.status, ...out, stderr: r.stderr };
}

test('a device named as a file reads as HAProxy reads it (empty: /dev/zero never fills memory); a FIFO or directory is "error opening file"; the check and the engine always finish', { skip: process.platform === 'win32' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-hostile-cfg-'));
  try {
    for (const device of ['/dev/zero', '/dev/urandom', '/dev/null']) {
      const r = checkInChild(namingEveryFile(device, await freePort()));
      assert.equal(r.status, 0, `${device}: the check or the engine did not finish (${r.status}): ${r.stderr.slice(0, 400)}`);
      assert.deepEqual(r.messages, [], device);
      assert.equal(r.answer, 200, device);
    }
    const fifo = path.join(dir, 'pipe');
    const made = spawnSync('mkfifo', [fifo]);
    for (const file of [dir, ...(made.status === 0 ? [fifo] : [])]) {
      const r = checkInChild(namingEveryFile(file));
      assert.equal(r.status, 0, `${file}: the check did not finish (${r.status}): ${r.stderr.slice(0, 400)}`);
      const about = r.messages.filter((m) => m.includes(file));
      assert.equal(about.length, 7, `${file}: ${JSON.stringify(r.messages)}`);
      for (const m of about) assert.match(m, /error opening file|failed to open pattern file/, m);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a payload file of http-request return/deny is read at load as HAProxy does: a missing one is a diagnostic, not an engine failure later', () => {
  const r = parseConfig([{ name: 'site.cfg', text: `${HEAD}frontend f\n    bind 127.0.0.1:1\n    http-request return status 200 content-type text/plain file /nonexistent/page.txt\n` }]);
  assert.equal(r.ok, false);
  assert.deepEqual(r.diagnostics.map((d) => [d.line, d.message]), [
    [8, "error detected in frontend 'f' while parsing 'http-request return' rule : 'file' : error opening file '/nonexistent/page.txt'."],
  ]);
});

test(`.if nested deeper than ${MAX_NESTED_CONDITIONS} levels is HAProxy's alert and the rest of the file is not read; ${MAX_NESTED_CONDITIONS} levels still work`, () => {
  const deep = (n: number) => '.if 1\n'.repeat(n) + `${HEAD}frontend f\n    bind 127.0.0.1:1\n` + '.endif\n'.repeat(n);
  const fine = parseConfig([{ name: 'site.cfg', text: deep(MAX_NESTED_CONDITIONS) }]);
  assert.equal(fine.ok, true, JSON.stringify(fine.diagnostics));
  assert.equal(fine.config.proxies.filter((p) => p.kind === 'frontend').length, 1);
  for (const n of [MAX_NESTED_CONDITIONS + 1, 50_000]) {
    const r = parseConfig([{ name: 'site.cfg', text: deep(n) }]);
    assert.deepEqual(r.diagnostics.map((d) => [d.severity, d.line, d.message]), [['alert', MAX_NESTED_CONDITIONS + 1, `too many nested '.if', max is ${MAX_NESTED_CONDITIONS}.`]]);
  }
  // Unclosed: still the one alert, not one per level.
  const unclosed = parseConfig([{ name: 'site.cfg', text: '.if 1\n'.repeat(100_000) }]);
  assert.equal(unclosed.diagnostics.length, 1);
});

test('thousands of misspelt names are all reported; "did you mean" is offered until the check has spent its suggestion budget, so the check stays linear', () => {
  const n = 2000;
  const text = `${HEAD}frontend f\n    bind 127.0.0.1:1\n` + Array.from({ length: n }, (_, i) => `    use_backend app${i}x if TRUE\n`).join('') +
    Array.from({ length: n }, (_, i) => `backend app${i}\n`).join('');
  const r = parseConfig([{ name: 'site.cfg', text }]);
  const misses = r.diagnostics.filter((d) => /unable to find required use_backend/.test(d.message));
  assert.equal(misses.length, n);
  assert.match(misses[0]!.message, /Did you mean 'app0'/);
  assert.doesNotMatch(misses.at(-1)!.message, /Did you mean/);

  // Ordinary typos keep their hints.
  const few = parseConfig([{ name: 'site.cfg', text: `${HEAD}backend b\n` + '    balanse roundrobin\n'.repeat(200) }]);
  assert.equal(few.diagnostics.length, 200);
  for (const d of few.diagnostics) assert.match(d.message, /did you mean 'balance'/);
});
