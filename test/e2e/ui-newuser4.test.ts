/**
 * A fourth new user's walk (the tutorial's round-robin site built in the forms, then the log, the
 * certificates and the tracer), in a real browser against a real `loadstar serve` and an origin on
 * 127.0.0.1:
 *  - the Servers step refuses, at the address field and saying what to type, a web address
 *    ("http://127.0.0.1": it passed, and only the engine's check later failed to resolve it) and an
 *    address with its port ("127.0.0.1:8081" with the Port field empty: only the port was refused);
 *  - after Apply the wizard's steps stay as they were: the new backend exists now, and its Servers,
 *    Balancing and Health steps vanished from the list ("Step 5 of 5" under an 8-step walk);
 *  - the overview says "1 connection" (it said "1 connections"); a check's code ("L4OK") comes with
 *    its words, on the overview (read out, and as a tooltip) and on the server's page;
 *  - the Health page of all backends does not link to itself ("All backends" was a link to it);
 *  - the access log opened after the requests says it shows those since the page was opened (it
 *    said "Waiting for requests…" as if none had come);
 *  - a certificate import of text that is not PEM says so (it asked to paste the PEM text, which
 *    had just been done);
 *  - the client-certificate form answers a half-typed e-mail with its own errors at every field
 *    (the browser's bubble stopped the form, and the empty name went unmentioned);
 *  - the tracer's refused source address does not push the Host header field of its row down;
 *  - a backend edited down to no server says "Add at least one server" above the Add button, which
 *    gets the focus (the error stood under the backend's name field, as if about the name, and
 *    the focus stayed on Next).
 * And what that audit left open:
 *  - once applied, the wizard offers no way back into the applied draft (← Back, the step list)
 *    but what makes sense then: the overview, editing what it made, another site;
 *  - version 1 of a data dir is the configuration Loadstar started with ("first start"), not an
 *    "import" the user never made;
 *  - the overview shows a check's words where there is room (a wide window), not on a phone;
 *  - a page without an entry of its own in the top navigation (a server's page) marks the entry
 *    it belongs under as its section (aria-current="true"), not as the page shown;
 *  - the Issue buttons say, before they are pressed, that they first create the local CA;
 *  - the Import screen's two ways in ("Choose a file", "…or paste it here") are labelled alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { freePort } from '../helpers/net.ts';
import { requireBrowserAndBuild, send, startOrigin, withUiSession, wizardThroughRouting } from './harness.ts';

test('the tutorial site built in the forms: address fields, steps after Apply, then the overview, log, certificates and tracer say what they mean', { timeout: 120_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const [web1, api1] = await Promise.all([startOrigin('web1'), startOrigin('api1')]);
  const [adminPort, sitePort, newPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const config = `defaults\n    mode http\n    timeout connect 1s\n    timeout client 30s\n    timeout server 10s\n\nfrontend http_frontend\n    bind 127.0.0.1:${sitePort}\n    default_backend http_backend\n\nbackend http_backend\n    server webserver1 127.0.0.1:${web1.port} check inter 1s\n`;
  await withUiSession({ name: 'ui-newuser4', config, adminPort, graceMs: 500, viewport: { width: 1280, height: 900 }, origins: [web1, api1] }, async ({ serve, page, context }) => {
    // The tutorial's second site, in the forms: a new backend whose server is typed as a user might.
    await wizardThroughRouting(page, serve.url, { name: 'api_frontend', port: newPort, defaultBackend: 'api_backend' });
    await page.waitForSelector('.wizard[data-step="servers"]');
    const addressError = async (address: string, port: string): Promise<string> => {
      await page.fill('#f-backends-0-servers-0-address', address);
      await page.fill('#f-backends-0-servers-0-port', port);
      await page.click('[data-action="next"]');
      const err = page.locator('[data-field="backends.0.servers.0.address"] .err');
      await err.waitFor({ timeout: 5000 }).catch(() => assert.fail(`${address} (port '${port}') passed the Servers step`));
      assert.equal(await page.getAttribute('.wizard', 'data-step'), 'servers');
      return err.innerText();
    };
    assert.equal(await addressError('http://127.0.0.1', String(api1.port)), '✖ http://127.0.0.1 is a web address: enter the host only (127.0.0.1), without http://.');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-backends-0-servers-0-address', 'the focus is on the refused address');
    assert.equal(await addressError(`127.0.0.1:${api1.port}`, ''), `✖ Put the port in the Port field: address 127.0.0.1, port ${api1.port}.`);
    await page.fill('#f-backends-0-servers-0-address', '127.0.0.1');
    await page.fill('#f-backends-0-servers-0-port', String(api1.port));
    await page.click('[data-action="next"]');
    await page.waitForSelector('.wizard[data-step="balance"]');
    await page.click('[data-action="next"]');
    await page.waitForSelector('.wizard[data-step="health"]');
    await page.click('[data-action="next"]');
    await page.waitForSelector('.wizard[data-step="review"]');
    const stepList = () => page.locator('.steps li').allInnerTexts();
    const before = await stepList();
    assert.equal(before.length, 8);
    await page.click('[data-action="apply"]');
    await page.waitForSelector('[data-apply="applied"]', { timeout: 30_000 });
    assert.deepEqual((await stepList()).map((s) => s.replace(/\s+/g, ' ').trim()), before.map((s) => s.replace(/\s+/g, ' ').trim()), 'the step list after Apply');
    assert.match(await page.locator('#step-title').innerText(), /Step 8 of 8/);
    assert.equal(await send(newPort, '/'), 200);
    // Applied, the draft is done: no way back into it, and what comes next instead.
    assert.equal(await page.locator('.wizard .nav button', { hasText: 'Back' }).count(), 0, '← Back after Apply');
    assert.equal(await page.locator('.steps button:not([disabled])').count(), 1, 'only the current step stays a button after Apply');
    assert.equal(await page.locator('[data-action="apply"]').count(), 0, 'no Apply button left once applied');
    assert.deepEqual(await page.locator('.review h3').allInnerTexts(), ['What changed in haproxy.cfg']);
    const next = page.locator('[data-after-apply] a');
    assert.deepEqual(await next.allInnerTexts(), ['See it on the overview', 'Edit it again', 'Add another site', 'Configuration and versions']);
    assert.equal(await next.nth(1).getAttribute('href'), '#/setup/frontend/api_frontend');
    await next.nth(1).click();
    await page.waitForSelector('.wizard[data-step="listen"]');
    assert.equal(await page.locator('h1').innerText(), 'Edit frontend api_frontend');
    assert.equal(await page.locator('[data-action="cancel"]').count(), 1, 'the edit form begins afresh, with its Cancel');

    // The versions: #1 is what Loadstar started with, not an import; #2 the wizard's.
    await page.goto(`${serve.url}#/config`);
    await page.waitForSelector('[data-version="1"]');
    assert.match(await page.locator('[data-version="1"] .meta').innerText(), / · first start · /);
    assert.match(await page.locator('[data-version="2"] .meta').innerText(), / · wizard · /);
    // Nothing edited: the editor's Apply is drawn as unavailable (outlined, dashed), not as a faded main action.
    const apply = page.locator('[data-action="apply"]');
    assert.equal(await apply.isDisabled(), true);
    assert.deepEqual(await apply.evaluate((b) => { const c = getComputedStyle(b); return [c.borderStyle, c.cursor]; }), ['dashed', 'not-allowed']);

    // The overview: one open connection is "1 connection".
    await page.goto(`${serve.url}#/`);
    await page.waitForFunction(() => /^0 connections\b/.test(document.querySelector('[data-frontend="http_frontend"] .numbers')?.textContent?.trim() ?? ''), undefined, { timeout: 10_000 });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      assert.equal(await send(sitePort, '/', 'www.example.com', agent), 200);
      const numbers = page.locator('[data-frontend="http_frontend"] .numbers');
      await page.waitForFunction(() => /^1 connection\b/.test(document.querySelector('[data-frontend="http_frontend"] .numbers')?.textContent?.trim() ?? ''), undefined, { timeout: 10_000 })
        .catch(async () => assert.fail(`the card says: ${await numbers.innerText()}`));
      assert.doesNotMatch(await numbers.innerText(), /1 connections/);
    } finally {
      agent.destroy();
    }

    // A check's code comes with its words: read out in the overview's row, shown on the server's page.
    const check = page.locator('[data-server="http_backend/webserver1"] .check');
    await page.waitForFunction(() => /L4OK/.test(document.querySelector('[data-server="http_backend/webserver1"] .check')?.textContent ?? ''), undefined, { timeout: 10_000 });
    assert.match((await check.textContent())!, /L4OK \(connection accepted\) \d+ ms/);
    assert.equal(await check.locator('.code').getAttribute('title'), 'connection accepted');
    assert.ok(await check.locator('.words').isVisible(), 'the words are shown in a wide window');
    await page.setViewportSize({ width: 390, height: 844 });
    assert.ok((await check.locator('.words').boundingBox())!.width <= 1, 'on a phone the words are read out only');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth), 'no sideways scroll on a phone');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${serve.url}#/server/http_backend/webserver1`);
    await page.waitForFunction(() => /L4OK/.test(document.querySelector('[data-check]')?.textContent ?? ''), undefined, { timeout: 10_000 });
    assert.match(await page.locator('[data-check]').innerText(), /^L4OK \(connection accepted\) in \d+ ms/);
    // A server's page has no entry in the navigation: Overview (where its Manage link is) is marked as its section, not as this page.
    assert.equal(await page.locator('#nav [aria-current="page"]').count(), 0);
    assert.deepEqual(await page.locator('#nav [aria-current="true"]').allInnerTexts(), ['Overview']);

    // Health: the page of all backends does not link to itself.
    await page.goto(`${serve.url}#/health`);
    await page.waitForSelector('.crumbs');
    assert.equal(await page.locator('.crumbs a', { hasText: 'All backends' }).count(), 0);
    assert.equal(await page.locator('.crumbs [aria-current="page"]').innerText(), 'All backends');
    assert.equal(await page.locator('#nav [aria-current="page"]').innerText(), 'Health');

    // The access log opened after those requests says what it shows.
    const logPage = await context.newPage();
    await logPage.goto(`${serve.url}#/log`);
    await logPage.waitForSelector('td.empty');
    assert.match(await logPage.locator('td.empty').innerText(), /^No request since this page was opened: .*earlier ones are counted on the Traffic screen/);
    await logPage.close();

    // Certificates: text that is not PEM is told so; the client form's own errors, at every field.
    await page.goto(`${serve.url}#/certificates`);
    await page.waitForSelector('[data-action="import"]');
    // No CA yet: each Issue button says, before it is pressed, that it creates one first.
    await page.waitForSelector('[data-ca="absent"]');
    for (const [action, note, text] of [['issue', 'issue-ca-note', 'Create the CA and issue'], ['issue-client', 'client-ca-note', 'Create the CA, issue and download .p12']]) {
      const button = page.locator(`[data-action="${action}"]`);
      assert.equal(await button.innerText(), text);
      assert.equal(await button.getAttribute('aria-describedby'), note);
      assert.match(await page.locator(`#${note}`).innerText(), /^There is no local CA yet: this first creates one .*data directory/);
    }
    await page.fill('#import-name', 'my-app');
    await page.fill('#import-pem', 'hello, this is my certificate');
    await page.click('[data-action="import"]');
    const pemError = page.locator('#import-pem-err');
    await pemError.waitFor({ timeout: 5000 });
    assert.match(await pemError.innerText(), /This is not PEM text: PEM text begins with a line such as "-----BEGIN CERTIFICATE-----"/);
    await page.fill('#client-email', 'bob@');
    await page.click('button:has-text("Issue and download")');
    await page.waitForSelector('#client-email-err', { timeout: 5000 });
    assert.match(await page.locator('#client-email-err').innerText(), /bob@ is not an e-mail address/);
    assert.match(await page.locator('#client-name-err').innerText(), /Give the person or device a name/);

    // The tracer: a refused source address leaves the Host header field where it was.
    await page.goto(`${serve.url}#/trace`);
    await page.waitForSelector('[data-action="trace"]:not([disabled])');
    const host = page.locator('input[list="tracer-hosts"]');
    const source = page.locator('label:has-text("Source address") input');
    const top = async (l: typeof host) => Math.round((await l.boundingBox())!.y);
    assert.equal(await top(host), await top(source));
    await source.fill('10.0.0');
    await page.click('[data-action="trace"]');
    await page.waitForSelector('#source-err');
    assert.equal(await top(host), await top(source), 'the Host header field stays level with the source address');

    // Import: the file and the pasted text are two ways in, labelled alike.
    await page.goto(`${serve.url}#/import`);
    await page.waitForSelector('#import-text');
    const look = (selector: string) => page.locator(selector).evaluate((el) => { const s = getComputedStyle(el); return `${s.fontWeight} ${s.fontSize} ${s.color}`; });
    assert.equal(await look('label[for="import-cfg-file"]'), await look('label[for="import-text"]'));

    // A backend edited down to no server: the error stands by the Add button, which takes the focus.
    await page.goto(`${serve.url}#/setup/backend/http_backend`);
    await page.waitForSelector('.wizard[data-step="servers"]');
    await page.click('#remove-0-0');
    await page.click('[data-action="next"]');
    await page.waitForSelector('#servers-0-err');
    assert.equal(await page.locator('#servers-0-err').innerText(), '✖ Add at least one server.');
    assert.equal(await page.evaluate(() => document.querySelector('#servers-0-err')?.nextElementSibling?.id), 'add-server-0', 'the error is right above the Add button');
    await page.waitForFunction(() => document.activeElement?.id === 'add-server-0', undefined, { timeout: 5000 })
      .catch(async () => assert.fail(`the focus is on ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 80))}`));
  });
});
