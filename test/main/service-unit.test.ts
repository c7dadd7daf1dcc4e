/** build/loadstar.service: the directives the headless install relies on, and `systemd-analyze verify` accepts it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const UNIT = fileURLToPath(new URL('../../build/loadstar.service', import.meta.url));

function directives(text: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) map.set(m[1], [...(map.get(m[1]) ?? []), m[2]]);
  }
  return map;
}

test('the service unit runs loadstar serve as a dedicated user, hardened, with the data dir as its only writable path', () => {
  const d = directives(fs.readFileSync(UNIT, 'utf8'));
  assert.deepEqual(d.get('User'), ['loadstar']);
  assert.match(d.get('ExecStart')![0], /\bloadstar serve$/);
  assert.deepEqual(d.get('ExecReload'), ['/bin/kill -HUP $MAINPID']);
  assert.deepEqual(d.get('Restart'), ['on-failure']);
  assert.deepEqual(d.get('AmbientCapabilities'), ['CAP_NET_BIND_SERVICE']);
  assert.deepEqual(d.get('ProtectSystem'), ['strict']);
  assert.deepEqual(d.get('ProtectHome'), ['true']);
  assert.deepEqual(d.get('NoNewPrivileges'), ['true']);
  assert.deepEqual(d.get('PrivateTmp'), ['true']);
  assert.deepEqual(d.get('ReadWritePaths'), ['/var/lib/loadstar']);
  assert.ok(d.get('Environment')!.includes('LOADSTAR_DATA_DIR=/var/lib/loadstar'));
  assert.equal(d.get('MemoryDenyWriteExecute'), undefined, 'V8 needs writable+executable memory for its JIT');
});

test('systemd-analyze verify accepts the service unit', (t) => {
  const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    const message = 'systemd-analyze is missing (Debian: apt-get install systemd): the unit was not verified';
    if (process.env.CI === 'true') assert.fail(message);
    console.error(`\n*** SKIPPED: ${message} ***\n`);
    t.skip(message);
    return;
  }
  const result = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, `systemd-analyze verify failed:\n${result.stdout}${result.stderr}`);
  assert.equal(result.stderr.trim(), '', `systemd-analyze verify warned:\n${result.stderr}`);
});
