/**
 * What a new user's walk through the UI found, in a real browser against a
 * real `loadstar serve` (its own data dir) and an origin on 127.0.0.1:
 *  - "Add site" next to an existing http_frontend / web_backend offers free
 *    names (http_frontend2, web_backend2) and step 1 passes as offered;
 *  - on a server's screen, choosing Drain with the arrow keys or pressing
 *    Enter in the weight keeps the focus where it was (the controls are
 *    disabled while the engine answers, which dropped the focus to <body>);
 *  - the same for the wizard's Test, the tracer's Trace and the certificate
 *    form's Issue; a refused form puts the focus on the field it refused;
 *  - Events and Traffic at a small phone's width do not scroll sideways
 *    (their choice of kind / object was as wide as its longest option).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../helpers/net.ts';
import { requireBrowserAndBuild, startOrigin, withUiSession } from './harness.ts';

test('a second site is offered free names, and a server\'s controls keep the keyboard focus', { timeout: 90_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const origin = await startOrigin('web1');
  const [adminPort, sitePort] = await Promise.all([freePort(), freePort()]);
  await withUiSession({ name: 'ui-walk', config: `defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n\nfrontend http_frontend\n    bind 127.0.0.1:${sitePort}\n    default_backend web_backend\n\nbackend web_backend\n    server web1 127.0.0.1:${origin.port}\n\nbackend media_library_backend\n    server media-library-nas-in-the-basement 127.0.0.1:${origin.port}\n`, adminPort, graceMs: 1000, viewport: { width: 1280, height: 720 }, origins: [origin] }, async ({ serve, page }) => {
    const keptOn = async (what: string, check: () => boolean): Promise<void> => {
      await page.waitForFunction(check, undefined, { timeout: 5000 })
        .catch(async () => assert.fail(`the focus should be on ${what}; it is on ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 100))}`));
    };

    // Add site: the offered names are free, and Enter in the name moves on.
    await page.goto(`${serve.url}#/setup`);
    await page.waitForSelector('.wizard[data-step="what"]');
    assert.equal(await page.inputValue('#f-name'), 'http_frontend2');
    await page.focus('#f-name');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.wizard[data-step="listen"]', { timeout: 10_000 });
    await page.fill('#f-listen-address', '127.0.0.1');
    await page.fill('#f-listen-port', String(await freePort()));
    await page.keyboard.press('Enter');
    await page.waitForSelector('.wizard[data-step="tls"]', { timeout: 10_000 });
    await page.click('[data-action="next"]');
    await page.waitForSelector('.wizard[data-step="routing"]', { timeout: 10_000 });
    assert.equal(await page.inputValue('#f-defaultBackend'), 'web_backend2');
    await page.click('[data-action="next"]');
    await page.waitForSelector('.wizard[data-step="servers"]', { timeout: 10_000 });
    await page.fill('#f-backends-0-servers-0-address', '127.0.0.1');
    await page.fill('#f-backends-0-servers-0-port', String(origin.port));
    const testButton = page.locator('[data-server-row="0"] button:has-text("Test")');
    await testButton.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#probe-0-0.ok', { timeout: 10_000 });
    await keptOn('the Test button', () => document.activeElement?.textContent === 'Test');

    // The tracer: Enter on Trace keeps the focus there; a refused URL puts it in the URL field.
    await page.goto(`${serve.url}#/trace/http_frontend`);
    // Trace is disabled until the screen has the frontends (a status call): Enter on it before then does nothing.
    await page.waitForSelector('[data-action="trace"]:not([disabled])', { timeout: 10_000 });
    const url = page.locator('input[placeholder="e.g. /static/app.js?v=2"]');
    await url.fill('/index.html');
    await page.locator('[data-action="trace"]').focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-trace-backend="web_backend"]', { timeout: 10_000 });
    await keptOn('the Trace button', () => document.activeElement?.getAttribute('data-action') === 'trace');
    await url.fill('index.html');
    await page.locator('[data-action="trace"]').focus();
    await page.keyboard.press('Enter');
    await keptOn('the URL field', () => document.activeElement?.getAttribute('aria-invalid') === 'true' && (document.activeElement as HTMLInputElement).value === 'index.html');

    // Certificates: a refused name takes the focus; a certificate issued by Enter keeps it on Issue.
    await page.goto(`${serve.url}#/certificates`);
    await page.waitForSelector('[data-action="issue"]');
    await page.fill('#issue-names', 'walk.home.arpa');
    await page.locator('[data-action="issue"]').focus();
    await page.keyboard.press('Enter');
    await keptOn('the refused name', () => document.activeElement?.id === 'issue-name');
    await page.fill('#issue-name', 'walk');
    await page.locator('[data-action="issue"]').focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-cert="walk"]', { timeout: 20_000 });
    await keptOn('the Issue button', () => document.activeElement?.getAttribute('data-action') === 'issue');

    // A server's screen by keyboard: Ready → Drain with an arrow key; the focus stays on the choice.
    await page.goto(`${serve.url}#/server/web_backend/web1`);
    await page.waitForSelector('input[name="admin-state"][value="ready"]:checked');
    await page.focus('input[name="admin-state"][value="ready"]');
    await page.keyboard.press('ArrowDown');
    await page.waitForSelector('.done:has-text("web1 is now DRAIN")', { timeout: 10_000 });
    await page.waitForFunction(() => (document.activeElement as HTMLInputElement | null)?.value === 'drain', undefined, { timeout: 5000 })
      .catch(async () => assert.fail(`the focus went to ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 80))}`));
    await page.keyboard.press('ArrowUp');
    await page.waitForFunction(() => /web1 is now (?!DRAIN)/.test(document.querySelector('.done')?.textContent ?? ''), undefined, { timeout: 10_000 });
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value), 'ready');

    // Enter in the weight sets it; the focus stays in the field.
    await page.fill('#weight', '5');
    await page.focus('#weight');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.done:has-text("Weight of web1 set to 5")', { timeout: 10_000 });
    await page.waitForFunction(() => document.activeElement?.id === 'weight', undefined, { timeout: 5000 })
      .catch(async () => assert.fail(`the focus went to ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 80))}`));

    // Events at a small phone's width (360 px, or 390 with a scroll bar): nothing sideways.
    await page.setViewportSize({ width: 360, height: 640 });
    for (const [screen, ready] of [['events', '.event'], ['traffic/server%3Aweb_backend%2Fweb1', '.u-legend']] as const) {
      await page.goto(`${serve.url}#/${screen}`);
      await page.waitForSelector(ready);
      const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      assert.ok(widths.scroll <= widths.client, `#/${screen} scrolls sideways at phone width: ${JSON.stringify(widths)}`);
    }

  });
});
