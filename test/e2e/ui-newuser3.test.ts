/**
 * The home-lab user who arrives with an existing haproxy.cfg (host routing by ACLs, TCP services
 * with tcp-check, a stats listen, comments throughout) and TLS services of their own, checked in a
 * real browser against a real `loadstar serve`, origins on 127.0.0.1 and `haproxy -c`:
 *  - a TLS passthrough routed by the server name (SNI) is built in the wizard (a TCP service could
 *    only route by source address): the written lines keep every line of the user's file in order,
 *    haproxy -c accepts them, and connections reach the server their name asks for; its cards
 *    count connections a second (they said req/s), the rule's choice is not cut off, and the tracer
 *    traces it over TLS by the server name (it answered the default backend);
 *  - a certificate import with an encrypted key and no passphrase says so at the passphrase field
 *    (it was at the PEM field, with a command-line hint), and the focus goes there;
 *  - importing under the name of a stored certificate asks first (it replaced it silently); the wizard's
 *    "Import a PEM" refuses a stored name and has a passphrase field (an encrypted key was a dead end),
 *    kept out of the draft the tab saves;
 *  - a backend without servers (a `listen stats`) is not shown as Down (HAProxy reports it UP);
 *  - a listen section edited in the forms: what no rule takes goes to its own servers (shown as an
 *    empty "backend"), a stats-only site may have its page at '/' (Next refused it), and a stats page
 *    with more than the form shows (stats hide-version) is said to be kept (the box showed it off);
 *  - a review without a change offers nothing to apply (Apply wrote an empty version and reloaded);
 *  - removing a listen section's frontend (or backend) side says the whole section goes;
 *  - a server field's error no longer pushes the row's other inputs down.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { freePort } from '../helpers/net.ts';
import { haproxyCheck, requireHaproxy } from '../helpers/haproxy.ts';
import { requireBrowserAndBuild, screenshotDir, startOrigin, tempDir, withUiSession } from './harness.ts';

/** The chosen file's text has reached the form's PEM field (the browser reads it asynchronously). */
async function pemRead(page: import('playwright-core').Page, file: string): Promise<void> {
  const line = fs.readFileSync(file, 'utf8').split('\n')[1]!;
  await page.waitForFunction((l) => (document.querySelector<HTMLTextAreaElement>('#import-pem')?.value ?? '').includes(l), line, { timeout: 5000 });
}

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** A self-signed certificate for `cn`: key and certificate files in `dir`. */
function selfSigned(dir: string, cn: string): { key: string; crt: string } {
  const key = path.join(dir, `${cn}.key`);
  const crt = path.join(dir, `${cn}.crt`);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-days', '5', '-keyout', key, '-out', crt]);
  return { key, crt };
}

/** A TLS server that answers every connection with its name. */
async function tlsOrigin(name: string, cert: { key: string; crt: string }): Promise<{ port: number; stop(): Promise<void> }> {
  const server = tls.createServer({ key: fs.readFileSync(cert.key), cert: fs.readFileSync(cert.crt) }, (socket) => {
    socket.on('error', () => {});
    socket.end(`${name}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Connects over TLS asking for `servername` (the certificate is not checked: passthrough is the point); resolves with what came back. */
function askByName(port: number, servername: string): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const socket = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, timeout: 5000 }, () => {});
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (got += d));
    socket.on('end', () => resolve(got.trim()));
    socket.on('timeout', () => socket.destroy());
    socket.on('error', () => resolve(got.trim() || 'error'));
  });
}

/** The relative luminance of a CSS rgb()/rgba() colour (WCAG). */
function luminance(colour: string): number {
  const [r, g, b] = colour.match(/[\d.]+/g)!.slice(0, 3).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * Where the text of each of `parts` (selectors inside `scope`) stands: its baseline, found by a
 * zero-size inline box put first in it, relative to the first part's, in whole pixels.
 */
async function baselines(page: import('playwright-core').Page, scope: string, parts: string[]): Promise<number[]> {
  return page.evaluate(({ scope, parts }) => {
    const root = document.querySelector(scope)!;
    const ys = parts.map((sel) => {
      const el = root.querySelector(sel)!;
      const probe = document.createElement('span');
      probe.style.cssText = 'display:inline-block;width:0;height:0';
      el.prepend(probe);
      const y = probe.getBoundingClientRect().bottom;
      probe.remove();
      return y;
    });
    return ys.map((y) => Math.round(y - ys[0]!));
  }, { scope, parts });
}

function homeLab(ports: { http: number; ssh: number; stats: number; web: number; sshOrigin: number; statsLan?: number }): string {
  return `# Home lab load balancer
# Maintained by hand — keep the sections in this order!

global
    maxconn 2000

defaults
    mode http
    timeout connect 5s
    timeout client  30s
    timeout server  30s

# ---- web ----

frontend web_http
    bind 127.0.0.1:${ports.http}
    # Route by the Host header
    acl host_nas hdr(host) -i nas.home.arpa
    use_backend nas_backend if host_nas
    default_backend nas_backend

# SSH to the build box
listen ssh_jump
    mode tcp
    bind 127.0.0.1:${ports.ssh}
    option tcp-check
    tcp-check connect
    server buildbox 127.0.0.1:${ports.sshOrigin} check

backend nas_backend
    # the NAS
    server nas1 127.0.0.1:${ports.web} check

# Statistics
listen stats
    bind 127.0.0.1:${ports.stats}
    stats enable
    stats uri /
${ports.statsLan === undefined ? '' : `
listen stats_lan
    bind 127.0.0.1:${ports.statsLan}
    stats enable
    stats uri /
    stats hide-version
`}`;
}

test('a TLS passthrough routed by the server name is built in the wizard, keeps the hand-written file, passes haproxy -c and routes by SNI', { timeout: 90_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const certDir = tempDir('loadstar-ui-newuser3-sni-');
  const cert = selfSigned(certDir, 'git.home.arpa');
  const git = await tlsOrigin('git-tls', cert);
  const vault = await tlsOrigin('vault-tls', cert);
  const web = await startOrigin('nas1');
  const [adminPort, httpPort, sshPort, statsPort, passPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const config = homeLab({ http: httpPort, ssh: sshPort, stats: statsPort, web: web.port, sshOrigin: web.port });
  try {
    await withUiSession({ name: 'ui-newuser3-sni', config, adminPort, graceMs: 500, viewport: { width: 375, height: 800 }, origins: [web] }, async ({ serve, page, cfgFile }) => {
      await page.goto(`${serve.url}#/setup`);
      await page.waitForSelector('.wizard[data-step="what"]');
      const next = async (step: string): Promise<void> => {
        await page.click('[data-action="next"]');
        await page.waitForSelector(`.wizard[data-step="${step}"]`, { timeout: 10_000 });
      };
      await page.check('input[name="site-kind"][value="tcp"]');
      await page.fill('#f-name', 'tls_pass');
      await next('listen');
      await page.fill('#f-listen-address', '127.0.0.1');
      await page.fill('#f-listen-port', String(passPort));
      await next('routing');
      // A TCP service's first rule is by server name; its wait for the hello is said in words.
      await page.click('button.add');
      assert.equal(await page.inputValue('#f-rules-0-kind'), 'sni-is');
      assert.deepEqual(await page.locator('#f-rules-0-kind option').allTextContents(), ['TLS server name (SNI) is', 'Source address in']);
      assert.match((await page.locator('[data-sni-note]').textContent())!, /TLS passes through untouched/);
      // At desktop width the choice shows its whole words (it was cut to "TLS server name (SNI").
      await page.setViewportSize({ width: 1280, height: 800 });
      const room = await page.evaluate(() => {
        const select = document.querySelector<HTMLSelectElement>('#f-rules-0-kind')!;
        const style = getComputedStyle(select);
        const context = document.createElement('canvas').getContext('2d')!;
        context.font = style.font;
        const text = context.measureText(select.selectedOptions[0]!.text).width;
        // The text, the padding and the arrow (about 1.2em).
        return { needed: Math.ceil(text + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight) + 1.2 * parseFloat(style.fontSize)), has: select.clientWidth };
      });
      assert.ok(room.has >= room.needed, `the When choice is ${room.has} px wide and needs ${room.needed} px`);
      await page.setViewportSize({ width: 375, height: 800 });
      // A wildcard is not what req.ssl_sni matches: refused at its field.
      await page.fill('#f-rules-0-values', '*.home.arpa');
      await page.fill('#f-rules-0-backend', 'git_tls');
      await page.fill('#f-defaultBackend', 'vault_tls');
      await page.click('[data-action="next"]');
      assert.match((await page.locator('#f-rules-0-values-err').textContent({ timeout: 5000 }))!, /Host names as the clients ask for them/);
      await page.fill('#f-rules-0-values', 'git.home.arpa');
      await next('servers');
      await page.fill('#f-backends-0-servers-0-address', '127.0.0.1');
      await page.fill('#f-backends-0-servers-0-port', String(git.port));
      await page.fill('#f-backends-1-servers-0-address', '127.0.0.1');
      await page.fill('#f-backends-1-servers-0-port', String(vault.port));
      await next('balance');
      await next('health');
      await next('review');
      await page.click('[data-action="apply"]');
      await page.waitForSelector('[data-apply="applied"]', { timeout: 15_000 });

      const text = fs.readFileSync(cfgFile, 'utf8');
      assert.match(text, new RegExp(`\\nfrontend tls_pass( from tcp)?\\n    mode tcp\\n    bind 127\\.0\\.0\\.1:${passPort}\\n    tcp-request inspect-delay 5s\\n    tcp-request content accept if \\{ req\\.ssl_hello_type 1 \\}\\n    acl is_git_tls req\\.ssl_sni -i git\\.home\\.arpa\\n    use_backend git_tls if is_git_tls\\n    default_backend vault_tls\\n`));
      // Every line of the user's file is still there, in its order (comments and blank lines included).
      let at = 0;
      const after = text.split('\n');
      for (const line of config.split('\n')) {
        const found = after.indexOf(line, at);
        assert.ok(found >= 0, `line ${JSON.stringify(line)} is gone or moved:\n${text}`);
        at = found + 1;
      }
      assert.equal(await askByName(passPort, 'git.home.arpa'), 'git-tls');
      assert.equal(await askByName(passPort, 'vault.home.arpa'), 'vault-tls');
      if (requireHaproxy(t)) {
        const r = haproxyCheck(cfgFile, path.dirname(cfgFile));
        assert.equal(r.status, 0, r.output);
      }
      // A TCP service counts connections a second, and says so (it said req/s).
      await page.goto(serve.url);
      const card = page.locator('[data-frontend="tls_pass"] .numbers');
      await card.waitFor({ timeout: 10_000 });
      assert.match((await card.textContent())!, /conn\/s/);
      assert.doesNotMatch((await card.textContent())!, /req\/s/);
      assert.match((await page.locator('#backend-git_tls').textContent())!, /conn\/s[\s\S]*Conn\/s/);
      assert.match((await page.locator('#backend-nas_backend').textContent())!, /req\/s[\s\S]*Req\/s/);

      // The tracer follows the server name too (it found req.ssl_sni empty and answered the default backend).
      await page.goto(`${serve.url}#/trace`);
      await page.waitForSelector('[data-action="trace"]:not([disabled])', { timeout: 10_000 });
      await page.locator('form.form select').first().selectOption('tls_pass');
      // Its clients speak TLS: the choice says so itself, with the SNI field at hand (it was plain).
      assert.equal(await page.getByLabel('Over TLS').isChecked(), true);
      await page.getByLabel('SNI (server name)').fill('git.home.arpa');
      await page.click('[data-action="trace"]');
      await page.waitForSelector('.result[data-trace-backend="git_tls"]', { timeout: 5000 })
        .catch(async () => assert.fail(`traced to git_tls: ${await page.locator('main').textContent()}`));
    });
  } finally {
    await git.stop();
    await vault.stop();
    fs.rmSync(certDir, { recursive: true, force: true });
  }
});

test('a certificate import: an encrypted key is asked for at the passphrase field, and a stored name is not replaced without asking', { timeout: 60_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const certDir = tempDir('loadstar-ui-newuser3-certs-');
  const nas = selfSigned(certDir, 'nas.home.arpa');
  const other = selfSigned(certDir, 'other.home.arpa');
  const encryptedKey = path.join(certDir, 'enc.key');
  openssl(['pkey', '-in', nas.key, '-aes256', '-passout', 'pass:secret', '-out', encryptedKey]);
  const encryptedPem = path.join(certDir, 'encrypted.pem');
  fs.writeFileSync(encryptedPem, fs.readFileSync(nas.crt, 'utf8') + fs.readFileSync(encryptedKey, 'utf8'));
  const otherPem = path.join(certDir, 'other.pem');
  fs.writeFileSync(otherPem, fs.readFileSync(other.crt, 'utf8') + fs.readFileSync(other.key, 'utf8'));
  const web = await startOrigin('web1');
  const [adminPort, httpPort, httpsPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const config = `defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n\nfrontend web_http\n    bind 127.0.0.1:${httpPort}\n    default_backend web_backend\n\nbackend web_backend\n    server web1 127.0.0.1:${web.port}\n`;
  try {
    await withUiSession({ name: 'ui-newuser3-certs', config, adminPort, graceMs: 500, viewport: { width: 1280, height: 900 }, origins: [web] }, async ({ serve, page, dataDir }) => {
      await page.goto(`${serve.url}#/certificates`);
      await page.waitForSelector('[data-ca]');
      await page.setInputFiles('#import-file', encryptedPem);
      await page.waitForFunction(() => (document.querySelector<HTMLInputElement>('#import-name')?.value ?? '') === 'nas.home.arpa', undefined, { timeout: 5000 });
      await page.focus('[data-action="import"]');
      await page.keyboard.press('Enter');
      // The key is encrypted: said at the passphrase field, in the form's words, and the focus is there.
      const err = page.locator('#import-pass-err');
      await err.waitFor({ timeout: 5000 });
      assert.match((await err.textContent())!, /the private key is encrypted; type its passphrase in this field/);
      assert.doesNotMatch((await page.locator('form').filter({ has: page.locator('#import-pass') }).textContent())!, /CLI|--passphrase-env/);
      assert.equal(await page.getAttribute('#import-pass', 'aria-invalid'), 'true');
      assert.equal(await page.getAttribute('#import-pem', 'aria-invalid'), null, 'the PEM text is fine');
      await page.waitForFunction(() => document.activeElement?.id === 'import-pass', undefined, { timeout: 5000 })
        .catch(async () => assert.fail(`the focus should be on the passphrase; it is on ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 100))}`));
      await page.keyboard.type('secret');
      await page.keyboard.press('Enter');
      await page.waitForSelector('[data-cert="nas.home.arpa"]', { timeout: 10_000 });
      const stored = path.join(dataDir, 'certs', 'nas.home.arpa.pem');
      const before = fs.readFileSync(stored, 'utf8');

      // Another certificate under the same name: asked first, nothing replaced yet.
      await page.setInputFiles('#import-file', otherPem);
      await pemRead(page, otherPem);
      await page.fill('#import-name', 'nas.home.arpa');
      await page.click('[data-action="import"]');
      const nameErr = page.locator('#import-name-err');
      await nameErr.waitFor({ timeout: 5000 });
      assert.match((await nameErr.textContent())!, /A certificate named nas\.home\.arpa is stored already \(CN=nas\.home\.arpa, until \d{4}-\d\d-\d\d\)\. Press Import again to replace it, or choose another name\./);
      assert.equal(fs.readFileSync(stored, 'utf8'), before, 'the stored certificate is untouched');
      // Pressed again: replaced.
      await page.click('[data-action="import"]');
      await page.waitForSelector('text=Imported nas.home.arpa (CN=other.home.arpa)', { timeout: 10_000 });
      const imported = fs.readFileSync(stored, 'utf8');
      assert.notEqual(imported, before);

      // Issuing under a stored name asks first too (it replaced the file at once, and a site serving it with it).
      await page.fill('#issue-name', 'nas.home.arpa');
      await page.fill('#issue-names', 'x.home.arpa');
      await page.click('[data-action="issue"]');
      const issueErr = page.locator('#issue-name-err');
      await issueErr.waitFor({ timeout: 5000 });
      assert.match((await issueErr.textContent())!, /A certificate named nas\.home\.arpa is stored already \(CN=other\.home\.arpa, until \d{4}-\d\d-\d\d\)\. Press Issue again to replace it, or choose another name\./);
      assert.equal(fs.readFileSync(stored, 'utf8'), imported, 'the stored certificate is untouched');
      // Another name is not asked about, and the question is asked again for the stored one.
      await page.fill('#issue-name', 'x.home.arpa');
      await page.click('[data-action="issue"]');
      await page.waitForSelector('text=Issued x.home.arpa for x.home.arpa', { timeout: 10_000 });
      await page.fill('#issue-name', 'nas.home.arpa');
      await page.click('[data-action="issue"]');
      await issueErr.waitFor({ timeout: 5000 });
      assert.equal(fs.readFileSync(stored, 'utf8'), imported, 'still untouched');
      await page.click('[data-action="issue"]');
      await page.waitForSelector('text=Issued nas.home.arpa for x.home.arpa', { timeout: 10_000 });
      const replaced = fs.readFileSync(stored, 'utf8');
      assert.notEqual(replaced, imported);

      // The wizard's "Import a PEM": a stored name is not overwritten from there, and an encrypted key has its
      // passphrase field (there was none: the error pointed at the command line).
      await page.goto(`${serve.url}#/setup`);
      await page.waitForSelector('.wizard[data-step="what"]');
      await page.check('input[name="site-kind"][value="https"]');
      await page.fill('#f-name', 'nas_site');
      await page.click('[data-action="next"]');
      await page.waitForSelector('.wizard[data-step="listen"]');
      await page.fill('#f-listen-address', '127.0.0.1');
      // The admin UI's own port is named as such (it was "another program already listens").
      await page.fill('#f-listen-port', String(adminPort));
      await page.click('[data-action="next"]');
      assert.ok((await page.locator('#f-listen-port-err').textContent({ timeout: 5000 }))!.trim()
        .endsWith(`Port ${adminPort} cannot be used: Loadstar's admin UI listens on 127.0.0.1:${adminPort}. Choose another port.`));
      await page.fill('#f-listen-port', String(httpsPort));
      await page.click('[data-action="next"]');
      await page.waitForSelector('.wizard[data-step="tls"]');
      await page.check('input[name="tls"][value="import"]');
      await page.uncheck('text=Also answer plain HTTP').catch(() => {});
      await page.setInputFiles('.wizard input[type="file"]', encryptedPem);
      await page.waitForFunction(() => (document.querySelector<HTMLInputElement>('#f-tls-importName')?.value ?? '') === 'nas.home.arpa', undefined, { timeout: 5000 });
      await page.click('[data-action="next"]');
      assert.match((await page.locator('#f-tls-importName-err').textContent({ timeout: 5000 }))!, /A certificate named nas\.home\.arpa is stored already \(CN=x\.home\.arpa, until [\d-]+\)\. Choose another name/);
      assert.equal(fs.readFileSync(stored, 'utf8'), replaced, 'the stored certificate is untouched');
      await page.fill('#f-tls-importName', 'nas2');
      await page.click('[data-action="next"]');
      assert.match((await page.locator('#f-tls-passphrase-err').textContent({ timeout: 5000 }))!, /the private key is encrypted; type its passphrase in this field/);
      await page.fill('#f-tls-passphrase', 'secret');
      await page.click('[data-action="next"]');
      await page.waitForSelector('.wizard[data-step="routing"]', { timeout: 10_000 });
      assert.ok(fs.existsSync(path.join(dataDir, 'certs', 'nas2.pem')));
      // The passphrase is not kept with the draft the tab saves.
      assert.doesNotMatch(await page.evaluate(() => JSON.stringify(sessionStorage)), /secret/);
      // Cancelled: the certificate this wizard stored goes too (it stayed in the store); the one stored before stays.
      await page.click('[data-action="cancel"]');
      await page.click('[data-action="discard"]');
      const nas2 = path.join(dataDir, 'certs', 'nas2.pem');
      for (let i = 0; i < 50 && fs.existsSync(nas2); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(fs.existsSync(nas2), false, 'the imported certificate is removed with the cancelled wizard');
      assert.equal(fs.readFileSync(stored, 'utf8'), replaced, 'the certificate stored before is untouched');

      // A certificate from the local CA under a stored name (the site's): asked first as well (it was replaced silently).
      await page.goto(`${serve.url}#/certificates`);
      await page.waitForSelector('[data-ca]');
      await page.setInputFiles('#import-file', otherPem);
      await pemRead(page, otherPem);
      await page.fill('#import-name', 'site_two');
      await page.click('[data-action="import"]');
      await page.waitForSelector('text=Imported site_two', { timeout: 10_000 });
      const siteTwo = path.join(dataDir, 'certs', 'site_two.pem');
      const siteTwoBefore = fs.readFileSync(siteTwo, 'utf8');
      await page.goto(`${serve.url}#/setup`);
      await page.waitForSelector('.wizard[data-step="what"]');
      await page.check('input[name="site-kind"][value="https"]');
      await page.fill('#f-name', 'site_two');
      await page.click('[data-action="next"]');
      await page.waitForSelector('.wizard[data-step="listen"]');
      await page.fill('#f-listen-address', '127.0.0.1');
      await page.fill('#f-listen-port', String(httpsPort));
      await page.click('[data-action="next"]');
      await page.waitForSelector('.wizard[data-step="tls"]');
      await page.check('input[name="tls"][value="local-ca"]');
      await page.uncheck('text=Also answer plain HTTP').catch(() => {});
      await page.fill('#f-tls-names', 'two.home.arpa');
      await page.click('[data-action="next"]');
      assert.match((await page.locator('#f-tls-names-err').textContent({ timeout: 10_000 }))!,
        /A certificate named site_two is stored already \(CN=other\.home\.arpa\): Next again replaces it with one from the local CA for these names\./);
      assert.equal(fs.readFileSync(siteTwo, 'utf8'), siteTwoBefore, 'the stored certificate is untouched');
      fs.mkdirSync(screenshotDir, { recursive: true });
      await page.screenshot({ path: path.join(screenshotDir, 'newuser3-tls-issue-asks.png') });
      await page.click('[data-action="next"]');
      await page.waitForSelector('.wizard[data-step="routing"]', { timeout: 10_000 });
      assert.notEqual(fs.readFileSync(siteTwo, 'utf8'), siteTwoBefore, 'replaced once the user said so');
    });
  } finally {
    fs.rmSync(certDir, { recursive: true, force: true });
  }
});

test("a listen stats section: its backend side without servers is not shown as Down (overview, health), and its frontend side in the forms keeps its own servers and its stats page at / (Next refused it)", { timeout: 60_000 }, async (t) => {
  if (!requireBrowserAndBuild(t)) return;
  const web = await startOrigin('nas1');
  const [adminPort, httpPort, sshPort, statsPort, statsLan] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const config = homeLab({ http: httpPort, ssh: sshPort, stats: statsPort, web: web.port, sshOrigin: web.port, statsLan });
  await withUiSession({ name: 'ui-newuser3-stats', config, adminPort, graceMs: 500, viewport: { width: 1280, height: 900 }, origins: [web] }, async ({ serve, page }) => {
    await page.goto(serve.url);
    const card = page.locator('#backend-stats');
    await card.waitFor({ timeout: 10_000 });
    const summary = (await card.locator('[data-summary]').textContent())!.replace(/\s+/g, ' ').trim();
    assert.equal(summary, 'No servers', 'no "Down", no "0/0 up"');
    assert.match((await card.locator('[data-no-servers]').textContent())!, /No servers\. A request routed here gets 503/);
    assert.equal(await card.locator('table').count(), 0, 'no empty table of servers');
    assert.match((await page.locator('#backend-nas_backend [data-summary]').textContent())!, /All up/);
    // Four frontends in three columns: the second row stands as far below the first as the columns stand apart
    // (twice as far: the grid's gap plus each card's margin).
    const gaps = await page.evaluate(() => {
      const r = [...document.querySelectorAll('[data-frontend]')].map((e) => e.getBoundingClientRect());
      return { column: Math.round(r[1]!.left - r[0]!.right), row: Math.round(r[3]!.top - r[0]!.bottom) };
    });
    assert.equal(gaps.row, gaps.column, JSON.stringify(gaps));
    // The stats page at '/' is a link one can hit: the whole "Stats page: /" (it was the '/' alone, a few pixels wide).
    const statsLink = page.locator('[data-frontend="stats"] [data-page="stats"] a');
    assert.equal(await statsLink.getAttribute('href'), `http://127.0.0.1:${statsPort}/`);
    assert.equal((await statsLink.textContent())!.trim(), 'Stats page: /');
    assert.ok((await statsLink.boundingBox())!.width >= 24);
    await page.goto(`${serve.url}#/health`);
    await page.waitForFunction(() => /Backend stats\s*Now\s*No servers/.test(document.querySelector('main')?.textContent ?? ''), undefined, { timeout: 10_000 })
      .catch(async () => assert.fail(`the stats backend is "No servers" now: ${await page.locator('main').textContent()}`));
    // Its timeline is not a DOWN band either (the engine's state for it is UP, as HAProxy's).
    const main = (await page.locator('main').textContent())!;
    assert.doesNotMatch(main.slice(main.indexOf('Backend stats')), /DOWN/);
    // "Now ◌ No servers  Uptime 100.00 %  since …" stand on one baseline (the badge's words sat above "Now",
    // the smaller "since" above them all).
    assert.deepEqual(await baselines(page, '[data-timeline="stats/"] .head', ['.now', '.now .word', '.uptime', '.since']), [0, 0, 0, 0]);
    await page.goto(serve.url);
    await page.locator('#backend-nas_backend').waitFor({ timeout: 10_000 });
    // So do a card's name, its badge and its count.
    assert.deepEqual(await baselines(page, '#backend-nas_backend header', ['h3', '.word', '.count']), [0, 0, 0]);
    assert.deepEqual(await baselines(page, '#backend-stats header', ['h3', '.word']), [0, 0]);
    await page.goto(`${serve.url}#/health`);

    // Its frontend side in the forms: what no rule takes stays in the listen section (the field was an empty
    // "backend"), and a stats page at '/' is fine for a section that is only that page (Next refused it).
    const toRouting = async (name: string): Promise<void> => {
      await page.goto(`${serve.url}#/config`);
      await page.goto(`${serve.url}#/setup/frontend/${name}`);
      await page.waitForSelector('.wizard[data-step="listen"]', { timeout: 10_000 });
      for (const step of ['tls', 'routing']) {
        await page.click('[data-action="next"]');
        await page.waitForSelector(`.wizard[data-step="${step}"]`, { timeout: 10_000 });
      }
    };
    const noChange = async (): Promise<void> => {
      await page.click('[data-action="next"]');
      await page.waitForSelector('.wizard[data-step="review"]', { timeout: 5000 })
        .catch(async () => assert.fail(`Next should lead to Review: ${await page.locator('.wizard').textContent()}`));
      await page.getByText('No change.').waitFor({ timeout: 10_000 });
      // Nothing to apply: no empty version, no reload (Apply was offered and wrote version "no change").
      assert.equal(await page.isDisabled('[data-action="apply"]'), true);
      assert.match((await page.locator('[data-nothing-to-apply]').textContent())!, /Nothing to apply/);
      assert.equal((await page.locator('[data-summary]').textContent())!.trim(), 'No change to the running configuration.');
    };
    await toRouting('stats');
    assert.match((await page.locator('[data-no-rules]').textContent())!, /every request goes to the servers of the listen section stats itself/);
    assert.equal(await page.getAttribute('#f-defaultBackend', 'placeholder'), 'its own servers (listen stats)');
    assert.equal(await page.isChecked('[data-page="stats"]'), true);
    assert.equal(await page.inputValue('#f-pages-statsUri'), '/');
    await noChange();
    // A stats page with more than the form shows (stats hide-version): said to be kept, no box that would add a second one.
    await toRouting('stats_lan');
    assert.match((await page.locator('[data-stats-kept]').textContent())!, /On at \/ through this site's own stats lines \(line \d+: stats hide-version …\)\. The form leaves them as written/);
    assert.equal(await page.isChecked('[data-page="stats"]'), true);
    assert.equal(await page.isDisabled('[data-page="stats"]'), true);
    // Its box reads as on in both themes (the browser's disabled box was grey on grey in light mode), sits where
    // the other boxes do, and the note sits under the label's words (it started under the box, a paragraph apart).
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const look = await page.evaluate(() => {
        const kept = document.querySelector('[data-page="stats"]')!;
        const other = document.querySelector('[data-page="metrics"]')!;
        const words = [...kept.closest('label')!.childNodes].find((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim() !== '')!;
        const range = document.createRange();
        range.selectNodeContents(words);
        let under: Element | null = kept.parentElement;
        while (under && getComputedStyle(under).backgroundColor.replace(/\s/g, '') === 'rgba(0,0,0,0)') under = under.parentElement;
        const box = kept.getBoundingClientRect();
        const otherBox = other.getBoundingClientRect();
        return { colours: [getComputedStyle(kept).backgroundColor, getComputedStyle(under ?? document.body).backgroundColor], box: [Math.round(box.left), Math.round(box.width)], otherBox: [Math.round(otherBox.left), Math.round(otherBox.width)],
          note: Math.round(document.querySelector('[data-stats-kept]')!.getBoundingClientRect().left), words: Math.round(range.getBoundingClientRect().left) };
      });
      const [a, b] = look.colours.map(luminance) as [number, number];
      const contrast = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      assert.ok(contrast >= 3, `${scheme}: the kept box stands out from its background (${contrast.toFixed(2)}:1): ${JSON.stringify(look)}`);
      assert.deepEqual(look.box, look.otherBox, `${scheme}: the kept box sits as the others do`);
      assert.ok(Math.abs(look.note - look.words) <= 1, `${scheme}: the note starts under the label's words: ${JSON.stringify(look)}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await noChange();

    // Removing a listen section's frontend side removes the whole section: the question says so (it said "frontend").
    await page.goto(`${serve.url}#/config`);
    await page.click('[data-remove="frontend:stats_lan"]');
    assert.match((await page.locator('[data-remove-question]').textContent())!, /Remove the listen section stats_lan from haproxy\.cfg\? Its address and its servers go together/);
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-remove') === 'frontend:stats_lan', undefined, { timeout: 5000 });
    assert.match((await page.locator('[data-form="backend:stats_lan"]').textContent())!, /listen section, 0 servers/);

    // A server's port refused: its error sits under it, and the row's other inputs stay level with it (they
    // were pushed down to the bottom of the error), at desktop width and on a phone.
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${serve.url}#/config`);
      await page.goto(`${serve.url}#/setup/backend/nas_backend`);
      await page.waitForSelector('.wizard[data-step="servers"]', { timeout: 10_000 });
      await page.fill('#f-backends-0-servers-0-port', '99999');
      await page.click('[data-action="next"]');
      await page.locator('#f-backends-0-servers-0-port-err').waitFor({ timeout: 5000 });
      const tops = await page.evaluate(() => ['name', 'address', 'port', 'weight'].map((f) => Math.round(document.getElementById(`f-backends-0-servers-0-${f}`)!.getBoundingClientRect().top)));
      // On a phone name and address have lines of their own; port and weight share one.
      const level = width === 375 ? [tops[2], tops[3]] : tops;
      assert.ok(level.every((t) => t === level[0]), `at ${width} px the inputs are level: ${JSON.stringify(tops)}`);
      // On a phone Backup shares its line with Max connections (port and weight fill theirs).
      const beside = width === 375 ? 'maxconn' : 'port';
      const backup = await page.evaluate((f) => { const b = document.querySelector('li.server .backup')!.getBoundingClientRect(); const p = document.getElementById(`f-backends-0-servers-0-${f}`)!.getBoundingClientRect(); return { backup: Math.round(b.top + b.height / 2), [f]: Math.round(p.top + p.height / 2) }; }, beside);
      assert.ok(Math.abs(backup.backup - backup[beside]!) <= 3, `at ${width} px Backup is level with the ${beside}: ${JSON.stringify(backup)}`);
    }
  });
});
