/**
 * Client certificates and e-mail alerts built only by clicking and typing, in a real browser
 * against a real `loadstar serve`, as a new user would:
 *  - the Certificates screen issues a client certificate from the local CA and downloads it as a
 *    .p12 that opens with its password; the issued list names it;
 *  - a new HTTPS site requires client certificates (chosen by keyboard): real TLS connections are
 *    refused without the certificate and served with it;
 *  - the backend's health step sends e-mail alerts: bad fields are told at the field, then a real
 *    SMTP listener on 127.0.0.1 receives HAProxy's mail when a server goes down;
 *  - the forms read back what they wrote, and `haproxy -c` accepts the file.
 * Screenshots (light, dark, phone width) under test-output/screenshots/clientcerts-alerts/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { spawnSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { freePort } from '../helpers/net.ts';
import { haproxyCheck, requireHaproxy } from '../helpers/haproxy.ts';
import { requireBrowserAndBuild, root, sleep, startOrigin, withUiSession, wizardNext as next } from './harness.ts';

const shots = path.join(root, 'test-output', 'screenshots', 'clientcerts-alerts');

const fill = (page: Page, field: string, value: string): Promise<void> => page.fill(`#f-${field.replace(/[^A-Za-z0-9_-]/g, '-')}`, value);

async function shoot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  for (const [size, viewport] of [['', { width: 1280, height: 860 }], ['-phone', { width: 390, height: 844 }]] as const) {
    await page.setViewportSize(viewport);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: path.join(shots, `${name}${size}-${scheme}.png`), fullPage: true });
    }
    // At phone width nothing scrolls sideways.
    if (size === '-phone') assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390, `${name} fits 390 px`);
  }
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.emulateMedia({ colorScheme: 'light' });
}

/** A minimal SMTP listener: answers HAProxy's HELO, MAIL FROM, RCPT TO, DATA, QUIT and keeps each message. */
async function startSmtp(): Promise<{ port: number; messages: string[]; stop(): Promise<void> }> {
  const messages: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = '';
    let data: string[] | undefined;
    socket.write('220 test ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (data) {
          if (line === '.') { messages.push(data.join('\n')); data = undefined; socket.write('250 queued\r\n'); } else data.push(line);
        } else if (/^DATA$/i.test(line)) { data = []; socket.write('354 go on\r\n'); } else if (/^QUIT$/i.test(line)) socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Stopping cuts any exchange still open: close() alone waits for every connection to end.
  const stop = (): Promise<void> => new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
  return { port: (server.address() as net.AddressInfo).port, messages, stop };
}

/** One request over TLS with (or without) a client certificate: the origin's name, or how the connection ended. */
function tlsGet(port: number, pem?: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(pem ? { cert: pem, key: pem } : {}) }, () => socket.write('GET / HTTP/1.1\r\nhost: private\r\nconnection: close\r\n\r\n'));
    let data = '';
    let error = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    socket.on('data', (d: Buffer) => (data += d));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', () => resolve(data ? (/x-server: (\S+)/i.exec(data)?.[1] ?? data.slice(0, 40)) : error || 'closed'));
  });
}

test('a client certificate issued and required, and e-mail alerts set, only through the UI; real TLS and a real SMTP listener prove them', { timeout: 150_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  fs.mkdirSync(shots, { recursive: true });
  const origins = [await startOrigin('web1'), await startOrigin('web2')];
  const smtp = await startSmtp();
  const [adminPort, wwwPort, httpsPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const config = `defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n    timeout check 5s\n\nfrontend www\n    bind 127.0.0.1:${wwwPort}\n    default_backend web\n\nbackend web\n`
    + origins.map((o) => `    server ${o.name} 127.0.0.1:${o.port} check inter 300ms fall 1 rise 1\n`).join('');
  try {
    await withUiSession({ name: 'ui-mtls-alerts', config, adminPort, graceMs: 1000, viewport: { width: 1280, height: 860 }, origins }, async ({ serve, dataDir, cfgFile, page }) => {
      // ---- The Certificates screen: a client certificate for Alice's phone.
      await page.goto(`${serve.url}#/certificates`);
      const card = page.locator('[data-client-certs]');
      await card.waitFor();
      assert.match(await card.locator('table.clients, p.muted').last().innerText(), /None yet/);
      // Keyboard: the fields follow each other, each with its label.
      await page.focus('#client-name');
      await page.keyboard.type('alice-phone');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'client-email');
      await page.keyboard.type('alice@home.arpa');
      for (const id of ['client-name', 'client-email', 'client-days', 'client-pass', 'client-pass2']) {
        assert.ok((await page.locator(`label[for="${id}"]`).innerText()).length > 0, `${id} has a label`);
      }
      await page.fill('#client-pass', 's3cret');
      await page.fill('#client-pass2', 'secret');
      await page.click('[data-action="issue-client"]');
      assert.equal(await page.locator('#client-pass2-err').innerText(), '✖ The two passwords differ.');
      assert.equal(await page.getAttribute('#client-pass2', 'aria-invalid'), 'true');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'client-pass2', 'the wrong field has the focus');
      await shoot(page, 'certificates-client-error');
      await page.fill('#client-pass2', 's3cret');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="issue-client"]')]);
      assert.equal(download.suggestedFilename(), 'alice-phone.p12');
      const p12 = path.join(dataDir, 'downloaded-alice.p12');
      await download.saveAs(p12);
      const opened = spawnSync('openssl', ['pkcs12', '-in', p12, '-passin', 'pass:s3cret', '-nodes'], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(opened.status, 0, opened.stderr);
      assert.match(opened.stdout, /subject=CN\s?=\s?alice-phone/);
      const alicePem = opened.stdout;
      await page.locator('[data-client="alice-phone"]').waitFor();
      assert.match(await page.locator('[role="status"]').filter({ hasText: 'alice-phone.p12' }).innerText(), /Loadstar keeps no copy of its key/);
      assert.equal(await page.inputValue('#client-pass'), '', 'the password is not left in the form');
      await shoot(page, 'certificates-client-issued');

      // ---- A new HTTPS site that requires client certificates, from the local CA.
      await page.goto(`${serve.url}#/setup`);
      await page.waitForSelector('.wizard[data-step="what"]');
      await page.check('input[name="site-kind"][value="https"]');
      await fill(page, 'name', 'private');
      await next(page, 'listen');
      await fill(page, 'listen.address', '127.0.0.1');
      await fill(page, 'listen.port', String(httpsPort));
      await next(page, 'tls');
      await page.uncheck('text=Also answer plain HTTP and redirect it to HTTPS (301)');
      const client = page.locator('fieldset[data-client-certs]');
      assert.equal(await client.locator('legend').innerText(), 'Client certificates');
      assert.equal(await client.locator('[data-client-choice="off"]').isChecked(), true, 'not asked for by default');
      await client.locator('[data-client-choice="off"]').focus();
      await page.keyboard.press('ArrowDown');
      assert.equal(await client.locator('[data-client-choice="required"]').isChecked(), true, 'chosen with the keyboard');
      assert.equal(await page.inputValue('#f-tls-clientCa'), 'local');
      // Importing a CA without its text is told at the field.
      await page.selectOption('#f-tls-clientCa', 'import');
      await page.click('[data-action="next"]');
      assert.match(await page.locator('[data-field="tls.clientCaPem"] .err').innerText(), /Paste the CA certificate/);
      await shoot(page, 'https-client-ca-import-error');
      await page.selectOption('#f-tls-clientCa', 'local');
      await shoot(page, 'https-client-certs-required');
      await next(page, 'routing');
      await fill(page, 'defaultBackend', 'web');
      // 'web' exists: nothing to create, so no Servers, Balancing or Health step.
      await next(page, 'review');
      await page.waitForSelector('[data-summary]');
      const caFile = path.join(dataDir, 'ca', 'ca.pem');
      assert.ok((await page.locator('pre.diff').innerText()).includes(`verify required ca-file ${caFile}`));
      assert.match(await page.locator('[data-client-cert-review]').innerText(), /Client certificates: required/);
      await shoot(page, 'https-review');
      await page.click('[data-action="apply"]');
      await page.waitForSelector('[data-apply="applied"]', { timeout: 30_000 });
      // Real TLS: refused without the certificate, served with it.
      assert.doesNotMatch(await tlsGet(httpsPort), /^web[12]$/);
      assert.match(await tlsGet(httpsPort, alicePem), /^web[12]$/);

      // ---- E-mail alerts on the backend's health step.
      await page.goto(`${serve.url}#/setup/backend/web`);
      await page.waitForSelector('.wizard[data-step="servers"]');
      await next(page, 'balance');
      await next(page, 'health');
      const alert = page.locator('fieldset[data-alert="web"]');
      assert.equal(await alert.locator('legend').innerText(), 'E-mail alerts');
      await alert.locator('[data-alert-on]').check();
      await fill(page, 'backends.0.alert.smtp', 'mail.home.arpa');
      await fill(page, 'backends.0.alert.from', 'me at home');
      await fill(page, 'backends.0.alert.to', 'ops@home.arpa');
      await page.click('[data-action="next"]');
      assert.equal(await page.locator('[data-field="backends.0.alert.smtp"] .err').innerText(), '✖ mail.home.arpa has no port: write host:port, e.g. mail.home.arpa:25.');
      assert.match(await page.locator('[data-field="backends.0.alert.from"] .err').innerText(), /^✖ me at home is not an e-mail address/);
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-backends-0-alert-smtp', 'the first wrong field has the focus');
      assert.equal(await page.getAttribute('#f-backends-0-alert-from', 'aria-describedby'), 'f-backends-0-alert-from-err');
      await shoot(page, 'alert-errors');
      await fill(page, 'backends.0.alert.smtp', `127.0.0.1:${smtp.port}`);
      await fill(page, 'backends.0.alert.from', 'loadstar@home.arpa');
      await page.check('input[name="alert-level-0"][value="notice"]');
      await shoot(page, 'alert-filled');
      await next(page, 'review');
      await page.waitForSelector('[data-summary]');
      const diff = await page.locator('pre.diff').innerText();
      const added = diff.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).map((l) => l.slice(1).trim());
      assert.deepEqual(added, ['mailers alerts', `mailer smtp1 127.0.0.1:${smtp.port}`, '', 'email-alert mailers alerts', 'email-alert from loadstar@home.arpa', 'email-alert to ops@home.arpa', 'email-alert level notice']);
      assert.match(await page.locator('[data-alert-review="web"]').innerText(), /E-mail alerts for web: mail ops@home\.arpa from loadstar@home\.arpa/);
      await shoot(page, 'alert-review');
      await page.click('[data-action="apply"]');
      await page.waitForSelector('[data-apply="applied"]', { timeout: 30_000 });

      // A server goes down: the SMTP listener gets HAProxy's mail.
      await origins[1]!.stop();
      for (const deadline = Date.now() + 15_000; Date.now() < deadline && !smtp.messages.some((m) => /web2 is DOWN/.test(m)); await sleep(100));
      const mail = smtp.messages.find((m) => /web2 is DOWN/.test(m));
      assert.ok(mail, `a mail about web2 going down: ${JSON.stringify(smtp.messages)}`);
      assert.match(mail, /^From: loadstar@home\.arpa$/m);
      assert.match(mail, /^To: ops@home\.arpa$/m);

      // The forms read back what they wrote (from another screen: the same address would not open the form again).
      // The configuration screen's list of forms says it first.
      await page.goto(`${serve.url}#/config`);
      await page.waitForSelector('[data-form="backend:web"]');
      assert.match(await page.locator('[data-form="backend:web"]').innerText(), /e-mail alerts to ops@home\.arpa/);
      assert.match(await page.locator('[data-form="frontend:private"]').innerText(), /client certificates required/);
      await page.goto(`${serve.url}#/setup/backend/web`);
      await page.waitForSelector('.wizard[data-step="servers"]');
      await next(page, 'balance');
      await next(page, 'health');
      assert.equal(await page.locator('[data-alert-on]').isChecked(), true);
      assert.equal(await page.inputValue('#f-backends-0-alert-smtp'), `127.0.0.1:${smtp.port}`);
      assert.equal(await page.inputValue('#f-backends-0-alert-to'), 'ops@home.arpa');
      assert.equal(await page.locator('input[name="alert-level-0"][value="notice"]').isChecked(), true);
      await page.goto(`${serve.url}#/setup/frontend/private`);
      await page.waitForSelector('.wizard[data-step="listen"]');
      await next(page, 'tls');
      assert.equal(await page.locator('[data-client-choice="required"]').isChecked(), true);
      await page.waitForFunction(() => (document.querySelector('#f-tls-clientCa') as HTMLSelectElement | null)?.value === 'local');

      // Another CA, imported in the form: Alice's certificate no longer opens the site, one from that CA does.
      await page.selectOption('#f-tls-clientCa', 'import');
      await fill(page, 'tls.clientCaName', 'partners');
      await fill(page, 'tls.clientCaPem', fs.readFileSync(path.join(root, 'test', 'scenarios', 'certs', 'client.pem'), 'utf8'));
      await page.click('[data-action="next"]');
      assert.match(await page.locator('[data-field="tls.clientCaPem"] .err').innerText(), /holds a private key/, 'a key is refused at the field');
      await fill(page, 'tls.clientCaPem', fs.readFileSync(path.join(root, 'test', 'scenarios', 'certs', 'ca.pem'), 'utf8'));
      await next(page, 'routing');
      await next(page, 'review');
      await page.waitForSelector('[data-summary]');
      const trusted = path.join(dataDir, 'trust', 'partners.pem');
      assert.ok((await page.locator('pre.diff').innerText()).includes(`verify required ca-file ${trusted}`));
      await page.click('[data-action="apply"]');
      await page.waitForSelector('[data-apply="applied"]', { timeout: 30_000 });
      assert.doesNotMatch(await tlsGet(httpsPort, alicePem), /^web[12]$/);
      assert.match(await tlsGet(httpsPort, fs.readFileSync(path.join(root, 'test', 'scenarios', 'certs', 'client.pem'), 'utf8')), /^web1$/, 'web2 is down');
      // Away and back in one task, as a script or a quick history jump does: the form opens again from what was applied.
      await page.evaluate(() => {
        location.hash = '#/config';
        location.hash = '#/setup/frontend/private';
      });
      await page.waitForSelector('.wizard[data-step="listen"]');
      await next(page, 'tls');
      await page.waitForFunction((p) => (document.querySelector('#f-tls-clientCa') as HTMLSelectElement | null)?.value === `file:${p}`, trusted);
      // Named as stored once the list of CA files has arrived.
      await page.waitForFunction(() => /^partners — /.test((document.querySelector('#f-tls-clientCa option:checked') as HTMLOptionElement | null)?.textContent ?? ''));

      // Real HAProxy accepts the file the forms wrote (certificates, CA file and mailers included).
      if (requireHaproxy(t)) {
        const check = haproxyCheck(cfgFile, dataDir);
        assert.equal(check.status, 0, `${fs.readFileSync(cfgFile, 'utf8')}\n${check.output}`);
      }
    });
  } finally {
    await smtp.stop();
  }
});
