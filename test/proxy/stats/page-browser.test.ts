/**
 * The statistics page as a user sees it in Chromium: it renders without console errors or requests
 * leaving 127.0.0.1, at desktop and phone width, light and dark; a server is set to drain by ticking
 * it, choosing the action and pressing Apply, and the page says so and shows it draining.
 * Screenshots under test-output/screenshots/stats-page/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEngine, startNamedServer, freePort, waitFor } from '../../helpers/net.ts';
import { closeChromium, launchChromium, nssHome, requireChromium } from '../../helpers/chromium.ts';

const shots = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test-output', 'screenshots', 'stats-page');

test('the stats page renders in a browser at desktop and phone width, and its form sets a server to drain', { timeout: 90_000 }, async (t) => {
  if (!requireChromium(t)) return;
  fs.mkdirSync(shots, { recursive: true });
  const origin = await startNamedServer('app');
  const [statsPort, sitePort, deadPort] = [await freePort(), await freePort(), await freePort()];
  const engine = await startEngine(`defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
listen stats
    bind 127.0.0.1:${statsPort}
    stats enable
    stats uri /stats
    stats refresh 30s
    stats admin if TRUE
frontend site
    bind 127.0.0.1:${sitePort}
    default_backend app
backend app
    server web1 127.0.0.1:${origin.port} check inter 500ms
    server web2 127.0.0.1:${origin.port} check inter 500ms
    server gone 127.0.0.1:${deadPort} check inter 500ms
    server spare 127.0.0.1:${origin.port} backup
`);
  const home = nssHome();
  const browser = await launchChromium(home);
  const problems: string[] = [];
  try {
    await waitFor('the dead server to be found DOWN', () => engine.engine.lifecycle().state === 'running' && /DOWN/.test(String(
      [...(engine.engine.stats.view()?.backends.get('app')?.servers ?? [])].find((s) => s.name === 'gone')?.status)), 10_000);
    const context = await browser.newContext();
    await context.route('**/*', (route) => {
      if (new URL(route.request().url()).hostname === '127.0.0.1') return route.continue();
      problems.push(`request left 127.0.0.1: ${route.request().url()}`);
      return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    const url = `http://127.0.0.1:${statsPort}/stats`;
    for (const [size, width, height] of [['desktop', 1400, 900], ['phone', 390, 844]] as const) {
      await page.setViewportSize({ width, height });
      await page.goto(url);
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.screenshot({ path: path.join(shots, `${size}-${scheme}.png`), fullPage: true });
      }
      await page.emulateMedia({ colorScheme: 'light' });
      // The page is read as a table per proxy; the DOWN server's row says so in words, not colour alone.
      const gone = page.locator('tr', { has: page.locator('td', { hasText: /^gone$/ }) });
      assert.match((await gone.textContent()) ?? '', /DOWN/);
    }
    await page.setViewportSize({ width: 1400, height: 900 });
    // As an operator: tick web2, choose "Set state to DRAIN", press Apply.
    const web2 = page.locator('tr', { has: page.locator('td', { hasText: /^web2$/ }) });
    await web2.locator('input[type=checkbox]').check();
    await page.locator('select[name=action]').first().selectOption('drain');
    await Promise.all([page.waitForURL(/;st=DONE$/), page.locator('input[type=submit][value=Apply]').first().click()]);
    assert.match((await page.locator('body').textContent()) ?? '', /Action processed successfully\./);
    assert.match((await page.locator('tr', { has: page.locator('td', { hasText: /^web2$/ }) }).textContent()) ?? '', /DRAIN/);
    await page.screenshot({ path: path.join(shots, 'after-drain.png'), fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await closeChromium(browser);
    fs.rmSync(home, { recursive: true, force: true });
    await engine.stop();
    await origin.close();
  }
});
