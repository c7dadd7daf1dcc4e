/**
 * The UI's part 2 in a real browser against a real `loadstar serve` (its own
 * data dir) and real origins on 127.0.0.1:
 *  - the seed's ACL-routing site is built entirely through the wizard and
 *    applied; real requests by Host and path reach the right backends;
 *  - the seed's HTTPS site is built through the wizard with a certificate
 *    from the local CA: it serves HTTPS (checked with Node's tls and the
 *    exported CA) and redirects plain HTTP with 301;
 *  - `haproxy -c` accepts every configuration the wizard wrote;
 *  - an edit form keeps comments and directives it does not know byte for byte;
 *  - a broken edit in the editor shows the error at its line and cannot be applied;
 *  - a change that takes every server of a healthy backend away is rolled
 *    back automatically and the page says why; a rollback to an older version works;
 *  - the tracer names the backend a real request reaches;
 *  - a wizard left half-way for another screen resumes as it was left;
 *  - a port taken by another program between the listen step and Apply is refused, nothing changed;
 *  - a frontend and a backend are removed from the Configuration screen (a backend in use is refused);
 *  - a hand edit of haproxy.cfg on disk is reported with compare offered;
 *  - screenshots of every wizard step and screen, light and dark (phone width
 *    for the main ones) under test-output/screenshots/ui2/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import type { Page } from 'playwright-core';
import { freePort } from '../helpers/net.ts';
import { haproxyCheck, haproxyPath, requireHaproxy } from '../helpers/haproxy.ts';
import {
  BrowserProblems, browser as launch, requireBrowserAndBuild, root, sleep, startOrigin, startServe, tempDir, type Origin, wizardNext as next,
} from './harness.ts';
import { closeChromium } from '../helpers/chromium.ts';

const shots = path.join(root, 'test-output', 'screenshots', 'ui2');
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

/**
 * The safe-apply grace window each apply waits out (five times here). It must stay
 * comfortably longer than a broken change takes to show: the rollback step's server
 * is marked down after fall 3 checks 1 s apart, about 3 s.
 */
const GRACE_MS = 5000;

/** One HTTP request through the proxy: status, x-server header, location. */
function get(port: number, urlPath: string, host: string): Promise<{ status: number; server: string; location: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers: { host }, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, server: String(res.headers['x-server'] ?? ''), location: String(res.headers.location ?? '') }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, server: '', location: '' }));
  });
}

function httpsGet(port: number, ca: string, servername: string): Promise<{ status: number; server: string; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername, rejectUnauthorized: true }, () => {
      socket.write(`GET / HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`);
    });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    socket.on('end', () => resolve({
      status: Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0),
      server: /x-server: (\S+)/i.exec(data)?.[1] ?? '',
      authorized: socket.authorized,
    }));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('TLS request timed out')));
  });
}

class Shots {
  readonly taken: string[] = [];
  constructor(private readonly page: Page) {}

  /** Light and dark at desktop width; with `phone`, light and dark at 390×844 too. */
  async take(name: string, phone = false): Promise<void> {
    const page = this.page;
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: path.join(shots, `${name}-${scheme}.png`), fullPage: true });
      this.taken.push(`${name}-${scheme}`);
    }
    if (phone) {
      await page.setViewportSize(PHONE);
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.screenshot({ path: path.join(shots, `${name}-phone-${scheme}.png`), fullPage: true });
        this.taken.push(`${name}-phone-${scheme}`);
      }
      await page.setViewportSize(DESKTOP);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  }
}

async function fill(page: Page, field: string, value: string): Promise<void> {
  await page.fill(`#f-${field.replace(/[^A-Za-z0-9_-]/g, '-')}`, value);
}

/** Applies the review step and waits for the outcome (the grace window runs first). */
async function applyAndWait(page: Page, outcome: 'applied' | 'rolled-back' | 'refused'): Promise<string> {
  await page.click('[data-action="apply"]');
  const done = page.locator('[data-apply="applied"], [data-apply="rolled-back"], [data-apply="refused"], .apply-status .error');
  await done.first().waitFor({ timeout: 30_000 }).catch(async (e: Error) => {
    await page.screenshot({ path: path.join(shots, 'apply-timeout.png'), fullPage: true });
    throw new Error(`no apply outcome (screenshot apply-timeout.png): ${(await page.locator('.review, .apply-status').allInnerTexts()).join(' | ').slice(-800)} (${e.message})`);
  });
  const text = (await done.first().textContent()) ?? '';
  const got = await done.first().getAttribute('data-apply');
  assert.equal(got, outcome, `apply ended with ${got}: ${text}`);
  return text;
}

function startConfig(labPort: number, nasPort: number): string {
  return `# Loadstar e2e: the lab as it was before the wizard
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

# the lab's admin page, written by hand
frontend lab
    bind 127.0.0.1:${labPort}
    # tag every answer
    http-response set-header X-Lab yes
    default_backend lab_backend

backend lab_backend
    # the NAS answers slowly
    timeout server 20s
    server nas 127.0.0.1:${nasPort} check inter 1s
`;
}

test('the wizard builds the seed sites, the editor refuses a broken edit, safe apply rolls back, versions roll back, the tracer explains', { timeout: 240_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const checkWithHaproxy = requireHaproxy(t) && haproxyPath !== undefined;
  fs.mkdirSync(shots, { recursive: true });

  const names = ['api1', 'api2', 'static1', 'web1', 'web2', 'webserver1', 'webserver2', 'nas'];
  const origins: Record<string, Origin> = {};
  for (const n of names) origins[n] = await startOrigin(n);
  const [adminPort, labPort, sitePort, httpsPort, redirectPort, closedPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const dataDir = tempDir('loadstar-ui2-data-');
  fs.writeFileSync(path.join(dataDir, 'haproxy.cfg'), startConfig(labPort, origins.nas!.port), { mode: 0o600 });
  const serve = await startServe(undefined, adminPort, dataDir, ['--grace-ms', String(GRACE_MS)]);
  const { browser, home } = await launch();
  const problems = new BrowserProblems();
  const written: string[] = [];
  const cfgFile = path.join(dataDir, 'haproxy.cfg');
  /** Every configuration the wizard and the forms wrote passes real HAProxy's check (while its certificate exists). */
  const keep = (label: string) => {
    const copy = path.join(dataDir, `wizard-${written.length + 1}-${label}.cfg`);
    fs.copyFileSync(cfgFile, copy);
    written.push(copy);
    if (!checkWithHaproxy) return;
    const r = haproxyCheck(copy, dataDir);
    assert.equal(r.status, 0, `haproxy -c ${path.basename(copy)}:\n${fs.readFileSync(copy, 'utf8')}\n${r.output}`);
  };

  try {
    const context = await browser.newContext({ viewport: DESKTOP });
    await problems.guard(context);
    const page = await context.newPage();
    problems.watch(page);
    const shot = new Shots(page);
    await page.goto(`${serve.url}#/setup`);
    await page.waitForSelector('.wizard[data-step="what"]');

    // ------------------------------------------------ the seed's ACL routing site, through the wizard
    await shot.take('wizard-1-what', true);
    await page.check('input[name="site-kind"][value="http"]');
    await fill(page, 'name', 'http_frontend');
    await next(page, 'listen');
    // A port another frontend uses is refused at its field.
    await fill(page, 'listen.address', '127.0.0.1');
    await fill(page, 'listen.port', String(labPort));
    await page.click('[data-action="next"]');
    const portError = await page.locator('[data-field="listen.port"] .err').textContent({ timeout: 10_000 });
    assert.match(portError ?? '', /used by .*lab/i);
    await shot.take('wizard-2-listen-error');
    await fill(page, 'listen.port', String(sitePort));
    await shot.take('wizard-2-listen');
    await next(page, 'tls');
    await shot.take('wizard-3-tls');
    await page.check('input[name="tls"][value="none"]');
    await next(page, 'routing');
    await page.click('text=+ Add a rule');
    await page.selectOption('#f-rules-0-kind', 'host-is');
    await fill(page, 'rules.0.values', 'api.example.com');
    await fill(page, 'rules.0.backend', 'api_backend');
    await page.click('text=+ Add a rule');
    await page.selectOption('#f-rules-1-kind', 'path-begins');
    await fill(page, 'rules.1.values', 'static/');
    await fill(page, 'rules.1.backend', 'static_backend');
    await fill(page, 'defaultBackend', 'web_backend');
    // A path without its leading slash is refused at its field, in words.
    await page.click('[data-action="next"]');
    assert.match((await page.locator('[data-field="rules.1.values"] .err').textContent()) ?? '', /starts with '\/'/);
    await shot.take('wizard-4-routing-error');
    await fill(page, 'rules.1.values', '/static/');
    await shot.take('wizard-4-routing', true);
    await next(page, 'servers');
    const servers: Record<string, string[]> = { api_backend: ['api1', 'api2'], static_backend: ['static1'], web_backend: ['web1', 'web2'] };
    for (const [bi, [backend, list]] of Object.entries(servers).entries()) {
      assert.equal(await page.locator(`section[data-backend="${backend}"]`).count(), 1, `the servers step offers ${backend}`);
      for (const [si, name] of list.entries()) {
        if (si > 0) await page.click(`text=+ Add a server to ${backend}`);
        await fill(page, `backends.${bi}.servers.${si}.name`, name);
        await fill(page, `backends.${bi}.servers.${si}.address`, '127.0.0.1');
        await fill(page, `backends.${bi}.servers.${si}.port`, String(origins[name]!.port));
      }
    }
    // The test button probes from the engine: a live origin is reachable, a closed port is not.
    await page.click('[data-backend="api_backend"] [data-server-row="0"] button:has-text("Test")');
    await page.waitForSelector('#probe-0-0.ok', { timeout: 10_000 });
    await fill(page, 'backends.0.servers.1.port', String(closedPort));
    await page.click('[data-backend="api_backend"] [data-server-row="1"] button:has-text("Test")');
    await page.waitForSelector('#probe-0-1.bad', { timeout: 10_000 });
    await shot.take('wizard-5-servers', true);
    await fill(page, 'backends.0.servers.1.port', String(origins.api2!.port));
    await fill(page, 'backends.2.servers.1.weight', '2');
    // A look at another screen half-way loses nothing: the wizard resumes where it was left.
    await page.evaluate(() => (location.hash = '#/'));
    await page.waitForSelector('.wizard', { state: 'detached' });
    await page.goBack();
    await page.waitForSelector('.wizard[data-step="servers"] [data-resumed], [data-resumed] ~ .wizard[data-step="servers"]');
    assert.equal(await page.inputValue('#f-backends-0-servers-0-name'), 'api1', 'the servers typed are still there');
    assert.equal(await page.inputValue('#f-backends-2-servers-1-weight'), '2');
    await next(page, 'balance');
    // The rows stand waiting (aria-busy) until the engine's prediction fills them.
    await page.waitForSelector('section[data-backend="web_backend"] .split[aria-busy="false"] .bars li');
    const split = await page.locator('section[data-backend="web_backend"] .bars').textContent();
    assert.match(split ?? '', /web1\s*33 %/);
    assert.match(split ?? '', /web2\s*67 %/);
    await shot.take('wizard-6-balance');
    await next(page, 'health');
    for (const bi of [0, 1, 2]) await fill(page, `backends.${bi}.health.inter`, '1');
    await page.waitForFunction(() => document.querySelectorAll('.words').length === 3 && [...document.querySelectorAll('.words')].every((e) => /DOWN/.test(e.textContent ?? '')));
    await shot.take('wizard-7-health');
    await next(page, 'review');
    await page.waitForSelector('[data-summary]');
    const diff = await page.locator('pre.diff').textContent();
    assert.match(diff ?? '', /\+\s*acl is_api|\+.*hdr\(host\)|\+.*use_backend api_backend/i);
    await shot.take('wizard-8-review', true);
    // Another program takes the port between the listen step and Apply: refused, nothing changed, said once and plainly.
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(sitePort, '127.0.0.1', resolve));
    squatter.unref(); // a failed assertion below must not keep the test process alive
    const unchanged = fs.readFileSync(cfgFile, 'utf8');
    const refusal = await applyAndWait(page, 'refused');
    assert.match(refusal, /cannot bind 127\.0\.0\.1:\d+: address already in use/);
    // A sentence that says what happened: the engine's reason capitalised, and the version the attempt left.
    assert.match(refusal, /Not applied — what runs is unchanged\. The engine refused .* The attempt is kept as version \d+ \(refused\)\./s);
    assert.doesNotMatch(refusal, /No problem found/, 'a refusal does not also say all is well');
    assert.equal(fs.readFileSync(cfgFile, 'utf8'), unchanged);
    await shot.take('wizard-8-review-refused');
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    await applyAndWait(page, 'applied');
    // Apply is disabled once applied: the focus is on the outcome, so the keyboard goes on from there.
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-apply') === 'applied', undefined, { timeout: 5000 });
    await shot.take('wizard-9-applied');
    keep('acl-routing');

    // Real requests by Host and path reach the right backends.
    const hits = async (host: string, p: string) => (await get(sitePort, p, host)).server;
    assert.match(await hits('api.example.com', '/'), /^api[12]$/);
    assert.match(await hits('api.example.com', '/v1/users'), /^api[12]$/);
    assert.equal(await hits('www.example.com', '/static/app.js'), 'static1');
    assert.match(await hits('www.example.com', '/'), /^web[12]$/);
    assert.match(await hits('www.example.com', '/index.html'), /^web[12]$/);

    // ------------------------------------------------ the seed's HTTPS site with a local-CA certificate
    await page.evaluate(() => (location.hash = '#/'));
    await page.evaluate(() => (location.hash = '#/setup'));
    await page.waitForSelector('.wizard[data-step="what"]');
    await page.check('input[name="site-kind"][value="https"]');
    await fill(page, 'name', 'https_frontend');
    await next(page, 'listen');
    await fill(page, 'listen.address', '127.0.0.1');
    await fill(page, 'listen.port', String(httpsPort));
    await next(page, 'tls');
    await page.check('input[name="tls"][value="local-ca"]');
    await fill(page, 'tls.names', 'localhost 127.0.0.1');
    await fill(page, 'tls.httpPort', String(redirectPort));
    await shot.take('wizard-3-tls-local-ca');
    await next(page, 'routing');
    await fill(page, 'defaultBackend', 'http_backend');
    await next(page, 'servers');
    for (const [si, name] of ['webserver1', 'webserver2'].entries()) {
      if (si > 0) await page.click('text=+ Add a server to http_backend');
      await fill(page, `backends.0.servers.${si}.name`, name);
      await fill(page, `backends.0.servers.${si}.address`, '127.0.0.1');
      await fill(page, `backends.0.servers.${si}.port`, String(origins[name]!.port));
    }
    await next(page, 'balance');
    await next(page, 'health');
    await next(page, 'review');
    await page.waitForSelector('[data-summary]');
    assert.match((await page.locator('pre.diff').textContent()) ?? '', /ssl crt/);
    await shot.take('wizard-8-review-https');
    await applyAndWait(page, 'applied');
    keep('https');

    // The CA as a user downloads it from the Certificates screen.
    await page.evaluate(() => (location.hash = '#/certificates'));
    await page.waitForSelector('[data-action="ca-pem"]');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="ca-pem"]')]);
    const ca = fs.readFileSync((await download.path())!, 'utf8');
    assert.match(ca, /^-----BEGIN CERTIFICATE-----/);
    const secure = await httpsGet(httpsPort, ca, 'localhost');
    assert.equal(secure.authorized, true);
    assert.equal(secure.status, 200);
    assert.match(secure.server, /^webserver[12]$/);
    const plain = await get(redirectPort, '/path?q=1', 'localhost');
    assert.equal(plain.status, 301);
    assert.match(plain.location, /^https:\/\/localhost/);

    // ------------------------------------------------ an edit form keeps what it does not know, byte for byte
    const before = fs.readFileSync(cfgFile, 'utf8');
    await page.evaluate(() => (location.hash = '#/setup/backend/lab_backend'));
    await page.waitForSelector('.wizard[data-step="servers"]');
    await shot.take('edit-backend-servers');
    await fill(page, 'backends.0.servers.0.weight', '3');
    await next(page, 'balance');
    await next(page, 'health');
    await next(page, 'review');
    await page.waitForSelector('[data-summary]');
    await shot.take('edit-backend-review');
    await applyAndWait(page, 'applied');
    const after = fs.readFileSync(cfgFile, 'utf8');
    // Every line but the server's is still there, byte for byte and in order, and nothing is added
    // (lab_backend relies on the default balance, so no explicit `balance roundrobin` is written).
    const afterLines = after.split('\n');
    assert.equal(afterLines.length, before.split('\n').length, `no line added:\n${after}`);
    let at = 0;
    for (const line of before.split('\n')) {
      if (/^ {4}server nas /.test(line)) continue;
      const found = afterLines.indexOf(line, at);
      assert.ok(found >= 0, `kept byte for byte and in order: ${JSON.stringify(line)}\n${after}`);
      at = found + 1;
    }
    assert.match(after, /\n {4}server nas 127\.0\.0\.1:\d+ .*weight 3/);
    for (const kept of ['# Loadstar e2e: the lab as it was before the wizard', '    # tag every answer', '    http-response set-header X-Lab yes', '    # the NAS answers slowly', '    timeout server 20s']) {
      assert.ok(after.includes(`${kept}\n`), `kept byte for byte: ${kept}`);
    }
    keep('form-edit');

    await page.evaluate(() => (location.hash = '#/setup/frontend/http_frontend'));
    await page.waitForSelector('.wizard[data-step="listen"]');
    await shot.take('edit-frontend-listen');
    await next(page, 'tls');
    await next(page, 'routing');
    await shot.take('edit-frontend-routing');

    // ------------------------------------------------ the editor: a broken edit shows at its line and cannot be applied
    await page.evaluate(() => (location.hash = '#/config'));
    await page.waitForSelector('.cm-content');
    await page.waitForSelector('[data-check-status="ok"]');
    await shot.take('editor', true);
    const webLine = await page.locator('.cm-line', { hasText: /^backend lab_backend$/ }).first();
    await webLine.click();
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('balanse roundrobin');
    await page.waitForSelector('[data-check-status="errors"]', { timeout: 10_000 });
    await page.waitForSelector('.cm-lintRange-error');
    // The new line sits right under `backend lab_backend` in the running text.
    const brokenLine = fs.readFileSync(cfgFile, 'utf8').split('\n').indexOf('backend lab_backend') + 2;
    assert.match((await page.locator('.cm-lintRange-error').first().textContent()) ?? '', /balanse/);
    const listed = page.locator(`.diagnostics li[data-line="${brokenLine}"]`);
    assert.match((await listed.textContent()) ?? '', /balanse.*did you mean 'balance'/);
    assert.equal(await page.locator('[data-action="apply"]').isDisabled(), true, 'a broken text cannot be applied');
    await page.locator('.cm-lintRange-error').first().hover();
    await page.waitForSelector('.cm-tooltip-lint', { timeout: 5000 }).catch(() => undefined);
    await shot.take('editor-broken', true);
    await page.click('text=Discard my edits');
    await page.waitForSelector('[data-check-status="ok"]');

    // Completion is section-aware: in a backend, "bal" offers balance.
    await webLine.click();
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('bal');
    await page.waitForSelector('.cm-tooltip-autocomplete');
    assert.match((await page.locator('.cm-tooltip-autocomplete').textContent()) ?? '', /balance/);
    await shot.take('editor-completion');
    await page.keyboard.press('Escape');
    await page.click('text=Discard my edits');

    // ------------------------------------------------ every server of a healthy backend away: rolled back automatically, and said why
    await page.evaluate(() => (location.hash = '#/setup/backend/static_backend'));
    await page.waitForSelector('.wizard[data-step="servers"]');
    await fill(page, 'backends.0.servers.0.port', String(closedPort));
    await next(page, 'balance');
    await next(page, 'health');
    await next(page, 'review');
    await page.waitForSelector('[data-summary]');
    await page.click('[data-action="apply"]');
    await page.waitForSelector('[data-apply="watching"]', { timeout: 5000 });
    await shot.take('apply-watching');
    const outcome = page.locator('[data-apply="rolled-back"], [data-apply="applied"], [data-apply="refused"]');
    await outcome.first().waitFor({ timeout: 30_000 });
    assert.equal(await outcome.first().getAttribute('data-apply'), 'rolled-back');
    assert.match((await outcome.first().textContent()) ?? '', /static_backend has no usable server/);
    await shot.take('apply-rolled-back', true);
    // The restored server serves again once its checks see it up (a bounded wait: rise 2 × 1 s).
    let restored = '';
    for (let i = 0; i < 40 && restored !== 'static1'; i++) {
      restored = await hits('www.example.com', '/static/x');
      if (restored !== 'static1') await sleep(250);
    }
    assert.equal(restored, 'static1', 'the previous version serves again');
    assert.ok(!fs.readFileSync(cfgFile, 'utf8').includes(`:${closedPort}`), 'the file holds the previous text again');

    // ------------------------------------------------ versions: a rollback to an older version works
    await page.evaluate(() => (location.hash = '#/config'));
    await page.waitForSelector('[data-version]');
    const aclVersion = await page.locator('[data-version]', { hasText: /http_frontend|api_backend/ }).last().getAttribute('data-version');
    assert.ok(aclVersion, 'the ACL site is a version');
    await page.click(`[data-version="${aclVersion}"] .head`);
    await page.waitForSelector(`[data-version="${aclVersion}"] .detail`);
    await shot.take('versions-detail');
    await page.click(`[data-version="${aclVersion}"] [data-action="rollback"]`);
    await page.click(`[data-version="${aclVersion}"] [data-action="confirm-rollback"]`);
    const rolled = page.locator('[data-apply="applied"], [data-apply="rolled-back"], [data-apply="refused"], .apply-status .error');
    await rolled.first().waitFor({ timeout: 30_000 });
    assert.equal(await rolled.first().getAttribute('data-apply'), 'applied', (await rolled.first().textContent()) ?? '');
    const nowText = fs.readFileSync(cfgFile, 'utf8');
    assert.ok(!nowText.includes('https_frontend'), 'the older version has no HTTPS site');
    assert.ok(nowText.includes('use_backend api_backend'), 'the older version routes as the wizard built it');
    assert.equal((await get(redirectPort, '/', 'localhost')).status, 0, 'the HTTPS site is gone with its redirect port');
    assert.match(await hits('api.example.com', '/'), /^api[12]$/);
    await shot.take('versions-after-rollback');

    // Export: the download is the running haproxy.cfg.
    const [exported] = await Promise.all([page.waitForEvent('download'), page.click('text=Download haproxy.cfg')]);
    assert.equal(exported.suggestedFilename(), 'haproxy.cfg');
    assert.equal(fs.readFileSync((await exported.path())!, 'utf8'), fs.readFileSync(cfgFile, 'utf8'));

    // ------------------------------------------------ the tracer names the backend a real request reaches
    await page.evaluate(() => (location.hash = '#/trace/http_frontend'));
    await page.waitForSelector('[data-action="trace"]:not([disabled])');
    const cases: Array<[string, string, string]> = [['api.example.com', '/', 'api_backend'], ['www.example.com', '/static/logo.png', 'static_backend'], ['www.example.com', '/', 'web_backend']];
    for (const [host, p, expected] of cases) {
      await page.fill('input[placeholder="e.g. /static/app.js?v=2"]', p);
      await page.fill('input[list="tracer-hosts"]', host);
      await page.click('[data-action="trace"]');
      await page.waitForSelector(`[data-trace-backend="${expected}"]`, { timeout: 10_000 });
      const real = await get(sitePort, p, host);
      assert.ok(real.server.startsWith(expected.replace('_backend', '')), `the tracer says ${expected}, the request reached ${real.server}`);
    }
    await shot.take('tracer', true);

    // ------------------------------------------------ remove a frontend and a backend from the Configuration screen
    await page.evaluate(() => (location.hash = '#/config'));
    await page.waitForSelector('[data-check-status="ok"]');
    const removeForm = async (key: string): Promise<void> => {
      await page.click(`[data-form="${key}"] [data-action="remove"]`);
      await page.click(`[data-form="${key}"] [data-action="confirm-remove"]`);
    };
    // A backend a frontend still uses is refused at once (no question first), in the engine's words, and nothing changes.
    const beforeRemoval = fs.readFileSync(cfgFile, 'utf8');
    await page.click('[data-form="backend:lab_backend"] [data-action="remove"]');
    assert.match((await page.locator('[data-form="backend:lab_backend"] .err').textContent({ timeout: 10_000 })) ?? '', /cannot be removed: .*lab_backend/);
    assert.equal(fs.readFileSync(cfgFile, 'utf8'), beforeRemoval);
    assert.equal(await page.locator('[data-form="backend:lab_backend"] [data-action="confirm-remove"]').count(), 0);
    await removeForm('frontend:lab');
    await page.waitForSelector('[data-form="frontend:lab"]', { state: 'detached', timeout: 30_000 });
    await removeForm('backend:lab_backend');
    await page.waitForSelector('[data-form="backend:lab_backend"]', { state: 'detached', timeout: 30_000 });
    const afterRemoval = fs.readFileSync(cfgFile, 'utf8');
    assert.ok(!/^frontend lab$|^backend lab_backend$/m.test(afterRemoval), `lab and lab_backend are gone:\n${afterRemoval}`);
    assert.equal((await get(labPort, '/', 'lab')).status, 0, 'nothing listens on the lab port any more');
    await shot.take('editor-removed');
    keep('removed');

    // ------------------------------------------------ certificates, import
    await page.evaluate(() => (location.hash = '#/certificates'));
    await page.waitForSelector('[data-ca="present"]');
    await page.waitForSelector('[data-cert="https_frontend"]');
    await page.click('[data-action="issue"]');
    assert.match((await page.locator('#issue-name-err').textContent()) ?? '', /name/i);
    await page.fill('#import-name', 'broken');
    await page.fill('#import-pem', '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
    await page.click('[data-action="import"]');
    await page.waitForSelector('#import-pem-err, #import-name-err');
    // A real certificate and key, pasted with no name: the engine reads it (certInspect), the name comes from
    // its host name, and the form says it is ready before anything is stored.
    const sitePem = fs.readFileSync(path.join(dataDir, 'certs', 'https_frontend.pem'), 'utf8');
    await page.fill('#import-name', '');
    await page.fill('#import-pem', sitePem.slice(0, sitePem.indexOf('-----BEGIN PRIVATE KEY-----')));
    await page.waitForSelector('[data-inspection-problem]');
    assert.match((await page.locator('[data-inspection-problem]').textContent()) ?? '', /no private key was given/);
    assert.notEqual(await page.inputValue('#import-name'), '', 'the certificate names itself before its key is pasted');
    await page.fill('#import-pem', sitePem);
    await page.waitForSelector('[data-inspection] .ok');
    assert.equal(await page.locator('#import-pem-err').count(), 0, 'the refusal of the earlier text is gone with it');
    const suggested = await page.inputValue('#import-name');
    const host = /DNS:([^,\s]+)/.exec(new crypto.X509Certificate(sitePem).subjectAltName ?? '')?.[1];
    assert.equal(suggested, host?.replace(/^\*\./, 'wildcard.').toLowerCase());
    assert.ok(!fs.existsSync(path.join(dataDir, 'certs', `${suggested}.pem`)), 'inspecting stored nothing');
    await shot.take('certificates', true);
    await page.click('.install summary');
    await shot.take('certificates-install');
    // Remove asks first, with the focus on Cancel; Escape cancels and gives the focus back to Remove.
    await page.click('[data-cert="https_frontend"] button:has-text("Remove")');
    await page.waitForFunction(() => document.activeElement?.hasAttribute('data-cancel'));
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-remove-cert') === 'https_frontend');
    // The site that used it is gone with the rollback.
    await page.click('[data-cert="https_frontend"] button:has-text("Remove")');
    await page.click('[data-cert="https_frontend"] button.danger');
    await page.waitForSelector('[data-cert="https_frontend"]', { state: 'detached' });

    await page.evaluate(() => (location.hash = '#/import'));
    await page.fill('#import-text', `${startConfig(labPort, origins.nas!.port)}\nbackend extra\n    balance roundrobin\n    stick-table type ip size 1k expire 30s\n    server e1 127.0.0.1:${origins.web1!.port}\n    filter spoe\n    balanse first\n`);
    await page.click('[data-action="check"]');
    await page.waitForSelector('[data-import-result]');
    await shot.take('import', true);

    // ------------------------------------------------ a hand edit on disk is reported, with load and compare offered
    fs.appendFileSync(cfgFile, '# edited by hand\n');
    await page.goto(`${serve.url}#/config`);
    await page.waitForSelector('[data-banner="modified-on-disk"]', { timeout: 10_000 });
    await page.click('text=Compare with what runs');
    await page.waitForSelector('[data-banner="modified-on-disk"] pre.diff');
    assert.match((await page.locator('[data-banner="modified-on-disk"] pre.diff').textContent()) ?? '', /\+# edited by hand/);
    await shot.take('editor-modified-on-disk');

    // No console error, failed or foreign request during the run.
    assert.deepEqual(problems.consoleErrors, []);
    assert.deepEqual(problems.failedRequests, []);
    assert.deepEqual(problems.foreignRequests, []);
    t.diagnostic(`screenshots: ${shot.taken.length} in ${path.relative(root, shots)}`);
    t.diagnostic(`haproxy -c accepted ${checkWithHaproxy ? written.length : 0} written configurations`);
  } catch (e) {
    (e as Error).message += `\n--- serve output (tail) ---\n${serve.output().slice(-3000)}`;
    throw e;
  } finally {
    problems.closing = true;
    await closeChromium(browser);
    await serve.stop();
    for (const o of Object.values(origins)) await o.stop();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
