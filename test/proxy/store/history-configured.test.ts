import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../proxy/config/index.ts';
import { Engine } from '../../../proxy/engine.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import type { Result } from '../../../proxy/control/contract.ts';
import { HistoryStore } from '../../../proxy/store/history.ts';
import { HistoryRecorder } from '../../../proxy/store/history-recorder.ts';
import { freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';

// The recorder's part of first-seen times (history-recorder.ts syncConfigured) through to the contract's timelines.

function value<T>(result: Result<T>): T {
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.message}`);
  return result.value;
}

const config = (port: number, servers: string): string => `${HTTP_DEFAULTS}frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
${servers}
`;

test('a server added by a reload has a timeline from its reload on (not UP for the whole day), a renamed one keeps its age, and the first ones were there when the history began', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-configured-'));
  const store = HistoryStore.open(path.join(dir, 'history.sqlite'));
  const port = await freePort();
  const engine = new Engine(parseConfig([{ name: 'a.cfg', text: config(port, '    server old 127.0.0.1:9\n    server keep 127.0.0.1:10') }]).config, { sink: { traffic() {}, alert() {} } });
  await engine.start();
  const recorder = new HistoryRecorder(store, engine, { log: () => {} });
  recorder.start();
  const control = new InProcessControl(engine, { history: store, log: () => {} });
  try {
    const began = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // old renamed to renamed (same address), fresh added.
    await engine.reload(parseConfig([{ name: 'a.cfg', text: config(port, '    server renamed 127.0.0.1:9\n    server keep 127.0.0.1:10\n    server fresh 127.0.0.1:11') }]).config);
    const reloaded = Date.now();
    const day = 86_400_000;
    const set = value(await control.timelines({ from: reloaded - day, to: reloaded + 1 }, [{ backend: 'app' }, { backend: 'app', server: 'keep' }, { backend: 'app', server: 'renamed' }, { backend: 'app', server: 'fresh' }]));
    const [own, keep, renamed, fresh] = set.timelines;
    assert.equal(fresh!.configuredSince?.how, 'added');
    assert.ok(fresh!.configuredSince!.time > began && fresh!.configuredSince!.time <= reloaded, 'added at the reload');
    assert.equal(fresh!.from, reloaded - day, 'the range is the one asked for');
    assert.equal(fresh!.uptime, 1, 'a server without check, UP for all of its life so far');
    assert.equal(keep!.configuredSince?.how, 'history-began');
    assert.ok(keep!.configuredSince!.time <= began);
    assert.deepEqual(renamed!.configuredSince, keep!.configuredSince, 'the rename kept the age');
    assert.equal(own!.configuredSince?.how, 'history-began');
  } finally {
    await recorder.stop();
    store.close();
    await engine.stop(100);
  }
});

test('a failed start registers nothing: the objects a history knows are not forgotten by a configuration that did not run', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-configured-'));
  const store = HistoryStore.open(path.join(dir, 'history.sqlite'));
  store.syncConfigured(['backend:app', 'server:app/a']);
  const engine = new Engine(parseConfig([{ name: 'empty.cfg', text: '' }]).config, { configName: 'empty.cfg' });
  engine.loadFailed({ code: 'LS_ERR_CFG_INVALID', message: 'errors' });
  const recorder = new HistoryRecorder(store, engine, { log: () => {} });
  recorder.start();
  await recorder.stop();
  assert.deepEqual(Object.keys(store.configuredSince(['backend:app', 'server:app/a'])), ['backend:app', 'server:app/a']);
  store.close();
});
