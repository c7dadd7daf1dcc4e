/**
 * Servers found by DNS at run time, as a user sees them in the UI of a real `loadstar serve`: a
 * `server … resolvers lab init-addr none` with no answer yet shows as in maintenance with its host
 * name and no address (overview, server page), then, once the test's DNS server on 127.0.0.1
 * answers, as UP at that address with traffic going to it. Screenshots (light, dark, phone)
 * under test-output/screenshots/ui-dns/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { freePort } from '../helpers/net.ts';
import { startFakeDns } from '../helpers/fake-dns.ts';
import { requireBrowserAndBuild, root, send, sleep, startOrigin, withUiSession } from './harness.ts';

const shots = path.join(root, 'test-output', 'screenshots', 'ui-dns');

async function shoot(page: Page, name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: path.join(shots, `${name}-${scheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** Polls the page's text until `pattern` shows (the UI updates from its event stream). */
async function waitForText(page: Page, pattern: RegExp, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = (await page.locator('main').textContent({ timeout: 1000 }).catch(() => '')) ?? '';
    if (pattern.test(text)) return;
    if (Date.now() > deadline) throw new Error(`the page did not show ${pattern} within ${ms} ms; it shows ${JSON.stringify(text.slice(0, 400))}`);
    await sleep(150);
  }
}

test('a server found by DNS: in maintenance with its host name until DNS answers, then UP at the answered address', { timeout: 120_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  fs.mkdirSync(shots, { recursive: true });
  const dns = await startFakeDns();
  const origin = await startOrigin('app');
  const [adminPort, frontendPort] = await Promise.all([freePort(), freePort()]);
  const config = `resolvers lab
    nameserver ns1 127.0.0.1:${dns.port}
    timeout resolve 300ms
    timeout retry 200ms
    hold valid 1s
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
frontend site
    bind 127.0.0.1:${frontendPort}
    default_backend app
backend app
    server web app.home.arpa:${origin.port} resolvers lab init-addr none check inter 300
`;
  try {
    await withUiSession({ name: 'ui-dns', config, adminPort, graceMs: 1000, viewport: { width: 1280, height: 860 }, origins: [origin] }, async ({ serve, page, context }) => {
      await page.goto(`${serve.url}#/`);
      await waitForText(page, /app\.home\.arpa: no address/, 15_000);
      await waitForText(page, /MAINT/, 5_000);
      await shoot(page, 'overview-no-address');
      await page.goto(`${serve.url}#/server/app/web`);
      await waitForText(page, /from DNS: app\.home\.arpa/, 10_000);
      await shoot(page, 'server-no-address');
      assert.equal(await send(frontendPort, '/'), 503, 'no address: no server to send to');

      dns.set('app.home.arpa', { a: ['127.0.0.1'] });
      await waitForText(page, new RegExp(`127\\.0\\.0\\.1:${origin.port}`), 15_000);
      await waitForText(page, /\bUP\b/, 10_000);
      await shoot(page, 'server-resolved');
      await page.goto(`${serve.url}#/`);
      await waitForText(page, new RegExp(`127\\.0\\.0\\.1:${origin.port}`), 10_000);
      await shoot(page, 'overview-resolved');
      assert.equal(await send(frontendPort, '/'), 200);
      assert.ok(origin.hits >= 1);

      // At phone width the address and state still read.
      const phone = await context.newPage();
      await phone.setViewportSize({ width: 390, height: 844 });
      await phone.goto(`${serve.url}#/`);
      await waitForText(phone, new RegExp(`127\\.0\\.0\\.1:${origin.port}`), 10_000);
      await shoot(phone, 'overview-resolved-phone');
      await phone.close();
    });
  } finally {
    await dns.close();
  }
});
