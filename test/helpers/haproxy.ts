/**
 * Real HAProxy as the reference (DESIGN.md §7). Tests that need it skip with a
 * loud notice when it is missing on a user's machine; under CI=true a missing
 * binary is a failure, so a green CI always means HAProxy was consulted.
 */
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

export const haproxyPath = (() => {
  const found = spawnSync('sh', ['-c', 'command -v haproxy'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
})();

/** Returns true when haproxy can be used; otherwise skips (or, in CI, fails) the test. */
export function requireHaproxy(t: TestContext): boolean {
  if (haproxyPath) return true;
  if (process.env.CI) throw new Error('haproxy is not installed, and CI=true requires it (.ci/run installs it with apt-get)');
  console.warn('\n*** haproxy not found: skipping the comparison with real HAProxy (apt-get install haproxy) ***\n');
  t.skip('haproxy not installed');
  return false;
}

/** `haproxy -c -f FILE` from `cwd`; returns its exit status and output. */
export function haproxyCheck(file: string, cwd: string): { status: number; output: string } {
  const r = spawnSync(haproxyPath!, ['-c', '-f', file], { cwd, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}
