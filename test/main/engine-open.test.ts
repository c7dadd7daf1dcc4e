/**
 * The desktop engine host opens a data dir through the same function as
 * `loadstar serve` (proxy/admin/appliance.ts): the same first-run demo
 * (moved off a busy port, with $LOADSTAR_DEMO_PORT for the preferred one),
 * the config store behind getConfig/versions, and a configuration that
 * cannot start served as a failed engine with its reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openDataDirEngine } from '../../main/engine-open.ts';
import { defaultConfigText } from '../../proxy/admin/default-config.ts';
import type { StatusSnapshot } from '../../proxy/control/contract.ts';

function tempDir(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-open-')), 'data');
}

test('a first run writes serve\'s demo configuration, moved off a busy preferred port, and serves it with versions', async () => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const busy = (holder.address() as net.AddressInfo).port;
  const saved = process.env.LOADSTAR_DEMO_PORT;
  process.env.LOADSTAR_DEMO_PORT = String(busy);
  const lines: string[] = [];
  const dir = tempDir();
  try {
    const opened = await openDataDirEngine(dir, { log: (l) => lines.push(l) });
    assert.ok(opened.ok);
    try {
      assert.equal(opened.startError, undefined);
      assert.match(lines.join('\n'), new RegExp(`first run: .*port ${busy} is in use, so the demo took \\d+`));
      const text = fs.readFileSync(path.join(dir, 'haproxy.cfg'), 'utf8');
      const port = (name: string) => Number(new RegExp(`server demo-${name} 127\\.0\\.0\\.1:(\\d+)`).exec(text)![1]);
      const frontend = Number(/bind 127\.0\.0\.1:(\d+)/.exec(text)![1]);
      assert.notEqual(frontend, busy);
      assert.equal(text, defaultConfigText({ frontend, web1: port('web1'), web2: port('web2'), api1: port('api1') }), 'the text serve writes');
      assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
      const status = await opened.control.status();
      assert.equal(status.ok && (status.value as StatusSnapshot).lifecycle.state, 'running');
      const versions = await opened.control.listVersions();
      assert.ok(versions.ok && versions.value.length === 1, 'the config store is there: safe apply, versions and rollback work');
    } finally {
      await opened.close(0);
    }
  } finally {
    if (saved === undefined) delete process.env.LOADSTAR_DEMO_PORT;
    else process.env.LOADSTAR_DEMO_PORT = saved;
    holder.close();
  }
});

test('a configuration that cannot start opens as a failed engine with its reason, for the host to serve', async () => {
  const dir = tempDir();
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), 'backend b\n    balance nonsense\n');
  const lines: string[] = [];
  const opened = await openDataDirEngine(dir, { log: (l) => lines.push(l) });
  assert.ok(opened.ok);
  try {
    assert.equal(opened.startError?.code, 'LS_ERR_CFG_INVALID');
    assert.match(lines.join('\n'), /\[ALERT\] the configuration .*haproxy\.cfg has errors, so the proxy did not start/);
    const status = await opened.control.status();
    assert.ok(status.ok);
    assert.equal((status.value as StatusSnapshot).lifecycle.state, 'failed');
    assert.equal((status.value as StatusSnapshot).lifecycle.lastError?.message, opened.startError?.message);
  } finally {
    await opened.close(0);
  }
});
