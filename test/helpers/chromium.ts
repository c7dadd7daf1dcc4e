/**
 * Debian's Chromium, driven by playwright-core, for browser tests (DESIGN.md §7).
 * Trust is real: a CA goes into an NSS database under a temporary HOME
 * (`$HOME/.pki/nssdb`, where Chromium on Linux reads user trust anchors), so
 * a test never needs --ignore-certificate-errors. Tests skip with a loud
 * notice when chromium or certutil is missing; under CI=true that is a failure.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

function which(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

export const chromiumPath = which('chromium');
export const certutilPath = which('certutil');

/** Returns true when chromium and certutil can be used; otherwise skips (or, in CI, fails) the test. */
export function requireChromium(t: TestContext): boolean {
  const missing = [chromiumPath ? undefined : 'chromium', certutilPath ? undefined : 'certutil (libnss3-tools)'].filter(Boolean);
  if (missing.length === 0) return true;
  if (process.env.CI) throw new Error(`${missing.join(' and ')} not installed, and CI=true requires ${missing.length > 1 ? 'them' : 'it'} (.ci/run installs chromium and libnss3-tools with apt-get)`);
  console.warn(`\n*** ${missing.join(' and ')} not found: skipping the browser test (apt-get install chromium libnss3-tools) ***\n`);
  t.skip(`${missing.join(' and ')} not installed`);
  return false;
}

function certutil(args: string[]): void {
  const r = spawnSync(certutilPath!, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`certutil ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stdout}${r.stderr}${r.error?.message ?? ''}`);
}

/**
 * A temporary HOME with an empty NSS database; with `caPem` the CA is added
 * as trusted for TLS servers ("C,,"). Remove the directory when done.
 */
export function nssHome(caPem?: string, nickname = 'loadstar-test-ca'): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-chromium-home-'));
  const db = path.join(home, '.pki', 'nssdb');
  fs.mkdirSync(db, { recursive: true, mode: 0o700 });
  certutil(['-d', `sql:${db}`, '-N', '--empty-password']);
  if (caPem !== undefined) {
    const caFile = path.join(home, 'ca.pem');
    fs.writeFileSync(caFile, caPem);
    certutil(['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', nickname, '-i', caFile]);
  }
  return home;
}

/** Each launched browser's mark: a variable in the environment of its processes, so they can be found. */
const marks = new WeakMap<Browser, string>();
const MARK = 'LOADSTAR_TEST_BROWSER';

/** Launches headless Chromium with `home` as HOME; `hostRules` are --host-resolver-rules (e.g. `MAP app.home.arpa 127.0.0.1`). */
export async function launchChromium(home: string, hostRules?: string): Promise<Browser> {
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
  if (hostRules) args.push(`--host-resolver-rules=${hostRules}`);
  const mark = `${process.pid}-${randomUUID()}`;
  const browser = await chromium.launch({
    executablePath: chromiumPath!,
    args,
    env: { ...process.env, HOME: home, [MARK]: mark },
    timeout: 30_000,
  });
  marks.set(browser, mark);
  return browser;
}

/** The processes whose environment holds `mark` (a browser and the processes it started). */
function markedProcesses(mark: string): number[] {
  const wanted = `${MARK}=${mark}`;
  return fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(wanted);
    } catch {
      return false; // ended meanwhile
    }
  });
}

/**
 * Closes a browser; one that has not closed within `ms` has its processes killed. A close that never
 * settles would keep a test from ending (and its file's process alive) whatever the product did.
 */
export async function closeChromium(browser: Browser, ms = 30_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), ms)));
  const closed = browser.close().then(() => false, () => false);
  const stuck = await Promise.race([closed, timedOut]);
  clearTimeout(timer);
  if (!stuck) return;
  const mark = marks.get(browser);
  const pids = mark ? markedProcesses(mark) : [];
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // ended meanwhile
    }
  }
  console.warn(`Chromium did not close within ${ms} ms: killed its ${pids.length} processes`);
}
