/**
 * A second new user's walk through the UI (HTTPS sites, the Servers step's
 * Test, the config editor, the server controls), in a real browser against a
 * real `loadstar serve` and origins on 127.0.0.1:
 *  - Review warns, in words, about a server whose Test said it is not
 *    reachable (it was not mentioned there); the warning follows the address
 *    and port tested: once the server's port is changed it goes (a result belongs
 *    to the address and port tested, not to the row).
 *  - the wizard's step row says "done" in words (the ✓ was all there was);
 *  - the Health step's timing boxes line up at a phone's width (a label
 *    wrapping to two lines pushed its box below the one beside it);
 *  - a new site routed only to a backend that exists skips the Servers,
 *    Balancing and Health steps (they showed nothing but "exists already");
 *  - the stats page and Prometheus metrics can be turned on from the forms
 *    (the Routing step's "Built-in pages"; there was no way but typing
 *    configuration text), read back when the frontend is edited, linked from
 *    the overview's frontend card, and turned off;
 *  - the Routing step without a rule says so (an empty gap and an empty list);
 *  - a server's admin state that could not be changed shows the state it
 *    kept, not the choice clicked (Drain stayed checked on an UP server);
 *  - the tracer traces a frontend whose address terminates TLS over TLS
 *    ("Over TLS" was off: an HTTPS site traced got its own redirect to HTTPS),
 *    its choice says TLS, and the verdict's "→" before a redirect's location
 *    has its space ("redirect 301→ https://…").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { freePort } from '../helpers/net.ts';
import { requireBrowserAndBuild, screenshotDir, send, startOrigin, tempDir, withUiSession } from './harness.ts';

test('Review warns about a server whose Test found it unreachable, and stops when its address changes', { timeout: 60_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const origin = await startOrigin('web1');
  const [adminPort, sitePort, newPort, deadPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const config = `defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n\nfrontend http_frontend\n    bind 127.0.0.1:${sitePort}\n    default_backend web_backend\n\nbackend web_backend\n    server web1 127.0.0.1:${origin.port}\n`;
  await withUiSession({ name: 'ui-newuser2-review', config, adminPort, graceMs: 500, viewport: { width: 1280, height: 900 }, origins: [origin] }, async ({ serve, page }) => {
    await page.goto(`${serve.url}#/setup`);
    await page.waitForSelector('.wizard[data-step="what"]');
    const next = async (step: string): Promise<void> => {
      await page.click('[data-action="next"]');
      await page.waitForSelector(`.wizard[data-step="${step}"]`, { timeout: 10_000 });
    };
    await page.fill('#f-name', 'lab_site');
    await next('listen');
    await page.fill('#f-listen-address', '127.0.0.1');
    await page.fill('#f-listen-port', String(newPort));
    await next('tls');
    await next('routing');
    await page.fill('#f-defaultBackend', 'lab_backend');
    await next('servers');
    await page.fill('#f-backends-0-servers-0-address', '127.0.0.1');
    await page.fill('#f-backends-0-servers-0-port', String(origin.port));
    await page.click('#add-server-0');
    await page.fill('#f-backends-0-servers-1-address', '127.0.0.1');
    await page.fill('#f-backends-0-servers-1-port', String(deadPort));
    await page.click('[aria-label="Test server server1"]');
    await page.click('[aria-label="Test server server2"]');
    await page.waitForFunction(() => /Not reachable/.test(document.querySelector('#probe-0-1')?.textContent ?? ''), undefined, { timeout: 10_000 });
    await page.waitForFunction(() => /Reachable/.test(document.querySelector('#probe-0-0')?.textContent ?? ''), undefined, { timeout: 10_000 });
    await next('balance');
    await next('health');
    // At a phone's width the check timing's boxes line up: none sits lower than one beside it (a label that
    // wraps to two lines pushed its box down next to one whose label did not).
    await page.setViewportSize({ width: 375, height: 800 });
    await page.check('input[name="health-0"][value="tcp"]');
    const boxes = await page.locator('.wizard[data-step="health"] .row input').evaluateAll((inputs) => inputs.map((i) => {
      const r = i.getBoundingClientRect();
      return { id: i.id, top: Math.round(r.top), bottom: Math.round(r.bottom) };
    }));
    assert.ok(boxes.length >= 3, JSON.stringify(boxes));
    for (const a of boxes) {
      for (const b of boxes) {
        const sideBySide = a.top < b.bottom && b.top < a.bottom;
        assert.ok(!sideBySide || a.top === b.top, `at 375 px ${a.id} (top ${a.top}) and ${b.id} (top ${b.top}) are side by side and do not line up`);
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await next('review');
    await page.waitForSelector('[data-action="apply"]:not([disabled])', { timeout: 10_000 });

    // The step row says which steps are done in words too (the ✓ alone was hidden from screen readers).
    assert.equal(await page.locator('.steps').getByRole('button', { name: /^What ?, done$/ }).count(), 1);
    assert.equal(await page.locator('.steps').getByRole('button', { name: /^Health checks ?, done$/ }).count(), 1);
    assert.equal(await page.locator('.steps').getByRole('button', { name: 'Review', exact: true }).count(), 1, 'the current step is not done');

    // The warning is words (not colour alone): which server, where, and what the Test said.
    const warning = page.locator('[data-unreachable-review]');
    await warning.waitFor({ timeout: 5000 });
    const text = (await warning.textContent()) ?? '';
    assert.match(text, /A server did not answer the Test/);
    assert.match(text, new RegExp(`server2 of lab_backend at 127\\.0\\.0\\.1:${deadPort}: Not reachable: connection refused`));
    assert.doesNotMatch(text, /server1/, 'the reachable server is not in the warning');

    // Its "Go to Servers" leads there; a changed port has no Test result, and Review no longer warns.
    await warning.locator('button').click();
    await page.waitForSelector('.wizard[data-step="servers"]');
    assert.match((await page.locator('#probe-0-1').textContent()) ?? '', /Not reachable/, 'the Servers step still shows the result');
    await page.fill('#f-backends-0-servers-1-port', String(origin.port));
    // (server1's Test found that address:port reachable: the result is the address's, not the row's.)
    assert.match((await page.locator('#probe-0-1').textContent()) ?? '', /✓ Reachable/, "the new port's result, not the old one's");
    await next('balance');
    await next('health');
    await next('review');
    await page.waitForSelector('[data-action="apply"]:not([disabled])', { timeout: 10_000 });
    assert.equal(await page.locator('[data-unreachable-review]').count(), 0);
  });
});

test("the tracer traces an HTTPS frontend over TLS (it got the site's own redirect to HTTPS), says TLS in the choice, and spaces the verdict's arrow", { timeout: 60_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const origin = await startOrigin('web1');
  const certDir = tempDir('loadstar-ui-newuser2-cert-');
  const pem = path.join(certDir, 'site.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '2', '-keyout', pem, '-out', path.join(certDir, 'cert.pem')], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  fs.appendFileSync(pem, fs.readFileSync(path.join(certDir, 'cert.pem')));
  const [adminPort, plainPort, tlsPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const config = `defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n\n`
    + `frontend plain_site\n    bind 127.0.0.1:${plainPort}\n    http-request redirect scheme https code 301 unless { ssl_fc }\n    default_backend web_backend\n\n`
    + `frontend secure_site\n    bind 127.0.0.1:${tlsPort} ssl crt ${pem}\n    http-request redirect scheme https code 301 unless { ssl_fc }\n    default_backend web_backend\n\n`
    + `backend web_backend\n    server web1 127.0.0.1:${origin.port}\n`;
  try {
    await withUiSession({ name: 'ui-newuser2-trace', config, adminPort, graceMs: 500, viewport: { width: 1280, height: 900 }, origins: [origin] }, async ({ serve, page }) => {
      // The overview says what the plain address is for: it redirects to HTTPS (it read as a second site).
      await page.goto(serve.url);
      await page.waitForSelector('[data-frontend="plain_site"] .binds li');
      assert.match((await page.locator('[data-frontend="plain_site"] .binds').textContent())!.replace(/\s+/g, ' '), new RegExp(`:${plainPort} redirects to HTTPS`));
      assert.doesNotMatch((await page.locator('[data-frontend="secure_site"] .binds').textContent())!, /redirects/);
      await page.screenshot({ path: path.join(screenshotDir, 'newuser2-overview-https-redirect.png'), fullPage: true });

      await page.goto(`${serve.url}#/trace`);
      await page.waitForSelector('[data-action="trace"]:not([disabled])', { timeout: 10_000 });
      await page.screenshot({ path: path.join(screenshotDir, 'newuser2-tracer-empty.png'), fullPage: true });
      const choice = page.locator('form.form select').first();
      const overTls = page.getByLabel('Over TLS');
      assert.equal(await overTls.isChecked(), false, 'plain_site, the first, is plain HTTP');
      // A plain request to a site that redirects: the verdict reads "redirect 301 → https://…" (the space was lost).
      await page.fill('input[list="tracer-hosts"]', 'www.example.com');
      await page.click('[data-action="trace"]');
      await page.waitForSelector('.result #verdict');
      assert.match((await page.locator('#verdict').textContent())!.replace(/\s+/g, ' '), /redirect 301 → https:\/\/www\.example\.com\//);

      // The HTTPS site: its choice says TLS, and it is traced over TLS, so it goes to its backend.
      await choice.selectOption('secure_site');
      assert.match((await choice.locator('option:checked').textContent())!, new RegExp(`:${tlsPort} TLS\\)$`));
      assert.equal(await overTls.isChecked(), true, 'a frontend whose address terminates TLS is traced over TLS');
      await page.click('[data-action="trace"]');
      await page.waitForSelector('.result[data-trace-backend="web_backend"]', { timeout: 5000 });
      // Back to the plain one: plain again.
      await choice.selectOption('plain_site');
      assert.equal(await overTls.isChecked(), false);
    });
  } finally {
    fs.rmSync(certDir, { recursive: true, force: true });
  }
});

test('a new site routed to a backend that exists goes from Routing to Review (the server steps had nothing to show), and it is applied', { timeout: 60_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const origin = await startOrigin('web1');
  const [adminPort, sitePort, newPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const config = `defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n\nfrontend http_frontend\n    bind 127.0.0.1:${sitePort}\n    default_backend web_backend\n\nbackend web_backend\n    server web1 127.0.0.1:${origin.port}\n`;
  await withUiSession({ name: 'ui-newuser2-existing', config, adminPort, graceMs: 500, viewport: { width: 375, height: 800 }, origins: [origin] }, async ({ serve, page, cfgFile }) => {
    await page.goto(`${serve.url}#/setup`);
    await page.waitForSelector('.wizard[data-step="what"]');
    const next = async (step: string): Promise<void> => {
      await page.click('[data-action="next"]');
      await page.waitForSelector(`.wizard[data-step="${step}"]`, { timeout: 10_000 });
    };
    await page.fill('#f-name', 'second_door');
    await next('listen');
    await page.fill('#f-listen-address', '127.0.0.1');
    await page.fill('#f-listen-port', String(newPort));
    await next('tls');
    await next('routing');
    assert.match((await page.locator('.wizard').textContent())!, /Step 4 of 8/, 'a new backend is proposed at first');
    await page.fill('#f-defaultBackend', 'web_backend');
    await page.waitForFunction(() => /Step 4 of 5/.test(document.querySelector('.wizard')?.textContent ?? ''), undefined, { timeout: 5000 });
    await next('review');
    await page.click('[data-action="apply"]');
    await page.waitForSelector('[data-apply="applied"]', { timeout: 15_000 });
    assert.match(fs.readFileSync(cfgFile, 'utf8'), new RegExp(`frontend second_door\\n    mode http\\n    bind 127\\.0\\.0\\.1:${newPort}\\n    default_backend web_backend\\n`));
    assert.equal(await send(newPort, '/'), 200, 'the new door reaches the backend that was there');
  });
});

/** GETs a path from the proxy: status and body. */
function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', () => resolve({ status: 0, body: '' }));
  });
}

test('the stats page and Prometheus metrics are turned on in the wizard, answer through the engine, are shown when the frontend is edited, and turn off', { timeout: 60_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const origin = await startOrigin('web1');
  const [adminPort, sitePort] = await Promise.all([freePort(), freePort()]);
  const config = `defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n\nfrontend http_frontend\n    bind 127.0.0.1:${sitePort}\n    default_backend web_backend\n\nbackend web_backend\n    server web1 127.0.0.1:${origin.port}\n`;
  await withUiSession({ name: 'ui-newuser2-stats', config, adminPort, graceMs: 500, viewport: { width: 375, height: 800 }, origins: [origin] }, async ({ serve, page, cfgFile }) => {
    await page.goto(`${serve.url}#/setup/frontend/http_frontend`);
    await page.waitForSelector('.wizard[data-step="listen"]', { timeout: 10_000 });
    const next = async (step: string): Promise<void> => {
      await page.click('[data-action="next"]');
      await page.waitForSelector(`.wizard[data-step="${step}"]`, { timeout: 10_000 });
    };
    await next('tls');
    await next('routing');
    // No rule: it says so (there was an empty gap), and the empty list is not announced.
    assert.match((await page.locator('[data-no-rules]').textContent())!, /No rule yet: every request goes to the backend below/);
    assert.equal(await page.locator('ol.rules').isVisible(), false);
    assert.equal(await page.isChecked('[data-page="stats"]'), false);
    await page.check('[data-page="stats"]');
    await page.check('[data-page="metrics"]');
    assert.equal(await page.inputValue('#f-pages-statsUri'), '/stats');
    assert.equal(await page.inputValue('#f-pages-metricsPath'), '/metrics');
    assert.match((await page.locator('[data-pages-note]').textContent())!, /Anyone who reaches the site can open these pages/);
    // A wrong path is refused in words, on its field.
    await page.fill('#f-pages-metricsPath', 'metrics');
    await page.click('[data-action="next"]');
    assert.match((await page.locator('#f-pages-metricsPath-err').textContent({ timeout: 5000 }))!, /A path starting with '\/'/);
    assert.equal(await page.getAttribute('#f-pages-metricsPath', 'aria-invalid'), 'true');
    await page.fill('#f-pages-metricsPath', '/metrics');
    await next('review');
    await page.click('[data-action="apply"]');
    await page.waitForSelector('[data-apply="applied"]', { timeout: 15_000 });
    const text = fs.readFileSync(cfgFile, 'utf8');
    assert.match(text, /http-request use-service prometheus-exporter if \{ path \/metrics \}\n    stats enable\n    stats uri \/stats\n/);
    const stats = await get(sitePort, '/stats');
    assert.equal(stats.status, 200);
    assert.match(stats.body, /web_backend/);
    const metrics = await get(sitePort, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /haproxy_process_|haproxy_frontend_/);
    assert.equal((await get(sitePort, '/')).body, 'web1\n', 'other paths still go to the backend');
    // The overview's frontend card links to them, at the site's address.
    await page.goto(`${serve.url}#/`);
    const card = page.locator('[data-frontend="http_frontend"]');
    await card.locator('[data-page="stats"] a').waitFor({ timeout: 10_000 });
    assert.equal(await card.locator('[data-page="stats"] a').getAttribute('href'), `http://127.0.0.1:${sitePort}/stats`);
    assert.match((await card.locator('[data-page="metrics"]').textContent())!, /Prometheus metrics: \/metrics/);
    assert.equal(await card.locator('[data-page="metrics"] a').getAttribute('href'), `http://127.0.0.1:${sitePort}/metrics`);

    // Edited again, the frontend shows them on; turned off, the lines go.
    await page.goto(`${serve.url}#/config`);
    await page.goto(`${serve.url}#/setup/frontend/http_frontend`);
    await page.waitForSelector('.wizard[data-step="listen"]', { timeout: 10_000 });
    await next('tls');
    await next('routing');
    assert.equal(await page.isChecked('[data-page="stats"]'), true);
    assert.equal(await page.isChecked('[data-page="metrics"]'), true);
    await page.uncheck('[data-page="stats"]');
    await page.uncheck('[data-page="metrics"]');
    await next('review');
    await page.click('[data-action="apply"]');
    await page.waitForSelector('[data-apply="applied"]', { timeout: 15_000 });
    assert.doesNotMatch(fs.readFileSync(cfgFile, 'utf8'), /stats|prometheus/);
    assert.equal((await get(sitePort, '/stats')).body, 'web1\n');
    await page.goto(`${serve.url}#/`);
    await page.locator('[data-frontend="http_frontend"]').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-frontend="http_frontend"] [data-page]').length === 0, undefined, { timeout: 5000 })
      .catch(() => assert.fail('no page, no links'));
  });
});

test("a server's admin state that could not be changed goes back to the state it has, with the error in words", { timeout: 60_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const origin = await startOrigin('web1');
  const [adminPort, sitePort] = await Promise.all([freePort(), freePort()]);
  const config = `defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n\nfrontend http_frontend\n    bind 127.0.0.1:${sitePort}\n    default_backend web_backend\n\nbackend web_backend\n    server web1 127.0.0.1:${origin.port}\n`;
  await withUiSession({ name: 'ui-newuser2-state', config, adminPort, graceMs: 500, viewport: { width: 375, height: 800 }, origins: [origin] }, async ({ serve, page }) => {
    await page.goto(`${serve.url}#/server/web_backend/web1`);
    await page.waitForSelector('input[name="admin-state"][value="ready"]:checked', { timeout: 10_000 });
    // The admin server refuses the change (as when it is gone, or the server was removed meanwhile).
    await page.route('**/api/setServerState', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ ok: false, error: { code: 'LS_ERR_NOT_FOUND', message: 'refused for the test' } }) }));
    // click, not check: the refusal may put the radios back before check() looks at its radio (a CI run).
    await page.click('input[name="admin-state"][value="drain"]');
    await page.waitForSelector('text=Changing the state failed', { timeout: 5000 });
    assert.equal(await page.isChecked('input[name="admin-state"][value="ready"]'), true, 'the server is still Ready, and so are the radios');
    assert.equal(await page.isChecked('input[name="admin-state"][value="drain"]'), false);
    await page.unroute('**/api/setServerState');
    await page.check('input[name="admin-state"][value="drain"]');
    await page.waitForSelector('text=web1 is now DRAIN', { timeout: 5000 });
  });
});
