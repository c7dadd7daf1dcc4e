import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigStore, engineTarget } from '../../../proxy/store/config-store.ts';
import type { ApplyTarget, BackendHealth } from '../../../proxy/store/config-store.ts';
import { textHash } from '../../../proxy/store/versions.ts';
import { EngineUnsupportedError } from '../../../proxy/errors.ts';
import { HTTP_DEFAULTS, startNamedServer, startEngine, freePort, request } from '../../helpers/net.ts';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-store-'));
}

const config = (servers: string, extra = ''): string => `${HTTP_DEFAULTS}
frontend web
    bind 127.0.0.1:8080
    default_backend app
${extra}
backend app
${servers}
`;

/** An engine stand-in: records reloads, refuses when told, reports the health the test sets. */
function fakeTarget(): ApplyTarget & { reloads: number; refuse: boolean; health: Map<string, BackendHealth> } {
  const t = {
    reloads: 0,
    refuse: false,
    health: new Map<string, BackendHealth>([['app', { usable: 1, total: 1, detail: 's1 UP' }]]),
    async reload() {
      if (t.refuse) throw new EngineUnsupportedError([{ what: 'something', where: 'x.cfg:1' }] as never);
      t.reloads++;
    },
    backendHealth: () => new Map(t.health),
  };
  return t;
}

function open(dir: string, target?: ApplyTarget, text = config('    server s1 127.0.0.1:8001')) {
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), text);
  return ConfigStore.open({ dataDir: dir, target, graceMs: 300, pollMs: 20 });
}

test('the first open records the file as version 1; an apply writes the file and records a version with a summary and a diff', async () => {
  const dir = tempDir();
  try {
    const target = fakeTarget();
    const store = open(dir, target);
    assert.deepEqual(store.listVersions().map((v) => [v.id, v.source, v.summary]), [[1, 'initial', 'initial configuration']]);
    const cur = store.current();
    assert.equal(cur.modifiedOnDisk, false);
    const text = config('    server s1 127.0.0.1:8001 weight 3\n    server s2 127.0.0.1:8002');
    const r = await store.apply({ text, baseHash: cur.hash, source: 'editor' });
    assert.ok(r.ok);
    assert.equal(r.value.outcome, 'applied');
    assert.equal(fs.readFileSync(path.join(dir, 'haproxy.cfg'), 'utf8'), text);
    assert.equal(target.reloads, 1);
    const [latest] = store.listVersions();
    assert.equal(latest!.id, 2);
    assert.equal(latest!.source, 'editor');
    assert.equal(latest!.summary, 'changed weight of app/s1 to 3; added server app/s2 (127.0.0.1:8002)');
    assert.match(latest!.diff, /^-    server s1 127\.0\.0\.1:8001$/m);
    assert.match(latest!.diff, /^\+    server s2 127\.0\.0\.1:8002$/m);
    const got = store.getVersion(2);
    assert.ok(got.ok && got.value.text === text);
    assert.equal(store.current().text, text);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an apply based on an older text is refused with LS_ERR_CTL_CONFLICT, and a hand edit is reported instead of overwritten', async () => {
  const dir = tempDir();
  try {
    const store = open(dir, fakeTarget());
    const base = store.current().hash;
    const first = await store.apply({ text: config('    server s1 127.0.0.1:8009'), baseHash: base, source: 'editor' });
    assert.ok(first.ok);
    const stale = await store.apply({ text: config('    server s1 127.0.0.1:8010'), baseHash: base, source: 'editor' });
    assert.ok(!stale.ok);
    assert.equal(stale.error.code, 'LS_ERR_CTL_CONFLICT');

    const byHand = config('    server s1 127.0.0.1:8011') + '# edited with vi\n';
    fs.writeFileSync(path.join(dir, 'haproxy.cfg'), byHand);
    const cur = store.current();
    assert.equal(cur.modifiedOnDisk, true);
    assert.equal(cur.diskText, byHand);
    assert.equal(cur.diskHash, textHash(byHand));
    assert.equal(cur.hash, textHash(cur.text));
    const blind = await store.apply({ text: config('    server s1 127.0.0.1:8012'), baseHash: cur.hash, source: 'editor' });
    assert.ok(!blind.ok);
    assert.equal(blind.error.code, 'LS_ERR_CTL_CONFLICT');
    assert.match(blind.error.message, /edited by hand.*does not overwrite that silently/);
    assert.equal(fs.readFileSync(path.join(dir, 'haproxy.cfg'), 'utf8'), byHand, 'the hand edit is untouched');
    // Adopting the edit is explicit: apply the disk text with the disk hash.
    const adopt = await store.apply({ text: byHand, baseHash: cur.diskHash, source: 'external' });
    assert.ok(adopt.ok && adopt.value.outcome === 'applied');
    assert.equal(store.current().modifiedOnDisk, false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a text with errors is refused with its diagnostics; the file and the versions stay as they were', async () => {
  const dir = tempDir();
  try {
    const target = fakeTarget();
    const store = open(dir, target);
    const before = fs.readFileSync(path.join(dir, 'haproxy.cfg'), 'utf8');
    const r = await store.apply({ text: config('    server s1 127.0.0.1:8001\n    balanse roundrobin'), baseHash: store.current().hash, source: 'editor' });
    assert.ok(r.ok);
    assert.equal(r.value.outcome, 'refused');
    assert.ok(r.value.diagnostics.some((d) => d.code === 'LS_ERR_CFG_UNKNOWN_KEYWORD' && d.line === 13), JSON.stringify(r.value.diagnostics));
    assert.equal(fs.readFileSync(path.join(dir, 'haproxy.cfg'), 'utf8'), before);
    assert.equal(target.reloads, 0);
    assert.equal(store.listVersions().length, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a configuration the engine refuses puts the file back and records the attempt and the restore', async () => {
  const dir = tempDir();
  try {
    const target = fakeTarget();
    const store = open(dir, target);
    const before = fs.readFileSync(path.join(dir, 'haproxy.cfg'), 'utf8');
    target.refuse = true;
    const r = await store.apply({ text: config('    server s1 127.0.0.1:8002'), baseHash: store.current().hash, source: 'wizard' });
    assert.ok(r.ok);
    assert.equal(r.value.outcome, 'refused');
    assert.match(r.value.outcome === 'refused' ? r.value.reason : '', /engine refused/);
    assert.equal(fs.readFileSync(path.join(dir, 'haproxy.cfg'), 'utf8'), before);
    assert.equal(store.current().text, before);
    assert.equal(store.current().modifiedOnDisk, false);
    assert.deepEqual(store.listVersions().map((v) => [v.source, v.outcome]), [['automatic-rollback', 'applied'], ['wizard', 'refused'], ['initial', 'applied']]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a change after which a healthy backend has no usable server within the grace window is rolled back automatically', async () => {
  const dir = tempDir();
  try {
    const target = fakeTarget();
    const events: string[] = [];
    fs.writeFileSync(path.join(dir, 'haproxy.cfg'), config('    server s1 127.0.0.1:8001'));
    const store = ConfigStore.open({ dataDir: dir, target, graceMs: 2000, pollMs: 10, onEvent: (m) => events.push(m) });
    const original = store.current().text;
    setTimeout(() => target.health.set('app', { usable: 0, total: 1, detail: 's1 DOWN' }), 50);
    const r = await store.apply({ text: config('    server s1 127.0.0.1:9'), baseHash: store.current().hash, source: 'editor' });
    assert.ok(r.ok);
    assert.equal(r.value.outcome, 'rolled-back');
    assert.match(r.value.outcome === 'rolled-back' ? r.value.reason : '', /backend app has no usable server after the change \(s1 DOWN\)/);
    assert.equal(target.reloads, 2, 'the change, then the previous configuration');
    assert.equal(fs.readFileSync(path.join(dir, 'haproxy.cfg'), 'utf8'), original);
    assert.equal(store.current().text, original);
    const versions = store.listVersions();
    assert.deepEqual(versions.map((v) => [v.id, v.source, v.outcome, v.restores]), [[3, 'automatic-rollback', 'applied', 1], [2, 'editor', 'rolled-back', undefined], [1, 'initial', 'applied', undefined]]);
    assert.match(versions[1]!.reason!, /no usable server/);
    assert.equal(events.length, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a manual rollback applies an older version again; only the newest 50 versions are kept', async () => {
  const dir = tempDir();
  try {
    const store = open(dir, fakeTarget());
    for (let i = 0; i < 55; i++) {
      const r = await store.apply({ text: config(`    server s1 127.0.0.1:${8100 + i}`), baseHash: store.current().hash, source: 'cli', graceMs: 0 });
      assert.ok(r.ok && r.value.outcome === 'applied');
    }
    const list = store.listVersions();
    assert.equal(list.length, 50);
    assert.equal(list[0]!.id, 56);
    assert.equal(list.at(-1)!.id, 7);
    const gone = store.getVersion(3);
    assert.ok(!gone.ok && gone.error.code === 'LS_ERR_CTL_NOT_FOUND');
    const bad = store.getVersion(-1);
    assert.ok(!bad.ok && bad.error.code === 'LS_ERR_CTL_BAD_VALUE');
    const old = store.getVersion(10);
    assert.ok(old.ok);
    const r = await store.rollback(10);
    assert.ok(r.ok && r.value.outcome === 'applied');
    assert.equal(store.current().text, old.value.text);
    assert.equal(store.listVersions()[0]!.source, 'rollback');
    assert.equal(store.listVersions()[0]!.restores, 10);
    assert.match(store.listVersions()[0]!.summary, /^rolled back to version 10/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad requests are answered with LS_ERR_CTL_BAD_VALUE, never thrown', async () => {
  const dir = tempDir();
  try {
    const store = open(dir, fakeTarget());
    for (const bad of [undefined, {}, { text: 1 }, { text: 'x', baseHash: 'nope', source: 'editor' }, { text: 'x', baseHash: store.current().hash, source: 'gui' }, { text: 'x', baseHash: store.current().hash, source: 'initial' }]) {
      const r = await store.apply(bad as never);
      assert.ok(!r.ok && r.error.code === 'LS_ERR_CTL_BAD_VALUE', JSON.stringify(bad));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a file edited while Loadstar was not running is recorded as an external version at the next open', () => {
  const dir = tempDir();
  try {
    open(dir);
    fs.writeFileSync(path.join(dir, 'haproxy.cfg'), config('    server s1 127.0.0.1:8001\n    server s2 127.0.0.1:8002'));
    const store = ConfigStore.open({ dataDir: dir });
    const [latest] = store.listVersions();
    assert.equal(latest!.source, 'external');
    assert.equal(latest!.summary, 'edited outside Loadstar: added server app/s2 (127.0.0.1:8002)');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('with a real engine, a change to a closed port is rolled back once the checks mark the server down, and traffic flows again', async () => {
  const dir = tempDir();
  const origin = await startNamedServer('origin');
  const closed = await freePort();
  const port = await freePort();
  const text = (serverPort: number): string => `${HTTP_DEFAULTS}
frontend web
    bind 127.0.0.1:${port}
    default_backend app

backend app
    server s1 127.0.0.1:${serverPort} check inter 100ms fall 2 rise 1
`;
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), text(origin.port));
  const running = await startEngine(text(origin.port));
  const alerts: string[] = [];
  const off = running.engine.events.on('events', (e) => { if (e.type === 'alert') alerts.push(e.message); });
  try {
    // The checks mark s1 UP first (rise 1).
    await new Promise((r) => setTimeout(r, 300));
    const store = ConfigStore.open({ dataDir: dir, target: engineTarget(running.engine), graceMs: 5000, pollMs: 20 });
    const r = await store.apply({ text: text(closed), baseHash: store.current().hash, source: 'editor' });
    assert.ok(r.ok);
    assert.equal(r.value.outcome, 'rolled-back', JSON.stringify(r.value));
    assert.match(r.value.outcome === 'rolled-back' ? r.value.reason : '', /backend app has no usable server after the change \(s1 DOWN/);
    assert.equal(fs.readFileSync(path.join(dir, 'haproxy.cfg'), 'utf8'), text(origin.port));
    // s1 keeps its DOWN state across the reload (same name) until its next good check.
    let body = '';
    for (let i = 0; i < 50 && body !== 'origin'; i++) {
      body = (await request(port)).body;
      if (body !== 'origin') await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(body, 'origin');
    assert.ok(alerts.some((m) => /^configuration version 2 was rolled back automatically: backend app has no usable server/.test(m)), alerts.join('\n'));
  } finally {
    off();
    await running.stop();
    await origin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a reload of the hand-edited file by another way (SIGHUP) is adopted: it runs, it is a version, and nothing counts as modified any more', () => {
  const dir = tempDir();
  try {
    const store = open(dir, fakeTarget());
    const edited = config('    server s1 127.0.0.1:8001\n    server s2 127.0.0.1:8002');
    fs.writeFileSync(path.join(dir, 'haproxy.cfg'), edited);
    assert.equal(store.current().modifiedOnDisk, true);
    const v = store.adopt();
    assert.equal(v?.source, 'external');
    assert.equal(v?.summary, 'reloaded from disk: added server app/s2 (127.0.0.1:8002)');
    assert.equal(store.current().modifiedOnDisk, false);
    assert.equal(store.current().text, edited);
    assert.equal(store.adopt(), undefined, 'the same text again makes no new version');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a file that cannot be written is an LS_ERR_STORE_WRITE answer and nothing reloads', async () => {
  const dir = tempDir();
  try {
    const target = fakeTarget();
    // The configuration path is a directory: the atomic rename over it fails.
    const file = path.join(dir, 'conf.d');
    fs.mkdirSync(path.join(file, 'keep'), { recursive: true });
    const store = ConfigStore.open({ dataDir: dir, file, target, graceMs: 0 });
    const r = await store.apply({ text: config('    server s1 127.0.0.1:8001'), baseHash: store.current().hash, source: 'editor' });
    assert.ok(!r.ok && r.error.code === 'LS_ERR_STORE_WRITE', JSON.stringify(r));
    assert.equal(target.reloads, 0);
    assert.ok(fs.existsSync(path.join(file, 'keep')));
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('what parses but the engine does not run yet is an alert at its line in the preview, and such a change is refused before anything is written', async () => {
  const dir = tempDir();
  try {
    const target = fakeTarget();
    const store = open(dir, target);
    const text = config('    stick-table type ip size 1k store bytes_in_cnt\n    server s1 127.0.0.1:8001');
    const preview = store.preview(text);
    assert.ok(preview.ok);
    assert.equal(preview.value.valid, false);
    const alert = preview.value.diagnostics.find((d) => d.code === 'LS_ERR_CFG_UNSUPPORTED');
    assert.equal(alert?.line, 12, JSON.stringify(preview.value.diagnostics));
    assert.match(alert!.text, /\[ALERT\] parsing \[.*haproxy\.cfg:12\] : 'stick-table … store bytes_in_cnt' is not run by Loadstar yet/);
    const r = await store.apply({ text, baseHash: store.current().hash, source: 'import' });
    assert.ok(r.ok && r.value.outcome === 'refused');
    assert.equal(target.reloads, 0);
    assert.equal(store.listVersions().length, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('watching the file tells the UI once about a hand edit, and again only for a new one', async () => {
  const dir = tempDir();
  try {
    const target = fakeTarget();
    const announced: string[] = [];
    target.announce = (m) => announced.push(m);
    const store = open(dir, target);
    const stop = store.watchFile(10);
    try {
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(announced, []);
      fs.writeFileSync(path.join(dir, 'haproxy.cfg'), config('    server s1 127.0.0.1:8009'));
      await waitUntil(() => announced.length === 1);
      await new Promise((r) => setTimeout(r, 60));
      assert.equal(announced.length, 1, 'one edit is told once');
      assert.match(announced[0]!, /was changed outside Loadstar; the running configuration is unchanged/);
      fs.writeFileSync(path.join(dir, 'haproxy.cfg'), config('    server s1 127.0.0.1:8010') + '# more\n');
      await waitUntil(() => announced.length === 2);
    } finally {
      stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), 'condition reached within 3 s');
}

test("an apply keeps the mode of the user's own haproxy.cfg (0644, 0640), as a rollback's restore does; the file stays the one path", async () => {
  for (const mode of [0o644, 0o640]) {
    const dir = tempDir();
    try {
      const target = fakeTarget();
      const store = open(dir, target);
      const file = path.join(dir, 'haproxy.cfg');
      fs.chmodSync(file, mode);
      const r = await store.apply({ text: config('    server s1 127.0.0.1:8001 weight 2'), baseHash: store.current().hash, source: 'wizard' });
      assert.ok(r.ok && r.value.outcome === 'applied', JSON.stringify(r));
      assert.equal(fs.statSync(file).mode & 0o777, mode, `still 0${mode.toString(8)} (it became 0600)`);
      // A refused reload puts the old text back, with the same mode.
      target.refuse = true;
      const refused = await store.apply({ text: config('    server s1 127.0.0.1:8001 weight 3'), baseHash: store.current().hash, source: 'wizard' });
      assert.ok(refused.ok && refused.value.outcome !== 'applied');
      assert.equal(fs.statSync(file).mode & 0o777, mode);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('an apply keeps the owner of haproxy.cfg where the process may (as root: a root:haproxy file stays so)', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to give the file another owner');
    return;
  }
  const dir = tempDir();
  try {
    const store = open(dir, fakeTarget());
    const file = path.join(dir, 'haproxy.cfg');
    fs.chownSync(file, 0, 65534);
    fs.chmodSync(file, 0o640);
    const r = await store.apply({ text: config('    server s1 127.0.0.1:8001 weight 2'), baseHash: store.current().hash, source: 'wizard' });
    assert.ok(r.ok && r.value.outcome === 'applied', JSON.stringify(r));
    const st = fs.statSync(file);
    assert.deepEqual([st.uid, st.gid, st.mode & 0o777], [0, 65534, 0o640]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
