/**
 * Sticky sessions built only by clicking, in a real browser against a real
 * `loadstar serve` and two origins on 127.0.0.1: a new site whose backend
 * keeps each visitor on one server with a cookie Loadstar adds. Real requests
 * prove it: the first answer sets the cookie, requests sending it stay on that
 * server, and when that server stops its visitors move to the other one (which
 * sets its own cookie). The configuration screen says it and the backend's
 * edit form reads it back. Screenshots of the choice, light and dark, desktop and
 * phone width, under test-output/screenshots/sticky/; `haproxy -c` accepts the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { freePort } from '../helpers/net.ts';
import { haproxyCheck, haproxyPath, requireHaproxy } from '../helpers/haproxy.ts';
import { requireBrowserAndBuild, root, sleep, startOrigin, withUiSession, wizardNext as next } from './harness.ts';

const shots = path.join(root, 'test-output', 'screenshots', 'sticky');

/** One request: the server that answered and the cookie it set. */
function get(port: number, cookie?: string): Promise<{ status: number; server: string; setCookie: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, headers: cookie ? { cookie } : {}, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, server: String(res.headers['x-server'] ?? ''), setCookie: String(res.headers['set-cookie'] ?? '') }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

const fill = (page: Page, field: string, value: string): Promise<void> => page.fill(`#f-${field.replace(/[^A-Za-z0-9_-]/g, '-')}`, value);

async function shoot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  for (const [size, viewport] of [['', { width: 1280, height: 860 }], ['-phone', { width: 390, height: 844 }]] as const) {
    await page.setViewportSize(viewport);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: path.join(shots, `${name}${size}-${scheme}.png`), fullPage: true });
    }
  }
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.emulateMedia({ colorScheme: 'light' });
}

test('sticky sessions by a cookie Loadstar adds, built by clicking: the cookie keeps a visitor on its server, and a stopped server\'s visitors move', { timeout: 90_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  fs.mkdirSync(shots, { recursive: true });
  const origins = [await startOrigin('web1'), await startOrigin('web2')];
  const [adminPort, sitePort, otherPort] = await Promise.all([freePort(), freePort(), freePort()]);
  await withUiSession({ name: 'ui-sticky', config: `defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n    timeout check 5s\n\nfrontend other\n    bind 127.0.0.1:${otherPort}\n    default_backend other\n\nbackend other\n    server o1 127.0.0.1:${origins[0]!.port}\n`, adminPort, graceMs: 1000, viewport: { width: 1280, height: 860 }, origins: origins }, async ({ serve, dataDir, cfgFile, page }) => {
    await page.goto(`${serve.url}#/setup`);
    await page.waitForSelector('.wizard[data-step="what"]');
    await page.check('input[name="site-kind"][value="http"]');
    await fill(page, 'name', 'shop');
    await next(page, 'listen');
    await fill(page, 'listen.address', '127.0.0.1');
    await fill(page, 'listen.port', String(sitePort));
    await next(page, 'tls');
    await page.check('input[name="tls"][value="none"]');
    await next(page, 'routing');
    await fill(page, 'defaultBackend', 'shop_backend');
    await next(page, 'servers');
    for (const [si, o] of origins.entries()) {
      if (si > 0) await page.click('text=+ Add a server to shop_backend');
      await fill(page, `backends.0.servers.${si}.name`, o.name);
      await fill(page, `backends.0.servers.${si}.address`, '127.0.0.1');
      await fill(page, `backends.0.servers.${si}.port`, String(o.port));
    }
    await next(page, 'balance');

    // The sticky choice: by keyboard, the IP address choice sets the algorithm; then the recommended cookie.
    const sticky = page.locator('fieldset[data-sticky]');
    assert.equal(await sticky.locator('legend').innerText(), 'Keep each visitor on the same server (sticky sessions)');
    await sticky.locator('[data-sticky-choice="off"]').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(await sticky.locator('[data-sticky-choice="ip"]').isChecked(), true);
    assert.equal(await page.locator('input[name="algo-0"][value="source"]').isChecked(), true, 'by IP address is the source algorithm');
    await page.check('input[name="algo-0"][value="roundrobin"]');
    assert.equal(await sticky.locator('[data-sticky-choice="off"]').isChecked(), true, 'another algorithm leaves the IP address choice');
    // The application's cookie, with a bad name: refused at its field, in words.
    await sticky.locator('[data-sticky-choice="app-cookie"]').check();
    assert.equal(await page.inputValue('#f-backends-0-stickyCookie'), 'JSESSIONID');
    await fill(page, 'backends.0.stickyCookie', 'my session');
    await page.click('[data-action="next"]');
    assert.match((await page.locator('[data-field="backends.0.stickyCookie"] .err').textContent()) ?? '', /no spaces/);
    // At phone width nothing scrolls sideways (the steps' hidden titles once widened the page to 420 px).
    await page.setViewportSize({ width: 390, height: 844 });
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390);
    await page.setViewportSize({ width: 1280, height: 860 });
    await shoot(page, 'balance-app-cookie-error');
    await sticky.locator('[data-sticky-choice="cookie"]').check();
    assert.equal(await page.inputValue('#f-backends-0-stickyCookie'), 'SERVERID');
    await shoot(page, 'balance-cookie');
    // At phone width the choice fits the screen (nothing to scroll sideways).
    await page.setViewportSize({ width: 390, height: 844 });
    const box = await sticky.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `the sticky choice fits 390 px: ${JSON.stringify(box)}`);
    await page.setViewportSize({ width: 1280, height: 860 });
    await next(page, 'health');
    // Quick checks, so a stopped server is seen down within a second.
    await fill(page, 'backends.0.health.inter', '0.3');
    await fill(page, 'backends.0.health.fall', '1');
    await next(page, 'review');
    await page.waitForSelector('[data-summary]');
    assert.match(await page.locator('[data-sticky-review="shop_backend"]').innerText(), /Sticky sessions for shop_backend: by a cookie Loadstar adds, SERVERID/);
    const diff = await page.locator('pre.diff').innerText();
    assert.match(diff, /\+\s*cookie SERVERID insert indirect nocache httponly\n/);
    assert.match(diff, /\+\s*server web1 127\.0\.0\.1:\d+ check inter 300ms fall 1 cookie web1/);
    await shoot(page, 'review');
    await page.click('[data-action="apply"]');
    await page.waitForSelector('[data-apply="applied"]', { timeout: 30_000 });

    // Real requests: the first answer sets the cookie; with it, the same server every time.
    const first = await get(sitePort);
    const m = /^SERVERID=(web[12]);/.exec(first.setCookie);
    assert.ok(m, `the first answer sets the cookie: ${first.setCookie}`);
    assert.match(first.setCookie, /HttpOnly/);
    assert.equal(first.server, m[1]);
    for (let i = 0; i < 6; i++) {
      const r = await get(sitePort, `SERVERID=${m[1]}`);
      assert.equal(r.server, m[1]);
      assert.equal(r.setCookie, '', 'a visitor who has the cookie is not sent it again');
    }
    // That server stops: its visitors move to the other, which gives them its cookie.
    const stopped = origins.find((o) => o.name === m[1])!;
    const other = origins.find((o) => o !== stopped)!;
    await stopped.stop();
    let moved = { status: 0, server: '', setCookie: '' };
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await sleep(100)) {
      moved = await get(sitePort, `SERVERID=${m[1]}`);
      if (moved.status === 200) break;
    }
    assert.equal(moved.server, other.name);
    assert.match(moved.setCookie, new RegExp(`^SERVERID=${other.name};`));
    assert.equal((await get(sitePort, `SERVERID=${other.name}`)).server, other.name);

    // The configuration screen says it; the backend's edit form reads it back.
    await page.goto(`${serve.url}#/config`);
    assert.match(await page.locator('[data-form="backend:shop_backend"]').innerText({ timeout: 15_000 }), /sticky sessions by the cookie SERVERID/);
    await page.goto(`${serve.url}#/setup/backend/shop_backend`);
    await page.waitForSelector('.wizard[data-step="servers"]');
    await next(page, 'balance');
    assert.equal(await page.locator('[data-sticky-choice="cookie"]').isChecked(), true);
    assert.equal(await page.inputValue('#f-backends-0-stickyCookie'), 'SERVERID');

    if (requireHaproxy(t) && haproxyPath) {
      const r = haproxyCheck(cfgFile, dataDir);
      assert.equal(r.status, 0, r.output);
    }
  });
});
