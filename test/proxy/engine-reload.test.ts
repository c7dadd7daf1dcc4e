import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { parseConfig, formatDiagnostics } from '../../proxy/config/index.ts';
import type { Config } from '../../proxy/config/model.ts';
import { HTTP_DEFAULTS, freePort, request, startEngine } from '../helpers/net.ts';
import { BindError } from '../../proxy/errors.ts';
import { Engine } from '../../proxy/engine.ts';

function config(text: string): Config {
  const result = parseConfig([{ name: 'reload.cfg', text: HTTP_DEFAULTS + text }]);
  if (!result.ok) throw new Error(formatDiagnostics(result.diagnostics));
  return result.config;
}

const answering = (name: string, port: number, word: string, options = ''): string => `frontend ${name}
    bind 127.0.0.1:${port}${options}
    http-request return status 200 content-type text/plain string ${word}
`;

/** Resolves true when something accepts a TCP connection on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

test('a reload whose new bind fails keeps every listener of the running configuration, routed as before', async () => {
  const [kept, removed, blockedPort] = [await freePort(), await freePort(), await freePort()];
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(blockedPort, '127.0.0.1', r));
  const running = config(answering('kept', kept, 'old-kept') + answering('gone', removed, 'old-gone'));
  const engine = new Engine(running, { sink: { traffic: () => {}, alert: () => {} } });
  await engine.start();
  try {
    const failing = config(answering('kept', kept, 'new-kept') + answering('added', blockedPort, 'new-added'));
    await assert.rejects(engine.reload(failing), BindError);
    assert.equal(engine.currentConfig(), running);
    assert.equal((await request(kept)).body, 'old-kept');
    assert.equal((await request(removed)).body, 'old-gone');
    assert.deepEqual(engine.addresses().map((a) => a.port).sort(), [kept, removed].sort());

    // The same reload without the conflict applies, and only then the removed listener goes away.
    await new Promise<void>((r) => blocker.close(() => r()));
    await engine.reload(failing);
    assert.equal((await request(kept)).body, 'new-kept');
    assert.equal((await request(blockedPort)).body, 'new-added');
    assert.equal(await accepts(removed), false);
  } finally {
    blocker.close();
    await engine.stop(200);
  }
});

test('a reload that changes how an address is bound (same port, other options) rebinds it', async () => {
  const port = await freePort();
  const e = await startEngine(HTTP_DEFAULTS + answering('web', port, 'plain'));
  try {
    await e.engine.reload(config(answering('web', port, 'dual', ' v4v6')));
    assert.equal((await request(port)).body, 'dual');
    await e.engine.reload(config(answering('web', port, 'plain-again')));
    assert.equal((await request(port)).body, 'plain-again');
  } finally {
    await e.stop();
  }
});

test('a failed reload reopens an address it had to free for a rebind with other options', async () => {
  const [port, blockedPort] = [await freePort(), await freePort()];
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(blockedPort, '127.0.0.1', r));
  const e = await startEngine(HTTP_DEFAULTS + answering('web', port, 'plain'));
  try {
    const failing = config(answering('web', port, 'dual', ' v4v6') + answering('added', blockedPort, 'added'));
    await assert.rejects(e.engine.reload(failing), BindError);
    assert.equal((await request(port)).body, 'plain');
  } finally {
    blocker.close();
    await e.stop();
  }
});
