/**
 * Day two in a real browser against a real `loadstar serve`, with an
 * existing configuration that keeps sessions with a cookie (as an imported
 * haproxy.cfg does) and real origins on 127.0.0.1:
 *  - the Traffic screen, opened from the navigation, shows the busy
 *    frontend, not the idle one that comes first in the file;
 *  - the backend's edit form takes a pasted list of servers: a line it
 *    cannot read is reported by number and nothing is added; fixed, the
 *    servers are added, and each new one gets a cookie value like the
 *    servers already there (shown under its row);
 *  - applied, real requests prove it: a new server sets its cookie, and a
 *    client sending that cookie stays on it;
 *  - keyboard: an inline confirmation takes the focus to Cancel and Escape
 *    cancels it; Escape closes the phone menu;
 *  - `haproxy -c` accepts the file written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { freePort } from '../helpers/net.ts';
import { haproxyCheck, haproxyPath, requireHaproxy } from '../helpers/haproxy.ts';
import { requireBrowserAndBuild, root, send, sleep, startOrigin, type Origin, withUiSession } from './harness.ts';

const shots = path.join(root, 'test-output', 'screenshots', 'ui-daytwo');

function config(idlePort: number, shopPort: number, origins: Origin[]): string {
  return `defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s

# an old site nobody uses any more
frontend attic
    bind 127.0.0.1:${idlePort}
    default_backend app

frontend shop
    bind 127.0.0.1:${shopPort}
    default_backend app

backend app
    cookie SERVERID insert indirect nocache
    server a1 127.0.0.1:${origins[0]!.port} cookie a1
    server a2 127.0.0.1:${origins[1]!.port} cookie a2
`;
}

/** One request: the server that answered and the cookie it set. */
function get(port: number, cookie?: string): Promise<{ server: string; setCookie: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, headers: cookie ? { cookie } : {}, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ server: String(res.headers['x-server'] ?? ''), setCookie: String(res.headers['set-cookie'] ?? '') }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

test('day two: the busy frontend is shown first, a pasted server list is added with cookie values, and the new servers keep their clients', { timeout: 90_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  fs.mkdirSync(shots, { recursive: true });
  const origins = [await startOrigin('a1'), await startOrigin('a2'), await startOrigin('a3'), await startOrigin('a4')];
  const [adminPort, idlePort, shopPort] = await Promise.all([freePort(), freePort(), freePort()]);
  await withUiSession({ name: 'ui-daytwo', config: config(idlePort, shopPort, origins), adminPort, graceMs: 1000, viewport: { width: 1280, height: 860 }, origins }, async ({ serve, dataDir, cfgFile, page }) => {
    // Traffic on shop only, for a few seconds.
    for (let i = 0; i < 40; i++) assert.equal(await send(shopPort, '/'), 200);
    // The page picks the busiest frontend once, from the per-second series, which the statistics fill on
    // their once-a-second tick: on a fast machine the page asked before the tick had recorded this traffic.
    await sleep(2100);

    await page.goto(`${serve.url}#/traffic`);
    await page.waitForSelector('h1:has-text("Traffic: Frontend shop")', { timeout: 15_000 });
    assert.match(await page.locator('main').innerText(), /busiest frontend/);

    // The backend's edit form: a pasted list with a mistake, then right.
    await page.goto(`${serve.url}#/setup/backend/app`);
    await page.waitForSelector('.wizard[data-step="servers"]');
    await page.click('summary:has-text("Add many servers")');
    await page.fill('#many-0', `a3 127.0.0.1:${origins[2]!.port}\na4 127.0.0.1:${origins[3]!.port} wieght 2`);
    await page.click('button:has-text("Add these servers")');
    assert.match(await page.locator('#many-0-result').innerText(), /Line 2: 'wieght' is not understood[\s\S]*Nothing was added/);
    assert.equal(await page.locator('[data-server-row]').count(), 2);
    await page.fill('#many-0', `a3 127.0.0.1:${origins[2]!.port}\na4 127.0.0.1:${origins[3]!.port} weight 2`);
    await page.click('button:has-text("Add these servers")');
    assert.match(await page.locator('#many-0-result').innerText(), /Added 2 servers/);
    assert.deepEqual(await page.locator('[data-sticky-cookie]').evaluateAll((els) => els.map((e) => e.getAttribute('data-sticky-cookie'))), ['a3', 'a4']);
    await page.screenshot({ path: path.join(shots, 'servers-added.png'), fullPage: true });
    for (const step of ['balance', 'health', 'review']) {
      await page.click('[data-action="next"]');
      await page.waitForSelector(`.wizard[data-step="${step}"]`, { timeout: 15_000 });
    }
    const diff = await page.locator('pre.diff').innerText();
    assert.match(diff, /\+\s*server a3 127\.0\.0\.1:\d+ cookie a3/);
    assert.match(diff, /\+\s*server a4 127\.0\.0\.1:\d+ weight 2 cookie a4/);
    await page.click('[data-action="apply"]');
    await page.waitForSelector('[data-apply="applied"]', { timeout: 30_000 });

    // Real requests: every server sets its own cookie, and the cookie keeps a client on its server.
    const cookies = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const r = await get(shopPort);
      if (r.setCookie) cookies.add(r.setCookie.split(';')[0]!);
    }
    assert.ok(cookies.has('SERVERID=a3') && cookies.has('SERVERID=a4'), `cookies set: ${[...cookies].join(', ')}`);
    for (let i = 0; i < 4; i++) assert.equal((await get(shopPort, 'SERVERID=a4')).server, 'a4');
    for (let i = 0; i < 4; i++) assert.equal((await get(shopPort, 'SERVERID=a3')).server, 'a3');

    // Keyboard: an inline confirmation takes the focus to Cancel, Escape cancels and gives it back to the asking button.
    await page.goto(`${serve.url}#/config`);
    await page.click('button[aria-label="Remove frontend attic"]');
    await page.waitForFunction(() => document.activeElement?.hasAttribute('data-cancel'));
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Remove frontend attic');
    assert.equal(await page.locator('[data-action="confirm-remove"]').count(), 0);
    // The phone menu closes with Escape, the focus back on its button.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.click('button.menu');
    assert.equal(await page.locator('#nav').isVisible(), true);
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('#nav').isVisible(), false);
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('menu')), true);

    if (requireHaproxy(t) && haproxyPath) {
      const r = haproxyCheck(cfgFile, dataDir);
      assert.equal(r.status, 0, r.output);
    }
  });
});
