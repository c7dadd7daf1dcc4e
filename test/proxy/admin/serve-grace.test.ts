/**
 * `loadstar serve --grace-ms N` ($LOADSTAR_GRACE_MS): the safe-apply grace
 * window reaches the config store; a bad value is a usage error before
 * anything is opened; a change that breaks a backend is rolled back within a
 * short window.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveCommand, graceMsFrom, SERVE_HELP } from '../../../proxy/admin/serve.ts';
import { CliUsageError } from '../../../proxy/errors.ts';
import { freePort, startNamedServer } from '../../helpers/net.ts';
import { call, session } from './helpers.ts';
import { TS_IMPORT } from '../../helpers/ts-import.ts';

const cli = fileURLToPath(new URL('./fixtures/loadstar.ts', import.meta.url));

function tempDataDir(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-grace-')), 'data');
}

test('a bad --grace-ms is refused with a usage message naming the option, and nothing is opened', () => {
  const dataDir = tempDataDir();
  const r = spawnSync(process.execPath, ['--import', TS_IMPORT, cli, 'serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--grace-ms', 'soon'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^loadstar: serve: --grace-ms expects a whole number of milliseconds from 0 to 600000 \(got 'soon'\)/);
  assert.equal(fs.existsSync(dataDir), false, 'the data dir was not created');
});

test('--grace-ms and $LOADSTAR_GRACE_MS accept 0 to 600000 ms, the option first; anything else says where the value came from', () => {
  assert.equal(graceMsFrom(undefined, {}), 10_000);
  assert.equal(graceMsFrom(undefined, { LOADSTAR_GRACE_MS: '' }), 10_000);
  assert.equal(graceMsFrom('0', {}), 0);
  assert.equal(graceMsFrom('600000', {}), 600_000);
  assert.equal(graceMsFrom(undefined, { LOADSTAR_GRACE_MS: '2500' }), 2500);
  assert.equal(graceMsFrom('3000', { LOADSTAR_GRACE_MS: 'junk' }), 3000, 'the option wins over the environment');
  for (const bad of ['600001', '-1', '1.5', '1e3', '', ' ', '10s', '0x10']) {
    assert.throws(() => graceMsFrom(bad, {}), (e: unknown) => e instanceof CliUsageError && e.message.includes(`--grace-ms expects a whole number of milliseconds from 0 to 600000 (got '${bad}')`), bad);
  }
  assert.throws(() => graceMsFrom(undefined, { LOADSTAR_GRACE_MS: 'forever' }), (e: unknown) => e instanceof CliUsageError && e.message.includes(`$LOADSTAR_GRACE_MS expects a whole number of milliseconds from 0 to 600000 (got 'forever')`));
  assert.match(SERVE_HELP, /--grace-ms N .*\n(.*\n)*.*Default: \$LOADSTAR_GRACE_MS, else 10000\./);
});

test('with a short --grace-ms, a change that points a checked server at a closed port is rolled back automatically within that window', async () => {
  const dataDir = tempDataDir();
  fs.mkdirSync(dataDir, { recursive: true });
  const upstream = await startNamedServer('a1');
  const closed = await freePort();
  const frontend = await freePort();
  const file = path.join(dataDir, 'haproxy.cfg');
  const text = (port: number): string => `defaults
    mode http
    timeout connect 500ms
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${frontend}
    default_backend app
backend app
    server a1 127.0.0.1:${port} check inter 200
`;
  fs.writeFileSync(file, text(upstream.port));
  const graceMs = 4000;
  let stderr = '';
  let stop!: () => void;
  const stopSignal = new Promise<void>((resolve) => (stop = resolve));
  let ready!: (url: string) => void;
  const adminUrl = new Promise<string>((resolve) => (ready = resolve));
  const serving = serveCommand(['--data-dir', dataDir, '--listen', '127.0.0.1:0', '--grace-ms', String(graceMs)], { out: () => {}, err: (s) => (stderr += s) }, {
    ready: (info) => ready(info.adminUrl),
    stopSignal,
  });
  try {
    const url = await Promise.race([adminUrl, serving.then((code) => { throw new Error(`serve exited (${code}): ${stderr}`); })]);
    const port = Number(new URL(url).port);
    const s = await session({ port, origin: `http://127.0.0.1:${port}` });
    const api = async (method: string, ...args: unknown[]): Promise<any> => {
      const answer = await call(port, 'POST', `/api/${method}`, s.headers, JSON.stringify({ args }));
      assert.equal(answer.status, 200, answer.body);
      const body = answer.json();
      assert.ok(body.ok, answer.body);
      return body.value;
    };
    const current = await api('getConfig');
    const started = Date.now();
    const applying = api('applyChange', { text: text(closed), baseHash: current.hash, source: 'editor' });
    // While the change is watched, the window the store reports is the short one (the default would end 10 s after the apply).
    let watchingUntil: number | undefined;
    for (let i = 0; i < 100 && watchingUntil === undefined; i++) {
      watchingUntil = (await api('getConfig')).watchingUntil;
      if (watchingUntil === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(watchingUntil !== undefined, 'a grace window was running');
    assert.ok(watchingUntil - started <= graceMs + 1000, `the grace window ends ${watchingUntil - started} ms after the apply, not within --grace-ms ${graceMs}`);

    const outcome = await applying;
    assert.equal(outcome.outcome, 'rolled-back', JSON.stringify(outcome));
    assert.match(outcome.reason, /backend app has no usable server after the change \(a1 DOWN/);
    assert.equal(fs.readFileSync(file, 'utf8'), text(upstream.port), 'the file is back to the text that worked');
    const versions = await api('listVersions');
    assert.ok(versions.some((v: { source: string }) => v.source === 'automatic-rollback'), JSON.stringify(versions));
    assert.match(stderr, /configuration version \d+ was rolled back automatically: backend app has no usable server/);
  } finally {
    stop();
    assert.equal(await serving, 0, stderr);
    await upstream.close();
  }
});
