/**
 * `loadstar serve`'s admin server and control API against a hostile or careless client, on a real
 * appliance (engine, config store, certificate store in a temporary data dir): malformed, huge and
 * deeply nested JSON, wrong types, NUL and odd Unicode, path traversal in every name, foreign or
 * missing Origin and CSRF token, odd methods and query strings, bodies abandoned half-way, event
 * streams opened and dropped, and two configuration saves at once. Every answer is a clear 4xx or
 * a refused Result naming what is wrong; never a 5xx, an internal error or an [ALERT] in the log,
 * never a configuration file replaced or truncated, and the server answers afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openAppliance } from '../../../proxy/admin/appliance.ts';
import type { Appliance } from '../../../proxy/admin/appliance.ts';
import { startAdminServer } from '../../../proxy/admin/server.ts';
import type { AdminServer } from '../../../proxy/admin/server.ts';
import { parseListen } from '../../../proxy/admin/listen.ts';
import { API_ROUTES } from '../../../proxy/admin/routes.ts';
import { call, session, fixedSiteConfig } from './helpers.ts';
import type { Answer } from './helpers.ts';
import { freePort } from '../../helpers/net.ts';

interface Rig {
  dir: string;
  file: string;
  app: Appliance;
  admin: AdminServer;
  port: number;
  origin: string;
  headers: Record<string, string>;
  logs: string[];
  post(method: string, body: string, headers?: Record<string, string>): Promise<Answer>;
  close(): Promise<void>;
}

async function rig(): Promise<Rig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-hostile-api-'));
  const file = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(file, fixedSiteConfig(await freePort()));
  const logs: string[] = [];
  const app = await openAppliance(dir, { graceMs: 0, log: (l) => logs.push(l) });
  const admin = await startAdminServer({ control: app.control, listen: parseListen('127.0.0.1:0'), log: (l) => logs.push(l), events: { heartbeatMs: 100 } });
  const origin = `http://127.0.0.1:${admin.port}`;
  const s = await session({ port: admin.port, origin });
  return {
    dir, file, app, admin, port: admin.port, origin, headers: s.headers, logs,
    post: (method, body, headers = {}) => call(admin.port, 'POST', `/api/${method}`, { ...s.headers, ...headers }, body),
    close: async () => {
      await admin.close();
      await app.close(0);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The log has no [ALERT] (an exception inside Loadstar), and the server still answers. */
async function stillSound(r: Rig): Promise<void> {
  assert.deepEqual(r.logs.filter((l) => /\[ALERT\]|unexpected/i.test(l)), []);
  const status = await r.post('status', '');
  assert.equal(status.status, 200, status.body);
  assert.equal(status.json().ok, true);
}

function without(headers: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k !== name));
}

function deep(depth: number, open: string, close: string, leaf = '1'): string {
  return open.repeat(depth) + leaf + close.repeat(depth);
}

/** Argument values no method expects: wrong types, deep nesting, NUL, lone surrogates, traversal, huge text. */
const HOSTILE_VALUES: string[] = [
  'null', 'true', '-1', '1e308', '0.5', '""', '[]', '{}',
  JSON.stringify('../../../etc/passwd'), JSON.stringify('..\\..\\haproxy'), JSON.stringify('a\u0000b'), '"\\ud800\\udfff\\ud800"', JSON.stringify('line\nbreak\r\nx'),
  JSON.stringify('\u202e\u2028\ufeff'), JSON.stringify('x'.repeat(300_000)),
  deep(5000, '[', ']'), deep(5000, '{"a":', '}'),
  '{"__proto__":{"name":"x","pems":["x"],"text":"x"},"constructor":{"prototype":{"polluted":1}}}',
  '{"name":"../x","pems":["-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----"],"text":"","baseHash":"x","source":"editor"}',
];

/** Methods that start, stop or reach the network are driven by the other tests, not by junk. */
const NOT_FUZZED = new Set(['start', 'stop', 'probeServer', 'checkListen', 'applyConfig']);

test('every control method answers hostile arguments with a registered refusal, never a 5xx or an internal error, and the configuration file is untouched', async () => {
  const r = await rig();
  try {
    const before = fs.readFileSync(r.file);
    let refused = 0;
    for (const route of API_ROUTES.values()) {
      if (NOT_FUZZED.has(route.method)) continue;
      for (const [i, value] of HOSTILE_VALUES.entries()) {
        const count = Math.max(route.minArgs, 1);
        const args = Array.from({ length: Math.min(count, route.maxArgs) }, (_, k) => HOSTILE_VALUES[(i + k) % HOSTILE_VALUES.length]!);
        const body = route.maxArgs === 0 ? '' : `{"args":[${args.join(',')}]}`;
        const answer = await r.post(route.method, body);
        assert.ok(answer.status < 500, `${route.path} ${value.slice(0, 60)}: ${answer.status} ${answer.body.slice(0, 300)}`);
        const result = answer.json();
        if (result.ok === false) {
          refused++;
          assert.notEqual(result.error.code, 'LS_ERR_CTL_INTERNAL', `${route.path} ${value.slice(0, 60)}: ${answer.body.slice(0, 300)}`);
          assert.ok(typeof result.error.message === 'string' && result.error.message.length > 0);
        }
      }
    }
    assert.ok(refused > 300, `${refused} refusals`);
    assert.ok(fs.readFileSync(r.file).equals(before), 'the configuration file is unchanged');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    await stillSound(r);
  } finally {
    await r.close();
  }
});

test('transport-level junk gets a 4xx with a registered code and a message saying what is wrong', async () => {
  const r = await rig();
  try {
    const { port, origin, headers } = r;
    const cases: Array<[string, () => Promise<Answer>, number, RegExp]> = [
      ['not JSON', () => r.post('status', '{"args":['), 400, /not JSON/],
      ['a BOM before the JSON', () => r.post('status', '\ufeff{"args":[]}'), 400, /not JSON/],
      ['JSON nested 100,000 deep', () => r.post('validateConfig', `{"args":[${deep(100_000, '[', ']')}]}`), 400, /nested more than 64 levels deep/],
      ['objects nested 5,000 deep', () => r.post('getVersion', `{"args":[${deep(5000, '{"a":', '}')}]}`), 400, /nested more than 64 levels deep/],
      ['a JSON array body', () => r.post('status', '[]'), 400, /must be a JSON object/],
      ['args an object', () => r.post('status', '{"args":{"length":0}}'), 400, /"args" must be a JSON array/],
      ['too many args', () => r.post('certList', '{"args":[1]}'), 400, /certList takes 0 arguments, got 1/],
      ['missing args', () => r.post('setServerState', '{}'), 400, /setServerState takes 3 arguments, got 0/],
      ['text/plain', () => r.post('status', '{"args":[]}', { 'content-type': 'text/plain' }), 415, /Content-Type: application\/json/],
      ['form encoded', () => r.post('status', 'args=1', { 'content-type': 'application/x-www-form-urlencoded' }), 415, /Content-Type: application\/json/],
      ['no content type', () => r.post('status', '{"args":[]}', { 'content-type': '' }), 415, /Content-Type: application\/json/],
      ['a body over 2 MiB', () => r.post('validateConfig', JSON.stringify({ args: ['#'.repeat(2 * 1024 * 1024)] })), 413, /larger than 2097152 bytes/],
      ['an unknown method', () => r.post('reboot', '{"args":[]}'), 404, /no such method: \/api\/reboot/],
      ['a NUL in the method', () => call(port, 'POST', '/api/status%00', headers, '{"args":[]}'), 404, /no such method/],
      ['a traversal out of the API', () => call(port, 'POST', '/api/../../etc/passwd', headers, '{"args":[]}'), 404, /no such method/],
      ['GET on a method', () => call(port, 'GET', '/api/status', headers), 405, /use POST/],
      ['OPTIONS', () => call(port, 'OPTIONS', '/api/status', headers), 405, /use POST/],
      ['PUT', () => call(port, 'PUT', '/api/status', headers, '{}'), 405, /use POST/],
      ['PROPFIND', () => call(port, 'PROPFIND', '/', headers), 405, /use GET, HEAD/],
      ['DELETE on the events', () => call(port, 'DELETE', '/api/events', headers), 405, /use POST/],
      ['unknown topics, many of them', () => call(port, 'GET', `/api/events?topics=${'nope,'.repeat(1500)}`, headers), 400, /unknown topics? 'nope/],
      ['a query string of 10,000 parameters', () => call(port, 'GET', `/api/events?${'a=1&'.repeat(2000)}topics=bogus`, headers), 400, /unknown topic 'bogus'/],
      ['no Origin', () => call(port, 'POST', '/api/status', without(headers, 'origin'), '{"args":[]}'), 403, /must carry an Origin/],
      ['an empty Origin', () => r.post('status', '{"args":[]}', { origin: '' }), 403, /origin '' are not accepted/],
      ['a foreign Origin', () => r.post('status', '{"args":[]}', { origin: 'http://evil.example' }), 403, /origin 'http:\/\/evil\.example' are not accepted/],
      ['Origin null', () => r.post('status', '{"args":[]}', { origin: 'null' }), 403, /origin 'null' are not accepted/],
      ['same host, other port', () => r.post('status', '{"args":[]}', { origin: `http://127.0.0.1:${port + 1}` }), 403, /not accepted/],
      ['same host, https', () => r.post('status', '{"args":[]}', { origin: `https://127.0.0.1:${port}` }), 403, /not accepted/],
      ['no CSRF token', () => call(port, 'POST', '/api/status', without(headers, 'x-loadstar-csrf'), '{"args":[]}'), 403, /missing or wrong CSRF token/],
      ['an empty CSRF token', () => r.post('status', '{"args":[]}', { 'x-loadstar-csrf': '' }), 403, /missing or wrong CSRF token/],
      ['a wrong CSRF token', () => r.post('status', '{"args":[]}', { 'x-loadstar-csrf': 'x'.repeat(64) }), 403, /missing or wrong CSRF token/],
      ['a CSRF token with NUL', () => r.post('status', '{"args":[]}', { 'x-loadstar-csrf': `${headers['x-loadstar-csrf']}%00` }), 403, /missing or wrong CSRF token/],
      ['no session cookie', () => call(port, 'POST', '/api/status', without(headers, 'cookie'), '{"args":[]}'), 403, /missing or wrong CSRF token/],
      ['a foreign Host', () => call(port, 'POST', '/api/status', { ...headers, host: 'evil.example' }, '{"args":[]}'), 403, /is not this admin server's address/],
    ];
    for (const [what, pending, status, message] of cases) {
      const answer = await pending().catch((e: Error) => { throw new Error(`${what}: ${e.message}`); });
      assert.equal(answer.status, status, `${what}: ${answer.body.slice(0, 300)}`);
      const body = answer.json();
      assert.equal(body.ok, false, what);
      assert.match(body.error.code, /^LS_ERR_CTL_(BAD_REQUEST|BAD_VALUE|FORBIDDEN)$/, what);
      assert.match(body.error.message, message, `${what}: ${body.error.message}`);
    }
    const head = await call(port, 'HEAD', '/api/status', headers);
    assert.equal(head.status, 405);
    await stillSound(r);
    assert.equal(origin, `http://127.0.0.1:${port}`);
  } finally {
    await r.close();
  }
});

/** Sends a POST's head and part of its body on a raw socket, then drops the connection. */
async function abandonBody(r: Rig, method: string, declared: number, sent: string): Promise<void> {
  const socket = net.connect(r.port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const h = r.headers;
  socket.write(`POST /api/${method} HTTP/1.1\r\nHost: 127.0.0.1:${r.port}\r\nOrigin: ${r.origin}\r\nCookie: ${h['cookie']}\r\nX-Loadstar-CSRF: ${h['x-loadstar-csrf']}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n${sent}`);
  await new Promise((resolve) => setTimeout(resolve, 30));
  socket.destroy();
}

test('a request body abandoned half-way is the client leaving: no [ALERT], no answer to write, the server answers the next request', async () => {
  const r = await rig();
  try {
    for (let i = 0; i < 10; i++) await abandonBody(r, i % 2 ? 'validateConfig' : 'applyChange', 100_000, '{"args":["global\\n');
    // The server notices each close on its next turn; give it a few.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await stillSound(r);
  } finally {
    await r.close();
  }
});

test('event streams opened by the hundred and dropped without reading: 16 are opened (the cap per client), the rest refused with 429, all released', async () => {
  const r = await rig();
  try {
    const sockets: net.Socket[] = [];
    const heads: string[] = [];
    for (let i = 0; i < 200; i++) {
      const socket = net.connect(r.port, '127.0.0.1');
      socket.on('error', () => {});
      socket.once('data', (d: Buffer) => heads.push(d.toString('latin1').split('\r\n')[0]!));
      socket.write(`GET /api/events?topics=events,stats&lastEventId=${i} HTTP/1.1\r\nHost: 127.0.0.1:${r.port}\r\n\r\n`);
      sockets.push(socket);
    }
    for (let i = 0; i < 250 && heads.length < 200; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(r.admin.streams.size, 16);
    assert.equal(heads.filter((h) => h === 'HTTP/1.1 200 OK').length, 16);
    assert.equal(heads.filter((h) => h === 'HTTP/1.1 429 Too Many Requests').length, 184);
    for (const s of sockets) s.destroy();
    for (let i = 0; i < 100 && r.admin.streams.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(r.admin.streams.size, 0);
    await stillSound(r);
  } finally {
    await r.close();
  }
});

test('two configuration saves at once: one is applied, the other is a conflict; an invalid text never replaces the file', async () => {
  const r = await rig();
  try {
    const current = (await r.post('getConfig', '')).json().value as { text: string; hash: string };
    const one = `${current.text}# saved by window one\n`;
    const two = `${current.text}# saved by window two\n`;
    const save = (text: string, baseHash: string) => r.post('applyChange', JSON.stringify({ args: [{ text, baseHash, source: 'editor' }] })).then((a) => a.json());
    const answers = await Promise.all([save(one, current.hash), save(two, current.hash), save(one, current.hash)]);
    const applied = answers.filter((a) => a.ok && a.value.outcome === 'applied');
    const conflicts = answers.filter((a) => !a.ok && a.error.code === 'LS_ERR_CTL_CONFLICT');
    assert.equal(applied.length, 1, JSON.stringify(answers));
    assert.equal(conflicts.length, 2, JSON.stringify(answers));
    assert.equal(fs.readFileSync(r.file, 'utf8'), one);

    const now = (await r.post('getConfig', '')).json().value as { text: string; hash: string };
    for (const bad of ['frontend web\n    bind 127.0.0.1:99999\n', '\0'.repeat(1000), 'global\n' + '.if 1\n'.repeat(200), `${now.text}    errorfile 503 ${r.dir}\n`]) {
      const answer = await save(bad, now.hash);
      assert.ok(answer.ok ? answer.value.outcome === 'refused' : answer.error.code !== 'LS_ERR_CTL_INTERNAL', JSON.stringify(answer).slice(0, 300));
      assert.equal(fs.readFileSync(r.file, 'utf8'), one, `the file is unchanged after ${JSON.stringify(bad.slice(0, 40))}`);
    }
    await stillSound(r);
  } finally {
    await r.close();
  }
});
