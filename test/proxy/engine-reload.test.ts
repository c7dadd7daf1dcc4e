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

/** One keep-alive client connection: send a request, read one answer (content-length framed), see when it closes. */
function keepAliveClient(port: number): { ask(path: string): Promise<string>; closed: Promise<void> } {
  const socket = net.connect(port, '127.0.0.1');
  let buffered = '';
  let waiting: ((answer: string) => void) | undefined;
  socket.on('data', (d) => {
    buffered += d.toString('latin1');
    const end = buffered.indexOf('\r\n\r\n');
    const length = Number(/content-length: *(\d+)/i.exec(buffered)?.[1] ?? 'NaN');
    if (end >= 0 && buffered.length >= end + 4 + length && waiting) {
      const answer = buffered.slice(0, end + 4 + length);
      buffered = buffered.slice(end + 4 + length);
      waiting(answer);
    }
  });
  socket.on('error', () => {});
  return {
    ask(path) {
      socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
      return new Promise((resolve) => (waiting = resolve));
    },
    closed: new Promise((resolve) => socket.once('close', () => resolve())),
  };
}

test('after a reload every kept-alive client connection ends after its next answer (connection: close), idle or busy, and reconnects to the new configuration', async () => {
  const port = await freePort();
  const slowOrigin = net.createServer((s) => {
    s.on('error', () => {});
    s.on('data', () => setTimeout(() => s.write('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nslow'), 300));
  });
  await new Promise<void>((r) => slowOrigin.listen(0, '127.0.0.1', r));
  const originPort = (slowOrigin.address() as net.AddressInfo).port;
  const before = `frontend web
    bind 127.0.0.1:${port}
    http-request return status 200 content-type text/plain string old if { path /word }
    default_backend slow
backend slow
    server s1 127.0.0.1:${originPort}
`;
  const e = await startEngine(HTTP_DEFAULTS + before);
  try {
    const idle = keepAliveClient(port);
    assert.match(await idle.ask('/word'), /\r\n\r\nold$/);
    const busy = keepAliveClient(port);
    assert.match(await busy.ask('/word'), /\r\n\r\nold$/);
    const inFlight = busy.ask('/slow');
    await new Promise((r) => setTimeout(r, 50));
    await e.engine.reload(config(before.replace('string old', 'string new')));
    // Before: both stayed on the old configuration for as long as they were kept alive.
    const answer = await inFlight;
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(answer, /\r\nconnection: close\r\n/);
    await busy.closed;
    // An idle one is not cut (a request may be on its way): its next answer closes it.
    const last = await idle.ask('/word');
    assert.match(last, /\r\nconnection: close\r\n/);
    await idle.closed;
    assert.equal((await request(port, '/word')).body, 'new');
  } finally {
    slowOrigin.close();
    await e.stop();
  }
});

test('a drain or maintenance set at runtime on servers without checks survives a reload (as a checked server\'s does); a maintenance from `disabled` ends when the configuration drops the word', async () => {
  const port = await freePort();
  const site = (s2Options = ''): string => `frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server s1 127.0.0.1:1
    server s2 127.0.0.1:2${s2Options}
    server s3 127.0.0.1:3
    server s4 127.0.0.1:4 check inter 60s${s2Options}
`;
  const e = await startEngine(HTTP_DEFAULTS + site());
  try {
    const app = (): NonNullable<ReturnType<Engine['backend']>> => e.engine.backend('app')!;
    app().setServerAdmin(app().server('s1')!, 'DRAIN');
    app().setServerAdmin(app().server('s2')!, 'MAINT');
    await e.engine.reload(config(site()));
    assert.deepEqual(app().servers.slice(0, 3).map((s) => [s.name, s.admin, s.usable]), [['s1', 'DRAIN', false], ['s2', 'MAINT', false], ['s3', 'READY', true]]);
    // Taken out in the configuration, then put back there: the configuration's word counts both times.
    await e.engine.reload(config(site(' disabled')));
    assert.deepEqual([app().server('s2')!.admin, app().server('s4')!.admin], ['MAINT', 'MAINT']);
    await e.engine.reload(config(site()));
    assert.deepEqual(app().servers.slice(0, 3).map((s) => [s.name, s.admin, s.usable]), [['s1', 'DRAIN', false], ['s2', 'READY', true], ['s3', 'READY', true]]);
    assert.equal(app().server('s4')!.admin, 'READY', 'a checked server too');
  } finally {
    await e.stop();
  }
});
