/** Health checks side by side: the same configuration under haproxy, then under Loadstar. */
import { startEngine, waitFor } from '../../../helpers/net.ts';
import { startHaproxy } from '../../../helpers/haproxy.ts';

/**
 * Runs `config` under haproxy, then Loadstar: `reset` before each, until `ready(alerts)` holds; gives
 * what `collect` read and the "is DOWN" alert lines (durations and counts masked), by implementation.
 */
export async function underBoth<T>(config: string, bind: number, reset: () => void, ready: (alerts: string[]) => boolean, collect: () => T): Promise<Record<'haproxy' | 'loadstar', T & { down: string[] }>> {
  const results = {} as Record<'haproxy' | 'loadstar', T & { down: string[] }>;
  for (const impl of ['haproxy', 'loadstar'] as const) {
    reset();
    let stop: () => Promise<void>;
    let alerts: () => string[];
    if (impl === 'haproxy') {
      const h = await startHaproxy(config, bind);
      stop = h.stop;
      alerts = () => h.output().split('\n').map((l) => l.replace(/^\[WARNING\]\s+\(\d+\) : /, ''));
    } else {
      const e = await startEngine(config);
      stop = e.stop;
      alerts = () => e.alerts;
    }
    try {
      await waitFor(`${impl}: the checks ran`, () => ready(alerts()), 15_000);
    } finally {
      await stop();
    }
    const down = alerts().filter((l) => /^Server \S+ is DOWN/.test(l)).map((l) => l.replace(/check duration: \d+ms/, '').replace(/ \d+ active and \d+ backup servers left.*/, ''));
    results[impl] = { ...collect(), down };
  }
  return results;
}
