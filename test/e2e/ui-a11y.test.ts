/**
 * An accessibility audit of every screen with axe-core (WCAG 2.x A and AA rules and axe's best
 * practices), in a real browser against a real `loadstar serve`: light at desktop width, dark at a
 * phone's, each wizard step with a refused field, a trace's answer, and the phone menu open.
 *
 * One exception, for a reason: a health timeline's band is as wide as its period lasted (a DOWN of
 * a few seconds in a day is 3 px), below WCAG 2.2's 24 px target size. Its transition is also said
 * in words on the Events screen and in the timeline's "Now" and uptime text, and the bands are
 * reached with the keyboard, so only the pointer target is small.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { freePort } from '../helpers/net.ts';
import { requireBrowserAndBuild, startOrigin, withUiSession, wizardThroughRouting } from './harness.ts';

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation { id: string; impact: string | null; help: string; nodes: Array<{ target: string[]; summary: string }> }

/** axe's violations on the page as it is, less a timeline band's target size (see above). */
async function audit(page: Page): Promise<Violation[]> {
  // Evaluated through the DevTools protocol: the UI's Content-Security-Policy allows no inline script.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    type AxeResult = { violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[]; failureSummary?: string; html: string }> }> };
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResult> } }).axe;
    const result = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, summary: `${n.html.slice(0, 120)} :: ${(n.failureSummary ?? '').replace(/\s+/g, ' ')}` })),
    }));
  });
  return violations
    .map((v) => (v.id === 'target-size' ? { ...v, nodes: v.nodes.filter((n) => !/<button [^>]*class="hit[ "]/.test(n.summary)) } : v))
    .filter((v) => v.nodes.length > 0);
}

function said(violations: Violation[]): string {
  return violations.map((v) => `${v.impact} ${v.id} (${v.help}):\n${v.nodes.slice(0, 5).map((n) => `  ${n.target.join(' ')} — ${n.summary}`).join('\n')}`).join('\n');
}

test('every screen passes an axe-core audit (WCAG A/AA and best practices), light at desktop width and dark at a phone\'s', { timeout: 240_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const origin = await startOrigin('web1');
  const [adminPort, sitePort, newPort] = await Promise.all([freePort(), freePort(), freePort()]);
  // A server that fails its check: the screens show DOWN, a timeline with two states, events and alerts.
  const config = `defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n\n`
    + `frontend http_frontend\n    bind 127.0.0.1:${sitePort}\n    acl is_api path_beg /api\n    use_backend api_backend if is_api\n    default_backend web_backend\n\n`
    + `backend web_backend\n    option httpchk GET /\n    server web1 127.0.0.1:${origin.port} check inter 500ms\n    server web2 127.0.0.1:1 check inter 500ms\n\n`
    + `backend api_backend\n    server api1 127.0.0.1:${origin.port}\n`;
  const failures: string[] = [];
  await withUiSession({ name: 'ui-a11y', config, adminPort, graceMs: 500, viewport: { width: 1280, height: 800 }, origins: [origin] }, async ({ serve, page }) => {
    const check = async (what: string): Promise<void> => {
      const found = await audit(page);
      if (found.length > 0) failures.push(`${what}:\n${said(found)}`);
    };
    const screens: Array<[hash: string, ready: string]> = [
      ['', '[data-frontend="http_frontend"]'],
      ['traffic', 'canvas, .chart'],
      ['health', '.timeline'],
      ['health/web_backend', '.timeline'],
      ['server/web_backend/web2', 'h1'],
      ['log', 'h1'],
      ['events', 'h1'],
      ['config', '.cm-editor'],
      ['import', '#import-text'],
      ['trace', '[data-action="trace"]:not([disabled])'],
      ['certificates', '[data-action="issue"]'],
      ['setup/frontend/http_frontend', '.wizard'],
      ['setup/backend/web_backend', '.wizard'],
    ];
    for (const [theme, viewport] of [['light', { width: 1280, height: 800 }], ['dark', { width: 390, height: 800 }]] as const) {
      await page.emulateMedia({ colorScheme: theme });
      await page.setViewportSize(viewport);
      for (const [hash, ready] of screens) {
        await page.goto(`${serve.url}#/${hash}`);
        await page.waitForSelector(ready, { timeout: 10_000 });
        // Live figures and check results arrive within the first second (the screens above waited for theirs).
        await page.waitForTimeout(300);
        await check(`${theme} ${viewport.width}px #/${hash}`);
      }
    }

    // Phone width, dark: the menu open.
    await page.goto(serve.url);
    await page.waitForSelector('[data-frontend="http_frontend"]');
    await page.click('header button[aria-expanded]');
    await check('dark 390px, the menu open');

    // A trace's answer.
    await page.goto(`${serve.url}#/trace`);
    await page.waitForSelector('[data-action="trace"]:not([disabled])');
    await page.fill('input[placeholder="e.g. /static/app.js?v=2"]', '/api/x');
    await page.click('[data-action="trace"]');
    await page.waitForSelector('.result[data-trace-backend="api_backend"]');
    await check('dark 390px, a trace\'s answer');

    // Each step of a new site, light at desktop width, with a field refused on the way.
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${serve.url}#/setup`);
    await page.waitForSelector('.wizard[data-step="what"]');
    await check('wizard: what');
    await page.fill('#f-name', 'a11y site');
    await page.click('[data-action="next"]');
    await page.waitForSelector('[aria-invalid="true"]');
    await check('wizard: what, its name refused');
    await wizardThroughRouting(page, serve.url, { name: 'a11y_site', port: newPort, defaultBackend: 'a11y_backend' });
    for (const step of ['servers', 'balance', 'health', 'review']) {
      await page.waitForSelector(`.wizard[data-step="${step}"]`, { timeout: 10_000 });
      if (step === 'servers') {
        await page.fill('#f-backends-0-servers-0-address', '127.0.0.1');
        await page.fill('#f-backends-0-servers-0-port', String(origin.port));
      }
      await check(`wizard: ${step}`);
      if (step !== 'review') await page.click('[data-action="next"]');
    }
  });
  assert.deepEqual(failures, [], failures.join('\n\n'));
});
