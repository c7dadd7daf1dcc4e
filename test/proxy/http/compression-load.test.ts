/**
 * `maxcomprate` and `maxcompcpuusage` (proxy/http/compression-load.ts): past the rate limit a new
 * response is not compressed, compared with haproxy 2.6.12 on the same exchanges; `set rate-limit
 * http-compression global` changes the limit until a reload and `show info` reports it; the CPU
 * limit reads the event loop's idle share. Before, a limit other than "none" was refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { parseConfig } from '../../../proxy/config/index.ts';
import { CompressionLoad, compressionLimits, compressionLoad } from '../../../proxy/http/compression-load.ts';
import { startEngine, freePort } from '../../helpers/net.ts';
import { haproxyPath, startHaproxy } from '../../helpers/haproxy.ts';

/** 8 KB of compressible text per answer: far over a 1 kB/s limit. */
const BODY = 'compress me, please. '.repeat(400);

async function origin(): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(BODY) }).end(BODY));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The Content-Encoding of each answer (`-` for none), requests one after the other on new connections. */
async function encodings(port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: `/${i}`, headers: { 'accept-encoding': 'gzip' }, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.headers['content-encoding'] ?? '-')));
      }).on('error', reject);
    }));
  }
  return out;
}

function cli(path: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    let out = '';
    s.on('data', (d) => (out += d));
    s.on('end', () => resolve(out));
    s.on('error', reject);
    s.end(`${command}\n`);
  });
}

const config = (port: number, originPort: number, socket: string): string => `global
    maxcomprate 1
    stats socket ${socket} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    compression algo gzip
    compression type text/plain
    default_backend app
backend app
    server s1 127.0.0.1:${originPort}
`;

test('maxcomprate: a response past the compression rate goes uncompressed, as haproxy 2.6.12 does; set rate-limit http-compression lifts it until a reload', { timeout: 30_000 }, async () => {
  const app = await origin();
  const socket = `/tmp/loadstar-complimit-${process.pid}.sock`;
  try {
    const port = await freePort();
    const engine = await startEngine(config(port, app.port, socket));
    let loadstar: string[];
    let info: string[];
    try {
      // The first answer is compressed (nothing yet in the last second); the next ones are over 1 kB/s.
      loadstar = await encodings(port, 3);
      info = [(await cli(socket, 'show info')).match(/^CompressBpsRateLim: .*$/m)![0]];
      await cli(socket, 'set rate-limit http-compression global 0');
      info.push((await cli(socket, 'show info')).match(/^CompressBpsRateLim: .*$/m)![0]);
      loadstar.push(...await encodings(port, 2));
    } finally {
      await engine.stop();
    }
    assert.deepEqual(loadstar, ['gzip', '-', '-', 'gzip', 'gzip']);
    assert.deepEqual(info, ['CompressBpsRateLim: 1024', 'CompressBpsRateLim: 0']);
    // A stop (as a reload) forgets the runtime override.
    assert.equal(compressionLoad.rateLimitOverride, undefined);
    if (!haproxyPath) return;
    const hport = await freePort();
    const hsocket = `${socket}.haproxy`;
    const haproxy = await startHaproxy(config(hport, app.port, hsocket), hport);
    try {
      const seen = await encodings(hport, 3);
      const hinfo = [(await cli(hsocket, 'show info')).match(/^CompressBpsRateLim: .*$/m)![0]];
      await cli(hsocket, 'set rate-limit http-compression global 0');
      hinfo.push((await cli(hsocket, 'show info')).match(/^CompressBpsRateLim: .*$/m)![0]);
      seen.push(...await encodings(hport, 2));
      assert.deepEqual(seen, loadstar, 'haproxy compressed the same answers');
      assert.deepEqual(hinfo, info);
    } finally {
      await haproxy.stop();
    }
  } finally {
    await app.close();
  }
});

test('the limits: bytes over the last second against maxcomprate × 1024, the idle share against 100 − maxcompcpuusage', () => {
  const tune = (t: Record<string, string>) => compressionLimits(t);
  assert.deepEqual(tune({}), { rateLimit: 0, minIdlePct: 0 });
  assert.deepEqual(tune({ maxcomprate: '4', maxcompcpuusage: '80' }), { rateLimit: 4096, minIdlePct: 20 });
  const load = new CompressionLoad();
  assert.ok(load.allows(tune({ maxcomprate: '4' })));
  load.countInput(5000);
  assert.ok(!load.allows(tune({ maxcomprate: '4' })), '5000 B in the last second, over 4096');
  assert.ok(load.allows(tune({ maxcomprate: '5' })));
  load.idlePct = 15;
  assert.ok(!load.allows(tune({ maxcompcpuusage: '80' })), 'busy 85 %, over 80');
  assert.ok(load.allows(tune({ maxcompcpuusage: '90' })));
  assert.ok(load.allows(tune({})), 'no limits');
});

test('maxcompcpuusage: responses go uncompressed while the event loop was busier than the limit over the last second', { timeout: 20_000 }, async () => {
  const app = await origin();
  const port = await freePort();
  const engine = await startEngine(config(port, app.port, `/tmp/loadstar-complimit-cpu-${process.pid}.sock`).replace('maxcomprate 1', 'maxcompcpuusage 20'));
  try {
    assert.deepEqual(await encodings(port, 1), ['gzip']);
    // A second of the event loop kept busy (the engine shares this process): the next tick measures it.
    const until = Date.now() + 1200;
    while (Date.now() < until) { /* busy */ }
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(compressionLoad.idlePct < 80, `idle ${compressionLoad.idlePct} %`);
    assert.deepEqual(await encodings(port, 1), ['-']);
  } finally {
    await engine.stop();
    await app.close();
  }
  assert.ok(parseConfig([{ name: 'x.cfg', text: 'global\n    maxcompcpuusage 101\n' }]).diagnostics.some((d) => d.message === "'maxcompcpuusage' expects an integer argument between 0 and 100."));
});
