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

/**
 * One configuration to check: `key` and `kind` group it in the report, `line` shows what changed,
 * `file` and `lineNo` where it comes from (a corpus file), when it does.
 */
export interface Variant { key: string; kind: string; line: string; text: string; file?: string; lineNo?: number }

export interface Diff { v: Variant; ha: boolean; ls: boolean; haMsg: string; lsMsg: string; lsAlerts: readonly Diagnostic[] }

/** HAProxy's first ALERT line without its `[ALERT] (pid) : config :` head. */
export const firstAlert = (out: string): string => out.split('\n').find((l) => l.includes('[ALERT]'))?.replace(/^\[ALERT\]\s*\(\d+\)\s*:\s*/, '').replace(/^config\s*:\s*/, '') ?? '';
/** HAProxy's message without its location head, and without the '.' its wrappers sometimes double. */
export const bareMessage = (line: string): string => line.replace(/^(?:parsing )?\[[^\]]*\]\s*:?\s*/i, '').replace(/\.+$/, '').trim();

/** A scratch directory the texts are written to (and files they name, for a sweep that runs there). */
export function sweepDir(prefix = 'loadstar-sweep-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Both verdicts on one variant, written to `dir`/x.cfg: `haproxy -c` and parseConfig both run from
 * `cwd` (where relative file names resolve), the parser naming the file as haproxy reads it, so that
 * messages quoting its place compare. `differs`: the verdicts differ, or (`messages`) both refuse and
 * no Loadstar alert contains haproxy's first message.
 */
export function checkVariant(v: Variant, dir: string, cwd: string, messages: boolean): Diff & { differs: boolean } {
  const file = path.join(dir, 'x.cfg');
  fs.writeFileSync(file, v.text);
  const r = spawnSync('haproxy', ['-c', '-f', file], { cwd, encoding: 'utf8', timeout: 20_000 });
  const out = `${r.stdout}${r.stderr}`;
  const ha = r.status === 0 && !out.includes('[ALERT]');
  const before = process.cwd();
  process.chdir(cwd);
  let alerts: Diagnostic[];
  try {
    alerts = parseConfig([{ name: file, text: v.text }]).diagnostics.filter((d) => d.severity !== 'warning');
  } finally {
    process.chdir(before);
  }
  const ls = alerts.length === 0;
  const haMsg = firstAlert(out);
  const want = bareMessage(haMsg);
  const differs = ha !== ls || (messages && !ha && want !== '' && !alerts.some((a) => a.message.includes(want)));
  return { v, ha, ls, haMsg, lsMsg: alerts[0]?.message ?? '', lsAlerts: alerts, differs };
}

/** Checks every variant from test/scenarios (where the corpus's `certs/…` and `errors/…` resolve); returns where they differ. */
export function compareVariants(variants: readonly Variant[], options: { messages: boolean }): Diff[] {
  const dir = sweepDir();
  try {
    return variants.map((v) => checkVariant(v, dir, SCENARIOS, options.messages)).filter((d) => d.differs);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
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
    console.log(`   ${d.v.file ? `${d.v.file}:${d.v.lineNo}  ` : ''}${d.v.line}`);
    if (d.haMsg) console.log(`   H: ${d.haMsg}`);
    if (d.lsMsg) console.log(`   L: ${d.lsMsg}`);
  }
  return groups.size;
}
