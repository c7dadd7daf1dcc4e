/**
 * haproxy.cfg edited by hand while `loadstar serve` runs, in a real browser: the Configuration
 * screen's banner offers the ways out, and each one applies (every apply was refused as a conflict,
 * whatever the user did, until the file was fixed from a shell):
 *  - "Load the file from disk into the editor", then Apply: the hand edit runs;
 *  - a file broken by hand, loaded and fixed back to exactly what runs: Apply writes it to the file;
 *  - "Replace the file with the editor's text": the editor's text replaces the hand edit;
 *  - a rollback says it replaces the hand edit, and does.
 * Without one of these choices the apply is still refused, and says what to do in words.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { freePort } from '../helpers/net.ts';
import { requireBrowserAndBuild, screenshotDir, startOrigin, withUiSession, type UiSession } from './harness.ts';

/** Applies from the editor and returns the outcome the page shows ('applied', 'refused', … or the error's text). */
async function applyFromEditor(page: Page): Promise<string> {
  await page.waitForSelector('[data-check-status="ok"]', { timeout: 10_000 });
  await page.click('[data-action="apply"]');
  const shown = page.locator('[data-apply="applied"], [data-apply="rolled-back"], [data-apply="refused"], .apply-status .error');
  await shown.first().waitFor({ timeout: 30_000 });
  return (await shown.first().getAttribute('data-apply')) ?? `error: ${await shown.first().textContent()}`;
}

async function openConfig(page: Page, url: string): Promise<void> {
  // A fresh page: going to the URL the page is at only moves its hash, and the screen would not read the file again.
  await page.goto(`${url}#/config`);
  await page.reload();
  await page.waitForSelector('[data-banner="modified-on-disk"]', { timeout: 10_000 });
}

/** A `loadstar serve` whose haproxy.cfg is one site and one origin, with a browser page (withUiSession). */
async function withSite(name: string, body: (session: UiSession) => Promise<void>): Promise<void> {
  const origin = await startOrigin('web1');
  const [adminPort, sitePort] = await Promise.all([freePort(), freePort()]);
  const config = `defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n\n`
    + `frontend site\n    bind 127.0.0.1:${sitePort}\n    default_backend web\n\nbackend web\n    server web1 127.0.0.1:${origin.port}\n`;
  await withUiSession({ name, config, adminPort, graceMs: 300, viewport: { width: 1280, height: 900 }, origins: [origin] }, body);
}

test('a file edited by hand: loading it, fixing it back, replacing it or rolling back applies from the UI', { timeout: 120_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  await withSite('ui-hand-edit', async ({ serve, cfgFile, page }) => {
    // Without a choice, Apply is refused as before, in words a user can act on.
    const running = fs.readFileSync(cfgFile, 'utf8');
    fs.appendFileSync(cfgFile, '# edited by hand\n');
    await openConfig(page, serve.url);
    const line = page.locator('.cm-line', { hasText: /^backend web$/ }).first();
    await line.click();
    await page.keyboard.press('End');
    await page.keyboard.type('\n    balance first');
    const refused = await applyFromEditor(page);
    assert.match(refused, /edited by hand.*Load the file from disk.*or choose to replace it/s);
    assert.ok(fs.readFileSync(cfgFile, 'utf8').endsWith('# edited by hand\n'), 'the hand edit is kept');

    // 1. Load the file from disk, then Apply: the hand edit runs and is what Loadstar knows.
    await openConfig(page, serve.url);
    await page.click('[data-action="load-disk"]');
    await page.waitForSelector('[data-disk-choice]');
    assert.equal(await applyFromEditor(page), 'applied');
    assert.ok(fs.readFileSync(cfgFile, 'utf8').endsWith('# edited by hand\n'));
    await page.waitForSelector('[data-banner="modified-on-disk"]', { state: 'detached' });

    // 2. A file broken by hand, loaded and fixed back to what runs: Apply writes it (it was disabled as "this is what runs").
    const before = fs.readFileSync(cfgFile, 'utf8');
    fs.writeFileSync(cfgFile, before.replace('default_backend web', 'default_backend web\n    balanse first'));
    await openConfig(page, serve.url);
    // The banner says the file cannot run as it is (a reload of it would be refused).
    await page.waitForSelector('[data-disk-errors="1"]', { timeout: 10_000 });
    await page.click('[data-action="load-disk"]');
    await page.waitForSelector('[data-check-status="errors"]', { timeout: 10_000 });
    const broken = page.locator('.cm-line', { hasText: /balanse first/ }).first();
    await broken.click();
    // From the end of the broken line back to the end of the line above it: the line and its line break.
    await page.keyboard.press('End');
    await page.keyboard.press('Shift+ArrowUp');
    await page.keyboard.press('Shift+End');
    await page.keyboard.press('Backspace');
    await page.waitForSelector('[data-check-status="ok"]', { timeout: 10_000 });
    assert.match(await page.locator('[data-check-status]').textContent() ?? '', /this is what runs; Apply writes it to the file/);
    await page.screenshot({ path: path.join(screenshotDir, 'hand-edit-fixed-back.png'), fullPage: true });
    assert.equal(await applyFromEditor(page), 'applied');
    assert.equal(fs.readFileSync(cfgFile, 'utf8'), before, 'the broken line is gone from the file');
    await page.waitForSelector('[data-version]:has-text("wrote what runs back over a hand edit")');

    // 3. Replace the hand edit with the editor's text.
    fs.appendFileSync(cfgFile, '# another hand edit\n');
    await openConfig(page, serve.url);
    await page.click('[data-action="replace-disk"]');
    await page.waitForSelector('[data-disk-choice]');
    await page.screenshot({ path: path.join(screenshotDir, 'hand-edit-replace.png'), fullPage: true });
    assert.equal(await applyFromEditor(page), 'applied');
    assert.equal(fs.readFileSync(cfgFile, 'utf8'), before, "the editor's text replaced the hand edit");

    // 4. A rollback says it replaces the hand edit, and does.
    fs.appendFileSync(cfgFile, '# a third hand edit\n');
    await openConfig(page, serve.url);
    await page.waitForSelector('[data-version="1"]');
    await page.click('[data-version="1"] .head');
    await page.click('[data-version="1"] [data-action="rollback"]');
    await page.waitForSelector('[data-version="1"] [data-replaces-hand-edit]');
    await page.click('[data-version="1"] [data-action="confirm-rollback"]');
    const rolled = page.locator('[data-apply="applied"], [data-apply="rolled-back"], [data-apply="refused"], .apply-status .error');
    await rolled.first().waitFor({ timeout: 30_000 });
    assert.equal(await rolled.first().getAttribute('data-apply'), 'applied', (await rolled.first().textContent()) ?? '');
    assert.equal(fs.readFileSync(cfgFile, 'utf8'), running, 'version 1 again, without the hand edit');
  });
});

test('two windows editing at once: the second is refused as a conflict, keeps its edit, compares it with what runs now and applies it', { timeout: 120_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  await withSite('ui-two-windows', async ({ serve, cfgFile, context, page }) => {
    const other = await context.newPage();
    const edit = async (p: Page, comment: string): Promise<void> => {
      await p.goto(`${serve.url}#/config`);
      await p.waitForSelector('[data-check-status="ok"]', { timeout: 10_000 });
      await p.locator('.cm-line', { hasText: /^backend web$/ }).first().click();
      await p.keyboard.press('End');
      await p.keyboard.type(`\n    # ${comment}`);
    };
    await edit(page, 'from window A');
    await edit(other, 'from window B');
    assert.equal(await applyFromEditor(page), 'applied');
    assert.match(await applyFromEditor(other), /changed \(another window or command applied a change\)/);
    await other.click('[data-action="rebase"]');
    await other.waitForSelector('.summary');
    const diff = (await other.locator('pre.diff').textContent()) ?? '';
    assert.match(diff, /-\s+# from window A/, "the comparison shows what of A's change B's text undoes");
    assert.match(diff, /\+\s+# from window B/);
    assert.equal(await applyFromEditor(other), 'applied');
    const text = fs.readFileSync(cfgFile, 'utf8');
    assert.ok(text.includes('# from window B') && !text.includes('# from window A'), text);
    await other.close();
  });
});
