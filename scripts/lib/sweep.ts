/**
 * What the configuration sweeps (scripts/*-sweep.ts) share: one configuration text through
 * `haproxy -c` and through Loadstar's parser, the comparison of their verdicts (and, on request,
 * of their first alert's message), and the grouped report. Not part of `npm test`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../proxy/config/index.ts';
import type { Diagnostic } from '../../proxy/config/diagnostics.ts';

/** test/scenarios: the sweeps run from there, so `certs/…` and `errors/…` resolve in both. */
export const SCENARIOS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/scenarios');

/** One configuration to check: `key` and `kind` group it in the report, `line` shows what changed. */
export interface Variant { file: string; lineNo: number; key: string; kind: string; line: string; text: string }

export interface Verdict { ok: boolean; message: string }
export interface Diff { v: Variant; ha: boolean; ls: boolean; haMsg: string; lsMsg: string; lsAlerts: readonly Diagnostic[] }

/** HAProxy's first ALERT line without its `[ALERT] (pid) : config :` head. */
export const firstAlert = (out: string): string => out.split('\n').find((l) => l.includes('[ALERT]'))?.replace(/^\[ALERT\]\s*\(\d+\)\s*:\s*/, '').replace(/^config\s*:\s*/, '') ?? '';
/** HAProxy's message without its location head, and without the '.' its wrappers sometimes double. */
export const bareMessage = (line: string): string => line.replace(/^(?:parsing )?\[[^\]]*\]\s*:?\s*/i, '').replace(/\.+$/, '').trim();

/** Writes each variant to a temporary file and compares `haproxy -c` (run from test/scenarios) with parseConfig. */
export function compareVariants(variants: readonly Variant[], options: { messages: boolean }): Diff[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-sweep-'));
  const diffs: Diff[] = [];
  const cwd = process.cwd();
  process.chdir(SCENARIOS);
  try {
    for (const v of variants) {
      const file = path.join(dir, 'x.cfg');
      fs.writeFileSync(file, v.text);
      const r = spawnSync('haproxy', ['-c', '-f', file], { cwd: SCENARIOS, encoding: 'utf8', timeout: 20_000 });
      const out = `${r.stdout}${r.stderr}`;
      const ha = r.status === 0 && !out.includes('[ALERT]');
      // Named as haproxy reads it, so that messages quoting the file's place compare.
      const alerts = parseConfig([{ name: file, text: v.text }]).diagnostics.filter((d) => d.severity !== 'warning');
      const ls = alerts.length === 0;
      const diff = { v, ha, ls, haMsg: firstAlert(out), lsMsg: alerts[0]?.message ?? '', lsAlerts: alerts };
      if (ha !== ls) diffs.push(diff);
      else if (options.messages && !ha) {
        const want = bareMessage(diff.haMsg);
        if (want && !alerts.some((a) => a.message.includes(want))) diffs.push(diff);
      }
    }
  } finally {
    process.chdir(cwd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return diffs;
}

/** Prints one entry per group (`groupOf`), sorted by keyword then variant; returns the number of groups. */
export function printDiffs(diffs: readonly Diff[], groupOf: (d: Diff) => string): number {
  const groups = new Map<string, Diff[]>();
  for (const d of diffs) {
    const g = groupOf(d);
    groups.set(g, [...(groups.get(g) ?? []), d]);
  }
  const sorted = [...groups.values()].sort((a, b) => a[0]!.v.key.localeCompare(b[0]!.v.key) || a[0]!.v.kind.localeCompare(b[0]!.v.kind));
  for (const g of sorted) {
    const d = g[0]!;
    const verdict = d.ha === d.ls ? 'both refuse, in other words' : `haproxy ${d.ha ? 'accepts' : 'REFUSES'}, loadstar ${d.ls ? 'accepts' : 'REFUSES'}`;
    console.log(`${d.v.key} ${d.v.kind}: ${verdict}${g.length > 1 ? ` (${g.length} lines)` : ''}`);
    console.log(`   ${d.v.file}:${d.v.lineNo}  ${d.v.line}`);
    if (d.haMsg) console.log(`   H: ${d.haMsg}`);
    if (d.lsMsg) console.log(`   L: ${d.lsMsg}`);
  }
  return groups.size;
}
