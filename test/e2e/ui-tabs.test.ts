/**
 * Many tabs of the admin UI in one browser, against a real `loadstar serve`:
 * browsers open at most 6 HTTP/1.1 connections per host, so with one event
 * stream per tab the 7th tab never loaded. The tabs now share one stream
 * (renderer/src/transport/shared-stream.ts): eight tabs open, every one shows
 * live data (a request through the proxy appears in every tab's access log,
 * which only the stream feeds), exactly one tab holds the stream, and when
 * that tab closes (or is frozen) another takes the stream over and every tab
 * left still updates, without a "live updates lost" banner. With a password,
 * a logout in one tab signs every tab out. Screenshots of some tabs
 * under test-output/screenshots/ui-tabs/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { freePort } from '../helpers/net.ts';
import { closePage, requireBrowserAndBuild, root, send, sleep, startOrigin, withUiSession } from './harness.ts';

const shots = path.join(root, 'test-output', 'screenshots', 'ui-tabs');
const TABS = 8;

function config(frontendPort: number, originPort: number): string {
  return `defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s

frontend shop
    bind 127.0.0.1:${frontendPort}
    default_backend app

backend app
    server a1 127.0.0.1:${originPort}
`;
}

/** Waits until the access log of `page` lists a request for `url`. */
async function waitForLogged(page: Page, url: string, ms: number, which: string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = (await page.locator('tbody').first().textContent({ timeout: 1000 }).catch(() => '')) ?? '';
    if (text.includes(url)) return;
    if (Date.now() > deadline) throw new Error(`${which} did not show ${url} in its access log within ${ms} ms (it shows ${JSON.stringify(text.slice(0, 200))})`);
    await sleep(100);
  }
}

test(`${TABS} tabs of the UI in one browser all load and show live data over one shared event stream; closing the tab that holds it hands it to another`, { timeout: 120_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  fs.mkdirSync(shots, { recursive: true });
  const origin = await startOrigin('a1');
  const [adminPort, frontendPort] = await Promise.all([freePort(), freePort()]);
  await withUiSession({ name: 'ui-tabs', config: config(frontendPort, origin.port), adminPort, graceMs: 1000, viewport: { width: 1280, height: 860 }, origins: [origin] }, async ({ serve, context, page: first, problems }) => {
    // Which tabs asked for the event stream (each EventSource request, by page).
    const streamsBy = new Map<Page, number>();
    context.on('request', (request) => {
      if (!new URL(request.url()).pathname.endsWith('/api/events')) return;
      const page = request.frame().page();
      streamsBy.set(page, (streamsBy.get(page) ?? 0) + 1);
    });

    const tabs: Page[] = [first];
    for (let i = 1; i < TABS; i++) {
      const page = await context.newPage();
      problems.watch(page);
      tabs.push(page);
    }
    for (const [i, page] of tabs.entries()) {
      // Before: tab 7 waited for a free connection behind six event streams and never loaded.
      await page.goto(`${serve.url}#/log`, { timeout: 15_000 }).catch((e: Error) => {
        throw new Error(`tab ${i + 1} of ${TABS} did not load: ${e.message.split('\n')[0]}`);
      });
      await page.locator('[data-log-summary]').waitFor({ timeout: 15_000 });
    }

    await send(frontendPort, '/tabs-marker-1');
    for (const [i, page] of tabs.entries()) await waitForLogged(page, '/tabs-marker-1', 10_000, `tab ${i + 1}`);
    const holders = [...streamsBy.keys()];
    assert.equal(holders.length, 1, `exactly one tab holds the event stream (${holders.length} asked for one)`);
    const leader = holders[0]!;
    await leader.screenshot({ path: path.join(shots, 'tab-holding-the-stream.png') });
    await tabs.find((p) => p !== leader)!.screenshot({ path: path.join(shots, 'tab-following.png') });

    // The tab holding the stream closes: another takes it over, resuming where it was.
    await closePage(leader, problems);
    const left = tabs.filter((p) => p !== leader);
    await send(frontendPort, '/tabs-marker-2');
    for (const [i, page] of left.entries()) await waitForLogged(page, '/tabs-marker-2', 10_000, `tab ${i + 1} of those left`);
    const newHolders = [...streamsBy.keys()].filter((p) => p !== leader);
    assert.equal(newHolders.length, 1, `exactly one of the tabs left took the stream over (${newHolders.length} did)`);
    for (const page of left) {
      assert.equal(await page.locator('[data-banner]').count(), 0, 'no banner: the hand-over lost nothing');
      const rows = await page.locator('[data-log-row]').allTextContents();
      assert.equal(rows.filter((r) => r.includes('/tabs-marker-1')).length, 1, 'the first request is listed once (no replayed duplicate)');
      assert.equal(rows.filter((r) => r.includes('/tabs-marker-2')).length, 1, 'the second request is listed once');
    }
    await newHolders[0]!.screenshot({ path: path.join(shots, 'tab-took-the-stream-over.png') });

    // The browser freezes the tab holding the stream (a background tab on a phone): another takes it over.
    // Headless pages are always visible and Chromium freezes no visible page (Page.setWebLifecycleState
    // does nothing to one), so the page's freeze and resume events are dispatched by hand.
    const frozen = newHolders[0]!;
    await frozen.evaluate(() => document.dispatchEvent(new Event('freeze')));
    await send(frontendPort, '/tabs-marker-frozen');
    const awake = left.filter((p) => p !== frozen);
    for (const [i, page] of awake.entries()) await waitForLogged(page, '/tabs-marker-frozen', 10_000, `tab ${i + 1} of those awake`);
    const holdersAfterFreeze = [...streamsBy.keys()].filter((p) => p !== leader && p !== frozen);
    assert.equal(holdersAfterFreeze.length, 1, `exactly one awake tab took the stream over (${holdersAfterFreeze.length} did)`);
    await frozen.evaluate(() => document.dispatchEvent(new Event('resume')));
    await waitForLogged(frozen, '/tabs-marker-frozen', 10_000, 'the tab that was frozen');

    // Phone width: a tab still follows the shared stream.
    const phone = awake.find((p) => p !== holdersAfterFreeze[0])!;
    await phone.setViewportSize({ width: 360, height: 740 });
    await send(frontendPort, '/tabs-marker-3');
    await waitForLogged(phone, '/tabs-marker-3', 10_000, 'the phone-width tab');
    await phone.screenshot({ path: path.join(shots, 'tab-following-phone.png'), fullPage: true });
  });
});

/** Waits until every page shows (or none shows) the signed-out banner. */
async function waitForBanner(pages: Page[], shown: boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const counts = await Promise.all(pages.map((p) => p.locator('[data-banner="signed-out"]').count()));
    if (counts.every((c) => (c > 0) === shown)) return;
    if (Date.now() > deadline) throw new Error(`after ${ms} ms the signed-out banner is ${shown ? 'missing from' : 'still on'} tabs ${counts.map((c, i) => ((c > 0) !== shown ? i + 1 : 0)).filter(Boolean).join(', ')}`);
    await sleep(200);
  }
}

test('with a password: logging out in one tab ends the shared stream, every tab says it is signed out and gets no more events; a login in a new tab brings them all back', { timeout: 120_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const origin = await startOrigin('a1');
  const [adminPort, frontendPort] = await Promise.all([freePort(), freePort()]);
  const password = 'correct horse battery';
  await withUiSession({ name: 'ui-tabs-logout', config: config(frontendPort, origin.port), adminPort, graceMs: 1000, viewport: { width: 1280, height: 860 }, origins: [origin], password }, async ({ serve, context, page: first, problems }) => {
    const login = async (page: Page): Promise<void> => {
      await page.goto(serve.url);
      await page.fill('#password', password);
      await Promise.all([page.waitForURL(serve.url), page.click('button[type="submit"]')]);
      await page.locator('main h1').first().waitFor({ timeout: 15_000 });
    };
    await login(first);
    const tabs: Page[] = [first];
    for (let i = 1; i < 4; i++) {
      const page = await context.newPage();
      problems.watch(page);
      await page.goto(`${serve.url}#/log`);
      tabs.push(page);
    }
    await first.evaluate(() => (location.hash = '#/log'));
    for (const page of tabs) await page.locator('[data-log-summary]').waitFor({ timeout: 15_000 });
    await send(frontendPort, '/before-logout');
    for (const [i, page] of tabs.entries()) await waitForLogged(page, '/before-logout', 10_000, `tab ${i + 1}`);

    // Log out from the second tab: the POST its Log out button makes (the button would also take this tab to the login page).
    const status = await tabs[1]!.evaluate(async () => {
      const session = await (await fetch('api/session')).json() as { value: { csrfToken: string } };
      return (await fetch('logout', { method: 'POST', headers: { 'X-Loadstar-CSRF': session.value.csrfToken } })).status;
    });
    assert.equal(status, 200);
    await waitForBanner(tabs, true, 15_000);
    await send(frontendPort, '/after-logout');
    await sleep(1500);
    for (const page of tabs) assert.equal(((await page.locator('tbody').first().textContent()) ?? '').includes('/after-logout'), false, 'no tab receives events once signed out');
    await tabs[0]!.screenshot({ path: path.join(shots, 'signed-out.png') });

    // A login in a new tab: the tab holding the stream looks again, and every tab is live again.
    const again = await context.newPage();
    problems.watch(again);
    await login(again);
    await again.evaluate(() => (location.hash = '#/log'));
    await again.locator('[data-log-summary]').waitFor({ timeout: 15_000 });
    tabs.push(again);
    await waitForBanner(tabs, false, 15_000);
    await send(frontendPort, '/after-login');
    for (const [i, page] of tabs.entries()) await waitForLogged(page, '/after-login', 10_000, `tab ${i + 1} after the new login`);

    // What the browser reported along the way is the expected refusals, nothing else: 401 while signed out,
    // 403 for an old tab's first call with the ended session's CSRF token (it then fetches the new one and retries).
    const expected = /status of 40[13]|text\/event-stream/;
    assert.deepEqual(problems.consoleErrors.filter((e) => !expected.test(e)), []);
    problems.consoleErrors.length = 0;
  });
});
