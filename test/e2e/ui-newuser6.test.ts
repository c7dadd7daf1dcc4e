/**
 * A sixth new user's walk, in a real browser against a real `loadstar serve`:
 *  - a frontend's edit form renamed to another frontend's name is refused at Listen, where its
 *    name is (it was refused only at Review, whose "Go to What" opened a hidden step 0 where the
 *    site could be turned into a TCP service);
 *  - a TCP service is not offered balancing by path, URL parameter or header (HAProxy falls back
 *    to round robin for those, with a warning), and a TCP service chosen after them balances round robin;
 *  - a *Host is* rule on a site off port 80 says browsers send `name:port` there, and its button adds
 *    that value: the request with the port reaches the rule's backend;
 *  - the tracer's last result is not left under a refused input;
 *  - the Events list numbers a reload under way as the next reload.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { freePort } from '../helpers/net.ts';
import { requireBrowserAndBuild, screenshotDir, startOrigin, withUiSession, wizardNext } from './harness.ts';

/** The name of the origin that answered a request with this Host header. */
function answeredBy(port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body.trim()));
    }).on('error', reject);
  });
}

test("a sixth new user's walk: names, balancing and host rules in the forms, the tracer and the events", { timeout: 120_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const web = await startOrigin('web');
  const api = await startOrigin('api');
  const [adminPort, sitePort, otherPort, tcpPort, apiSitePort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const config = `defaults\n    mode http\n    timeout connect 1s\n    timeout client 30s\n    timeout server 10s\n\n`
    + `frontend www\n    bind 127.0.0.1:${sitePort}\n    default_backend web_backend\n\n`
    + `frontend other\n    bind 127.0.0.1:${otherPort}\n    default_backend web_backend\n\n`
    + `backend web_backend\n    server web1 127.0.0.1:${web.port}\n\n`
    + `backend api_backend\n    server api1 127.0.0.1:${api.port}\n`;
  fs.mkdirSync(screenshotDir, { recursive: true });
  await withUiSession({ name: 'ui-newuser6', config, adminPort, graceMs: 500, viewport: { width: 1280, height: 900 }, origins: [web, api] }, async ({ serve, page }) => {
    // The edit form of www renamed to other: refused at Listen, where the name is.
    await page.goto(`${serve.url}#/config`);
    await page.click('[data-form="frontend:www"] a');
    await page.waitForSelector('.wizard[data-step="listen"]');
    await page.fill('#f-name', 'other');
    await page.click('[data-action="next"]');
    const nameErr = page.locator('#f-name-err');
    await nameErr.waitFor({ timeout: 5000 });
    assert.match(await nameErr.innerText(), /A frontend named 'other' exists already/);
    assert.equal(await page.getAttribute('.wizard', 'data-step'), 'listen');
    await page.screenshot({ path: path.join(screenshotDir, 'newuser6-edit-duplicate-name.png'), fullPage: true });

    // A TCP service: no balancing by path, parameter or header.
    await page.goto(`${serve.url}#/setup`);
    await page.waitForSelector('.wizard[data-step="what"]');
    await page.check('input[name="site-kind"][value="tcp"]');
    await page.fill('#f-name', 'db');
    await wizardNext(page, 'listen');
    await page.fill('#f-listen-address', '127.0.0.1');
    await page.fill('#f-listen-port', String(tcpPort));
    await wizardNext(page, 'routing');
    await page.fill('#f-defaultBackend', 'db_backend');
    await wizardNext(page, 'servers');
    await page.fill('#f-backends-0-servers-0-address', '127.0.0.1');
    await page.fill('#f-backends-0-servers-0-port', String(web.port));
    await wizardNext(page, 'balance');
    const algorithms = await page.locator('.algos input[type="radio"]').evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
    assert.ok(algorithms.includes('roundrobin') && algorithms.includes('source'), algorithms.join(' '));
    for (const httpOnly of ['uri', 'url_param', 'hdr']) assert.ok(!algorithms.includes(httpOnly), `${httpOnly} offered to a TCP service`);
    await page.screenshot({ path: path.join(screenshotDir, 'newuser6-tcp-balancing.png'), fullPage: true });

    // An HTTP site on another port than 80 with a Host rule: the note, and its button adds name:port.
    await page.goto(`${serve.url}#/`);
    await page.goto(`${serve.url}#/setup`);
    await page.locator('[data-resumed] button').click();
    await page.waitForSelector('.wizard[data-step="what"]');
    await page.check('input[name="site-kind"][value="http"]');
    await page.fill('#f-name', 'api_site');
    await wizardNext(page, 'listen');
    await page.fill('#f-listen-address', '127.0.0.1');
    await page.fill('#f-listen-port', String(apiSitePort));
    await wizardNext(page, 'tls');
    await wizardNext(page, 'routing');
    await page.click('button.add');
    await page.selectOption('#f-rules-0-kind', 'host-is');
    await page.fill('#f-rules-0-values', 'api.example.com');
    await page.fill('#f-rules-0-backend', 'api_backend');
    await page.fill('#f-defaultBackend', 'web_backend');
    const note = page.locator('[data-host-port-note="0"]');
    await note.waitFor({ timeout: 5000 });
    assert.match(await note.innerText(), new RegExp(`On port ${apiSitePort} browsers send the host with its port \\(api\\.example\\.com:${apiSitePort}\\)`));
    await page.screenshot({ path: path.join(screenshotDir, 'newuser6-host-port-note.png'), fullPage: true });
    await note.locator('button').click();
    assert.equal(await page.inputValue('#f-rules-0-values'), `api.example.com api.example.com:${apiSitePort}`);
    assert.equal(await note.count(), 0, 'the note goes once the value is there');
    await wizardNext(page, 'review');
    await page.click('[data-action="apply"]');
    await page.waitForSelector('[data-apply="applied"]', { timeout: 30_000 });
    assert.equal(await answeredBy(apiSitePort, `api.example.com:${apiSitePort}`), 'api');
    assert.equal(await answeredBy(apiSitePort, 'api.example.com'), 'api');
    assert.equal(await answeredBy(apiSitePort, 'other.example.com'), 'web');
    // After the apply the diff's sides are what ran before and what runs now.
    const diffHead = await page.locator('pre.diff .head').allInnerTexts();
    assert.deepEqual(diffHead.map((s) => s.trim()), ['--- before', '+++ running now']);

    // The tracer: a refused input takes the last result away.
    await page.goto(`${serve.url}#/trace`);
    await page.waitForSelector('form select option[value="api_site"]', { state: 'attached', timeout: 10_000 })
      .catch(async () => assert.fail(`the tracer offers: ${await page.locator('form select').first().innerText()}`));
    await page.locator('form select').first().selectOption('api_site');
    await page.click('[data-action="trace"]');
    await page.waitForSelector('.result', { timeout: 5000 });
    await page.getByLabel('URL').fill('no slash here');
    await page.click('[data-action="trace"]');
    await page.waitForSelector('[role="alert"]', { timeout: 5000 });
    assert.equal(await page.locator('.result').count(), 0, 'the last result is gone with the refused input');

    // The events: the apply above was reload 1, said on its "reloading" line as well.
    await page.goto(`${serve.url}#/events`);
    await page.waitForSelector('text=Engine running with', { timeout: 10_000 });
    const lines = await page.locator('li').allInnerTexts();
    const reloading = lines.find((l) => /Engine reloading/.test(l));
    assert.ok(reloading, lines.join('\n'));
    assert.match(reloading, /\(reload 1\)/);
    assert.ok(!lines.some((l) => /Engine running/.test(l) && /\(reload 2\)/.test(l)), 'one reload only');
  });
});
