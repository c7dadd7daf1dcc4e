import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import net from 'node:net';
import { hashPassword } from '../../../proxy/admin/password.ts';
import type { PasswordRecord } from '../../../proxy/admin/password.ts';
import { SessionStore, LoginLimiter } from '../../../proxy/admin/sessions.ts';
import { loadCertificate } from '../../../proxy/tls/pem.ts';
import { defaultUiDir } from '../../../proxy/admin/static.ts';
import { fakeControl, adminWith, call, session } from './helpers.ts';
import { certPath, testCa } from '../../helpers/tls.ts';

let record: PasswordRecord | undefined;
async function passwordRecord(): Promise<PasswordRecord> {
  return (record ??= await hashPassword('correct horse battery'));
}

function form(password: string): string {
  return new URLSearchParams({ username: 'admin', password }).toString();
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

test('every answer carries the strict CSP and the other security headers', async () => {
  const admin = await adminWith({ control: fakeControl() });
  try {
    for (const [method, p] of [['GET', '/'], ['GET', '/api/session'], ['POST', '/api/status'], ['GET', '/nothing.js']] as const) {
      const answer = await call(admin.port, method, p);
      const csp = String(answer.headers['content-security-policy']);
      for (const directive of ["default-src 'self'", "script-src 'self'", "style-src-elem 'self'", "style-src-attr 'unsafe-inline'", "img-src 'self' data:", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"]) {
        assert.ok(csp.split('; ').includes(directive), `${method} ${p}: ${directive} in ${csp}`);
      }
      assert.doesNotMatch(csp, /script-src[^;]*(unsafe-inline|unsafe-eval)/);
      assert.equal(answer.headers['x-content-type-options'], 'nosniff');
      assert.equal(answer.headers['referrer-policy'], 'no-referrer');
      assert.equal(answer.headers['x-frame-options'], 'DENY');
    }
  } finally {
    await admin.close();
  }
});

/** `<script>` elements without src, event-handler attributes or javascript: URLs. */
function inlineScript(html: string): string | undefined {
  const scripts = html.match(/<script\b[^>]*>[\s\S]*?<\/script>/gi) ?? [];
  return scripts.find((s) => !/\bsrc=/.test(s) || !/<script\b[^>]*>\s*<\/script>/i.test(s))
    ?? html.match(/\son[a-z]+\s*=/i)?.[0] ?? html.match(/javascript:/i)?.[0];
}

test('the served HTML has no inline script: the built UI (or the not-built page) and the login page', async () => {
  const admin = await adminWith({ control: fakeControl(), password: await passwordRecord() });
  const open = await adminWith({ control: fakeControl() });
  try {
    const login = await call(admin.port, 'GET', '/login');
    assert.equal(login.status, 200);
    assert.equal(inlineScript(login.body), undefined);
    assert.doesNotMatch(login.body, /<style|style=/, 'the login page styles come from /login.css');
    assert.match(login.body, /<link rel="stylesheet" href="\/login.css">/);
    const css = await call(admin.port, 'GET', '/login.css');
    assert.match(String(css.headers['content-type']), /^text\/css/);
    const index = await call(open.port, 'GET', '/');
    assert.equal(index.status, 200);
    assert.match(String(index.headers['content-type']), /^text\/html/);
    assert.equal(inlineScript(index.body), undefined, fs.existsSync(defaultUiDir()) ? 'dist/renderer/index.html' : 'the not-built page');
  } finally {
    await admin.close();
    await open.close();
  }
});

test('a Host that is not the admin\'s own address is refused (DNS rebinding); loopback names with the right port are accepted', async () => {
  const admin = await adminWith({ control: fakeControl() });
  try {
    for (const host of ['evil.example', `evil.example:${admin.port}`, `127.0.0.1:${admin.port + 1}`, '127.0.0.1', `10.0.0.1:${admin.port}`]) {
      const answer = await call(admin.port, 'GET', '/api/session', { host });
      assert.equal(answer.status, 403, `Host: ${host}`);
      assert.equal(answer.json().error.code, 'LS_ERR_CTL_FORBIDDEN');
    }
    for (const host of [`127.0.0.1:${admin.port}`, `localhost:${admin.port}`, `[::1]:${admin.port}`]) {
      assert.equal((await call(admin.port, 'GET', '/api/session', { host })).status, 200, `Host: ${host}`);
    }
    const page = await call(admin.port, 'GET', '/', { host: 'rebound.example' });
    assert.equal(page.status, 403);
    // HTTP/1.0 without any Host header.
    const raw = await new Promise<string>((resolve) => {
      const socket = net.connect(admin.port, '127.0.0.1', () => socket.end('GET /api/session HTTP/1.0\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('close', () => resolve(text));
    });
    assert.match(raw, /^HTTP\/1\.1 403 /);
    // Two Host headers, the first this server's: Node keeps the first, a proxy in front may route by the last. Refused.
    const twice = await new Promise<string>((resolve) => {
      const socket = net.connect(admin.port, '127.0.0.1', () => socket.end(`GET /api/session HTTP/1.1\r\nHost: 127.0.0.1:${admin.port}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`));
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('close', () => resolve(text));
    });
    assert.match(twice, /^HTTP\/1\.1 400 [^]*more than one Host header/);
  } finally {
    await admin.close();
  }
});

test('a POST without the CSRF token, with another session\'s token, without Origin or from another Origin is refused; the page\'s own request passes', async () => {
  const control = fakeControl();
  const admin = await adminWith({ control });
  try {
    const mine = await session(admin);
    const other = await session(admin);
    const body = JSON.stringify({ args: ['web', 'a', 'drain'] });
    const refused: Array<[string, Record<string, string>]> = [
      ['no token', { ...mine.headers, 'x-loadstar-csrf': '' }],
      ['no cookie', { ...mine.headers, cookie: '' }],
      ['another session\'s token', { ...mine.headers, 'x-loadstar-csrf': other.token }],
      ['a foreign Origin', { ...mine.headers, origin: 'http://evil.example' }],
      ['the right host over another scheme', { ...mine.headers, origin: `https://127.0.0.1:${admin.port}` }],
      ['Origin null', { ...mine.headers, origin: 'null' }],
    ];
    for (const [what, headers] of refused) {
      const answer = await call(admin.port, 'POST', '/api/setServerState', headers, body);
      assert.equal(answer.status, 403, what);
      assert.equal(answer.json().error.code, 'LS_ERR_CTL_FORBIDDEN', what);
    }
    const { origin: _o, ...noOrigin } = mine.headers;
    assert.equal((await call(admin.port, 'POST', '/api/setServerState', noOrigin, body)).status, 403, 'no Origin');
    assert.equal(control.calls.length, 0);
    const ok = await call(admin.port, 'POST', '/api/setServerState', mine.headers, body);
    assert.equal(ok.status, 200);
    assert.deepEqual(control.calls, [{ method: 'setServerState', args: ['web', 'a', 'drain'] }]);
    const events = await call(admin.port, 'GET', '/api/events', { origin: 'http://evil.example' });
    assert.equal(events.status, 403, 'a foreign page cannot read the event stream either');
  } finally {
    await admin.close();
  }
});

test('a client certificate (its private key in the answer) and a CA file import pass only with the page\'s CSRF token and Origin, and never by GET', async () => {
  const control = fakeControl();
  const admin = await adminWith({ control });
  try {
    const mine = await session(admin);
    const calls: Array<[string, unknown]> = [['certIssueClient', { commonName: 'alice', password: 'pw' }], ['certTrustImport', { name: 'partners', pem: '-----BEGIN CERTIFICATE-----' }]];
    for (const [method, arg] of calls) {
      const body = JSON.stringify({ args: [arg] });
      assert.equal((await call(admin.port, 'POST', `/api/${method}`, { ...mine.headers, origin: 'http://evil.example' }, body)).status, 403, `${method} from a foreign page`);
      assert.equal((await call(admin.port, 'POST', `/api/${method}`, { ...mine.headers, 'x-loadstar-csrf': '' }, body)).status, 403, `${method} without the token`);
      assert.notEqual((await call(admin.port, 'GET', `/api/${method}`, mine.headers)).status, 200, `${method} by GET`);
    }
    assert.equal(control.calls.length, 0);
    for (const [method, arg] of calls) assert.equal((await call(admin.port, 'POST', `/api/${method}`, mine.headers, JSON.stringify({ args: [arg] }))).status, 200);
    assert.deepEqual(control.calls.map((c) => c.method), ['certIssueClient', 'certTrustImport']);
  } finally {
    await admin.close();
  }
});

test('with a password: pages redirect to the login, the API answers 401, a login gives an HttpOnly SameSite=Strict session cookie that opens both', async () => {
  const admin = await adminWith({ control: fakeControl(), password: await passwordRecord() });
  try {
    const page = await call(admin.port, 'GET', '/');
    assert.equal(page.status, 303);
    assert.equal(page.headers.location, '/login');
    assert.equal((await call(admin.port, 'GET', '/api/session')).status, 401);
    assert.equal((await call(admin.port, 'GET', '/api/events')).status, 401);
    assert.equal((await call(admin.port, 'POST', '/api/status', { origin: admin.origin })).status, 401);

    const wrong = await call(admin.port, 'POST', '/login', { ...FORM, origin: admin.origin }, form('wrong password'));
    assert.equal(wrong.status, 303);
    assert.equal(wrong.headers.location, '/login?failed=password');
    assert.equal(wrong.headers['set-cookie'], undefined);
    assert.match((await call(admin.port, 'GET', '/login?failed=password')).body, /Wrong password/);

    // A form posted from the login page (Referrer-Policy same-origin) carries this server's Origin, and Sec-Fetch-Site: same-origin.
    const right = await call(admin.port, 'POST', '/login', { ...FORM, origin: admin.origin, 'sec-fetch-site': 'same-origin' }, form('correct horse battery'));
    assert.equal(right.status, 303);
    assert.equal(right.headers.location, '/');
    const cookie = right.headers['set-cookie']![0]!;
    assert.match(cookie, new RegExp(`^loadstar_session_${admin.port}=[A-Za-z0-9_-]{40,}; HttpOnly; SameSite=Strict; Path=/$`));
    const jar = cookie.split(';')[0]!;
    assert.equal((await call(admin.port, 'GET', '/', { cookie: jar })).status, 200);
    const s = await session(admin, jar);
    assert.equal((await call(admin.port, 'GET', '/api/session', { cookie: jar })).json().value.authenticated, true);
    assert.equal((await call(admin.port, 'POST', '/api/status', s.headers, '{"args":[]}')).status, 200);

    // Logging out ends the session.
    assert.equal((await call(admin.port, 'POST', '/logout', s.headers)).status, 200);
    assert.equal((await call(admin.port, 'GET', '/api/session', { cookie: jar })).status, 401);
  } finally {
    await admin.close();
  }
});

test('wrong passwords are rate-limited per address: the sixth attempt within a minute gets 429 with Retry-After, even with the right password', async () => {
  const admin = await adminWith({ control: fakeControl(), password: await passwordRecord() });
  try {
    for (let i = 0; i < 5; i++) {
      assert.equal((await call(admin.port, 'POST', '/login', { ...FORM, origin: admin.origin }, form(`guess ${i}`))).status, 303);
    }
    const limited = await call(admin.port, 'POST', '/login', { ...FORM, origin: admin.origin }, form('correct horse battery'));
    assert.equal(limited.status, 429);
    const wait = Number(limited.headers['retry-after']);
    assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
    assert.match(limited.body, /Too many attempts/);
    assert.equal(limited.headers['set-cookie'], undefined);
  } finally {
    await admin.close();
  }
});

test('the login limiter forgets attempts after its window and a success clears an address', () => {
  let now = 0;
  const limiter = new LoginLimiter(5, 60_000, 10_000, () => now);
  for (let i = 0; i < 5; i++) assert.equal(limiter.attempt('192.0.2.1'), 0);
  assert.equal(limiter.attempt('192.0.2.1'), 60);
  assert.equal(limiter.attempt('192.0.2.2'), 0, 'another address is not affected');
  now = 30_000;
  assert.equal(limiter.attempt('192.0.2.1'), 30);
  now = 60_001;
  assert.equal(limiter.attempt('192.0.2.1'), 0);
  limiter.succeeded('192.0.2.1');
  for (let i = 0; i < 4; i++) assert.equal(limiter.attempt('192.0.2.1'), 0);
});

test('sessions end after their idle time and their lifetime, and their number is capped', () => {
  let now = 0;
  const store = new SessionStore({ idleMs: 1000, lifetimeMs: 5000, max: 3, now: () => now });
  const a = store.create(true);
  now = 900;
  assert.equal(store.get(a.id), a);
  now = 1800;
  assert.equal(store.get(a.id), a, 'used within the idle time');
  now = 2801;
  assert.equal(store.get(a.id), undefined, 'idle too long');
  const b = store.create(true);
  for (now = 3000; now < 8000; now += 500) if (!store.get(b.id)) break;
  assert.equal(now, 3000 + 5000, 'ended at its lifetime although used');
  const many = [store.create(false), store.create(false), store.create(false), store.create(false)];
  assert.equal(store.size, 3);
  assert.equal(store.get(many[0]!.id), undefined, 'the least recently used went first');
});

test('only files under the build directory are served: encoded and raw .., backslashes, NUL and symlinks out are refused', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-ui-'));
  const ui = path.join(root, 'renderer');
  fs.mkdirSync(path.join(ui, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(ui, 'index.html'), '<!doctype html><title>ui</title><script type="module" src="./assets/app-AbCd1234.js"></script>');
  fs.writeFileSync(path.join(ui, 'assets', 'app-AbCd1234.js'), 'console.log(1)');
  fs.writeFileSync(path.join(ui, 'assets', 'logo.svg'), '<svg/>');
  fs.writeFileSync(path.join(root, 'secret.txt'), 'TOP SECRET');
  fs.symlinkSync(path.join(root, 'secret.txt'), path.join(ui, 'assets', 'link.txt'));
  const admin = await adminWith({ control: fakeControl(), uiDir: ui });
  try {
    const attacks = [
      '/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E%2Fsecret.txt', '/..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt', '/assets/..%5c..%5csecret.txt', '/..\\secret.txt', '/%252e%252e/secret.txt',
      '/index.html%00.js', '/assets/%c0%ae%c0%ae/secret.txt', '/./index.html', '/assets/link.txt',
    ];
    for (const p of attacks) {
      const answer = await call(admin.port, 'GET', p);
      assert.ok(answer.status === 400 || answer.status === 404, `${p}: ${answer.status}`);
      assert.doesNotMatch(answer.body, /TOP SECRET/, p);
    }
    const js = await call(admin.port, 'GET', '/assets/app-AbCd1234.js');
    assert.equal(js.status, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    const svg = await call(admin.port, 'GET', '/assets/logo.svg');
    assert.equal(svg.headers['content-type'], 'image/svg+xml');
    assert.equal(svg.headers['cache-control'], 'no-cache', 'not a hashed name');
    const index = await call(admin.port, 'GET', '/');
    assert.equal(index.headers['cache-control'], 'no-cache');
    assert.match(index.body, /<title>ui<\/title>/);
    assert.match((await call(admin.port, 'GET', '/backends/web?x=1')).body, /<title>ui<\/title>/, 'client-side routes get the page');
    assert.equal((await call(admin.port, 'GET', '/missing.js')).status, 404);
    assert.equal((await call(admin.port, 'HEAD', '/assets/app-AbCd1234.js')).body, '');
  } finally {
    await admin.close();
  }
});

test('without a built UI the admin serves a page that says how to build it', async () => {
  const admin = await adminWith({ control: fakeControl(), uiDir: path.join(os.tmpdir(), 'loadstar-no-such-ui') });
  try {
    assert.equal(admin.uiBuilt, false);
    const page = await call(admin.port, 'GET', '/');
    assert.equal(page.status, 200);
    assert.match(page.body, /UI not built/);
    assert.match(page.body, /npm run build/);
  } finally {
    await admin.close();
  }
});

test('--tls-crt serves the admin over HTTPS with a Secure session cookie; the certificate\'s names are accepted as Host', async () => {
  const loaded = loadCertificate(certPath('site.pem'));
  const admin = await adminWith({ control: fakeControl(), password: await passwordRecord(), tls: { certPem: loaded.certPem, keyPem: loaded.keyPem, names: loaded.names } });
  try {
    assert.match(admin.url, /^https:\/\//);
    const answer = await new Promise<{ status: number; cookie: string; hsts: string }>((resolve, reject) => {
      const req = https.request({
        host: '127.0.0.1', port: admin.port, method: 'POST', path: '/login', servername: 'site.home.arpa', ca: testCa, agent: false,
        headers: { host: `site.home.arpa:${admin.port}`, origin: `https://site.home.arpa:${admin.port}`, ...FORM },
      }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, cookie: String(res.headers['set-cookie']?.[0]), hsts: String(res.headers['strict-transport-security']) }));
      });
      req.on('error', reject);
      req.end(form('correct horse battery'));
    });
    assert.equal(answer.status, 303);
    assert.match(answer.cookie, /; HttpOnly; SameSite=Strict; Path=\/; Secure$/);
    assert.match(answer.hsts, /max-age=/);
  } finally {
    await admin.close();
  }
});
