/**
 * Median table over several `bench/l7-design.ts --json FILE` runs (the machine
 * is noisy; single runs of a few seconds vary by 10–20 %), then the mixed run's
 * medians (runs made with --mixed) and issue #15's goals judged on the medians.
 *
 *   node --import tsx bench/l7-summary.ts run1.json run2.json run3.json [--max-other 10]
 */
import { readFileSync } from 'node:fs';
import { evaluateGoals, goalsBlock, type MixedResult } from './lib/goals.ts';
import { mixedTable } from './lib/mixed.ts';
import { medianRows, table, type Row } from './lib/report.ts';

const args = process.argv.slice(2);
const mi = args.indexOf('--max-other');
const maxOther = mi >= 0 ? Number(args[mi + 1]) : 10;
const files = args.filter((a, i) => !a.startsWith('--') && (mi < 0 || i !== mi + 1));
if (files.length === 0) { console.error('usage: l7-summary.ts run1.json [run2.json ...]'); process.exit(2); }
const parsed = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as { rows: Row[]; mixed?: MixedResult[] });
const runs = parsed.map((p) => p.rows);
console.log(`Medians over ${files.length} run(s); rows with other CPU > ${maxOther}% ignored where a cleaner run exists; errors summed.\n`);
const rows = medianRows(runs, maxOther);
console.log(table(rows));

/** Per proxy, the median of each mixed-run figure over the runs that have it. */
function medianMixed(all: MixedResult[]): MixedResult[] {
  const ids = [...new Set(all.map((m) => m.id))];
  const med = (xs: (number | null | undefined)[]): number => {
    const s = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
    return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  return ids.map((id) => {
    const ms = all.filter((m) => m.id === id && m.fresh && m.longLived);
    if (ms.length === 0) return all.find((m) => m.id === id)!;
    const side = (k: 'fresh' | 'longLived' | 'freshAfter'): MixedResult['fresh'] => ({
      ...ms[0][k]!,
      wrk: { ...ms[0][k]!.wrk, reqPerSec: med(ms.map((m) => m[k]!.wrk.reqPerSec)) },
      proxyCpuUsPerReq: med(ms.map((m) => m[k]!.proxyCpuUsPerReq)),
      proxyFaultsPerReq: med(ms.map((m) => m[k]!.proxyFaultsPerReq)),
      otherCpuPct: med(ms.map((m) => m[k]!.otherCpuPct)),
    });
    // The second fresh run only when every run has it (runs from before it was added have not).
    const after = ms.every((m) => m.freshAfter) ? { freshAfter: side('freshAfter') } : { freshAfter: null };
    return { ...ms[0], fresh: side('fresh'), longLived: side('longLived'), ...after };
  });
}
const mixed = medianMixed(parsed.flatMap((p) => p.mixed ?? []));
if (mixed.length > 0) console.log(`\nMixed long run, medians\n\n${mixedTable(mixed)}`);
console.log(`\n${goalsBlock(evaluateGoals(rows, mixed), 'Goals (issue #15), on the medians')}`);
