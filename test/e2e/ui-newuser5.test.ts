/**
 * A fifth new user's walk (the tutorial's sites built in the forms, then the
 * server page, the certificates), in a real browser against a real `loadstar serve`:
 *  - "Add site" in the navigation, pressed on the review of the site just applied, begins a new
 *    site (the address did not change, so nothing happened: the applied review stayed);
 *  - a live chart of less than a minute of data (a server's page just after a start) is drawn in
 *    the minute up to its last point: its few seconds were stretched over the whole width, the
 *    time axis labelled in milliseconds (":16.000 :16.200 …");
 *  - a server's traffic opens at the address the docs give, `#/traffic/server:<backend>/<server>`
 *    (its '/' cut the id short: an error and an empty object list);
 *  - a server's latest checks on its Health page give each code with its words, as the overview
 *    and the server's page do ("L4OK" alone there);
 *  - a certificate name left empty is asked for (it was answered with the naming rule), and pasted
 *    text that is not a certificate is called "PEM text" (it was "upload #1");
 *  - the overview names the backends that need attention at its top, linked to their cards: of 25
 *    backends the one DOWN was a card far below "Engine running", found only by scrolling;
 *  - the access log's End column says what HAProxy's termination state means ("SC": the server
 *    refused it, while connecting), on hover and read out; the code was all it showed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { freePort } from '../helpers/net.ts';
import { requireBrowserAndBuild, send, startOrigin, withUiSession, wizardThroughRouting } from './harness.ts';

/**
 * Where the first chart's series line begins, as a fraction of its plotting area's width (0: at the
 * left edge), read from the pixels the user sees: those of the series' colour.
 */
function lineStart(page: Page): Promise<number> {
  return page.evaluate(() => {
    const figure = document.querySelector('figure.chart')!;
    const canvas = figure.querySelector('canvas')!;
    const over = figure.querySelector('.u-over')!.getBoundingClientRect();
    const box = canvas.getBoundingClientRect();
    const scale = canvas.width / box.width;
    const ctx = canvas.getContext('2d')!;
    const x0 = Math.round((over.left - box.left) * scale);
    const y0 = Math.round((over.top - box.top) * scale);
    const w = Math.round(over.width * scale);
    const h = Math.round(over.height * scale) + 3;
    const pixels = ctx.getImageData(x0, y0, w, h).data;
    const probe = document.createElement('span');
    probe.style.color = getComputedStyle(document.documentElement).getPropertyValue('--series-1');
    document.body.append(probe);
    const [r, g, b] = getComputedStyle(probe).color.match(/\d+/g)!.map(Number) as [number, number, number];
    probe.remove();
    let left = w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < left; x++) {
        const i = (y * w + x) * 4;
        if (Math.abs(pixels[i]! - r) + Math.abs(pixels[i + 1]! - g) + Math.abs(pixels[i + 2]! - b) < 60 && pixels[i + 3]! > 200) left = x;
      }
    }
    return left / w;
  });
}

test('a fifth new user\'s walk, in a real browser', { timeout: 120_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const web1 = await startOrigin('web1');
  const [adminPort, sitePort, newPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const config = `defaults\n    mode http\n    timeout connect 1s\n    timeout client 30s\n    timeout server 10s\n\nfrontend http_frontend\n    bind 127.0.0.1:${sitePort}\n    default_backend http_backend\n\nbackend http_backend\n    server webserver1 127.0.0.1:${web1.port} check inter 1s\n`;
  await withUiSession({ name: 'ui-newuser5', config, adminPort, graceMs: 500, viewport: { width: 1280, height: 900 }, origins: [web1] }, async ({ serve, page }) => {
    // Seconds after the start: the server's live chart holds a few points, drawn at the right of the minute.
    await page.goto(`${serve.url}#/server/http_backend/webserver1`);
    await page.waitForFunction(() => Number(document.querySelector('figure.chart .plot')?.getAttribute('data-points') ?? 0) >= 2, undefined, { timeout: 10_000 });
    const points = Number(await page.locator('figure.chart .plot').first().getAttribute('data-points'));
    assert.ok(points < 30, `the chart holds ${points} points: no longer just after the start`);
    const start = await lineStart(page);
    assert.ok(start > 0.5, `the line of ${points} seconds begins at ${Math.round(start * 100)} % of the chart's width (stretched over it)`);

    // The server's traffic at the address the docs give (#/traffic/<object>), typed with its '/'.
    await page.goto(`${serve.url}#/traffic/server:http_backend/webserver1`);
    await page.waitForSelector('figure.chart');
    assert.equal((await page.locator('h1').innerText()).replace(/\s+/g, ' '), 'Traffic: Server http_backend/webserver1');
    assert.equal(await page.locator('select').first().inputValue(), 'server:http_backend/webserver1');
    assert.equal(await page.locator('.error, [role="alert"]').count(), 0, 'no error');

    // The server's latest checks on its Health page: the code with its words.
    await page.goto(`${serve.url}#/health/http_backend/webserver1`);
    const code = page.locator('td[data-label="Code"]').first();
    await code.waitFor({ timeout: 10_000 });
    assert.equal(await code.innerText(), 'L4OK (connection accepted)');

    // A site built in the forms and applied; then "Add site" in the navigation begins another.
    await wizardThroughRouting(page, serve.url, { name: 'second_site', port: newPort, defaultBackend: 'http_backend' });
    await page.waitForSelector('.wizard[data-step="review"]');
    await page.click('[data-action="apply"]');
    await page.waitForSelector('[data-apply="applied"]', { timeout: 30_000 });
    assert.equal(await send(newPort, '/'), 200);
    await page.click('#nav a:has-text("Add site")');
    await page.waitForSelector('.wizard[data-step="what"]', { timeout: 5000 })
      .catch(async () => assert.fail(`"Add site" left the wizard at step ${await page.getAttribute('.wizard', 'data-step')}`));
    assert.equal(await page.locator('[data-apply="applied"]').count(), 0, 'the applied review is gone');
    assert.equal(await page.inputValue('#f-name'), 'http_frontend2', 'a new site, with a free name of its own');
    assert.match(await page.locator('#step-title').innerText(), /Step 1 of 8/);

    // Certificates: an empty name is asked for; pasted text that is not a certificate is "PEM text".
    await page.goto(`${serve.url}#/certificates`);
    await page.waitForSelector('[data-action="issue"]');
    await page.fill('#issue-names', 'nas.home.arpa');
    await page.click('[data-action="issue"]');
    await page.waitForSelector('#issue-name-err');
    assert.equal(await page.locator('#issue-name-err').innerText(), '✖ Give the certificate a name, e.g. nas (it is stored as nas.pem).');
    await page.fill('#import-name', 'my-app');
    await page.fill('#import-pem', '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n');
    const reading = page.locator('text=Not importable yet');
    await reading.waitFor({ timeout: 5000 });
    assert.doesNotMatch(await reading.innerText(), /upload/);
    assert.match(await reading.innerText(), /Not importable yet: PEM text line 1: /);
  });
});

test('the overview names a backend DOWN among 25 at its top, its link brings its card into view; the log says why its request ended', { timeout: 120_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const web = await startOrigin('web');
  const [adminPort, sitePort, dead] = await Promise.all([freePort(), freePort(), freePort()]);
  const names = Array.from({ length: 25 }, (_, i) => `app${i}`);
  const config = `defaults\n    mode http\n    timeout connect 1s\n    timeout client 30s\n    timeout server 10s\n\nfrontend site\n    bind 127.0.0.1:${sitePort}\n    use_backend app23 if { path_beg /down/ }\n    default_backend app0\n`
    + names.map((n) => `\nbackend ${n}\n    server s1 127.0.0.1:${n === 'app23' ? dead : web.port} check inter 500ms fall 2\n`).join('');
  await withUiSession({ name: 'ui-newuser5-attention', config, adminPort, graceMs: 500, viewport: { width: 1280, height: 800 }, origins: [web] }, async ({ serve, page }) => {
    await page.goto(`${serve.url}#/`);
    await page.waitForSelector('#backend-app0');
    const notice = page.locator('[data-overview-attention]');
    await notice.waitFor({ timeout: 10_000 }).catch(() => assert.fail('no word at the top of the overview of the backend DOWN'));
    assert.match(await notice.innerText(), /^1 of 25 backends needs attention:\s*app23\s*DOWN/);
    assert.ok(((await notice.boundingBox())?.y ?? 9999) < 400, 'the notice is at the top');
    await notice.locator('a', { hasText: 'app23' }).click();
    await page.waitForFunction(() => { const r = document.querySelector('#backend-app23')?.getBoundingClientRect(); return !!r && r.top >= -1 && r.bottom <= innerHeight + 1; }, undefined, { timeout: 5000 })
      .catch(async () => assert.fail(`the card of app23 is at ${JSON.stringify(await page.locator('#backend-app23').boundingBox())}`));
    assert.match(await page.locator('#backend-app23').innerText(), /DOWN/);

    // The access log: a request to the backend DOWN ends "SC", which is said in words too.
    await page.goto(`${serve.url}#/log`);
    await page.waitForSelector('td.empty');
    assert.equal(await send(sitePort, '/down/x'), 503);
    const end = page.locator('[data-log-row][data-status="503"] td[data-label="End"]');
    await end.waitFor({ timeout: 10_000 });
    assert.match(await end.innerText(), /^SC/);
    assert.equal(await end.getAttribute('title'), 'the server aborted or refused it, while connecting to the server');
    assert.match(await end.locator('.sr').textContent() ?? '', /\(the server aborted or refused it, while connecting to the server\)/);
  });
});
