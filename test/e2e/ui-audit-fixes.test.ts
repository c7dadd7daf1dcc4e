/**
 * What a new-user audit found, in a real browser against a real `loadstar serve`:
 *  - with an admin password, the header (the phone's Menu) has Log out: the session ends and the
 *    login page follows; without a password there is none;
 *  - a screen opened logged out (`/#/config`) is the screen shown after the login, a wrong password
 *    on the way included;
 *  - the server page says that "Set weight" lasts until the next configuration change or restart,
 *    and links to the backend's form, where a weight is kept;
 *  - the tracer's step list and ACL lines wrap a 12,000-character URL inside the page (20,000 is refused, as by the engine);
 *  - a health timeline's tooltips stay inside a phone's viewport (one started at x = −41 px);
 *  - the traffic screen of an object id that is not one shows the error and no empty charts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { freePort } from '../helpers/net.ts';
import { HistoryStore, HISTORY_FILE } from '../../proxy/store/history.ts';
import { requireBrowserAndBuild, screenshotDir, startOrigin, withUiSession } from './harness.ts';

const MINUTE = 60_000;

function config(sitePort: number, webPort: number, apiPort: number): string {
  return `defaults\n    mode http\n    timeout connect 1s\n    timeout client 30s\n    timeout server 10s\n\n`
    + `frontend www\n    bind 127.0.0.1:${sitePort}\n    acl is_api path_beg /api\n    use_backend api_backend if is_api\n    default_backend web_backend\n\n`
    + `backend web_backend\n    server web1 127.0.0.1:${webPort} check inter 1s\n\n`
    + `backend api_backend\n    server api1 127.0.0.1:${apiPort}\n`;
}

/** The page is no wider than its viewport (nothing makes it scroll sideways). */
async function pageWidth(page: Page): Promise<{ scroll: number; client: number }> {
  return page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
}

test('with a password: the screen asked for survives the login, and Log out (header, phone menu) ends the session and shows the login page', { timeout: 120_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const web = await startOrigin('web');
  const api = await startOrigin('api');
  const [adminPort, sitePort] = await Promise.all([freePort(), freePort()]);
  const password = 'correct horse battery';
  fs.mkdirSync(screenshotDir, { recursive: true });
  await withUiSession({ name: 'ui-audit-logout', config: config(sitePort, web.port, api.port), adminPort, graceMs: 500, viewport: { width: 1280, height: 860 }, origins: [web, api], password }, async ({ serve, page, problems }) => {
    // Logged out, /#/config goes to the login page with the hash kept; a wrong password keeps it too.
    await page.goto(`${serve.url}#/config`);
    await page.waitForURL(/\/login#\/config$/);
    await page.fill('#password', 'not the password');
    await Promise.all([page.waitForURL(/\/login\?failed=password#\/config$/), page.click('button[type="submit"]')]);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(`${serve.url}#/config`), page.click('button[type="submit"]')]);
    await page.waitForFunction(() => document.title.startsWith('Configuration'), undefined, { timeout: 15_000 });

    // Only a screen's fragment is kept: anything else posts to /login as before.
    await page.context().clearCookies();
    await page.goto(`${serve.url}login#javascript:alert(1)`);
    assert.equal(await page.getAttribute('form', 'action'), '/login');
    await page.goto('about:blank');
    await page.goto(`${serve.url}login#/trace/www`);
    assert.equal(await page.getAttribute('form', 'action'), '/login#/trace/www');
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(`${serve.url}#/trace/www`), page.click('button[type="submit"]')]);

    // Log out in the header: the session ends (the API answers 401), the login page shows.
    const logout = page.locator('[data-action="logout"]');
    await logout.waitFor({ timeout: 15_000 });
    assert.equal(await logout.innerText(), 'Log out');
    const header = await page.locator('header.top').boundingBox();
    const box = await logout.boundingBox();
    assert.ok(header && box && box.y >= header.y && box.y + box.height <= header.y + header.height, 'Log out is in the header');
    assert.ok(box!.x + box!.width > 1280 - 120, `Log out at the header's right end (x ${box!.x})`);
    await page.screenshot({ path: path.join(screenshotDir, 'audit-logout-header.png') });
    await Promise.all([page.waitForURL(/\/login$/), logout.click()]);
    await page.locator('#password').waitFor();
    const status = await page.evaluate(async () => (await fetch('/api/session')).status);
    assert.equal(status, 401, 'the session has ended');

    // On a phone: in the Menu, under the screens.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(serve.url), page.click('button[type="submit"]')]);
    const phoneLogout = page.locator('[data-action="logout"]');
    await phoneLogout.waitFor({ state: 'attached', timeout: 15_000 });
    assert.equal(await phoneLogout.isVisible(), false, 'hidden with the closed menu');
    await page.click('button.menu');
    await phoneLogout.waitFor({ state: 'visible' });
    const lastLink = await page.locator('#nav li').last().boundingBox();
    const phoneBox = await phoneLogout.boundingBox();
    assert.ok(lastLink && phoneBox && phoneBox.y >= lastLink.y + lastLink.height, 'under the last screen');
    assert.ok(phoneBox!.x >= 0 && phoneBox!.x + phoneBox!.width <= 390);
    await page.screenshot({ path: path.join(screenshotDir, 'audit-logout-phone.png') });
    await Promise.all([page.waitForURL(/\/login$/), phoneLogout.click()]);

    // A session ended elsewhere (another tab's Log out): "Sign in again" comes back to the screen it was on.
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(serve.url), page.click('button[type="submit"]')]);
    await page.evaluate(() => (location.hash = '#/health'));
    await page.waitForFunction(() => document.title.startsWith('Health'), undefined, { timeout: 15_000 });
    await page.evaluate(async () => {
      const session = await (await fetch('/api/session')).json() as { value: { csrfToken: string } };
      await fetch('/logout', { method: 'POST', headers: { 'X-Loadstar-CSRF': session.value.csrfToken } });
    });
    const again = page.locator('[data-banner="signed-out"] a');
    await again.waitFor({ timeout: 20_000 });
    await Promise.all([page.waitForURL(/\/login#\/health$/), again.click()]);

    // The ended session's event stream and the 401s on the way are the expected refusals.
    const expected = /status of 401|text\/event-stream/;
    assert.deepEqual(problems.consoleErrors.filter((e) => !expected.test(e)), []);
    problems.consoleErrors.length = 0;
  });
});

/** web1 went DOWN 20 minutes ago for 5 minutes, in a history that began 50 minutes ago. */
function seedHistory(dataDir: string): void {
  const now = Date.now();
  const store = HistoryStore.open(path.join(dataDir, HISTORY_FILE));
  try {
    store.syncConfigured(['frontend:www', 'backend:web_backend', 'server:web_backend/web1', 'backend:api_backend', 'server:api_backend/api1'], new Map(), now - 50 * MINUTE);
    store.writeRun(now - 50 * MINUTE, now - 1000);
    store.writeHealthEvents([
      { time: now - 20 * MINUTE, backend: 'web_backend', server: 'web1', from: 'UP', to: 'DOWN', code: 'L4CON', durationMs: 0, reason: 'Server web_backend/web1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 0 active and 0 backup servers left.' },
      { time: now - 15 * MINUTE, backend: 'web_backend', server: 'web1', from: 'DOWN', to: 'UP', code: 'L4OK', durationMs: 0, reason: 'Server web_backend/web1 is UP, reason: Layer4 check passed, check duration: 0ms. 1 active and 0 backup servers online.' },
    ]);
  } finally {
    store.close();
  }
}

/** Each band's tooltip of a timeline, shown by hover and by keyboard focus: its left and right edge, and its shift. */
async function tooltipEdges(page: Page, timeline: string): Promise<Array<{ band: string; how: string; left: number; right: number; shift: string }>> {
  const bands = page.locator(`${timeline} .band`);
  const seen: Array<{ band: string; how: string; left: number; right: number; shift: string }> = [];
  for (let i = 0; i < await bands.count(); i++) {
    const band = bands.nth(i);
    // A sliver of a band (its 3 px minimum) is hovered through its neighbours' edges at best: focused only.
    const wide = ((await band.boundingBox())?.width ?? 0) >= 12;
    for (const how of wide ? ['hover', 'focus'] : ['focus']) {
      await page.mouse.move(0, 0);
      await page.locator('main h1').first().click();
      if (how === 'hover') await band.locator('button').hover({ force: true });
      else await band.locator('button').focus();
      // The shift is set in the frame after the tooltip shows.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const tip = band.locator('.tip');
      await tip.waitFor({ state: 'visible', timeout: 3000 });
      const r = (await tip.boundingBox())!;
      seen.push({ band: (await band.getAttribute('class'))!.split(' ')[1]!, how, left: r.x, right: r.x + r.width, shift: await tip.evaluate((e) => (e as HTMLElement).style.translate) });
    }
  }
  return seen;
}

test('the weight note, the tracer with a 12,000-character URL, the timeline tooltips on a phone, and traffic of an unknown object', { timeout: 120_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const web = await startOrigin('web');
  const api = await startOrigin('api');
  const [adminPort, sitePort] = await Promise.all([freePort(), freePort()]);
  fs.mkdirSync(screenshotDir, { recursive: true });
  await withUiSession({ name: 'ui-audit-screens', config: config(sitePort, web.port, api.port), adminPort, graceMs: 500, viewport: { width: 1280, height: 900 }, origins: [web, api], prepare: seedHistory }, async ({ serve, page }) => {
    // No password: no Log out.
    await page.goto(serve.url);
    await page.locator('main h1').first().waitFor();
    assert.equal(await page.locator('[data-action="logout"]').count(), 0);

    // The server page: how long a weight set here lasts, and where to keep one.
    await page.goto(`${serve.url}#/server/web_backend/web1`);
    const note = page.locator('[data-weight-lasts]');
    await note.waitFor({ timeout: 15_000 });
    assert.match(await note.innerText(), /Until the next configuration change or restart, which set it back to the configured weight \(1\)\.\s+To keep it, change the weight in backend web_backend's form\./);
    assert.match(await page.getAttribute('#weight', 'aria-describedby') ?? '', /weight-lasts/);
    assert.equal(await note.locator('a').getAttribute('href'), '#/setup/backend/web_backend');
    await page.fill('#weight', '5');
    await page.click('button:has-text("Set weight")');
    await page.waitForSelector('.done:has-text("Weight of web1 set to 5, until the next configuration change or restart.")', { timeout: 10_000 });
    await page.screenshot({ path: path.join(screenshotDir, 'audit-server-weight.png'), fullPage: true });
    await note.locator('a').click();
    await page.waitForSelector('.wizard', { timeout: 15_000 });

    // The tracer: a 12,000-character URL (one that fits the default buffer, so it is routed) wraps in the steps and the ACL lines.
    const longUrl = `/api/${'x'.repeat(12_000)}`;
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${serve.url}#/trace/www`);
      await page.waitForSelector('[data-action="trace"]:not([disabled])', { timeout: 10_000 });
      await page.fill('input[placeholder^="e.g. /static"]', longUrl);
      await page.click('[data-action="trace"]');
      await page.waitForSelector('.result[data-trace-backend="api_backend"]', { timeout: 10_000 });
      const { scroll, client } = await pageWidth(page);
      assert.ok(scroll <= client, `tracer at ${width} px: the page is ${scroll} px wide in a ${client} px window`);
      assert.ok((await page.locator('.steps').innerText()).includes('x'.repeat(100)), 'the steps show the URL');
      assert.ok((await page.locator('.acls').first().innerText()).includes('x'.repeat(100)), 'the ACL line shows the fetched path');
      // Each long value is a box of a few lines that scrolls: not pages of x (the wrapped page was 38,000 px tall at 390 px).
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      assert.ok(height < 4000, `tracer at ${width} px: the page is ${height} px tall`);
      assert.ok(await page.locator('.steps .long').count() > 0 && await page.locator('.acls code.long').count() > 0);
    }
    await page.screenshot({ path: path.join(screenshotDir, 'audit-tracer-long-url-phone.png') });
    // 20,000 characters do not fit the buffer's room for a head: traced as the 400 a real request gets.
    await page.fill('input[placeholder^="e.g. /static"]', `/api/${'x'.repeat(20_000)}`);
    await page.click('[data-action="trace"]');
    await page.waitForFunction(() => /Loadstar refuses the request: 400 \(the request line and headers take more than/.test(document.querySelector('#verdict')?.textContent ?? ''), undefined, { timeout: 10_000 });
    assert.match(await page.locator('.steps').innerText(), /refuses the request before any rule runs \(the request line and headers take more than the 15360 bytes/);

    // The health timeline on a phone: every tooltip, hovered or focused, inside the 390 px viewport;
    // the DOWN band's, right-aligned to its band in the bar's right part, had to move.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${serve.url}#/health/web_backend/web1`);
    const row = '[data-timeline="web_backend/web1"]';
    await page.locator(`${row} .band.DOWN`).waitFor({ timeout: 15_000 });
    const tips = await tooltipEdges(page, row);
    const outside = tips.filter((tip) => tip.left < 0 || tip.right > 390);
    assert.deepEqual(outside, [], JSON.stringify(tips));
    assert.ok(tips.some((tip) => tip.band === 'DOWN' && tip.shift !== ''), `the DOWN band's tooltip was moved in: ${JSON.stringify(tips)}`);
    await page.locator(`${row} .band.DOWN button`).focus();
    await page.screenshot({ path: path.join(screenshotDir, 'audit-health-tooltip-phone.png') });

    // Traffic of an id that is not an object: the error, no charts.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${serve.url}#/traffic/backend/big`);
    await page.waitForFunction(() => document.querySelector('main')?.textContent?.includes('Loading the traffic series'), undefined, { timeout: 10_000 });
    await page.waitForTimeout(1500);
    assert.equal(await page.locator('main .charts').count(), 0, 'no charts under the error');
    assert.equal(await page.locator('main canvas').count(), 0);
    await page.screenshot({ path: path.join(screenshotDir, 'audit-traffic-unknown.png'), fullPage: true });
    // A real object still has its charts.
    await page.goto(`${serve.url}#/traffic/backend%3Aweb_backend`);
    await page.locator('main .charts canvas').first().waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('main .charts > *').count(), 5);
  });
});
