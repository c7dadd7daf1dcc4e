/**
 * Median table over several `bench/l7-design.ts --json FILE` runs (the machine
 * is noisy; single runs of a few seconds vary by 10–20 %).
 *
 *   node --import tsx bench/l7-summary.ts run1.json run2.json run3.json [--max-other 10]
 */
import { readFileSync } from 'node:fs';
import { medianRows, table, type Row } from './lib/report.ts';

const args = process.argv.slice(2);
const mi = args.indexOf('--max-other');
const maxOther = mi >= 0 ? Number(args[mi + 1]) : 10;
const files = args.filter((a, i) => !a.startsWith('--') && (mi < 0 || i !== mi + 1));
if (files.length === 0) { console.error('usage: l7-summary.ts run1.json [run2.json ...]'); process.exit(2); }
const runs = files.map((file) => (JSON.parse(readFileSync(file, 'utf8')) as { rows: Row[] }).rows);
console.log(`Medians over ${files.length} run(s); rows with other CPU > ${maxOther}% ignored where a cleaner run exists; errors summed.\n`);
console.log(table(medianRows(runs, maxOther)));
