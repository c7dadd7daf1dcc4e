/**
 * A new user's first minutes in a real browser against a real `loadstar
 * serve` running the built-in demo configuration (as `npm start` without a
 * desktop does):
 *  - the Overview says plainly that this is the demo, what it is, and the
 *    next step (keyboard reachable); next to the user's own server it says
 *    what is left of the demo; once the demo is gone, nothing;
 *  - Health of a server added a moment ago: the 24 h timeline begins with a
 *    "Not configured yet" band and its uptime counts since it was added (not
 *    "UP for 24 h"); the servers there from the start have "No history yet"
 *    before the history began;
 *  - the chosen range stays while moving between screens and across a reload.
 * Screenshots at 1280 and 360 px, light and dark, in test-output/screenshots/ui-first-run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { freePort } from '../helpers/net.ts';
import { defaultConfigText } from '../../proxy/admin/default-config.ts';
import { requireBrowserAndBuild, root, sleep, startOrigin, withUiSession } from './harness.ts';

const shots = path.join(root, 'test-output', 'screenshots', 'ui-first-run');

/** Light and dark, desktop and phone; at phone width nothing scrolls sideways. */
async function shootAll(page: Page, name: string, ready: string): Promise<void> {
  for (const [width, height] of [[1280, 860], [360, 740]] as const) {
    await page.setViewportSize({ width, height });
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.waitForSelector(ready);
      await page.screenshot({ path: path.join(shots, `${name}-${width}-${scheme}.png`), fullPage: width === 360 });
    }
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    assert.ok(widths.scroll <= widths.client, `${name} scrolls sideways at ${width} px: ${JSON.stringify(widths)}`);
  }
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.emulateMedia({ colorScheme: 'light' });
}

/** The demo's configuration file with `extra` appended (a hand edit), applied by SIGHUP. */
function reloadWith(cfgFile: string, text: string, child: { kill(signal: NodeJS.Signals): boolean }): void {
  fs.writeFileSync(cfgFile, text);
  child.kill('SIGHUP');
}

test('first run: the Overview says it is the demo and what to do next; a server added a moment ago is not "UP for 24 h"; the Health range is kept', { timeout: 120_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  fs.mkdirSync(shots, { recursive: true });
  const nas = await startOrigin('nas');
  const [adminPort, frontend, web1, web2, api1, sitePort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const demo = defaultConfigText({ frontend, web1, web2, api1 });
  await withUiSession({ name: 'ui-first-run', config: demo, adminPort, graceMs: 500, viewport: { width: 1280, height: 860 }, origins: [nas] }, async ({ serve, cfgFile, page }) => {
    // The demo alone: said so, with what it is and where to go next.
    await page.goto(`${serve.url}#/`);
    const notice = page.locator('[data-demo="only"]');
    await notice.waitFor({ timeout: 20_000 });
    const text = await notice.innerText();
    assert.match(text, /This is the built-in demo configuration/);
    assert.match(text, /demo-web1, demo-web2 and demo-api1\) that Loadstar runs itself on 127\.0\.0\.1/);
    assert.match(text, new RegExp(`http://127\\.0\\.0\\.1:${frontend}/`));
    assert.equal(await page.getAttribute('[data-demo-action="wizard"]', 'href'), '#/setup');
    assert.equal(await page.getAttribute('[data-demo-action="config"]', 'href'), '#/config');
    assert.equal(await page.getAttribute('section[data-demo]', 'aria-labelledby'), 'demo-title');
    // Reached with Tab, and it leads to the wizard.
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.getAttribute('data-demo-action') === 'wizard');
    }
    assert.ok(reached, 'Add your first site is reached with Tab');
    await shootAll(page, 'overview-demo', '[data-demo="only"]');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash === '#/setup');

    // The user's own site next to the demo (a hand edit, SIGHUP): the notice says what is left of the demo.
    const mine = `${demo}
frontend site
    bind 127.0.0.1:${sitePort}
    default_backend mine

backend mine
    server nas 127.0.0.1:${nas.port}
`;
    reloadWith(cfgFile, mine, serve.child);
    await page.goto(`${serve.url}#/`);
    await page.locator('[data-demo="partly"]').waitFor({ timeout: 20_000 });
    assert.match(await page.locator('[data-demo="partly"]').innerText(), /backends demo-web and demo-api still hold .* Remove them and frontend demo when you no longer need the demo/);
    await shootAll(page, 'overview-partly', '[data-demo="partly"]');

    // Health over 24 hours: nas was added seconds ago, the demo servers were there when the history began.
    await page.goto(`${serve.url}#/health/mine`);
    await page.click('button:has-text("24 hours")');
    await page.waitForFunction(() => document.querySelector('[data-timeline="mine/nas"] [data-since]') !== null, undefined, { timeout: 15_000 });
    const row = page.locator('[data-timeline="mine/nas"]');
    assert.equal((await row.locator('.band').first().getAttribute('class'))?.split(' ')[1], 'NOT-CONFIGURED');
    assert.match(await row.locator('.band').first().innerText(), /Not configured yet/);
    assert.match(await row.locator('[data-since]').innerText(), /^since it was added \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.match(await row.locator('.uptime').innerText(), /100\.00 %/);
    // Its UP band's details: from when it was added, for seconds, not 24 h.
    await row.locator('.band.UP button').focus();
    assert.match(await row.locator('.band.UP .tip').innerText(), /UP from .* for \d+ s\s+State when it was added to the configuration\./);
    await shootAll(page, 'health-added', '[data-timeline="mine/nas"] [data-since]');

    await page.goto(`${serve.url}#/health/demo-web`);
    await page.waitForSelector('[data-timeline="demo-web/demo-web1"] [data-since="history-began"]', { timeout: 15_000 });
    assert.match(await page.locator('[data-timeline="demo-web/demo-web1"] .band').first().innerText(), /No history yet/);
    assert.equal(await page.locator('button[aria-pressed="true"]').innerText(), '24 hours', 'the range kept on another Health page');
    await shootAll(page, 'health-history-began', '[data-timeline="demo-web/demo-web1"] [data-since]');

    // Stopped and started again (as from the tray): the seconds between are "Loadstar not running", drawn as
    // such and left out of the uptime (not UP across them).
    for (const method of ['stop', 'start']) {
      const answer = await page.evaluate(async (m) => {
        const session = (await (await fetch('/api/session')).json()) as { value: { csrfToken: string; csrfHeader: string } };
        const headers = { 'content-type': 'application/json', [session.value.csrfHeader]: session.value.csrfToken };
        return (await fetch(`/api/${m}`, { method: 'POST', headers, body: JSON.stringify({ args: m === 'stop' ? [0] : [] }) })).json();
      }, method);
      assert.equal(answer.ok, true, `${method}: ${JSON.stringify(answer)}`);
      if (method === 'stop') await sleep(2000);
    }
    const web1 = page.locator('[data-timeline="demo-web/demo-web1"]');
    await web1.locator('.band.NOT-RUNNING').waitFor({ timeout: 15_000 });
    await page.waitForFunction(() => document.querySelectorAll('[data-timeline="demo-web/demo-web1"] .band.NOT-RUNNING').length === 1 && document.querySelector('[data-timeline="demo-web/demo-web1"] .band:last-child:not(.NOT-RUNNING)') !== null, undefined, { timeout: 15_000 });
    assert.match(await web1.locator('[data-not-running]').innerText(), /not counting [23] s while Loadstar was not running/);
    await web1.locator('.band.NOT-RUNNING button').focus();
    assert.match(await web1.locator('.band.NOT-RUNNING .tip').innerText(), /Loadstar not running from .* for [23] s\s+Loadstar was stopped, quit or the machine was off/);
    await shootAll(page, 'health-not-running', '[data-timeline="demo-web/demo-web1"] [data-not-running]');

    // The range is kept across screens (navigation links) and a reload of the page.
    await page.click('nav a[href="#/"]');
    await page.waitForSelector('h1:has-text("Overview")');
    await page.click('nav a[href="#/health"]');
    await page.waitForSelector('[data-timeline]');
    assert.equal(await page.locator('button[aria-pressed="true"]').innerText(), '24 hours', 'kept across screens');
    await page.reload();
    await page.waitForSelector('[data-timeline]');
    assert.equal(await page.locator('button[aria-pressed="true"]').innerText(), '24 hours', 'kept across a reload');

    // The demo removed: no notice any more.
    reloadWith(cfgFile, `defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend site
    bind 127.0.0.1:${sitePort}
    default_backend mine

backend mine
    server nas 127.0.0.1:${nas.port}
`, serve.child);
    await page.goto(`${serve.url}#/`);
    await page.waitForFunction(() => document.querySelector('[data-frontend="demo"]') === null && document.querySelector('[data-frontend="site"]') !== null, undefined, { timeout: 20_000 });
    assert.equal(await page.locator('[data-demo]').count(), 0, 'the notice is gone with the demo');
  });
});
