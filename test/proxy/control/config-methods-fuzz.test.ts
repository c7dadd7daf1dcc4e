import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import { ConfigStore, engineTarget } from '../../../proxy/store/config-store.ts';
import { startEngine, freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';

/** Deterministic odd values: wrong types, empty and huge strings, nested junk, near-valid objects. */
function junk(seed: number, depth = 0): unknown {
  let s = seed;
  const int = (n: number): number => (s = (s * 1103515245 + 12345) % 2147483648) % n;
  const leaves = [undefined, null, 0, -1, 1e309, NaN, '', ' ', 'x'.repeat(300), '../../etc/passwd', 'a b', '{', '%[src]', true, [], {}, 65536, 70000, '127.0.0.1', 'web', '/'];
  if (depth > 2 || int(3) === 0) return leaves[int(leaves.length)];
  if (int(2) === 0) return Array.from({ length: int(4) }, (_, i) => junk(seed * 31 + i, depth + 1));
  const keys = ['op', 'name', 'frontend', 'backend', 'server', 'servers', 'binds', 'rules', 'match', 'kind', 'values', 'port', 'address', 'weight', 'healthCheck', 'type', 'algorithm', 'url', 'headers', 'text', 'baseHash', 'source'];
  const o: Record<string, unknown> = {};
  for (let i = 0; i < 1 + int(5); i++) o[keys[int(keys.length)]!] = junk(seed * 17 + i, depth + 1);
  if (int(2) === 0) o['op'] = ['set-frontend', 'set-backend', 'set-server', 'remove-server', 'remove-frontend', 'remove-backend'][int(6)];
  return o;
}

test('every configuration, wizard and tracer method answers odd input with a registered refusal, never an internal failure or a throw', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-ctl-fuzz-'));
  const port = await freePort();
  const text = `${HTTP_DEFAULTS}\nfrontend web\n    bind 127.0.0.1:${port}\n    default_backend app\nbackend app\n    server s1 127.0.0.1:9\n`;
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), text);
  const running = await startEngine(text);
  const logged: string[] = [];
  try {
    const store = ConfigStore.open({ dataDir: dir, target: engineTarget(running.engine), graceMs: 0 });
    const control = new InProcessControl(running.engine, { configStore: store, dataDir: dir, log: (m) => logged.push(m) });
    const calls: Array<(v: unknown, w: unknown) => Promise<{ ok: boolean; error?: { code: string } }>> = [
      (v, w) => control.buildConfig(v as never, w as never),
      (v) => control.buildConfig([v] as never),
      (v) => control.previewConfig(v as never),
      (v) => control.applyChange(v as never),
      (v) => control.getVersion(v as never),
      (v, w) => control.rollback(v as never, w as never),
      (v) => control.predictSplit(v as never),
      (v) => control.explainHealthCheck(v as never),
      (v) => control.probeServer(v as never),
      (v) => control.checkListen(v as never),
      (v) => control.traceRequest(v as never),
      (v) => control.traceRequest({ frontend: 'web', url: '/', headers: v } as never),
    ];
    let refused = 0;
    for (let seed = 1; seed <= 150; seed++) {
      for (const [i, call] of calls.entries()) {
        const answer = await call(junk(seed * 13 + i), junk(seed * 7 + i));
        assert.equal(typeof answer.ok, 'boolean');
        if (!answer.ok) {
          refused++;
          assert.notEqual(answer.error!.code, 'LS_ERR_CTL_INTERNAL', `call ${i} seed ${seed}: ${JSON.stringify(answer)}`);
        }
      }
    }
    assert.ok(refused > 500, `${refused} refusals`);
    assert.deepEqual(logged, []);
    assert.equal(fs.readFileSync(path.join(dir, 'haproxy.cfg'), 'utf8'), text, 'no junk was ever written');
  } finally {
    await running.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
