/**
 * A new user sets, without typing configuration text, what two forms used to leave to the editor:
 * each server's Max connections ("First available" fills the first server up to it; without one the
 * Balancing and Review steps say so in words), and the stats page's login and reload interval
 * (`stats auth`, `stats refresh`), on a phone (390 px) and a desktop (1280 px).
 * Screenshots under test-output/screenshots/newuser8/; every file written passes `haproxy -c`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
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
      await page.locator('.split[aria-busy="false"]').waitFor();
      await page.click('label.algo:has-text("First available") input');
      // Until its own prediction comes, the round robin's is not shown as this choice's.
      const explain = await page.locator('.split').evaluate((e) => [e.getAttribute('aria-busy'), e.querySelector('.explain')?.textContent ?? '']);
      assert.ok(explain[0] === 'true' ? /Computing the split/.test(explain[1]!) : !/Takes turns/.test(explain[1]!), explain.join(': '));
      await page.locator('.split[aria-busy="false"]').waitFor();
      assert.doesNotMatch(await page.locator('.split .explain').innerText(), /Takes turns/);
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

/** GET `urlPath` of 127.0.0.1:`port`, with a Basic login when given: the status and the Refresh header. */
function get(port: number, urlPath: string, login?: string): Promise<{ status: number; refresh: string | undefined }> {
  return new Promise((resolve, reject) => {
    const headers = login ? { authorization: `Basic ${Buffer.from(login).toString('base64')}` } : undefined;
    http.get({ host: '127.0.0.1', port, path: urlPath, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, refresh: res.headers.refresh as string | undefined }));
    }).on('error', reject);
  });
}

for (const [label, viewport, base] of [['phone', { width: 390, height: 844 }, 23440], ['desktop', { width: 1280, height: 900 }, 23460]] as const) {
  test(`on a ${label}, the stats page gets a login and a reload interval from the Routing step, refused at the field when half there`, { timeout: 120_000 }, async (t) => {
    if (!requireBrowserAndBuild(t)) return;
    fs.mkdirSync(shots, { recursive: true });
    const origin = await startOrigin('web1', base + 1);
    const config = `${HEAD}\nfrontend other\n    bind 127.0.0.1:${base + 3}\n    default_backend app\n\nbackend app\n    server a1 127.0.0.1:${origin.port}\n`;
    await withUiSession({ name: `ui-newuser8-stats-${label}`, config, adminPort: base, graceMs: 500, viewport, origins: [origin] }, async ({ serve, page, cfgFile }) => {
      await page.goto(`${serve.url}#/setup/frontend/other`);
      await page.waitForSelector('.wizard[data-step="listen"]');
      await wizardNext(page, 'tls');
      await wizardNext(page, 'routing');
      await page.check('[data-page="stats"]');
      await page.fill('#f-pages-statsUri', '/lb-stats');
      assert.equal(await page.getAttribute('#f-pages-statsPassword', 'type'), 'password');
      assert.equal(await page.locator('[data-pages-note]').count(), 1, 'open to anyone: said');
      await page.getByLabel('User name').fill('ad:min');
      await page.getByLabel('Reload the page every (seconds)').fill('0');
      await page.click('[data-action="next"]');
      await page.locator('#f-pages-statsUser-err').waitFor();
      assert.match(await page.innerText('#f-pages-statsUser-err'), /cannot hold ':'/);
      assert.match(await page.innerText('#f-pages-statsRefresh-err'), /whole number of seconds from 1 to 86400/);
      await page.fill('#f-pages-statsUser', 'admin');
      await page.click('[data-action="next"]');
      await page.locator('#f-pages-statsPassword-err').waitFor();
      assert.match(await page.innerText('#f-pages-statsPassword-err'), /Enter the password too, or empty the user name/);
      await page.locator('[data-stats-login]').scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(shots, `stats-errors-${label}.png`), fullPage: true });
      // Keyboard: from the user name, Tab reaches the password, then the interval.
      await page.focus('#f-pages-statsUser');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-pages-statsPassword');
      await page.keyboard.type('pa ss:1');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-pages-statsRefresh');
      await page.keyboard.press('Control+A');
      await page.keyboard.type('15');
      assert.equal(await page.locator('[data-pages-note]').count(), 0, 'a page behind a login is not said to be open');
      await page.screenshot({ path: path.join(shots, `stats-login-${label}.png`), fullPage: true });
      await wizardNext(page, 'review');
      await page.waitForSelector('[data-summary]');
      await page.click('[data-action="apply"]');
      await page.waitForSelector('[data-apply="applied"]', { timeout: 30_000 });
      const text = fs.readFileSync(cfgFile, 'utf8');
      assert.match(text, /\n {4}stats enable\n {4}stats uri \/lb-stats\n {4}stats auth 'admin:pa ss:1'\n {4}stats refresh 15s\n/);
      if (requireHaproxy(t)) {
        const check = haproxyCheckText(text);
        assert.equal(check.status, 0, `${text}\n${check.output}`);
      }
      // The running site asks for the login, and the page reloads itself every 15 s.
      assert.equal((await get(base + 3, '/lb-stats')).status, 401);
      assert.equal((await get(base + 3, '/lb-stats', 'admin:wrong')).status, 401);
      const ok = await get(base + 3, '/lb-stats', 'admin:pa ss:1');
      assert.deepEqual(ok, { status: 200, refresh: '15' });

      // Read back by the edit form.
      await page.goto(`${serve.url}#/config`);
      await page.goto(`${serve.url}#/setup/frontend/other`);
      await page.waitForSelector('.wizard[data-step="listen"]');
      await wizardNext(page, 'tls');
      await wizardNext(page, 'routing');
      assert.deepEqual([await page.inputValue('#f-pages-statsUser'), await page.inputValue('#f-pages-statsPassword'), await page.inputValue('#f-pages-statsRefresh')], ['admin', 'pa ss:1', '15']);
    });
  });
}
