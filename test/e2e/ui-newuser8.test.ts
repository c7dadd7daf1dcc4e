/**
 * A new user sets, without typing configuration text, what two forms used to leave to the editor:
 * each server's Max connections ("First available" fills the first server up to it; without one the
 * Balancing and Review steps say so in words), on a phone (390 px) and a desktop (1280 px).
 * Screenshots under test-output/screenshots/newuser8/; every file written passes `haproxy -c`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { haproxyCheckText, requireHaproxy } from '../helpers/haproxy.ts';
import { requireBrowserAndBuild, root, startOrigin, withUiSession, wizardNext, wizardThroughRouting } from './harness.ts';

const shots = path.join(root, 'test-output', 'screenshots', 'newuser8');
const HEAD = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n';

for (const [label, viewport, base] of [['phone', { width: 390, height: 844 }, 23400], ['desktop', { width: 1280, height: 900 }, 23420]] as const) {
  test(`on a ${label}, "First available" without Max connections is said at Balancing and Review, and a limit set on the server line ends it`, { timeout: 120_000 }, async (t) => {
    if (!requireBrowserAndBuild(t)) return;
    fs.mkdirSync(shots, { recursive: true });
    const [o1, o2] = await Promise.all([startOrigin('web1', base + 1), startOrigin('web2', base + 2)]);
    const config = `${HEAD}\nfrontend other\n    bind 127.0.0.1:${base + 3}\n    default_backend app\n\nbackend app\n    server a1 127.0.0.1:${o1.port}\n`;
    await withUiSession({ name: `ui-newuser8-${label}`, config, adminPort: base, graceMs: 500, viewport, origins: [o1, o2] }, async ({ serve, page, cfgFile }) => {
      await wizardThroughRouting(page, serve.url, { name: 'shop', port: base + 4, defaultBackend: 'shop_backend' });
      await page.waitForSelector('.wizard[data-step="servers"]');
      await page.fill('#f-backends-0-servers-0-name', 'web1');
      await page.fill('#f-backends-0-servers-0-address', '127.0.0.1');
      await page.fill('#f-backends-0-servers-0-port', String(o1.port));
      await page.click('#add-server-0');
      await page.fill('#f-backends-0-servers-1-name', 'web2');
      await page.fill('#f-backends-0-servers-1-address', '127.0.0.1');
      await page.fill('#f-backends-0-servers-1-port', String(o2.port));
      // Labelled, empty (no limit), reached by Tab from the weight.
      const max = page.getByLabel('Max connections').first();
      assert.equal(await max.inputValue(), '');
      await page.focus('#f-backends-0-servers-0-weight');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-backends-0-servers-0-maxconn');
      await page.keyboard.type('0');
      await page.click('[data-action="next"]');
      const err = page.locator('#f-backends-0-servers-0-maxconn-err');
      await err.waitFor();
      assert.match(await err.innerText(), /whole number from 1 to 100000; leave it empty for no limit/);
      await page.fill('#f-backends-0-servers-0-maxconn', '');
      await page.screenshot({ path: path.join(shots, `servers-${label}.png`), fullPage: true });

      await wizardNext(page, 'balance');
      await page.click('label.algo:has-text("First available") input');
      const note = page.locator('[data-first-no-limit]');
      await note.waitFor();
      assert.match(await note.innerText(), /Set Max connections on the servers .*without a limit the first server gets every request/);
      await note.scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(shots, `balance-first-${label}.png`), fullPage: true });
      await wizardNext(page, 'health');
      await wizardNext(page, 'review');
      await page.waitForSelector('[data-summary]');
      assert.match(await page.locator('[data-first-no-limit-review="shop_backend"]').innerText(), /First available" with no server limit/);
      await page.screenshot({ path: path.join(shots, `review-warning-${label}.png`), fullPage: true });

      await page.click('[data-first-no-limit-review] button');
      await page.waitForSelector('.wizard[data-step="servers"]');
      await page.fill('#f-backends-0-servers-0-maxconn', '25');
      await wizardNext(page, 'balance');
      assert.equal(await page.locator('[data-first-no-limit]').count(), 0, 'a limit ends the note');
      await wizardNext(page, 'health');
      await wizardNext(page, 'review');
      await page.waitForSelector('[data-summary]');
      assert.equal(await page.locator('[data-first-no-limit-review]').count(), 0);
      await page.click('[data-action="apply"]');
      await page.waitForSelector('[data-apply="applied"]', { timeout: 30_000 });
      const text = fs.readFileSync(cfgFile, 'utf8');
      assert.match(text, /\n {4}balance first\n/);
      assert.match(text, new RegExp(`\\n {4}server web1 127\\.0\\.0\\.1:${o1.port} maxconn 25 check\\n`));
      assert.match(text, new RegExp(`\\n {4}server web2 127\\.0\\.0\\.1:${o2.port} check\\n`));
      if (requireHaproxy(t)) {
        const check = haproxyCheckText(text);
        assert.equal(check.status, 0, `${text}\n${check.output}`);
      }

      // The backend's edit form reads it back.
      await page.goto(`${serve.url}#/setup/backend/shop_backend`);
      await page.waitForSelector('.wizard[data-step="servers"]');
      assert.equal(await page.inputValue('#f-backends-0-servers-0-maxconn'), '25');
      assert.equal(await page.inputValue('#f-backends-0-servers-1-maxconn'), '');
    });
  });
}
