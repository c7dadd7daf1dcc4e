/**
 * Hostile-peer cases whose outcomes were recorded from haproxy 2.6.12: one test per case against
 * Loadstar (which must still serve after it), and one that replays the recorded outcomes through
 * haproxy. With `probe` (H2_PROBE=1), a single test prints both proxies' outcomes instead, to record
 * them again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haproxyPath, requireHaproxy } from '../../helpers/haproxy.ts';

export interface RecordedCase<T> {
  name: string;
  /** Drives the peer; returns what happened. */
  run(t: T): Promise<string>;
  expected: string;
  /** HAProxy's outcome where Loadstar's differs (the case's comment says why); null: HAProxy's varies from run to run. */
  haproxy?: string | null;
}

export interface RecordedCaseRun<T> {
  target: () => T;
  /** Loadstar still runs and answers a well-behaved client (throws otherwise). */
  stillServing: () => Promise<void>;
  /** Every case run through haproxy, by name. */
  throughHaproxy: () => Promise<Map<string, string>>;
  /** The replay started in `before` (throughHaproxy's outcomes, or why it failed). */
  replay: () => Promise<Map<string, string> | Error> | undefined;
  probe: boolean;
}

export function recordedCaseTests<T>(cases: ReadonlyArray<RecordedCase<T>>, o: RecordedCaseRun<T>): void {
  if (o.probe) {
    test('probe: both proxies, every case', { timeout: 600_000 }, async () => {
      const theirs = haproxyPath ? await o.throughHaproxy() : new Map<string, string>();
      for (const c of cases) {
        const mine = await c.run(o.target()).catch((e: Error) => `FAILED ${e.message}`);
        const h = theirs.get(c.name) ?? '(no haproxy)';
        process.stdout.write(`\n## ${c.name}${mine === h ? ' (same)' : ''}\nloadstar: ${JSON.stringify(mine)}\n${mine === h ? '' : `haproxy:  ${JSON.stringify(h)}\n`}`);
        await o.stillServing().catch((e: Error) => process.stdout.write(`NOT SERVING after it: ${e.message}\n`));
      }
    });
    return;
  }
  for (const c of cases) {
    test(c.name, async () => {
      assert.equal(await c.run(o.target()), c.expected);
      await o.stillServing();
    });
  }
  test('the recorded outcomes are still what HAProxy 2.6 does', { timeout: 120_000 }, async (t) => {
    if (!requireHaproxy(t)) return;
    const results = await o.replay()!;
    if (results instanceof Error) throw results;
    for (const c of cases) {
      if (c.haproxy === null) continue;
      assert.equal(results.get(c.name), c.haproxy ?? c.expected, c.name);
    }
  });
}
