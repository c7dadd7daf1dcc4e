/**
 * The Health screen of a backend of 300 servers, in a real browser against a
 * real `loadstar serve`: 294 servers without check on two local origins and
 * six checked ones, three of which point at a closed port (DOWN).
 *  - the screen asks for its 301 timelines (the backend's and each server's)
 *    in one `timelines` call, on the first load and on a change of range,
 *    never one `timeline` call per server, and shows every one of them;
 *  - the servers that are DOWN are found without colour: named in words at
 *    the top with links, and a filter shows only the servers not UP;
 *  - the list is reached by keyboard: a link per timeline, its bands focusable;
 *  - a configuration apply adds no state event for the servers it keeps,
 *    and a checked server's first good check ("UP 1/3 → UP") is not listed
 *    (Events shows only the three transitions to DOWN);
 *  - the overview names the servers that need attention under the backend's header.
 * The time from the hash change to the last timeline drawn is printed
 * (measured by the page), never asserted. Screenshots, light and dark,
 * desktop and phone, go to test-output/screenshots/healthui/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { freePort } from '../helpers/net.ts';
import { requireBrowserAndBuild, root, sleep, startOrigin, type Origin, withUiSession } from './harness.ts';

const shots = path.join(root, 'test-output', 'screenshots', 'healthui');
const SERVERS = 300;
const DOWN = ['s004', 's005', 's006'];

function config(frontendPort: number, closedPort: number, origins: Origin[]): string {
  const lines = ['defaults', '    mode http', '    timeout connect 1s', '    timeout client 10s', '    timeout server 10s', '',
    'frontend site', `    bind 127.0.0.1:${frontendPort}`, '    default_backend app', '', 'backend app'];
  for (let i = 1; i <= SERVERS; i++) {
    const name = `s${String(i).padStart(3, '0')}`;
    const port = DOWN.includes(name) ? closedPort : origins[i % origins.length]!.port;
    lines.push(`    server ${name} 127.0.0.1:${port}${i <= 3 ? ' check inter 1s' : i <= 6 ? ' check inter 1s fall 1' : ''}`);
  }
  lines.push('', 'backend small', '    server a 127.0.0.1:' + origins[0]!.port, '');
  return lines.join('\n');
}

/** Calls the control contract over HTTP as the page does (session cookie, CSRF header); resolves with the value. */
async function session(url: string): Promise<(method: string, ...args: unknown[]) => Promise<unknown>> {
  const answer = await fetch(`${url}api/session`);
  const cookie = answer.headers.get('set-cookie')!.split(';')[0]!;
  const { value } = (await answer.json()) as { value: { csrfToken: string; csrfHeader: string } };
  return async (method, ...args) => {
    const r = await fetch(`${url}api/${method}`, {
      method: 'POST',
      headers: { cookie, [value.csrfHeader]: value.csrfToken, 'content-type': 'application/json', origin: url.replace(/\/$/, '') },
      body: JSON.stringify({ args }),
    });
    const result = (await r.json()) as { ok: boolean; value?: unknown; error?: { message: string } };
    if (!result.ok) throw new Error(`${method}: ${result.error?.message}`);
    return result.value;
  };
}

/** Opens `hash` from another screen and waits for `count` timelines; the page's own measure of the time it took. */
async function openAndTime(page: Page, hash: string, count: number): Promise<number> {
  // A string, so that the test's compiler adds no helper the page lacks.
  return page.evaluate(`(async () => {
    const t0 = performance.now();
    location.hash = ${JSON.stringify(hash)};
    await new Promise((resolve) => {
      const check = () => (document.querySelectorAll('[data-timeline]').length >= ${count} ? resolve() : requestAnimationFrame(check));
      check();
    });
    // The frame that shows them.
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    return performance.now() - t0;
  })()`);
}

test('Health of a backend of 300 servers: one timelines call, every server shown, the DOWN ones found in words', { timeout: 180_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  fs.mkdirSync(shots, { recursive: true });
  const origins = [await startOrigin('o1'), await startOrigin('o2')];
  const [adminPort, frontendPort, closedPort] = [await freePort(), await freePort(), await freePort()];
  await withUiSession({ name: 'ui-health300', config: config(frontendPort, closedPort, origins), adminPort, graceMs: 500, viewport: { width: 1280, height: 860 }, origins: origins }, async ({ serve, page }) => {
    const calls = new Map<string, number>();
    page.on('request', (r) => {
      const m = /\/api\/(\w+)$/.exec(new URL(r.url()).pathname);
      if (m) calls.set(m[1]!, (calls.get(m[1]!) ?? 0) + 1);
    });
    const count = (method: string) => calls.get(method) ?? 0;

    await page.goto(`${serve.url}#/`);
    await page.waitForSelector('[data-summary]', { timeout: 20_000 });
    // The checked servers on the closed port are DOWN after their first check (≤ 1 s, random first delay).
    await page.waitForFunction(() => /297\/300 up/.test(document.querySelector('#backend-app [data-summary]')?.textContent ?? ''), undefined, { timeout: 20_000 });

    const before = { timeline: count('timeline'), timelines: count('timelines') };
    const ms = await openAndTime(page, '#/health/app', SERVERS + 1);
    const answerMs = Number(await page.evaluate(`Math.round(performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/api/timelines')).at(-1)?.duration ?? -1)`));
    console.log(`Health of app (${SERVERS} servers): ${ms.toFixed(0)} ms from the hash change to ${SERVERS + 1} timelines drawn (the timelines answer ${answerMs} ms of it); ${count('timeline') - before.timeline} timeline and ${count('timelines') - before.timelines} timelines calls`);
    assert.equal(await page.locator('[data-timeline]').count(), SERVERS + 1);
    assert.equal(count('timeline') - before.timeline, 0, 'no timeline call per server');
    assert.equal(count('timelines') - before.timelines, 1, 'one batched call');

    // A change of range: one call again.
    await page.click('button:has-text("24 hours")');
    await page.waitForFunction(() => document.querySelector('button[aria-pressed="true"]')?.textContent === '24 hours');
    await sleep(500);
    assert.equal(count('timeline') - before.timeline, 0);
    assert.equal(count('timelines') - before.timelines, 2);
    assert.equal(await page.locator('[data-timeline]').count(), SERVERS + 1);

    // The DOWN servers in words at the top, with links, and in each row ("Now DOWN"), not only as a red sliver.
    const attention = await page.locator('[data-attention]').innerText();
    assert.match(attention, /3 of 300 servers need attention/);
    for (const name of DOWN) {
      assert.match(attention, new RegExp(`${name}\\s*DOWN`));
      assert.equal(await page.locator(`[data-timeline="app/${name}"] [data-now]`).getAttribute('data-now'), 'DOWN');
    }
    assert.equal(await page.locator('[data-attention] a', { hasText: 's004' }).getAttribute('href'), '#/health/app/s004');
    assert.doesNotMatch(await page.locator('[data-timeline="app/s004"] .uptime').innerText(), /100\.00/, 'a server DOWN for a few seconds is not 100.00 % up');

    // Every band stays inside its bar (a few seconds of DOWN at the end of the range drew 1-3 px past it), desktop and phone.
    const outside = async () => page.evaluate(`(() => {
      const out = [];
      for (const bar of document.querySelectorAll('[data-timeline] .bar')) {
        const b = bar.getBoundingClientRect();
        const inner = { left: b.left + bar.clientLeft, right: b.left + bar.clientLeft + bar.clientWidth, top: b.top + bar.clientTop, bottom: b.top + bar.clientTop + bar.clientHeight };
        for (const band of bar.querySelectorAll('.band')) {
          const r = band.getBoundingClientRect();
          if (r.left < inner.left - 0.01 || r.right > inner.right + 0.01 || r.top < inner.top - 0.01 || r.bottom > inner.bottom + 0.01) {
            out.push(bar.closest('[data-timeline]').dataset.timeline + ' ' + band.className.split(' ')[1] + ' ' + (r.right - inner.right).toFixed(2) + ' px');
          }
        }
      }
      return out;
    })()`);
    assert.deepEqual(await outside(), []);

    // A band's tooltip shows past its row (rows away from the screen are contained, which clips): hover, then keyboard focus.
    const tipShown = async () => page.evaluate(`(() => {
      const tip = [...document.querySelectorAll('[data-timeline="app/s004"] .tip')].find((t) => getComputedStyle(t).display !== 'none');
      if (!tip) return 'no tooltip shown';
      const r = tip.getBoundingClientRect();
      const row = tip.closest('[data-timeline]').getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + r.width / 2, r.bottom - 4);
      return r.bottom > row.bottom && tip.contains(hit) ? 'shown past the row' : 'clipped or covered: ' + (hit?.className ?? 'nothing');
    })()`);
    // The list may still settle (a timelines refresh, the scroll) on a loaded machine: each way is retried
    // until the tooltip shows, for at most 3 s, and what it showed last is asserted.
    const shownBy = async (show: () => Promise<void>): Promise<string> => {
      let seen = '';
      for (let i = 0; i < 15; i++) {
        await page.evaluate(`document.querySelector('[data-timeline="app/s004"]').scrollIntoView({ block: 'center' })`);
        await show();
        seen = String(await tipShown());
        if (seen === 'shown past the row') break;
        await new Promise((r) => setTimeout(r, 200));
      }
      return seen;
    };
    assert.equal(await shownBy(() => page.hover('[data-timeline="app/s004"] .band.DOWN')), 'shown past the row');
    await page.mouse.move(5, 5);
    assert.equal(await shownBy(() => page.focus('[data-timeline="app/s004"] .band.DOWN .hit')), 'shown past the row');
    await page.screenshot({ path: path.join(shots, 'tooltip-desktop.png') });
    assert.match(await page.locator('[data-timeline="app/s004"] .band.DOWN .tip').innerText(), /Changed UP → DOWN, check L4CON in \d+ ms/);
    // Rows keep their height whether contained (away from the pointer) or not: nothing moves on hover.
    // Measured after two frames: on a loaded machine the layout after a blur may not have run yet.
    const rowHeights = async () => page.evaluate(`new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done([...document.querySelectorAll('[data-timeline^="app/s00"]')].slice(0, 6).map((r) => Math.round(r.getBoundingClientRect().height))))))`);
    const focused = (await rowHeights()) as number[];
    await page.mouse.move(5, 5);
    await page.evaluate('document.activeElement.blur()');
    assert.deepEqual(await rowHeights(), focused);
    assert.equal(new Set(focused).size, 1, `rows of one height: ${focused.join(', ')}`);
    await page.evaluate('window.scrollTo(0, 0)');

    // Only those that need attention, by keyboard: the search field, then the box (Space).
    await page.focus('[data-find]');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(`document.activeElement?.hasAttribute('data-only-attention')`), true);
    await page.keyboard.press('Space');
    await page.waitForFunction(`document.querySelectorAll('[data-timeline]').length === 4`);
    assert.deepEqual(await page.locator('[data-timeline]').evaluateAll((els) => els.map((e) => e.getAttribute('data-timeline'))), ['app/', 'app/s004', 'app/s005', 'app/s006']);
    assert.match(await page.locator('[data-showing]').innerText(), /Showing 3 of 300 servers/);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: path.join(shots, `attention-desktop-${scheme}.png`) });
    }
    await page.setViewportSize({ width: 390, height: 844 });
    assert.deepEqual(await outside(), []);
    assert.equal(await page.evaluate('document.documentElement.scrollWidth'), 390, 'nothing wider than the phone');
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: path.join(shots, `attention-phone-${scheme}.png`), fullPage: true });
      await page.locator('[data-timeline="app/s004"]').screenshot({ path: path.join(shots, `down-row-phone-${scheme}.png`) });
    }
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.locator('[data-timeline="app/s004"]').screenshot({ path: path.join(shots, 'down-row-desktop.png') });
    await page.keyboard.press('Space');
    await page.fill('[data-find]', 'S29');
    await page.waitForFunction(`document.querySelectorAll('[data-timeline]').length === 11`);
    assert.match(await page.locator('[data-showing]').innerText(), /Showing 10 of 300 servers/);
    await page.fill('[data-find]', '');
    await page.waitForFunction(`document.querySelectorAll('[data-timeline]').length === ${SERVERS + 1}`);
    await page.screenshot({ path: path.join(shots, 'health-300-light.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: path.join(shots, 'health-300-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });

    // An apply that keeps every server adds no state event (before: "no check → UP" for each checked one).
    const api = await session(serve.url);
    const stateEvents = async () => ((await api('recentEvents', 1000)) as Array<{ type: string; time: number }>).filter((e) => e.type === 'state');
    const statesBefore = (await stateEvents()).length;
    const current = (await api('getConfig')) as { text: string; hash: string };
    const applied = (await api('applyChange', { text: current.text + '\nbackend extra\n    server e 127.0.0.1:' + origins[0]!.port + '\n', baseHash: current.hash, source: 'editor' })) as { outcome: string };
    assert.equal(applied.outcome, 'applied');
    await sleep(2500);
    assert.equal((await stateEvents()).length, statesBefore, 'no state event for the servers the apply kept');
    await page.goto(`${serve.url}#/events`);
    await page.waitForSelector('[data-event-type="lifecycle"]');
    // Nor does a checked server's first good check ("UP 1/3 → UP": the status column moved, not the state).
    assert.deepEqual(await page.locator('[data-event-type="state"]').allInnerTexts(), []);
    assert.equal(await page.locator('[data-event-type="health"]').count(), 3, 'the three servers that went DOWN');
    await page.screenshot({ path: path.join(shots, 'events-after-apply.png') });

    // The other screens a user of 300 servers goes through: every backend's health, the overview.
    await page.goto(`${serve.url}#/health`);
    await page.waitForSelector('[data-timeline="extra/"]');
    // Its words come with the timelines' data (a loaded machine drew the card first, empty).
    await page.waitForFunction(() => (document.querySelector('[data-timeline="app/"] [data-now]')?.textContent ?? '') !== '', undefined, { timeout: 10_000 }).catch(() => {});
    assert.match(await page.locator('[data-timeline="app/"] [data-now]').innerText(), /Degraded, 297 of 300 usable/);
    await page.screenshot({ path: path.join(shots, 'health-all.png') });
    await page.goto(`${serve.url}#/`);
    await page.waitForSelector('#backend-app [data-summary]');
    // One DOWN server in 300 rows is named under the backend's header, in words, with a link.
    assert.match(await page.locator('#backend-app [data-attention]').innerText(), /3 of 300 servers need attention: s004\s*DOWN\s*, s005\s*DOWN\s*, s006\s*DOWN/);
    await page.screenshot({ path: path.join(shots, 'overview-300.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(shots, 'overview-300-phone.png') });
    // 300 rows are folded to the first 20 (the next backend was 300 rows down a phone's page), and unfold on request.
    assert.equal(await page.locator('#backend-app [data-server]').count(), 20);
    assert.match(await page.locator('#backend-app .fold').innerText(), /Showing the first 20 of 300 servers/);
    await page.click('[data-fold="app"]');
    await page.waitForFunction(() => document.querySelectorAll('#backend-app [data-server]').length === 300);
    assert.equal(await page.getAttribute('[data-fold="app"]', 'aria-expanded'), 'true');

  });
});
