/**
 * A new user's phone (390 px wide), in a real browser against a real `loadstar serve`: the
 * wizard's row of steps never starts with a sliver of a step cut at its left edge (the Review
 * and Applied screens of an eight-step site showed one of step 1), and the Access log's Text
 * filter shows its placeholder in the usual weight (bold italic read as text typed there).
 * Screenshots under test-output/screenshots/newuser7/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { freePort } from '../helpers/net.ts';
import { requireBrowserAndBuild, root, startOrigin, withUiSession, wizardNext, wizardThroughRouting } from './harness.ts';

const shots = path.join(root, 'test-output', 'screenshots', 'newuser7');

/** The steps the row shows cut at its left edge (a whole step, or one scrolled out of sight, is fine; the steps to come may run off the right edge). */
function cutSteps(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const list = document.querySelector('.steps ol')!;
    const box = list.getBoundingClientRect();
    return [...list.querySelectorAll('li')].flatMap((li, i) => {
      const r = li.getBoundingClientRect();
      const cut = r.left < box.left - 0.5 && r.right > box.left + 0.5;
      return cut ? [`step ${i + 1} (${Math.round(r.left - box.left)}..${Math.round(r.right - box.left)} of ${Math.round(box.width)})`] : [];
    });
  });
}

test('on a phone the wizard\'s steps start at a whole step on every screen, and the log\'s Text placeholder is not bold', { timeout: 90_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  fs.mkdirSync(shots, { recursive: true });
  const origin = await startOrigin('web1');
  const [adminPort, otherPort, sitePort] = await Promise.all([freePort(), freePort(), freePort()]);
  const config = `defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n\nfrontend other\n    bind 127.0.0.1:${otherPort}\n    default_backend app\n\nbackend app\n    server a1 127.0.0.1:${origin.port}\n`;
  await withUiSession({ name: 'ui-newuser7', config, adminPort, graceMs: 500, viewport: { width: 390, height: 844 }, origins: [origin] }, async ({ serve, page }) => {
    await wizardThroughRouting(page, serve.url, { name: 'shop', port: sitePort, defaultBackend: 'shop_backend' });
    await page.waitForSelector('.wizard[data-step="servers"]');
    assert.deepEqual(await cutSteps(page), [], 'servers');
    await page.fill('#f-backends-0-servers-0-name', 'web1');
    await page.fill('#f-backends-0-servers-0-address', '127.0.0.1');
    await page.fill('#f-backends-0-servers-0-port', String(origin.port));
    for (const step of ['balance', 'health', 'review']) {
      await wizardNext(page, step);
      await page.waitForTimeout(100);
      assert.deepEqual(await cutSteps(page), [], step);
    }
    await page.waitForSelector('[data-summary]');
    // The current step stays whole and in view.
    const current = await page.evaluate(() => {
      const box = document.querySelector('.steps ol')!.getBoundingClientRect();
      const r = document.querySelector('.steps li.current')!.getBoundingClientRect();
      return r.left >= box.left && r.right <= box.right;
    });
    assert.ok(current, 'the current step is whole');
    await page.screenshot({ path: path.join(shots, 'review-phone.png') });
    await page.click('[data-action="apply"]');
    await page.waitForSelector('[data-apply="applied"]', { timeout: 30_000 });
    await page.waitForTimeout(100);
    assert.deepEqual(await cutSteps(page), [], 'applied');
    await page.screenshot({ path: path.join(shots, 'applied-phone.png') });

    await page.goto(`${serve.url}#/log`);
    const text = page.locator('input[type="search"]');
    await text.waitFor();
    assert.equal(await text.evaluate((el) => getComputedStyle(el).fontWeight), '400');
    assert.equal(await text.evaluate((el) => getComputedStyle(el, '::placeholder').fontWeight), '400');
    await page.screenshot({ path: path.join(shots, 'log-phone.png') });
  });
});
