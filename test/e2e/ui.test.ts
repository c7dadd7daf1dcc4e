/**
 * The UI in a real browser against a real `loadstar serve`, with the seed's
 * ACL-routing configuration (three backends, five servers) on local origins:
 * the overview lists it with states; traffic moves the graphs and counters;
 * a stopped origin turns DOWN with the check's reason and shows in its
 * timeline; drain from the UI keeps new requests away; the access log shows
 * the requests and its filters work; after a restart of serve the 24 h graph
 * and the timeline still show the earlier traffic and transitions. No console
 * error, no failed request, no request to anything but 127.0.0.1. Screenshots
 * of every screen (light/dark, desktop/phone) go to test-output/screenshots/ui/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { freePort } from '../helpers/net.ts';
import { readScenario } from '../helpers/scenarios.ts';
import {
  BrowserProblems, browser as launch, closePage, requireBrowserAndBuild, root, screenshotDir, send, sleep, startOrigin, startServe, tempDir,
  type Origin, type Serve,
} from './harness.ts';
import { closeChromium } from '../helpers/chromium.ts';

const SERVERS = ['api1', 'api2', 'static1', 'web1', 'web2'] as const;

/** seed-3 with its bind and servers moved to local ports, and checks every second (DOWN after 2 failures). */
function seedConfig(frontendPort: number, origins: Record<string, Origin>): string {
  let text = readScenario('seed/seed-3-acl-routing.cfg');
  text = text.replace(/bind \*:80/, `bind 127.0.0.1:${frontendPort}`);
  text = text.replace(/server (\w+) [\d.]+:\d+ check/g, (_m, name: string) => `server ${name} 127.0.0.1:${origins[name]!.port} check`);
  return `defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    default-server inter 1s fall 2 rise 2

${text}`;
}

async function waitForText(page: Page, selector: string, pattern: RegExp, ms: number, what: string): Promise<string> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    last = (await page.locator(selector).first().textContent({ timeout: 1000 }).catch(() => '')) ?? '';
    if (pattern.test(last)) return last;
    await sleep(100);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}: ${selector} shows ${JSON.stringify(last)}`);
}

async function chartMax(page: Page, title: string): Promise<number> {
  const plot = page.locator('figure', { hasText: title }).locator('.plot').first();
  return Number(await plot.getAttribute('data-max'));
}

async function waitForChart(page: Page, title: string, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const max = await chartMax(page, title).catch(() => 0);
    if (max > 0) return max;
    if (Date.now() > deadline) throw new Error(`the chart "${title}" stayed empty for ${ms} ms`);
    await sleep(200);
  }
}

async function go(page: Page, base: string, hash: string): Promise<void> {
  if (page.url().startsWith(base)) await page.evaluate((h) => (location.hash = h), hash);
  else await page.goto(`${base}${hash}`);
  await page.locator('main h1').first().waitFor();
}

const SCREENS: Array<{ name: string; hash: string; ready: string }> = [
  { name: 'overview', hash: '#/', ready: '[data-server="api_backend/api1"]' },
  { name: 'traffic-backend', hash: '#/traffic/backend%3Aapi_backend', ready: '.u-legend' },
  { name: 'traffic-server-health', hash: '#/traffic/server%3Aweb_backend%2Fweb2', ready: '.u-legend' },
  { name: 'health-all', hash: '#/health', ready: '[data-timeline]' },
  { name: 'health-backend', hash: '#/health/web_backend', ready: '[data-timeline]' },
  { name: 'health-server', hash: '#/health/web_backend/web2', ready: '[data-timeline]' },
  { name: 'server-controls', hash: '#/server/api_backend/api1', ready: 'fieldset' },
  { name: 'log', hash: '#/log', ready: '[data-log-row]' },
  { name: 'events', hash: '#/events', ready: '[data-event-type]' },
];

async function screenshots(b: Browser, base: string, problems: BrowserProblems, frontendPort: number): Promise<string[]> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const written: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    for (const [width, height, size] of [[1280, 720, 'desktop'], [390, 844, 'phone']] as const) {
      const context = await b.newContext({ viewport: { width, height }, colorScheme, deviceScaleFactor: 1 });
      await problems.guard(context);
      const page = await context.newPage();
      problems.watch(page);
      for (const screen of SCREENS) {
        await go(page, base, screen.hash);
        // Some traffic so the log and live figures are not empty.
        await Promise.all([send(frontendPort, '/static/logo.png'), send(frontendPort, '/', 'api.example.com'), send(frontendPort, '/index.html')]);
        await page.locator(screen.ready).first().waitFor({ timeout: 10_000 });
        await sleep(1200);
        const file = path.join(screenshotDir, `${screen.name}-${colorScheme}-${size}.png`);
        await page.screenshot({ path: file });
        written.push(file);
      }
      await closePage(page, problems);
      await context.close();
    }
  }
  return written;
}

test('the UI shows the seed configuration live, controls servers, keeps history across a restart of serve', { timeout: 600_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const origins: Record<string, Origin> = {};
  for (const name of SERVERS) origins[name] = await startOrigin(name);
  const frontendPort = await freePort();
  const adminPort = await freePort();
  const dataDir = tempDir('loadstar-ui-data-');
  const cfg = path.join(dataDir, 'seed-3.cfg');
  fs.writeFileSync(cfg, seedConfig(frontendPort, origins));
  const problems = new BrowserProblems();
  let serve: Serve | undefined = await startServe(cfg, adminPort, dataDir);
  const { browser: b, home } = await launch();
  const context = await b.newContext({ viewport: { width: 1280, height: 720 } });
  await problems.guard(context);
  let page = await context.newPage();
  problems.watch(page);
  const base = serve.url;
  // When the first burst of traffic ended: the restart test needs its minute closed and stored.
  let firstBurstAt = 0;

  try {
    await t.test('the overview lists the frontend, its routes, three backends and five servers with their states', async () => {
      await go(page, base, '#/');
      const frontend = page.locator('[data-frontend="http_frontend"]');
      await frontend.waitFor();
      assert.match(await frontend.textContent() ?? '', new RegExp(`127\\.0\\.0\\.1:${frontendPort}`));
      assert.deepEqual(await frontend.locator('[data-route]').evaluateAll((links) => links.map((a) => a.getAttribute('data-route'))), ['api_backend', 'static_backend', 'web_backend']);
      assert.equal(await page.locator('section.card h3').count(), 3);
      for (const [backend, servers] of [['api_backend', ['api1', 'api2']], ['static_backend', ['static1']], ['web_backend', ['web1', 'web2']]] as const) {
        for (const server of servers) await waitForText(page, `[data-server="${backend}/${server}"] .state`, /^\s*UP\b/, 10_000, `${backend}/${server} UP`);
      }
      await waitForText(page, '#backend-api_backend [data-summary]', /2\/2 up/, 5000, 'api_backend 2/2 up');
      // Three cards are drawn in full, near the screen or not (a full-page capture shows every one; lib/large-lists.ts).
      assert.deepEqual(await page.locator('section.card, [data-frontend]').evaluateAll((cards) => [...new Set(cards.map((c) => getComputedStyle(c).contentVisibility))]), ['visible']);
    });

    await t.test('requests through the proxy move the counters and the graphs, and hovering shows exact values', async () => {
      // Three seconds of requests to every backend.
      const end = Date.now() + 3000;
      let sent = 0;
      while (Date.now() < end && sent < 600) {
        await Promise.all([send(frontendPort, '/', 'api.example.com'), send(frontendPort, '/static/app.css'), send(frontendPort, '/')]);
        sent += 3;
      }
      firstBurstAt = Date.now();
      await waitForText(page, '#backend-api_backend .meta.num', /[1-9][\d.]* req\/s/, 5000, 'api_backend req/s above 0');
      await go(page, base, '#/server/api_backend/api1');
      await waitForText(page, '[data-total]', /^[1-9]/, 5000, 'api1 total above 0');

      await go(page, base, '#/traffic/backend%3Aapi_backend');
      assert.ok(await waitForChart(page, 'Requests per second', 8000) > 0);
      assert.ok(await waitForChart(page, 'Responses by status class', 8000) > 0);
      assert.ok(await waitForChart(page, 'Bytes per second', 8000) > 0);
      const plot = page.locator('figure', { hasText: 'Requests per second' }).locator('.u-over').first();
      const box = (await plot.boundingBox())!;
      // Hover every few pixels from the right edge until the legend shows a number.
      let legend = '';
      for (let x = box.width - 2; x > 0 && !/\d/.test(legend); x -= 6) {
        await page.mouse.move(box.x + x, box.y + box.height / 2);
        legend = (await page.locator('figure', { hasText: 'Requests per second' }).locator('.u-series').nth(1).locator('.u-value').textContent()) ?? '';
      }
      assert.match(legend, /\d.*\/s/, 'the legend shows the value under the cursor');
      // The same values from the keyboard: the chart is a slider whose value text names them.
      const slider = page.getByRole('slider', { name: /Requests per second/ });
      await slider.focus();
      await page.keyboard.press('End');
      await page.keyboard.press('ArrowLeft');
      assert.match(await slider.getAttribute('aria-valuetext') ?? '', /requests \d[\d.]*\/s/);
    });

    await t.test('a stopped origin turns DOWN within the check interval with the check reason, and its timeline shows it', async () => {
      await go(page, base, '#/');
      await origins.web2!.stop();
      const stoppedAt = Date.now();
      // inter 1s, fall 2: DOWN after two failed checks; allow a few intervals on a busy machine.
      await waitForText(page, '[data-server="web_backend/web2"] .state', /DOWN/, 10_000, 'web2 DOWN');
      const check = await page.locator('[data-server="web_backend/web2"] .check').textContent();
      assert.match(check ?? '', /L4CON|refused/i, 'the check result says why');
      t.diagnostic(`web2 shown DOWN ${Date.now() - stoppedAt} ms after its origin stopped`);
      await waitForText(page, '#backend-web_backend [data-summary]', /1\/2 up/, 5000, 'web_backend 1/2 up');

      await go(page, base, '#/health/web_backend/web2');
      await page.locator('.band.DOWN').first().waitFor({ timeout: 10_000 });
      const transitions = await page.locator('section', { hasText: 'Transitions in this range' }).textContent();
      assert.match(transitions ?? '', /DOWN/);
      assert.match(transitions ?? '', /Connection refused|Layer4/);
      // The reason is reachable from the keyboard: focus the DOWN band and read its tooltip.
      await page.locator('.band.DOWN .hit').first().focus();
      const tip = page.locator('.band.DOWN .tip').first();
      assert.ok(await tip.isVisible(), 'the tooltip shows on keyboard focus');
      assert.match(await tip.textContent() ?? '', /L4CON|Connection refused/);
    });

    await t.test('drain from the UI: no new request reaches the server, its sessions are 0', async () => {
      await go(page, base, '#/server/api_backend/api1');
      await page.getByLabel(/Drain/).check();
      await waitForText(page, '[data-state]', /DRAIN/, 5000, 'api1 DRAIN');
      const hitsBefore = origins.api1!.hits;
      const api2Before = origins.api2!.hits;
      for (let i = 0; i < 20; i++) assert.equal(await send(frontendPort, `/drain-${i}`, 'api.example.com'), 200);
      assert.equal(origins.api1!.hits, hitsBefore, 'the drained server got no new request');
      assert.equal(origins.api2!.hits - api2Before, 20, 'api2 took them all');
      await waitForText(page, '[data-sessions]', /^0$/, 5000, 'api1 sessions 0');

      // Weight: a bad value is refused on the page, a good one applied.
      await page.locator('#weight').fill('300');
      await page.getByRole('button', { name: 'Set weight' }).click();
      assert.match(await page.locator('#weight-problem').textContent() ?? '', /at most 256/);
      await page.locator('#weight').fill('7');
      await page.getByRole('button', { name: 'Set weight' }).click();
      await waitForText(page, '.done', /set to 7/, 5000, 'weight applied');
      // Back to ready for the rest of the run.
      await page.getByLabel(/Ready/).check();
      await waitForText(page, '[data-state]', /UP/, 5000, 'api1 UP again');
    });

    await t.test('the access log shows the requests, and its filters work', async () => {
      await go(page, base, '#/log');
      await sleep(500);
      for (let i = 0; i < 5; i++) {
        await send(frontendPort, `/static/e2e-marker-${i}.css`);
        await send(frontendPort, `/e2e-marker-${i}`, 'api.example.com');
        await send(frontendPort, `/missing-e2e-${i}`);
      }
      await waitForText(page, 'tbody', /e2e-marker-4/, 5000, 'the marker requests in the log');
      await page.getByLabel('Backend').selectOption('static_backend');
      await sleep(300);
      const backends = await page.locator('[data-log-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-backend')));
      assert.ok(backends.length >= 5, `static rows shown (${backends.length})`);
      assert.deepEqual([...new Set(backends)], ['static_backend']);
      await page.getByLabel('Backend').selectOption('');
      await page.getByLabel('Text').fill('e2e-marker-3');
      await sleep(300);
      const urls = await page.locator('[data-log-row]').allTextContents();
      assert.equal(urls.length, 2, 'the static and the api request of marker 3');
      assert.ok(urls.every((u) => u.includes('e2e-marker-3')));
      await page.getByLabel('Text').fill('');
      await page.getByLabel('Status').selectOption('2');
      await sleep(300);
      const statuses = await page.locator('[data-log-row]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-status'))));
      assert.ok(statuses.length > 0 && statuses.every((s) => s >= 200 && s < 300));
      await page.getByLabel('Status').selectOption('');
      // "Trace" on an entry: the tracer, filled with that request (its Host included), traces it at once.
      await page.getByLabel('Text').fill('e2e-marker-2');
      await page.locator('[data-log-row][data-backend="api_backend"]').getByRole('button', { name: /^Trace GET \/e2e-marker-2/ }).click();
      await page.locator('[data-trace-backend="api_backend"]').waitFor({ timeout: 5000 });
      assert.equal(await page.getByLabel('Host header').inputValue(), 'api.example.com');
      assert.equal(await page.getByLabel('URL (path and query)').inputValue(), '/e2e-marker-2');
      await go(page, base, '#/log');
      await page.getByLabel('Text').fill('');
      // Pause: new entries wait.
      await page.getByRole('button', { name: 'Pause' }).click();
      await send(frontendPort, '/after-pause');
      await waitForText(page, '[data-log-summary]', /Paused, [1-9]\d* new/, 5000, 'pending entries while paused');
      assert.equal(await page.locator('tbody', { hasText: '/after-pause' }).count(), 0);
      await page.getByRole('button', { name: 'Resume' }).click();
      await waitForText(page, 'tbody', /after-pause/, 5000, 'the entry after resume');
    });

    await t.test('the events screen lists the health transition, newest first', async () => {
      await go(page, base, '#/events');
      await waitForText(page, '.events', /web_backend\/web2/, 5000, 'the web2 event');
      const times = await page.locator('[data-event-type] .time').allTextContents();
      assert.deepEqual(times, times.slice().sort().reverse());
    });

    await t.test('on a phone the navigation folds into a Menu button that works from the keyboard', async () => {
      const phone = await context.newPage();
      problems.watch(phone);
      await phone.setViewportSize({ width: 390, height: 844 });
      await go(phone, base, '#/');
      const menu = phone.getByRole('button', { name: 'Menu' });
      assert.equal(await menu.getAttribute('aria-expanded'), 'false');
      assert.equal(await phone.getByRole('link', { name: 'Access log' }).isVisible(), false);
      await menu.focus();
      await phone.keyboard.press('Enter');
      assert.equal(await menu.getAttribute('aria-expanded'), 'true');
      await phone.keyboard.press('Tab');
      await phone.keyboard.press('Tab');
      await phone.keyboard.press('Enter');
      await phone.locator('main h1', { hasText: 'Traffic' }).waitFor();
      assert.equal(await menu.getAttribute('aria-expanded'), 'false', 'the menu closes on navigation');
      // No part of the page is wider than the phone: tables scroll or stack inside their own box.
      for (const hash of ['#/', '#/log', '#/health/web_backend/web2', '#/server/api_backend/api2']) {
        await go(phone, base, hash);
        await sleep(300);
        assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${hash} fits 390 px`);
      }
      await closePage(phone, problems);
    });

    await t.test('screenshots of every screen, light and dark, desktop and phone', async () => {
      const files = await screenshots(b, base, problems, frontendPort);
      assert.equal(files.length, SCREENS.length * 4);
      t.diagnostic(`${files.length} screenshots in ${path.relative(process.cwd(), screenshotDir)}`);
    });

    await t.test('after a restart of serve, the 24 h graph and the timeline still show the earlier traffic and transitions', async () => {
      // History keeps closed minutes: wait until the minute of the first burst has closed and been
      // written (a few seconds after it closes). By now it usually has: the wait is rarely needed.
      const closes = Math.ceil(firstBurstAt / 60_000) * 60_000 + 3000;
      await sleep(Math.max(0, Math.min(65_000, closes - Date.now())));
      await closePage(page, problems);
      // A page left open across the restart says that live updates are lost, then recovers by itself.
      // (Its reconnection attempts fail while serve is down: they are not counted as the run's problems.)
      const watcher = await context.newPage();
      const expected = new BrowserProblems();
      expected.watch(watcher);
      await go(watcher, base, '#/');
      await watcher.locator('[data-server="api_backend/api1"]').waitFor();
      await serve!.stop();
      await watcher.locator('[data-banner="stream"]').waitFor({ timeout: 15_000 });
      serve = await startServe(cfg, adminPort, dataDir);
      await watcher.locator('[data-banner="stream"]').waitFor({ state: 'detached', timeout: 30_000 });
      await waitForText(watcher, '[data-server="web_backend/web2"] .state', /DOWN/, 10_000, 'web2 still DOWN after the restart');
      await closePage(watcher, expected);
      page = await context.newPage();
      problems.watch(page);
      await go(page, base, '#/traffic/backend%3Aapi_backend');
      await page.getByRole('button', { name: '24 h' }).click();
      assert.ok(await waitForChart(page, 'Requests per second', 10_000) > 0, 'the 24 h graph shows the traffic from before the restart');
      await go(page, base, '#/health/web_backend/web2');
      await page.locator('.band.DOWN').first().waitFor({ timeout: 10_000 });
      const transitions = await page.locator('section', { hasText: 'Transitions in this range' }).textContent();
      assert.match(transitions ?? '', /Connection refused|Layer4/, 'the transition from before the restart is listed');
    });

    await t.test('the built page has no inline script or style element, and none is added while it runs', async () => {
      const html = fs.readFileSync(path.join(root, 'dist', 'renderer', 'index.html'), 'utf8');
      assert.deepEqual([...html.matchAll(/<script\b[^>]*>/g)].filter((m) => !/\ssrc=/.test(m[0])), []);
      assert.doesNotMatch(html, /<style\b/);
      assert.equal(await page.evaluate(() => document.querySelectorAll('style, script:not([src])').length), 0);
    });

    await t.test('no console error, no failed request, nothing but 127.0.0.1 was asked', () => {
      assert.deepEqual(problems.consoleErrors, []);
      assert.deepEqual(problems.failedRequests, []);
      assert.deepEqual(problems.foreignRequests, []);
    });
  } catch (err) {
    console.error(`loadstar serve output:\n${serve?.output()}`);
    throw err;
  } finally {
    problems.closing = true;
    await context.close().catch(() => {});
    await closeChromium(b);
    await serve?.stop();
    for (const o of Object.values(origins)) await o.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  }
});
