/**
 * What the UI's browser tests share: a real `loadstar serve` child process
 * (the built CLI and UI, as a user runs them), origin servers on 127.0.0.1,
 * Debian's Chromium with a guard that lets no request leave 127.0.0.1, and
 * collectors for console errors and failed requests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumPath, closeChromium, launchChromium } from '../helpers/chromium.ts';
import { setAdminPassword } from '../../proxy/admin/password.ts';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const screenshotDir = path.join(root, 'test-output', 'screenshots', 'ui');

/** True when Chromium and the build are there; otherwise skips loudly (under CI=true: fails). */
export function requireBrowserAndBuild(t: TestContext): boolean {
  const missing: string[] = [];
  if (!chromiumPath) missing.push('chromium (apt-get install chromium)');
  if (!fs.existsSync(path.join(root, 'dist', 'renderer', 'index.html')) || !fs.existsSync(path.join(root, 'dist', 'proxy', 'cli.js'))) {
    missing.push("the build (run 'npm run build')");
  }
  if (missing.length === 0) return true;
  if (process.env.CI) throw new Error(`${missing.join(' and ')} missing, and CI=true requires it`);
  console.warn(`\n*** ${missing.join(' and ')} missing: skipping the UI browser test ***\n`);
  t.skip(`${missing.join(' and ')} missing`);
  return false;
}

export interface Origin {
  name: string;
  port: number;
  hits: number;
  /** Stops listening and cuts open connections (the server "dies"). */
  stop(): Promise<void>;
}

/** An HTTP origin that answers with its name and counts the requests it got. */
export async function startOrigin(name: string, port = 0): Promise<Origin> {
  const state = { hits: 0 };
  const server = http.createServer((req, res) => {
    state.hits++;
    req.resume();
    req.on('end', () => {
      res.setHeader('x-server', name);
      res.end(`${name}\n`);
    });
  });
  server.keepAliveTimeout = 2000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  let stopped = false;
  return {
    name,
    port: bound,
    get hits() { return state.hits; },
    stop: () => new Promise<void>((resolve) => {
      if (stopped) return resolve();
      stopped = true;
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface Serve {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Runs `node bin/loadstar.js serve [-f cfg] --listen 127.0.0.1:port --data-dir dir [extra…]` and waits
 * until the admin API answers. Without `cfg` the configuration is the data dir's (versions, safe apply).
 */
export async function startServe(cfg: string | undefined, port: number, dataDir: string, extra: string[] = []): Promise<Serve> {
  const args = [path.join(root, 'bin', 'loadstar.js'), 'serve', ...(cfg ? ['-f', cfg] : []), '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, ...extra];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, LOADSTAR_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`loadstar serve exited (${child.exitCode}) before answering:\n${out}`);
    const ok = await new Promise<boolean>((resolve) => {
      http.get(`${url}api/session`, (res) => {
        res.resume();
        // 401: it answers, and wants a login (an admin password is set).
        resolve(res.statusCode === 200 || res.statusCode === 401);
      }).on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`loadstar serve did not answer within 30 s:\n${out}`);
    }
    await sleep(200);
  }
  return {
    url,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Sends one request through the proxy; resolves with the status (0 on a connection error). */
export function send(port: number, urlPath: string, host = 'www.example.com', agent?: http.Agent): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers: { host }, agent: agent ?? false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Everything that went wrong in the browser during a run. */
export class BrowserProblems {
  readonly consoleErrors: string[] = [];
  readonly failedRequests: string[] = [];
  readonly foreignRequests: string[] = [];
  /** Pages closed on purpose: their event stream's abort is not a failure. */
  readonly closedPages = new WeakSet<Page>();
  /** Set while the whole browser is shut down at the end. */
  closing = false;

  watch(page: Page): void {
    page.on('console', (message) => {
      if (message.type() === 'error') this.consoleErrors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => this.consoleErrors.push(`${page.url()}: uncaught ${error.message}`));
    page.on('requestfailed', (request) => {
      if (this.closing || (this.closedPages.has(page) && request.failure()?.errorText === 'net::ERR_ABORTED')) return;
      this.failedRequests.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
    });
  }

  /** Lets requests to 127.0.0.1 through and refuses (and records) any other. */
  async guard(context: BrowserContext): Promise<void> {
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      this.foreignRequests.push(route.request().url());
      return route.abort('blockedbyclient');
    });
  }
}

export async function browser(): Promise<{ browser: Browser; home: string }> {
  const home = tempDir('loadstar-ui-home-');
  return { browser: await launchChromium(home), home };
}

/** Closes a page; the abort of its open event stream is not counted as a failed request. */
export async function closePage(page: Page, problems: BrowserProblems): Promise<void> {
  problems.closedPages.add(page);
  await page.close();
}

export interface UiSession {
  serve: Serve;
  dataDir: string;
  /** The configuration file serve runs (dataDir/haproxy.cfg). */
  cfgFile: string;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  problems: BrowserProblems;
}

/**
 * One browser session against a fresh `loadstar serve`: a temp data dir holding `config` (and the admin
 * `password`'s hash when given: pages then start at the login; `prepare` may add to the data dir, a
 * history say, before serve starts), serve on
 * `adminPort`, Chromium with one guarded page (nothing but 127.0.0.1 asked). After `body`: no console
 * error and no foreign request, then everything stopped and removed, the `origins` given included.
 */
export async function withUiSession(
  options: { name: string; config: string; adminPort: number; graceMs: number; viewport: { width: number; height: number }; origins: Origin[]; password?: string; prepare?: (dataDir: string) => void },
  body: (session: UiSession) => Promise<void>,
): Promise<void> {
  const dataDir = tempDir(`loadstar-${options.name}-`);
  const cfgFile = path.join(dataDir, 'haproxy.cfg');
  fs.writeFileSync(cfgFile, options.config, { mode: 0o600 });
  if (options.password !== undefined) await setAdminPassword(dataDir, options.password);
  options.prepare?.(dataDir);
  const serve = await startServe(undefined, options.adminPort, dataDir, ['--grace-ms', String(options.graceMs)]);
  const { browser: chromium, home } = await browser();
  const problems = new BrowserProblems();
  try {
    const context = await chromium.newContext({ viewport: options.viewport });
    await problems.guard(context);
    const page = await context.newPage();
    problems.watch(page);
    await body({ serve, dataDir, cfgFile, browser: chromium, context, page, problems });
    assert.deepEqual(problems.consoleErrors, []);
    assert.deepEqual(problems.foreignRequests, []);
  } finally {
    problems.closing = true;
    await closeChromium(chromium);
    await serve.stop();
    for (const o of options.origins) await o.stop();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Clicks the wizard's Next and waits for `step`; failing, it says the step the wizard shows and the
 * errors it shows. A click that changed nothing at all (the same step, no error, Next enabled) is
 * made once more and said on stderr: in one CI run on a loaded machine a click on Next went nowhere,
 * with no error shown and nothing on the page's console.
 */
export async function wizardNext(page: Page, step: string, timeoutMs = 15_000): Promise<void> {
  const before = await page.locator('.wizard').getAttribute('data-step');
  for (let attempt = 1; ; attempt++) {
    await page.click('[data-action="next"]');
    const reached = await page.waitForSelector(`.wizard[data-step="${step}"]`, { timeout: timeoutMs }).then((): true => true, (e: Error) => e);
    if (reached === true) return;
    const shown = await page.locator('.wizard').getAttribute('data-step').catch(() => null);
    const errors = await page.locator('.err, .error').allTextContents();
    const nothingHappened = shown === before && errors.length === 0 && await page.locator('[data-action="next"]').isEnabled().catch(() => false);
    if (attempt === 1 && nothingHappened) {
      console.error(`wizard: Next on the ${before} step changed nothing within ${timeoutMs} ms; clicking it again`);
      continue;
    }
    throw new Error(`the wizard did not reach ${step}: it shows ${shown ?? 'no wizard'}${errors.length > 0 ? `, with ${errors.join(' | ')}` : ', no error'} (${reached.message})`);
  }
}

/**
 * The Add-site wizard from its first step through routing, as a user fills it: the site's name,
 * 127.0.0.1 and `port` to listen on, no TLS, every request to `defaultBackend`; ends on the step
 * after routing (servers for a new backend, else the review).
 */
export async function wizardThroughRouting(page: Page, baseUrl: string, site: { name: string; port: number; defaultBackend: string }): Promise<void> {
  await page.goto(`${baseUrl}#/setup`);
  await page.waitForSelector('.wizard[data-step="what"]');
  await page.fill('#f-name', site.name);
  await page.click('[data-action="next"]');
  await page.waitForSelector('.wizard[data-step="listen"]');
  await page.fill('#f-listen-address', '127.0.0.1');
  await page.fill('#f-listen-port', String(site.port));
  await page.click('[data-action="next"]');
  await page.waitForSelector('.wizard[data-step="tls"]');
  await page.click('[data-action="next"]');
  await page.waitForSelector('.wizard[data-step="routing"]');
  await page.fill('#f-defaultBackend', site.defaultBackend);
  await page.click('[data-action="next"]');
}
